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

# config import: a backup plus a newer record gives the instance back with
# the record's configuration, checked, and says where the two differ.
BK=$T/bk
mkdir "$BK"
[ "$(id -u)" -ne 0 ] || chown medgate: "$BK"
mg_ctl backup keygen --out "$T/recovery.key" > /dev/null
mg_ctl backup create --out "$BK/before.mgbackup" > /dev/null
NEW_PORT=$((WEB_PORT + 7))
mg_conf_set web port "$NEW_PORT"
echo "correct horse battery staple 9" > "$T/pw"
mg_ctl user add erin --role clinician --password-file "$T/pw" > /dev/null
mg_ctl config export --out "$T/newer.conf" > /dev/null
grep -q "^# instance [0-9a-f]\{16\}$" "$T/newer.conf" || fail "the record names no instance"
import() { mg_ctl config import "$@" --backup "$BK/before.mgbackup" --key "$T/recovery.key"; }
if [ "$MG_TEST_STORAGE" = sqlite ]; then
	import "$T/newer.conf" --into "$T/rebuilt" > "$T/import.out" 2>&1 ||
		fail "import: $(cat "$T/import.out")"
	assert_contains "$(cat "$T/import.out")" "configured from the record" "import"
	assert_contains "$(cat "$T/import.out")" \
		"in the record, not in the backup: account erin: clinician" "inventory difference"
	grep -q "^port = $NEW_PORT$" "$T/rebuilt/medgate.conf" || fail "the record's port is not configured"
	[ ! -e "$T/rebuilt/medgate.conf.from-backup" ] || fail "the backup's configuration was left beside"
	"$MEDGATECTL" -c "$T/rebuilt/medgate.conf" audit verify > "$T/verify.out" ||
		fail "rebuilt trail: $(cat "$T/verify.out")"
	"$MEDGATECTL" -c "$T/rebuilt/medgate.conf" audit export --since 1970-01-01T00:00:00Z \
		2> /dev/null | grep -q '"action":"config.import"' || fail "config.import not on the rebuilt trail"
	"$MEDGATECTL" -c "$T/rebuilt/medgate.conf" device list | grep -q scale-x ||
		fail "the rebuilt instance lacks the device"
	if [ "$(id -u)" -eq 0 ]; then
		assert_eq "root:medgate 640" "$(stat -c '%U:%G %a' "$T/rebuilt/medgate.conf")" \
			"the rebuilt configuration's owner and mode"
	fi
	ok "config import: the backup's data with the record's configuration, checked and audited"
fi
# Refusals before anything is written.
sed 's/^# instance .*/# instance 0123456789abcdef/' "$T/newer.conf" > "$T/foreign.conf"
if import "$T/foreign.conf" --into "$T/x1" 2> "$T/err"; then fail "another instance's record imported"; fi
assert_contains "$(cat "$T/err")" "the record is of instance 0123456789abcdef" "foreign record"
sed 's/^backend = .*/backend = other/' "$T/newer.conf" > "$T/other.conf"
sed -i 's/^backend = other/backend = '"$([ "$MG_TEST_STORAGE" = sqlite ] && echo postgresql || echo sqlite)"'/' "$T/other.conf"
if import "$T/other.conf" --into "$T/x2" 2> "$T/err"; then fail "a record of another storage imported"; fi
assert_contains "$(cat "$T/err")" "storage is" "storage mismatch"
[ ! -e "$T/x1" ] && [ ! -e "$T/x2" ] || fail "a refused import wrote a folder"
ok "config import refuses another instance's record and another storage"
