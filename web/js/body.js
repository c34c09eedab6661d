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
