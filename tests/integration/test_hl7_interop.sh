#!/usr/bin/env bash
# HL7 v2 interop with software nobody here wrote: the npm package
# simple-hl7 (what the integration tests use as EMR and device peer).
#
#  1. medgate encodes a PCD-01 ORU^R01 and frames it for MLLP
#     (test_hl7 sample); the bytes go, unchanged, over TCP to a
#     simple-hl7 MLLP server, whose parser must find MSH-9/10/12, PID-3 and
#     OBX-3/5/6/18 where PCD-01 puts them.
#  2. The ACK that server writes (its own builder, AA) and an AE with an
#     ERR segment built with the library's message API come back framed;
#     medgate's framer and mg_hl7_parse_ack must read code, MSA-2 and the
#     ERR-3 error code (test_hl7 read-ack).
#  3. A device-side ORU^R01 built with the library's message API must
#     convert into the measurement it carries (test_hl7 read-oru).
#
# Needs MG_BIN (the build folder, for test_hl7), node and npm (simple-hl7
# is installed once into $MG_BIN/test-node; the npm registry is the only
# network use).
set -euo pipefail

: "${MG_BIN:?MG_BIN must name the build folder}"
TEST_HL7=$MG_BIN/test_hl7
SIMPLE_HL7_VERSION=3.3.0	# pinned: Message/Parser/TcpServer API as used below
NODE_DIR=$MG_BIN/test-node/simple-hl7-$SIMPLE_HL7_VERSION

T=$(mktemp -d /tmp/medgate-hl7.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for tool in node npm; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
[ -x "$TEST_HL7" ] || fail "$TEST_HL7 not built"

if [ ! -f "$NODE_DIR/node_modules/simple-hl7/package.json" ]; then
	mkdir -p "$NODE_DIR"
	timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
		"simple-hl7@$SIMPLE_HL7_VERSION" >"$T/npm.log" 2>&1 ||
		{ cat "$T/npm.log"; fail "npm install simple-hl7"; }
fi
got=$(node -p "require('$NODE_DIR/node_modules/simple-hl7/package.json').version")
[ "$got" = "$SIMPLE_HL7_VERSION" ] || fail "simple-hl7 $got installed, $SIMPLE_HL7_VERSION expected"
ok "simple-hl7 $SIMPLE_HL7_VERSION"

control_id=$("$TEST_HL7" sample "$T/oru.mllp") || fail "test_hl7 sample"
ok "medgate encoded ORU^R01 $control_id"

cat >"$T/peer.js" <<'JS'
'use strict';
const fs = require('fs');
const net = require('net');
const [lib, dir, controlId] = process.argv.slice(2);
const hl7 = require(lib);
const VT = '\x0b', FS = '\x1c', CR = '\r';

function expect(what, got, want) {
	if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// What simple-hl7's parser finds in medgate's message. Its header fields
// start at MSH-3: header.getField(n) is MSH-(n+2).
function check(msg) {
	const h = msg.header;
	expect('MSH-3', h.getField(1), 'MEDGATE');
	expect('MSH-9.1', h.getComponent(7, 1), 'ORU');
	expect('MSH-9.2', h.getComponent(7, 2), 'R01');
	expect('MSH-9.3', h.getComponent(7, 3), 'ORU_R01');
	expect('MSH-10', h.getField(8), controlId);
	expect('MSH-11', h.getField(9), 'P');
	expect('MSH-12', h.getField(10), '2.6');
	expect('MSH-21.1', h.getComponent(19, 1), 'IHE_PCD_001');
	expect('PID-3.1', msg.getSegment('PID').getComponent(3, 1), 'PAT-0042');
	expect('OBR-4.1', msg.getSegment('OBR').getComponent(4, 1), '182777000');
	const obx = msg.getSegments('OBX');
	expect('OBX count', obx.length, 4);
	expect('MDS OBX-3.1', obx[0].getComponent(3, 1), '65573');
	expect('MDS OBX-4', obx[0].getField(4), '1.0.0.0');
	expect('MDS OBX-18.1', obx[0].getComponent(18, 1), '0123456789ABCDEF');
	expect('MDS OBX-18.4', obx[0].getComponent(18, 4), 'EUI-64');
	const rows = [['188736', '72.5', '263875'], ['150021', '128', '266016'],
		      ['188748', '21.3', '262688']];
	rows.forEach(([code, value, unit], i) => {
		const o = obx[i + 1];
		expect(`OBX ${i + 2} OBX-2`, o.getField(2), 'NM');
		expect(`OBX ${i + 2} OBX-3.1`, o.getComponent(3, 1), code);
		expect(`OBX ${i + 2} OBX-3.3`, o.getComponent(3, 3), 'MDC');
		expect(`OBX ${i + 2} OBX-4`, o.getField(4), `1.0.0.${i + 1}`);
		expect(`OBX ${i + 2} OBX-5`, o.getField(5), value);
		expect(`OBX ${i + 2} OBX-6.1`, o.getComponent(6, 1), unit);
		expect(`OBX ${i + 2} OBX-14`, o.getField(14), '20261122100000.000+0000');
	});
}

// Send medgate's framed bytes as they are; return the framed answer.
function exchange(port, bytes) {
	return new Promise((resolve, reject) => {
		const c = net.connect(port, '127.0.0.1', () => c.write(bytes));
		let answer = Buffer.alloc(0);
		c.on('data', (d) => {
			answer = Buffer.concat([answer, d]);
			if (answer.length >= 2 && answer.slice(-2).toString('latin1') === FS + CR) {
				c.end();
				resolve(answer);
			}
		});
		c.on('error', reject);
		setTimeout(() => reject(new Error('no answer within 10 s')), 10000).unref();
	});
}

async function main() {
	const oru = fs.readFileSync(`${dir}/oru.mllp`);
	let reply = 'AA';
	const server = hl7.Server.createTcpServer((err, req, res) => {
		if (err) throw err;
		check(req.msg);
		if (reply === 'AE') {
			res.ack.getSegment('MSA').setField(1, 'AE');
			res.ack.addSegment('ERR', '', ['OBX', '2', '5'],
					   ['207', 'Application internal error', 'HL70357'], 'E');
		}
		res.end();
	});
	server.start(0);
	await new Promise((r) => server.server.on('listening', r));
	const port = server.server.address().port;
	fs.writeFileSync(`${dir}/ack-aa.mllp`, await exchange(port, oru));
	reply = 'AE';
	fs.writeFileSync(`${dir}/ack-ae.mllp`, await exchange(port, oru));
	server.stop();

	// A device's report, built with the library's message API.
	const now = new Date(Date.now() - 60000);
	const ts = now.toISOString().replace(/[-:T]/g, '').slice(0, 14) + '+0000';
	const dev = new hl7.Message('BPM^0011223344556677^EUI-64', 'HOME', 'MEDGATE', 'HOSP',
				    ts, '', ['ORU', 'R01', 'ORU_R01'], 'BPM-7-0001', 'P', '2.6');
	dev.addSegment('PID', '', '', ['PAT-0042', '', '', 'HOSP', 'MR']);
	dev.addSegment('OBR', '1', '', ['BPM-7-0001', 'BPM'],
		       ['182777000', 'monitoring of patient', 'SCT'], '', '', ts);
	dev.addSegment('OBX', '1', '', ['65573', 'MDC_MOC_VMS_MDS_SIMP', 'MDC'], '1.0.0.0',
		       '', '', '', '', '', '', 'X');
	dev.addSegment('OBX', '2', 'NM', ['150021', 'MDC_PRESS_BLD_NONINV_SYS', 'MDC'],
		       '1.0.0.1', '131', ['266016', 'MDC_DIM_MMHG', 'MDC'], '', '', '', '',
		       'R', '', '', ts);
	dev.addSegment('OBX', '3', 'NM', ['150022', 'MDC_PRESS_BLD_NONINV_DIA', 'MDC'],
		       '1.0.0.2', '84', ['mm[Hg]', '', 'UCUM'], '', '', '', '', 'R', '', '', ts);
	dev.addSegment('OBX', '4', 'NM', ['149546', 'MDC_PULS_RATE_NON_INV', 'MDC'],
		       '1.0.0.3', '61', ['264864', 'MDC_DIM_BEAT_PER_MIN', 'MDC'], '', '', '',
		       '', 'F', '', '', ts);
	fs.writeFileSync(`${dir}/device-oru.hl7`, dev.toString());
	console.log(Math.floor(Date.parse(now.toISOString().slice(0, 19) + 'Z') / 1000) * 1000);
}

main().catch((e) => { console.error(e.message); process.exit(1); });
JS

device_ms=$(timeout 60 node "$T/peer.js" "$NODE_DIR/node_modules/simple-hl7" "$T" "$control_id") ||
	fail "simple-hl7 did not accept medgate's message (see above)"
ok "simple-hl7 MLLP server framed and parsed medgate's ORU^R01: MSH-9/10/12/21, PID-3, OBR-4, OBX-3/4/5/6/14/18"

read -r code id err < <("$TEST_HL7" read-ack "$T/ack-aa.mllp") || fail "mg_hl7_parse_ack refused simple-hl7's ACK"
[ "$code $id $err" = "AA $control_id 0" ] || fail "ACK read as '$code $id $err'"
ok "medgate read simple-hl7's ACK: AA for $control_id"

read -r code id err < <("$TEST_HL7" read-ack "$T/ack-ae.mllp") || fail "mg_hl7_parse_ack refused the AE"
[ "$code $id $err" = "AE $control_id 207" ] || fail "AE read as '$code $id $err'"
ok "medgate read an AE with ERR-3 207 built with simple-hl7"

"$TEST_HL7" read-oru "$T/device-oru.hl7" >"$T/measurement.txt" ||
	fail "medgate refused the ORU^R01 simple-hl7 built"
printf '%s\n' "id=BPM-7-0001 patient=PAT-0042 time=$device_ms" "bp_systolic=131" \
	"bp_diastolic=84" "pulse_rate=61" >"$T/want.txt"
diff -u "$T/want.txt" "$T/measurement.txt" || fail "measurement differs"
ok "medgate read the ORU^R01 simple-hl7 built into the measurement it carries"
