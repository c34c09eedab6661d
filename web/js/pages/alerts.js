// Security officer: alerts raised by the detection rules; acknowledge
// them, or open an incident from a selection.
import { api, query } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { go } from '../app.js';

export function notYet(box, title) {
	return show(box, h('h1', {}, title),
		notice('This gateway does not offer this yet (its API answers 404); it appears with a later version.', 'warning'));
}

export const severities = ['low', 'medium', 'high', 'critical'].map((s) => ({ value: s, label: s }));

// The components a known advisory affects (medgatectl advisories import)
// and a newer medgate, if the signed release feed named one
// (medgatectl update-check): GET /api/v1/advisories, docs/sbom.md.
async function components() {
	const res = await api('GET', '/api/v1/advisories');
	if (!res.ok) return null;
	const { update, affected } = res.data;
	const updateLine = update && update.latest
		? notice(`medgate ${update.latest}${update.date ? ` (${update.date})` : ''} is available; this gateway runs ${update.current}.`
			+ `${update.security ? ' It is a security update.' : ''} Fixes: ${update.fixes.join('; ') || 'see the release notes'}.`,
		update.security ? 'error' : 'warning')
		: (update ? h('p', { id: 'update-status' }, `medgate ${update.current} is the newest release known.`) : null);
	const list = res.data.import ? table('Installed components affected by known advisories', [
		{ label: 'Package', cell: (a) => a.package },
		{ label: 'Advisory', cell: (a) => a.advisory },
		{ label: 'Installed', cell: (a) => a.installed },
		{ label: 'Fixed in', cell: (a) => a.fixed || 'no fix released yet' },
		{ label: 'Summary', cell: (a) => a.summary },
	], affected, 'No installed component is affected by the last imported feed.')
		: h('p', {}, 'No advisory feed imported yet (medgatectl advisories import FILE).');
	return h('section', { class: 'card', id: 'components' }, h('h2', {}, 'Components and updates'), updateLine, list);
}

export async function render(main) {
	document.title = 'Alerts — medgate';
	const filter = h('select', { id: 'alert-state' },
		h('option', { value: 'open' }, 'open'), h('option', { value: 'acknowledged' }, 'acknowledged'));
	const listBox = h('div');
	const status = h('div', { role: 'status' });
	const chosen = new Set();

	async function reload() {
		chosen.clear();
		const res = await api('GET', `/api/v1/alerts${query({ state: filter.value, limit: 200 })}`);
		if (res.status === 404) return notYet(main, 'Alerts');
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		return show(listBox, table(`Alerts (${filter.value})`, [
			{ label: 'Select', cell: (a) => h('input', { type: 'checkbox', 'aria-label': `Select alert ${a.id}`,
				onchange: (ev) => (ev.target.checked ? chosen.add(a.id) : chosen.delete(a.id)) }) },
			{ label: 'Severity', cell: (a) => h('span', { class: `sev sev-${a.severity}` }, a.severity) },
			{ label: 'Kind', cell: (a) => a.kind },
			{ label: 'Subject', cell: (a) => a.subject },
			{ label: 'Summary', cell: (a) => a.summary },
			{ label: 'First', cell: (a) => when(a.first) },
			{ label: 'Last', cell: (a) => when(a.last) },
			{ label: 'Count', class: 'num', cell: (a) => String(a.count) },
			{ label: 'Incident', cell: (a) => (a.incident ? h('a', { href: '#/incidents' }, `#${a.incident}`) : '') },
			{ label: 'Actions', cell: (a) => (a.state === 'open' ? h('button', { type: 'button', class: 'secondary',
				onclick: async () => {
					const r = await api('POST', `/api/v1/alerts/${a.id}/acknowledge`);
					show(status, r.ok ? notice(`Alert ${a.id} acknowledged.`) : notice(r.data.error, 'error'));
					if (r.ok) reload();
				} }, 'Acknowledge') : a.state) },
		], res.data.alerts, 'No alerts in this state.'));
	}
	filter.addEventListener('change', reload);
	const open = form([
		{ name: 'title', label: 'Incident title', required: true, maxlength: 200 },
		{ name: 'severity', label: 'Severity', type: 'select', options: severities, value: 'medium' },
	], async (v) => {
		const res = await api('POST', '/api/v1/incidents', { title: v.title, severity: v.severity, alerts: [...chosen] });
		if (res.ok) go('incidents');
		return res;
	}, { submitLabel: 'Open incident from selected alerts', label: 'Open an incident' });
	show(main, h('h1', {}, 'Alerts'), status,
		h('div', { class: 'filters' }, h('label', { for: 'alert-state' }, 'State'), filter),
		listBox, h('section', { class: 'card' }, h('h2', {}, 'Open an incident'), open),
		await components());
	await reload();
}
