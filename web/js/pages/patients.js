// The clinician's patients: find one by name, birth date or id in the own
// tenants, or record a new one; the patient's page is pages/patient.js.
// Names and ids stay in the page: never in the address bar or history.
import { api, query } from '../api.js';
import { h, show, table } from '../dom.js';
import { form } from '../forms.js';
import { session } from '../session.js';
import * as patient from './patient.js';
import { queue } from './assignments.js';
import { identityFields, identityBody, fullName, birthText } from './patient_identity.js';

function results(box, list, more) {
	const columns = [
		{ label: 'Name', cell: (p) => (p.identity ? fullName(p.identity) : h('em', {}, 'no name recorded')) },
		{ label: 'Born', cell: (p) => (p.identity ? birthText(p.identity.birth_date) : '') },
		{ label: 'Id', cell: (p) => p.id },
		{ label: 'Ward', cell: (p) => (p.identity ? p.identity.ward : '') },
		{ label: '', cell: (p) => h('button', { type: 'button', onclick: () => patient.open(box, p.id) },
			'Open', h('span', { class: 'visually-hidden' }, ` ${p.id}`)) },
	];
	show(box, h('h2', { tabindex: '-1' }, 'Patients found'),
		table(`${list.length} patients${more ? ' (more match: narrow the search)' : ''}`, columns, list,
			'No patient of your wards matches.'));
	box.querySelector('h2').focus();
}

function newPatient(box) {
	const tenants = (session.user && session.user.tenants) || [];
	const specs = [
		{ name: 'id', label: 'Patient id', required: true, maxlength: 64, autocomplete: 'off',
			hint: 'The id the devices and the hospital use (wristband, chart).' },
		...identityFields({}),
	];
	if (tenants.length > 1) {
		specs.push({ name: 'tenant', label: 'Ward or practice (tenant)', type: 'select', required: true,
			options: tenants.map((t) => ({ value: String(t), label: `Tenant ${t}` })) });
	}
	show(box, h('h2', { tabindex: '-1' }, 'New patient'), form(specs, async (v) => {
		const body = { id: v.id.trim(), ...identityBody(v) };
		if (v.tenant) body.tenant = Number(v.tenant);
		const res = await api('POST', '/api/v1/patients', body);
		if (res.ok) patient.open(box, res.data.id);
		return res;
	}, { submitLabel: 'Create patient', label: 'New patient' }));
	box.querySelector('h2').focus();
}

export function render(main) {
	const result = h('div', { class: 'patient-report', 'aria-live': 'polite' });
	const find = form([
		{ name: 'q', label: 'Name, birth date or id', required: true, maxlength: 200, autocomplete: 'off',
			hint: 'For example “Müller Lena”, “14.03.2019” or the id on the wristband; only patients of your wards are found.' },
	], async (v) => {
		const q = v.q.trim();
		if (q === '') return { ok: false, data: { field: 'q', error: 'type a name, a birth date or an id' } };
		const res = await api('GET', `/api/v1/patients${query({ q })}`);
		if (res.ok) results(result, res.data.patients, res.data.more);
		return res;
	}, { submitLabel: 'Find patient', class: 'no-print inline', label: 'Find a patient',
		buttons: [h('button', { type: 'button', class: 'secondary', onclick: () => newPatient(result) }, 'New patient'),
			h('button', { type: 'button', class: 'secondary', onclick: () => queue(result) }, 'Without patient')] });
	document.title = 'Patients — medgate';
	show(main, h('h1', { class: 'no-print' }, 'Patients'), find, result);
}
