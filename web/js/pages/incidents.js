// Security officer: incidents with their alerts and timeline; status
// changes, notes, and the immediate responses (lock an account, block a
// device, switch an interface off).
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { notYet, severities, severityLabel } from './alerts.js';
import { t } from '../i18n.js';

// An incident status in the interface's language.
const statusLabel = (s) => (['open', 'responding', 'recovering', 'closed'].includes(s) ? t(`incidents.status_${s}`) : s);
const statuses = ['open', 'responding', 'recovering', 'closed'].map((s) => ({ value: s, get label() { return statusLabel(s); } }));
const actions = ['lock_user', 'block_device', 'interface_off'].map((a) => ({ value: a, get label() { return t(`incidents.action_${a}`); } }));

async function detail(box, id, reloadList) {
	const res = await api('GET', `/api/v1/incidents/${id}`);
	if (!res.ok) return show(box, notice(res.data.error, 'error'));
	const inc = res.data;
	const status = h('div', { role: 'status' });
	const again = () => detail(box, id, reloadList);
	const change = form([
		{ name: 'status', label: t('incidents.status'), type: 'select', options: statuses, value: inc.status },
		{ name: 'note', label: t('incidents.why'), type: 'textarea', maxlength: 2000 },
	], async (v) => {
		const r = await api('PATCH', `/api/v1/incidents/${id}`, v.note ? v : { status: v.status });
		if (r.ok) { again(); reloadList(); }
		return r;
	}, { submitLabel: t('incidents.change_status'), label: t('incidents.change_status') });
	const note = form([{ name: 'text', label: t('incidents.note'), type: 'textarea', required: true, maxlength: 2000 }], async (v) => {
		const r = await api('POST', `/api/v1/incidents/${id}/notes`, v);
		if (r.ok) again();
		return r;
	}, { submitLabel: t('incidents.add_note'), label: t('incidents.add_note') });
	const respond = form([
		{ name: 'action', label: t('incidents.response'), type: 'select', options: actions },
		{ name: 'target', label: t('incidents.target'), required: true, maxlength: 128 },
	], async (v) => {
		const target = v.action !== 'interface_off' && /^[0-9]+$/.test(v.target) ? Number(v.target) : v.target;
		const r = await api('POST', `/api/v1/incidents/${id}/actions`, { action: v.action, target });
		if (r.ok) { show(status, notice(t('incidents.done'))); again(); }
		return r;
	}, { submitLabel: t('incidents.carry_out'), label: t('incidents.respond') });
	show(box, h('section', { class: 'card' },
		h('h2', { tabindex: '-1' }, t('incidents.title_named', { id: String(inc.id), title: inc.title })), status,
		h('dl', { class: 'facts' },
			h('dt', {}, t('alerts.severity')), h('dd', {}, severityLabel(inc.severity)),
			h('dt', {}, t('incidents.status')), h('dd', {}, statusLabel(inc.status)),
			h('dt', {}, t('incidents.opened')), h('dd', {}, when(inc.opened)),
			h('dt', {}, t('incidents.closed')), h('dd', {}, when(inc.closed))),
		table(t('incidents.alerts'), [
			{ label: t('common.id'), cell: (a) => String(a.id) },
			{ label: t('alerts.kind'), cell: (a) => a.kind },
			{ label: t('alerts.summary'), cell: (a) => a.summary },
			{ label: t('alerts.last'), cell: (a) => when(a.last) },
		], inc.alerts || [], t('incidents.no_alerts')),
		table(t('incidents.timeline'), [
			{ label: t('common.time'), cell: (e) => when(e.time) },
			{ label: t('incidents.who'), cell: (e) => (e.user === null || e.user === undefined ? t('incidents.system') : String(e.user)) },
			{ label: t('incidents.what'), cell: (e) => e.kind },
			{ label: t('incidents.text'), cell: (e) => e.text },
		], inc.timeline || [], t('incidents.nothing')),
		h('h3', {}, t('incidents.status')), change, h('h3', {}, t('incidents.note')), note, h('h3', {}, t('incidents.respond')), respond));
	box.querySelector('h2').focus();
	return null;
}

export async function render(main) {
	const listBox = h('div');
	const detailBox = h('div');
	async function reload() {
		const res = await api('GET', '/api/v1/incidents');
		if (res.status === 404) return notYet(main, t('nav.incidents'));
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table(t('nav.incidents'), [
			{ label: t('common.id'), cell: (i) => String(i.id) },
			{ label: t('incidents.title'), cell: (i) => i.title },
			{ label: t('alerts.severity'), cell: (i) => h('span', { class: `sev sev-${i.severity}` }, severityLabel(i.severity)) },
			{ label: t('incidents.status'), cell: (i) => statusLabel(i.status) },
			{ label: t('incidents.opened'), cell: (i) => when(i.opened) },
			{ label: t('incidents.updated'), cell: (i) => when(i.updated) },
			{ label: t('common.actions'), cell: (i) => h('button', { type: 'button', class: 'secondary',
				'aria-label': t('incidents.open_named', { id: String(i.id) }), onclick: () => detail(detailBox, i.id, reload) }, t('incidents.open')) },
		], res.data.incidents, t('incidents.none')));
	}
	const create = form([
		{ name: 'title', label: t('incidents.title'), required: true, maxlength: 200 },
		{ name: 'severity', label: t('alerts.severity'), type: 'select', options: severities, value: 'medium' },
	], async (v, el) => {
		const res = await api('POST', '/api/v1/incidents', { ...v, alerts: [] });
		if (res.ok) { el.reset(); reload(); }
		return res;
	}, { submitLabel: t('incidents.open_incident'), label: t('alerts.open_incident') });
	show(main, h('h1', {}, t('nav.incidents')), listBox, detailBox,
		h('section', { class: 'card' }, h('h2', {}, t('incidents.new')), create));
	await reload();
}
