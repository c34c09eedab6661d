#!/usr/bin/env bash
# The inbound MLLP/TLS port on the real daemon. The npm package simple-hl7
# builds the PCD-01 ORU^R01 messages and parses medgate's ACKs (over node's
# tls: simple-hl7's client has no TLS); python sends what no HL7 library
# would. Stored means AA, and AA only once stored; refusals are answered
# AR naming the problem or end the connection, and store nothing;
# certificates of no device, of another CA or of a revoked device are
# refused; several messages on one connection each get their own MSA-2;
# [mllp] enabled = off opens no port.
#
# Needs MG_BIN, node and npm (simple-hl7 is installed once into
# $MG_BIN/test-node; the npm registry is the only network use), python3.
. "$(dirname "$0")/lib.sh"

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
SIMPLE_HL7_VERSION=3.3.0
NODE_DIR=$MG_BIN/test-node/simple-hl7-$SIMPLE_HL7_VERSION
SIMPLE_HL7=$NODE_DIR/node_modules/simple-hl7

for tool in node npm python3; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
mkdir -p "$NODE_DIR"
# test_hl7_interop.sh installs the same package here: one at a time.
(
	flock -w 300 9 || fail "waited too long for $NODE_DIR.lock"
	if [ ! -f "$SIMPLE_HL7/package.json" ]; then
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			"simple-hl7@$SIMPLE_HL7_VERSION" >"$T/npm.log" 2>&1 ||
			{ cat "$T/npm.log"; fail "npm install simple-hl7"; }
	fi
) 9>"$NODE_DIR.lock"
got=$(node -p "require('$SIMPLE_HL7/package.json').version")
assert_eq "$SIMPLE_HL7_VERSION" "$got" "simple-hl7 version"

mg_init
mg_conf_set mllp enabled on
mg_conf_set mllp connection_timeout 2
mg_conf_set mllp request_timeout 2
mg_start
mg_enrol scale1
LOG=$INST/log/medgated.log

# Answers of device NAME (cert "-": none) for MODE and MIDs (plus NAME=VALUE options).
hl7_send() { # name mode mid... [option=value...]
	local name=$1 cert key; shift
	if [ "$name" = - ]; then cert=-; key=-
	else cert=$T/dev/$name/cert.pem; key=$T/dev/$name/key.pem; fi
	timeout 60 node "$TOOLS/mllp_client.js" "$SIMPLE_HL7" "$MLLP_PORT" "$CA" "$cert" "$key" "$@"
}

raw_send() { # name case
	local cert=$T/dev/$1/cert.pem key=$T/dev/$1/key.pem
	timeout 60 python3 "$TOOLS/mllp_raw.py" "$MLLP_PORT" "$CA" "$cert" "$key" "$2"
}

# 1. A valid report: AA naming its MSH-10, stored with its values.
before=$(mg_count)
assert_eq "ACK MLLP-1 AA MLLP-1 -" "$(hl7_send scale1 wait MLLP-1)" "first message"
assert_eq $((before + 1)) "$(mg_count)" "rows after AA"
stored=$(mg_ctl measurement list --jsonl | python3 -c '
import json, sys
for line in sys.stdin:
    row = json.loads(line)
    if row["device_measurement_id"] == "MLLP-1":
        print(row["time"], " ".join("%s=%g%s" % (v["type"], v["value"], v["unit"])
                                    for v in row["values"]))')
assert_eq "2026-11-22T10:00:00.000Z body_weight=72.4kg body_height=180cm" "$stored" "stored values"
ok "AA for a PCD-01 ORU^R01 built by simple-hl7, stored with its values"

# 2. The same MSH-10 again (a resend after a lost ACK): AA, not stored twice.
assert_eq "ACK MLLP-1 AA MLLP-1 -" "$(hl7_send scale1 wait MLLP-1)" "resent message"
assert_eq $((before + 1)) "$(mg_count)" "rows after the resend"
ok "AA for a resend, stored once"

# 3. Several messages on one kept-open connection: stop-and-wait, then all
# in one write; each answer acknowledges its own message.
out=$(hl7_send scale1 wait K-1 K-2 K-3)
assert_eq $'ACK K-1 AA K-1 -\nACK K-2 AA K-2 -\nACK K-3 AA K-3 -' "$out" "stop-and-wait"
out=$(hl7_send scale1 pipeline Q-1 Q-2 Q-3 Q-4)
assert_eq $'ACK Q-1 AA Q-1 -\nACK Q-2 AA Q-2 -\nACK Q-3 AA Q-3 -\nACK Q-4 AA Q-4 -' "$out" "pipelined"
assert_eq $((before + 8)) "$(mg_count)" "rows after seven more"
ok "several messages on one connection, each with its own MSA-2"

# 4. Refusals: the answer (or the end of the connection), nothing stored,
# the daemon alive. Each row: expected output, then how to send.
refused() { # expected what command...
	local expected=$1 what=$2 n out; shift 2
	n=$(mg_count)
	out=$("$@")
	assert_eq "$expected" "$out" "$what"
	assert_eq "$n" "$(mg_count)" "rows after: $what"
	mg_alive || fail "medgated died after: $what"
	ok "$what: $out"
}
refused "ACK R-1 AR R-1 103" "unknown OBX code" hl7_send scale1 wait R-1 obx=999999
refused "ACK R-2 AR R-2 102" "weight out of range" hl7_send scale1 wait R-2 weight=7200
refused 'ACK AR "" 100' "missing MSH" raw_send scale1 no-msh
refused 'ACK AR "" 102' "wrong encoding characters" raw_send scale1 bad-encoding
refused "ACK AR RAW-3 102" "segment over the limit" raw_send scale1 long-segment
for c in oversize no-start-block fs-without-cr; do
	out=$(raw_send scale1 "$c")
	case "$out" in "CLOSED "*) ;; *) fail "$c: expected the connection closed, got $out" ;; esac
	mg_alive || fail "medgated died after $c"
	ok "$c: connection closed"
done
grep -q "closed connection from 127.0.0.1:[0-9]*: message larger than 65536 bytes" "$LOG" ||
	fail "oversize message not logged"
grep -q "broken MLLP framing" "$LOG" || fail "broken framing not logged"
out=$(raw_send scale1 no-end-block)
secs=${out#CLOSED }
[ "$out" != "$secs" ] || fail "no end block: expected the connection closed, got $out"
python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if 1.5 <= s <= 6 else 1)" "$secs" ||
	fail "no end block: closed after $secs s, expected about 2 (request_timeout)"
grep -q "message not complete within 2 s (no end block)" "$LOG" || fail "timeout not logged"
ok "a message without its end block is closed at the timeout (${secs} s)"
assert_eq $((before + 8)) "$(mg_count)" "rows after the refusals"
# The same connection goes on after a refusal.
out=$(hl7_send scale1 wait R-3 R-4 obx=999999)
assert_eq $'ACK R-3 AR R-3 103\nACK R-4 AR R-4 103' "$out" "refusals on one connection"
ok "a refused message leaves the connection open for the next"

# 5. Certificates: none, another CA's, a revoked device's.
case "$(hl7_send - wait N-1)" in REFUSED*|"CLOSED N-1 "*) ;; *) fail "no certificate accepted" ;; esac
ok "refused: no client certificate"
mkdir -p "$T/foreign"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=foreign-ca -keyout "$T/foreign/ca.key" -out "$T/foreign/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=intruder \
	-keyout "$T/foreign/key.pem" -out "$T/foreign/req.pem" 2>/dev/null
openssl x509 -req -in "$T/foreign/req.pem" -CA "$T/foreign/ca.pem" -CAkey "$T/foreign/ca.key" \
	-CAcreateserial -days 30 -out "$T/foreign/cert.pem" 2>/dev/null
mkdir -p "$T/dev/foreign" && cp "$T/foreign/cert.pem" "$T/foreign/key.pem" "$T/dev/foreign/"
case "$(hl7_send foreign wait F-1)" in REFUSED*|"CLOSED F-1 "*) ;; *) fail "foreign CA accepted" ;; esac
case "$(raw_send foreign valid)" in REFUSED*|CLOSED*) ;; *) fail "foreign CA accepted (python)" ;; esac
ok "refused: certificate of another CA"
mg_enrol scale2
dev2=$(mg_ctl device list | awk '$NF == "scale2" {print $1}')
assert_eq "ACK S2-1 AA S2-1 -" "$(hl7_send scale2 wait S2-1)" "scale2 before revocation"
mg_ctl device revoke "$dev2" >/dev/null
n=$(mg_count)
case "$(hl7_send scale2 wait S2-2)" in REFUSED*|"CLOSED S2-2 "*) ;; *) fail "revoked device accepted" ;; esac
assert_eq "$n" "$(mg_count)" "rows after the revoked device"
ok "refused: revoked device"
grep -q "refused connection from 127.0.0.1:[0-9]*: no client certificate" "$LOG" ||
	fail "refusal without certificate not logged"
grep -Eq "refused connection from 127.0.0.1:[0-9]*: (certificate not signed by the device CA|no client certificate)" "$LOG" ||
	fail "foreign certificate not logged"
grep -q "refused connection from 127.0.0.1:[0-9]*: device $dev2 is revoked" "$LOG" ||
	fail "revoked device not logged"
if grep -q "MRN-" "$LOG"; then fail "a patient identifier reached the log"; fi
ok "refusals logged with address and reason, no patient identifier in the log"

mg_stop
ok "clean stop"

# 6. [mllp] enabled = off: no listening socket.
mg_conf_set mllp enabled off
mg_start
if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 2)" \
	"$MLLP_PORT" 2>/dev/null; then
	fail "the MLLP port answers with [mllp] enabled = off"
fi
mg_stop
ok "[mllp] enabled = off: port closed"
