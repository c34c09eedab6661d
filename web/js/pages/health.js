// Security officer: system health — the gateway's liveness and the EMR
// queues (pending, delivered, dead letters).
import { api } from '../api.js';
import { h, show, notice, table } from '../dom.js';

function age(seconds) {
	if (seconds === null || seconds === undefined) return '';
	if (seconds < 120) return `${seconds} s`;
	if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
	return `${Math.round(seconds / 3600)} h`;
}

export async function render(main) {
	document.title = 'Health — medgate';
	const [hr, or] = await Promise.all([api('GET', '/api/v1/health'), api('GET', '/api/v1/outbox')]);
	const gateway = hr.ok
		? h('dl', { class: 'facts' },
			h('dt', {}, 'Gateway'), h('dd', {}, h('span', { class: `status status-${hr.data.status === 'ok' ? 'active' : 'blocked'}` }, hr.data.status)),
			h('dt', {}, 'Version'), h('dd', {}, hr.data.version),
			Object.entries(hr.data).filter(([k]) => k !== 'status' && k !== 'version' && typeof hr.data[k] !== 'object')
				.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]))
		: notice(hr.data.error, 'error');
	const outbox = or.ok ? table('EMR destinations', [
		{ label: 'Destination', cell: (d) => d.name },
		{ label: 'Protocol', cell: (d) => d.protocol },
		{ label: 'On', cell: (d) => (d.enabled ? 'yes' : 'no') },
		{ label: 'Pending', class: 'num', cell: (d) => String(d.pending) },
		{ label: 'Delivered', class: 'num', cell: (d) => String(d.delivered) },
		{ label: 'Dead letters', class: 'num', cell: (d) => (d.dead ? h('span', { class: 'bad' }, String(d.dead)) : '0') },
		{ label: 'Oldest pending', cell: (d) => age(d.oldest_pending_seconds) },
	], or.data.destinations, 'No EMR destinations are configured.') : notice(or.data.error, 'error');
	show(main, h('h1', {}, 'Health'), h('section', { class: 'card' }, h('h2', {}, 'Gateway'), gateway),
		h('section', { class: 'card' }, h('h2', {}, 'EMR forwarding'), outbox));
}
