// Sign-in (with the second-factor step), "forgot password" and the reset
// link's page. The server answers every failed sign-in with the same text
// ("invalid credentials or locked"), and the page shows exactly that.
import { api } from '../api.js';
import { h, show, notice } from '../dom.js';
import { form } from '../forms.js';
import { adopt } from '../session.js';
import { go, setFlash, signedInNow } from '../app.js';

function card(main, title, ...body) {
	document.title = `${title} — medgate`;
	show(main, h('section', { class: 'card narrow' }, h('h1', {}, title), body));
}

export function render(main) {
	let credentials = null;
	const specs = [
		{ name: 'user', label: 'Account name', required: true, autocomplete: 'username' },
		{ name: 'password', label: 'Password', type: 'password', required: true,
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
	}, { submitLabel: 'Sign in', label: 'Sign in' });

	const second = form([
		{ name: 'totp', label: 'Code from your authenticator app (or a recovery code)', required: true,
			autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 16 },
	], async (v) => {
		const res = await api('POST', '/api/v1/session', { ...credentials, totp: v.totp });
		if (res.ok && res.data.user) {
			credentials = null;
			adopt(res.data);
			signedInNow();
			return res;
		}
		if (res.ok) return { ok: false, data: { error: 'the code was not accepted', field: 'totp' } };
		return { ok: false, data: { ...res.data, field: 'totp' } };
	}, {
		submitLabel: 'Verify', label: 'Second factor',
		buttons: h('button', { type: 'button', class: 'secondary', onclick: () => {
			credentials = null;
			second.hidden = true;
			signIn.hidden = false;
			signIn.querySelector('input[name="password"]').value = '';
			signIn.querySelector('input').focus();
		} }, 'Back'),
	});
	second.hidden = true;

	card(main, 'Sign in', signIn, second,
		h('p', { class: 'hint' }, 'After several failed attempts an account is locked for a while.'),
		h('p', {}, h('a', { href: '#/forgot' }, 'Forgot your password?')));
}

export function renderForgot(main) {
	const f = form([
		{ name: 'user', label: 'Account name', required: true, autocomplete: 'username' },
	], async (v) => {
		const res = await api('POST', '/api/v1/password-reset', { user: v.user });
		if (res.ok) {
			f.replaceWith(notice('If the account exists and has an e-mail address, a link to set a new ' +
				'password is on its way. It works once and for a limited time.'));
		}
		return res;
	}, { submitLabel: 'Send reset link', label: 'Forgot password' });
	card(main, 'Forgot password', f, h('p', {}, h('a', { href: '#/signin' }, 'Back to sign-in')));
}

export function renderReset(main, token) {
	const f = form([
		{ name: 'new', label: 'New password', type: 'password', required: true, autocomplete: 'new-password' },
		{ name: 'repeat', label: 'New password again', type: 'password', required: true,
			autocomplete: 'new-password' },
	], async (v) => {
		if (v.new !== v.repeat) return { ok: false, data: { error: 'the two entries differ', field: 'repeat' } };
		const res = await api('POST', '/api/v1/password-reset/confirm', { token, new: v.new });
		if (res.ok) {
			setFlash('Your password is set; sign in with it.');
			go('signin');
		}
		return res;
	}, { submitLabel: 'Set password', label: 'Set a new password' });
	card(main, 'Set a new password', f);
}
