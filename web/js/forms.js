// Forms that keep what was typed when the server refuses it, and show the
// server's error next to the field it names (API errors are
// {"error": text, "field": name}).
import { h, uid } from './dom.js';
import { t } from './i18n.js';

/* One field. spec: {name, label, type, value, required, autocomplete,
 * options: [{value, label}] for 'checkboxes' and 'select', hint, min, max,
 * inputmode, pattern}. */
function field(spec) {
	const id = uid(`f-${spec.name}`);
	const errId = `${id}-error`;
	const hintId = spec.hint ? `${id}-hint` : null;
	const described = [hintId, errId].filter(Boolean).join(' ');
	const error = h('p', { class: 'field-error', id: errId, 'data-error-for': spec.name });
	const hint = spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null;
	let control;
	if (spec.type === 'checkboxes') {
		const chosen = new Set(spec.value || []);
		control = h('fieldset', { class: 'choices', 'aria-describedby': described, 'data-name': spec.name },
			h('legend', {}, spec.label),
			(spec.options || []).map((o) => {
				const oid = uid(`${id}-o`);
				return h('span', { class: 'choice' },
					h('input', { type: 'checkbox', id: oid, name: spec.name, value: String(o.value),
						checked: chosen.has(o.value) }),
					h('label', { for: oid }, o.label));
			}));
		return h('div', { class: 'field' }, control, hint, error);
	}
	if (spec.type === 'checkbox') {
		control = h('input', { type: 'checkbox', id, name: spec.name, checked: spec.value,
			'aria-describedby': described });
		return h('div', { class: 'field field-check' }, control, h('label', { for: id }, spec.label), hint, error);
	}
	if (spec.type === 'select') {
		control = h('select', { id, name: spec.name, required: spec.required, 'aria-describedby': described },
			(spec.options || []).map((o) => h('option', { value: String(o.value),
				selected: String(o.value) === String(spec.value ?? '') }, o.label)));
	} else if (spec.type === 'textarea') {
		control = h('textarea', { id, name: spec.name, required: spec.required, rows: 3,
			maxlength: spec.maxlength, 'aria-describedby': described, value: spec.value ?? '' });
	} else {
		control = h('input', {
			id, name: spec.name, type: spec.type || 'text', value: spec.value ?? '',
			required: spec.required, autocomplete: spec.autocomplete || 'off',
			inputmode: spec.inputmode, pattern: spec.pattern, min: spec.min, max: spec.max,
			maxlength: spec.maxlength, spellcheck: 'false', 'aria-describedby': described,
		});
		// What form.reset() goes back to: the given value, not empty.
		if (spec.value !== undefined) control.defaultValue = String(spec.value);
	}
	return h('div', { class: 'field' }, h('label', { for: id }, spec.label), control, hint, error);
}

/* The values of a form's fields by name: checkbox groups as arrays,
 * single checkboxes as booleans. */
export function values(form, specs) {
	const out = {};
	for (const s of specs) {
		if (s.type === 'checkboxes') {
			out[s.name] = [...form.querySelectorAll(`input[name="${s.name}"]:checked`)].map((i) => i.value);
		} else if (s.type === 'checkbox') {
			out[s.name] = form.elements[s.name].checked;
		} else {
			out[s.name] = form.elements[s.name].value;
		}
	}
	return out;
}

export function clearErrors(form) {
	for (const p of form.querySelectorAll('.field-error, .form-error')) p.textContent = '';
	for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/* Show an API error on form: next to the field it names if the form has
 * it, else above the buttons. Focus goes to the field in error. */
export function showError(form, data) {
	const text = (data && data.error) || t('common.went_wrong');
	const name = data && data.field;
	const slot = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
	if (slot) {
		slot.textContent = text;
		const control = form.querySelector(`[name="${CSS.escape(name)}"]`) ||
			form.querySelector(`[data-name="${CSS.escape(name)}"]`);
		if (control) {
			const target = control.tagName === 'FIELDSET' ? control.querySelector('input') : control;
			(control.tagName === 'FIELDSET' ? control : target).setAttribute('aria-invalid', 'true');
			if (target) target.focus();
		}
		return;
	}
	const general = form.querySelector('.form-error');
	general.textContent = text;
	general.focus();
}

/* A form. submit(values, form) answers an API result ({ok, data}) or
 * nothing; a failed one shows its error and leaves every field as it was.
 * opts: {submitLabel, class, extra (nodes after the fields)}. */
export function form(specs, submit, opts = {}) {
	const button = h('button', { type: 'submit' }, opts.submitLabel || t('common.save'));
	const general = h('p', { class: 'form-error', role: 'alert', tabindex: '-1' });
	const el = h('form', { class: `form ${opts.class || ''}`, novalidate: true, 'aria-label': opts.label },
		specs.map(field), opts.extra || null, general, h('div', { class: 'actions' }, button, opts.buttons || null));
	el.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearErrors(el);
		button.disabled = true;
		el.setAttribute('aria-busy', 'true');
		try {
			const res = await submit(values(el, specs), el);
			if (res && !res.ok) showError(el, res.data);
		} finally {
			button.disabled = false;
			el.removeAttribute('aria-busy');
		}
	});
	return el;
}
