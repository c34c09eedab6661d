// Administrator: the operations overview — the figures /metrics shows,
// with names instead of ids: interfaces, errors, EMR queues with their
// last ACK and last error, devices that went silent or whose certificate
// ends soon, the server certificate, audit chain and syslog backlog,
// backups, free space where the store lives. No patient data.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { t, number, unit } from '../i18n.js';

function age(seconds) {
	if (seconds === null || seconds === undefined) return '';
	if (seconds < 120) return unit(seconds, 's', 0);
	if (seconds < 7200) return unit(Math.round(seconds / 60), 'min', 0);
	return unit(Math.round(seconds / 3600), 'h', 0);
}

function bytes(n) {
	if (n === null || n === undefined) return t('health.not_on_host');
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
	return unit(n, units[i], i ? 1 : 0);
}

function state(ok, good, bad) {
	return h('span', { class: `status status-${ok ? 'active' : 'blocked'}` }, ok ? good : bad);
}

function facts(pairs) {
	return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function card(title, ...content) {
	return h('section', { class: 'card' }, h('h2', {}, title), ...content);
}

function interfaces(o) {
	return table(t('health.interfaces'), [
		{ label: t('health.interface'), cell: (i) => i.name },
		{ label: t('common.state'), cell: (i) => state(i.on, t('health.on'), i.configured ? t('health.off') : t('health.not_configured')) },
		{ label: t('health.open'), class: 'num', cell: (i) => num(i.connections_open) },
		{ label: t('health.connections_total'), class: 'num', cell: (i) => num(i.connections_total) },
		{ label: t('health.stored'), class: 'num', cell: (i) => (i.measurements ? number(i.measurements.stored + i.measurements.duplicate) : '') },
		{ label: t('health.refused'), class: 'num', cell: (i) => (i.measurements ? number(i.measurements.invalid + i.measurements.out_of_range) : '') },
		{ label: t('health.failed'), class: 'num', cell: (i) => (i.measurements ? number(i.measurements.unavailable + i.measurements.store_failed) : '') },
	], o.interfaces);
}

function num(v) {
	return v === null || v === undefined ? '' : number(v);
}

function destinations(o) {
	return table(t('health.destinations'), [
		{ label: t('health.destination'), cell: (d) => d.name },
		{ label: t('health.protocol'), cell: (d) => d.protocol },
		{ label: t('health.on_col'), cell: (d) => (d.enabled ? t('common.yes') : t('common.no')) },
		{ label: t('health.queue'), class: 'num', cell: (d) => (d.pending ?? '?') === '?' ? '?' : number(d.pending) },
		{ label: t('health.dead'), class: 'num', cell: (d) => (d.dead ? h('span', { class: 'bad' }, number(d.dead)) : number(0)) },
		{ label: t('health.oldest'), cell: (d) => age(d.oldest_pending_seconds) },
		{ label: t('health.last_ack'), cell: (d) => when(d.last_ack) },
		{ label: t('health.last_error'), cell: (d) => (d.last_error
			? h('span', { class: d.failing_permanently ? 'bad' : '' },
				d.last_error + (d.failing_permanently ? ` ${t('health.permanent')}` : ''))
			: '') },
	], o.destinations, t('health.no_destinations'));
}

function devices(o) {
	const d = o.devices;
	return [
		facts([
			[t('health.active'), number(d.active)], [t('health.blocked'), number(d.blocked)], [t('health.revoked'), number(d.revoked)],
		]),
		table(t('health.silent'), [
			{ label: t('health.device'), cell: (x) => x.name },
			{ label: t('health.tenant'), cell: (x) => x.tenant },
			{ label: t('health.last_seen'), cell: (x) => (x.last_seen ? when(x.last_seen) : t('common.never')) },
		], d.silent, t('health.none_silent')),
		table(t('health.certs_ending'), [
			{ label: t('health.device'), cell: (x) => x.name },
			{ label: t('health.tenant'), cell: (x) => x.tenant },
			{ label: t('health.ends'), cell: (x) => when(x.not_after) },
		], d.certificates_expiring, t('health.no_certs_ending')),
	];
}

export async function render(main) {
	const r = await api('GET', '/api/v1/health/overview');
	if (!r.ok) {
		show(main, h('h1', {}, t('nav.health')), notice(r.data.error, 'error'));
		return;
	}
	const o = r.data;
	const s = o.store;
	const alerts = o.alerts_open;
	show(main, h('h1', {}, t('nav.health')),
		card(t('health.gateway'), facts([
			[t('health.version'), o.version],
			[t('health.store'), [state(s.ok, t('health.answering'), t('health.failing')), ` ${s.backend}`]],
			[t('health.free_space'), [state(!s.low, bytes(s.free_bytes), t('health.low', { size: bytes(s.free_bytes) })),
				s.total_bytes ? ` ${t('health.of_total', { size: bytes(s.total_bytes) })}` : '',
				s.free_min_bytes ? ` ${t('health.warn_below', { size: bytes(s.free_min_bytes) })}` : '']],
			[t('health.errors'), t('health.errors_text', { minute: o.errors.last_minute, ten: o.errors.last_ten_minutes })],
			[t('health.open_alerts'), t('health.alerts_text', { critical: alerts.critical, high: alerts.high, medium: alerts.medium, low: alerts.low })],
			[t('health.sessions'), number(o.sessions_active)],
		])),
		card(t('health.interfaces'), interfaces(o)),
		card(t('settings.if_emr'), destinations(o)),
		card(t('nav.devices'), ...devices(o)),
		card(t('health.certificates'), facts([
			[t('health.server_cert_ends'), [when(o.server_certificate.not_after), ' ',
				state(!o.server_certificate.expiring, t('health.fine'), t('health.within_30'))]],
			[t('health.certs_ending'), number(o.server_certificate.devices_expiring)],
		])),
		card(t('nav.audit'), facts([
			[t('health.chain'), state(o.audit.chain === 'intact', t('health.intact'), o.audit.chain)],
			[t('health.records'), number(o.audit.records)],
			[t('health.syslog'), o.audit.syslog_backlog === null ? t('health.no_syslog') : t('health.records_n', { count: o.audit.syslog_backlog })],
		])),
		card(t('health.backups'), facts([
			[t('health.last_backup'), o.backup.last ? when(o.backup.last) : t('health.none_recorded')],
			[t('health.last_drill'), o.backup.drill ? when(o.backup.drill) : t('health.none_recorded')],
		])));
}
