// Body measures for the clinician's view: the quantities of
// docs/quantities.md by API name, their labels and formats. What a value
// means (BMI classes, BMI-for-age, blood pressure classes) the server
// computes; the page only shows it.
import { number, unit } from './i18n.js';

export const quantities = {
	body_weight: { label: 'Body weight', unit: 'kg', digits: 1 },
	body_height: { label: 'Body height', unit: 'cm', digits: 1 },
	bmi: { label: 'BMI', unit: 'kg/m²', digits: 1 },
	body_fat: { label: 'Body fat', unit: '%', digits: 1 },
	body_water: { label: 'Body water', unit: 'kg', digits: 1 },
	bp_systolic: { label: 'Systolic blood pressure', unit: 'mmHg', digits: 0 },
	bp_diastolic: { label: 'Diastolic blood pressure', unit: 'mmHg', digits: 0 },
	bp_mean: { label: 'Mean blood pressure', unit: 'mmHg', digits: 0 },
	pulse_rate: { label: 'Pulse rate', unit: '/min', digits: 0 },
};

// Quantities that describe body composition, shown when a device sends them.
export const composition = ['body_fat', 'body_water'];

export function label(type) {
	return quantities[type] ? quantities[type].label : type;
}

export function format(type, value) {
	const q = quantities[type];
	if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
	return q ? unit(value, q.unit, q.digits) : number(value);
}

/* The measurements as rows sorted by time, each with its values by type.
 * Interpretation (BMI, classes, change) comes from the server. */
export function series(measurements) {
	const rows = measurements.map((m) => {
		const values = {};
		for (const v of m.values || []) values[v.type] = v.value;
		return { id: m.id, time: new Date(m.time), device: m.device_name, values };
	}).filter((r) => !Number.isNaN(r.time.getTime()));
	rows.sort((a, b) => a.time - b.time || a.id - b.id);
	return rows;
}

/* The types present in rows, in the table's order. */
export function typesPresent(rows) {
	const seen = new Set();
	for (const r of rows) for (const t of Object.keys(r.values)) seen.add(t);
	const known = Object.keys(quantities).filter((t) => seen.has(t));
	return known.concat([...seen].filter((t) => !quantities[t]).sort());
}

// What the charts draw behind the values: the y-range no chart zooms
// below (a scale's 0.1 kg noise stays flat), the plausible limits, and
// the reference bands. The bands are the server's classes
// (src/model/bmi.c: WHO adult; src/model/blood_pressure.c: ESH 2023),
// drawn, not applied: each value's class still comes from the server.
export const chartSpecs = {
	body_weight: { axis: 'Weight', minSpan: 4, limits: [0, 400] },
	body_height: { axis: 'Height', minSpan: 10, limits: [0, 250] },
	bmi: { axis: 'BMI', minSpan: 4, limits: [5, 80] },
	body_fat: { axis: 'Body fat', minSpan: 8, limits: [0, 80] },
	body_water: { axis: 'Water', minSpan: 4, limits: [0, 150] },
	bp_systolic: { axis: 'Systolic', minSpan: 40, limits: [40, 300] },
	bp_diastolic: { axis: 'Diastolic', minSpan: 30, limits: [20, 200] },
	pulse_rate: { axis: 'Pulse', minSpan: 30, limits: [20, 250] },
};

const INF = Infinity;
export const bands = {
	bmi_adult: [
		{ from: -INF, to: 18.5, label: 'Underweight', cls: 'low' },
		{ from: 18.5, to: 25, label: 'Normal', cls: 'normal' },
		{ from: 25, to: 30, label: 'Pre-obese', cls: 'raised' },
		{ from: 30, to: INF, label: 'Obese', cls: 'high' },
	],
	bp_systolic: [
		{ from: -INF, to: 120, label: 'Optimal', cls: 'normal' },
		{ from: 120, to: 140, label: 'Normal / high normal', cls: 'raised' },
		{ from: 140, to: 160, label: 'Grade 1', cls: 'high' },
		{ from: 160, to: INF, label: 'Grade 2–3', cls: 'very-high' },
	],
	bp_diastolic: [
		{ from: -INF, to: 80, label: 'Optimal', cls: 'normal' },
		{ from: 80, to: 90, label: 'Normal / high normal', cls: 'raised' },
		{ from: 90, to: 100, label: 'Grade 1', cls: 'high' },
		{ from: 100, to: INF, label: 'Grade 2–3', cls: 'very-high' },
	],
	pulse_rate: [
		{ from: 60, to: 100, label: 'Resting 60–100 /min', cls: 'normal' },
	],
};
