// The interface's language: every text a page shows comes from t(key,
// params) and one message file per language (web/js/i18n/<code>.js);
// numbers, dates and units go through the formatters here, in the same
// locale, so one page never mixes "1,5" and "1.5". The language is the
// account's choice (kept in this browser), else the browser's first
// language we have, else English. Adding a language is adding its file
// and its line in LANGUAGES (tests/check-i18n.py fails on a file that is
// missing there, on a key missing from a file, and on placeholders that
// differ between languages).
import en from './i18n/en.js';
import de from './i18n/de.js';

export const LANGUAGES = { en, de };
const FALLBACK = 'en';
const STORE_KEY = 'medgate.language';

let lang = FALLBACK;
let locale = FALLBACK;
let plural = new Intl.PluralRules(FALLBACK);
const numberFormats = new Map();

/* The first of the browser's languages we have a file for, or null. */
function browserLanguage() {
	for (const tag of navigator.languages || [navigator.language]) {
		const code = String(tag || '').toLowerCase().split('-')[0];
		if (Object.hasOwn(LANGUAGES, code)) return { code, tag };
	}
	return null;
}

function storageKey(account) {
	return account ? `${STORE_KEY}.${account}` : STORE_KEY;
}

/* The choice an account made in this browser ('' when none). */
export function chosenLanguage(account) {
	try {
		const v = localStorage.getItem(storageKey(account)) || '';
		return Object.hasOwn(LANGUAGES, v) ? v : '';
	} catch (e) {
		return '';
	}
}

/* Remember (or with '' forget) an account's choice and apply it. */
export function chooseLanguage(account, code) {
	try {
		if (code) localStorage.setItem(storageKey(account), code);
		else localStorage.removeItem(storageKey(account));
		// The sign-in page, before anyone is signed in, follows the last
		// choice made in this browser.
		if (code) localStorage.setItem(STORE_KEY, code);
		else localStorage.removeItem(STORE_KEY);
	} catch (e) {
		// storage refused (private mode): the choice holds for this page only
	}
	applyLanguage(account);
}

/* Pick the language for account (null before sign-in: the last choice
 * made in this browser) and set <html lang>. */
export function applyLanguage(account) {
	const browser = browserLanguage();
	const chosen = chosenLanguage(account);
	lang = chosen || (browser ? browser.code : FALLBACK);
	// A regional tag of the browser (de-AT, en-GB) shapes dates and
	// numbers when it is of the same language.
	locale = browser && browser.code === lang ? browser.tag : lang;
	try {
		Intl.getCanonicalLocales(locale);
	} catch (e) {
		locale = lang;
	}
	plural = new Intl.PluralRules(locale);
	numberFormats.clear();
	document.documentElement.lang = lang;
	return lang;
}

export function language() {
	return lang;
}

/* Whether key has a text (in the language or in English). */
export function has(key) {
	return Object.hasOwn(LANGUAGES[lang], key) || Object.hasOwn(LANGUAGES[FALLBACK], key);
}

function lookup(key) {
	const own = LANGUAGES[lang];
	if (Object.hasOwn(own, key)) return own[key];
	if (Object.hasOwn(LANGUAGES[FALLBACK], key)) return LANGUAGES[FALLBACK][key];
	return null;
}

/* The text of key with {name} placeholders filled from params; a message
 * that is {one, other, ...} is chosen by params.count. Numbers in params
 * are formatted for the locale. */
export function t(key, params = {}) {
	let msg = lookup(key);
	if (msg === null) return key;
	if (typeof msg === 'object') {
		const form = plural.select(Number(params.count));
		msg = msg[form] ?? msg.other;
	}
	return msg.replace(/\{([a-z_]+)\}/g, (all, name) => {
		if (!Object.hasOwn(params, name)) return all;
		const v = params[name];
		return typeof v === 'number' ? number(v) : String(v);
	});
}

function numberFormat(digits) {
	const k = digits === undefined ? 'any' : digits;
	if (!numberFormats.has(k)) {
		numberFormats.set(k, new Intl.NumberFormat(locale, digits === undefined ? {}
			: { minimumFractionDigits: digits, maximumFractionDigits: digits }));
	}
	return numberFormats.get(k);
}

/* A number in the locale, with exactly digits decimals when given. */
export function number(value, digits) {
	return Number.isFinite(value) ? numberFormat(digits).format(value) : String(value);
}

/* A value with its unit ("1,5 kg"); units are symbols, not translated. */
export function unit(value, symbol, digits) {
	return `${number(value, digits)}\u00a0${symbol}`;
}

function asDate(v) {
	const d = v instanceof Date ? v : new Date(v);
	return Number.isNaN(d.getTime()) ? null : d;
}

/* Date and time (from a Date or RFC 3339 text) in the locale. */
export function dateTime(v) {
	const d = asDate(v);
	return d ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d) : String(v);
}

export function date(v, opts = {}) {
	const d = asDate(v);
	return d ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', ...opts }).format(d) : String(v);
}

export function time(v) {
	const d = asDate(v);
	return d ? new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(d) : String(v);
}

/* A list ("a, b and c") in the locale. */
export function list(items) {
	return new Intl.ListFormat(locale, { type: 'conjunction' }).format(items.map(String));
}
