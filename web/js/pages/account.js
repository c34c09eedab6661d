// The own account: change the password (forced after an administrator set
// it), enrol a TOTP second factor with its QR code, remove it.
import { api } from '../api.js';
import { h, show, notice } from '../dom.js';
import { form } from '../forms.js';
import { session, adopt } from '../session.js';
import { go, signedInNow } from '../app.js';

function passwordForm(after) {
	return form([
		{ name: 'old', label: 'Current password', type: 'password', required: true,
			autocomplete: 'current-password' },
		{ name: 'new', label: 'New password', type: 'password', required: true, autocomplete: 'new-password',
			hint: 'At least 12 characters; not a common password and not your account name.' },
		{ name: 'repeat', label: 'New password again', type: 'password', required: true,
			autocomplete: 'new-password' },
	], async (v, el) => {
		if (v.new !== v.repeat) return { ok: false, data: { error: 'the two entries differ', field: 'repeat' } };
		const res = await api('POST', '/api/v1/session/password', { old: v.old, new: v.new });
		if (res.ok) {
			adopt(res.data); // the server begins a new session with a new CSRF token
			el.reset();
			after();
		}
		return res;
	}, { submitLabel: 'Change password', label: 'Change password' });
}

function qrImage(svgText) {
	// The QR code is the server's SVG, shown as an image (img-src data:),
	// so nothing in it can run or style the page.
	const bytes = new TextEncoder().encode(svgText);
	let bin = '';
	for (const b of bytes) bin += String.fromCharCode(b);
	return h('img', { class: 'qr', src: `data:image/svg+xml;base64,${btoa(bin)}`,
		alt: 'QR code for your authenticator app', width: 220, height: 220 });
}

/* Enrolment: start, show the QR code and secret, confirm with a code,
 * show the recovery codes once. done() runs after the codes are seen. */
function totpEnrol(box, done) {
	const start = h('button', { type: 'button' }, 'Set up a second factor');
	const startError = h('p', { class: 'form-error', role: 'alert' });
	start.addEventListener('click', async () => {
		startError.textContent = '';
		const res = await api('POST', '/api/v1/session/totp');
		if (!res.ok) {
			startError.textContent = res.data.error;
			return;
		}
		const confirm = form([
			{ name: 'code', label: 'Code shown by the app', required: true, autocomplete: 'one-time-code',
				inputmode: 'numeric', maxlength: 16 },
		], async (v) => {
			const r = await api('POST', '/api/v1/session/totp/confirm', { code: v.code });
			if (r.ok) {
				session.mustEnrol = false;
				if (session.user) session.user.second_factor = true;
				show(box, h('h2', {}, 'Recovery codes'),
					notice('Your second factor is active.'),
					h('p', {}, 'Keep these codes somewhere safe. Each one signs you in once if you lose the app. ' +
						'They are shown only now.'),
					h('ul', { class: 'codes' }, r.data.recovery_codes.map((c) => h('li', {}, h('code', {}, c)))),
					h('button', { type: 'button', onclick: done }, 'I have kept them; continue'));
				box.querySelector('h2').focus();
			}
			return r;
		}, { submitLabel: 'Activate', label: 'Confirm second factor' });
		show(box, h('h2', { tabindex: '-1' }, 'Scan the QR code'),
			h('p', {}, 'Scan it with an authenticator app (TOTP, 6 digits, 30 seconds), then enter the code it shows.'),
			qrImage(res.data.qr_svg),
			h('p', {}, 'Or type this key: ', h('code', { class: 'secret' }, res.data.secret)),
			confirm);
		box.querySelector('h2').focus();
	});
	show(box, start, startError);
}

export function renderPasswordGate(main) {
	document.title = 'Change password — medgate';
	show(main, h('section', { class: 'card narrow' }, h('h1', {}, 'Choose a new password'),
		notice('Your password was set by an administrator; choose your own before going on.'),
		passwordForm(() => signedInNow())));
}

export function renderTotpGate(main) {
	document.title = 'Second factor — medgate';
	const box = h('div');
	show(main, h('section', { class: 'card narrow' }, h('h1', {}, 'Set up a second factor'),
		notice('Your role requires a second factor before you can go on.'), box));
	totpEnrol(box, () => signedInNow());
}

export function render(main) {
	const u = session.user;
	const changed = h('div', { role: 'status' });
	const totpBox = h('div');
	const hasFactor = Boolean(u.second_factor);
	show(main,
		h('h1', {}, 'My account'),
		h('dl', { class: 'facts' },
			h('dt', {}, 'Account'), h('dd', {}, u.name),
			h('dt', {}, 'Roles'), h('dd', {}, u.roles.join(', ')),
			h('dt', {}, 'Second factor'), h('dd', {}, hasFactor ? 'active' : 'not set up')),
		h('section', { class: 'card' }, h('h2', {}, 'Change password'), changed,
			passwordForm(() => show(changed, notice('Your password is changed; other sessions were ended.')))),
		h('section', { class: 'card' }, h('h2', {}, 'Second factor'), totpBox));
	if (hasFactor) {
		show(totpBox, form([
			{ name: 'password', label: 'Password, to remove the second factor', type: 'password', required: true,
				autocomplete: 'current-password' },
		], async (v) => {
			const res = await api('DELETE', '/api/v1/session/totp', { password: v.password });
			if (res.ok) {
				u.second_factor = false;
				go('account');
			}
			return res;
		}, { submitLabel: 'Remove second factor', label: 'Remove second factor' }));
	} else {
		totpEnrol(totpBox, () => go('account'));
	}
}
