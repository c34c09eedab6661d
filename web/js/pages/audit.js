// Security officer: the audit trail with filters (time span, action,
// actor, object).
import { api, query } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { notYet } from './alerts.js';

function isoOrEmpty(local) {
	if (!local) return '';
	const d = new Date(local);
	return Number.isNaN(d.getTime()) ? local : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function render(main) {
	document.title = 'Audit trail — medgate';
	const listBox = h('div', { 'aria-live': 'polite' });
	async function load(v) {
		const params = { ...v, since: isoOrEmpty(v.since), until: isoOrEmpty(v.until) };
		const res = await api('GET', `/api/v1/audit${query(params)}`);
		if (res.status === 404 && res.data.error === 'no such resource') {
			notYet(main, 'Audit trail');
			return { ok: true };
		}
		if (res.ok) {
			show(listBox, table(`${res.data.records.length} records`, [
				{ label: 'Seq', class: 'num', cell: (r) => String(r.seq) },
				{ label: 'Time', cell: (r) => when(r.time) },
				{ label: 'Actor', cell: (r) => r.actor },
				{ label: 'Roles', cell: (r) => r.roles },
				{ label: 'Address', cell: (r) => r.address },
				{ label: 'Action', cell: (r) => r.action },
				{ label: 'Object', cell: (r) => r.object },
				{ label: 'Tenant', cell: (r) => (r.tenant_id ? String(r.tenant_id) : '') },
				{ label: 'Outcome', cell: (r) => (r.malformed ? h('span', { class: 'bad' }, 'malformed record')
					: h('span', { class: `outcome outcome-${r.outcome}` }, r.outcome)) },
				{ label: 'Details', cell: (r) => (r.details ? h('code', {}, typeof r.details === 'string' ? r.details : JSON.stringify(r.details)) : '') },
			], res.data.records, 'No records match.'));
		}
		return res;
	}
	const filters = form([
		{ name: 'since', label: 'From', type: 'datetime-local' },
		{ name: 'until', label: 'Until', type: 'datetime-local' },
		{ name: 'action', label: 'Action', maxlength: 64, hint: 'e.g. login.failure, patient.read' },
		{ name: 'actor', label: 'Actor', maxlength: 128 },
		{ name: 'object', label: 'Object', maxlength: 64, hint: 'e.g. user:3, device:7' },
		{ name: 'limit', label: 'At most', type: 'number', value: '200', min: 1, max: 1000 },
	], load, { submitLabel: 'Show records', class: 'filters-form', label: 'Filter the audit trail' });
	show(main, h('h1', {}, 'Audit trail'), h('section', { class: 'card no-print' }, filters), listBox);
	await load({ since: '', until: '', action: '', actor: '', object: '', limit: '200' });
}
