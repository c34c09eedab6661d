// Administrators: accounts — create, change roles, disable, reset the
// password, unlock, remove a lost second factor, delete. Tenant
// memberships (patient access) are a tenant administrator's to give: an
// administrator sees them here but cannot set them, and the API never lets
// an administrator change the own roles.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';
import { session } from '../session.js';
import { t } from '../i18n.js';
import { roleLabel } from './account.js';

export const roleOptions = ['clinician', 'admin', 'tenant-admin', 'device-admin', 'service',
	'security-officer']
	.map((r) => ({ value: r, get label() { return roleLabel(r); } }));

function state(u) {
	const s = [];
	if (u.disabled) s.push(t('users.disabled'));
	if (u.locked_until) s.push(t('users.locked_until', { time: when(u.locked_until) }));
	if (u.must_change_password) s.push(t('users.must_change'));
	s.push(u.second_factor ? t('users.2fa') : t('users.no_2fa'));
	return s.join(', ');
}

function editor(box, u, reload) {
	const status = h('div', { role: 'status' });
	const self = u.id === session.user.id;
	const edit = form([
		{ name: 'display_name', label: t('users.display_name'), value: u.display_name, maxlength: 128 },
		{ name: 'email', label: t('users.email'), type: 'email', value: u.email, maxlength: 254 },
		...(self ? [] : [
			{ name: 'roles', label: t('account.roles'), type: 'checkboxes', options: roleOptions, value: u.roles,
				hint: t('users.roles_hint') },
			{ name: 'disabled', label: t('users.disabled_label'), type: 'checkbox', value: u.disabled },
		]),
	], async (v) => {
		const patch = { display_name: v.display_name, email: v.email };
		if (!self) Object.assign(patch, { roles: v.roles, disabled: v.disabled });
		const res = await api('PATCH', `/api/v1/users/${u.id}`, patch);
		if (res.ok) {
			show(status, notice(t('users.saved', { name: u.name })));
			reload(false);
		}
		return res;
	}, { submitLabel: t('users.save'), label: t('users.edit_named', { name: u.name }) });
	const reset = form([
		{ name: 'password', label: t('users.new_one_time'), type: 'password', required: true,
			autocomplete: 'new-password', hint: t('users.one_time_hint') },
	], async (v, el) => {
		const res = await api('POST', `/api/v1/users/${u.id}/password`, { password: v.password });
		if (res.ok) {
			el.reset();
			show(status, notice(t('users.password_reset', { name: u.name })));
		}
		return res;
	}, { submitLabel: t('users.reset_password'), label: t('users.reset_password_of', { name: u.name }) });
	const suspends = u.tenants.length ? h('p', { class: 'hint' }, t('users.suspends')) : null;
	const act = async (method, path, done) => {
		const res = await api(method, path);
		show(status, res.ok ? notice(done) : notice(res.data.error, 'error'));
		if (res.ok) reload(false);
	};
	show(box, h('section', { class: 'card', 'aria-labelledby': 'edit-title' },
		h('h2', { id: 'edit-title', tabindex: '-1' }, t('users.account_named', { name: u.name })), status, edit,
		self ? h('p', { class: 'hint' }, t('users.own_roles')) : null,
		h('h3', {}, t('signin.password')), suspends, reset,
		h('h3', {}, t('users.more')),
		h('div', { class: 'actions' },
			h('button', { type: 'button', onclick: () => act('POST', `/api/v1/users/${u.id}/unlock`, t('users.unlocked', { name: u.name })) }, t('users.unlock')),
			u.second_factor ? confirmButton(t('totp.remove'), t('common.really_remove'), () =>
				act('DELETE', `/api/v1/users/${u.id}/totp`, t('users.totp_removed', { name: u.name }))) : null,
			self ? null : confirmButton(t('users.delete'), t('common.really_delete'), async () => {
				await act('DELETE', `/api/v1/users/${u.id}`, t('users.deleted', { name: u.name }));
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
		show(listBox, table(t('users.accounts'), [
			{ label: t('common.id'), cell: (u) => String(u.id) },
			{ label: t('account.account'), cell: (u) => u.name },
			{ label: t('common.name'), cell: (u) => u.display_name },
			{ label: t('users.email'), cell: (u) => u.email },
			{ label: t('account.roles'), cell: (u) => u.roles.map(roleLabel).join(', ') },
			{ label: t('nav.tenants'), cell: (u) => [...u.tenants.map(tenantName),
				...(u.suspended_tenants || []).map((id) => t('users.suspended_in', { tenant: tenantName(id) }))].join(', ') },
			{ label: t('common.state'), cell: state },
			{ label: t('common.actions'), cell: (u) => h('button', { type: 'button', class: 'secondary',
				'aria-label': t('users.edit_named', { name: u.name }), onclick: () => editor(editBox, u, reload) }, t('common.edit')) },
		], ur.data.users));
		return null;
	}
	await reload();
	const create = form([
		{ name: 'name', label: t('signin.account'), required: true, maxlength: 128,
			hint: t('users.name_hint') },
		{ name: 'display_name', label: t('users.display_name'), maxlength: 128 },
		{ name: 'email', label: t('users.email_reset'), type: 'email', maxlength: 254 },
		{ name: 'roles', label: t('account.roles'), type: 'checkboxes', options: roleOptions },
		{ name: 'password', label: t('users.one_time'), type: 'password', required: true,
			autocomplete: 'new-password', hint: t('users.first_sign_in_hint') },
	], async (v, el) => {
		const res = await api('POST', '/api/v1/users', v);
		if (res.ok) {
			el.reset();
			show(created, notice(t('users.created', { name: res.data.name })));
			await reload();
		}
		return res;
	}, { submitLabel: t('users.create'), label: t('users.create_label') });
	show(main, h('h1', {}, t('nav.users')), listBox, editBox,
		h('section', { class: 'card' }, h('h2', {}, t('users.new')), created,
			h('p', { class: 'hint' }, t('users.membership_hint')), create));
}
