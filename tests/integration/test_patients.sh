#!/usr/bin/env bash
# Patients for clinicians on the real daemon, through the JSON API
# (tools/patients_client.py on tools/mgapi.py): create over a patient a
# device measured first, change, read, find by name, birth date or id
# ("/" in an id included); the interpretation computed by the server (a
# 7-year-old's BMI-for-age, never an adult class; an adult's class and
# blood pressure; change since the previous measurement); a measurement
# without patient in the assignment queue, assigned; a measure-now order
# that takes the device's next one, and a cancelled one (docs/ward.md). No name or
# birth date ever reaches the log or the database in clear.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools

mg_init
printf 'Tq7-vortex-lantern-88\n' > "$T/pw"
mg_ctl user add doc.p --role clinician --tenant default --password-file "$T/pw" >/dev/null
mg_start
mg_enrol scale1

CHILD=KIND-7781 ADULT=ERW-4410 SLASH=WARD/3/0042 PLAIN=DEV-ONLY-9
body() { # mid patient values-json
	printf '{"id":"%s","time":"%s","patient":{"id":"%s"},"values":[%s]}' "$1" "$2" "$3" "$4"
}
wh() { printf '{"type":"body_weight","value":%s,"unit":"kg"},{"type":"body_height","value":%s,"unit":"cm"}' "$1" "$2"; }
bp='{"type":"bp_systolic","value":150,"unit":"mm[Hg]"},{"type":"bp_diastolic","value":95,"unit":"mm[Hg]"}'
for m in "c-1 2026-11-15T08:00:00Z $CHILD $(wh 21 121.5)" "c-2 2026-11-22T08:00:00Z $CHILD $(wh 22 122)" \
	"a-1 2026-11-22T08:00:00Z $ADULT $(wh 85 180)" "a-2 2026-11-22T08:05:00Z $ADULT $bp" \
	"s-1 2026-11-22T09:00:00Z $SLASH $(wh 60 170)" "p-1 2026-11-22T09:00:00Z $PLAIN $(wh 70 175)" \
	"j-1 2026-11-22T07:00:00Z JUMP-1 $(wh 70 175)" "j-2 2026-11-22T19:00:00Z JUMP-1 $(wh 89.6 175)"; do
	set -- $m
	assert_contains "$(mg_send scale1 "$(body "$1" "$2" "$3" "$4")")" "201 " "measurement $1"
done
ok "8 measurements of 5 patients from a device (one id with '/')"
assert_contains "$(mg_send scale1 '{"id":"n-1","time":"2026-11-22T09:30:00Z","values":[{"type":"body_weight","value":64.5,"unit":"kg"}]}')" \
	"201 " "a measurement without patient"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM measurements WHERE status = 'unassigned'")" \
	"stored unassigned"
ok "a measurement without patient accepted and stored unassigned"

cat > "$T/state.json" <<JSON
{"user": "doc.p", "password": "Tq7-vortex-lantern-88", "child": "$CHILD", "adult": "$ADULT",
 "slash": "$SLASH", "plain": "$PLAIN", "assign_to": "NEU-5512"}
JSON
python3 "$TOOLS/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" identity || fail "identity"
python3 "$TOOLS/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" interpretation ||
	fail "interpretation"
python3 "$TOOLS/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" jump || fail "jump"
python3 "$TOOLS/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" assignment ||
	fail "assignment"

# Measure now: an order for the adult on scale1 takes its next measurement
# without patient; a cancelled one takes nothing (docs/ward.md).
python3 - "$T/state.json" "$(mg_sql "SELECT id FROM devices WHERE name = 'scale1'")" <<'PY'
import json, sys
st = json.load(open(sys.argv[1])); st["device"] = int(sys.argv[2]); json.dump(st, open(sys.argv[1], "w"))
PY
python3 "$TOOLS/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" order || fail "order"
device_order() { # device -> "status body"
	curl -s --max-time 10 -o "$T/order" -w '%{http_code}' --cacert "$CA" \
		--cert "$T/dev/$1/cert.pem" --key "$T/dev/$1/key.pem" "$DEVICE_URL/device/v1/order" || true
	printf ' %s' "$(cat "$T/order" 2>/dev/null)"
}
got=$(device_order scale1)
python3 - "$got" "$ADULT" <<'PY' || fail "GET /device/v1/order: $got"
import json, sys
status, body = sys.argv[1].split(" ", 1)
o = json.loads(body)
assert status == "200", status
assert o["patient"] == {"id": sys.argv[2], "initials": "H. M."}, o
assert o["expires"].endswith("Z") and o["order"] > 0, o
PY
mg_enrol scale2
assert_eq "204 " "$(device_order scale2)" "GET /device/v1/order of a device without order"
ok "the device's open order on the device port: the patient's id and initials (H. M.) to the ordered device only; another device gets 204"
assert_contains "$(mg_send scale1 '{"id":"n-2","time":"2026-11-22T09:40:00Z","values":[{"type":"body_weight","value":85.5,"unit":"kg"}]}')" \
	"201 " "the ordered measurement"
python3 "$TOOLS/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" order_taken || fail "order taken"
assert_eq "204 " "$(device_order scale1)" "GET /device/v1/order after the order was used and the next cancelled"
assert_contains "$(mg_send scale1 '{"id":"n-3","time":"2026-11-22T09:45:00Z","values":[{"type":"body_weight","value":85.1,"unit":"kg"}]}')" \
	"201 " "a measurement after the cancelled order"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM measurements WHERE status = 'unassigned'")" \
	"after the cancelled order: waiting for a clinician"
ok "after a cancelled order the device's measurement without patient waits in the queue"

# The device agent: `order` shows whom the next measurement goes to, and
# `send` without --patient sends one the order takes.
S=$T/agent
token=$(mg_ctl device token --tenant default --name scale-order 2>/dev/null)
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" >/dev/null ||
	fail "agent enrolment"
assert_contains "$("$MEDGATE_DEVICE" order --state "$S")" "no open order" "medgate-device order without order"
PYTHONPATH=$TOOLS python3 - "$WEB_PORT" "$CA" "$T/state.json" \
	"$(mg_sql "SELECT id FROM devices WHERE name = 'scale-order'")" <<'PY' || fail "order for the agent"
import json, sys
from mgapi import Api, check
from patients_client import clinician
st = json.load(open(sys.argv[3]))
s = clinician(Api(sys.argv[1], sys.argv[2]), st)
a = s.call("POST", "/api/v1/orders", {"device": int(sys.argv[4]), "patient": st["adult"], "minutes": 2})
check(a.status == 201, "order: %r" % a)
PY
out=$("$MEDGATE_DEVICE" order --state "$S") || fail "medgate-device order: $out"
assert_contains "$out" "goes to H. M. (id $ADULT)" "medgate-device order"
before=$(mg_sql "SELECT count(*) FROM measurements m JOIN devices d ON d.id = m.device_id WHERE d.name = 'scale-order' AND m.status = 'final'")
"$MEDGATE_DEVICE" send --state "$S" --weight 86.2 >"$T/send.out" 2>&1 || { cat "$T/send.out"; fail "medgate-device send without --patient"; }
assert_eq "$((before + 1))" "$(mg_sql "SELECT count(*) FROM measurements m JOIN devices d ON d.id = m.device_id WHERE d.name = 'scale-order' AND m.status = 'final'")" \
	"the agent's measurement assigned by the order"
assert_contains "$("$MEDGATE_DEVICE" order --state "$S")" "no open order" "medgate-device order after the measurement"
ok "medgate-device order shows the open order (initials and id), send without --patient: the order assigns it, then no open order"

# Names and birth dates are sealed: not in the log, not in the database.
mg_stop
for needle in Müller Mueller Okafor 2019-03-14 1961-07-01 Lena; do
	if grep -a -q -- "$needle" "$INST/log/medgated.log"; then fail "$needle in the log"; fi
done
if [ -f "$INST/data/medgate.db" ]; then
	for needle in Müller Okafor 2019-03-14 Kinder; do
		if grep -a -q -- "$needle" "$INST"/data/medgate.db*; then fail "$needle in the database"; fi
	done
fi
ok "no name, birth date or ward in the log or the database file"
