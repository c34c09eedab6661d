// The assignment queue (docs/ward.md): measurements a device sent without
// patient. A clinician assigns each to a patient by its id; then it is an
// ordinary measurement of that patient and goes to the EMR.
import { api } from '../api.js';
import { h, show, table } from '../dom.js';
import { form } from '../forms.js';
import * as body from '../body.js';

function valuesText(m) {
	return m.values.map((v) => `${body.label(v.type)} ${body.format(v.type, v.value)}`).join(', ');
}

function assignForm(box, m, done) {
	show(box,
		h('h3', { tabindex: '-1' }, `Assign the measurement of ${new Date(m.time).toLocaleString()}`),
		h('p', {}, `${valuesText(m)} · device ${m.device_name}`),
		form([
			{ name: 'patient', label: 'Patient id', required: true, maxlength: 64, autocomplete: 'off',
				hint: 'The id on the wristband. The EMR receives the measurement once assigned.' },
		], async (v) => {
			const res = await api('POST', `/api/v1/assignments/${m.id}`, { patient: v.patient.trim() });
			if (res.ok) done();
			return res;
		}, { submitLabel: 'Assign', label: 'Assign a measurement',
			buttons: h('button', { type: 'button', class: 'secondary', onclick: () => show(box) }, 'Cancel') }));
	box.querySelector('h3').focus();
}

/* Show the queue in box. */
export async function queue(box) {
	const res = await api('GET', '/api/v1/assignments');
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.data.error || 'Could not load the queue.'));
		return;
	}
	const formBox = h('section', { class: 'assign', 'aria-live': 'polite' });
	const columns = [
		{ label: 'Time', cell: (m) => new Date(m.time).toLocaleString() },
		{ label: 'Values', cell: (m) => valuesText(m) },
		{ label: 'Device', cell: (m) => m.device_name },
		{ label: 'Assign', cell: (m) => h('button', { type: 'button', 'data-measurement': String(m.id),
			onclick: () => assignForm(formBox, m, () => queue(box)) }, 'Assign',
			h('span', { class: 'visually-hidden' }, ` the measurement of ${new Date(m.time).toLocaleString()}`)) },
	];
	const list = res.data.measurements;
	show(box, h('h2', { tabindex: '-1' }, 'Measurements without patient'),
		table(`${list.length} waiting, oldest first`, columns, list, 'No measurement waits for a patient.'),
		formBox);
	box.querySelector('h2').focus();
}
