// Sign-in (with the second-factor step), "forgot password" and the reset
// link's page. The server answers every failed sign-in with the same text
// ("invalid credentials or locked"), and the page shows exactly that.
import { api } from '../api.js';
import { h, show, notice } from '../dom.js';
import { form } from '../forms.js';
import { adopt } from '../session.js';
import { t } from '../i18n.js';
import { go, setFlash, signedInNow } from '../app.js';

function card(main, title, ...body) {
	document.title = `${title} — medgate`;
	show(main, h('section', { class: 'card narrow' }, h('h1', {}, title), body));
}

export function render(main) {
	let credentials = null;
	const specs = [
		{ name: 'user', label: t('signin.account'), required: true, autocomplete: 'username' },
		{ name: 'password', label: t('signin.password'), type: 'password', required: true,
			autocomplete: 'current-password' },
	];
	const signIn = form(specs, async (v) => {
		const res = await api('POST', '/api/v1/session', { user: v.user, password: v.password });
		if (res.ok && res.data.second_factor_required) {
			credentials = { user: v.user, password: v.password };
			signIn.hidden = true;
			second.hidden = false;
			second.querySelector('input').focus();
			return res;
		}
		if (res.ok) {
			adopt(res.data);
			signedInNow();
		}
		return res;
	}, { submitLabel: t('signin.submit'), label: t('signin.title') });

	const second = form([
		{ name: 'totp', label: t('signin.code'), required: true,
			autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 16 },
	], async (v) => {
		const res = await api('POST', '/api/v1/session', { ...credentials, totp: v.totp });
		if (res.ok && res.data.user) {
			credentials = null;
			adopt(res.data);
			signedInNow();
			return res;
		}
		if (res.ok) return { ok: false, data: { error: t('signin.code_refused'), field: 'totp' } };
		return { ok: false, data: { ...res.data, field: 'totp' } };
	}, {
		submitLabel: t('signin.verify'), label: t('signin.second_factor'),
		buttons: h('button', { type: 'button', class: 'secondary', onclick: () => {
			credentials = null;
			second.hidden = true;
			signIn.hidden = false;
			signIn.querySelector('input[name="password"]').value = '';
			signIn.querySelector('input').focus();
		} }, t('common.back')),
	});
	second.hidden = true;

	card(main, t('signin.title'), signIn, second,
		h('p', { class: 'hint' }, t('signin.lock_hint')),
		h('p', {}, h('a', { href: '#/forgot' }, t('signin.forgot_link'))));
}

export function renderForgot(main) {
	const f = form([
		{ name: 'user', label: t('signin.account'), required: true, autocomplete: 'username' },
	], async (v) => {
		const res = await api('POST', '/api/v1/password-reset', { user: v.user });
		if (res.ok) {
			f.replaceWith(notice(t('forgot.sent')));
		}
		return res;
	}, { submitLabel: t('forgot.submit'), label: t('forgot.title') });
	card(main, t('forgot.title'), f, h('p', {}, h('a', { href: '#/signin' }, t('forgot.back'))));
}

export function renderReset(main, token) {
	const f = form([
		{ name: 'new', label: t('password.new'), type: 'password', required: true, autocomplete: 'new-password' },
		{ name: 'repeat', label: t('password.repeat'), type: 'password', required: true,
			autocomplete: 'new-password' },
	], async (v) => {
		if (v.new !== v.repeat) return { ok: false, data: { error: t('password.differ'), field: 'repeat' } };
		const res = await api('POST', '/api/v1/password-reset/confirm', { token, new: v.new });
		if (res.ok) {
			setFlash(t('reset.done'));
			go('signin');
		}
		return res;
	}, { submitLabel: t('reset.submit'), label: t('reset.title') });
	card(main, t('reset.title'), f);
}
