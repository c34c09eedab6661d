// An EMR for the HL7 forwarding tests: simple-hl7's own MLLP server
// (TcpServer, its parser and its ACK builder), listening on 127.0.0.1,
// optionally behind TLS, that records every message it receives and answers
// as told for this run.
//
// usage: node emr_hl7_peer.js --lib SIMPLE_HL7_DIR --log FILE [options]
//   --port N            listen on N (default 0: any free port)
//   --port-file FILE    write the port there once listening
//   --tls-cert C --tls-key K
//                       TLS instead of plain TCP: node's tls server runs
//                       simple-hl7's own connection handler unchanged
//   --ae-first N        answer AE (ERR-3 207) to the first N messages
//   --ar-patient REGEX  answer AR (ERR-3 204, ERR-8 quoting the patient id in
//                       lower case) when PID-3.1 matches
//   --fault KIND --fault-first N
//                       for the first N messages instead of an ACK:
//                       garbage  a framed text that is no HL7 message
//                       noise    bytes without MLLP framing
//                       silent   no answer at all (the connection stays open)
//                       drop     close the connection without an answer
//                       partial  half an ACK, then close the connection
//                       wrongid  an AA whose MSA-2 names another message
//   --quiet             no per-message records (benchmarks)
//   --expect N --stats FILE
//                       when the N-th message has been answered, write
//                       "count first_ms last_ms" (first receipt, N-th answer)
//   --capture FILE      keep the first message received, as received
//
// The log gets one JSON object per line, written synchronously (a kill -9
// loses nothing that was logged):
//   {"ev":"listen","port":P,"pid":PID}
//   {"ev":"recv","n":N,"conn":C,"t":MS,"id":MSH-10,"patient":PID-3.1,...}
//   {"ev":"answer","n":N,"conn":C,"id":MSH-10,"code":"AA"|"AE"|"AR"|fault}
//       logged just before the answer is written (so a kill -9 may come
//       between: an answer that went out is always logged)
//   {"ev":"close","conn":C}   {"ev":"tls-error","msg":...}   {"ev":"error",...}
// The test may append its own lines (kill markers) to the same file.
'use strict';

const fs = require('fs');
const net = require('net');
const tls = require('tls');

const VT = '\x0b', FS = '\x1c', CR = '\r';

const opt = { port: 0, aeFirst: 0, faultFirst: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i], v = () => argv[++i];
	if (a === '--lib') opt.lib = v();
	else if (a === '--log') opt.log = v();
	else if (a === '--port') opt.port = Number(v());
	else if (a === '--port-file') opt.portFile = v();
	else if (a === '--tls-cert') opt.tlsCert = v();
	else if (a === '--tls-key') opt.tlsKey = v();
	else if (a === '--ae-first') opt.aeFirst = Number(v());
	else if (a === '--ar-patient') opt.arPatient = new RegExp(v());
	else if (a === '--fault') opt.fault = v();
	else if (a === '--fault-first') opt.faultFirst = Number(v());
	else if (a === '--quiet') opt.quiet = true;
	else if (a === '--expect') opt.expect = Number(v());
	else if (a === '--stats') opt.stats = v();
	else if (a === '--capture') opt.capture = v();
	else {
		console.error(`emr_hl7_peer: unknown option ${a}`);
		process.exit(2);
	}
}
if (!opt.lib || (!opt.log && !opt.quiet)) {
	console.error('usage: emr_hl7_peer.js --lib SIMPLE_HL7_DIR --log FILE [options]');
	process.exit(2);
}
const FAULTS = ['garbage', 'noise', 'silent', 'drop', 'partial', 'wrongid'];
if (opt.fault && !FAULTS.includes(opt.fault)) {
	console.error(`emr_hl7_peer: --fault is one of ${FAULTS.join(', ')}`);
	process.exit(2);
}
const hl7 = require(opt.lib);

const logFd = opt.log ? fs.openSync(opt.log, 'a') : null;
function log(obj) {
	if (logFd === null) return;
	fs.writeSync(logFd, JSON.stringify(obj) + '\n');
}

// Connections: a number each, and a record when one closes.
const conns = new Map();
let nextConn = 0;
function connOf(sock) {
	let c = conns.get(sock);
	if (c === undefined) {
		c = ++nextConn;
		conns.set(sock, c);
		sock.on('close', () => {
			log({ ev: 'close', conn: c, t: Date.now() });
			conns.delete(sock);
		});
	}
	return c;
}

// What simple-hl7's parser found where PCD-01 puts it. header.getField(n)
// is MSH-(n+2).
function describe(msg) {
	const h = msg.header;
	const seg = (name) => msg.getSegment(name);
	const pid = seg('PID'), obr = seg('OBR');
	const msh = {};
	for (let f = 3; f <= 21; f++) msh[f] = h.getField(f - 2);
	return {
		id: h.getField(8),
		msh,
		patient: pid ? pid.getComponent(3, 1) : null,
		pid3: pid ? pid.getField(3) : null,
		pid5: pid ? pid.getField(5) : null,
		obr: obr ? { 1: obr.getField(1), 3: obr.getField(3), 4: obr.getField(4), 7: obr.getField(7) } : null,
		segments: [h].concat(msg.segments).map((s) => s === h ? 'MSH' : s.name),
		obx: msg.getSegments('OBX').map((o) => ({
			1: o.getField(1), 2: o.getField(2), 3: o.getField(3), 4: o.getField(4),
			5: o.getField(5), 6: o.getField(6), 11: o.getField(11), 14: o.getField(14),
			18: o.getField(18),
		})),
	};
}

let received = 0, answered = 0, firstMs = 0, captured = false, stopping = false;

function answer(res, rec, code) {
	const sock = res.socket;
	const ack = res.ack;
	switch (code) {
	case 'AA':
		res.end();
		break;
	case 'AE':
		ack.getSegment('MSA').setField(1, 'AE');
		ack.addSegment('ERR', '', '', ['207', 'Application internal error', 'HL70357'], 'E');
		res.end();
		break;
	case 'AR':
		ack.getSegment('MSA').setField(1, 'AR');
		// ERR-8 quotes the patient id (in lower case), as an EMR may.
		ack.addSegment('ERR', '', ['PID', '1', '3'], ['204', 'Unknown key identifier', 'HL70357'],
			       'E', '', '', '', `unknown patient ${String(rec.patient).toLowerCase()}`);
		res.end();
		break;
	case 'wrongid':
		ack.getSegment('MSA').setField(2, rec.id + 'X');
		res.end();
		break;
	case 'garbage':
		sock.write(VT + 'this is not an HL7 message' + CR + FS + CR);
		break;
	case 'noise':
		sock.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
		break;
	case 'silent':
		break;
	case 'drop':
		sock.destroy();
		break;
	case 'partial': {
		const whole = VT + ack.toString() + FS + CR;
		sock.end(whole.slice(0, Math.floor(whole.length / 2)));
		break;
	}
	}
}

const server = hl7.Server.createTcpServer((err, req, res) => {
	if (err) {
		log({ ev: 'error', t: Date.now(), msg: String(err && err.message ? err.message : err) });
		return;
	}
	const now = Date.now();
	const n = ++received;
	if (n === 1) firstMs = now;
	const c = connOf(res.socket);
	const rec = describe(req.msg);
	if (opt.capture && !captured) {
		captured = true;
		fs.writeFileSync(opt.capture, req.raw.slice(1, -2));
	}
	if (!opt.quiet) {
		log(Object.assign({ ev: 'recv', n, conn: c, t: now,
				    tls: res.socket.getProtocol ? res.socket.getProtocol() : null,
				    raw: req.raw.slice(1, -2) }, rec));
	}
	let code = 'AA';
	if (stopping) code = 'drop';	/* no ACK that might not get out */
	else if (opt.fault && n <= opt.faultFirst) code = opt.fault;
	else if (n <= opt.aeFirst) code = 'AE';
	else if (opt.arPatient && rec.patient !== null && opt.arPatient.test(rec.patient)) code = 'AR';
	// Logged before it is written: a kill -9 in between leaves an answer
	// that never went out, never one that went out unlogged.
	if (!opt.quiet) log({ ev: 'answer', n, conn: c, t: Date.now(), id: rec.id, code });
	answer(res, rec, code);
	answered++;
	if (opt.expect && answered === opt.expect && opt.stats)
		fs.writeFileSync(opt.stats, `${answered} ${firstMs} ${Date.now()}\n`);
});

// simple-hl7's TcpServer.start() calls net.createServer(handler) and
// listen(port): hand it a server bound to 127.0.0.1, TLS if asked, that
// runs the library's handler on every (decrypted) connection.
const realCreateServer = net.createServer;
net.createServer = (handler) => {
	const srv = opt.tlsCert
		? tls.createServer({ cert: fs.readFileSync(opt.tlsCert), key: fs.readFileSync(opt.tlsKey) },
				   handler)
		: realCreateServer(handler);
	const listen = srv.listen.bind(srv);
	srv.listen = (port) => listen(port, '127.0.0.1');
	return srv;
};
server.start(opt.port);
net.createServer = realCreateServer;

server.server.on('tlsClientError', (e) => log({ ev: 'tls-error', t: Date.now(), msg: e.message }));
server.server.on('error', (e) => {
	console.error(`emr_hl7_peer: ${e.message}`);
	process.exit(1);
});
server.server.on('listening', () => {
	const port = server.server.address().port;
	log({ ev: 'listen', t: Date.now(), port, pid: process.pid, tls: !!opt.tlsCert });
	if (opt.portFile) {
		fs.writeFileSync(opt.portFile + '.tmp', String(port));
		fs.renameSync(opt.portFile + '.tmp', opt.portFile);
	}
});

// SIGTERM: a graceful stop. Stop listening, end every connection after
// what was written, exit; a message still arriving meanwhile gets no
// answer (its connection is closed).
process.on('SIGTERM', () => {
	stopping = true;
	server.server.close();
	for (const sock of conns.keys()) sock.end();
	log({ ev: 'stop', t: Date.now() });
	setTimeout(() => process.exit(0), 300).unref();
	if (conns.size === 0) process.exit(0);
	for (const sock of conns.keys()) sock.on('close', () => { if (conns.size === 0) process.exit(0); });
});
