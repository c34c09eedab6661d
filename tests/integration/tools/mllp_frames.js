// MLLP framing for the test senders (mllp_client.js, adt_client.js):
// the answers read from a socket, in order, each without its framing.
'use strict';

const VT = '\x0b', FS = '\x1c', CR = '\r';
const WAIT_MS = 10000;

// Framed answers from the socket, in order; null once it has ended.
function answers(socket) {
	let buffer = '', ended = null;
	const waiting = [];
	const deliver = () => {
		while (waiting.length > 0) {
			const end = buffer.indexOf(FS + CR);
			if (end >= 0) {
				const frame = buffer.slice(0, end);
				buffer = buffer.slice(end + 2);
				waiting.shift()(frame.startsWith(VT) ? frame.slice(1) : frame);
			} else if (ended !== null) {
				waiting.shift()(null);
			} else {
				return;
			}
		}
	};
	socket.setEncoding('latin1');
	socket.on('data', (d) => { buffer += d; deliver(); });
	const end = (why) => { if (ended === null) ended = why; deliver(); };
	socket.on('end', () => end('closed by the gateway'));
	socket.on('close', () => end('closed'));
	socket.on('error', (e) => end(e.code || e.message));
	return {
		next: () => new Promise((resolve) => {
			const timer = setTimeout(() => { end('no answer in time'); }, WAIT_MS);
			waiting.push((a) => { clearTimeout(timer); resolve(a); });
			deliver();
		}),
		why: () => ended,
	};
}

module.exports = { answers, VT, FS, CR };
