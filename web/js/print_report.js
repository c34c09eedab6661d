// The report for the patient file outside the signed-in interface: the
// page medgatectl report writes (src/cli/report.c) holds the data the API
// would answer in a JSON script element; this renders the same report
// (pages/patient_report.js) for chromium to print.
import { session } from './session.js';
import { renderReport } from './pages/patient_report.js';

const data = JSON.parse(document.getElementById('report-data').textContent);
session.user = { name: data.clinician || '', display_name: data.clinician || '', roles: [], tenants: [] };
renderReport(document.querySelector('.patient-report'), data, () => {});
document.body.dataset.ready = '1';
