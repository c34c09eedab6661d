// Body measures for the clinician's view: the quantities of
// docs/quantities.md by API name, the BMI from weight and height, and the
// WHO's adult BMI classification.

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
	return q ? `${value.toFixed(q.digits)} ${q.unit}` : String(value);
}

/* BMI = weight (kg) / height (m)², or null. */
export function bmi(weightKg, heightCm) {
	if (!(weightKg > 0) || !(heightCm > 0)) return null;
	const m = heightCm / 100;
	return weightKg / (m * m);
}

// WHO classification of BMI for adults (WHO Technical Report Series 894).
const who = [
	{ below: 16, name: 'Severe thinness' },
	{ below: 17, name: 'Moderate thinness' },
	{ below: 18.5, name: 'Mild thinness' },
	{ below: 25, name: 'Normal range' },
	{ below: 30, name: 'Pre-obese' },
	{ below: 35, name: 'Obese class I' },
	{ below: 40, name: 'Obese class II' },
	{ below: Infinity, name: 'Obese class III' },
];

export function whoCategory(value) {
	if (typeof value !== 'number' || !Number.isFinite(value)) return null;
	return who.find((c) => value < c.below).name;
}

/* The measurements as rows sorted by time, each with its values by type
 * and its BMI: sent by the device, or computed from the weight and the
 * height of the same measurement or else the latest earlier one. */
export function series(measurements) {
	const rows = measurements.map((m) => {
		const values = {};
		for (const v of m.values || []) values[v.type] = v.value;
		return { id: m.id, time: new Date(m.time), device: m.device_name, values };
	}).filter((r) => !Number.isNaN(r.time.getTime()));
	rows.sort((a, b) => a.time - b.time || a.id - b.id);
	let height = null;
	for (const r of rows) {
		if (typeof r.values.body_height === 'number') height = r.values.body_height;
		if (typeof r.values.bmi === 'number') {
			r.bmi = r.values.bmi;
			r.bmiComputed = false;
		} else {
			r.bmi = bmi(r.values.body_weight, height);
			r.bmiComputed = r.bmi !== null;
		}
	}
	return rows;
}

/* The types present in rows, in the table's order. */
export function typesPresent(rows) {
	const seen = new Set();
	for (const r of rows) for (const t of Object.keys(r.values)) seen.add(t);
	const known = Object.keys(quantities).filter((t) => seen.has(t));
	return known.concat([...seen].filter((t) => !quantities[t]).sort());
}
