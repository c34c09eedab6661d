// Administrators: accounts — create, change roles, disable, reset the
// password, unlock, remove a lost second factor, delete. Tenant
// memberships (patient access) are a tenant administrator's to give: an
// administrator sees them here but cannot set them, and the API never lets
// an administrator change the own roles.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';
import { session } from '../session.js';

export const roleOptions = ['clinician', 'admin', 'tenant-admin', 'device-admin', 'service',
	'security-officer']
	.map((r) => ({ value: r, label: r }));

function state(u) {
	const s = [];
	if (u.disabled) s.push('disabled');
	if (u.locked_until) s.push(`locked until ${when(u.locked_until)}`);
	if (u.must_change_password) s.push('must change password');
	s.push(u.second_factor ? '2FA' : 'no 2FA');
	return s.join(', ');
}

function editor(box, u, reload) {
	const status = h('div', { role: 'status' });
	const self = u.id === session.user.id;
	const edit = form([
		{ name: 'display_name', label: 'Display name', value: u.display_name, maxlength: 128 },
		{ name: 'email', label: 'E-mail', type: 'email', value: u.email, maxlength: 254 },
		...(self ? [] : [
			{ name: 'roles', label: 'Roles', type: 'checkboxes', options: roleOptions, value: u.roles,
				hint: 'Clinician cannot be combined with another role, nor admin with tenant-admin.' },
			{ name: 'disabled', label: 'Disabled (cannot sign in)', type: 'checkbox', value: u.disabled },
		]),
	], async (v) => {
		const patch = { display_name: v.display_name, email: v.email };
		if (!self) Object.assign(patch, { roles: v.roles, disabled: v.disabled });
		const res = await api('PATCH', `/api/v1/users/${u.id}`, patch);
		if (res.ok) {
			show(status, notice(`Account ${u.name} saved.`));
			reload(false);
		}
		return res;
	}, { submitLabel: 'Save account', label: `Edit ${u.name}` });
	const reset = form([
		{ name: 'password', label: 'New one-time password', type: 'password', required: true,
			autocomplete: 'new-password', hint: 'The account must change it at its next sign-in.' },
	], async (v, el) => {
		const res = await api('POST', `/api/v1/users/${u.id}/password`, { password: v.password });
		if (res.ok) {
			el.reset();
			show(status, notice(`Password of ${u.name} reset; its sessions were ended.`));
		}
		return res;
	}, { submitLabel: 'Reset password', label: `Reset password of ${u.name}` });
	const suspends = u.tenants.length ? h('p', { class: 'hint' }, 'Resetting the password or the second ' +
		'factor suspends this account\'s tenant memberships until a tenant administrator confirms them.') : null;
	const act = async (method, path, done) => {
		const res = await api(method, path);
		show(status, res.ok ? notice(done) : notice(res.data.error, 'error'));
		if (res.ok) reload(false);
	};
	show(box, h('section', { class: 'card', 'aria-labelledby': 'edit-title' },
		h('h2', { id: 'edit-title', tabindex: '-1' }, `Account ${u.name}`), status, edit,
		self ? h('p', { class: 'hint' }, 'Another administrator must change your own roles.') : null,
		h('h3', {}, 'Password'), suspends, reset,
		h('h3', {}, 'More'),
		h('div', { class: 'actions' },
			h('button', { type: 'button', onclick: () => act('POST', `/api/v1/users/${u.id}/unlock`, `${u.name} unlocked.`) }, 'Unlock'),
			u.second_factor ? confirmButton('Remove second factor', 'Really remove?', () =>
				act('DELETE', `/api/v1/users/${u.id}/totp`, `Second factor of ${u.name} removed.`)) : null,
			self ? null : confirmButton('Delete account', 'Really delete?', async () => {
				await act('DELETE', `/api/v1/users/${u.id}`, `${u.name} deleted.`);
				box.replaceChildren();
			}))));
	box.querySelector('h2').focus();
}

export async function render(main) {
	const listBox = h('div');
	const editBox = h('div');
	const created = h('div', { role: 'status' });
	let tenants = [];
	const tenantName = (id) => (tenants.find((t) => t.id === id) || { name: `#${id}` }).name;

	async function reload(closeEditor = true) {
		const [ur, tr] = await Promise.all([api('GET', '/api/v1/users'), api('GET', '/api/v1/tenants')]);
		if (!ur.ok) return show(listBox, notice(ur.data.error, 'error'));
		tenants = tr.ok ? tr.data.tenants : [];
		if (closeEditor) editBox.replaceChildren();
		show(listBox, table('Accounts', [
			{ label: 'Id', cell: (u) => String(u.id) },
			{ label: 'Account', cell: (u) => u.name },
			{ label: 'Name', cell: (u) => u.display_name },
			{ label: 'E-mail', cell: (u) => u.email },
			{ label: 'Roles', cell: (u) => u.roles.join(', ') },
			{ label: 'Tenants', cell: (u) => [...u.tenants.map(tenantName),
				...(u.suspended_tenants || []).map((id) => `${tenantName(id)} (suspended)`)].join(', ') },
			{ label: 'State', cell: state },
			{ label: 'Actions', cell: (u) => h('button', { type: 'button', class: 'secondary',
				'aria-label': `Edit ${u.name}`, onclick: () => editor(editBox, u, reload) }, 'Edit') },
		], ur.data.users));
		return null;
	}
	await reload();
	const create = form([
		{ name: 'name', label: 'Account name', required: true, maxlength: 128,
			hint: 'Letters, digits and . _ - @' },
		{ name: 'display_name', label: 'Display name', maxlength: 128 },
		{ name: 'email', label: 'E-mail (for password reset)', type: 'email', maxlength: 254 },
		{ name: 'roles', label: 'Roles', type: 'checkboxes', options: roleOptions },
		{ name: 'password', label: 'One-time password', type: 'password', required: true,
			autocomplete: 'new-password', hint: 'The new account must change it at its first sign-in.' },
	], async (v, el) => {
		const res = await api('POST', '/api/v1/users', v);
		if (res.ok) {
			el.reset();
			show(created, notice(`Account ${res.data.name} created.`));
			await reload();
		}
		return res;
	}, { submitLabel: 'Create account', label: 'Create an account' });
	document.title = 'Users — medgate';
	show(main, h('h1', {}, 'Users'), listBox, editBox,
		h('section', { class: 'card' }, h('h2', {}, 'New account'), created,
			h('p', { class: 'hint' }, 'A tenant administrator makes the account a member of a tenant; ' +
				'only then does a clinician see that tenant\'s patients.'), create));
}
