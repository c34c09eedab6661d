// Device administrators: devices (tenant, status, firmware, last seen,
// certificate expiry), moving them between tenants, blocking, revoking,
// and one-time enrolment tokens.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';
import { t } from '../i18n.js';

// A device status (active, blocked, revoked) in the interface's language.
export const statusLabel = (s) => (['active', 'blocked', 'revoked'].includes(s) ? t(`devices.status_${s}`) : s);

// The enrolled model, and a warning when the device reports another one.
function model(d) {
	if (!d.model) return t('devices.not_named');
	if (!d.model_mismatch) return d.model;
	return h('span', { class: 'bad' }, t('devices.model_mismatch', { model: d.model, reported: d.reported_model }));
}

// The firmware, flagged below its model's minimum secure version or when
// the device reports none.
function firmware(d) {
	if (d.firmware_flag === 'below_minimum')
		return h('span', { class: 'bad' }, t('devices.below_minimum', { firmware: d.firmware || t('devices.not_reported') }));
	if (d.firmware_flag === 'unknown') return h('span', { class: 'warn' }, t('devices.not_reported'));
	return d.firmware;
}

function expiry(text) {
	if (!text) return '—';
	const days = Math.floor((new Date(text) - Date.now()) / 86400e3);
	const label = when(text);
	if (days < 0) return h('span', { class: 'bad' }, t('devices.expired', { time: label }));
	if (days < 30) return h('span', { class: 'warn' }, t('devices.days_left', { time: label, count: days }));
	return label;
}

function deviceEditor(box, d, tenants, reload) {
	const status = h('div', { role: 'status' });
	const move = form([
		{ name: 'tenant', label: t('health.tenant'), type: 'select', value: String(d.tenant),
			options: tenants.map((t) => ({ value: String(t.id), label: t.name })) },
	], async (v) => {
		const res = await api('PATCH', `/api/v1/devices/${d.id}`, { tenant: Number(v.tenant) });
		if (res.ok) reload();
		return res;
	}, { submitLabel: t('devices.move'), label: t('devices.move_named', { name: d.name }) });
	const setStatus = async (s) => {
		const res = await api('PATCH', `/api/v1/devices/${d.id}`, { status: s });
		show(status, res.ok ? notice(t('devices.now', { name: d.name, status: statusLabel(s) })) : notice(res.data.error, 'error'));
		if (res.ok) reload();
	};
	show(box, h('section', { class: 'card' }, h('h2', { tabindex: '-1' }, t('devices.device_named', { name: d.name })), status,
		h('dl', { class: 'facts' },
			h('dt', {}, t('devices.fingerprint')), h('dd', {}, h('code', {}, d.certificate_fingerprint || '—')),
			h('dt', {}, t('devices.enrolled')), h('dd', {}, when(d.enrolled))),
		move,
		h('div', { class: 'actions' },
			d.status === 'blocked'
				? h('button', { type: 'button', onclick: () => setStatus('active') }, t('devices.unblock'))
				: d.status === 'active' ? h('button', { type: 'button', onclick: () => setStatus('blocked') }, t('devices.block')) : null,
			d.status !== 'revoked'
				? confirmButton(t('devices.revoke'), t('devices.really_revoke'), () => setStatus('revoked')) : null)));
	box.querySelector('h2').focus();
}

export async function render(main) {
	const listBox = h('div');
	const detail = h('div');
	const tokenBox = h('div', { role: 'status' });
	let tenants = [];
	const tenantName = (id) => (tenants.find((t) => t.id === id) || { name: `#${id}` }).name;
	async function reload() {
		const [dr, tr] = await Promise.all([api('GET', '/api/v1/devices'), api('GET', '/api/v1/tenants')]);
		if (!dr.ok) return show(listBox, notice(dr.data.error, 'error'));
		tenants = tr.ok ? tr.data.tenants : [];
		detail.replaceChildren();
		return show(listBox, table(t('nav.devices'), [
			{ label: t('common.id'), cell: (d) => String(d.id) },
			{ label: t('common.name'), cell: (d) => d.name },
			{ label: t('health.tenant'), cell: (d) => tenantName(d.tenant) },
			{ label: t('common.state'), cell: (d) => h('span', { class: `status status-${d.status}` }, statusLabel(d.status)) },
			{ label: t('devices.model'), cell: model },
			{ label: t('devices.firmware'), cell: firmware },
			{ label: t('health.last_seen'), cell: (d) => when(d.last_seen) },
			{ label: t('devices.cert_expires'), cell: (d) => expiry(d.certificate_expires) },
			{ label: t('common.actions'), cell: (d) => h('button', { type: 'button', class: 'secondary',
				'aria-label': t('devices.manage_named', { name: d.name }), onclick: () => deviceEditor(detail, d, tenants, reload) }, t('devices.manage')) },
		], dr.data.devices, t('devices.none')));
	}
	await reload();
	const token = form([
		{ name: 'name', label: t('devices.name'), required: true, maxlength: 128 },
		{ name: 'tenant', label: t('health.tenant'), type: 'select', options: tenants.map((t) => ({ value: String(t.id), label: t.name })) },
	], async (v) => {
		const res = await api('POST', '/api/v1/devices/tokens', { name: v.name, tenant: Number(v.tenant) });
		if (res.ok) {
			show(tokenBox, notice(t('devices.token_made')),
				h('dl', { class: 'facts' },
					h('dt', {}, t('devices.token')), h('dd', {}, h('code', { class: 'secret' }, res.data.token)),
					h('dt', {}, t('health.device')), h('dd', {}, res.data.name),
					h('dt', {}, t('devices.valid_until')), h('dd', {}, when(res.data.expires))));
		}
		return res;
	}, { submitLabel: t('devices.make_token'), label: t('devices.make_token_label') });
	show(main, h('h1', {}, t('nav.devices')), listBox, detail,
		h('section', { class: 'card' }, h('h2', {}, t('devices.enrolment_token')), token, tokenBox));
}
