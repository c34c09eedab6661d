// Who a patient is, as the page shows and edits it: the form fields, the
// body the API takes, and the two identifiers every screen and printout
// carries (name and birth date, with the id).
import { h } from '../dom.js';

export const sexes = [
	{ value: 'unknown', label: 'Unknown' },
	{ value: 'female', label: 'Female' },
	{ value: 'male', label: 'Male' },
	{ value: 'other', label: 'Other' },
];

export function identityFields(p) {
	return [
		{ name: 'family_name', label: 'Family name', required: true, maxlength: 100, value: p.family_name, autocomplete: 'off' },
		{ name: 'given_name', label: 'Given names', maxlength: 100, value: p.given_name, autocomplete: 'off' },
		{ name: 'birth_date', label: 'Birth date', type: 'date', value: p.birth_date || '',
			hint: 'Needed for any BMI or blood pressure class.' },
		{ name: 'sex', label: 'Sex', type: 'select', value: p.sex || 'unknown', options: sexes,
			hint: 'Children’s BMI-for-age references differ by sex.' },
		{ name: 'case_number', label: 'Case number', maxlength: 32, value: p.case_number, autocomplete: 'off' },
		{ name: 'ward', label: 'Ward', maxlength: 64, value: p.ward, autocomplete: 'off' },
	];
}

export function identityBody(v) {
	return {
		family_name: v.family_name.trim(), given_name: v.given_name.trim(), birth_date: v.birth_date,
		sex: v.sex, case_number: v.case_number.trim(), ward: v.ward.trim(),
	};
}

export function fullName(p) {
	return p.given_name ? `${p.family_name}, ${p.given_name}` : p.family_name;
}

/* "14.03.2019" style from "2019-03-14", in the browser's order. */
export function birthText(date) {
	if (!date) return 'birth date unknown';
	const [y, m, d] = date.split('-').map(Number);
	return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { timeZone: 'UTC' });
}

/* The two identifiers: "Müller, Lena · born 14.03.2019 · id KIND-7781". */
export function identifiers(record) {
	const p = record.identity;
	if (!p) {
		return h('p', { class: 'identifiers', 'data-identifiers': '' },
			h('strong', {}, 'No name or birth date recorded'), ` · id ${record.id}`);
	}
	return h('p', { class: 'identifiers', 'data-identifiers': '' },
		h('strong', { class: 'patient-name' }, fullName(p)),
		' · born ', h('span', { class: 'patient-birth' }, birthText(p.birth_date)),
		` · ${sexes.find((s) => s.value === p.sex)?.label || 'Unknown'}`,
		` · id ${record.id}`,
		p.case_number ? ` · case ${p.case_number}` : '',
		p.ward ? ` · ward ${p.ward}` : '',
		record.discharged ? ` · discharged ${new Date(record.discharged).toLocaleString()}` : '');
}
