// Tenant administrators: tenants (wards, practices) and their members. A
// member whose password or second factor an administrator reset is
// suspended (no patient access) until confirmed here.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';

function members(box, t) {
	const status = h('div', { role: 'status' });
	const listBox = h('div');
	async function reload() {
		const res = await api('GET', `/api/v1/tenants/${t.id}/members`);
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table(`Members of ${t.name}`, [
			{ label: 'Account id', cell: (m) => String(m.id) },
			{ label: 'Account', cell: (m) => m.name },
			{ label: 'Name', cell: (m) => m.display_name },
			{ label: 'State', cell: (m) => (m.suspended
				? 'suspended: an administrator reset its password or second factor' : 'active') },
			{ label: 'Actions', cell: (m) => h('div', { class: 'actions' },
				m.suspended ? h('button', { type: 'button', 'aria-label': `Confirm ${m.name} again`,
					onclick: async () => {
						const r = await api('POST', `/api/v1/tenants/${t.id}/members/${m.id}/confirm`);
						show(status, r.ok ? notice(`${m.name} confirmed again in ${t.name}.`)
							: notice(r.data.error, 'error'));
						reload();
					} }, 'Confirm') : null,
				confirmButton('Remove', 'Really remove?', async () => {
					const r = await api('DELETE', `/api/v1/tenants/${t.id}/members/${m.id}`);
					show(status, r.ok ? notice(`${m.name} removed from ${t.name}.`) : notice(r.data.error, 'error'));
					reload();
				})) },
		], res.data.members, 'No members yet.'));
	}
	const add = form([
		{ name: 'user', label: 'Account id', required: true, inputmode: 'numeric', pattern: '[0-9]+',
			hint: 'The number an administrator sees in the account list.' },
	], async (v, el) => {
		if (!/^[1-9][0-9]{0,17}$/.test(v.user)) return { ok: false, data: { field: 'user', error: 'an account id is a number' } };
		const res = await api('PUT', `/api/v1/tenants/${t.id}/members/${v.user}`);
		if (res.status === 404) return { ok: false, data: { field: 'user', error: 'no account with this id' } };
		if (res.ok) {
			el.reset();
			show(status, notice(`Account ${v.user} added to ${t.name}.`));
			reload();
		}
		return res;
	}, { submitLabel: 'Add member', label: `Add a member to ${t.name}` });
	show(box, h('section', { class: 'card' }, h('h2', { tabindex: '-1' }, `Members of ${t.name}`),
		status, listBox, add));
	reload();
	box.querySelector('h2').focus();
}

function renamer(box, t, reload) {
	show(box, h('section', { class: 'card' }, h('h2', { tabindex: '-1' }, `Rename ${t.name}`),
		form([{ name: 'name', label: 'Name', required: true, value: t.name, maxlength: 128 }], async (v) => {
			const res = await api('PATCH', `/api/v1/tenants/${t.id}`, { name: v.name });
			if (res.ok) reload();
			return res;
		}, { submitLabel: 'Rename', label: `Rename ${t.name}` })));
	box.querySelector('h2').focus();
}

export async function render(main) {
	const listBox = h('div');
	const detail = h('div');
	const status = h('div', { role: 'status' });
	async function reload() {
		detail.replaceChildren();
		const res = await api('GET', '/api/v1/tenants');
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table('Tenants', [
			{ label: 'Id', cell: (t) => String(t.id) },
			{ label: 'Name', cell: (t) => t.name },
			{ label: 'Created', cell: (t) => when(t.created) },
			{ label: 'Actions', cell: (t) => h('span', { class: 'row-actions' },
				h('button', { type: 'button', class: 'secondary', onclick: () => members(detail, t) }, 'Members'),
				h('button', { type: 'button', class: 'secondary', onclick: () => renamer(detail, t, reload) }, 'Rename'),
				confirmButton('Delete', 'Really delete?', async () => {
					const r = await api('DELETE', `/api/v1/tenants/${t.id}`);
					show(status, r.ok ? notice(`Tenant ${t.name} deleted.`) : notice(r.data.error, 'error'));
					if (r.ok) reload();
				})) },
		], res.data.tenants));
	}
	const create = form([{ name: 'name', label: 'Name', required: true, maxlength: 128 }], async (v, el) => {
		const res = await api('POST', '/api/v1/tenants', { name: v.name });
		if (res.ok) {
			el.reset();
			show(status, notice(`Tenant ${res.data.name} created.`));
			reload();
		}
		return res;
	}, { submitLabel: 'Create tenant', label: 'Create a tenant' });
	document.title = 'Tenants — medgate';
	show(main, h('h1', {}, 'Tenants'), status, listBox, detail,
		h('section', { class: 'card' }, h('h2', {}, 'New tenant'), create));
	await reload();
}
