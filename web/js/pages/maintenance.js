// Remote maintenance (docs/maintenance.md). A service account asks for a
// grant (scope, reason, minutes) and sees its requests; an administrator
// sees every request, grants (for the minutes asked or others), refuses,
// and ends an active grant at once.
import { api } from '../api.js';
import { h, show, notice, table, when, confirmButton } from '../dom.js';
import { form } from '../forms.js';
import { hasRole } from '../session.js';

const scopes = [
	{ value: 'diagnostics', label: 'Diagnostics: health and EMR queues' },
	{ value: 'devices', label: 'Devices: the device inventory (read only)' },
	{ value: 'device', label: 'Service of one device: out of service once its consent button is pressed' },
];

function actions(m, status, reload) {
	const done = (r, text) => {
		show(status, r.ok ? notice(text) : notice(r.data.error, 'error'));
		reload();
	};
	if (m.state === 'requested') {
		const minutes = h('input', { type: 'number', min: 1, max: 480, value: String(m.minutes),
			'aria-label': `Minutes for request ${m.id}`, class: 'short' });
		return h('div', { class: 'actions' }, minutes,
			h('button', { type: 'button', 'aria-label': `Grant request ${m.id}`, onclick: async () => done(
				await api('POST', `/api/v1/maintenance/${m.id}/grant`, { minutes: Number(minutes.value) }),
				`Request ${m.id} granted for ${minutes.value} minutes.`) }, 'Grant'),
			confirmButton('Refuse', 'Really refuse?', async () => done(
				await api('POST', `/api/v1/maintenance/${m.id}/refuse`), `Request ${m.id} refused.`)));
	}
	if (m.state === 'granted') {
		return confirmButton('End now', 'End this maintenance now?', async () => done(
			await api('POST', `/api/v1/maintenance/${m.id}/end`), `Maintenance ${m.id} ended.`));
	}
	return '';
}

export async function render(main) {
	document.title = 'Maintenance — medgate';
	const admin = hasRole('admin');
	const status = h('div', { role: 'status' });
	const listBox = h('div');
	async function reload() {
		const res = await api('GET', '/api/v1/maintenance');
		if (!res.ok) return show(listBox, notice(res.data.error, 'error'));
		const active = res.data.requests.find((m) => m.state === 'granted');
		return show(listBox,
			active ? notice(`Maintenance ${active.id} is active until ${when(active.ends)}: ${active.scope.join(', ')}.`,
				'warning') : null,
			table(admin ? 'Requests and grants' : 'Your requests', [
				{ label: 'Id', class: 'num', cell: (m) => String(m.id) },
				...(admin ? [{ label: 'Account id', class: 'num', cell: (m) => String(m.user) }] : []),
				{ label: 'State', cell: (m) => h('span', { class: `status status-${m.state}` }, m.state) },
				{ label: 'Scope', cell: (m) => m.scope.join(', ')
					+ (m.device ? ` (device ${m.device}${m.consent ? `, consent ${when(m.consent)}` : ', no consent yet'})` : '') },
				{ label: 'Minutes', class: 'num', cell: (m) => String(m.minutes) },
				{ label: 'Reason', cell: (m) => m.reason },
				{ label: 'Asked', cell: (m) => when(m.requested) },
				{ label: 'Ends', cell: (m) => (m.ends ? when(m.ends) : '') },
				...(admin ? [{ label: 'Actions', cell: (m) => actions(m, status, reload) }] : []),
			], res.data.requests, 'No maintenance requests.'));
	}
	const ask = admin ? null : h('section', { class: 'card' }, h('h2', {}, 'Ask for maintenance'),
		h('p', {}, 'A local administrator grants or refuses it. Until then, and after it ends, this account can do nothing else.'),
		form([
			{ name: 'scope', label: 'Scope', type: 'checkboxes', options: scopes },
			{ name: 'reason', label: 'Reason (ticket, what is wrong)', required: true, maxlength: 512 },
			{ name: 'minutes', label: 'Minutes needed', type: 'number', required: true, min: 1, max: 480, value: '30' },
			{ name: 'device', label: 'Device id (service of one device only)', type: 'number', min: 1 },
		], async (v, el) => {
			const body = { scope: v.scope, reason: v.reason, minutes: Number(v.minutes) };
			if (v.device) body.device = Number(v.device);
			const res = await api('POST', '/api/v1/maintenance', body);
			if (res.ok) {
				el.reset();
				show(status, notice(`Request ${res.data.id} sent; a local administrator decides.`));
				reload();
			}
			return res;
		}, { submitLabel: 'Ask', label: 'Ask for maintenance' }));
	show(main, h('h1', {}, 'Maintenance'), status, ask,
		h('section', { class: 'card' }, listBox));
	reload();
}
