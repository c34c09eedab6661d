// The own account: change the password (forced after an administrator set
// it), enrol a TOTP second factor with its QR code, remove it; choose the
// interface's language (kept in this browser, per account).
import { api } from '../api.js';
import { h, show, notice } from '../dom.js';
import { form } from '../forms.js';
import { session, adopt, accountKey } from '../session.js';
import { t, LANGUAGES, chosenLanguage, chooseLanguage } from '../i18n.js';
import { go, signedInNow } from '../app.js';

function passwordForm(after) {
	return form([
		{ name: 'old', label: t('password.current'), type: 'password', required: true,
			autocomplete: 'current-password' },
		{ name: 'new', label: t('password.new'), type: 'password', required: true, autocomplete: 'new-password',
			hint: t('password.rules') },
		{ name: 'repeat', label: t('password.repeat'), type: 'password', required: true,
			autocomplete: 'new-password' },
	], async (v, el) => {
		if (v.new !== v.repeat) return { ok: false, data: { error: t('password.differ'), field: 'repeat' } };
		const res = await api('POST', '/api/v1/session/password', { old: v.old, new: v.new });
		if (res.ok) {
			adopt(res.data); // the server begins a new session with a new CSRF token
			el.reset();
			after();
		}
		return res;
	}, { submitLabel: t('password.change'), label: t('password.change') });
}

function qrImage(svgText) {
	// The QR code is the server's SVG, shown as an image (img-src data:),
	// so nothing in it can run or style the page.
	const bytes = new TextEncoder().encode(svgText);
	let bin = '';
	for (const b of bytes) bin += String.fromCharCode(b);
	return h('img', { class: 'qr', src: `data:image/svg+xml;base64,${btoa(bin)}`,
		alt: t('totp.qr_alt'), width: 220, height: 220 });
}

/* Enrolment: start, show the QR code and secret, confirm with a code,
 * show the recovery codes once. done() runs after the codes are seen. */
function totpEnrol(box, done) {
	const start = h('button', { type: 'button' }, t('totp.set_up'));
	const startError = h('p', { class: 'form-error', role: 'alert' });
	start.addEventListener('click', async () => {
		startError.textContent = '';
		const res = await api('POST', '/api/v1/session/totp');
		if (!res.ok) {
			startError.textContent = res.data.error;
			return;
		}
		const confirm = form([
			{ name: 'code', label: t('totp.code'), required: true, autocomplete: 'one-time-code',
				inputmode: 'numeric', maxlength: 16 },
		], async (v) => {
			const r = await api('POST', '/api/v1/session/totp/confirm', { code: v.code });
			if (r.ok) {
				session.mustEnrol = false;
				if (session.user) session.user.second_factor = true;
				show(box, h('h2', {}, t('totp.recovery_codes')),
					notice(t('totp.active_now')),
					h('p', {}, t('totp.keep_codes')),
					h('ul', { class: 'codes' }, r.data.recovery_codes.map((c) => h('li', {}, h('code', {}, c)))),
					h('button', { type: 'button', onclick: done }, t('totp.kept')));
				box.querySelector('h2').focus();
			}
			return r;
		}, { submitLabel: t('totp.activate'), label: t('totp.confirm') });
		show(box, h('h2', { tabindex: '-1' }, t('totp.scan')),
			h('p', {}, t('totp.scan_hint')),
			qrImage(res.data.qr_svg),
			h('p', {}, t('totp.or_key'), ' ', h('code', { class: 'secret' }, res.data.secret)),
			confirm);
		box.querySelector('h2').focus();
	});
	show(box, start, startError);
}

export function renderPasswordGate(main) {
	document.title = `${t('password.change')} — medgate`;
	show(main, h('section', { class: 'card narrow' }, h('h1', {}, t('password.gate_title')),
		notice(t('password.gate_notice')),
		passwordForm(() => signedInNow())));
}

export function renderTotpGate(main) {
	document.title = `${t('totp.title')} — medgate`;
	const box = h('div');
	show(main, h('section', { class: 'card narrow' }, h('h1', {}, t('totp.set_up')),
		notice(t('totp.gate_notice')), box));
	totpEnrol(box, () => signedInNow());
}

/* A role's name in the interface's language (the API's name when none). */
export function roleLabel(role) {
	return t(`role.${role}`);
}

/* The language of the interface: this account's choice in this browser,
 * or the browser's language ("automatic"). */
function languageCard() {
	const key = accountKey();
	const f = form([
		{ name: 'language', label: t('language.label'), type: 'select', value: chosenLanguage(key),
			hint: t('language.hint'),
			options: [{ value: '', label: t('language.browser') },
				...Object.entries(LANGUAGES).map(([code, m]) => ({ value: code, label: m['language.name'] }))] },
	], async (v) => {
		chooseLanguage(key, v.language);
		go('account');
		return { ok: true };
	}, { submitLabel: t('language.save'), label: t('language.label') });
	return h('section', { class: 'card' }, h('h2', {}, t('language.label')), f);
}

export function render(main) {
	const u = session.user;
	const changed = h('div', { role: 'status' });
	const totpBox = h('div');
	const hasFactor = Boolean(u.second_factor);
	show(main,
		h('h1', {}, t('nav.account')),
		h('dl', { class: 'facts' },
			h('dt', {}, t('account.account')), h('dd', {}, u.name),
			h('dt', {}, t('account.roles')), h('dd', {}, u.roles.map(roleLabel).join(', ')),
			h('dt', {}, t('totp.title')), h('dd', {}, hasFactor ? t('totp.active') : t('totp.not_set_up'))),
		languageCard(),
		h('section', { class: 'card' }, h('h2', {}, t('password.change')), changed,
			passwordForm(() => show(changed, notice(t('password.changed'))))),
		h('section', { class: 'card' }, h('h2', {}, t('totp.title')), totpBox));
	if (hasFactor) {
		show(totpBox, form([
			{ name: 'password', label: t('totp.remove_password'), type: 'password', required: true,
				autocomplete: 'current-password' },
		], async (v) => {
			const res = await api('DELETE', '/api/v1/session/totp', { password: v.password });
			if (res.ok) {
				u.second_factor = false;
				go('account');
			}
			return res;
		}, { submitLabel: t('totp.remove'), label: t('totp.remove') }));
	} else {
		totpEnrol(totpBox, () => go('account'));
	}
}
