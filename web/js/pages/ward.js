// The clinician's ward (docs/ward.md): patients with measurements in the
// last 24 hours, an implausible jump marked, and what waits (measurements
// without patient, open measure-now orders). Opening a patient shows its
// page below the list.
import { api } from '../api.js';
import { h, show, table } from '../dom.js';
import * as patient from './patient.js';
import { queue } from './assignments.js';
import { fullName } from './patient_identity.js';

export async function render(main) {
	document.title = 'Ward — medgate';
	const box = h('div', { class: 'patient-report', 'aria-live': 'polite' });
	const res = await api('GET', '/api/v1/ward');
	if (!res.ok) {
		show(main, h('h1', {}, 'Ward'), h('p', { role: 'alert' }, res.data.error || 'Could not load the ward.'));
		return;
	}
	const d = res.data;
	const columns = [
		{ label: 'Patient', cell: (p) => (p.identity ? fullName(p.identity) : h('em', {}, 'no name recorded')) },
		{ label: 'Id', cell: (p) => p.id },
		{ label: 'Latest', cell: (p) => new Date(p.latest).toLocaleString() },
		{ label: 'Measurements', class: 'num', cell: (p) => String(p.measurements_today) },
		{ label: 'Check', cell: (p) => (p.jump ? h('strong', { class: 'jump-mark', 'data-jump': '' }, 'Implausible change') : '') },
		{ label: '', cell: (p) => h('button', { type: 'button', onclick: () => patient.open(box, p.id) },
			'Open', h('span', { class: 'visually-hidden' }, ` ${p.id}`)) },
	];
	const w = d.waiting;
	show(main, h('h1', {}, 'Ward'),
		h('section', { class: 'waiting' }, h('h2', {}, 'Waiting for you'),
			h('p', {}, `${w.without_patient} measurements without patient · ${w.open_orders} open measure-now orders`),
			w.without_patient > 0
				? h('button', { type: 'button', class: 'secondary', onclick: () => queue(box) }, 'Assign measurements')
				: null),
		h('section', { class: 'recent' }, h('h2', {}, 'Recently viewed'),
			table(`${d.recent.length} ${d.recent.length === 1 ? 'patient' : 'patients'}, last viewed first`, [
				{ label: 'Patient', cell: (p) => (p.identity ? fullName(p.identity) : h('em', {}, 'no name recorded')) },
				{ label: 'Id', cell: (p) => p.id },
				{ label: 'Viewed', cell: (p) => new Date(p.viewed).toLocaleString() },
				{ label: '', cell: (p) => h('button', { type: 'button', class: 'secondary', onclick: () => patient.open(box, p.id) },
					'Open', h('span', { class: 'visually-hidden' }, ` ${p.id} (viewed)`)) },
			], d.recent, 'No patient viewed yet.')),
		h('section', {}, h('h2', {}, 'Measured in the last 24 hours'),
			table(`${d.patients.length} ${d.patients.length === 1 ? 'patient' : 'patients'}, latest first`, columns, d.patients,
				'No patient of your wards was measured in the last 24 hours.')),
		box);
}
