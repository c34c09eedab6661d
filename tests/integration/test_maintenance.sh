#!/usr/bin/env bash
# Remote maintenance (docs/maintenance.md): a service account signs in but
# can only ask; a grant lets it do what its scope names and nothing else,
# never patient data; an end, a revoke or the grant's own time stops it at
# once; every step audited and alerted (tools/maintenance.py).
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools
PAT=PAT-MAINT-30571

mg_init
mg_start
echo "Mt4-amber-signal-harbour" > "$T/pw0"
chmod 600 "$T/pw0"
mg_ctl user add svc --role service --password-file "$T/pw0" > /dev/null
mg_enrol scale-m
assert_contains "$(mg_send scale-m "$(mg_body maint-1 "$PAT" 80.5)")" "201 " "a measurement"
python3 - "$T/state.json" "$(cat "$T/admin-password")" "$PAT" <<'PY'
import json, sys
path, admin_pw, pat = sys.argv[1:]
json.dump({"admin_password": admin_pw, "password": "Mt4-amber-signal-harbour", "patient": pat},
          open(path, "w"))
PY
{
	declare -p INST MG_TEST_STORAGE MG_PG_DB MG_PG_BIN MG_TEST_PG_CONNINFO 2>/dev/null || true
	declare -f mg_sql
	echo 'mg_sql "$1"'
} > "$T/sql.sh"
MG_CTL=$MEDGATECTL MG_CONF=$CONF MG_SQL=$T/sql.sh \
	python3 "$TOOLS/maintenance.py" "$WEB_PORT" "$CA" "$T/state.json" || fail "maintenance"

# Maintenance of a device: granted, it waits for the consent button on the
# device; then the device is out of service (its measurements wait in its
# queue, 503 with Retry-After), and back in service when the grant ends.
S=$T/agent
token=$(mg_ctl device token --tenant default --name "scale-service" 2>/dev/null)
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" > /dev/null
DEV=$(mg_sql "SELECT id FROM devices WHERE name = 'scale-service'")
consent() { "$MEDGATE_DEVICE" consent --state "$S" > "$T/consent.out" 2>&1; }
if consent; then fail "consent without a grant"; fi
assert_contains "$(cat "$T/consent.out")" "no maintenance of this device is granted" "consent refused"
if mg_ctl maintenance grant --user svc --scope device --minutes 10 --reason x 2> "$T/err"; then
	fail "a device grant without --device"
fi
out=$(mg_ctl maintenance grant --user svc --scope device --device "$DEV" --minutes 10 \
	--reason "scale calibration, ticket 4712")
GRANT=$(echo "$out" | awk '{print $2}')
# Granted but not consented: the device still measures.
"$MEDGATE_DEVICE" send --state "$S" --patient "$PAT" --weight 70 > /dev/null ||
	fail "a device measured before its consent"
consent || fail "consent: $(cat "$T/consent.out")"
assert_contains "$(cat "$T/consent.out")" "maintenance $GRANT consented" "consent"
status=0
"$MEDGATE_DEVICE" send --state "$S" --patient "$PAT" --weight 71 > "$T/send.out" 2>&1 || status=$?
assert_eq 3 "$status" "send while out of service (kept queued)"
assert_contains "$(cat "$T/send.out")" "out of service for maintenance" "the agent says why"
assert_contains "$("$MEDGATE_DEVICE" status --state "$S")" "maintenance: out of service until" \
	"status says why"
code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --cacert "$CA" --cert "$S/cert.pem" \
	--key "$S/key.pem" -H 'Content-Type: application/json' \
	--data "$(mg_body maint-during "$PAT" 72)" "$DEVICE_URL/device/v1/measurements")
assert_eq 503 "$code" "a measurement during maintenance"
grep -qi '^retry-after: [0-9]' "$T/headers" || fail "no Retry-After"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_id = $DEV AND device_mid = 'maint-during'")" \
	"measurements stored during maintenance"
mg_ctl maintenance list | grep -q "device:$DEV+consent" || fail "the list does not show the consent"
# Ended: back in service at once; the queued measurement goes.
mg_ctl maintenance revoke --grant "$GRANT" > /dev/null
"$MEDGATE_DEVICE" flush --state "$S" > /dev/null || fail "flush after the grant ended"
for action in maintenance.consent maintenance.end; do
	[ "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = '$action' AND outcome = 'success'")" -ge 1 ] ||
		fail "$action not audited"
done
[ "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'maintenance.consent' AND outcome = 'denied'")" = 1 ] ||
	fail "the refused consent is not audited"
ok "device maintenance: consent, out of service with the reason, back when it ends; audited"

mg_ctl audit verify > "$T/verify" || { cat "$T/verify"; fail "audit verify"; }
ok "audit verify passes"
mg_stop
