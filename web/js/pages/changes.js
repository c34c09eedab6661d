// Changes to review (IEC 80001-1, docs/changes.md): devices enrolled,
// moved, blocked, revoked; interfaces switched; accounts, roles, tenants
// and settings changed; medgate.conf edited between two starts. A
// security officer marks each reviewed with a note.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { hasRole } from '../session.js';
import { t } from '../i18n.js';

function details(d) {
	return typeof d === 'string' ? d : JSON.stringify(d);
}

export async function render(main) {
	const list = h('div', {});
	const status = h('div', { role: 'status' });
	const filter = h('select', { id: 'changes-state', 'aria-label': t('changes.which') },
		h('option', { value: 'unreviewed' }, t('changes.unreviewed')), h('option', { value: 'reviewed' }, t('changes.reviewed')));
	async function reload() {
		const res = await api('GET', `/api/v1/changes?state=${filter.value}&limit=100`);
		if (!res.ok) return show(list, notice(res.data.error, 'error'));
		const reviewer = hasRole('security-officer') && filter.value === 'unreviewed';
		const columns = [
			{ label: t('common.id'), class: 'num', cell: (c) => String(c.id) },
			{ label: t('common.time'), cell: (c) => when(c.time) },
			{ label: t('audit.action'), cell: (c) => c.action },
			{ label: t('changes.by'), cell: (c) => c.actor },
			{ label: t('audit.object'), cell: (c) => c.object },
			{ label: t('audit.details'), cell: (c) => details(c.details) },
		];
		if (filter.value === 'reviewed') {
			columns.push({ label: t('changes.reviewed_col'), cell: (c) => t('changes.reviewed_by', { time: when(c.reviewed_at), name: c.reviewer }) },
				{ label: t('incidents.note'), cell: (c) => c.note });
		}
		if (reviewer) {
			columns.push({ label: t('changes.review'), cell: (c) => form([
				{ name: 'note', label: t('changes.note_on', { id: String(c.id) }), maxlength: 500 },
			], async (v) => {
				const r = await api('POST', `/api/v1/changes/${c.id}/review`, { note: v.note || '' });
				if (r.ok) {
					show(status, notice(t('changes.done', { id: String(c.id) })));
					reload();
				}
				return r;
			}, { submitLabel: t('changes.mark'), label: t('changes.review_named', { id: String(c.id) }) }) });
		}
		return show(list, h('p', {}, t('changes.count_unreviewed', { count: res.data.unreviewed })),
			table(t('nav.changes'), columns, res.data.changes, t('changes.none')));
	}
	filter.addEventListener('change', reload);
	show(main, h('h1', {}, t('changes.title')), status,
		h('label', { for: 'changes-state' }, t('changes.show')), ' ', filter, list);
	return reload();
}
