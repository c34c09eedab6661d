#!/usr/bin/env bash
# medgate-device against the real gateway: enrolment, delivery, the offline
# queue while the gateway is down, in-order delivery once it is back.
. "$(dirname "$0")/lib.sh"

mg_init
mg_start
token=$(mg_ctl device token --tenant default --name "Scale e2e" 2>/dev/null)
S=$T/scale
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" > "$T/enrol.out"
[ -f "$S/cert.pem" ] && [ "$(stat -c %a "$S/key.pem")" = 600 ] || fail "enrolment state"
ok "medgate-device enrols over EST"

"$MEDGATE_DEVICE" send --state "$S" --patient E2E-PATIENT-1 --weight 80.5 --height 176 --count 3 > "$T/send.out"
assert_eq 3 "$(mg_count)" "stored after send"
grep -q "E2E-PATIENT" "$T/send.out" && fail "agent printed the patient id"
ok "three measurements delivered and stored"

# The gateway goes away: measurements queue, exit status 3.
mg_stop
status=0
"$MEDGATE_DEVICE" send --state "$S" --patient E2E-PATIENT-1 --weight 80.7 --count 4 > "$T/offline.out" 2>&1 || status=$?
assert_eq 3 "$status" "exit status while the gateway is down"
assert_eq 4 "$(ls "$S/queue" | grep -vc '^\.' || true)" "queued files"
ok "while the gateway is down, measurements wait in the queue"

mg_start
"$MEDGATE_DEVICE" flush --state "$S" > "$T/flush.out"
assert_eq 7 "$(mg_count)" "stored after flush"
assert_eq 0 "$(ls "$S/queue" | grep -vc '^\.' || true)" "queue after flush"
# In order: the gateway's ids grow with the device's sequence.
mg_ctl measurement list --jsonl | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
seq = [int(r["device_measurement_id"].rsplit("-", 1)[1]) for r in rows]
ids = [r["id"] for r in rows]
assert seq == sorted(seq), seq
assert ids == sorted(ids), ids
assert len(set(seq)) == len(seq)
' || fail "delivery order"
ok "queued measurements delivered in order once the gateway is back"

# Interval mode across a gateway restart.
"$MEDGATE_DEVICE" send --state "$S" --patient E2E-PATIENT-2 --weight 60 --interval 0.3 > "$T/interval.out" 2>&1 &
agent=$!
MG_BACKGROUND+=("$agent")
sleep 1.5
mg_kill9
sleep 1
mg_start
sleep 2.5
kill -TERM "$agent"
wait "$agent" || fail "agent did not exit cleanly on SIGTERM"
"$MEDGATE_DEVICE" flush --state "$S" >/dev/null
made=$(($(mg_count) - 7))
[ "$made" -ge 8 ] || fail "only $made measurements from the interval run"
mg_ctl measurement list --jsonl | python3 -c '
import json, sys
mids = [json.loads(l)["device_measurement_id"] for l in sys.stdin]
assert len(mids) == len(set(mids)), "duplicate stored"
' || fail "a measurement was stored twice"
ok "interval mode survives a gateway crash: $made measurements, none twice"
mg_stop
