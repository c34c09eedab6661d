// The JSON API on the same origin: the session cookie rides along by
// itself (HttpOnly: this code never sees it); every state-changing request
// carries the session's CSRF token, as the server demands.
import { t } from './i18n.js';

let csrfToken = null;
let lastRequest = Date.now();
let onSessionLost = null;

export function setCsrf(token) {
	csrfToken = token || null;
}

/* Called with no argument when a signed-in request answers 401. */
export function whenSessionLost(fn) {
	onSessionLost = fn;
}

/* Milliseconds since the last request reached the server. */
export function sinceLastRequest() {
	return Date.now() - lastRequest;
}

/* An answer: { ok, status, data } where data is the parsed JSON body (or
 * null) and, when not ok, data.error the server's text and data.field the
 * field it names. Network failures answer status 0. */
export async function api(method, path, body) {
	const headers = { Accept: 'application/json' };
	const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		return { ok: false, status: 0, data: { error: t('api.unreachable') } };
	}
	lastRequest = Date.now();
	let data = null;
	const type = res.headers.get('Content-Type') || '';
	if (type.startsWith('application/json') || type.startsWith('application/fhir+json')) {
		try {
			data = await res.json();
		} catch (e) {
			data = null;
		}
	}
	if (!res.ok && (data === null || typeof data.error !== 'string')) {
		data = { error: t('api.status', { status: String(res.status) }) };
	}
	if (res.status === 401 && csrfToken && onSessionLost && !path.startsWith('/api/v1/session')) {
		onSessionLost();
	}
	return { ok: res.ok, status: res.status, data };
}

/* A query string from the non-empty values of params. */
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) {
		if (v !== undefined && v !== null && String(v) !== '') q.set(k, String(v));
	}
	const s = q.toString();
	return s ? `?${s}` : '';
}
