// One patient for the clinician: who it is (two identifiers on screen and
// on the printout), the identity to edit, the latest measures with the
// interpretation the server computed (BMI class or BMI-for-age for
// children, blood pressure class, change since the previous measurement),
// trend charts, every measurement as a table, and "who accessed this
// data". The page never classifies anything itself.
import { api } from '../api.js';
import { h, show, table, when } from '../dom.js';
import { form } from '../forms.js';
import * as body from '../body.js';
import { lineChart } from '../chart.js';
import { identityFields, identityBody, identifiers, fullName } from './patient_identity.js';

function path(pid, rest = '') {
	return `/api/v1/patients/${encodeURIComponent(pid)}${rest}`;
}

function latest(ms, pick) {
	for (let i = ms.length - 1; i >= 0; i--) {
		const v = pick(ms[i]);
		if (v !== null && v !== undefined) return { value: v, m: ms[i] };
	}
	return null;
}

function valueOf(m, type) {
	const v = (m.values || []).find((x) => x.type === type);
	return v ? v.value : null;
}

function changeText(m, type) {
	const c = m.change && m.change[type];
	if (!c) return null;
	const q = body.quantities[type];
	const sign = c.delta > 0 ? '+' : '';
	const units = q ? `${sign}${c.delta.toFixed(q.digits)} ${q.unit}` : `${sign}${c.delta}`;
	const pct = c.percent === null ? '' : ` (${sign}${c.percent.toFixed(1)} %)`;
	return h('span', { class: 'stat-change' }, `${units}${pct} since the previous`);
}

function stat(label, text, ...extra) {
	return h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, text, ...extra));
}

function bmiClass(b) {
	if (!b) return null;
	if (b.class === 'none') {
		return h('span', { class: 'bmi-class no-class', 'data-bmi-class': 'none' }, `No class: ${b.why_not_text}`);
	}
	const z = b.zscore === null ? '' : `, z-score ${b.zscore.toFixed(2)}`;
	return h('span', { class: 'bmi-class', 'data-bmi-class': b.class }, `${b.label} (${b.reference_name}${z})`);
}

function bpClass(bp) {
	if (!bp) return null;
	if (bp.class === 'none') return h('span', { class: 'bp-class no-class' }, `No class: ${bp.why_not_text}`);
	return h('span', { class: 'bp-class', 'data-bp-class': bp.class }, `${bp.label} (${bp.guideline})`);
}

function cards(ms) {
	const items = [];
	const w = latest(ms, (m) => valueOf(m, 'body_weight'));
	const ht = latest(ms, (m) => valueOf(m, 'body_height'));
	const b = latest(ms, (m) => m.bmi);
	const when_ = (m) => h('span', { class: 'stat-when' }, when(m.time));
	if (w) items.push(stat('Body weight', body.format('body_weight', w.value), when_(w.m), changeText(w.m, 'body_weight')));
	if (ht) items.push(stat('Body height', body.format('body_height', ht.value), when_(ht.m)));
	if (b) {
		items.push(stat('BMI', body.format('bmi', b.value.value), bmiClass(b.value),
			b.value.computed ? h('span', { class: 'stat-when' }, 'computed from weight and height') : null,
			changeText(b.m, 'bmi')));
	}
	const out = items.length ? [h('section', { class: 'card body-card' }, h('h2', {}, 'Body measures'), h('dl', { class: 'stats' }, items))] : [];
	const bp = latest(ms, (m) => m.blood_pressure);
	if (bp) {
		const pulse = valueOf(bp.m, 'pulse_rate');
		out.push(h('section', { class: 'card bp-card' }, h('h2', {}, 'Blood pressure'),
			h('dl', { class: 'stats' },
				stat('Blood pressure', `${bp.value.systolic.toFixed(0)}/${bp.value.diastolic.toFixed(0)} mmHg`,
					bpClass(bp.value), when_(bp.m), changeText(bp.m, 'bp_systolic')),
				pulse === null ? null : stat('Pulse', body.format('pulse_rate', pulse)))));
	}
	const comp = body.composition.map((t) => ({ t, last: latest(ms, (m) => valueOf(m, t)) })).filter((x) => x.last);
	if (comp.length) {
		out.push(h('section', { class: 'card composition' }, h('h2', {}, 'Body composition'),
			h('dl', { class: 'stats' }, comp.map((x) => stat(body.label(x.t), body.format(x.t, x.last.value),
				when_(x.last.m), changeText(x.last.m, x.t))))));
	}
	return out;
}

function charts(ms) {
	const specs = [
		{ title: 'Body weight', unit: 'kg', pick: (m) => valueOf(m, 'body_weight') },
		{ title: 'BMI', unit: 'kg/m²', pick: (m) => (m.bmi ? m.bmi.value : null) },
		{ title: 'Body fat', unit: '%', pick: (m) => valueOf(m, 'body_fat') },
		{ title: 'Systolic blood pressure', unit: 'mmHg', pick: (m) => valueOf(m, 'bp_systolic') },
	];
	const figures = specs.map((s) => {
		const points = ms.filter((m) => typeof s.pick(m) === 'number')
			.map((m) => ({ time: new Date(m.time), value: s.pick(m) }));
		return points.length ? lineChart({ title: s.title, unit: s.unit, points }) : null;
	}).filter(Boolean);
	return figures.length ? h('section', { class: 'charts' }, h('h2', {}, 'Trends'), figures) : null;
}

function measurementTable(ms) {
	const byId = new Map(ms.map((m) => [m.id, m]));
	const rows = body.series(ms).map((r) => ({ ...r, m: byId.get(r.id) }));
	const types = body.typesPresent(rows);
	const columns = [
		{ label: 'Time', cell: (r) => r.time.toLocaleString() },
		...types.map((t) => ({ label: body.label(t), class: 'num', cell: (r) => (t in r.values ? body.format(t, r.values[t]) : '') })),
	];
	if (!types.includes('bmi')) {
		columns.push({ label: 'BMI (computed)', class: 'num', cell: (r) => (r.m.bmi ? body.format('bmi', r.m.bmi.value) : '') });
	}
	columns.push({ label: 'BMI class', cell: (r) => (r.m.bmi ? (r.m.bmi.class === 'none' ? 'no class' : r.m.bmi.label) : '') });
	columns.push({ label: 'Blood pressure class', cell: (r) => (r.m.blood_pressure ? (r.m.blood_pressure.label || 'no class') : '') });
	columns.push({ label: 'Device', cell: (r) => r.device });
	return h('section', { class: 'measurements' }, h('h2', {}, 'Measurements'),
		table(`${rows.length} measurements, oldest first`, columns, rows));
}

async function accesses(box, pid) {
	const res = await api('GET', path(pid, '/accesses'));
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.data.error || 'Could not load the accesses.'));
		return;
	}
	// In words the patient can read (GDPR Art. 15); the codes are for auditors.
	const columns = [
		{ label: 'Date', cell: (a) => new Date(a.time).toLocaleString() },
		{ label: 'Who', cell: (a) => a.person },
		{ label: 'As', cell: (a) => a.role },
		{ label: 'What was done', cell: (a) => a.what },
		{ label: 'Result', cell: (a) => a.result },
	];
	show(box, h('h2', { tabindex: '-1' }, 'Who accessed this patient\'s data'),
		h('p', {}, 'Every access to this patient\'s data that the gateway recorded, oldest first. '
			+ 'Print this page to hand it to the patient.'),
		table(`${res.data.accesses.length} accesses, oldest first`, columns, res.data.accesses));
	box.querySelector('h2').focus();
}

function editor(box, data) {
	const p = data.record.identity || {};
	show(box, h('h2', { tabindex: '-1' }, data.record.identity ? 'Edit patient' : 'Record who this patient is'),
		identifiers(data.record),
		form(identityFields(p), async (v) => {
			const res = await api('PATCH', path(data.record.id), identityBody(v));
			if (res.ok) open(box, data.record.id);
			return res;
		}, { submitLabel: 'Save patient', label: 'Patient identity',
			buttons: h('button', { type: 'button', class: 'secondary', onclick: () => open(box, data.record.id) }, 'Cancel') }));
	box.querySelector('h2').focus();
}

function render(box, data) {
	const rec = data.record;
	const ms = data.measurements;
	const printed = new Date().toLocaleString();
	const accessBox = h('section', { class: 'accesses', 'aria-live': 'polite' });
	const why = data.interpretation.no_class_reason;
	show(box,
		h('header', { class: 'report-head' },
			h('h2', { tabindex: '-1' }, rec.identity ? fullName(rec.identity) : `Patient ${rec.id}`),
			identifiers(rec),
			h('p', { class: 'print-only' }, `medgate patient report, printed ${printed}`),
			h('button', { type: 'button', class: 'no-print', onclick: () => editor(box, data) },
				rec.identity ? 'Edit patient' : 'Record name and birth date'),
			h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, 'Print report'),
			h('button', { type: 'button', class: 'no-print', onclick: () => accesses(accessBox, rec.id) },
				'Who accessed this data')),
		why ? h('p', { class: 'notice notice-warning interpretation-why', role: 'note' }, why) : null,
		ms.length === 0 ? h('p', {}, 'No measurements yet.') : [...cards(ms), charts(ms), measurementTable(ms)],
		h('p', { class: 'references' }, `BMI: ${data.interpretation.bmi_references}; adult classes from `,
			`${data.interpretation.bmi_adult_age} years. Blood pressure: ${data.interpretation.blood_pressure_guideline}.`),
		accessBox);
	box.querySelector('h2').focus();
}

/* Show patient pid in box (its identity and measurements). */
export async function open(box, pid) {
	const res = await api('GET', path(pid, '/measurements'));
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.status === 404 ? 'No patient with this id in your wards.' : res.data.error));
		return;
	}
	render(box, res.data);
}
