#!/usr/bin/env bash
# Encryption at rest, on the real daemon (either back end): measurement
# values are sealed and bound to their row, so a value changed directly in
# the database, or two rows' sealed values swapped, is caught: the row is
# not listed, store.tampered is raised, and the EMR never receives it
# (its outbox row goes dead). Then medgatectl key rotate, with the daemon
# running: measurements keep flowing to the EMR, the daemon restarts on
# the new key, and the old master key opens nothing any more. Each
# patient has a key of its own; no identifier is in the database file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/emr_peer.sh"

peer_start
mg_init
cat >>"$CONF" <<EOF

[emr.main]
protocol = hl7-mllp
address = 127.0.0.1:$PEER_PORT
tls = off
timeout = 5
EOF
printf 'Tq7-vortex-lantern-88\n' > "$T/pw"
mg_ctl user add doc.k --role clinician --tenant default --password-file "$T/pw" >/dev/null
# Held while the database is changed behind the daemon's back.
mg_ctl interface off emr.main >/dev/null || fail "emr.main off"
mg_start
mg_enrol scale1

for i in 1 2 3 4 5; do
	assert_contains "$(mg_send scale1 "$(mg_body "k-$i" "KEYPAT-$i" "7$i.5")")" "201 " "measurement k-$i"
done
assert_eq 5 "$(mg_ctl measurement list --jsonl | wc -l)" "listed before any change"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM measurement_values WHERE value IS NOT NULL")" \
	"values in clear"
assert_eq 5 "$(mg_sql "SELECT count(DISTINCT $(mg_sql_hex wrapped_key)) FROM patients
	WHERE wrapped_key IS NOT NULL")" "patients with a key of their own"

vid() { mg_sql "SELECT id FROM measurements WHERE device_mid = '$1'"; }
sealed_hex() { # mid position
	mg_sql "SELECT $(mg_sql_hex value_sealed) FROM measurement_values
		WHERE measurement_id = $(vid "$1") AND position = $2"
}
set_sealed() { # mid position hex
	local lit="X'$3'"
	[ "$MG_TEST_STORAGE" = postgresql ] && lit="decode('$3', 'hex')"
	mg_sql "UPDATE measurement_values SET value_sealed = $lit
		WHERE measurement_id = $(vid "$1") AND position = $2" >/dev/null
}
# k-1: one bit of its weight's sealed bytes flipped.
h=$(sealed_hex k-1 0)
[ ${#h} = 96 ] || fail "sealed value of k-1: '$h'"
flipped=$(printf '%x' $(( 0x${h: -1} ^ 1 )))
set_sealed k-1 0 "${h:0:95}$flipped"
# k-2 and k-3: their weights' sealed values swapped.
h2=$(sealed_hex k-2 0) h3=$(sealed_hex k-3 0)
set_sealed k-2 0 "$h3"
set_sealed k-3 0 "$h2"

listed=$(mg_ctl measurement list --jsonl)
assert_eq 2 "$(printf '%s\n' "$listed" | grep -c .)" "listed after the changes"
for mid in k-1 k-2 k-3; do
	if printf '%s' "$listed" | grep -q "\"$mid\""; then fail "$mid listed after its change"; fi
done
assert_contains "$listed" '"value":74.5' "the untouched k-4 reads as sent"
cat > "$T/state.json" <<JSON
{"user": "doc.k", "password": "Tq7-vortex-lantern-88",
 "counts": {"KEYPAT-1": 0, "KEYPAT-2": 0, "KEYPAT-3": 0, "KEYPAT-4": 1, "KEYPAT-5": 1}}
JSON
python3 "$(dirname "$0")/tools/patients_client.py" "$WEB_PORT" "$CA" "$T/state.json" counts ||
	fail "patient measurements through the API"
alerts=$(mg_sql "SELECT subject || ' ' || summary FROM alerts WHERE kind = 'store.tampered'")
for mid in k-1 k-2 k-3; do
	assert_contains "$alerts" "measurement:$(vid $mid) " "store.tampered for $mid"
done
assert_eq 3 "$(printf '%s\n' "$alerts" | grep -c .)" "store.tampered alerts"
if printf '%s' "$alerts" | grep -q KEYPAT; then fail "a patient id in an alert"; fi
ok "a changed and two swapped values are caught: not listed nor shown by the API, store.tampered raised (no patient data)"

mg_ctl interface on emr.main >/dev/null || fail "emr.main on"
outbox_state() { mg_sql "SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state" | tr '\n' ' '; }
for _ in $(seq 1 100); do
	[ "$(outbox_state)" = "dead|3 delivered|2 " ] && break
	sleep 0.1
done
assert_eq "dead|3 delivered|2 " "$(outbox_state)" "outbox after forwarding"
assert_eq 2 "$(received)" "messages the EMR received"
for i in 1 2 3; do
	if grep -q "KEYPAT-$i" "$PLOG"; then fail "the EMR received tampered k-$i"; fi
done
assert_contains "$(mg_sql "SELECT last_error FROM outbox WHERE state = 'dead'")" \
	"altered in the database" "dead letter's reason"
assert_contains "$(cat "$INST/log/medgated.log")" "refused: measurement" "forwarder's log line"
ok "the forwarder refuses the tampered rows (dead, logged), sends the others"

# Rotation while the daemon runs and measurements keep coming.
KEY=$INST/keys/master.key
cp "$KEY" "$T/old.key"
wrapped_before=$(mg_sql "SELECT $(mg_sql_hex wrapped_key) FROM tenants")
out=$(mg_ctl key rotate) || fail "key rotate: $out"
assert_contains "$out" "1 tenant keys re-wrapped" "key rotate's report"
[ ! -e "$KEY.new" ] || fail "key rotate left $KEY.new"
assert_eq 64 "$(stat -c %s "$KEY")" "rotated key file size"
[ "$(mg_sql "SELECT $(mg_sql_hex wrapped_key) FROM tenants")" != "$wrapped_before" ] ||
	fail "tenant key not re-wrapped"
assert_contains "$(mg_sql "SELECT action || ' ' || outcome FROM audit_log WHERE action = 'key.rotate'")" \
	"key.rotate success" "key.rotate on the audit trail"
assert_contains "$(mg_send scale1 "$(mg_body k-6 KEYPAT-6 76.5)")" "201 " "measurement after rotate"
for _ in $(seq 1 100); do [ "$(received)" = 3 ] && break; sleep 0.1; done
assert_eq 3 "$(received)" "EMR messages after rotate"
ok "key rotate with the daemon running: tenant key re-wrapped, recorded, measurements keep flowing"

mg_stop
mg_start
assert_contains "$(mg_send scale1 "$(mg_body k-7 KEYPAT-7 77.5)")" "201 " "after restart"
assert_eq 4 "$(mg_ctl measurement list --jsonl | wc -l)" "listed on the new key"
mg_stop
cp "$KEY" "$T/new.key"
cp "$T/old.key" "$KEY"
if out=$(mg_ctl measurement list 2>&1); then fail "the old master key still opens the values: $out"; fi
assert_contains "$out" "cryptographic" "refusal with the old key"
cp "$T/new.key" "$KEY"
ok "the daemon starts on the new key; the old key opens nothing"

if [ "$MG_TEST_STORAGE" != postgresql ]; then
	for f in "$INST"/data/medgate.db*; do
		if grep -aq KEYPAT "$f"; then fail "a patient identifier in clear in $f"; fi
	done
	ok "no patient identifier in the database files"
fi
