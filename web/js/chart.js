// A small trend chart drawn as SVG: one line, a point per measurement,
// axes with a few labelled ticks. Colours and fonts come from the style
// sheet (classes), so the Content-Security-Policy needs no inline style.
import { h, svg, uid } from './dom.js';
import { number, date, time, dateTime } from './i18n.js';

const W = 640;
const H = 240;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

/* "Nice" tick values covering [lo, hi]. */
function ticks(lo, hi, count) {
	const span = hi - lo || Math.abs(hi) || 1;
	const raw = span / count;
	const mag = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
	const out = [];
	for (let v = Math.floor(lo / step) * step; v <= hi + step / 2; v += step) out.push(Number(v.toFixed(6)));
	return out;
}

function timeLabel(ms, span) {
	const d = new Date(ms);
	return span < 2 * 86400e3 ? time(d) : date(d);
}

/* points: [{time: Date, value: number}] sorted by time. Returns a
 * <figure> whose SVG has one circle.point per point. */
export function lineChart({ title, unit, points, digits = 1 }) {
	const id = uid('chart');
	const values = points.map((p) => p.value);
	const times = points.map((p) => p.time.getTime());
	let lo = Math.min(...values);
	let hi = Math.max(...values);
	const margin = (hi - lo) * 0.1 || Math.abs(hi) * 0.05 || 1;
	lo -= margin;
	hi += margin;
	const yTicks = ticks(lo, hi, 4);
	lo = Math.min(lo, yTicks[0]);
	hi = Math.max(hi, yTicks[yTicks.length - 1]);
	let t0 = Math.min(...times);
	let t1 = Math.max(...times);
	if (t0 === t1) {
		t0 -= 3600e3;
		t1 += 3600e3;
	}
	const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
	const y = (v) => H - PAD.bottom - ((v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
	const xTicks = [t0, (t0 + t1) / 2, t1];

	const grid = yTicks.map((v) => svg('g', { class: 'tick' },
		svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
		svg('text', { x: PAD.left - 6, y: y(v) + 4, class: 'label label-y' }, number(v))));
	const xLabels = xTicks.map((t, i) => svg('text', {
		x: x(t), y: H - PAD.bottom + 18,
		class: `label label-x ${i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle'}`,
	}, timeLabel(t, t1 - t0)));
	const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.time.getTime()).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
	const dots = points.map((p) => svg('circle', {
		class: 'point', cx: x(p.time.getTime()).toFixed(1), cy: y(p.value).toFixed(1), r: 4,
	}, svg('title', {}, `${dateTime(p.time)}: ${number(p.value, digits)} ${unit}`)));
	const last = points[points.length - 1];
	const desc = `${points.length} measurements from ${date(t0)}; ` +
		`latest ${number(last.value, digits)} ${unit}.`;

	return h('figure', { class: 'chart', 'data-points': points.length },
		svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`,
			preserveAspectRatio: 'xMidYMid meet' },
			svg('title', { id: `${id}-t` }, `${title} (${unit})`),
			svg('desc', { id: `${id}-d` }, desc),
			grid,
			svg('line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: 'axis' }),
			svg('line', { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: 'axis' }),
			xLabels,
			svg('path', { d: path, class: 'line' }),
			dots),
		h('figcaption', {}, `${title} (${unit}): ${desc}`));
}
