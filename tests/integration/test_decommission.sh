#!/usr/bin/env bash
# medgatectl decommission (issue 13): refused without --yes, while medgated
# runs, with an export folder inside the instance, and without a recovery
# key, each leaving the instance whole; otherwise the export (a sealed
# backup that verifies, the audit trail, the configuration record), every
# key and store file gone (PostgreSQL: the database dropped), no patient
# id anywhere, and a signed certificate that verifies and refuses a change.
# Runs on SQLite and (integration-pg/) PostgreSQL.
. "$(dirname "$0")/lib.sh"

P1=P-DECOM-16180339
KEY=$T/recovery.key
OUT=$T/export

mg_init
mg_start
mg_enrol scale1
for i in 1 2; do
	mg_send scale1 "$(mg_body d-$i "$P1")" | grep -q '^201' || fail "send d-$i"
done
MASTER=$INST/keys/master.key
[ -f "$MASTER" ] || fail "no master key at $MASTER"
PUBLIC=$(mg_ctl audit public-key | grep -oE '[0-9a-f]{64}' | head -1)
[ -n "$PUBLIC" ] || fail "no instance public key"

# Refusals, each leaving everything in place.
refused() { # what expected-text args...
	local what=$1 text=$2
	shift 2
	if mg_ctl decommission "$@" > "$T/r.out" 2>&1; then fail "$what: not refused"; fi
	assert_contains "$(cat "$T/r.out")" "$text" "$what"
	[ -f "$MASTER" ] && [ -f "$CONF" ] || fail "$what: the instance was touched"
}
refused "no recovery key" "backup keygen first" --export-to "$OUT" --yes
mg_ctl backup keygen --out "$KEY" > /dev/null
refused "no --yes" "say --yes" --export-to "$OUT"
refused "daemon running" "a medgated runs on this instance" --export-to "$OUT" --yes
mg_stop
# As under systemd: started as the service account, beside a configuration
# it cannot write, it locks the store's folder instead, and is seen.
if [ "$(id -u)" = 0 ] && [ "$MG_TEST_STORAGE" = sqlite ]; then
	rm -f "$CONF.lock"
	MG_START_AS=medgate mg_start
	[ ! -e "$CONF.lock" ] && [ -e "$INST/data/medgated.lock" ] || fail "lock files as the service account"
	refused "daemon running as the service account" "a medgated runs on this instance" \
		--export-to "$OUT" --yes
	mg_stop
fi
# On PostgreSQL any other session (a gateway on another host) stops it.
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	"$MG_PG_BIN/psql" -X -q "${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$MG_PG_DB}" \
		-c "SELECT pg_sleep(30)" > /dev/null 2>&1 &
	SLEEPER=$!
	MG_BACKGROUND+=("$SLEEPER")
	for _ in $(seq 50); do
		[ "$(mg_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")" = 1 ] && break
		sleep 0.1
	done
	refused "another session on the database" "1 other session uses the database" \
		--export-to "$OUT" --yes
	# The server notices a client gone only when it next writes to it.
	mg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'" > /dev/null
	wait "$SLEEPER" 2>/dev/null || true
	for _ in $(seq 50); do
		[ "$(mg_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")" = 0 ] && break
		sleep 0.1
	done
fi
refused "export inside the instance" "lies in the instance folder" --export-to "$INST/out" --yes
[ ! -e "$OUT/final.mgbackup" ] || fail "a refusal exported"
ok "refused without a recovery key, without --yes, while running, into the instance"

mg_ctl decommission --export-to "$OUT" --yes --name "Erika Muster" --title "IT security" \
	> "$T/d.out" 2> "$T/d.err" || fail "decommission: $(cat "$T/d.out" "$T/d.err")"
assert_contains "$(cat "$T/d.out")" "verification passed" "decommission's own verdict"
[ ! -e "$INST" ] || fail "the instance folder is still there: $(find "$INST" | head)"
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	left=$("$MG_PG_BIN/psql" -X -q -A -t "$MG_TEST_PG_CONNINFO" \
		-c "SELECT count(*) FROM pg_database WHERE datname = '$MG_PG_DB'")
	assert_eq 0 "$left" "databases named $MG_PG_DB"
fi
for f in final.mgbackup audit-trail.jsonl configuration.txt instance-public-key.txt \
	sanitization-certificate.json; do
	[ -s "$OUT/$f" ] || fail "export lacks $f"
done
assert_eq 0 "$(grep -rc "$P1" "$OUT" | awk -F: '{s += $2} END {print s}')" \
	"patient ids in the export"
grep -q '"action":"instance.decommission"' "$OUT/audit-trail.jsonl" ||
	fail "the exported trail lacks the decommission record"
"$MEDGATECTL" backup verify "$OUT/final.mgbackup" --key "$KEY" > "$T/v.out" 2>&1 ||
	fail "the final backup does not verify: $(cat "$T/v.out")"
ok "export verifies; instance, keys and store gone; no patient id left"

# The certificate: the fields SP 800-88 asks, signed by the instance key.
CERT=$OUT/sanitization-certificate.json
python3 - "$CERT" "$PUBLIC" <<'PY' || fail "certificate fields"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["signature"]["public_key"] == sys.argv[2], "signed by another key"
s, v, m, p = c["sanitization"], c["verification"], c["media"], c["performed_by"]
assert s["method"] == "cryptographic erase + overwrite" and s["method_type"] == "purge"
assert s["tool"] == "medgatectl decommission" and s["tool_version"]
assert s["files_overwritten"] > 3 and s["audit_trail_before"].startswith("intact")
assert v["result"] == "passed" and all(x["result"] == "passed" for x in v["checks"]), v
assert len(v["checks"]) == 4, v["checks"]
assert m["data_backed_up"] and len(m["backup_sha256"]) == 64
assert p["name"] == "Erika Muster" and p["operator"].startswith("operator:")
assert c["date"] and c["remaining"]
# The default backup and log folders lie inside the instance: erased, not "remaining".
assert not any("scheduled backups" in r or "medgated.log" in r for r in c["remaining"]), c["remaining"]
PY
"$MEDGATECTL" decommission verify-certificate "$CERT" --public-key "$PUBLIC" > "$T/c.out" ||
	fail "certificate refused: $(cat "$T/c.out")"
assert_contains "$(cat "$T/c.out")" "verification recorded in it: passed" "certificate check"
other=$(printf '%064d' 7)
if "$MEDGATECTL" decommission verify-certificate "$CERT" --public-key "$other" 2> "$T/c.err"; then
	fail "certificate accepted for another instance's key"
fi
assert_contains "$(cat "$T/c.err")" "not by the expected instance key" "foreign key"
sed 's/"Erika Muster"/"Max Muster"/' "$CERT" > "$T/changed.json"
if "$MEDGATECTL" decommission verify-certificate "$T/changed.json" 2> "$T/c.err"; then
	fail "a changed certificate verified"
fi
assert_contains "$(cat "$T/c.err")" "does not verify" "changed certificate"
ok "certificate: SP 800-88 fields, signed by the instance key; changes and other keys refused"
