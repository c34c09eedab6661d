// Changes to review (IEC 80001-1, docs/changes.md): devices enrolled,
// moved, blocked, revoked; interfaces switched; accounts, roles, tenants
// and settings changed; medgate.conf edited between two starts. A
// security officer marks each reviewed with a note.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { hasRole } from '../session.js';

function details(d) {
	return typeof d === 'string' ? d : JSON.stringify(d);
}

export async function render(main) {
	document.title = 'Changes — medgate';
	const list = h('div', {});
	const status = h('div', { role: 'status' });
	const filter = h('select', { id: 'changes-state', 'aria-label': 'Which changes' },
		h('option', { value: 'unreviewed' }, 'Unreviewed'), h('option', { value: 'reviewed' }, 'Reviewed'));
	async function reload() {
		const res = await api('GET', `/api/v1/changes?state=${filter.value}&limit=100`);
		if (!res.ok) return show(list, notice(res.data.error, 'error'));
		const reviewer = hasRole('security-officer') && filter.value === 'unreviewed';
		const columns = [
			{ label: 'Id', class: 'num', cell: (c) => String(c.id) },
			{ label: 'Time', cell: (c) => when(c.time) },
			{ label: 'Action', cell: (c) => c.action },
			{ label: 'By', cell: (c) => c.actor },
			{ label: 'Object', cell: (c) => c.object },
			{ label: 'Details', cell: (c) => details(c.details) },
		];
		if (filter.value === 'reviewed') {
			columns.push({ label: 'Reviewed', cell: (c) => `${when(c.reviewed_at)} by ${c.reviewer}` },
				{ label: 'Note', cell: (c) => c.note });
		}
		if (reviewer) {
			columns.push({ label: 'Review', cell: (c) => form([
				{ name: 'note', label: `Note on change ${c.id}`, maxlength: 500 },
			], async (v) => {
				const r = await api('POST', `/api/v1/changes/${c.id}/review`, { note: v.note || '' });
				if (r.ok) {
					show(status, notice(`Change ${c.id} reviewed.`));
					reload();
				}
				return r;
			}, { submitLabel: 'Mark reviewed', label: `Review change ${c.id}` }) });
		}
		return show(list, h('p', {}, `${res.data.unreviewed} unreviewed.`),
			table('Changes', columns, res.data.changes, 'No changes in this state.'));
	}
	filter.addEventListener('change', reload);
	show(main, h('h1', {}, 'Changes to review'), status,
		h('label', { for: 'changes-state' }, 'Show '), filter, list);
	return reload();
}
