// The clinician's patient view: find a patient by id in the own tenants,
// the latest body measures with BMI and its WHO category, trend charts,
// every measurement as a table, and a print-friendly report. The patient
// id stays in the page: it never goes into the address bar or history.
import { api } from '../api.js';
import { h, show, table, when } from '../dom.js';
import { form } from '../forms.js';
import * as body from '../body.js';
import { lineChart } from '../chart.js';

function latest(rows, pick) {
	for (let i = rows.length - 1; i >= 0; i--) {
		const v = pick(rows[i]);
		if (typeof v === 'number' && Number.isFinite(v)) return { value: v, row: rows[i] };
	}
	return null;
}

function summary(rows) {
	const items = [];
	const add = (label, text, extra) => items.push(h('div', { class: 'stat' },
		h('dt', {}, label), h('dd', {}, text, extra || null)));
	const w = latest(rows, (r) => r.values.body_weight);
	const ht = latest(rows, (r) => r.values.body_height);
	const b = latest(rows, (r) => r.bmi);
	if (w) add('Body weight', body.format('body_weight', w.value), h('span', { class: 'stat-when' }, when(w.row.time)));
	if (ht) add('Body height', body.format('body_height', ht.value), h('span', { class: 'stat-when' }, when(ht.row.time)));
	if (b) {
		add('BMI', body.format('bmi', b.value),
			h('span', { class: 'who-category', 'data-bmi-category': body.whoCategory(b.value) },
				`WHO: ${body.whoCategory(b.value)}`),
			b.row.bmiComputed ? h('span', { class: 'stat-when' }, 'computed from weight and height') : null);
	}
	return items.length ? h('dl', { class: 'stats' }, items) : null;
}

function compositionBlock(rows) {
	const present = body.composition.map((t) => ({ t, last: latest(rows, (r) => r.values[t]) }))
		.filter((x) => x.last);
	if (present.length === 0) return null;
	return h('section', { class: 'card composition' }, h('h2', {}, 'Body composition'),
		h('dl', { class: 'stats' }, present.map((x) => h('div', { class: 'stat' },
			h('dt', {}, body.label(x.t)), h('dd', {}, body.format(x.t, x.last.value),
				h('span', { class: 'stat-when' }, when(x.last.row.time)))))));
}

function charts(rows) {
	const specs = [
		{ title: 'Body weight', unit: 'kg', pick: (r) => r.values.body_weight },
		{ title: 'BMI', unit: 'kg/m²', pick: (r) => r.bmi },
		{ title: 'Body fat', unit: '%', pick: (r) => r.values.body_fat },
	];
	const figures = specs.map((s) => {
		const points = rows.filter((r) => typeof s.pick(r) === 'number')
			.map((r) => ({ time: r.time, value: s.pick(r) }));
		return points.length ? lineChart({ title: s.title, unit: s.unit, points }) : null;
	}).filter(Boolean);
	return figures.length ? h('section', { class: 'charts' }, h('h2', {}, 'Trends'), figures) : null;
}

function measurementTable(rows) {
	const types = body.typesPresent(rows);
	const columns = [
		{ label: 'Time', cell: (r) => r.time.toLocaleString() },
		...types.map((t) => ({ label: body.label(t), class: 'num', cell: (r) => (t in r.values ? body.format(t, r.values[t]) : '') })),
	];
	if (!types.includes('bmi')) {
		columns.push({ label: 'BMI (computed)', class: 'num', cell: (r) => (r.bmi === null ? '' : body.format('bmi', r.bmi)) });
	}
	columns.push({ label: 'WHO category', cell: (r) => body.whoCategory(r.bmi) });
	columns.push({ label: 'Device', cell: (r) => r.device });
	return h('section', { class: 'measurements' }, h('h2', {}, 'Measurements'),
		table(`${rows.length} measurements, oldest first`, columns, rows));
}

// "Who accessed my data": the audit trail's records about this patient,
// for the clinician to hand to the patient. Asking is itself recorded.
async function accesses(box, pid) {
	const res = await api('GET', `/api/v1/patients/${encodeURIComponent(pid)}/accesses`);
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.data && res.data.error ? res.data.error : 'Could not load the accesses.'));
		return;
	}
	const columns = [
		{ label: 'Time', cell: (a) => new Date(a.time).toLocaleString() },
		{ label: 'Who', cell: (a) => a.actor },
		{ label: 'Roles', cell: (a) => a.roles },
		{ label: 'From', cell: (a) => a.address },
		{ label: 'What', cell: (a) => a.action },
		{ label: 'Outcome', cell: (a) => a.outcome },
	];
	show(box, h('h2', { tabindex: '-1' }, 'Who accessed this patient\'s data'),
		table(`${res.data.accesses.length} accesses, oldest first`, columns, res.data.accesses));
	box.querySelector('h2').focus();
}

function report(box, pid, rows) {
	const printed = new Date().toLocaleString();
	const accessBox = h('section', { class: 'accesses', 'aria-live': 'polite' });
	show(box,
		h('header', { class: 'report-head' },
			h('h2', { tabindex: '-1' }, `Patient ${pid}`),
			h('p', { class: 'print-only' }, `medgate patient report, printed ${printed}`),
			h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, 'Print report'),
			h('button', { type: 'button', class: 'no-print', onclick: () => accesses(accessBox, pid) },
				'Who accessed this data')),
		rows.length === 0 ? h('p', {}, 'No measurements yet.') : [
			summary(rows), compositionBlock(rows), charts(rows), measurementTable(rows),
		],
		accessBox);
	box.querySelector('h2').focus();
}

export function render(main) {
	const result = h('div', { class: 'patient-report', 'aria-live': 'polite' });
	const find = form([
		{ name: 'patient', label: 'Patient id', required: true, maxlength: 64, autocomplete: 'off',
			hint: 'The id on the patient\'s wristband or chart; only patients of your wards are found.' },
	], async (v) => {
		const pid = v.patient.trim();
		if (!/^[A-Za-z0-9._:-]{1,64}$/.test(pid)) {
			return { ok: false, data: { field: 'patient', error: 'letters, digits and . _ : - only' } };
		}
		const res = await api('GET', `/api/v1/patients/${encodeURIComponent(pid)}/measurements`);
		if (res.status === 404) {
			result.replaceChildren();
			return { ok: false, data: { field: 'patient', error: 'no patient with this id in your tenants' } };
		}
		if (res.ok) report(result, res.data.patient, body.series(res.data.measurements));
		return res;
	}, { submitLabel: 'Find patient', class: 'no-print inline', label: 'Find a patient' });
	document.title = 'Patients — medgate';
	show(main, h('h1', { class: 'no-print' }, 'Patients'), find, result);
}
