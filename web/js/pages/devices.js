// Device administrators: devices (tenant, status, firmware, last seen,
// certificate expiry), moving them between tenants, blocking, revoking,
// and one-time enrolment tokens.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';

// The enrolled model, and a warning when the device reports another one.
function model(d) {
	if (!d.model) return 'not named';
	if (!d.model_mismatch) return d.model;
	return h('span', { class: 'bad' }, `${d.model} (now reports ${d.reported_model})`);
}

// The firmware, flagged below its model's minimum secure version or when
// the device reports none.
function firmware(d) {
	if (d.firmware_flag === 'below_minimum')
		return h('span', { class: 'bad' }, `${d.firmware || 'not reported'} (below the minimum secure version)`);
	if (d.firmware_flag === 'unknown') return h('span', { class: 'warn' }, 'not reported');
	return d.firmware;
}

function expiry(text) {
	if (!text) return '—';
	const days = Math.floor((new Date(text) - Date.now()) / 86400e3);
	const label = when(text);
	if (days < 0) return h('span', { class: 'bad' }, `${label} (expired)`);
	if (days < 30) return h('span', { class: 'warn' }, `${label} (${days} days left)`);
	return label;
}

function deviceEditor(box, d, tenants, reload) {
	const status = h('div', { role: 'status' });
	const move = form([
		{ name: 'tenant', label: 'Tenant', type: 'select', value: String(d.tenant),
			options: tenants.map((t) => ({ value: String(t.id), label: t.name })) },
	], async (v) => {
		const res = await api('PATCH', `/api/v1/devices/${d.id}`, { tenant: Number(v.tenant) });
		if (res.ok) reload();
		return res;
	}, { submitLabel: 'Move device', label: `Move ${d.name}` });
	const setStatus = async (s) => {
		const res = await api('PATCH', `/api/v1/devices/${d.id}`, { status: s });
		show(status, res.ok ? notice(`${d.name} is now ${s}.`) : notice(res.data.error, 'error'));
		if (res.ok) reload();
	};
	show(box, h('section', { class: 'card' }, h('h2', { tabindex: '-1' }, `Device ${d.name}`), status,
		h('dl', { class: 'facts' },
			h('dt', {}, 'Certificate fingerprint'), h('dd', {}, h('code', {}, d.certificate_fingerprint || '—')),
			h('dt', {}, 'Enrolled'), h('dd', {}, when(d.enrolled))),
		move,
		h('div', { class: 'actions' },
			d.status === 'blocked'
				? h('button', { type: 'button', onclick: () => setStatus('active') }, 'Unblock')
				: d.status === 'active' ? h('button', { type: 'button', onclick: () => setStatus('blocked') }, 'Block') : null,
			d.status !== 'revoked'
				? confirmButton('Revoke certificate', 'Really revoke? This cannot be undone', () => setStatus('revoked')) : null)));
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
		return show(listBox, table('Devices', [
			{ label: 'Id', cell: (d) => String(d.id) },
			{ label: 'Name', cell: (d) => d.name },
			{ label: 'Tenant', cell: (d) => tenantName(d.tenant) },
			{ label: 'Status', cell: (d) => h('span', { class: `status status-${d.status}` }, d.status) },
			{ label: 'Model', cell: model },
			{ label: 'Firmware', cell: firmware },
			{ label: 'Last seen', cell: (d) => when(d.last_seen) },
			{ label: 'Certificate expires', cell: (d) => expiry(d.certificate_expires) },
			{ label: 'Actions', cell: (d) => h('button', { type: 'button', class: 'secondary',
				'aria-label': `Manage ${d.name}`, onclick: () => deviceEditor(detail, d, tenants, reload) }, 'Manage') },
		], dr.data.devices, 'No devices enrolled yet.'));
	}
	await reload();
	const token = form([
		{ name: 'name', label: 'Device name', required: true, maxlength: 128 },
		{ name: 'tenant', label: 'Tenant', type: 'select', options: tenants.map((t) => ({ value: String(t.id), label: t.name })) },
	], async (v) => {
		const res = await api('POST', '/api/v1/devices/tokens', { name: v.name, tenant: Number(v.tenant) });
		if (res.ok) {
			show(tokenBox, notice('Enrolment token made. Enter it on the device; it works once and is shown only now.'),
				h('dl', { class: 'facts' },
					h('dt', {}, 'Token'), h('dd', {}, h('code', { class: 'secret' }, res.data.token)),
					h('dt', {}, 'Device'), h('dd', {}, res.data.name),
					h('dt', {}, 'Valid until'), h('dd', {}, when(res.data.expires))));
		}
		return res;
	}, { submitLabel: 'Make token', label: 'Make an enrolment token' });
	document.title = 'Devices — medgate';
	show(main, h('h1', {}, 'Devices'), listBox, detail,
		h('section', { class: 'card' }, h('h2', {}, 'Enrolment token'), token, tokenBox));
}
