// One patient for the clinician: who it is (two identifiers on screen and
// on the printout), the identity to edit, the latest measures with the
// interpretation the server computed (BMI class or BMI-for-age for
// children, blood pressure class, change since the previous measurement),
// trend charts with reference bands, the measurements one row per time of
// measurement (newest first, a page at a time), the report for the
// patient file (patient_report.js), "who accessed this data", and the
// patient's data export to download. The page never classifies anything
// itself.
import { api, query } from '../api.js';
import { h, show, table, when } from '../dom.js';
import { form } from '../forms.js';
import * as body from '../body.js';
import { charts } from './patient_charts.js';
import { rowsTable } from './patient_table.js';
import * as report from './patient_report.js';
import { identityFields, identityBody, identifiers, fullName } from './patient_identity.js';
import { correctColumn } from './patient_correct.js';
import { jumpNotice } from './patient_jump.js';

function path(pid, rest = '') {
	return `/api/v1/patients/${encodeURIComponent(pid)}${rest}`;
}

const PAGE = 10; // rows per page on the screen

/* The newest row (rows are newest first) where pick gives something. */
function latest(rows, pick) {
	for (const r of rows) {
		const v = pick(r);
		if (v !== null && v !== undefined) return { value: v, m: r };
	}
	return null;
}

function valueOf(m, type) {
	const v = (m.values || []).find((x) => x.type === type);
	return v ? v.value : null;
}

export function changeText(m, type) {
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

export function bmiClass(b) {
	if (!b) return null;
	if (b.class === 'none') {
		return h('span', { class: 'bmi-class no-class', 'data-bmi-class': 'none' }, `No class: ${b.why_not_text}`);
	}
	const z = b.zscore === null ? '' : `, z-score ${b.zscore.toFixed(2)}`;
	return h('span', { class: 'bmi-class', 'data-bmi-class': b.class }, `${b.label} (${b.reference_name}${z})`);
}

export function bpClass(bp) {
	if (!bp) return null;
	if (bp.class === 'none') return h('span', { class: 'bp-class no-class', 'data-bp-class': 'none' }, `No class: ${bp.why_not_text}`);
	return h('span', { class: 'bp-class', 'data-bp-class': bp.class }, `${bp.label} (${bp.guideline})`);
}

/* The latest values as cards; rows newest first. */
export function cards(rows) {
	const items = [];
	const w = latest(rows, (m) => valueOf(m, 'body_weight'));
	const ht = latest(rows, (m) => valueOf(m, 'body_height'));
	const b = latest(rows, (m) => m.bmi);
	const when_ = (m) => h('span', { class: 'stat-when' }, when(m.time));
	if (w) items.push(stat('Body weight', body.format('body_weight', w.value), when_(w.m), changeText(w.m, 'body_weight')));
	if (ht) items.push(stat('Body height', body.format('body_height', ht.value), when_(ht.m)));
	if (b) {
		items.push(stat('BMI', body.format('bmi', b.value.value), bmiClass(b.value),
			b.value.computed ? h('span', { class: 'stat-when' }, 'computed from weight and height') : null,
			changeText(b.m, 'bmi')));
	}
	const out = items.length ? [h('section', { class: 'card body-card' }, h('h2', {}, 'Body measures'), h('dl', { class: 'stats' }, items))] : [];
	const bp = latest(rows, (m) => m.blood_pressure);
	const pulse = latest(rows, (m) => valueOf(m, 'pulse_rate'));
	if (bp || pulse) {
		out.push(h('section', { class: 'card bp-card' }, h('h2', {}, 'Blood pressure and pulse'),
			h('dl', { class: 'stats' },
				bp ? stat('Blood pressure', `${bp.value.systolic.toFixed(0)}/${bp.value.diastolic.toFixed(0)} mmHg`,
					bpClass(bp.value), when_(bp.m), changeText(bp.m, 'bp_systolic')) : null,
				pulse ? stat('Pulse rate', body.format('pulse_rate', pulse.value), when_(pulse.m),
					changeText(pulse.m, 'pulse_rate')) : null)));
	}
	const comp = body.composition.map((t) => ({ t, last: latest(rows, (m) => valueOf(m, t)) })).filter((x) => x.last);
	if (comp.length) {
		out.push(h('section', { class: 'card composition' }, h('h2', {}, 'Body composition'),
			h('dl', { class: 'stats' }, comp.map((x) => stat(body.label(x.t), body.format(x.t, x.last.value),
				when_(x.last.m), changeText(x.last.m, x.t))))));
	}
	return out;
}

/* Whether the adult BMI classes apply (the latest BMI's reference). */
export function adult(rows) {
	const b = latest(rows, (m) => m.bmi);
	return Boolean(b && b.value.reference === 'who_adult');
}

/* The measurements section: a page of rows and the buttons to page. */
function measurements(pid, data, extra) {
	const box = h('section', { class: 'measurements', 'aria-labelledby': 'measurements-h' });
	const fill = (d) => {
		const { offset, total } = d.page;
		const first = total ? offset + 1 : 0;
		const last = offset + d.rows.length;
		const go = async (to) => {
			const res = await api('GET', path(pid, `/report${query({ limit: PAGE, offset: to })}`));
			if (!res.ok) {
				show(box, h('p', { role: 'alert' }, res.data.error || 'Could not load the measurements.'));
				return;
			}
			fill(res.data);
			box.querySelector('h2').focus();
		};
		show(box, h('h2', { id: 'measurements-h', tabindex: '-1' }, 'Measurements'),
			rowsTable(`Rows ${first}–${last} of ${total}, one per time of measurement, newest first`, d.rows, extra),
			h('nav', { class: 'pager no-print', 'aria-label': 'Pages of measurements' },
				h('button', { type: 'button', class: 'secondary', disabled: offset === 0,
					onclick: () => go(Math.max(0, offset - PAGE)) }, 'Newer'),
				h('span', { class: 'pager-where' }, `${first}–${last} of ${total}`),
				h('button', { type: 'button', class: 'secondary', disabled: last >= total,
					onclick: () => go(offset + PAGE) }, 'Older')));
	};
	fill(data);
	return box;
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

/* The patient's data export (FHIR R4 Bundle, GDPR Art. 15) as a file. */
async function download(box, pid) {
	const res = await api('GET', path(pid, '/export'));
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.data.error || 'Could not make the export.'));
		return;
	}
	const blob = new Blob([JSON.stringify(res.data)], { type: 'application/fhir+json' });
	const a = h('a', { href: URL.createObjectURL(blob), download: 'patient-export.json' });
	document.body.append(a);
	a.click();
	a.remove();
	URL.revokeObjectURL(a.href);
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
	const rows = data.rows;
	const accessBox = h('section', { class: 'accesses', 'aria-live': 'polite' });
	const why = data.interpretation.no_class_reason;
	const correctBox = h('section', { class: 'correction no-print', 'aria-live': 'polite' });
	show(box,
		h('header', { class: 'report-head' },
			h('h2', { tabindex: '-1' }, rec.identity ? fullName(rec.identity) : `Patient ${rec.id}`),
			identifiers(rec),
			h('div', { class: 'head-actions no-print' },
				h('button', { type: 'button', onclick: () => editor(box, data) },
					rec.identity ? 'Edit patient' : 'Record name and birth date'),
				h('button', { type: 'button', onclick: () => report.open(box, rec.id, () => open(box, rec.id)) },
					'Report for the patient file'),
				h('button', { type: 'button', onclick: () => accesses(accessBox, rec.id) },
					'Who accessed this data'),
				h('button', { type: 'button', onclick: () => download(accessBox, rec.id) },
					'Download data export'))),
		why ? h('p', { class: 'notice notice-warning interpretation-why', role: 'note' }, why) : null,
		jumpNotice(rows),
		data.page.total === 0 ? h('p', {}, 'No measurements yet.')
			: [...cards(rows), charts(data.series, adult(rows)),
				measurements(rec.id, data, correctColumn(correctBox, rec.id, () => open(box, rec.id))),
				correctBox],
		h('p', { class: 'references' }, `BMI: ${data.interpretation.bmi_references}; adult classes from `,
			`${data.interpretation.bmi_adult_age} years. Blood pressure: ${data.interpretation.blood_pressure_guideline}.`),
		accessBox);
	box.querySelector('h2').focus();
}

/* Show patient pid in box (its identity and measurements). */
export async function open(box, pid) {
	report.clearMargins();
	const res = await api('GET', path(pid, `/report${query({ limit: PAGE })}`));
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.status === 404 ? 'No patient with this id in your wards.' : res.data.error));
		return;
	}
	render(box, res.data);
}
