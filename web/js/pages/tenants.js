// Tenant administrators: tenants (wards, practices) and their members. A
// member whose password or second factor an administrator reset is
// suspended (no patient access) until confirmed here.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';
import { t as tr } from '../i18n.js';

function members(box, t) {
	const status = h('div', { role: 'status' });
	const listBox = h('div');
	async function reload() {
		const res = await api('GET', `/api/v1/tenants/${t.id}/members`);
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table(tr('tenants.members_of', { name: t.name }), [
			{ label: tr('tenants.account_id'), cell: (m) => String(m.id) },
			{ label: tr('account.account'), cell: (m) => m.name },
			{ label: tr('common.name'), cell: (m) => m.display_name },
			{ label: tr('common.state'), cell: (m) => (m.suspended
				? tr('tenants.suspended') : tr('totp.active')) },
			{ label: tr('common.actions'), cell: (m) => h('div', { class: 'actions' },
				m.suspended ? h('button', { type: 'button', 'aria-label': tr('tenants.confirm_again', { name: m.name }),
					onclick: async () => {
						const r = await api('POST', `/api/v1/tenants/${t.id}/members/${m.id}/confirm`);
						show(status, r.ok ? notice(tr('tenants.confirmed', { name: m.name, tenant: t.name }))
							: notice(r.data.error, 'error'));
						reload();
					} }, tr('tenants.confirm')) : null,
				confirmButton(tr('common.remove'), tr('common.really_remove'), async () => {
					const r = await api('DELETE', `/api/v1/tenants/${t.id}/members/${m.id}`);
					show(status, r.ok ? notice(tr('tenants.removed', { name: m.name, tenant: t.name })) : notice(r.data.error, 'error'));
					reload();
				})) },
		], res.data.members, tr('tenants.no_members')));
	}
	const add = form([
		{ name: 'user', label: tr('tenants.account_id'), required: true, inputmode: 'numeric', pattern: '[0-9]+',
			hint: tr('tenants.account_id_hint') },
	], async (v, el) => {
		if (!/^[1-9][0-9]{0,17}$/.test(v.user)) return { ok: false, data: { field: 'user', error: tr('tenants.id_number') } };
		const res = await api('PUT', `/api/v1/tenants/${t.id}/members/${v.user}`);
		if (res.status === 404) return { ok: false, data: { field: 'user', error: tr('tenants.no_account') } };
		if (res.ok) {
			el.reset();
			show(status, notice(tr('tenants.added', { id: v.user, tenant: t.name })));
			reload();
		}
		return res;
	}, { submitLabel: tr('tenants.add'), label: tr('tenants.add_to', { name: t.name }) });
	show(box, h('section', { class: 'card' }, h('h2', { tabindex: '-1' }, tr('tenants.members_of', { name: t.name })),
		status, listBox, add));
	reload();
	box.querySelector('h2').focus();
}

function renamer(box, t, reload) {
	show(box, h('section', { class: 'card' }, h('h2', { tabindex: '-1' }, tr('tenants.rename_named', { name: t.name })),
		form([{ name: 'name', label: tr('common.name'), required: true, value: t.name, maxlength: 128 }], async (v) => {
			const res = await api('PATCH', `/api/v1/tenants/${t.id}`, { name: v.name });
			if (res.ok) reload();
			return res;
		}, { submitLabel: tr('tenants.rename'), label: tr('tenants.rename_named', { name: t.name }) })));
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
		return show(listBox, table(tr('nav.tenants'), [
			{ label: tr('common.id'), cell: (t) => String(t.id) },
			{ label: tr('common.name'), cell: (t) => t.name },
			{ label: tr('tenants.created_col'), cell: (t) => when(t.created) },
			{ label: tr('common.actions'), cell: (t) => h('span', { class: 'row-actions' },
				h('button', { type: 'button', class: 'secondary', onclick: () => members(detail, t) }, tr('tenants.members')),
				h('button', { type: 'button', class: 'secondary', onclick: () => renamer(detail, t, reload) }, tr('tenants.rename')),
				confirmButton(tr('common.delete'), tr('common.really_delete'), async () => {
					const r = await api('DELETE', `/api/v1/tenants/${t.id}`);
					show(status, r.ok ? notice(tr('tenants.deleted', { name: t.name })) : notice(r.data.error, 'error'));
					if (r.ok) reload();
				})) },
		], res.data.tenants));
	}
	const create = form([{ name: 'name', label: tr('common.name'), required: true, maxlength: 128 }], async (v, el) => {
		const res = await api('POST', '/api/v1/tenants', { name: v.name });
		if (res.ok) {
			el.reset();
			show(status, notice(tr('tenants.created', { name: res.data.name })));
			reload();
		}
		return res;
	}, { submitLabel: tr('tenants.create'), label: tr('tenants.create_label') });
	show(main, h('h1', {}, tr('nav.tenants')), status, listBox, detail,
		h('section', { class: 'card' }, h('h2', {}, tr('tenants.new')), create));
	await reload();
}
