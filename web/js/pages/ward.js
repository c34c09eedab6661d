// The clinician's ward (docs/ward.md): patients with measurements in the
// last 24 hours, an implausible jump marked, and what waits (measurements
// without patient, open measure-now orders). Opening a patient shows its
// page below the list.
import { api } from '../api.js';
import { h, show, table } from '../dom.js';
import { t, dateTime } from '../i18n.js';
import * as patient from './patient.js';
import { queue } from './assignments.js';
import { fullName } from './patient_identity.js';

export async function render(main) {
	document.title = `${t('nav.ward')} — medgate`;
	const box = h('div', { class: 'patient-report', 'aria-live': 'polite' });
	const res = await api('GET', '/api/v1/ward');
	if (!res.ok) {
		show(main, h('h1', {}, t('nav.ward')), h('p', { role: 'alert' }, res.data.error || t('ward.load_failed')));
		return;
	}
	const d = res.data;
	const columns = [
		{ label: t('ward.patient'), cell: (p) => (p.identity ? fullName(p.identity) : h('em', {}, t('ward.no_name'))) },
		{ label: t('common.id'), cell: (p) => p.id },
		{ label: t('ward.latest'), cell: (p) => dateTime(p.latest) },
		{ label: t('ward.measurements'), class: 'num', cell: (p) => String(p.measurements_today) },
		{ label: t('ward.check'), cell: (p) => (p.jump ? h('strong', { class: 'jump-mark', 'data-jump': '' }, t('ward.implausible')) : '') },
		{ label: '', cell: (p) => h('button', { type: 'button', onclick: () => patient.open(box, p.id) },
			t('ward.open'), h('span', { class: 'visually-hidden' }, ` ${p.id}`)) },
	];
	const w = d.waiting;
	show(main, h('h1', {}, t('nav.ward')),
		h('section', { class: 'waiting' }, h('h2', {}, t('ward.waiting')),
			h('p', {}, `${t('ward.without_patient', { count: w.without_patient })} · ${t('ward.open_orders', { count: w.open_orders })}`),
			w.without_patient > 0
				? h('button', { type: 'button', class: 'secondary', onclick: () => queue(box) }, t('ward.assign'))
				: null),
		h('section', { class: 'recent' }, h('h2', {}, t('ward.recent')),
			table(t('ward.recent_caption', { count: d.recent.length }), [
				{ label: t('ward.patient'), cell: (p) => (p.identity ? fullName(p.identity) : h('em', {}, t('ward.no_name'))) },
				{ label: t('common.id'), cell: (p) => p.id },
				{ label: t('ward.viewed'), cell: (p) => dateTime(p.viewed) },
				{ label: '', cell: (p) => h('button', { type: 'button', class: 'secondary', onclick: () => patient.open(box, p.id) },
					t('ward.open'), h('span', { class: 'visually-hidden' }, ` ${p.id} ${t('ward.viewed_hint')}`)) },
			], d.recent, t('ward.none_viewed'))),
		h('section', {}, h('h2', {}, t('ward.measured')),
			table(t('ward.measured_caption', { count: d.patients.length }), columns, d.patients,
				t('ward.none_measured'))),
		box);
}
