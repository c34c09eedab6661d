// Security officer: the overview for the regular review. What this
// instance exposes (each listener, where it listens), accounts with an
// administrative role and no second factor, open alerts, and the findings:
// recommended measures not met now, each with what to do.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';

export async function render(main) {
	document.title = 'Security — medgate';
	const res = await api('GET', '/api/v1/security');
	if (!res.ok) return show(main, h('h1', {}, 'Security'), notice(res.data.error, 'error'));
	const d = res.data;
	const findings = d.findings.length
		? h('ul', { class: 'findings' }, d.findings.map((f) =>
			h('li', {}, h('span', { class: `sev sev-${f.severity}` }, f.severity), ' ', f.text)))
		: notice('Every recommended measure this overview checks is met.', 'info');
	const listeners = table('Listeners', [
		{ label: 'Interface', cell: (l) => l.name },
		{ label: 'Address', cell: (l) => (l.all_addresses ? h('span', { class: 'bad' }, `${l.address} (every address)`) : l.address) },
		{ label: 'Port', class: 'num', cell: (l) => String(l.port) },
		{ label: 'Enabled', cell: (l) => (l.enabled ? 'yes' : 'no') },
	], d.listeners, 'No listeners.');
	const a = d.accounts_without_second_factor;
	const alerts = Object.entries(d.open_alerts);
	return show(main, h('h1', {}, 'Security'),
		h('section', { class: 'card' }, h('h2', {}, 'Findings'), findings),
		h('section', { class: 'card' }, h('h2', {}, 'Exposure'), listeners,
			h('dl', { class: 'facts' },
				h('dt', {}, 'TLS profile'), h('dd', {}, d.tls_profile),
				h('dt', {}, 'Interfaces switched off'), h('dd', {}, d.interfaces_off.length ? d.interfaces_off.join(', ') : 'none'))),
		h('section', { class: 'card' }, h('h2', {}, 'Changes and backups'),
			h('dl', { class: 'facts' },
				h('dt', {}, 'Changes to review'), h('dd', { id: 'unreviewed-changes' },
					h('a', { href: '#/changes' }, String(d.unreviewed_changes))),
				h('dt', {}, 'Last backup'), h('dd', {}, d.backups.last_backup ? when(d.backups.last_backup) : 'never'),
				h('dt', {}, 'Last restore drill'), h('dd', {}, d.backups.drill
					? `${when(d.backups.drill.time)}: ${d.backups.drill.passed ? 'passed' : 'failed'}, restore took ${d.backups.drill.restore_ms} ms`
					: 'never'))),
		h('section', { class: 'card' }, h('h2', {}, 'Accounts and alerts'),
			h('dl', { class: 'facts' },
				h('dt', {}, 'Administrative accounts without a second factor'),
				h('dd', {}, a.count ? `${a.count}: ${a.names.join(', ')}${a.count > a.names.length ? ', …' : ''}` : 'none'),
				alerts.map(([sev, n]) => [h('dt', {}, `Open alerts, ${sev}`), h('dd', {}, String(n))]))));
}
