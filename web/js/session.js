// The signed-in account as the server told it (GET/POST /api/v1/session),
// and the roles that decide which pages the interface offers. The server
// decides again on every request; this only keeps the menu honest.
import { api, setCsrf } from './api.js';
import { applyLanguage } from './i18n.js';

export const session = {
	user: null, // the account: {id, name, display_name, roles, tenants, ...}
	idleTimeout: 900,
	mustChangePassword: false,
	mustEnrol: false,
};

export function signedIn() {
	return session.user !== null;
}

export function hasRole(role) {
	return signedIn() && session.user.roles.includes(role);
}

/* Take a session answer (sign-in, password change, GET session). */
export function adopt(data) {
	session.user = data.user;
	session.idleTimeout = data.idle_timeout || 900;
	session.mustChangePassword = Boolean(data.must_change_password);
	session.mustEnrol = Boolean(data.must_enrol_second_factor);
	setCsrf(data.csrf);
	applyLanguage(accountKey());
}

/* What the account's language choice is kept under in this browser. */
export function accountKey() {
	return session.user ? String(session.user.id ?? session.user.name) : null;
}

export function forget() {
	session.user = null;
	session.mustChangePassword = false;
	session.mustEnrol = false;
	setCsrf(null);
	applyLanguage(null);
}

/* Ask the server whether the cookie still holds a session. */
export async function resume() {
	const res = await api('GET', '/api/v1/session');
	if (res.ok && res.data && res.data.user) adopt(res.data);
	else forget();
	return signedIn();
}
