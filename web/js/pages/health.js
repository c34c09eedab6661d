// Administrator: the operations overview — the figures /metrics shows,
// with names instead of ids: interfaces, errors, EMR queues with their
// last ACK and last error, devices that went silent or whose certificate
// ends soon, the server certificate, audit chain and syslog backlog,
// backups, free space where the store lives. No patient data.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';

function age(seconds) {
	if (seconds === null || seconds === undefined) return '';
	if (seconds < 120) return `${seconds} s`;
	if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
	return `${Math.round(seconds / 3600)} h`;
}

function bytes(n) {
	if (n === null || n === undefined) return 'not on this host';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
	return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
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
	return table('Interfaces', [
		{ label: 'Interface', cell: (i) => i.name },
		{ label: 'State', cell: (i) => state(i.on, 'on', i.configured ? 'off' : 'not configured') },
		{ label: 'Open', class: 'num', cell: (i) => (i.connections_open ?? '') + '' },
		{ label: 'Connections total', class: 'num', cell: (i) => (i.connections_total ?? '') + '' },
		{ label: 'Stored', class: 'num', cell: (i) => (i.measurements ? String(i.measurements.stored + i.measurements.duplicate) : '') },
		{ label: 'Refused', class: 'num', cell: (i) => (i.measurements ? String(i.measurements.invalid + i.measurements.out_of_range) : '') },
		{ label: 'Failed', class: 'num', cell: (i) => (i.measurements ? String(i.measurements.unavailable + i.measurements.store_failed) : '') },
	], o.interfaces);
}

function destinations(o) {
	return table('EMR destinations', [
		{ label: 'Destination', cell: (d) => d.name },
		{ label: 'Protocol', cell: (d) => d.protocol },
		{ label: 'On', cell: (d) => (d.enabled ? 'yes' : 'no') },
		{ label: 'Queue', class: 'num', cell: (d) => String(d.pending ?? '?') },
		{ label: 'Dead letters', class: 'num', cell: (d) => (d.dead ? h('span', { class: 'bad' }, String(d.dead)) : '0') },
		{ label: 'Oldest waiting', cell: (d) => age(d.oldest_pending_seconds) },
		{ label: 'Last ACK', cell: (d) => when(d.last_ack) },
		{ label: 'Last error', cell: (d) => (d.last_error
			? h('span', { class: d.failing_permanently ? 'bad' : '' },
				d.last_error + (d.failing_permanently ? ' (retrying will not fix this)' : ''))
			: '') },
	], o.destinations, 'No EMR destinations are configured.');
}

function devices(o) {
	const d = o.devices;
	return [
		facts([
			['Active', String(d.active)], ['Blocked', String(d.blocked)], ['Revoked', String(d.revoked)],
		]),
		table('Devices silent longer than expected', [
			{ label: 'Device', cell: (x) => x.name },
			{ label: 'Tenant', cell: (x) => x.tenant },
			{ label: 'Last seen', cell: (x) => (x.last_seen ? when(x.last_seen) : 'never') },
		], d.silent, 'No device has been silent longer than expected.'),
		table('Device certificates ending within 30 days', [
			{ label: 'Device', cell: (x) => x.name },
			{ label: 'Tenant', cell: (x) => x.tenant },
			{ label: 'Ends', cell: (x) => when(x.not_after) },
		], d.certificates_expiring, 'No device certificate ends within 30 days.'),
	];
}

export async function render(main) {
	document.title = 'Health — medgate';
	const r = await api('GET', '/api/v1/health/overview');
	if (!r.ok) {
		show(main, h('h1', {}, 'Health'), notice(r.data.error, 'error'));
		return;
	}
	const o = r.data;
	const s = o.store;
	const alerts = o.alerts_open;
	show(main, h('h1', {}, 'Health'),
		card('Gateway', facts([
			['Version', o.version],
			['Store', [state(s.ok, 'answering', 'failing'), ` ${s.backend}`]],
			['Free space where the store lives', [state(!s.low, bytes(s.free_bytes), `${bytes(s.free_bytes)}: low`),
				s.total_bytes ? ` of ${bytes(s.total_bytes)}` : '',
				s.free_min_bytes ? ` (warning below ${bytes(s.free_min_bytes)})` : '']],
			['Errors', `${o.errors.last_minute} in the last minute, ${o.errors.last_ten_minutes} in ten minutes`],
			['Open alerts', `${alerts.critical} critical, ${alerts.high} high, ${alerts.medium} medium, ${alerts.low} low`],
			['Active sessions', String(o.sessions_active)],
		])),
		card('Interfaces', interfaces(o)),
		card('EMR forwarding', destinations(o)),
		card('Devices', ...devices(o)),
		card('Certificates', facts([
			['Server certificate ends', [when(o.server_certificate.not_after), ' ',
				state(!o.server_certificate.expiring, 'fine', 'within 30 days')]],
			['Device certificates ending within 30 days', String(o.server_certificate.devices_expiring)],
		])),
		card('Audit trail', facts([
			['Chain', state(o.audit.chain === 'intact', 'intact', o.audit.chain)],
			['Records', String(o.audit.records)],
			['Syslog backlog', o.audit.syslog_backlog === null ? 'no syslog collector configured' : `${o.audit.syslog_backlog} records`],
		])),
		card('Backups', facts([
			['Last backup', o.backup.last ? when(o.backup.last) : 'none recorded'],
			['Last restore drill', o.backup.drill ? when(o.backup.drill) : 'none recorded'],
		])));
}
