// Correcting a measurement taken for the wrong patient (docs/ward.md):
// a button per row of the patient's measurement table opens a form to move
// the measurement to another patient or mark it entered in error, with a
// reason. The EMR gets the correction from the server; the page only asks.
import { api } from '../api.js';
import { h, show } from '../dom.js';
import { form } from '../forms.js';

const actions = [
	{ value: 'move', label: 'Move to another patient' },
	{ value: 'entered-in-error', label: 'Entered in error (no valid measurement)' },
];

function correctionForm(box, pid, m, done) {
	const when = new Date(m.time).toLocaleString();
	show(box,
		h('h3', { tabindex: '-1' }, `Correct the measurement of ${when}`),
		h('p', { class: 'hint' }, 'The EMR receives the correction. The reason is kept with the measurement.'),
		form([
			{ name: 'action', label: 'Correction', type: 'select', value: 'move', options: actions },
			{ name: 'to', label: 'Patient id to move it to (for a move)', maxlength: 64, autocomplete: 'off' },
			{ name: 'reason', label: 'Reason', type: 'textarea', required: true, maxlength: 500 },
		], async (v) => {
			const body = { action: v.action, reason: v.reason.trim() };
			if (v.action === 'move') body.to = v.to.trim();
			const res = await api('POST', `/api/v1/patients/${encodeURIComponent(pid)}/measurements/${m.id}/correction`, body);
			if (res.ok) done();
			return res;
		}, { submitLabel: 'Send correction', label: 'Correct a measurement',
			buttons: h('button', { type: 'button', class: 'secondary', onclick: () => show(box) }, 'Cancel') }));
	box.querySelector('h3').focus();
}

/* A table column with a "Correct" button per measurement of a row (a row
 * groups what one visit's devices sent: its ids); the form opens in box,
 * and done() runs after a correction was accepted. */
export function correctColumn(box, pid, done) {
	return {
		label: 'Correct',
		class: 'no-print',
		cell: (r) => (r.ids || []).map((id, i, all) => {
			const m = { id, time: r.time };
			const text = all.length > 1 ? `Correct ${i + 1} of ${all.length}` : 'Correct';
			// The visible text first in the name (WCAG 2.5.3).
			return h('button', { type: 'button', class: 'secondary correct-measurement',
				'data-measurement': String(id),
				'aria-label': `${text}: measurement ${id} of ${new Date(r.time).toLocaleString()}`,
				onclick: () => correctionForm(box, pid, m, done) }, text);
		}),
	};
}
