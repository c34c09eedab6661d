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
mg_ctl audit verify > "$T/verify" || { cat "$T/verify"; fail "audit verify"; }
ok "audit verify passes"
mg_stop
