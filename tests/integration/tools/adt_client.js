// An HL7 ADT sender for tests/integration/test_adt_inbound.sh: the npm
// package simple-hl7 builds each ADT message (MSH, EVN, PID, PV1, MRG)
// and parses each ACK; node's tls module carries them MLLP-framed over
// one connection with the sender's certificate, stop-and-wait.
//
// usage: node adt_client.js MODULE_DIR PORT CA CERT KEY MESSAGES.json
//   MESSAGES.json: [{event, mid, pid, family, given, birth, sex, ward,
//                    visit, prior, discharged, charset}, ...] (strings;
//                    "" or absent leaves the field empty; charset
//                    "latin1" sends MSH-18 8859/1, else UNICODE UTF-8)
// prints one line per message: "ACK MID MSA-1 MSA-2 ERR-3.1|-", or
// "CLOSED MID why".
'use strict';

const fs = require('fs');
const tls = require('tls');

const { answers, VT, FS, CR } = require('./mllp_frames.js');
const TIME = '20261122100000+0000';

const [moduleDir, port, ca, cert, key, file] = process.argv.slice(2);
const hl7 = require(moduleDir);
const messages = JSON.parse(fs.readFileSync(file, 'utf8'));

function adt(m) {
	const structure = m.event === 'A40' ? 'ADT_A39' : m.event === 'A03' ? 'ADT_A03' : 'ADT_A01';
	const msg = new hl7.Message('HIS', 'HOSP', 'MEDGATE', 'HOSP', TIME, '',
		['ADT', m.event, structure], m.mid, 'P', '2.6', '', '', 'NE', 'AL', '',
		m.charset === 'latin1' ? '8859/1' : 'UNICODE UTF-8');
	msg.addSegment('EVN', m.event, TIME);
	if (!m.noPid) {
		msg.addSegment('PID', '1', '', [m.pid || '', '', '', 'HOSP', 'MR'], '',
			[m.family || '', m.given || ''], '', m.birth || '', m.sex || '');
	}
	if (m.event === 'A40') msg.addSegment('MRG', [m.prior || '', '', '', 'HOSP', 'MR']);
	else {
		const pv1 = new Array(45).fill('');
		pv1[0] = '1';
		pv1[1] = 'I';
		pv1[2] = [m.ward || '', '', ''];
		pv1[18] = m.visit || '';
		pv1[44] = m.discharged || '';
		msg.addSegment('PV1', ...pv1);
	}
	return VT + msg.toString() + FS + CR;
}

async function main() {
	const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: fs.readFileSync(ca),
		servername: 'localhost', cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
	await new Promise((resolve, reject) => {
		socket.once('secureConnect', resolve);
		socket.once('error', reject);
	});
	const r = answers(socket);
	for (const m of messages) {
		socket.write(adt(m), m.charset === 'latin1' ? 'latin1' : 'utf8');
		const ack = await r.next();
		if (ack === null) {
			console.log(`CLOSED ${m.mid} ${r.why()}`);
			break;
		}
		const parsed = new hl7.Parser({ segmentSeperator: '\r' }).parse(ack);
		const msa = parsed.getSegment('MSA');
		const err = parsed.getSegment('ERR');
		const code = err ? err.getComponent(3, 1) : '';
		console.log(`ACK ${m.mid} ${msa.getField(1)} ${msa.getField(2) || '""'} ${code || '-'}`);
	}
	socket.end();
}

main().catch((e) => { console.error(e); process.exit(1); });
