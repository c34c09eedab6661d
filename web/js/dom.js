// Building the page without innerHTML: every text from the server or the
// user goes into text nodes, so nothing it holds can become markup.
import { t, dateTime } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
	for (const [key, value] of Object.entries(attrs || {})) {
		if (value === undefined || value === null || value === false) continue;
		if (key === 'style') throw new Error('no inline style: use a class');
		if (key.startsWith('on') && typeof value === 'function') {
			el.addEventListener(key.slice(2), value);
		} else if (key === 'text') {
			el.textContent = String(value);
		} else if (key === 'value' && 'value' in el) {
			el.value = value;
		} else if (key === 'checked' || key === 'selected') {
			el[key] = Boolean(value);
		} else {
			el.setAttribute(key, value === true ? '' : String(value));
		}
	}
	for (const child of children.flat(Infinity)) {
		if (child === undefined || child === null || child === false) continue;
		el.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
	return el;
}

/* h('p', {class: 'x'}, 'text', h('b', {}, 'bold')) */
export function h(tag, attrs, ...children) {
	return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
	return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

let uniqueCounter = 0;
export function uid(prefix) {
	uniqueCounter += 1;
	return `${prefix}-${uniqueCounter}`;
}

/* Replace the content of el. */
export function show(el, ...children) {
	el.replaceChildren();
	build(el, {}, children);
	return el;
}

/* A status line that screen readers announce. */
export function notice(text, kind = 'info') {
	return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/* A table: columns [{label, cell(row) -> Node|string}], rows. */
export function table(caption, columns, rows, empty) {
	if (rows.length === 0) return h('p', { class: 'empty' }, empty ?? t('common.nothing'));
	return h('div', { class: 'table-wrap' },
		h('table', {},
			h('caption', {}, caption),
			h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
			h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => {
				const v = c.cell(row);
				return h('td', { class: c.class }, v === undefined || v === null || v === '' ? '—' : v);
			}))))));
}

/* A date-time from the API (RFC 3339) as text in the interface's locale. */
export function when(text) {
	if (!text) return '—';
	return dateTime(text);
}

/* A button that asks once more before it acts. */
export function confirmButton(label, question, action) {
	const btn = h('button', { type: 'button', class: 'danger' }, label);
	let armed = false;
	btn.addEventListener('click', async () => {
		if (!armed) {
			armed = true;
			btn.textContent = question;
			return;
		}
		armed = false;
		btn.textContent = label;
		await action();
	});
	btn.addEventListener('blur', () => {
		armed = false;
		btn.textContent = label;
	});
	return btn;
}

export function heading(text) {
	const el = h('h1', { tabindex: '-1' }, text);
	return el;
}
