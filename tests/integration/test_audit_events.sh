#!/usr/bin/env bash
# The daemon writes the audit trail: sign-ins, enrolment, refusals,
# account and device changes, every read of a patient's data. The trail
# verifies, names no patient id, and answers "who accessed my data".
. "$(dirname "$0")/lib.sh"

mg_init
printf 'Tq7-vortex-lantern-88\n' > "$T/pw"
mg_ctl user add doc.a --role clinician --tenant default --password-file "$T/pw" >/dev/null
# Short idle sessions and frequent scans, so a timeout happens within the test.
mg_conf_set access session_idle_timeout 10
mg_conf_set detect scan_interval 1
mg_start
mg_enrol scale1
assert_contains "$(mg_send scale1 "$(mg_body m-1 AUDIT-PAT-7)")" "201 " "measurement"

W=https://localhost:$WEB_PORT
login() { # user password jar
	curl -s --max-time 20 -c "$3" -o "$T/body" -w '%{http_code}' --cacert "$CA" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$1\",\"password\":\"$2\"}" "$W/api/v1/session"
}
assert_eq 401 "$(login doc.a wrong-password-123 "$T/jar0")" "wrong password"
assert_eq 200 "$(login doc.a Tq7-vortex-lantern-88 "$T/jar")" "sign-in"
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$T/body")
curl -s --max-time 20 -b "$T/jar" -c "$T/jar" --cacert "$CA" -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $csrf" --data-binary '{"old":"Tq7-vortex-lantern-88","new":"Harbour-quilt-meadow-417"}' \
	-o /dev/null "$W/api/v1/session/password"
code=$(curl -s --max-time 20 -b "$T/jar" --cacert "$CA" -o "$T/read" -w '%{http_code}' \
	"$W/api/v1/patients/AUDIT-PAT-7/measurements")
assert_eq 200 "$code" "patient read"
# "Who accessed my data" through the API: the clinician's read is listed.
code=$(curl -s --max-time 20 -b "$T/jar" --cacert "$CA" -o "$T/accesses" -w '%{http_code}' \
	"$W/api/v1/patients/AUDIT-PAT-7/accesses")
assert_eq 200 "$code" "accesses"
python3 - "$T/accesses" <<'PY' || fail "accesses: $(cat "$T/accesses")"
import json, sys
a = json.load(open(sys.argv[1]))["accesses"]
reads = [x for x in a if x["codes"]["action"] == "patient.read"]
assert len(reads) == 1 and reads[0]["codes"]["actor"] == "doc.a", a
r = reads[0]
# In words a patient can read; no network address anywhere.
assert r["person"] == "doc.a" and r["role"] == "clinician (nurse or physician)", r
assert r["what"] == "looked at the patient's measurements" and r["result"] == "done", r
assert all("address" not in x and "127.0.0.1" not in json.dumps(x) for x in a), a
PY
code=$(curl -s --max-time 20 -b "$T/jar" --cacert "$CA" -o /dev/null -w '%{http_code}' \
	"$W/api/v1/patients/AUDIT-PAT-NOBODY/accesses")
assert_eq 404 "$code" "accesses of an unknown patient"
ok "who accessed my data, through the API: the clinician's read is listed"
# The clinician walks away: the session times out and that is on the trail.
for _ in $(seq 100); do
	mg_ctl audit export --since 2000-01-01T00:00:00Z 2>/dev/null | grep -q '"action":"session.timeout"' && break
	sleep 0.25
done
mg_ctl audit export --since 2000-01-01T00:00:00Z | grep '"action":"session.timeout"' > "$T/timeout" ||
	fail "no session.timeout record within 25 s"
assert_contains "$(cat "$T/timeout")" '"actor":"doc.a"' "timeout names the account"
assert_contains "$(cat "$T/timeout")" '"reason":"idle"' "timeout reason"
code=$(curl -s --max-time 20 -b "$T/jar" --cacert "$CA" -o /dev/null -w '%{http_code}' \
	"$W/api/v1/session")
assert_eq 401 "$code" "the timed-out session"
ok "an idle session ends after [access] session_idle_timeout and is recorded as session.timeout"
# A certificate from nowhere is refused and recorded.
curl -s --max-time 20 -o /dev/null --cacert "$CA" -H 'Content-Type: application/json' \
	--data-binary "$(mg_body m-2 X)" "$DEVICE_URL/device/v1/measurements" || true
mg_stop

mg_ctl audit verify > "$T/verify" || fail "audit verify: $(cat "$T/verify")"
mg_ctl audit export --since 2000-01-01T00:00:00Z > "$T/export.jsonl"
for action in device.enrol login.failure login.success password.change patient.read device.refused; do
	grep -q "\"action\":\"$action\"" "$T/export.jsonl" || fail "no $action record"
done
if grep -q "AUDIT-PAT" "$T/export.jsonl"; then fail "a patient id in the audit trail"; fi
ok "sign-ins, password change, enrolment, refusal and the patient read are on the trail"
ok "the trail verifies and names no patient id"

mg_ctl audit patient --tenant default --patient AUDIT-PAT-7 > "$T/who"
grep -q "doc.a" "$T/who" || fail "who accessed: $(cat "$T/who")"
grep -q "patient.read" "$T/who" || fail "who accessed: no read listed"
ok "who accessed my data: the clinician's read is listed"

# Tampering with a real record is found.
mg_sql "UPDATE audit_log SET outcome = 'success' WHERE action = 'login.failure'"
if mg_ctl audit verify > "$T/verify2" 2>&1; then fail "a changed record was not found"; fi
assert_contains "$(cat "$T/verify2")" "first bad record" "verify names the record"
ok "a changed record is found by audit verify"
