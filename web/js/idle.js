// The idle timeout as the user sees it: the server ends a session after
// idle_timeout seconds without a request; a minute before (half the time
// when it is shorter) a warning counts down, and at the end the interface
// signs out and returns to the sign-in page. Typing or clicking keeps a
// session alive, as it would on any page the user is working in.
import { api, sinceLastRequest } from './api.js';
import { t } from './i18n.js';

let timer = null;
let config = null;

function warnSeconds(idle) {
	return Math.min(60, Math.floor(idle / 2));
}

function tick() {
	const idle = config.idle;
	const left = Math.ceil(idle - sinceLastRequest() / 1000);
	const box = document.getElementById('idle-warning');
	const text = document.getElementById('idle-text');
	if (left <= 0) {
		const { onExpire } = config;
		stopIdle();
		onExpire();
		return;
	}
	if (left <= warnSeconds(idle)) {
		text.textContent = t('idle.warning', { count: left });
		document.getElementById('idle-stay').textContent = t('idle.stay');
		if (box.hidden) {
			box.hidden = false;
			document.getElementById('idle-stay').focus();
		}
	} else if (!box.hidden) {
		box.hidden = true;
	}
}

async function keepAlive() {
	await api('GET', '/api/v1/session');
	tick();
}

function activity() {
	if (config && sinceLastRequest() / 1000 > config.idle / 4 &&
		document.getElementById('idle-warning').hidden) {
		keepAlive();
	}
}

export function startIdle(idleSeconds, onExpire) {
	stopIdle();
	config = { idle: idleSeconds, onExpire };
	timer = setInterval(tick, 1000);
	tick();
}

export function stopIdle() {
	if (timer !== null) clearInterval(timer);
	timer = null;
	config = null;
	const box = document.getElementById('idle-warning');
	if (box) box.hidden = true;
}

export function installIdleHandlers() {
	document.getElementById('idle-stay').addEventListener('click', keepAlive);
	document.addEventListener('keydown', activity, { passive: true });
	document.addEventListener('pointerdown', activity, { passive: true });
}
