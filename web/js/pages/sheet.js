// The product cyber security sheet of this instance
// (docs/security-sheet.md), from GET /api/v1/security-sheet: the same
// model medgatectl security-sheet prints.
import { api } from '../api.js';
import { h, show, notice, table } from '../dom.js';

const yes = (b) => (b ? 'yes' : 'no');

export async function render(main) {
	document.title = 'Security sheet — medgate';
	const res = await api('GET', '/api/v1/security-sheet');
	if (!res.ok) return show(main, h('h1', {}, 'Security sheet'), notice(res.data.error, 'error'));
	const d = res.data;
	const measures = d.measures_not_met.length
		? h('ul', { class: 'findings' }, d.measures_not_met.map((f) =>
			h('li', {}, h('span', { class: `sev sev-${f.severity}` }, f.severity), ' ', f.text)))
		: notice('Every recommended measure checked is met.', 'info');
	return show(main, h('h1', {}, 'Product cyber security sheet'),
		h('p', {}, `medgate ${d.version}, configuration ${d.config}, generated ${d.generated}.`),
		h('section', { class: 'card' }, h('h2', {}, 'Recommended measures not met'), measures),
		h('section', { class: 'card' }, h('h2', {}, 'Connectivity capabilities'),
			h('p', {}, `TLS profile ${d.tls.profile}: ${d.tls.versions.join(', ')}; suites ${d.tls.suites.join(', ')}.`),
			table('Interfaces', [
				{ label: 'Interface', cell: (i) => i.name },
				{ label: 'Direction', cell: (i) => i.direction },
				{ label: 'On', cell: (i) => yes(i.on) },
				{ label: 'Address', cell: (i) => (i.port === null ? i.address : `${i.address} port ${i.port}`) },
				{ label: 'Partner', cell: (i) => i.partner },
				{ label: 'TLS', cell: (i) => yes(i.tls) },
				{ label: 'Authentication', cell: (i) => i.authentication },
			], d.interfaces, 'No interfaces.')),
		h('section', { class: 'card' }, h('h2', {}, 'Authorization'),
			table('User groups and their rights', [
				{ label: 'Role', cell: (r) => r.role },
				{ label: 'Rights', cell: (r) => r.rights.join(', ') || 'none' },
			], d.roles, 'No roles.'),
			table('Accounts', [
				{ label: 'Account', cell: (a) => a.name },
				{ label: 'Roles', cell: (a) => a.roles.join(', ') },
				{ label: 'Second factor', cell: (a) => yes(a.second_factor) },
			], d.accounts, 'No accounts.')),
		h('section', { class: 'card' }, h('h2', {}, 'Node authentication'),
			table('Devices', [
				{ label: 'Device', cell: (v) => v.name },
				{ label: 'Status', cell: (v) => v.status },
				{ label: 'Model', cell: (v) => v.model || 'unknown' },
				{ label: 'Firmware', cell: (v) => `${v.firmware || 'unknown'} (${v.firmware_state})` },
				{ label: 'Certificate until', cell: (v) => v.certificate_until },
			], d.devices, 'No devices.')),
		h('section', { class: 'card' }, h('h2', {}, 'MDS2 topics'),
			h('dl', { class: 'facts' }, d.sections.map((s) => [h('dt', {}, s.topic), h('dd', {}, s.text)]))));
}
