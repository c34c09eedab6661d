#!/usr/bin/env bash
# Fail closed (docs/audit.md): an operator action the audit trail cannot
# record does not happen. A trigger put on the trail's table behind the
# daemon's back makes every record fail; each action through the API is
# then refused with 503 and the store is shown unchanged; with the
# trigger gone the same actions work and `audit verify` passes.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools

mg_init
mg_start
echo "Fc9-quiet-lantern-harbour" > "$T/pw0"
chmod 600 "$T/pw0"
mg_ctl user add victim --role clinician --password-file "$T/pw0" > /dev/null
mg_ctl user add ops --role admin --role device-admin --role security-officer \
	--password-file "$T/pw0" > /dev/null
mg_ctl user add tadm --role tenant-admin --password-file "$T/pw0" > /dev/null
mg_enrol scale-a
victim=$(mg_sql "SELECT id FROM users WHERE name = 'victim'")
device=$(mg_sql "SELECT id FROM devices")
tenant=$(mg_sql "SELECT id FROM tenants WHERE name = 'default'")
python3 - "$T/state.json" "$(cat "$T/pw0")" "$victim" "$device" "$tenant" <<'PY'
import json, sys
path, pw, victim, device, tenant = sys.argv[1:]
json.dump({"ops_password": pw, "tadm_password": pw, "victim": int(victim), "device": int(device),
           "tenant": int(tenant), "victim_password": "Fc9-quiet-lantern-harbour"},
          open(path, "w"))
PY
fc() { python3 "$TOOLS/fail_closed.py" "$WEB_PORT" "$CA" "$T/state.json" "$1"; }
fc sign-in || fail "signing the administrator in"

snapshot() {
	mg_sql "SELECT name, password_hash, disabled, hex(coalesce(totp_sealed, '')) FROM users ORDER BY id"
	mg_sql "SELECT id, status FROM devices ORDER BY id"
	mg_sql "SELECT count(*) FROM enrol_tokens"
	mg_sql "SELECT id, name FROM tenants ORDER BY id"
	mg_sql "SELECT name, value FROM settings WHERE name LIKE 'interface%' ORDER BY name"
	mg_sql "SELECT count(*) FROM sessions WHERE user_id = $victim"
	mg_sql "SELECT user_id, tenant_id, suspended FROM user_tenants ORDER BY user_id, tenant_id"
}
records=$(mg_sql "SELECT count(*) FROM audit_log")
snapshot > "$T/before"
mg_sql "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
	BEGIN SELECT RAISE(ABORT, 'the trail refuses'); END"
fc refused || fail "actions while the trail refuses"
snapshot > "$T/after"
diff "$T/before" "$T/after" > "$T/diff" || { cat "$T/diff"; fail "an unrecorded action changed the store"; }
ok "no unrecorded action changed the store"
[ "$(mg_sql "SELECT count(*) FROM audit_log")" = "$records" ] || fail "records appeared"

mg_sql "DROP TRIGGER refuse_audit"
fc sign-in || fail "signing in again once the trail records"
out=$(curl -sS --cacert "$CA" -H "Cookie: __Host-mg_session=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ops"][0])' "$T/state.json")" \
	-H "X-CSRF-Token: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ops"][1])' "$T/state.json")" \
	-H "Content-Type: application/json" -X PATCH -d '{"status":"blocked"}' \
	"https://localhost:$WEB_PORT/api/v1/devices/$device")
assert_contains "$out" '"status":"blocked"' "the same block works once the trail records"
[ "$(mg_sql "SELECT status FROM devices WHERE id = $device")" = blocked ] || fail "device not blocked"
mg_ctl audit verify > "$T/verify" || { cat "$T/verify"; fail "audit verify after the refusals"; }
ok "audit verify passes after the refusals"
mg_stop
