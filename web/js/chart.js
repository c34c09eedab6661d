// Trend charts drawn as SVG: reference bands behind the lines, axis titles
// with units, a y-range of at least a minimum span per quantity (a 0.1
// kg/m² wobble stays a wobble), date and time ticks for any span, a single
// point drawn, each point focusable with its value as its name (keyboard
// and touch), and the values as a table for screen readers. Colours and
// fonts come from the style sheet (classes): the CSP needs no inline style.
import { h, svg, uid } from './dom.js';

const W = 640;
const H = 300;
const PAD = { left: 70, right: 16, top: 14, bottom: 80 };

/* "Nice" tick values covering [lo, hi]. */
function ticks(lo, hi, count) {
	const span = hi - lo || Math.abs(hi) || 1;
	const raw = span / count;
	const mag = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
	const out = [];
	for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(6)));
	return out;
}

/* The y-range: the values, at least minSpan wide around them, within the
 * plausible limits, widened to nice ticks. */
function yRange(values, minSpan, limits) {
	let lo = Math.min(...values);
	let hi = Math.max(...values);
	const pad = Math.max((hi - lo) * 0.1, (minSpan - (hi - lo)) / 2, 0);
	lo -= pad;
	hi += pad;
	if (limits) {
		if (lo < limits[0]) { hi += limits[0] - lo; lo = limits[0]; }
		if (hi > limits[1]) { lo -= hi - limits[1]; hi = limits[1]; }
	}
	const t = ticks(lo, hi, 5);
	const step = t.length > 1 ? t[1] - t[0] : 1;
	if (t[0] > lo) t.unshift(Number((t[0] - step).toFixed(6)));
	if (t[t.length - 1] < hi) t.push(Number((t[t.length - 1] + step).toFixed(6)));
	return { lo: t[0], hi: t[t.length - 1], ticks: t };
}

const DAY = 86400e3;

/* Time ticks at round hours or days, labelled with the date and, for
 * spans under a week, the time. */
function timeTicks(t0, t1) {
	const span = t1 - t0;
	const steps = [3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];
	const step = steps.find((s) => span / s < 4.5) || 365 * DAY;
	const first = new Date(t0);
	if (step < DAY) first.setMinutes(0, 0, 0);
	else first.setHours(0, 0, 0, 0);
	const out = [];
	for (let t = first.getTime(); t <= t1; t += step) if (t >= t0) out.push(t);
	if (out.length < 2) return { ticks: [t0, t1], step };
	return { ticks: out, step };
}

function dateText(ms) {
	return new Date(ms).toLocaleDateString([], { day: '2-digit', month: 'short', year: 'numeric' });
}

/* A tick's date: day and month (the year is in the axis title), or month
 * and year for ticks a month or more apart. */
function tickDate(ms, step) {
	return new Date(ms).toLocaleDateString([], step >= 30 * DAY ? { month: 'short', year: 'numeric' }
		: { day: 'numeric', month: 'short' });
}

function timeText(ms) {
	return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function years(t0, t1) {
	const a = new Date(t0).getFullYear();
	const b = new Date(t1).getFullYear();
	return a === b ? String(a) : `${a}–${b}`;
}

export function stamp(ms) {
	return `${dateText(ms)} ${timeText(ms)}`;
}

/* series: [{name, cls, points: [{time: Date, value}]}] sorted by time;
 * axis: the y-axis title (short; title if absent);
 * bands: [{from, to, label, cls}] (from/to may be ±Infinity); minSpan,
 * limits [lo, hi]. Returns a <figure> with one focusable circle.point
 * per point and a table of the values. */
export function lineChart({ title, axis, unit, series, bands = [], minSpan = 1, limits = null, digits = 1 }) {
	const id = uid('chart');
	const all = series.flatMap((s) => s.points);
	const values = all.map((p) => p.value);
	const times = all.map((p) => p.time.getTime());
	const y0 = yRange(values, minSpan, limits);
	const { lo, hi } = y0;
	let t0 = Math.min(...times);
	let t1 = Math.max(...times);
	if (t1 - t0 < 2 * 3600e3) {
		const mid = (t0 + t1) / 2;
		t0 = mid - 3600e3;
		t1 = mid + 3600e3;
	} else {
		const m = (t1 - t0) * 0.04;
		t0 -= m;
		t1 += m;
	}
	const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
	const y = (v) => H - PAD.bottom - ((v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
	const xt = timeTicks(t0, t1);
	const showTime = xt.step < DAY;
	const anchor = (t) => (x(t) < PAD.left + 60 ? 'start' : x(t) > W - PAD.right - 60 ? 'end' : 'middle');

	const bandEls = bands.filter((b) => b.to > lo && b.from < hi).map((b) => {
		const top = y(Math.min(b.to, hi));
		const bottom = y(Math.max(b.from, lo));
		return svg('g', { class: `band band-${b.cls}` },
			svg('rect', { x: PAD.left, y: top, width: W - PAD.left - PAD.right, height: Math.max(bottom - top, 0) }),
			bottom - top >= 24 ? svg('text', { x: W - PAD.right - 4, y: top + 20, class: 'band-label' }, b.label) : null);
	});
	const grid = y0.ticks.map((v) => svg('g', { class: 'tick' },
		svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
		svg('text', { x: PAD.left - 6, y: y(v) + 5, class: 'label label-y' }, v.toLocaleString())));
	const xLabels = xt.ticks.map((t) => svg('g', { class: `tick tick-${anchor(t)}` },
		svg('line', { x1: x(t), x2: x(t), y1: H - PAD.bottom, y2: H - PAD.bottom + 5, class: 'axis' }),
		svg('text', { x: x(t), y: H - PAD.bottom + 25, class: 'label label-x' }, tickDate(t, xt.step)),
		showTime ? svg('text', { x: x(t), y: H - PAD.bottom + 48, class: 'label label-x' }, timeText(t)) : null));
	const tip = svg('text', { class: 'tip', x: PAD.left + 6, y: PAD.top + 14, 'aria-hidden': 'true' }, '');
	const lines = series.map((s) => {
		const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p.time.getTime()).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
		return svg('g', { class: `series ${s.cls || ''}` },
			s.points.length > 1 ? svg('path', { d, class: 'line' }) : null,
			s.points.map((p) => {
				const text = `${series.length > 1 ? `${s.name} ` : ''}${p.value.toFixed(digits)} ${unit}, ${stamp(p.time.getTime())}`;
				const show = () => { tip.textContent = text; };
				return svg('circle', {
					class: 'point', cx: x(p.time.getTime()).toFixed(1), cy: y(p.value).toFixed(1), r: 5,
					tabindex: '0', role: 'img', 'aria-label': text,
					onfocus: show, onmouseenter: show, onpointerdown: show,
				}, svg('title', {}, text));
			}));
	});
	const last = all.reduce((a, b) => (b.time > a.time ? b : a));
	const desc = `${all.length} values from ${dateText(Math.min(...times))} to ${dateText(Math.max(...times))}; ` +
		`latest ${last.value.toFixed(digits)} ${unit}.`;
	const legend = series.length > 1 ? h('ul', { class: 'legend' }, series.map((s) => h('li', { class: s.cls }, s.name))) : null;
	const rowsByTime = new Map();
	for (const s of series) {
		for (const p of s.points) {
			const k = p.time.getTime();
			if (!rowsByTime.has(k)) rowsByTime.set(k, {});
			rowsByTime.get(k)[s.name] = p.value;
		}
	}
	const dataRows = [...rowsByTime.entries()].sort((a, b) => b[0] - a[0]);

	return h('figure', { class: 'chart', 'data-points': all.length, 'aria-labelledby': `${id}-c` },
		h('figcaption', { id: `${id}-c` }, h('strong', {}, `${title} (${unit})`), ` ${desc}`),
		legend,
		svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': `${title}: chart, each point focusable`,
			preserveAspectRatio: 'xMidYMid meet' },
			bandEls,
			grid,
			svg('line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: 'axis' }),
			svg('line', { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: 'axis' }),
			xLabels,
			svg('text', { class: 'axis-title', x: 18, y: (PAD.top + H - PAD.bottom) / 2,
				transform: `rotate(-90 18 ${(PAD.top + H - PAD.bottom) / 2})` }, `${axis || title} (${unit})`),
			svg('text', { class: 'axis-title', x: (PAD.left + W - PAD.right) / 2, y: H - 5 },
				`${showTime ? 'Date and time' : 'Date'} of measurement (${years(t0, t1)})`),
			lines,
			tip),
		h('details', { class: 'chart-table no-print' },
			h('summary', {}, `${title}: values as a table`),
			h('table', {},
				h('caption', { class: 'visually-hidden' }, `${title} (${unit}), newest first`),
				h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'),
					series.map((s) => h('th', { scope: 'col', class: 'num' }, `${s.name} (${unit})`)))),
				h('tbody', {}, dataRows.map(([t, v]) => h('tr', {}, h('td', {}, stamp(t)),
					series.map((s) => h('td', { class: 'num' }, s.name in v ? v[s.name].toFixed(digits) : '—'))))))));
}
