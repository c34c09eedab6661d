// The patient's measurements as one row per time of measurement (what one
// visit's devices sent, grouped by the server), newest first. On a narrow
// screen each row stacks into label/value lines (data-label), so nothing
// falls off a tablet held upright.
import { h } from '../dom.js';
import * as body from '../body.js';
import { stamp } from '../chart.js';

function valueOf(r, type) {
	const v = (r.values || []).find((x) => x.type === type);
	return v ? v.value : null;
}

function typesIn(rows) {
	const seen = new Set();
	for (const r of rows) for (const v of r.values || []) seen.add(v.type);
	return seen;
}

/* The columns for rows: the quantities present, blood pressure as one. */
function columns(rows) {
	const seen = typesIn(rows);
	const cols = [{ label: 'Time', cell: (r) => stamp(new Date(r.time).getTime()) }];
	for (const t of ['body_weight', 'body_height']) {
		if (seen.has(t)) cols.push({ label: body.label(t), num: true, cell: (r) => fmt(t, valueOf(r, t)) });
	}
	if (rows.some((r) => r.bmi)) {
		cols.push({ label: 'BMI', num: true, cell: (r) => (r.bmi ? body.format('bmi', r.bmi.value) : null) });
		cols.push({ label: 'BMI class', cell: (r) => (r.bmi ? (r.bmi.class === 'none' ? 'no class' : r.bmi.label) : null) });
	}
	for (const t of body.composition) {
		if (seen.has(t)) cols.push({ label: body.label(t), num: true, cell: (r) => fmt(t, valueOf(r, t)) });
	}
	if (rows.some((r) => r.blood_pressure || valueOf(r, 'bp_systolic') !== null)) {
		cols.push({ label: 'Blood pressure', num: true, cell: (r) => bp(r) });
		cols.push({ label: 'Blood pressure class', cell: (r) => (r.blood_pressure ? (r.blood_pressure.label || 'no class') : null) });
	}
	if (seen.has('pulse_rate')) cols.push({ label: 'Pulse', num: true, cell: (r) => fmt('pulse_rate', valueOf(r, 'pulse_rate')) });
	const known = new Set(['body_weight', 'body_height', 'bmi', 'bp_systolic', 'bp_diastolic', 'pulse_rate', ...body.composition]);
	for (const t of [...seen].filter((x) => !known.has(x)).sort()) {
		cols.push({ label: body.label(t), num: true, cell: (r) => fmt(t, valueOf(r, t)) });
	}
	cols.push({ label: 'Devices', cell: (r) => (r.devices || []).join(', ') });
	return cols;
}

function fmt(t, v) {
	return v === null ? null : body.format(t, v);
}

function bp(r) {
	const s = valueOf(r, 'bp_systolic');
	const d = valueOf(r, 'bp_diastolic');
	if (s === null && d === null) return null;
	return `${s === null ? '—' : s.toFixed(0)}/${d === null ? '—' : d.toFixed(0)} mmHg`;
}

/* A table of rows with caption; cells carry their column's label. extra:
 * one more column ({label, cell(row), class}) or nothing. */
export function rowsTable(caption, rows, extra) {
	const cols = columns(rows);
	if (extra) cols.push(extra);
	return h('div', { class: 'rows-wrap' },
		h('table', { class: 'rows' },
			h('caption', {}, caption),
			h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: [c.num ? 'num' : '', c.class || ''].join(' ').trim() || null }, c.label)))),
			h('tbody', {}, rows.map((r) => h('tr', { 'data-time': r.time }, cols.map((c, i) => {
				const v = c.cell(r);
				const empty = v === undefined || v === null || v === '';
				return h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, 'data-label': c.label,
					class: [c.num ? 'num' : '', c.class || '', empty ? 'empty-cell' : ''].join(' ').trim() || null }, empty ? '—' : v);
			}))))));
}
