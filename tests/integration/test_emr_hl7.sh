#!/usr/bin/env bash
# EMR forwarding over HL7 v2 / MLLP to software nobody here wrote: the EMR
# is simple-hl7's own MLLP server (tools/emr_hl7_peer.js: its TcpServer,
# parser and ACK builder; node's tls server in front for the TLS
# destination), which records every message and answers as told per run.
#
#  1. [emr.main] enabled = off queues: pending and the oldest pending age in
#     `outbox status`, nothing sent; on again, everything is delivered.
#  2. The PCD-01 ORU^R01 of a weight/height/BMI/body fat/blood pressure
#     measurement, as simple-hl7 parsed it: every segment and field against
#     an expected message built from docs/hl7.md and docs/quantities.md
#     (MDC codes and units), MSH-10 the stable message id MG<instance>-<id>,
#     OBX-18 the device's EUI-64 (its certificate fingerprint).
#  3. The EMR down while 3 patients send 24 measurements; back up, with 4
#     connections: every stored measurement arrives exactly once, each
#     patient's in the order measured, over more than one connection.
#  4. AE twice: retried after the back-off, then delivered.
#  5. AR for some patients: dead letters in `outbox status` and GET
#     /api/v1/outbox, other patients unaffected, no patient id in the log
#     (in any letter case, though the EMR quoted it);
#     once the EMR accepts them, `outbox resend main --id N` and POST
#     /api/v1/outbox/main/resend deliver them with the same MSH-10.
#  6. Garbage, bytes without framing, no answer, connection closed without
#     an answer, half an ACK, an ACK for another message: each is resent
#     with the same MSH-10 and then delivered, and never sent again after
#     the AA.
#  7. [emr.secure] tls = on: with the wrong ca_cert everything stays pending
#     and nothing reaches the EMR (the handshake is refused); a certificate
#     for another address likewise; with the right CA every stored
#     measurement arrives exactly once over TLS.
#  8. Corrections (docs/ward.md): a clinician moves a delivered measurement
#     to the right patient, then marks it entered in error. Each EMR gets,
#     after the original, an ORU^R01 for the first patient with OBR-2 naming
#     the original and OBX-11 W on every value, then the measurement for
#     the right patient (OBX-11 R, its own OBR-2), then the withdrawal of
#     that one; the audit trail has measurement.correct without a patient
#     id or the reason; no reason, or a patient of the path it is not with,
#     is refused.
#
# Needs MG_BIN, node and npm (simple-hl7 is installed once into
# $MG_BIN/test-node; the npm registry is the only network use), openssl,
# python3.
. "$(dirname "$0")/lib.sh"

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
SIMPLE_HL7_VERSION=3.3.0
NODE_DIR=$MG_BIN/test-node/simple-hl7-$SIMPLE_HL7_VERSION
SIMPLE_HL7=$NODE_DIR/node_modules/simple-hl7

for tool in node npm python3 openssl; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
mkdir -p "$NODE_DIR"
# Other tests install the same package here: one at a time.
(
	flock -w 300 9 || fail "waited too long for $NODE_DIR.lock"
	if [ ! -f "$SIMPLE_HL7/package.json" ]; then
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			"simple-hl7@$SIMPLE_HL7_VERSION" >"$T/npm.log" 2>&1 ||
			{ cat "$T/npm.log"; fail "npm install simple-hl7"; }
	fi
) 9>"$NODE_DIR.lock"
assert_eq "$SIMPLE_HL7_VERSION" "$(node -p "require('$SIMPLE_HL7/package.json').version")" \
	"simple-hl7 version"

# ---- a throwaway PKI: the EMR's CA, its server certificate for 127.0.0.1,
# one for another address, and an unrelated CA ----
PKI=$T/pki
mkdir -p "$PKI"
pki_ca() { # name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$PKI/$1.key" -out "$PKI/$1.pem" -subj "/CN=medgate test $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
}
pki_server() { # name ca ip
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=$3" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:%s\n' \
		"$3" >"$PKI/$1.ext"
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.pem" -CAkey "$PKI/$2.key" -CAcreateserial \
		-days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" 2>/dev/null
}
pki_ca emr-ca
pki_ca other-ca
pki_server emr emr-ca 127.0.0.1
pki_server emr-elsewhere emr-ca 127.0.0.2
chmod 644 "$PKI"/*.pem

# ---- the two EMR peers ----
declare -A PEER_PID=() PEER_PORT=()
peer_start() { # name [peer options...]
	local name=$1 port_file=$T/peer-$1.port i
	shift
	rm -f "$port_file"
	node "$TOOLS/emr_hl7_peer.js" --lib "$SIMPLE_HL7" --log "$T/peer-$name.log" \
		--port "${PEER_PORT[$name]:-0}" --port-file "$port_file" "$@" \
		>>"$T/peer-$name.out" 2>&1 &
	PEER_PID[$name]=$!
	MG_BACKGROUND+=("$!")
	for i in $(seq 1 100); do
		[ -s "$port_file" ] && break
		kill -0 "${PEER_PID[$name]}" 2>/dev/null || { cat "$T/peer-$name.out"; fail "peer $name exited"; }
		sleep 0.1
	done
	[ -s "$port_file" ] || fail "peer $name did not listen within 10 s"
	PEER_PORT[$name]=$(cat "$port_file")
}
peer_stop() { # name: a graceful stop (SIGTERM)
	local pid=${PEER_PID[$1]} i
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "peer $1 did not stop"
	wait "$pid" 2>/dev/null || true
}

# Questions about a peer's log (tools/emr_hl7_peer.js writes it).
cat >"$T/plog.py" <<'PY'
import json, re, sys
log, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
ev = [json.loads(l) for l in open(log) if l.strip()]
recv = [e for e in ev if e["ev"] == "recv"]
answers = [e for e in ev if e["ev"] == "answer"]

def fail(msg):
    print(msg)
    sys.exit(1)

if cmd == "answers":            # ID: the answers given to it, in order
    print(" ".join(a["code"] for a in answers if a["id"] == args[0]))
elif cmd == "times":            # ID: receipt times, ms
    print(" ".join(str(e["t"]) for e in recv if e["id"] == args[0]))
elif cmd == "record":           # ID: the first record received for it, as JSON
    print(json.dumps(next(e for e in recv if e["id"] == args[0])))
elif cmd == "received":         # number of messages received
    print(len(recv))
elif cmd == "count":            # EVENT: number of such events
    print(sum(1 for e in ev if e["ev"] == args[0]))
elif cmd == "once":             # IDFILE [tls]: each id received exactly once, answered AA
    want = [l.split()[0] for l in open(args[0]) if l.strip()]
    seen = {}
    for e in recv:
        seen.setdefault(e["id"], []).append(e)
    for i in want:
        got = seen.get(i, [])
        if len(got) != 1:
            fail(f"{i} received {len(got)} times")
        if args[1:] == ["tls"] and not (got[0]["tls"] or "").startswith("TLSv1."):
            fail(f"{i} not received over TLS: {got[0]['tls']}")
    for i in want:
        codes = [a["code"] for a in answers if a["id"] == i]
        if codes != ["AA"]:
            fail(f"{i} answered {codes}")
    print(len(want))
elif cmd == "order":            # EXCLUDE-REGEX: per patient, receipts never go back
    last, problems = {}, []     # (MSH-10 ends in the measurement id)
    for e in recv:
        if args and re.search(args[0], e["patient"]):
            continue
        mid = int(e["id"].rsplit("-", 1)[1])
        if mid < last.get(e["patient"], 0):
            problems.append(f"{e['patient']}: {e['id']} after measurement {last[e['patient']]}")
        last[e["patient"]] = max(mid, last.get(e["patient"], 0))
    if problems:
        fail("; ".join(problems[:5]))
    print(len(last))
elif cmd == "conns":            # IDFILE: "connections most-on-one" that carried these ids
    want = {l.split()[0] for l in open(args[0]) if l.strip()}
    per = {}
    for e in recv:
        if e["id"] in want:
            per[e["conn"]] = per.get(e["conn"], 0) + 1
    print(len(per), max(per.values()))
else:
    fail(f"unknown command {cmd}")
PY
plog() { python3 "$T/plog.py" "$T/peer-$1.log" "${@:2}"; }

# ---- the gateway ----
mg_init
printf 'Wq4-harbour-pencil-31\n' >"$T/doc-pw"
mg_ctl user add doc.w --role clinician --tenant default --password-file "$T/doc-pw" >/dev/null
peer_start main
peer_start secure --tls-cert "$PKI/emr.pem" --tls-key "$PKI/emr.key"
cat >>"$CONF" <<EOF

[emr.main]
enabled = off
protocol = hl7-mllp
address = 127.0.0.1:${PEER_PORT[main]}
tls = off
connections = 4
timeout = 2
retry_max = 1
sending_facility = Ward 3
receiving_facility = Hospital

[emr.secure]
protocol = hl7-mllp
address = 127.0.0.1:${PEER_PORT[secure]}
tls = on
ca_cert = $PKI/other-ca.pem
connections = 2
timeout = 2
retry_max = 1
EOF
mg_start
mg_enrol scale1
mg_enrol scale2
LOG=$INST/log/medgated.log

# "pending delivered dead age" of a destination in `outbox status`.
status_of() { # name
	mg_ctl outbox status | awk -v n="$1" '$1 == n { age = $7 == "-" ? "-" : $7 $8; print $4, $5, $6, age }'
}
# Wait (bounded) until the destination shows "pending delivered dead".
wait_status() { # name "pending delivered dead" what [seconds]
	local i got
	for i in $(seq 1 $((${4:-30} * 5))); do
		got=$(status_of "$1")
		[ "${got% *}" = "$2" ] && return 0
		sleep 0.2
	done
	mg_ctl outbox status
	fail "$3: [emr.$1] shows '$got' (pending delivered dead age), expected '$2'"
}

# Send a measurement; remember "MSH-10 patient" in $T/sent-LIST.
INSTANCE=
send() { # device mid patient body list
	local out gwid
	out=$(mg_send "$1" "$4")
	case "$out" in "201 "*) ;; *) fail "measurement $2 answered '$out'" ;; esac
	gwid=$(sed 's/.*"id":\([0-9]*\).*/\1/' <<<"$out")
	echo "$gwid $3" >>"$T/gwids"
	[ -n "$INSTANCE" ] && echo "MG$INSTANCE-$gwid $3" >>"$T/sent-$5"
	return 0
}
quantities_body() { # mid patient
	printf '{"id":"%s","time":"2026-11-22T10:00:00Z","patient":{"id":"%s"},"values":[%s]}' "$1" "$2" \
		'{"type":"body_weight","value":72.5,"unit":"kg"},{"type":"body_height","value":180,"unit":"cm"},{"type":"bmi","value":22.4,"unit":"kg/m2"},{"type":"body_fat","value":21.3,"unit":"%"},{"type":"bp_systolic","value":128,"unit":"mm[Hg]"},{"type":"bp_diastolic","value":82,"unit":"mm[Hg]"}'
}

# ---- 1. off: queued, not sent ----
: >"$T/gwids"
send scale1 Q-1 PAT-0042 "$(quantities_body Q-1 PAT-0042)" first
send scale2 Q-2 PAT-0043 "$(mg_body Q-2 PAT-0043 80.25)" first
send scale1 Q-3 PAT-0042 "$(mg_body Q-3 PAT-0042 72.75)" first
sleep 1.2
read -r pending delivered dead age < <(status_of main)
assert_eq "3 0 0" "$pending $delivered $dead" "[emr.main] while off"
case "$age" in [0-9]*s) ;; *) fail "oldest pending age '$age'" ;; esac
[ "${age%s}" -ge 1 ] || fail "oldest pending age $age, expected at least 1 s"
mg_ctl outbox status | grep -Eq '^main +hl7-mllp +off +3 +0 +0 +[0-9]+ s$' ||
	{ mg_ctl outbox status; fail "outbox status line of [emr.main]"; }
assert_eq 0 "$(plog main received)" "messages at the EMR while off"
ok "enabled = off queues: outbox status shows 3 pending, 0 delivered, oldest pending ${age%s} s; nothing sent"

# The wrong CA on [emr.secure]: nothing got through, the handshakes failed.
assert_eq "3 0 0" "$(status_of secure | cut -d' ' -f1-3)" "[emr.secure] with the wrong CA"
assert_eq 0 "$(plog secure received)" "messages through TLS with the wrong CA"

# ---- 2. on: the message itself ----
mg_stop
mg_conf_set emr.main enabled on
mg_start
wait_status main "0 3 0" "after switching [emr.main] on"
rec=$(plog main record "$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["ev"] == "recv" and e["patient"] == "PAT-0042":
        print(e["id"]); break' "$T/peer-main.log")")
first_gwid=$(head -n 1 "$T/gwids" | cut -d' ' -f1)
eui=$(openssl x509 -in "$T/dev/scale1/cert.pem" -outform DER | sha256sum | cut -c1-16 | tr a-f A-F)
python3 - "$rec" "$first_gwid" "$eui" >"$T/instance-id" <<'PY' || fail "the ORU^R01 differs from docs/hl7.md"
import json, re, sys
rec, gwid, eui = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
def expect(what, got, want):
    if got != want:
        print(f"{what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)
m = re.fullmatch(r"MG([0-9a-f]{16})-(\d+)", rec["id"])
expect("MSH-10 form MG<instance>-<measurement id>", bool(m), True)
expect("MSH-10 measurement id", m.group(2), gwid)
instance = m.group(1)
msh7 = rec["msh"]["7"]
expect("MSH-7 form", bool(re.fullmatch(r"2\d{13}\.\d{3}\+0000", msh7)), True)
# docs/quantities.md: MDC code and unit of each quantity, checked here
# against our own copy of the table, not the program's.
T = "20261122100000.000+0000"
EQ = f"{eui}^^{eui}^EUI-64"
rows = [("188736^MDC_MASS_BODY_ACTUAL^MDC", "72.5", "263875^MDC_DIM_KILO_G^MDC"),
        ("188740^MDC_LEN_BODY_ACTUAL^MDC", "180", "263441^MDC_DIM_CENTI_M^MDC"),
        ("188752^MDC_RATIO_MASS_BODY_LEN_SQ^MDC", "22.4", "264096^MDC_DIM_KG_PER_M_SQ^MDC"),
        ("188748^MDC_BODY_FAT^MDC", "21.3", "262688^MDC_DIM_PERCENT^MDC"),
        ("150021^MDC_PRESS_BLD_NONINV_SYS^MDC", "128", "266016^MDC_DIM_MMHG^MDC"),
        ("150022^MDC_PRESS_BLD_NONINV_DIA^MDC", "82", "266016^MDC_DIM_MMHG^MDC")]
want = [f"MSH|^~\\&|MEDGATE|Ward 3|EMR|Hospital|{msh7}||ORU^R01^ORU_R01|{rec['id']}|P|2.6|||AL|NE||"
        "UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        "PID|||PAT-0042^^^^MR||^^^^^^U",
        f"OBR|1||{rec['id']}^MEDGATE|182777000^monitoring of patient^SCT|||{T}",
        f"OBX|1||65573^MDC_MOC_VMS_MDS_SIMP^MDC|1.0.0.0|||||||X|||||||{EQ}"]
for i, (code, value, unit) in enumerate(rows):
    want.append(f"OBX|{i + 2}|NM|{code}|1.0.0.{i + 1}|{value}|{unit}|||||R|||{T}||||{EQ}")
got = rec["raw"].split("\r")
expect("segments end in CR, last one too", got[-1], "")
for n, (g, w) in enumerate(zip(got[:-1], want)):
    expect(f"segment {n + 1}", g, w)
expect("segment count", len(got) - 1, len(want))
# What simple-hl7's parser found in the fields (the peer's record).
expect("parsed segments", rec["segments"], ["MSH", "PID", "OBR"] + ["OBX"] * 7)
expect("parsed MSH-9", rec["msh"]["9"], "ORU^R01^ORU_R01")
expect("parsed MSH-12", rec["msh"]["12"], "2.6")
expect("parsed PID-3.1", rec["patient"], "PAT-0042")
for i, (code, value, unit) in enumerate(rows):
    o = rec["obx"][i + 1]
    expect(f"parsed OBX {i + 2}", (o["2"], o["3"], o["5"], o["6"], o["11"], o["14"], o["18"]),
           ("NM", code, value, unit, "R", T, EQ))
print(instance)
PY
INSTANCE=$(cat "$T/instance-id")
# From now on "MG<instance>-<gateway id> patient" per list.
awk -v i="$INSTANCE" '{ print "MG" i "-" $1, $2 }' "$T/gwids" >"$T/sent-first"
[ "$(plog main once "$T/sent-first")" = 3 ] || fail "the 3 queued messages not received once each"
ok "switched on: the 3 queued messages delivered once each; the ORU^R01 is docs/hl7.md's, field for field as simple-hl7 parsed it (MDC codes and units of weight, height, BMI, body fat, blood pressure; MSH-10 MG$INSTANCE-$first_gwid; OBX-18 EUI-64 $eui)"

# ---- 3. the EMR down while 3 patients send; up again, 4 connections ----
peer_stop main
for i in $(seq 1 8); do
	for p in A B C; do
		dev=scale1; [ "$p" = B ] && dev=scale2
		send "$dev" "O-$p-$i" "PAT-ORD-$p" "$(mg_body "O-$p-$i" "PAT-ORD-$p" "$((60 + i)).5")" order
	done
done
sleep 1
read -r pending _ <<<"$(status_of main)"
[ "$pending" -ge 20 ] || fail "only $pending pending while the EMR is down"
grep -q "outbox: \[emr.main\] outbox row [0-9]* not delivered, will retry" "$LOG" ||
	fail "no retry logged while the EMR was down"
peer_start main
wait_status main "0 27 0" "after the EMR came back" 60
n=$(plog main once "$T/sent-order") || fail "EMR came back: $n"
plog main order >/dev/null || fail "per-patient order: $(plog main order)"
read -r conns most <<<"$(plog main conns "$T/sent-order")"
[ "$conns" -ge 2 ] || fail "the 24 messages used $conns connection(s), expected parallel ones"
# Several messages on one kept-open connection, each received once: simple-hl7
# acknowledged each with its own MSH-10 (medgate resends on any other MSA-2).
[ "$most" -ge 3 ] || fail "at most $most messages on one connection: no kept-open connections"
ok "EMR down while 3 patients sent 24: queued and retried; back up, each arrived once, each patient's in order, over $conns kept-open connections (up to $most messages on one, each ACKed with its own MSH-10)"

# ---- 4. AE: retried, then delivered ----
peer_stop main
peer_start main --ae-first 2
send scale1 AE-1 PAT-AE "$(mg_body AE-1 PAT-AE)" ae
id=$(cut -d' ' -f1 "$T/sent-ae")
wait_status main "0 28 0" "after two AE"
assert_eq "AE AE AA" "$(plog main answers "$id")" "answers to $id"
read -r t1 t2 t3 <<<"$(plog main times "$id")"
[ $((t2 - t1)) -ge 900 ] && [ $((t3 - t2)) -ge 900 ] ||
	fail "AE retries came after $((t2 - t1)) and $((t3 - t2)) ms, expected the 1 s back-off"
ok "AE, AE, then AA: $id retried after $((t2 - t1)) and $((t3 - t2)) ms with the same MSH-10, delivered"

# ---- 5. AR: dead letters, visible, resent once the EMR accepts them ----
peer_stop main
peer_start main --ar-patient '^PAT-REJ-'
send scale1 R-1 PAT-REJ-1 "$(mg_body R-1 PAT-REJ-1)" rej
send scale2 R-2 PAT-REJ-2 "$(mg_body R-2 PAT-REJ-2)" rej
send scale1 R-3 PAT-OK-1 "$(mg_body R-3 PAT-OK-1)" ok
wait_status main "0 29 2" "after two AR"
mg_ctl outbox status | grep -Eq '^main +hl7-mllp +on +0 +29 +2 +-$' ||
	{ mg_ctl outbox status; fail "outbox status line with dead letters"; }
for id in $(cut -d' ' -f1 "$T/sent-rej"); do
	assert_eq "AR" "$(plog main answers "$id")" "answers to $id"
done
assert_eq "AA" "$(plog main answers "$(cut -d' ' -f1 "$T/sent-ok")")" "the other patient's message"
grep -q "rejected for good, kept as a dead letter" "$LOG" || fail "no dead letter logged"
grep -qi "PAT-REJ" "$LOG" && fail "a patient id reached medgated.log: $(grep -i PAT-REJ "$LOG" | head -n 1)"

# The API, as an administrator (the one-time password is changed first).
cat >"$T/api.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import mgapi
port, ca, pwfile, method, path = sys.argv[2:7]
body = json.loads(sys.argv[7]) if len(sys.argv) > 7 else None
api = mgapi.Api(port, ca)
pw = open(pwfile).read().strip()
s = mgapi.Session(api, "admin", pw).login()
if s.info["must_change_password"]:
    s.change_password(pw + " changed")
    open(pwfile, "w").write(pw + " changed\n")
a = s.call(method, path, body)
print(a.status, json.dumps(a.json, sort_keys=True))
PY
api() { python3 "$T/api.py" "$TOOLS" "$WEB_PORT" "$CA" "$T/admin-password" "$@"; }
out=$(api GET /api/v1/outbox)
main_json=$(python3 -c '
import json, sys
status, body = sys.argv[1].split(" ", 1)
d = {x["name"]: x for x in json.loads(body)["destinations"]}
m = d["main"]
print(status, m["protocol"], m["enabled"], m["pending"], m["delivered"], m["dead"], m["oldest_pending_seconds"])' "$out")
assert_eq "200 hl7-mllp True 0 29 2 None" "$main_json" "GET /api/v1/outbox for [emr.main]"
ok "AR for 2 patients: dead letters (outbox status and GET /api/v1/outbox: 2 dead), the third patient delivered, no patient id in the log"

peer_stop main
peer_start main
rej1=$(sed -n 1p "$T/sent-rej" | cut -d' ' -f1)
rej2=$(sed -n 2p "$T/sent-rej" | cut -d' ' -f1)
row=$(grep -o "outbox row [0-9]* rejected for good" "$LOG" | head -n 1 | awk '{print $3}')
assert_eq "1 dead letters of [emr.main] queued again" "$(mg_ctl outbox resend main --id "$row")" \
	"outbox resend --id $row"
wait_status main "0 30 1" "after resending one dead letter"
resent=$rej1
[ "$(plog main answers "$rej1")" = "AR AA" ] || resent=$rej2
assert_eq "AR AA" "$(plog main answers "$resent")" "answers to $resent after outbox resend --id"
out=$(api POST /api/v1/outbox/main/resend '{}')
assert_eq '200 {"requeued": 1}' "$out" "POST /api/v1/outbox/main/resend"
wait_status main "0 31 0" "after resending through the API"
assert_eq "AR AA" "$(plog main answers "$rej1")" "answers to $rej1"
assert_eq "AR AA" "$(plog main answers "$rej2")" "answers to $rej2"
assert_eq "0 dead letters of [emr.main] queued again" "$(mg_ctl outbox resend main)" "resend with none dead"
ok "dead letters resent with the same MSH-10 once the EMR accepts them: outbox resend main --id $row, then POST /api/v1/outbox/main/resend; both delivered"

# ---- 6. no usable answer: resent with the same MSH-10 ----
delivered=31
for fault in garbage noise silent drop partial wrongid; do
	peer_stop main
	peer_start main --fault "$fault" --fault-first 1
	send scale1 "F-$fault" "PAT-F-$fault" "$(mg_body "F-$fault" "PAT-F-$fault")" "f-$fault"
	delivered=$((delivered + 1))
	wait_status main "0 $delivered 0" "after the fault '$fault'"
	id=$(cut -d' ' -f1 "$T/sent-f-$fault")
	assert_eq "$fault AA" "$(plog main answers "$id")" "answers to $id ($fault)"
done
# Nothing comes again after its AA (give a stray resend a moment).
sleep 1.5
for fault in garbage noise silent drop partial wrongid; do
	assert_eq "$fault AA" "$(plog main answers "$(cut -d' ' -f1 "$T/sent-f-$fault")")" \
		"answers to the '$fault' message a while later"
done
ok "garbage, unframed bytes, no answer (timeout), closed without an answer, half an ACK, an ACK for another message: each resent with the same MSH-10, delivered on the AA, not sent again"

# Every measurement stored reached [emr.main]; those that got AA once and
# nothing else exactly once.
cat "$T"/sent-* | sort -u >"$T/all"
assert_eq "$(mg_count)" "$(wc -l <"$T/all")" "measurements stored vs sent"
plog main order '^PAT-REJ-' >/dev/null || fail "per-patient order over the run: $(plog main order '^PAT-REJ-')"

# ---- 7. TLS ----
grep -q "outbox: \[emr.secure\] outbox row [0-9]* not delivered, will retry: .*certificate not trusted" "$LOG" ||
	fail "no 'certificate not trusted' retry logged for [emr.secure]"
assert_eq "$(wc -l <"$T/all") 0 0" "$(status_of secure | cut -d' ' -f1-3)" "[emr.secure] with the wrong CA"
assert_eq 0 "$(plog secure received)" "messages through TLS with the wrong CA"
[ "$(plog secure count tls-error)" -ge 2 ] || fail "the TLS peer saw no refused handshakes"
ok "[emr.secure] with a ca_cert of another CA: all $(wc -l <"$T/all") pending, retried ($(plog secure count tls-error) handshakes refused by medgated), nothing sent"

mg_stop
mg_conf_set emr.secure ca_cert "$PKI/emr-ca.pem"
peer_stop secure
peer_start secure --tls-cert "$PKI/emr-elsewhere.pem" --tls-key "$PKI/emr-elsewhere.key"
mg_start
sleep 3
assert_eq "$(wc -l <"$T/all") 0 0" "$(status_of secure | cut -d' ' -f1-3)" \
	"[emr.secure] with a server certificate for 127.0.0.2"
assert_eq 0 "$(plog secure received)" "messages to a server certificate for another address"
ok "right CA but a server certificate for 127.0.0.2: still pending, nothing sent"

peer_stop secure
peer_start secure --tls-cert "$PKI/emr.pem" --tls-key "$PKI/emr.key"
total=$(wc -l <"$T/all")
wait_status secure "0 $total 0" "[emr.secure] with the right CA" 60
n=$(plog secure once "$T/all" tls) || fail "over TLS: $n"
proto=$(python3 -c 'import json, sys
print(next(json.loads(l)["tls"] for l in open(sys.argv[1]) if "\"recv\"" in l))' "$T/peer-secure.log")
plog secure order >/dev/null || fail "per-patient order over TLS: $(plog secure order)"
ok "[emr.secure] with the right CA: all $total stored measurements delivered over $proto, each exactly once, each patient's in order"

# Everything stored reached [emr.main] with AA at least once.
python3 - "$T/peer-main.log" "$T/all" <<'PY' || fail "a stored measurement never got AA at [emr.main]"
import json, sys
aa = {json.loads(l)["id"] for l in open(sys.argv[1]) if '"answer"' in l and '"AA"' in l}
missing = [l.split()[0] for l in open(sys.argv[2]) if l.split()[0] not in aa]
if missing:
    print("missing:", missing[:5]); sys.exit(1)
PY
assert_eq "0 $total 0" "$(status_of main | cut -d' ' -f1-3)" "[emr.main] at the end"

# ---- 8. corrections: move, then entered in error ----
send scale1 corr-0 PAT-RIGHT-8 "$(quantities_body corr-0 PAT-RIGHT-8)" corr
send scale2 corr-1 PAT-WRONG-8 "$(quantities_body corr-1 PAT-WRONG-8)" corr
total=$((total + 2))
wait_status main "0 $total 0" "[emr.main] before the corrections"
wait_status secure "0 $total 0" "[emr.secure] before the corrections"
wrong=$(tail -n 1 "$T/gwids" | cut -d' ' -f1)
python3 - "$TOOLS" "$WEB_PORT" "$CA" "$T/doc-pw" "$wrong" <<'PY' || fail "corrections through the API"
import sys
sys.path.insert(0, sys.argv[1])
import mgapi
port, ca, pwfile, mid = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
pw = open(pwfile).read().strip()
s = mgapi.Session(mgapi.Api(port, ca), "doc.w", pw).login()
if s.info["must_change_password"]:
    s.change_password(pw + " changed")
base = "/api/v1/patients/%s/measurements/" + mid + "/correction"
a = s.call("POST", base % "PAT-WRONG-8", {"action": "move", "to": "PAT-RIGHT-8"})
mgapi.check(a.status == 400 and "reason" in a.text(), "no reason: %r" % a)
a = s.call("POST", base % "PAT-RIGHT-8", {"action": "move", "to": "PAT-WRONG-8", "reason": "x"})
mgapi.check(a.status == 404, "not this patient's measurement: %r" % a)
a = s.call("POST", base % "PAT-WRONG-8", {"action": "move", "to": "PAT-NOBODY-8", "reason": "x"})
mgapi.check(a.status == 400 and "to" in a.text(), "unknown target: %r" % a)
a = s.call("POST", base % "PAT-WRONG-8",
           {"action": "move", "to": "PAT-RIGHT-8", "reason": "scale of the next bed"})
mgapi.check(a.status == 200 and a.json == {"measurement": int(mid), "revision": 1,
                                           "status": "final", "destinations": 2}, "move: %r" % a)
a = s.call("GET", "/api/v1/patients/PAT-WRONG-8/measurements")
mgapi.check(a.status == 200 and a.json["measurements"] == [], "after the move: %r" % a)
a = s.call("POST", base % "PAT-RIGHT-8", {"action": "entered-in-error", "reason": "no weighing"})
mgapi.check(a.status == 200 and a.json["revision"] == 2 and a.json["status"] == "entered-in-error",
            "entered in error: %r" % a)
a = s.call("POST", base % "PAT-RIGHT-8", {"action": "entered-in-error", "reason": "again"})
mgapi.check(a.status == 409, "twice: %r" % a)
PY
total=$((total + 3))
wait_status main "0 $total 0" "[emr.main] after the corrections"
wait_status secure "0 $total 0" "[emr.secure] after the corrections"
for peer in main secure; do
	python3 - "$T/peer-$peer.log" "MG$INSTANCE-$wrong" <<'PY' || fail "the corrections at [emr.$peer]"
import json, sys
log, orig = sys.argv[1], sys.argv[2]
recv = [json.loads(l) for l in open(log) if '"recv"' in l]
def one(mid):
    got = [e for e in recv if e["id"] == mid]
    if not got:
        print(f"{mid} never received"); sys.exit(1)
    return got[0], recv.index(got[0])
def expect(what, got, want):
    if got != want:
        print(f"{what}: got {got!r}, want {want!r}"); sys.exit(1)
o, io = one(orig)
w, iw = one(orig + "-W")
m, im = one(orig + "-R1")
e, ie = one(orig + "-R1-W")
expect("original's patient", o["patient"], "PAT-WRONG-8")
expect("withdrawal's patient", w["patient"], "PAT-WRONG-8")
expect("withdrawal after the original", io < iw, True)
expect("withdrawal OBR-2", w["raw"].split("\r")[2].split("|")[3], orig + "^MEDGATE")
expect("withdrawal OBX-11", [x["11"] for x in w["obx"][1:]], ["W"] * 6)
expect("withdrawal values", [x["5"] for x in w["obx"][1:]], [x["5"] for x in o["obx"][1:]])
expect("moved patient", m["patient"], "PAT-RIGHT-8")
expect("moved OBR-2", m["raw"].split("\r")[2].split("|")[3], orig + "-R1^MEDGATE")
expect("moved OBX-11", [x["11"] for x in m["obx"][1:]], ["R"] * 6)
expect("entered in error: patient", e["patient"], "PAT-RIGHT-8")
expect("entered in error after the move", im < ie, True)
expect("entered in error OBR-2", e["raw"].split("\r")[2].split("|")[3], orig + "-R1^MEDGATE")
expect("entered in error OBX-11", [x["11"] for x in e["obx"][1:]], ["W"] * 6)
PY
done
mg_ctl audit export --since 2000-01-01T00:00:00Z >"$T/audit.jsonl" 2>/dev/null
python3 - "$T/audit.jsonl" "$wrong" <<'PY' || fail "measurement.correct on the audit trail"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
corr = [r for r in recs if r.get("action") == "measurement.correct"]
text = json.dumps(corr)
done = [r["details"]["action"] for r in corr if r["outcome"] == "success" and "action" in r["details"]]
failed = [r for r in corr if r["outcome"] == "failure"]
# Recorded first: the refused attempts too (the 404 and the 409 after
# their success record, each followed by its failure record).
if done != ["move", "move", "entered-in-error", "entered-in-error"] or len(failed) != 2 or \
        any(r["object"] != "measurement:" + sys.argv[2] for r in corr):
    print("records:", corr); sys.exit(1)
for needle in ("PAT-", "next bed", "no weighing"):
    if needle in text:
        print(needle, "in", text); sys.exit(1)
PY
for needle in PAT-WRONG-8 PAT-RIGHT-8 "next bed"; do
	if grep -a -q -- "$needle" "$LOG"; then fail "$needle in medgated.log"; fi
done
ok "corrections: at both EMRs the withdrawal (OBX-11 W, OBR-2 the original) after the original, the measurement for the right patient, then its withdrawal; refused without a reason, for another patient's path, for an unknown target, twice; audited as measurement.correct without patient id or reason"

peer_stop main
peer_stop secure
mg_stop
ok "clean stop"
