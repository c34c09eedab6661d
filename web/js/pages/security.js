// Security officer: the overview for the regular review. What this
// instance exposes (each listener, where it listens), accounts with an
// administrative role and no second factor, open alerts, and the findings:
// recommended measures not met now, each with what to do; and what the
// retention job erased.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { t, number, unit } from '../i18n.js';
import { severityLabel } from './alerts.js';

export async function render(main) {
	const res = await api('GET', '/api/v1/security');
	if (!res.ok) return show(main, h('h1', {}, t('nav.security')), notice(res.data.error, 'error'));
	const d = res.data;
	const findings = d.findings.length
		? h('ul', { class: 'findings' }, d.findings.map((f) =>
			h('li', {}, h('span', { class: `sev sev-${f.severity}` }, severityLabel(f.severity)), ' ', f.text)))
		: notice(t('security.all_met'), 'info');
	const listeners = table(t('security.listeners'), [
		{ label: t('health.interface'), cell: (l) => l.name },
		{ label: t('audit.address'), cell: (l) => (l.all_addresses ? h('span', { class: 'bad' }, t('security.every_address', { address: l.address })) : l.address) },
		{ label: t('security.port'), class: 'num', cell: (l) => String(l.port) },
		{ label: t('security.enabled'), cell: (l) => (l.enabled ? t('common.yes') : t('common.no')) },
	], d.listeners, t('security.no_listeners'));
	const a = d.accounts_without_second_factor;
	const alerts = Object.entries(d.open_alerts);
	const r = d.retention;
	return show(main, h('h1', {}, t('nav.security')),
		h('section', { class: 'card' }, h('h2', {}, t('security.findings')), findings),
		h('section', { class: 'card' }, h('h2', {}, t('security.exposure')), listeners,
			h('dl', { class: 'facts' },
				h('dt', {}, t('security.tls_profile')), h('dd', {}, d.tls_profile),
				h('dt', {}, t('security.interfaces_off')), h('dd', {}, d.interfaces_off.length ? d.interfaces_off.join(', ') : t('common.none')))),
		h('section', { class: 'card' }, h('h2', {}, t('security.changes_backups')),
			h('dl', { class: 'facts' },
				h('dt', {}, t('changes.title')), h('dd', { id: 'unreviewed-changes' },
					h('a', { href: '#/changes' }, number(d.unreviewed_changes))),
				h('dt', {}, t('health.last_backup')), h('dd', {}, d.backups.last_backup ? when(d.backups.last_backup) : t('common.never')),
				h('dt', {}, t('health.last_drill')), h('dd', {}, d.backups.drill
					? t(d.backups.drill.passed ? 'security.drill_passed' : 'security.drill_failed',
						{ time: when(d.backups.drill.time), duration: unit(d.backups.drill.restore_ms, 'ms', 0) })
					: t('common.never')))),
		h('section', { class: 'card' }, h('h2', {}, t('security.accounts_alerts')),
			h('dl', { class: 'facts' },
				h('dt', {}, t('security.admins_without_2fa')),
				h('dd', {}, a.count ? `${number(a.count)}: ${a.names.join(', ')}${a.count > a.names.length ? ', …' : ''}` : t('common.none')),
				alerts.map(([sev, n]) => [h('dt', {}, t('security.open_alerts', { severity: severityLabel(sev) })), h('dd', {}, number(n))]))),
		h('section', { class: 'card' }, h('h2', {}, t('security.retention')),
			h('dl', { class: 'facts' },
				h('dt', {}, t('security.kept')),
				h('dd', {}, r.keep_days ? t('security.kept_days', { days: number(r.keep_days) }) : t('security.kept_forever')),
				h('dt', {}, t('security.erased_old')), h('dd', {}, number(r.erased)),
				h('dt', {}, t('security.last_run')),
				h('dd', {}, r.last_run_ms ? when(new Date(r.last_run_ms).toISOString()) : t('common.never')))));
}
