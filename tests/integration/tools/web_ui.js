'use strict';
// The web interface in a real browser: Debian's chromium driven by
// playwright-core against the real medgated that test_web_ui.sh started.
// Every page is checked with axe-core (no serious or critical violation),
// every Content-Security-Policy violation the browser reports fails the
// run, and screenshots of the main pages go to the output folder.
//
//   node web_ui.js MODULES STATE.json OUTDIR PHASE
// PHASE "main" runs the scenarios, "idle" the idle timeout (the daemon is
// restarted with a short session_idle_timeout in between).
const fs = require('fs');
const path = require('path');

const [modules, statePath, outDir, phase] = process.argv.slice(2);
const { chromium } = require(path.join(modules, 'playwright-core'));
const axeSource = fs.readFileSync(path.join(modules, 'axe-core', 'axe.min.js'), 'utf8');
const { authenticator } = require(path.join(modules, 'otplib'));
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const base = state.base;

const csp = [];
const errors = [];
let checked = 0;
let current = null; // the page in use, for a screenshot when a step fails
let shots = 0;
const started = Date.now();

function ok(what) {
	console.log(`ok - ${what}`);
}

function assert(cond, what) {
	if (!cond) throw new Error(`assertion failed: ${what}`);
}

async function watch(page) {
	current = page;
	// Violations reach the page as events; the console carries them too.
	await page.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
		});
	});
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
	});
	page.on('pageerror', (e) => errors.push(String(e)));
}

async function cspEvents(page) {
	const list = await page.evaluate(() => window.__csp || []);
	csp.push(...list);
}

/* axe-core on the page as it is now: no serious or critical violation. */
async function axe(page, name) {
	await page.evaluate(axeSource); // through the debugger: not an inline script
	const result = await page.evaluate(() => window.axe.run(document, {
		runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
	}));
	const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	for (const v of bad) {
		console.log(`  axe ${name}: ${v.impact} ${v.id}: ${v.help}`);
		for (const n of v.nodes.slice(0, 3)) console.log(`    ${n.target.join(' ')}: ${n.failureSummary}`);
	}
	assert(bad.length === 0, `axe-core: ${bad.length} serious/critical violations on ${name}`);
	checked += 1;
	await cspEvents(page);
	ok(`axe-core: ${name} has no serious or critical violation (${result.passes.length} rules pass)`);
}

async function shot(page, name, opts = {}) {
	await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true, ...opts });
	shots += 1;
}

async function heading(page, text) {
	await page.locator('main h1', { hasText: text }).first().waitFor({ timeout: 10000 });
}

/* Sign in through the form; answers once the next page shows. */
async function signIn(page, user, password, expectHeading) {
	await page.goto(`${base}/#/signin`);
	await heading(page, 'Sign in');
	await page.getByLabel('Account name').fill(user);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	if (expectHeading) await heading(page, expectHeading);
}

async function signOut(page) {
	await page.getByRole('button', { name: 'Sign out' }).click();
	await heading(page, 'Sign in');
}

async function changePassword(page, oldPw, newPw) {
	await heading(page, 'Choose a new password');
	await page.getByLabel('Current password').fill(oldPw);
	await page.getByLabel('New password', { exact: true }).fill(newPw);
	await page.getByLabel('New password again').fill(newPw);
	await page.getByRole('button', { name: 'Change password' }).click();
}

async function apiStatus(page, method, url) {
	return page.evaluate(async ([m, u]) => (await fetch(u, { method: m })).status, [method, url]);
}

/* The lockout raised an alert: open an incident from it, write in its
 * timeline, acknowledge the alert; filter the audit trail. */
async function securityOfficer(page) {
	// The overview first: this instance listens on every address (init's
	// default) and its accounts have no second factor yet.
	await page.goto(`${base}/#/security`);
	await heading(page, 'Security');
	await page.getByText('listens on every address of this host').first().waitFor();
	assert(await page.getByText('listens on every address of this host').count() === 3,
		'the overview flags the web, device and MLLP listeners on every address');
	await axe(page, 'Security');
	await shot(page, '06b-security');
	ok('security overview: findings with what to do, listeners, accounts, open alerts');
	const alertRow = page.locator('tr', { hasText: 'login.failures.account' });
	for (let i = 0; i < 20 && !(await alertRow.count()); i++) {
		await page.goto(`${base}/#/alerts`);
		await heading(page, 'Alerts');
		await page.waitForLoadState('networkidle');
		if (!(await alertRow.count())) await page.waitForTimeout(500);
	}
	assert(await alertRow.count() === 1, 'the lockout raised one login.failures.account alert');
	await axe(page, 'Alerts');
	await shot(page, '07-alerts');
	await alertRow.getByRole('checkbox').check();
	await page.getByLabel('Incident title').fill('Password guessing on locky');
	await page.getByLabel('Severity').selectOption('high');
	await page.getByRole('button', { name: 'Open incident from selected alerts' }).click();
	await heading(page, 'Incidents');
	await page.getByRole('button', { name: /Open incident \d+/ }).first().click();
	await page.getByRole('heading', { name: /Password guessing on locky/ }).waitFor();
	await page.locator('table', { hasText: 'login.failures.account' }).waitFor();
	await page.getByRole('textbox', { name: 'Note', exact: true }).fill('Called the ward: nobody there tried to sign in as locky.');
	await page.getByRole('button', { name: 'Add note' }).click();
	await page.locator('td', { hasText: 'Called the ward' }).waitFor();
	await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption('responding');
	await page.getByRole('button', { name: 'Change status' }).click();
	await page.locator('dd', { hasText: 'responding' }).waitFor();
	await page.getByRole('textbox', { name: 'Target', exact: true }).fill('999999');
	await page.getByRole('button', { name: 'Carry out' }).click();
	await page.locator('[data-error-for="target"]', { hasText: 'no such account' }).waitFor();
	assert(await page.getByRole('textbox', { name: 'Target', exact: true }).inputValue() === '999999', 'target kept after a refused action');
	await axe(page, 'Incident');
	await shot(page, '08-incident');
	ok('incident opened from the alert, note and status in its timeline, a bad response target refused at the field');
	await page.goto(`${base}/#/alerts`);
	await heading(page, 'Alerts');
	await alertRow.getByRole('button', { name: 'Acknowledge' }).click();
	await page.getByText(/Alert \d+ acknowledged/).waitFor();
	await page.getByRole('combobox', { name: 'State', exact: true }).selectOption('acknowledged');
	await alertRow.waitFor();
	ok('alert acknowledged');
	await page.goto(`${base}/#/audit`);
	await heading(page, 'Audit trail');
	await page.getByRole('textbox', { name: 'Action', exact: true }).fill('login.lockout');
	await page.getByRole('button', { name: 'Show records' }).click();
	await page.getByRole('table', { name: /^1 record\b/ }).waitFor();
	await page.getByRole('textbox', { name: 'Action', exact: true }).fill('');
	await page.getByLabel('From', { exact: true }).fill('2026-13-45T99:99');
	await page.getByRole('spinbutton', { name: 'At most' }).fill('5000');
	await page.getByRole('button', { name: 'Show records' }).click();
	await page.locator('[data-error-for="limit"]').filter({ hasText: /./ }).waitFor();
	await page.getByRole('spinbutton', { name: 'At most' }).fill('200');
	ok('audit trail filtered by action; a bad limit is refused at the field');
}

async function mainPhase(browser) {
	const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
	const page = await ctx.newPage();
	await watch(page);

	// Security headers on the page itself.
	const res = await page.goto(`${base}/`);
	const hdr = res.headers();
	assert(/script-src 'self'/.test(hdr['content-security-policy'] || ''), 'CSP header on /');
	assert(hdr['x-content-type-options'] === 'nosniff', 'nosniff on /');
	await heading(page, 'Sign in');
	assert(!(await page.getByLabel(/Code from your authenticator/).isVisible()), 'no code field before the password');
	await axe(page, 'sign-in');
	await shot(page, '01-sign-in');

	await page.getByRole('link', { name: 'Forgot your password?' }).click();
	await heading(page, 'Forgot password');
	await axe(page, 'forgot password');
	await page.getByLabel('Account name').fill('nobody-here');
	await page.getByRole('button', { name: 'Send reset link' }).click();
	await page.getByText('If the account exists').waitFor();
	ok('forgot password answers the same text for any account');

	// Lockout: the server's one message for every failure, shown on the form.
	for (let i = 0; i < state.lockout_threshold; i++) {
		await signIn(page, 'locky', 'not-the-password-at-all');
		await page.locator('.form-error', { hasText: 'invalid credentials or locked' }).waitFor();
	}
	await signIn(page, 'locky', state.passwords.locky);
	await page.locator('.form-error', { hasText: 'invalid credentials or locked' }).waitFor();
	assert(await page.getByLabel('Account name').inputValue() === 'locky', 'account name kept after a failure');
	await shot(page, '02-lockout');
	ok(`lockout: after ${state.lockout_threshold} failures even the right password shows "invalid credentials or locked"`);

	// The first administrator: forced password change, then the admin pages.
	await signIn(page, 'admin', state.passwords.admin);
	await changePassword(page, 'wrong-current-password', state.new_passwords.admin);
	await page.locator('[data-error-for="old"]', { hasText: 'current password is wrong' }).waitFor();
	assert(await page.getByLabel('New password', { exact: true }).inputValue() === state.new_passwords.admin,
		'the new password is kept after a failed submit');
	ok('password change: the server\'s error is shown next to the field, input kept');
	await axe(page, 'forced password change');
	await shot(page, '03-password-change');
	await page.getByLabel('Current password').fill(state.passwords.admin);
	await page.getByRole('button', { name: 'Change password' }).click();
	await heading(page, 'Users');
	await axe(page, 'users');
	await shot(page, '04-users');

	// Create a user: first with a bad password (error at the field, form kept).
	const form = page.locator('form[aria-label="Create an account"]');
	await form.getByLabel('Account name').fill('nurse.new');
	await form.getByLabel('Display name').fill('Nurse New');
	await form.getByLabel('clinician').check();
	// Tenant memberships are a tenant administrator's (separation of
	// duties): the administrator's form offers none.
	assert(await form.getByLabel('default').count() === 0, 'the create form offers tenant memberships');
	await form.getByLabel('One-time password').fill('password');
	await form.getByRole('button', { name: 'Create account' }).click();
	await form.locator('[data-error-for="password"]').filter({ hasText: /./ }).waitFor();
	assert(await form.getByLabel('Account name').inputValue() === 'nurse.new', 'name kept after a refused create');
	assert(await form.getByLabel('clinician').isChecked(), 'role kept after a refused create');
	await shot(page, '05-user-create-error');
	ok('create user: weak password refused next to the field, the form keeps its input');
	await form.getByLabel('One-time password').fill(state.passwords['nurse.new']);
	await form.getByRole('button', { name: 'Create account' }).click();
	await page.getByText('Account nurse.new created.').waitFor();
	await page.locator('table td', { hasText: 'nurse.new' }).first().waitFor();
	ok('admin created the account nurse.new');

	await securityOfficer(page);
	for (const [hash, title, file] of [['settings', 'Settings', '06-settings'], ['audit', 'Audit trail', '09-audit'],
		['changes', 'Changes to review', '09b-changes'], ['sheet', 'Product cyber security sheet', '09c-sheet'],
		['maintenance', 'Maintenance', '10b-maintenance'], ['health', 'Health', '10-health']]) {
		await page.goto(`${base}/#/${hash}`);
		await heading(page, title);
		await page.waitForLoadState('networkidle');
		await axe(page, title);
		await shot(page, file);
	}
	// The health page is an operations overview, readable on a tablet.
	for (const section of ['Interfaces', 'EMR forwarding', 'Devices', 'Certificates', 'Audit trail', 'Backups'])
		await page.locator('main h2', { hasText: section }).first().waitFor({ timeout: 5000 });
	const deviceRow = page.locator('table tr', { hasText: 'device' }).first();
	assert(/on/.test(await deviceRow.innerText()), 'the health page shows the device interface on');
	assert(await page.getByText('Free space where the store lives').count() === 1,
		'the health page shows the free space where the store lives');
	assert(await page.getByText('none recorded').count() >= 1, 'the health page says no backup is recorded');
	await page.setViewportSize({ width: 768, height: 1024 });
	await page.waitForTimeout(200);
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert(overflow <= 0, `the health page is wider than a tablet (${overflow} px too wide)`);
	await shot(page, '10-health-tablet');
	await page.setViewportSize({ width: 1280, height: 900 });
	ok('the health page shows interfaces, queues, devices, certificates, audit, backups; fits a tablet');
	await signOut(page);

	// The new account signs in, must choose its own password, then works.
	await signIn(page, 'nurse.new', state.passwords['nurse.new']);
	await changePassword(page, state.passwords['nurse.new'], state.new_passwords['nurse.new']);
	await heading(page, 'Ward');
	ok('the new account signed in, changed its password and landed on the ward page');
	await signOut(page);

	// A clinician finds a patient: table, charts, BMI and its category.
	await signIn(page, 'clin', state.passwords.clin);
	await changePassword(page, state.passwords.clin, state.new_passwords.clin);
	await heading(page, 'Ward');
	await page.goto(`${base}/#/patients`);
	await heading(page, 'Patients');
	await axe(page, 'patients (empty)');
	const find = async (q) => {
		await page.getByLabel('Name, birth date or id').fill(q);
		await page.getByRole('button', { name: 'Find patient' }).click();
	};
	await find('NO-SUCH-PATIENT');
	await page.getByText('No patient of your wards matches.').waitFor();
	ok('unknown patient: the search says no patient matches');
	await find(state.patient);
	await page.getByRole('button', { name: `Open ${state.patient}` }).click();
	await page.locator('figure.chart').first().waitFor();
	// No identity yet: no class, and the page says why.
	await page.locator('.interpretation-why', { hasText: 'birth date' }).waitFor();
	assert(await page.locator('[data-bmi-class]').first().getAttribute('data-bmi-class') === 'none',
		'a BMI class without a birth date');
	ok('a patient a device made: no BMI class, and the page says why');
	await page.getByRole('button', { name: 'Record name and birth date' }).click();
	await page.getByLabel('Family name').fill('Berger');
	await page.getByLabel('Given names').fill('Paul');
	await page.getByLabel('Birth date', { exact: true }).fill('1970-05-02');
	await page.getByLabel('Sex', { exact: true }).selectOption('male');
	await page.getByRole('button', { name: 'Save patient' }).click();
	await page.locator('.identifiers .patient-name', { hasText: 'Berger, Paul' }).waitFor();
	const points = await page.locator('figure.chart').first().locator('circle.point').count();
	assert(points === state.weights.length, `weight chart has ${points} points, expected ${state.weights.length}`);
	const figures = await page.locator('figure.chart').count();
	assert(figures === 6, `expected weight, BMI, body-fat, systolic, diastolic and pulse charts, got ${figures}`);
	const bands = await page.locator('figure.chart .band').count();
	const titles = await page.locator('figure.chart .axis-title').allTextContents();
	assert(bands >= 6 && titles.includes('Weight (kg)') && titles.includes('Systolic (mmHg)'),
		`reference bands ${bands}, axis titles ${titles}`);
	const rows = await page.locator('.measurements tbody tr').count();
	assert(rows === 10, `first page has ${rows} rows, expected 10 of 12 times of measurement`);
	const times = await page.locator('.measurements tbody tr').evaluateAll((trs) => trs.map((tr) => Date.parse(tr.dataset.time)));
	assert(times.every((t, i) => i === 0 || times[i - 1] > t), `rows not newest first: ${times}`);
	const visit = await page.locator('.measurements tbody tr', { hasText: 'kg' }).first().innerText();
	assert(/mmHg/.test(visit) && /\/min/.test(visit), `a weighing and the blood pressure taken with it are not one row: ${visit}`);
	const category = await page.locator('.body-card [data-bmi-class]').first().getAttribute('data-bmi-class');
	assert(category === state.expected_category, `BMI class ${category}, expected ${state.expected_category}`);
	const bpClass = await page.locator('.bp-card [data-bp-class]').first().getAttribute('data-bp-class');
	assert(bpClass && bpClass !== 'none', `blood pressure card without a class: ${bpClass}`);
	const ids = await page.locator('.report-head .identifiers').innerText();
	assert(ids.includes('Berger, Paul') && ids.includes(new Date(Date.UTC(1970, 4, 2)).toLocaleDateString(undefined, { timeZone: 'UTC' })) &&
		ids.includes(state.patient), `identifiers: ${ids}`);
	await page.getByText('Body composition').waitFor();
	ok(`patient recorded in the browser: name, birth date and id shown; ${points} points, ${figures} charts with ${bands} bands, ${rows} rows newest first, a visit's values in one row, BMI class "${category}", blood pressure class "${bpClass}"`);
	// Chart points by keyboard: Tab from the charts' heading reaches the
	// first point, whose name and the chart's readout carry its value.
	await page.locator('.charts .chart-help').evaluate((el) => { el.tabIndex = -1; el.focus(); });
	await page.keyboard.press('Tab');
	const focused = await page.evaluate(() => ({ cls: document.activeElement.getAttribute('class'),
		label: document.activeElement.getAttribute('aria-label'),
		tip: document.activeElement.closest('svg').querySelector('.tip').textContent }));
	assert(focused.cls === 'point' && /kg/.test(focused.label) && focused.tip === focused.label,
		`Tab into the charts: ${JSON.stringify(focused)}`);
	await page.keyboard.press('Tab');
	const second = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
	assert(second && second !== focused.label, `the next Tab: ${second}`);
	ok(`chart points reachable by keyboard: "${focused.label}", then "${second}"`);
	await axe(page, 'patient page');
	await shot(page, '11-patient');
	await page.setViewportSize({ width: 768, height: 1024 });
	const patientOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert(patientOverflow <= 0, `the patient page is wider than a tablet in portrait (${patientOverflow} px too wide)`);
	await axe(page, 'patient page (tablet)');
	await shot(page, '12-patient-tablet');
	ok('patient page on a tablet in portrait: no horizontal overflow, rows stacked');
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.getByRole('button', { name: 'Who accessed this data' }).click();
	await page.locator('.accesses tbody tr').first().waitFor();
	const reads = await page.locator('.accesses tbody tr', { hasText: 'looked at the patient\'s measurements' }).count();
	assert(reads === 2, `who accessed: ${reads} patient.read rows, expected the two opens (before and after the edit)`);
	await axe(page, 'who accessed');
	ok(`who accessed this data: ${reads} reads listed`);
	// Paging: the older rows, then back.
	await page.getByRole('button', { name: 'Older' }).click();
	await page.locator('.measurements caption', { hasText: 'Rows 11–12 of 12' }).waitFor();
	const older = await page.locator('.measurements tbody tr').evaluateAll((trs) => trs.map((tr) => Date.parse(tr.dataset.time)));
	assert(older.length === 2 && older[0] < times[times.length - 1], `second page: ${older}`);
	assert(await page.getByRole('button', { name: 'Older' }).isDisabled(), 'Older on the last page');
	await page.getByRole('button', { name: 'Newer' }).click();
	await page.locator('.measurements caption', { hasText: 'Rows 1–10 of 12' }).waitFor();
	const pid = encodeURIComponent(state.patient);
	for (const q of ['limit=0', 'limit=201', 'offset=-1', 'limit=5x']) {
		const st = await apiStatus(page, 'GET', `/api/v1/patients/${pid}/report?${q}`);
		assert(st === 400, `report?${q} answered ${st}, expected 400`);
	}
	ok('paging: rows 11-12 of 12 on the second page, older than the first, and back; a page beyond 1-200 rows refused');

	// The report for the patient file.
	await page.getByRole('button', { name: 'Report for the patient file' }).click();
	await page.locator('.report figure.chart').first().waitFor();
	const reportText = await page.locator('.report').innerText();
	for (const want of ['St. Elsewhere Hospital, internal medicine', 'Berger, Paul', state.patient, 'Signature', 'Clinician']) {
		assert(reportText.includes(want), `the report lacks "${want}"`);
	}
	assert(await page.locator('.report .rows tbody tr').count() === 12, 'the report lists all 12 times of measurement');
	const [download] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('button', { name: 'Download for the EMR (FHIR)' }).click()]);
	await download.saveAs(path.join(outDir, 'patient-report.fhir.json'));
	await page.locator('.report-status', { hasText: 'downloaded' }).waitFor();
	await page.getByLabel('Comments').fill('Weight falling as planned; blood pressure to be rechecked.');
	await axe(page, 'patient report');
	await shot(page, '13-report');
	await page.setViewportSize({ width: 768, height: 1024 });
	const reportOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert(reportOverflow <= 0, `the report is wider than a tablet (${reportOverflow} px)`);
	await shot(page, '13a-report-tablet');
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.emulateMedia({ media: 'print' });
	await shot(page, '13c-report-print');
	// What chromium prints (docs/web.md): A4 with print.css's margin boxes
	// (identity, facility, "Page x of y"), as a browser prints it.
	await page.pdf({ path: path.join(outDir, 'patient-report.pdf'), printBackground: true, preferCSSPageSize: true });
	await page.emulateMedia({ media: 'screen' });
	ok('report for the patient file: facility, identity, all rows, comments, clinician, signature; print view and A4 PDF written');
	await page.getByRole('button', { name: 'Back to the patient' }).click();
	await page.locator('.report-head .identifiers').waitFor();
	assert(await page.evaluate(() => document.documentElement.getAttribute('style') || '') === '',
		'the report\'s page margins outlive it');

	// A child: created in the browser over what the device measured.
	await page.goto(`${base}/#/patients`);
	await heading(page, 'Patients');
	await page.getByRole('button', { name: 'New patient' }).click();
	await page.getByLabel('Patient id').fill(state.child);
	await page.getByLabel('Family name').fill('Müller');
	await page.getByLabel('Given names').fill('Lena');
	await page.getByLabel('Birth date', { exact: true }).fill('2019-03-14');
	await page.getByLabel('Sex', { exact: true }).selectOption('female');
	await page.getByRole('button', { name: 'Create patient' }).click();
	await page.locator('.identifiers .patient-name', { hasText: 'Müller, Lena' }).waitFor();
	const childClass = await page.locator('.body-card [data-bmi-class]').first().getAttribute('data-bmi-class');
	const childText = await page.locator('.body-card').innerText();
	assert(childClass === 'child_normal', `child BMI class ${childClass}`);
	assert(!/thinness|Pre-obese|Obese class/i.test(childText) && childText.includes('WHO Reference 2007'),
		`adult classes on a child's card: ${childText}`);
	// A single blood pressure: its chart shows the one point, inside the plot.
	const single = page.locator('figure.chart', { hasText: 'Systolic blood pressure' });
	assert(await single.locator('circle.point').count() === 1, 'the single blood pressure is not one point');
	const inside = await single.evaluate((f) => {
		const p = f.querySelector('circle.point').getBoundingClientRect();
		const s = f.querySelector('svg').getBoundingClientRect();
		return p.width > 4 && p.left > s.left + s.width * 0.1 && p.right < s.right && p.top > s.top && p.bottom < s.bottom;
	});
	assert(inside, 'the single point is not drawn inside its chart');
	const tableText = await page.locator('.measurements').innerText();
	assert(!/thinness/i.test(tableText), `adult classes in the child's table: ${tableText}`);
	const childIds = await page.locator('.report-head .identifiers').innerText();
	assert(childIds.includes('Müller, Lena') && childIds.includes(state.child) &&
		childIds.includes(new Date(Date.UTC(2019, 2, 14)).toLocaleDateString(undefined, { timeZone: 'UTC' })),
		`child identifiers: ${childIds}`);
	await axe(page, 'child patient');
	await shot(page, '13b-child-patient');
	await find('müller 14.03.2019');
	await page.getByRole('button', { name: `Open ${state.child}` }).waitFor();
	ok('a child created in the browser: name and birth date shown, BMI-for-age "child_normal" (WHO 2007), no adult class anywhere; found again by name and German date');

	// A measurement taken for the wrong patient: moved, with a reason.
	await page.getByRole('button', { name: `Open ${state.child}` }).click();
	await page.locator('.identifiers .patient-name', { hasText: 'Müller, Lena' }).waitFor();
	const rowsBefore = await page.locator('.measurements tbody tr').count();
	await page.locator('.measurements tbody tr').last().getByRole('button', { name: 'Correct' }).click();
	await page.getByLabel('Correction', { exact: true }).selectOption('move');
	await page.getByLabel('Patient id to move it to (for a move)').fill(state.patient);
	await page.getByRole('button', { name: 'Send correction' }).click();
	await page.locator('[data-error-for="reason"]', { hasText: /./ }).waitFor();
	await page.getByLabel('Reason').fill('weighed on the scale of the next bed');
	await axe(page, 'correct a measurement');
	await shot(page, '13c-correct-measurement');
	await page.getByRole('button', { name: 'Send correction' }).click();
	await page.waitForFunction((n) => document.querySelectorAll('.measurements tbody tr').length === n - 1, rowsBefore);
	ok(`a measurement moved to another patient in the browser: reason required, ${rowsBefore} rows became ${rowsBefore - 1}`);

	// A measurement that came without patient: assigned from the queue.
	await page.goto(`${base}/#/patients`);
	await heading(page, 'Patients');
	await page.getByRole('button', { name: 'Without patient' }).click();
	await page.getByRole('heading', { name: 'Measurements without patient' }).waitFor();
	const waiting = await page.locator('.patient-report tbody tr').count();
	assert(waiting === 1, `assignment queue: ${waiting} rows, expected 1`);
	await page.locator('.patient-report tbody tr').first().getByRole('button', { name: /^Assign/ }).click();
	await page.getByLabel('Patient id').fill(state.patient);
	await axe(page, 'assignment queue');
	await shot(page, '13d-assign-measurement');
	await page.getByRole('button', { name: 'Assign', exact: true }).click();
	await page.getByText('No measurement waits for a patient.').waitFor();
	ok('the assignment queue in the browser: one measurement without patient, assigned by id, the queue empty after');

	// The moved and the assigned weights jump against the patient's own:
	// the page warns the clinician (not only the security officer).
	await find(state.patient);
	await page.getByRole('button', { name: `Open ${state.patient}` }).click();
	await page.locator('.jumps').waitFor();
	const jumps = await page.locator('.jumps li[data-jump]').count();
	assert(jumps >= 1, `jump warnings: ${jumps}`);
	await axe(page, 'patient with an implausible jump');
	await shot(page, '13e-implausible-jump');
	ok(`implausible jumps marked on the patient's page: ${jumps} warning(s)`);

	// The ward list: the patient measured in the last 24 hours (received
	// now), its jump marked; nothing waiting any more.
	await page.goto(`${base}/#/ward`);
	await heading(page, 'Ward');
	const recent = await page.locator('.recent tbody tr', { hasText: state.patient }).count();
	assert(recent === 1, `recently viewed: ${recent} rows of ${state.patient}`);
	const row = page.locator('section:not(.recent) tbody tr', { hasText: state.patient });
	await row.waitFor();
	assert(await row.locator('[data-jump]').count() === 1, 'the ward list does not mark the jump');
	const waitingText = await page.locator('.waiting').innerText();
	assert(waitingText.includes('0 measurements without patient'), `waiting: ${waitingText}`);
	await axe(page, 'ward');
	await shot(page, '13f-ward');
	await page.setViewportSize({ width: 768, height: 1024 });
	await shot(page, '13g-ward-tablet');
	await page.setViewportSize({ width: 1280, height: 900 });
	ok('the ward list: the patient measured today with its implausible change marked, recently viewed, nothing waiting; desktop and tablet');

	// A clinician cannot open an admin page, and the API refuses it too.
	await page.goto(`${base}/#/users`);
	await heading(page, 'Not allowed');
	assert(await page.locator('nav a', { hasText: 'Users' }).count() === 0, 'no Users link for a clinician');
	const st = await apiStatus(page, 'GET', '/api/v1/users');
	assert(st === 403, `GET /api/v1/users answered ${st} to a clinician`);
	await axe(page, 'not allowed');
	ok('clinician: admin page not offered, API answers 403');

	// Second factor: enrol with the QR code's secret, then sign in with it.
	await page.goto(`${base}/#/account`);
	await heading(page, 'My account');
	await page.getByRole('button', { name: 'Set up a second factor' }).click();
	await page.locator('img.qr').waitFor();
	const secret = (await page.locator('code.secret').textContent()).trim();
	await axe(page, 'TOTP enrolment');
	await shot(page, '14-totp-enrol');
	await page.getByLabel('Code shown by the app').fill('000000');
	await page.getByRole('button', { name: 'Activate' }).click();
	await page.locator('[data-error-for="code"]').filter({ hasText: /./ }).waitFor();
	await page.getByLabel('Code shown by the app').fill(authenticator.generate(secret));
	await page.getByRole('button', { name: 'Activate' }).click();
	await page.getByRole('heading', { name: 'Recovery codes' }).waitFor();
	assert(await page.locator('ul.codes li').count() === 10, 'ten recovery codes');
	ok('TOTP enrolled with a code from otplib; ten recovery codes shown');
	await page.getByRole('button', { name: /continue/ }).click();
	await signOut(page);
	await signIn(page, 'clin', state.new_passwords.clin);
	const code = page.getByLabel(/Code from your authenticator/);
	await code.waitFor();
	await code.fill('123456');
	await page.getByRole('button', { name: 'Verify' }).click();
	await page.locator('[data-error-for="totp"]', { hasText: 'invalid credentials' }).waitFor();
	await axe(page, 'second-factor step');
	await shot(page, '15-second-factor');
	// The next time step: the one used to enrol is spent.
	const next = authenticator.clone({ epoch: Date.now() + 30000 }).generate(secret);
	await code.fill(next);
	await page.getByRole('button', { name: 'Verify' }).click();
	await heading(page, 'Ward');
	ok('signed in with password and a TOTP code; a wrong code was refused at the field');
	await signOut(page);

	// Tenant and device administrators.
	await signIn(page, 'tenants', state.passwords.tenants);
	await changePassword(page, state.passwords.tenants, state.new_passwords.tenants);
	await heading(page, 'Tenants');
	await page.getByRole('button', { name: 'Members' }).first().click();
	await page.getByRole('heading', { name: /Members of/ }).first().waitFor();
	await page.waitForLoadState('networkidle');
	await page.locator('table td', { hasText: /^suspended/ }).first().waitFor();
	await axe(page, 'tenants');
	await shot(page, '16-tenants');
	// The suspended member (an administrator reset it) is confirmed again.
	await page.getByRole('button', { name: 'Confirm locky again' }).click();
	await page.getByText('locky confirmed again in').waitFor();
	await page.locator('table td', { hasText: /^suspended/ }).first().waitFor({ state: 'detached' });
	ok('tenant administrator: a suspended member is shown as such and confirmed again');
	await signOut(page);
	await signIn(page, 'devices', state.passwords.devices);
	await changePassword(page, state.passwords.devices, state.new_passwords.devices);
	await heading(page, 'Devices');
	await page.locator('table td', { hasText: 'scale-1' }).first().waitFor();
	await page.getByLabel('Device name').fill('Scale ward 4');
	await page.getByRole('button', { name: 'Make token' }).click();
	await page.getByText('Enrolment token made').waitFor();
	await axe(page, 'devices');
	await shot(page, '17-devices');
	ok('device admin sees the enrolled device and made an enrolment token');
	await signOut(page);

	// The security officer reviews a change (docs/changes.md) with a note;
	// the security page counts one fewer.
	await signIn(page, 'secoff', state.passwords.secoff);
	await changePassword(page, state.passwords.secoff, state.new_passwords.secoff);
	await heading(page, 'Security');
	const count = async () => Number(await page.locator('#unreviewed-changes').innerText());
	const before = await count();
	assert(before > 0, 'the security page counts changes to review');
	await page.goto(`${base}/#/changes`);
	await heading(page, 'Changes to review');
	await page.getByRole('button', { name: 'Mark reviewed' }).first().waitFor();
	await axe(page, 'changes (review form)');
	const note = page.getByLabel(/^Note on change \d+$/).first();
	await note.fill('seen in the change meeting');
	await page.getByRole('button', { name: 'Mark reviewed' }).first().click();
	await page.getByText(/Change \d+ reviewed\./).waitFor();
	await shot(page, '18-changes-review');
	await page.goto(`${base}/#/security`);
	await heading(page, 'Security');
	assert(await count() === before - 1, 'the count drops by the one reviewed');
	ok('security officer reviewed a change with a note; the security page counts one fewer');
	await signOut(page);

	// A service account: it can only ask for maintenance (docs/maintenance.md).
	await signIn(page, 'svc', state.passwords.svc);
	await changePassword(page, state.passwords.svc, state.new_passwords.svc);
	await heading(page, 'Maintenance');
	await page.getByLabel('Reason (ticket, what is wrong)').fill('EMR queue stuck, ticket 4711');
	await page.getByRole('checkbox', { name: /^Diagnostics/ }).check();
	await page.getByRole('button', { name: 'Ask' }).click();
	await page.getByText(/Request \d+ sent; a local administrator decides\./).waitFor();
	assert(await page.getByLabel('Minutes needed').inputValue() === '30', 'the form lost its default minutes after a send');
	await axe(page, 'maintenance (service account)');
	await shot(page, '19b-maintenance-service');
	assert(await apiStatus(page, 'GET', '/api/v1/outbox') === 403, 'a service account reads queues without a grant');
	ok('service account asked for maintenance in the browser; nothing else is open to it');
	await signOut(page);
	await cspEvents(page);
	await ctx.close();
	await germanPass(browser);
}

/* A browser set to German: the interface follows it (texts, <html lang>,
 * decimal commas and German dates), axe-core stays clean, screenshots get
 * a de- prefix; the account's own choice (English) then overrides the
 * browser's language and can be taken back. */
async function germanPass(browser) {
	const t0 = Date.now();
	const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 },
		locale: 'de-DE', timezoneId: 'Europe/Berlin' });
	const page = await ctx.newPage();
	await watch(page);
	await page.goto(`${base}/#/signin`);
	await heading(page, 'Anmelden');
	assert(await page.evaluate(() => document.documentElement.lang) === 'de', '<html lang="de">');
	await page.getByRole('link', { name: 'Passwort vergessen?' }).waitFor();
	await axe(page, 'de: Anmelden');
	await shot(page, 'de-01-anmelden');
	await page.getByLabel('Benutzername').fill('admin');
	await page.getByLabel('Passwort', { exact: true }).fill(state.new_passwords.admin);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await heading(page, 'Benutzer');
	await page.getByRole('link', { name: 'Prüfprotokoll' }).waitFor();
	await page.getByRole('button', { name: 'Abmelden' }).waitFor();
	await axe(page, 'de: Benutzer');
	await shot(page, 'de-02-benutzer');
	await page.goto(`${base}/#/health`);
	await heading(page, 'Systemzustand');
	await page.waitForLoadState('networkidle');
	const health = await page.locator('main').innerText();
	assert(/\d,\d\s(KiB|MiB|GiB|TiB)/.test(health), 'sizes with a decimal comma on the health page');
	assert(!/\d\.\d\s(KiB|MiB|GiB|TiB)/.test(health), 'no decimal point in sizes on the health page');
	await axe(page, 'de: Systemzustand');
	await shot(page, 'de-03-systemzustand');
	await page.goto(`${base}/#/audit`);
	await heading(page, 'Prüfprotokoll');
	await page.locator('main table td', { hasText: /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/ }).first().waitFor();
	assert(/^\d+ Einträge/.test(await page.locator('main table caption').innerText()), 'the caption counts "Einträge"');
	await axe(page, 'de: Prüfprotokoll');
	await shot(page, 'de-04-pruefprotokoll');
	ok('German browser: German texts, <html lang="de">, decimal commas and dd.mm.yyyy dates, axe-core clean');
	// The account's choice beats the browser's language, and can be undone.
	await page.goto(`${base}/#/account`);
	await heading(page, 'Mein Konto');
	await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
	await page.getByRole('button', { name: 'Sprache übernehmen' }).click();
	await heading(page, 'My account');
	assert(await page.evaluate(() => document.documentElement.lang) === 'en', '<html lang="en"> after choosing English');
	await page.reload();
	await heading(page, 'My account');
	await shot(page, 'de-05-konto-englisch');
	await page.getByRole('combobox', { name: 'Language' }).selectOption('');
	await page.getByRole('button', { name: 'Use this language' }).click();
	await heading(page, 'Mein Konto');
	await page.getByRole('button', { name: 'Abmelden' }).click();
	await heading(page, 'Anmelden');
	await page.getByText('Sie sind abgemeldet.').waitFor();
	// A clinician lands on the ward, in German too.
	await page.getByLabel('Benutzername').fill('nurse.new');
	await page.getByLabel('Passwort', { exact: true }).fill(state.new_passwords['nurse.new']);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await heading(page, 'Station');
	await page.getByRole('heading', { name: 'Wartet auf Sie' }).waitFor();
	await page.getByRole('heading', { name: 'In den letzten 24 Stunden gemessen' }).waitFor();
	await axe(page, 'de: Station');
	await shot(page, 'de-06-station');
	await page.getByRole('button', { name: 'Abmelden' }).click();
	await heading(page, 'Anmelden');
	ok(`the account's language choice overrides the browser's and is undone; a clinician lands on the German ward; German pass ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	await cspEvents(page);
	await ctx.close();
}

async function idlePhase(browser) {
	const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
	const page = await ctx.newPage();
	await watch(page);
	await signIn(page, 'nurse.new', state.new_passwords['nurse.new'], 'Ward');
	const t0 = Date.now();
	const warning = page.locator('#idle-warning');
	await warning.waitFor({ state: 'visible', timeout: (state.idle_timeout + 5) * 1000 });
	const warnedAfter = (Date.now() - t0) / 1000;
	assert(/signed out in \d+ s/.test(await warning.textContent()), 'the warning counts down');
	await axe(page, 'idle warning');
	await shot(page, '18-idle-warning');
	await heading(page, 'Sign in');
	const outAfter = (Date.now() - t0) / 1000;
	await page.getByText('signed out after a period of inactivity').waitFor();
	const st = await apiStatus(page, 'GET', '/api/v1/session');
	assert(st === 401, `the session still answers ${st} after the idle timeout`);
	await shot(page, '19-idle-signed-out');
	ok(`idle timeout ${state.idle_timeout} s: warning after ${warnedAfter.toFixed(1)} s, ` +
		`back to sign-in after ${outAfter.toFixed(1)} s, session gone on the server`);
	await cspEvents(page);
	await ctx.close();
}

(async () => {
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium', headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
	});
	let failed = null;
	try {
		if (phase === 'idle') await idlePhase(browser);
		else await mainPhase(browser);
	} catch (e) {
		failed = e;
		if (current) {
			await current.screenshot({ path: path.join(outDir, 'failure.png'), fullPage: true }).catch(() => {});
			console.log(`# the page at the failure: ${path.join(outDir, 'failure.png')}, ${current.url()}`);
		}
	} finally {
		await browser.close();
	}
	if (errors.length) console.log(`page errors:\n  ${errors.join('\n  ')}`);
	if (csp.length) console.log(`CSP violations:\n  ${csp.join('\n  ')}`);
	console.log(`# ${phase}: ${checked} pages checked with axe-core, ${shots} screenshots, ` +
		`${csp.length} CSP violations, ${errors.length} page errors, ${((Date.now() - started) / 1000).toFixed(1)} s`);
	if (failed) {
		console.log(`FAIL: ${failed.stack || failed}`);
		process.exit(1);
	}
	if (csp.length || errors.length) {
		console.log('FAIL: CSP violations or page errors');
		process.exit(1);
	}
})();
