// The single-page application: hash routes, the menu for the signed-in
// roles, the gates the server sets (forced password change, second-factor
// enrolment) and the idle timeout.
import { api, whenSessionLost } from './api.js';
import { h, show, notice } from './dom.js';
import { session, signedIn, hasRole, resume, forget } from './session.js';
import { startIdle, stopIdle, installIdleHandlers } from './idle.js';
import { t, has, applyLanguage } from './i18n.js';
import * as signin from './pages/signin.js';
import * as account from './pages/account.js';
import * as patients from './pages/patients.js';
import * as ward from './pages/ward.js';
import * as users from './pages/users.js';
import * as settings from './pages/settings.js';
import * as tenants from './pages/tenants.js';
import * as devices from './pages/devices.js';
import * as alerts from './pages/alerts.js';
import * as incidents from './pages/incidents.js';
import * as audit from './pages/audit.js';
import * as health from './pages/health.js';
import * as security from './pages/security.js';
import * as maintenance from './pages/maintenance.js';
import * as changes from './pages/changes.js';
import * as sheet from './pages/sheet.js';

// Pages of a signed-in account: who may see each. The API enforces the
// same roles; a page listed here for a role the API refuses would only
// show the refusal.
const pages = [
	// A clinician lands on the ward: what is new and what waits (docs/ward.md).
	{ path: 'ward', label: 'Ward', roles: ['clinician'], page: ward },
	{ path: 'patients', label: 'Patients', roles: ['clinician'], page: patients },
	{ path: 'users', label: 'Users', roles: ['admin'], page: users },
	{ path: 'settings', label: 'Settings', roles: ['admin'], page: settings },
	{ path: 'tenants', label: 'Tenants', roles: ['tenant-admin'], page: tenants },
	{ path: 'devices', label: 'Devices', roles: ['device-admin'], page: devices },
	{ path: 'security', label: 'Security', roles: ['security-officer', 'admin'], page: security },
	{ path: 'changes', label: 'Changes', roles: ['security-officer', 'admin'], page: changes },
	{ path: 'sheet', label: 'Security sheet', roles: ['security-officer', 'admin'], page: sheet },
	{ path: 'alerts', label: 'Alerts', roles: ['security-officer', 'admin'], page: alerts },
	{ path: 'incidents', label: 'Incidents', roles: ['security-officer', 'admin'], page: incidents },
	{ path: 'audit', label: 'Audit trail', roles: ['security-officer', 'admin'], page: audit },
	{ path: 'health', label: 'Health', roles: ['admin'], page: health },
	{ path: 'maintenance', label: 'Maintenance', roles: ['service', 'admin'], page: maintenance },
	{ path: 'account', label: 'My account', roles: null, page: account },
];

// Pages without a session.
const publicPages = { signin: signin.render, forgot: signin.renderForgot };

let flash = null;

/* Show text on the next page rendered (after a redirect). */
export function setFlash(text, kind = 'info') {
	flash = { text, kind };
}

/* A page's menu text: its nav.<path> message (tests/check-i18n.py wants
 * one for every path above in every language), else its label. */
function navLabel(p) {
	return has(`nav.${p.path}`) ? t(`nav.${p.path}`) : p.label;
}

function allowed(p) {
	return p.roles === null || p.roles.some(hasRole);
}

function landing() {
	const first = pages.find(allowed);
	return first ? first.path : 'account';
}

export function go(path) {
	if (location.hash === `#/${path}`) route();
	else location.hash = `#/${path}`;
}

function renderNav(current) {
	const nav = document.getElementById('nav');
	const who = document.getElementById('who');
	document.querySelector('a.skip').textContent = t('app.skip');
	nav.setAttribute('aria-label', t('app.menu'));
	if (!signedIn() || session.mustChangePassword || session.mustEnrol) {
		nav.replaceChildren();
		who.replaceChildren();
		if (signedIn()) who.append(h('button', { type: 'button', class: 'link', onclick: signOut }, t('app.sign_out')));
		return;
	}
	show(nav, h('ul', {}, pages.filter(allowed).map((p) => h('li', {},
		h('a', { href: `#/${p.path}`, 'aria-current': p.path === current ? 'page' : null }, navLabel(p))))));
	show(who, h('span', { class: 'who-name' }, session.user.display_name || session.user.name),
		h('button', { type: 'button', class: 'link', onclick: signOut }, t('app.sign_out')));
}

export async function signOut(reason) {
	stopIdle();
	if (signedIn()) await api('DELETE', '/api/v1/session');
	forget();
	if (reason === 'idle') setFlash(t('app.signed_out_idle'), 'warning');
	else if (reason === 'lost') setFlash(t('app.session_lost'), 'warning');
	else setFlash(t('app.signed_out'));
	go('signin');
}

/* After sign-in or a changed session: start the idle clock and go on. */
export function signedInNow() {
	startIdle(session.idleTimeout, () => signOut('idle'));
	go(session.mustChangePassword ? 'password' : session.mustEnrol ? 'totp' : landing());
}

function mainEl() {
	return document.getElementById('main');
}

async function route() {
	const hash = location.hash.replace(/^#\/?/, '');
	// The printed report's page margins (patient_report.js) stay with it.
	document.documentElement.removeAttribute('style');
	const main = mainEl();
	// A password reset link from the e-mail: #reset=TOKEN.
	if (hash.startsWith('reset=')) {
		const token = hash.slice('reset='.length);
		history.replaceState(null, '', location.pathname);
		renderNav(null);
		signin.renderReset(main, token);
		return finish(main);
	}
	const name = hash.split('?')[0];
	if (!signedIn()) {
		stopIdle();
		renderNav(null);
		(publicPages[name] || publicPages.signin)(main);
		return finish(main);
	}
	// The server's gates come first: nothing else answers until then.
	if (session.mustChangePassword && name !== 'password') return go('password');
	if (!session.mustChangePassword && session.mustEnrol && name !== 'totp') return go('totp');
	renderNav(name);
	if (name === 'password') account.renderPasswordGate(main);
	else if (name === 'totp') account.renderTotpGate(main);
	else if (name === '' || name === 'signin' || name === 'forgot') return go(landing());
	else {
		const p = pages.find((x) => x.path === name);
		if (!p) {
			show(main, h('h1', {}, t('app.not_found')), notice(t('app.no_such_page'), 'error'));
		} else if (!allowed(p)) {
			show(main, h('h1', {}, t('app.not_allowed')),
				notice(t('app.not_for_your_roles', { page: navLabel(p) }), 'error'));
		} else {
			document.title = `${navLabel(p)} — medgate`;
			p.page.render(main);
		}
	}
	return finish(main);
}

function finish(main) {
	if (flash) {
		main.prepend(notice(flash.text, flash.kind));
		flash = null;
	}
	const h1 = main.querySelector('h1');
	if (h1) {
		if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
		h1.focus({ preventScroll: true });
	}
}

async function start() {
	applyLanguage(null);
	installIdleHandlers();
	whenSessionLost(() => signOut('lost'));
	window.addEventListener('hashchange', route);
	if (!location.hash.startsWith('#reset=') && (await resume())) {
		startIdle(session.idleTimeout, () => signOut('idle'));
	}
	route();
}

start();
