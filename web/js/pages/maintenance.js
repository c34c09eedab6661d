// Remote maintenance (docs/maintenance.md). A service account asks for a
// grant (scope, reason, minutes) and sees its requests; an administrator
// sees every request, grants (for the minutes asked or others), refuses,
// and ends an active grant at once.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';
import { hasRole } from '../session.js';
import { t, number } from '../i18n.js';

const scopes = ['diagnostics', 'devices', 'device', 'log', 'self-test', 'firmware'].map((s) => ({ value: s, get label() { return t(`maintenance.scope_${s}`); } }));
// A request's state in the interface's language.
const stateLabel = (s) => (['requested', 'granted', 'refused', 'ended', 'expired'].includes(s) ? t(`maintenance.state_${s}`) : s);

function actions(m, status, reload) {
	const done = (r, text) => {
		show(status, r.ok ? notice(text) : notice(r.data.error, 'error'));
		reload();
	};
	if (m.state === 'requested') {
		const minutes = h('input', { type: 'number', min: 1, max: 480, value: String(m.minutes),
			'aria-label': t('maintenance.minutes_for', { id: String(m.id) }), class: 'short' });
		return h('div', { class: 'actions' }, minutes,
			h('button', { type: 'button', 'aria-label': t('maintenance.grant_named', { id: String(m.id) }), onclick: async () => done(
				await api('POST', `/api/v1/maintenance/${m.id}/grant`, { minutes: Number(minutes.value) }),
				t('maintenance.granted', { id: String(m.id), count: Number(minutes.value) })) }, t('maintenance.grant')),
			confirmButton(t('maintenance.refuse'), t('maintenance.really_refuse'), async () => done(
				await api('POST', `/api/v1/maintenance/${m.id}/refuse`), t('maintenance.refused', { id: String(m.id) }))));
	}
	if (m.state === 'granted') {
		return confirmButton(t('maintenance.end'), t('maintenance.really_end'), async () => done(
			await api('POST', `/api/v1/maintenance/${m.id}/end`), t('maintenance.ended', { id: String(m.id) })));
	}
	return '';
}

export async function render(main) {
	const admin = hasRole('admin');
	const status = h('div', { role: 'status' });
	const listBox = h('div');
	async function reload() {
		const res = await api('GET', '/api/v1/maintenance');
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		const active = res.data.requests.find((m) => m.state === 'granted');
		return show(listBox,
			active ? notice(t('maintenance.active', { id: String(active.id), time: when(active.ends), scope: active.scope.join(', ') }),
				'warning') : null,
			table(admin ? t('maintenance.requests_grants') : t('maintenance.your_requests'), [
				{ label: t('common.id'), class: 'num', cell: (m) => String(m.id) },
				...(admin ? [{ label: t('tenants.account_id'), class: 'num', cell: (m) => String(m.user) }] : []),
				{ label: t('common.state'), cell: (m) => h('span', { class: `status status-${m.state}` }, stateLabel(m.state)) },
				{ label: t('maintenance.scope'), cell: (m) => m.scope.join(', ')
					+ (m.device ? ` ${m.consent ? t('maintenance.device_consent', { id: String(m.device), time: when(m.consent) })
						: t('maintenance.device_no_consent', { id: String(m.device) })}` : '') },
				{ label: t('maintenance.minutes'), class: 'num', cell: (m) => number(m.minutes) },
				{ label: t('maintenance.reason'), cell: (m) => m.reason },
				{ label: t('maintenance.asked'), cell: (m) => when(m.requested) },
				{ label: t('health.ends'), cell: (m) => (m.ends ? when(m.ends) : '') },
				...(admin ? [{ label: t('common.actions'), cell: (m) => actions(m, status, reload) }] : []),
			], res.data.requests, t('maintenance.none')));
	}
	const ask = admin ? null : h('section', { class: 'card' }, h('h2', {}, t('maintenance.ask_title')),
		h('p', {}, t('maintenance.ask_hint')),
		form([
			{ name: 'scope', label: t('maintenance.scope'), type: 'checkboxes', options: scopes },
			{ name: 'reason', label: t('maintenance.reason_label'), required: true, maxlength: 512 },
			{ name: 'minutes', label: t('maintenance.minutes_needed'), type: 'number', required: true, min: 1, max: 480, value: '30' },
			{ name: 'device', label: t('maintenance.device_id'), type: 'number', min: 1 },
		], async (v, el) => {
			const body = { scope: v.scope, reason: v.reason, minutes: Number(v.minutes) };
			if (v.device) body.device = Number(v.device);
			const res = await api('POST', '/api/v1/maintenance', body);
			if (res.ok) {
				el.reset();
				show(status, notice(t('maintenance.sent', { id: String(res.data.id) })));
				reload();
			}
			return res;
		}, { submitLabel: t('maintenance.ask'), label: t('maintenance.ask_title') }));
	show(main, h('h1', {}, t('nav.maintenance')), status, ask,
		h('section', { class: 'card' }, listBox));
	reload();
}
