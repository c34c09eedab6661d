// The product cyber security sheet of this instance
// (docs/security-sheet.md), from GET /api/v1/security-sheet: the same
// model medgatectl security-sheet prints.
import { api } from '../api.js';
import { h, show, notice, table, when } from '../dom.js';
import { t } from '../i18n.js';
import { severityLabel } from './alerts.js';
import { roleLabel } from './account.js';
import { statusLabel } from './devices.js';

const yes = (b) => (b ? t('common.yes') : t('common.no'));

export async function render(main) {
	const res = await api('GET', '/api/v1/security-sheet');
	if (!res.ok) return show(main, h('h1', {}, t('nav.sheet')), notice(res.data.error, 'error'));
	const d = res.data;
	const measures = d.measures_not_met.length
		? h('ul', { class: 'findings' }, d.measures_not_met.map((f) =>
			h('li', {}, h('span', { class: `sev sev-${f.severity}` }, severityLabel(f.severity)), ' ', f.text)))
		: notice(t('sheet.all_met'), 'info');
	return show(main, h('h1', {}, t('sheet.title')),
		h('p', {}, t('sheet.intro', { version: d.version, config: d.config, generated: when(d.generated) })),
		h('section', { class: 'card' }, h('h2', {}, t('sheet.not_met')), measures),
		h('section', { class: 'card' }, h('h2', {}, t('sheet.connectivity')),
			h('p', {}, t('sheet.tls', { profile: d.tls.profile, versions: d.tls.versions.join(', '), suites: d.tls.suites.join(', ') })),
			table(t('health.interfaces'), [
				{ label: t('health.interface'), cell: (i) => i.name },
				{ label: t('sheet.direction'), cell: (i) => i.direction },
				{ label: t('health.on_col'), cell: (i) => yes(i.on) },
				{ label: t('audit.address'), cell: (i) => (i.port === null ? i.address : t('sheet.address_port', { address: i.address, port: String(i.port) })) },
				{ label: t('sheet.partner'), cell: (i) => i.partner },
				{ label: 'TLS', cell: (i) => yes(i.tls) },
				{ label: t('sheet.authentication'), cell: (i) => i.authentication },
			], d.interfaces, t('sheet.no_interfaces'))),
		h('section', { class: 'card' }, h('h2', {}, t('sheet.authorization')),
			table(t('sheet.groups'), [
				{ label: t('sheet.role'), cell: (r) => roleLabel(r.role) },
				{ label: t('sheet.rights'), cell: (r) => r.rights.join(', ') || t('common.none') },
			], d.roles, t('sheet.no_roles')),
			table(t('users.accounts'), [
				{ label: t('account.account'), cell: (a) => a.name },
				{ label: t('account.roles'), cell: (a) => a.roles.map(roleLabel).join(', ') },
				{ label: t('totp.title'), cell: (a) => yes(a.second_factor) },
			], d.accounts, t('sheet.no_accounts'))),
		h('section', { class: 'card' }, h('h2', {}, t('sheet.node_auth')),
			table(t('nav.devices'), [
				{ label: t('health.device'), cell: (v) => v.name },
				{ label: t('common.state'), cell: (v) => statusLabel(v.status) },
				{ label: t('devices.model'), cell: (v) => v.model || t('common.unknown') },
				{ label: t('devices.firmware'), cell: (v) => `${v.firmware || t('common.unknown')} (${v.firmware_state})` },
				{ label: t('sheet.cert_until'), cell: (v) => (v.certificate_until ? when(v.certificate_until) : '') },
			], d.devices, t('sheet.no_devices'))),
		h('section', { class: 'card' }, h('h2', {}, t('sheet.mds2')),
			h('dl', { class: 'facts' }, d.sections.map((s) => [h('dt', {}, s.topic), h('dd', {}, s.text)]))));
}
