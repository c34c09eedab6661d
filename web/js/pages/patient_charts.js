// The patient's trend charts, on the page and in the printed report: one
// per quantity the patient has, blood pressure and pulse included, with
// the reference bands of body.js (adult BMI classes only for adults: a
// child's BMI-for-age class is per value, in the table).
import { h } from '../dom.js';
import * as body from '../body.js';
import { lineChart } from '../chart.js';

function pointsOf(series, type) {
	return series.filter((s) => typeof s.values[type] === 'number')
		.map((s) => ({ time: new Date(s.time), value: s.values[type] }))
		.filter((p) => !Number.isNaN(p.time.getTime()));
}

function one(series, type, bands) {
	const q = body.quantities[type];
	const points = pointsOf(series, type);
	if (points.length === 0) return null;
	const spec = body.chartSpecs[type] || {};
	return lineChart({ title: q.label, axis: spec.axis, unit: q.unit, digits: q.digits, bands: bands || [],
		minSpan: spec.minSpan, limits: spec.limits, series: [{ name: q.label, points }] });
}

/* series: [{time, values: {type: value}}] oldest first; adult: whether
 * the adult BMI classes apply (the server's latest BMI reference). */
export function charts(series, adult) {
	const figures = [
		one(series, 'body_weight'),
		one(series, 'bmi', adult ? body.bands.bmi_adult : null),
		one(series, 'body_fat'),
		one(series, 'body_water'),
		one(series, 'bp_systolic', body.bands.bp_systolic),
		one(series, 'bp_diastolic', body.bands.bp_diastolic),
		one(series, 'pulse_rate', body.bands.pulse_rate),
	].filter(Boolean);
	if (!figures.length) return null;
	return h('section', { class: 'charts' }, h('h2', {}, 'Trends'),
		h('p', { class: 'chart-help no-print' }, 'Each point can be reached with the Tab key or a tap; its value and time are shown at the top of the chart.'),
		figures);
}
