// Security officer: the audit trail with filters (time span, action,
// actor, object).
import { api, query } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { form } from '../forms.js';
import { notYet } from './alerts.js';
import { t } from '../i18n.js';

function isoOrEmpty(local) {
	if (!local) return '';
	const d = new Date(local);
	return Number.isNaN(d.getTime()) ? local : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function render(main) {
	const listBox = h('div', { 'aria-live': 'polite' });
	async function load(v) {
		const params = { ...v, since: isoOrEmpty(v.since), until: isoOrEmpty(v.until) };
		const res = await api('GET', `/api/v1/audit${query(params)}`);
		if (res.status === 404 && res.data.error === 'no such resource') {
			notYet(main, t('nav.audit'));
			return { ok: true };
		}
		if (res.ok) {
			show(listBox, table(t('health.records_n', { count: res.data.records.length }), [
				{ label: t('audit.seq'), class: 'num', cell: (r) => String(r.seq) },
				{ label: t('common.time'), cell: (r) => when(r.time) },
				{ label: t('audit.actor'), cell: (r) => r.actor },
				{ label: t('account.roles'), cell: (r) => r.roles },
				{ label: t('audit.address'), cell: (r) => r.address },
				{ label: t('audit.action'), cell: (r) => r.action },
				{ label: t('audit.object'), cell: (r) => r.object },
				{ label: t('health.tenant'), cell: (r) => (r.tenant_id ? String(r.tenant_id) : '') },
				{ label: t('audit.outcome'), cell: (r) => (r.malformed ? h('span', { class: 'bad' }, t('audit.malformed'))
					: h('span', { class: `outcome outcome-${r.outcome}` }, r.outcome)) },
				{ label: t('audit.details'), cell: (r) => (r.details ? h('code', {}, typeof r.details === 'string' ? r.details : JSON.stringify(r.details)) : '') },
			], res.data.records, t('audit.none')));
		}
		return res;
	}
	const filters = form([
		{ name: 'since', label: t('audit.from'), type: 'datetime-local' },
		{ name: 'until', label: t('audit.until'), type: 'datetime-local' },
		{ name: 'action', label: t('audit.action'), maxlength: 64, hint: t('audit.action_hint') },
		{ name: 'actor', label: t('audit.actor'), maxlength: 128 },
		{ name: 'object', label: t('audit.object'), maxlength: 64, hint: t('audit.object_hint') },
		{ name: 'limit', label: t('audit.at_most'), type: 'number', value: '200', min: 1, max: 1000 },
	], load, { submitLabel: t('audit.show'), class: 'filters-form', label: t('audit.filter') });
	show(main, h('h1', {}, t('nav.audit')), h('section', { class: 'card no-print' }, filters), listBox);
	await load({ since: '', until: '', action: '', actor: '', object: '', limit: '200' });
}
