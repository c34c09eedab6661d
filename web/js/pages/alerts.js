// Security officer: alerts raised by the detection rules; acknowledge
// them, or open an incident from a selection.
import { api, query } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { go } from '../app.js';
import { t, number } from '../i18n.js';

export function notYet(box, title) {
	return show(box, h('h1', {}, title),
		notice(t('common.not_yet'), 'warning'));
}

// A severity in the interface's language.
export const severityLabel = (s) => (['low', 'medium', 'high', 'critical'].includes(s) ? t(`severity.${s}`) : s);
export const severities = ['low', 'medium', 'high', 'critical'].map((s) => ({ value: s, get label() { return severityLabel(s); } }));

// The components a known advisory affects (medgatectl advisories import)
// and a newer medgate, if the signed release feed named one
// (medgatectl update-check): GET /api/v1/advisories, docs/sbom.md.
async function components() {
	const res = await api('GET', '/api/v1/advisories');
	if (!res.ok) return null;
	const { update, affected } = res.data;
	const updateLine = update && update.latest
		? notice(`${t('alerts.update', { latest: update.latest + (update.date ? ` (${update.date})` : ''), current: update.current })}`
			+ `${update.security ? ` ${t('alerts.security_update')}` : ''} ${t('alerts.fixes', { fixes: update.fixes.join('; ') || t('alerts.release_notes') })}`,
		update.security ? 'error' : 'warning')
		: (update ? h('p', { id: 'update-status' }, t('alerts.newest', { current: update.current })) : null);
	const list = res.data.import ? table(t('alerts.affected'), [
		{ label: t('alerts.package'), cell: (a) => a.package },
		{ label: t('alerts.advisory'), cell: (a) => a.advisory },
		{ label: t('alerts.installed'), cell: (a) => a.installed },
		{ label: t('alerts.fixed_in'), cell: (a) => a.fixed || t('alerts.no_fix') },
		{ label: t('alerts.summary'), cell: (a) => a.summary },
	], affected, t('alerts.none_affected'))
		: h('p', {}, t('alerts.no_feed'));
	return h('section', { class: 'card', id: 'components' }, h('h2', {}, t('alerts.components')), updateLine, list);
}

export async function render(main) {
	const filter = h('select', { id: 'alert-state' },
		h('option', { value: 'open' }, t('alerts.state_open')), h('option', { value: 'acknowledged' }, t('alerts.state_acknowledged')));
	const listBox = h('div');
	const status = h('div', { role: 'status' });
	const chosen = new Set();

	async function reload() {
		chosen.clear();
		const res = await api('GET', `/api/v1/alerts${query({ state: filter.value, limit: 200 })}`);
		if (res.status === 404) return notYet(main, t('nav.alerts'));
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table(t('alerts.caption', { state: t(`alerts.state_${filter.value}`) }), [
			{ label: t('alerts.select'), cell: (a) => h('input', { type: 'checkbox', 'aria-label': t('alerts.select_named', { id: a.id }),
				onchange: (ev) => (ev.target.checked ? chosen.add(a.id) : chosen.delete(a.id)) }) },
			{ label: t('alerts.severity'), cell: (a) => h('span', { class: `sev sev-${a.severity}` }, severityLabel(a.severity)) },
			{ label: t('alerts.kind'), cell: (a) => a.kind },
			{ label: t('alerts.subject'), cell: (a) => a.subject },
			{ label: t('alerts.summary'), cell: (a) => a.summary },
			{ label: t('alerts.first'), cell: (a) => when(a.first) },
			{ label: t('alerts.last'), cell: (a) => when(a.last) },
			{ label: t('alerts.count'), class: 'num', cell: (a) => number(a.count) },
			{ label: t('alerts.incident'), cell: (a) => (a.incident ? h('a', { href: '#/incidents' }, `#${a.incident}`) : '') },
			{ label: t('common.actions'), cell: (a) => (a.state === 'open' ? h('button', { type: 'button', class: 'secondary',
				onclick: async () => {
					const r = await api('POST', `/api/v1/alerts/${a.id}/acknowledge`);
					show(status, r.ok ? notice(t('alerts.acknowledged', { id: String(a.id) })) : notice(r.data.error, 'error'));
					if (r.ok) reload();
				} }, t('alerts.acknowledge')) : t(`alerts.state_${a.state}`)) },
		], res.data.alerts, t('alerts.none')));
	}
	filter.addEventListener('change', reload);
	const open = form([
		{ name: 'title', label: t('alerts.incident_title'), required: true, maxlength: 200 },
		{ name: 'severity', label: t('alerts.severity'), type: 'select', options: severities, value: 'medium' },
	], async (v) => {
		const res = await api('POST', '/api/v1/incidents', { title: v.title, severity: v.severity, alerts: [...chosen] });
		if (res.ok) go('incidents');
		return res;
	}, { submitLabel: t('alerts.open_from_selected'), label: t('alerts.open_incident') });
	show(main, h('h1', {}, t('nav.alerts')), status,
		h('div', { class: 'filters' }, h('label', { for: 'alert-state' }, t('common.state')), filter),
		listBox, h('section', { class: 'card' }, h('h2', {}, t('alerts.open_incident')), open),
		await components());
	await reload();
}
