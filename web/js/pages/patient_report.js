// The report for the patient file: A4, printed from the browser (print.css)
// or to PDF by chromium. The facility from the configuration, the
// patient's identity (name, birth date, sex, id, case number, ward), the
// latest values with the server's interpretation, the charts with their
// reference bands, every time of measurement (the newest REPORT_ROWS),
// the clinician's comments, who made the report, the date of printing and
// a field for the signature.
import { api, query } from '../api.js';
import { h, show } from '../dom.js';
import { session } from '../session.js';
import { charts } from './patient_charts.js';
import { rowsTable } from './patient_table.js';
import { cards, adult } from './patient.js';
import { fullName, birthText, sexes } from './patient_identity.js';

const REPORT_ROWS = 200; // the server's page maximum

/* What every printed page's margin carries (print.css), as CSS strings
 * on the root element; cleared when the report is left. */
const MARGINS = ['--report-who', '--report-facility', '--report-printed'];

function cssString(text) {
	return `"${String(text).replace(/[\\"]/g, '\\$&').replace(/[\n\r]/g, ' ')}"`;
}

export function clearMargins() {
	for (const m of MARGINS) document.documentElement.style.removeProperty(m);
}

function setMargins(rec, facility, printed) {
	const p = rec.identity;
	const who = p ? `${fullName(p)} · born ${birthText(p.birth_date)} · id ${rec.id}` : `id ${rec.id}`;
	const root = document.documentElement.style;
	root.setProperty('--report-who', cssString(who));
	root.setProperty('--report-facility', cssString(facility || ''));
	root.setProperty('--report-printed', cssString(`Measurement report, printed ${printed}`));
}

function identity(rec) {
	const p = rec.identity || {};
	const fact = (k, v) => [h('dt', {}, k), h('dd', {}, v || '—')];
	return h('dl', { class: 'facts report-identity', 'data-identifiers': '' },
		fact('Patient', rec.identity ? fullName(p) : 'no name recorded'),
		fact('Born', rec.identity ? birthText(p.birth_date) : ''),
		fact('Sex', rec.identity ? (sexes.find((s) => s.value === p.sex)?.label || 'Unknown') : ''),
		fact('Patient id', rec.id),
		fact('Case number', p.case_number),
		fact('Ward', p.ward));
}

/* Download the report as a FHIR DiagnosticReport Bundle, for the EMR. */
async function downloadFhir(pid, status) {
	status.textContent = 'Preparing the FHIR report…';
	let res;
	try {
		res = await fetch(`/api/v1/patients/${encodeURIComponent(pid)}/report/fhir`,
			{ credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/fhir+json' } });
	} catch (e) {
		status.textContent = 'The gateway cannot be reached; try again.';
		return;
	}
	if (!res.ok) {
		const err = await res.json().catch(() => null);
		status.textContent = `No FHIR report: ${(err && err.error) || `the gateway answered ${res.status}`}.`;
		return;
	}
	const url = URL.createObjectURL(await res.blob());
	const a = h('a', { href: url, download: `medgate-report-${new Date().toISOString().slice(0, 10)}.fhir.json`, class: 'visually-hidden' }, 'download');
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
	status.textContent = 'FHIR report (DiagnosticReport with its Observations) downloaded.';
}

/* Show data (GET .../report's answer) in box; back leaves it. */
export function renderReport(box, data, back) {
	const rec = data.record;
	const rows = data.rows;
	const printed = new Date().toLocaleString();
	const clinician = (session.user && (session.user.display_name || session.user.name)) || '';
	const comments = h('textarea', { id: 'report-comments', rows: 4, maxlength: 2000, class: 'no-print' });
	const commentsPrint = h('p', { class: 'print-only report-comments-text' });
	comments.addEventListener('input', () => { commentsPrint.textContent = comments.value; });
	const i = data.interpretation;
	const total = data.page.total;
	const status = h('p', { class: 'report-status no-print', role: 'status' });
	setMargins(rec, data.facility, printed);
	const leave = () => {
		clearMargins();
		back();
	};
	show(box,
		h('div', { class: 'report-actions no-print' },
			h('button', { type: 'button', onclick: () => window.print() }, 'Print'),
			h('button', { type: 'button', class: 'secondary', onclick: () => downloadFhir(rec.id, status) },
				'Download for the EMR (FHIR)'),
			h('button', { type: 'button', class: 'secondary', onclick: leave }, 'Back to the patient')),
		status,
		h('article', { class: 'report', 'aria-labelledby': 'report-title' },
			h('header', { class: 'report-top' },
				h('p', { class: 'report-facility' }, data.facility || '(facility not configured: [report] facility)'),
				h('h2', { id: 'report-title', tabindex: '-1' }, 'Measurement report'),
				h('p', { class: 'report-printed' }, `Printed ${printed}`)),
			identity(rec),
			i.no_class_reason ? h('p', { class: 'notice notice-warning interpretation-why', role: 'note' }, i.no_class_reason) : null,
			h('section', { class: 'report-interpretation' }, h('h3', {}, 'Interpretation'), cards(rows)),
			charts(data.series, adult(rows)),
			h('section', { class: 'report-rows' }, h('h3', {}, 'Measurements'),
				rowsTable(total > rows.length ? `The newest ${rows.length} of ${total} times of measurement`
					: `${total} times of measurement, newest first`, rows)),
			h('p', { class: 'references' }, `BMI: ${i.bmi_references}; adult classes from ${i.bmi_adult_age} years. `,
				`Blood pressure: ${i.blood_pressure_guideline}.`),
			h('section', { class: 'report-comments' },
				h('h3', {}, h('label', { for: 'report-comments' }, 'Comments')), comments, commentsPrint),
			h('section', { class: 'report-sign' },
				h('p', {}, 'Clinician: ', h('strong', { class: 'report-clinician' }, clinician)),
				h('div', { class: 'signature' }, h('span', {}, 'Date'), h('span', {}, 'Signature')))));
	box.querySelector('h2').focus();
}

/* Show the report of patient pid in box; back returns to the page. */
export async function open(box, pid, back) {
	const res = await api('GET', `/api/v1/patients/${encodeURIComponent(pid)}/report${query({ limit: REPORT_ROWS })}`);
	if (!res.ok) {
		show(box, h('p', { role: 'alert' }, res.data.error || 'Could not load the report.'));
		return;
	}
	renderReport(box, res.data, back);
}
