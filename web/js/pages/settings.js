// Administrators: system settings — which roles must use a second factor,
// and which interfaces are on (when the gateway offers that setting).
import { api } from '../api.js';
import { h, show, notice } from '../dom.js';
import { form } from '../forms.js';
import { roleOptions } from './users.js';

const interfaceLabels = {
	device: 'Device port (measurements over mutual TLS)',
	enrolment: 'Device enrolment (EST)',
	mllp: 'HL7 MLLP listener',
	emr: 'EMR forwarding',
};

export async function render(main) {
	document.title = 'Settings — medgate';
	const res = await api('GET', '/api/v1/settings');
	if (!res.ok) return show(main, h('h1', {}, 'Settings'), notice(res.data.error, 'error'));
	const saved = h('div', { role: 'status' });
	const hasInterfaces = res.data.interfaces && typeof res.data.interfaces === 'object';
	// The web port is switched only on the host (medgatectl interface):
	// switching it off here would lock everyone out.
	const names = hasInterfaces ? Object.keys(res.data.interfaces).filter((n) => n !== 'web') : [];
	const specs = [
		{ name: 'require_2fa_roles', label: 'Roles that must use a second factor', type: 'checkboxes',
			options: roleOptions, value: res.data.require_2fa_roles },
	];
	if (hasInterfaces) {
		specs.push({ name: 'interfaces', label: 'Interfaces that are on', type: 'checkboxes',
			options: names.map((n) => ({ value: n, label: interfaceLabels[n] || n })),
			value: names.filter((n) => res.data.interfaces[n]),
			hint: 'A port that is off closes its listening socket: connection attempts are refused. The web port is switched only on the host: medgatectl interface off|on web.' });
	}
	const f = form(specs, async (v) => {
		const put = { require_2fa_roles: v.require_2fa_roles };
		if (hasInterfaces) {
			put.interfaces = Object.fromEntries(names.map((n) => [n, v.interfaces.includes(n)]));
		}
		const r = await api('PUT', '/api/v1/settings', put);
		if (r.ok) show(saved, notice('Settings saved.'));
		return r;
	}, { submitLabel: 'Save settings', label: 'Settings' });
	return show(main, h('h1', {}, 'Settings'), saved, h('section', { class: 'card' }, f),
		hasInterfaces ? null : h('p', { class: 'hint' }, 'Switching interfaces on and off is not offered by this gateway yet.'));
}
