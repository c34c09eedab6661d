// Administrators: system settings — which roles must use a second factor,
// and which interfaces are on (when the gateway offers that setting).
import { api } from '../api.js';
import { h, show, notice } from '../dom.js';
import { form } from '../forms.js';
import { roleOptions } from './users.js';
import { t } from '../i18n.js';

const interfaces = ['device', 'enrolment', 'mllp', 'emr'];
const interfaceLabel = (n) => (interfaces.includes(n) ? t(`settings.if_${n}`) : n);

export async function render(main) {
	const res = await api('GET', '/api/v1/settings');
	if (!res.ok) return show(main, h('h1', {}, t('nav.settings')), notice(res.data.error, 'error'));
	const saved = h('div', { role: 'status' });
	const hasInterfaces = res.data.interfaces && typeof res.data.interfaces === 'object';
	// The web port is switched only on the host (medgatectl interface):
	// switching it off here would lock everyone out.
	const names = hasInterfaces ? Object.keys(res.data.interfaces).filter((n) => n !== 'web') : [];
	const specs = [
		{ name: 'require_2fa_roles', label: t('settings.2fa_roles'), type: 'checkboxes',
			options: roleOptions, value: res.data.require_2fa_roles },
	];
	if (hasInterfaces) {
		specs.push({ name: 'interfaces', label: t('settings.interfaces'), type: 'checkboxes',
			options: names.map((n) => ({ value: n, label: interfaceLabel(n) })),
			value: names.filter((n) => res.data.interfaces[n]),
			hint: t('settings.interfaces_hint') });
	}
	const f = form(specs, async (v) => {
		const put = { require_2fa_roles: v.require_2fa_roles };
		if (hasInterfaces) {
			put.interfaces = Object.fromEntries(names.map((n) => [n, v.interfaces.includes(n)]));
		}
		const r = await api('PUT', '/api/v1/settings', put);
		if (r.ok) show(saved, notice(t('settings.saved')));
		return r;
	}, { submitLabel: t('settings.save'), label: t('nav.settings') });
	return show(main, h('h1', {}, t('nav.settings')), saved, h('section', { class: 'card' }, f),
		hasInterfaces ? null : h('p', { class: 'hint' }, t('settings.no_interfaces')));
}
