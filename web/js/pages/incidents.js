// Security officer: incidents with their alerts and timeline; status
// changes, notes, and the immediate responses (lock an account, block a
// device, switch an interface off).
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { notYet, severities } from './alerts.js';

const statuses = ['open', 'responding', 'recovering', 'closed'].map((s) => ({ value: s, label: s }));
const actions = [
	{ value: 'lock_user', label: 'Lock an account (account id)' },
	{ value: 'block_device', label: 'Block a device (device id)' },
	{ value: 'interface_off', label: 'Switch an interface off (device, enrolment, mllp, emr)' },
];

async function detail(box, id, reloadList) {
	const res = await api('GET', `/api/v1/incidents/${id}`);
	if (!res.ok) return show(box, notice(res.data.error, 'error'));
	const inc = res.data;
	const status = h('div', { role: 'status' });
	const again = () => detail(box, id, reloadList);
	const change = form([
		{ name: 'status', label: 'Status', type: 'select', options: statuses, value: inc.status },
		{ name: 'note', label: 'Why', type: 'textarea', maxlength: 2000 },
	], async (v) => {
		const r = await api('PATCH', `/api/v1/incidents/${id}`, v.note ? v : { status: v.status });
		if (r.ok) { again(); reloadList(); }
		return r;
	}, { submitLabel: 'Change status', label: 'Change status' });
	const note = form([{ name: 'text', label: 'Note', type: 'textarea', required: true, maxlength: 2000 }], async (v) => {
		const r = await api('POST', `/api/v1/incidents/${id}/notes`, v);
		if (r.ok) again();
		return r;
	}, { submitLabel: 'Add note', label: 'Add a note' });
	const respond = form([
		{ name: 'action', label: 'Response', type: 'select', options: actions },
		{ name: 'target', label: 'Target', required: true, maxlength: 128 },
	], async (v) => {
		const target = v.action !== 'interface_off' && /^[0-9]+$/.test(v.target) ? Number(v.target) : v.target;
		const r = await api('POST', `/api/v1/incidents/${id}/actions`, { action: v.action, target });
		if (r.ok) { show(status, notice('Done; the timeline records it.')); again(); }
		return r;
	}, { submitLabel: 'Carry out', label: 'Respond' });
	show(box, h('section', { class: 'card' },
		h('h2', { tabindex: '-1' }, `Incident ${inc.id}: ${inc.title}`), status,
		h('dl', { class: 'facts' },
			h('dt', {}, 'Severity'), h('dd', {}, inc.severity),
			h('dt', {}, 'Status'), h('dd', {}, inc.status),
			h('dt', {}, 'Opened'), h('dd', {}, when(inc.opened)),
			h('dt', {}, 'Closed'), h('dd', {}, when(inc.closed))),
		table('Alerts of this incident', [
			{ label: 'Id', cell: (a) => String(a.id) },
			{ label: 'Kind', cell: (a) => a.kind },
			{ label: 'Summary', cell: (a) => a.summary },
			{ label: 'Last', cell: (a) => when(a.last) },
		], inc.alerts || [], 'No alerts attached.'),
		table('Timeline', [
			{ label: 'Time', cell: (e) => when(e.time) },
			{ label: 'Who (account id)', cell: (e) => (e.user === null || e.user === undefined ? 'system' : String(e.user)) },
			{ label: 'What', cell: (e) => e.kind },
			{ label: 'Text', cell: (e) => e.text },
		], inc.timeline || [], 'Nothing recorded yet.'),
		h('h3', {}, 'Status'), change, h('h3', {}, 'Note'), note, h('h3', {}, 'Respond'), respond));
	box.querySelector('h2').focus();
	return null;
}

export async function render(main) {
	document.title = 'Incidents — medgate';
	const listBox = h('div');
	const detailBox = h('div');
	async function reload() {
		const res = await api('GET', '/api/v1/incidents');
		if (res.status === 404) return notYet(main, 'Incidents');
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table('Incidents', [
			{ label: 'Id', cell: (i) => String(i.id) },
			{ label: 'Title', cell: (i) => i.title },
			{ label: 'Severity', cell: (i) => h('span', { class: `sev sev-${i.severity}` }, i.severity) },
			{ label: 'Status', cell: (i) => i.status },
			{ label: 'Opened', cell: (i) => when(i.opened) },
			{ label: 'Updated', cell: (i) => when(i.updated) },
			{ label: 'Actions', cell: (i) => h('button', { type: 'button', class: 'secondary',
				'aria-label': `Open incident ${i.id}`, onclick: () => detail(detailBox, i.id, reload) }, 'Open') },
		], res.data.incidents, 'No incidents.'));
	}
	const create = form([
		{ name: 'title', label: 'Title', required: true, maxlength: 200 },
		{ name: 'severity', label: 'Severity', type: 'select', options: severities, value: 'medium' },
	], async (v, el) => {
		const res = await api('POST', '/api/v1/incidents', { ...v, alerts: [] });
		if (res.ok) { el.reset(); reload(); }
		return res;
	}, { submitLabel: 'Open incident', label: 'Open an incident' });
	show(main, h('h1', {}, 'Incidents'), listBox, detailBox,
		h('section', { class: 'card' }, h('h2', {}, 'New incident'), create));
	await reload();
}
