#!/usr/bin/env bash
# Sign-in, sessions and their ends, the forced first password change,
# lockout and its expiry, throttling of a spraying address, hostile input
# to sign-in and account creation, tenant deletion rules and the tenant
# boundary of patient data, all on the real daemon over HTTPS. The HTTP
# work is in tools/access.py, one scenario per call; the scenarios share
# one instance and a state file of passwords and ids.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools

mg_init
mg_conf_set access lockout_seconds 2
mg_conf_set access address_failures_max 20
mg_start

# Accounts of the scenarios, each with a one-time password.
echo "Tq7-vortex-lantern-88" > "$T/pw0"
add() { mg_ctl user add "$@" --password-file "$T/pw0" > /dev/null; }
add tadmin --role tenant-admin
add first-admin-account --role admin
add locky-user --role clinician
add victim-account --role clinician
add clin-a --role clinician
add clin-b --role clinician
add clin-ab --role clinician
add reauth-user-1 --role clinician
add reauth-user-2 --role clinician
spray=()
for i in $(seq -w 1 10); do add "spray-$i" --role clinician; spray+=("spray-$i"); done
ok "accounts made with medgatectl user add"

python3 - "$T/state.json" "$(cat "$T/admin-password")" "${spray[@]}" <<'PY'
import json, sys
path, admin_pw, *spray = sys.argv[1:]
users = ["tadmin", "first-admin-account", "locky-user", "victim-account", "clin-a", "clin-b",
         "clin-ab", "reauth-user-1", "reauth-user-2"] + spray
pw = {u: "Tq7-vortex-lantern-88" for u in users}
pw["admin"] = admin_pw
json.dump({"passwords": pw, "patient_a": "PAT-A-66120", "patient_b": "PAT-B-31877",
           "values_a": [71.125, 72.25, 73.375, 74.5], "count_b": 2}, open(path, "w"))
PY
export MG_CONF=$CONF MG_CTL=$MEDGATECTL MG_DB=$INST/data/medgate.db MG_SQL_CONNINFO=
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	MG_SQL_CONNINFO=${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$MG_PG_DB}
fi
acc() {
	local start=$SECONDS
	python3 "$TOOLS/access.py" "$1" --port "$WEB_PORT" --ca "$CA" --state "$T/state.json" ||
		fail "scenario $1"
	mg_alive || fail "medgated died during scenario $1"
	echo "# scenario $1: $((SECONDS - start)) s"
}
# The last scenarios report and go on, so that one failure does not hide
# another; the test fails at the end if any did.
failed_last=()
acc_last() {
	local start=$SECONDS
	python3 "$TOOLS/access.py" "$1" --port "$WEB_PORT" --ca "$CA" --state "$T/state.json" ||
		failed_last+=("$1")
	mg_alive || fail "medgated died during scenario $1"
	echo "# scenario $1: $((SECONDS - start)) s"
}

acc setup
acc first-login
acc cookies
acc timeouts
acc lockout
acc throttle

# The throttled address once more, from curl bound to 127.0.0.2: even the
# right password of an account never sprayed is refused.
pw=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["passwords"]["first-admin-account"])' "$T/state.json")
body=$(printf '{"user":"first-admin-account","password":"%s"}' "$pw")
code=$(curl -s --interface 127.0.0.2 -o "$T/a" -D "$T/h" -w '%{http_code}' --cacert "$CA" \
	-H 'Content-Type: application/json' --data-binary "$body" \
	"https://localhost:$WEB_PORT/api/v1/session")
assert_eq 401 "$code" "right password from the throttled 127.0.0.2 (curl)"
assert_eq '{"error":"invalid credentials or locked"}' "$(cat "$T/a")" "throttled answer"
if grep -qi '^set-cookie' "$T/h"; then fail "throttled sign-in set a cookie"; fi
code=$(curl -s --interface 127.0.0.1 -o "$T/a" -w '%{http_code}' --cacert "$CA" \
	-H 'Content-Type: application/json' --data-binary "$body" \
	"https://localhost:$WEB_PORT/api/v1/session")
assert_eq 200 "$code" "same request from 127.0.0.1 (curl)"
ok "curl: 401 from the throttled 127.0.0.2, 200 from 127.0.0.1 with the same body"

acc bad-inputs

# Tenants that cannot be deleted: one with a device, one with an open
# enrolment token (the scenario adds one with a member).
mg_enrol scale-busy t-busy
mg_ctl device token --tenant t-token --name never-used > /dev/null 2>&1
# Patients of ward A and B, for the deletion refusal and the tenant boundary.
mg_enrol scale-a ward-a
mg_enrol scale-b ward-b
i=0
for w in 71.125 72.25 73.375 74.5; do
	i=$((i + 1))
	assert_contains "$(mg_send scale-a "$(mg_body "a-$i" PAT-A-66120 "$w")")" "201 " "measurement a-$i"
done
for i in 1 2; do
	assert_contains "$(mg_send scale-b "$(mg_body "b-$i" PAT-B-31877 68.5)")" "201 " "measurement b-$i"
done
ok "4 measurements of a patient in ward A, 2 of one in ward B"
acc tenants
acc patients
acc_last reauth-guessing
acc_last no-secrets

mg_stop
ok "medgated stopped cleanly"
[ ${#failed_last[@]} -eq 0 ] || fail "scenarios failed: ${failed_last[*]}"
