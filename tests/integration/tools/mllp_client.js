// An HL7 sender for tests/integration/test_mllp_inbound.sh: the npm
// package simple-hl7 builds each PCD-01 ORU^R01 and parses each ACK;
// node's tls module carries them, MLLP-framed, over one kept-open
// connection with the device's certificate (simple-hl7's own TCP client
// has no TLS, and with keep-alive it hands any answer to the latest
// callback without looking at MSA-2: here every ACK is matched to the
// MSH-10 it must acknowledge by the test, not assumed).
//
// usage: node mllp_client.js MODULE_DIR PORT CA CERT KEY MODE MID... [-- OPTIONS]
//   MODULE_DIR  where simple-hl7 is installed (its package folder)
//   CERT, KEY   "-" for none
//   MODE        wait: send, wait for the answer, send the next (stop-and-wait)
//               pipeline: all messages in one write, then read the answers
// options (after MIDs, as NAME=VALUE): obx=MDC code of the weight row
//   (188736), weight=value (72.4), patient=PID-3.1 (MRN-0001)
// prints one line per message: "ACK MID MSA-1 MSA-2 ERR-3.1|-", or
// "CLOSED MID why" once the connection ended without an answer, or
// "REFUSED why" if the TLS handshake failed.
'use strict';

const fs = require('fs');
const tls = require('tls');

const { answers, VT, FS, CR } = require('./mllp_frames.js');

const [moduleDir, port, ca, cert, key, mode, ...rest] = process.argv.slice(2);
const hl7 = require(moduleDir);
const mids = rest.filter((a) => !a.includes('='));
const opts = Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => a.split('=')));

const TIME = '20261122100000+0000';
const EUI64 = '0012345678ABCDEF';

function oru(mid) {
	const msg = new hl7.Message('SCALE', 'WARD', 'MEDGATE', 'HOSP', TIME, '',
		['ORU', 'R01', 'ORU_R01'], mid, 'P', '2.6', '', '', 'NE', 'AL');
	msg.addSegment('PID', '', '', [opts.patient || 'MRN-0001', '', '', 'HOSP', 'MR'], '',
		['Doe', 'Jo']);
	msg.addSegment('OBR', '1', '', '', ['182777000', 'monitoring of patient', 'SNOMED-CT'],
		'', '', TIME);
	// The device row of the PCD-01 hierarchy: no value type, OBX-18 EUI-64.
	msg.addSegment('OBX', '1', '', ['528399', 'MDC_DEV_SPEC_PROFILE_SCALE', 'MDC'], '1', '',
		'', '', '', '', '', 'X', '', '', '', '', '', '', [EUI64, '', EUI64, 'EUI-64']);
	msg.addSegment('OBX', '2', 'NM', [opts.obx || '188736', 'MDC_MASS_BODY_ACTUAL', 'MDC'],
		'1.0.0.1', opts.weight || '72.4', ['263875', 'MDC_DIM_KILO_G', 'MDC'], '', '', '', '',
		'R', '', '', TIME);
	msg.addSegment('OBX', '3', 'NM', ['188740', 'MDC_LEN_BODY_ACTUAL', 'MDC'], '1.0.0.2',
		'180.0', ['263441', 'MDC_DIM_CENTI_M', 'MDC'], '', '', '', '', 'R', '', '', TIME);
	// Framed as simple-hl7's own TCP client frames it (its toString()
	// leaves out the last segment's CR; medgate accepts either).
	return VT + msg.toString() + FS + CR;
}

function describe(mid, ack) {
	const parser = new hl7.Parser({ segmentSeperator: '\r' });
	const m = parser.parse(ack);
	const msa = m.getSegment('MSA');
	const err = m.getSegment('ERR');
	const code = err ? err.getComponent(3, 1) : '';
	return `ACK ${mid} ${msa.getField(1)} ${msa.getField(2) || '""'} ${code || '-'}`;
}

function connect() {
	const o = { host: '127.0.0.1', port: Number(port), ca: fs.readFileSync(ca),
		    servername: 'localhost' };
	if (cert !== '-') {
		o.cert = fs.readFileSync(cert);
		o.key = fs.readFileSync(key);
	}
	return new Promise((resolve) => {
		const socket = tls.connect(o);
		const failed = (e) => resolve({ error: e.code || e.message });
		socket.once('error', failed);
		socket.once('secureConnect', () => {
			socket.removeListener('error', failed);
			resolve({ socket });
		});
	});
}

async function main() {
	const { socket, error } = await connect();
	if (error) {
		console.log(`REFUSED ${error}`);
		return;
	}
	const reader = answers(socket);
	if (mode === 'pipeline') {
		socket.write(mids.map(oru).join(''), 'latin1');
		for (const mid of mids) {
			const ack = await reader.next();
			console.log(ack === null ? `CLOSED ${mid} ${reader.why()}` : describe(mid, ack));
		}
	} else {
		for (const mid of mids) {
			socket.write(oru(mid), 'latin1');
			const ack = await reader.next();
			if (ack === null) {
				console.log(`CLOSED ${mid} ${reader.why()}`);
				break;
			}
			console.log(describe(mid, ack));
		}
	}
	socket.end();
}

main().catch((e) => { console.error(e); process.exit(1); });
