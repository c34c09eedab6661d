#!/usr/bin/env bash
# medgatectl config export: the configuration record (issue 13) holds the
# live configuration with every key, the run-time state and the inventory,
# no secret (a password in conninfo is masked), parses as a configuration
# again, is never written over a file, and is on the audit trail.
. "$(dirname "$0")/lib.sh"

mg_init
[ "$MG_TEST_STORAGE" = sqlite ] &&
	mg_conf_set storage conninfo "host=db.example password=Sekr3t-Val dbname=medgate"
mg_start
mg_enrol scale-x
mg_stop
mg_ctl config export --out "$T/record.conf" > "$T/out" 2>&1 || fail "export: $(cat "$T/out")"
for text in "# Configuration record of $CONF" "[web]" "port = $WEB_PORT" "[device]" "[tls]" \
	"profile = bsi" "[detect]" "# interfaces switched at run time: device on" \
	"#   tenant 1: default" '#   device 1 "scale-x": tenant 1, active' \
	"#   account admin: admin; second factor no"; do
	grep -qF -- "$text" "$T/record.conf" || fail "the record lacks \"$text\""
done
if grep -q "Sekr3t-Val" "$T/record.conf"; then fail "a password is in the record"; fi
grep -qF "password=*** dbname=medgate" "$T/record.conf" || fail "conninfo password not masked"
ok "the record holds configuration, run-time state and inventory; the conninfo password is masked"

# It parses as a configuration again (beside the original, same relative paths).
sed -i 's/password=\*\*\*/password=x/' "$T/record.conf"
cp "$T/record.conf" "$INST/record.conf"
set +e
mg_ctl -c "$INST/record.conf" status > "$T/status" 2>&1
rc=$?
set -e
[ "$rc" -le 1 ] || fail "the record does not load as a configuration: $(cat "$T/status")"
assert_contains "$(cat "$T/status")" "configuration:  $INST/record.conf" "the record loads"
if mg_ctl config export --out "$T/record.conf" > "$T/again" 2>&1; then fail "export overwrote a file"; fi
assert_contains "$(cat "$T/again")" "exists; never overwritten" "refusal"
[ "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'config.export'")" = 1 ] ||
	fail "the export is not on the audit trail"
ok "the record loads as a configuration again; never over a file; the export is audited"
