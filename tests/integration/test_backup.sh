#!/usr/bin/env bash
# Backups: keygen, create while devices send, verify without and with the
# key, restore with every table compared, drill; refusals of a changed,
# truncated, wrong-key, foreign or running-target backup; no file
# overwritten; no patient id readable in the file; progress only on a
# terminal. Runs on SQLite and (integration-pg/) PostgreSQL.
. "$(dirname "$0")/lib.sh"

P1=P-BKUP-31415926
P2=P-BKUP-27182818
KEY=$T/recovery.key
# Run as root, medgatectl works as the instance's account: backups go to
# a folder it can write.
BK=$T/backups
mkdir "$BK"
[ "$(id -u)" -ne 0 ] || chown medgate: "$BK"

mg_init
mg_start
mg_enrol scale1
for i in 1 2 3; do
	mg_send scale1 "$(mg_body m-$i "$P1")" | grep -q '^201' || fail "send m-$i"
	mg_send scale1 "$(mg_body n-$i "$P2")" | grep -q '^201' || fail "send n-$i"
done

# keygen: the secret key only in KEY (0600), printed once; never twice.
mg_ctl backup keygen --out "$KEY" > "$T/sheet.txt"
grep -q 'MGRK1-' "$T/sheet.txt" || fail "no secret key on the key sheet"
assert_eq 600 "$(stat -c %a "$KEY")" "mode of the secret key file"
grep -q 'MGRP1-' "$INST/keys/recovery.pub" || fail "no public key in the instance"
if grep -rq 'MGRK1-' "$INST"; then fail "the secret key is on the gateway"; fi
if mg_ctl backup keygen --out "$INST/keys/secret.key" 2> "$T/err"; then fail "secret key in the instance"; fi
assert_contains "$(cat "$T/err")" "never be kept" "secret key inside the instance refused"
if mg_ctl backup keygen --out "$T/other.key" 2> "$T/err"; then fail "second keygen"; fi
assert_contains "$(cat "$T/err")" "has a recovery key already" "second keygen refused"
ok "keygen: secret key file and sheet only"

# A backup while measurements keep arriving; no progress off a terminal.
( for i in $(seq 1 20); do mg_send scale1 "$(mg_body bg-$i "$P1")" > /dev/null; done ) &
SENDER=$!
MG_BACKGROUND+=("$SENDER")
mg_ctl backup create --out "$BK/live.mgb" > "$T/create.out" 2> "$T/create.err" || fail "create: $(cat "$T/create.err")"
wait "$SENDER"
[ ! -s "$T/create.err" ] || fail "output on stderr off a terminal: $(cat "$T/create.err")"
assert_eq 0 "$(grep -c -e "$P1" -e "$P2" "$BK/live.mgb" || true)" "patient ids in the backup file"
ok "backup made while devices send; no patient id in its bytes"

# Never overwritten.
sum=$(sha256sum "$BK/live.mgb")
if mg_ctl backup create --out "$BK/live.mgb" 2> "$T/err"; then fail "overwrote a backup"; fi
assert_eq "$sum" "$(sha256sum "$BK/live.mgb")" "existing backup unchanged"
echo keep > "$BK/other.txt"
if mg_ctl backup create --out "$BK/other.txt" 2>/dev/null; then fail "overwrote a file"; fi
assert_eq keep "$(cat "$BK/other.txt")" "existing file unchanged"
ok "no file overwritten"

# Verify: without the key (signature), with it (contents, store, trail).
"$MEDGATECTL" backup verify "$BK/live.mgb" > "$T/v.out" || fail "verify without key"
assert_contains "$(cat "$T/v.out")" "signature:  good" "verify without key"
"$MEDGATECTL" backup verify "$BK/live.mgb" --key "$KEY" > "$T/v.out" || fail "verify with key: $(cat "$T/v.out")"
assert_contains "$(cat "$T/v.out")" "every part's SHA-256 matches" "verify with key"
grep -q "audit trail intact\|pg_restore reads the dump" "$T/v.out" \
	|| fail "the copy of a backup taken while sending is not sound: $(cat "$T/v.out")"
# Naming the instance (-c): on PostgreSQL the copy is loaded into a scratch
# database of its server and its integrity and audit trail checked there.
mg_ctl backup verify "$BK/live.mgb" --key "$KEY" > "$T/v2.out" || fail "verify -c with key: $(cat "$T/v2.out")"
assert_contains "$(cat "$T/v2.out")" "integrity check ok; audit trail intact" "verify of the copy's trail"
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	assert_eq 0 "$(mg_sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'medgate_verify_%'")" \
		"scratch databases left behind"
fi
ok "verify with and without the key; with it the copy's integrity and audit trail, also on PostgreSQL"

# Progress on a terminal (the back end does not matter: SQLite only).
[ "$MG_TEST_STORAGE" = postgresql ] || script -qec "$MEDGATECTL -c $CONF backup create --out $BK/tty.mgb" /dev/null > "$T/tty.out"
if [ "$MG_TEST_STORAGE" != postgresql ]; then
	grep -q 'encrypt' "$T/tty.out" || fail "no progress on a terminal: $(cat "$T/tty.out")"
	ok "progress only on a terminal"
fi

# Restore while the daemon runs on the target: refused.
if mg_ctl backup restore "$BK/live.mgb" --key "$KEY" --into "$INST" 2> "$T/err"; then
	fail "restored over a running instance"
fi
assert_contains "$(cat "$T/err")" "a medgated runs on" "running target refused"
ok "restore into a running instance refused"

# Changed, truncated, wrong key: refused, with a reason.
cp "$BK/live.mgb" "$BK/flip.mgb"
size=$(stat -c %s "$BK/flip.mgb")
python3 - "$BK/flip.mgb" $((size / 2)) <<'PY'
import sys
p, at = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[at] ^= 0x01; open(p, "wb").write(bytes(b))
PY
head -c $((size - 1000)) "$BK/live.mgb" > "$BK/short.mgb"
for f in flip short; do
	if "$MEDGATECTL" backup verify "$BK/$f.mgb" 2> "$T/err"; then fail "verify accepted $f"; fi
	if "$MEDGATECTL" backup restore "$BK/$f.mgb" --key "$KEY" --into "$T/r-$f" 2>> "$T/err"; then
		fail "restore accepted $f"
	fi
	[ ! -e "$T/r-$f/medgate.conf" ] || fail "restore of $f left an instance"
done
assert_contains "$(cat "$T/err")" "truncated" "truncated file's reason"

# Another instance: its own recovery key, its own backup.
INST_MAIN=$INST CONF_MAIN=$CONF DB_MAIN=$MG_PG_DB PORTS_MAIN="$WEB_PORT $DEVICE_PORT $MLLP_PORT"
INST=$T/other CONF=$T/other/medgate.conf
WEB_PORT=$(free_port) DEVICE_PORT=$(free_port) MLLP_PORT=$(free_port)
mg_init
mg_ctl backup keygen --out "$T/other.key" > /dev/null
mg_ctl backup create --out "$BK/other.mgb" > /dev/null
INST=$INST_MAIN CONF=$CONF_MAIN MG_PG_DB=$DB_MAIN
read -r WEB_PORT DEVICE_PORT MLLP_PORT <<< "$PORTS_MAIN"

if "$MEDGATECTL" backup restore "$BK/live.mgb" --key "$T/other.key" --into "$T/r-wrong" 2> "$T/err"; then
	fail "restore with a wrong key"
fi
assert_contains "$(cat "$T/err")" "wrong key" "wrong key's reason"
mg_stop
if mg_ctl backup restore "$BK/other.mgb" --key "$T/other.key" --into "$INST" 2> "$T/err"; then
	fail "restored another instance's backup over this one"
fi
assert_contains "$(cat "$T/err")" "another instance" "foreign instance's reason"
ok "changed, truncated, wrong-key and foreign backups refused"

# Round trip with the daemon stopped: every table the same.
tables() {
	if [ "$MG_TEST_STORAGE" = postgresql ]; then
		mg_sql "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
	else
		mg_sql "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
	fi
}
dump() { # out: every row of every table, one query (audit_log without
	# the restore's own record, settings without the time of the last
	# backup, written once the backup is made), sorted
	local t sql="" sep=""
	for t in $(tables); do
		w=""; [ "$t" = audit_log ] && w=" WHERE action <> 'backup.restore'"
		[ "$t" = settings ] && w=" WHERE name <> 'backup.last_ms'"
		if [ "$MG_TEST_STORAGE" = postgresql ]; then
			sql+="$sep SELECT '$t', x::text FROM $t x$w"; sep=" UNION ALL"
		else
			sql+="SELECT '$t', * FROM $t$w;"
		fi
	done
	mg_sql "$sql" | sort > "$1"
}
mg_ctl backup create --out "$BK/quiet.mgb" > /dev/null
dump "$T/before.txt"
restore_args=()
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	RESTORE_DB=$(mg_pg_createdb)
	restore_args=(--conninfo "${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$RESTORE_DB}")
fi
mg_ctl backup restore "$BK/quiet.mgb" --key "$KEY" --into "$T/restored" "${restore_args[@]}" > "$T/restore.out" \
	|| fail "restore: $(cat "$T/restore.out")"
INST=$T/restored MG_PG_DB=${RESTORE_DB:-} dump "$T/after.txt"
[ "$(cut -d"|" -f1 "$T/before.txt" | sort -u | wc -l)" -gt 10 ] || fail "too few tables dumped"
diff "$T/before.txt" "$T/after.txt" > "$T/diff.txt" || { cat -v "$T/diff.txt" | head -20; fail "tables differ after restore"; }
restores() { mg_sql "SELECT count(*) FROM audit_log WHERE action = 'backup.restore'"; }
assert_eq $(($(restores) + 1)) "$(INST=$T/restored MG_PG_DB=${RESTORE_DB:-} restores)" \
	"backup.restore recorded on the restored trail"
cmp "$INST/keys/master.key" "$T/restored/keys/master.key" || fail "master key differs"
# Root read the instance CA's key, which the service account cannot, into
# the backup; it comes back root's alone.
if [ "$(id -u)" = 0 ]; then
	"$MEDGATECTL" backup verify "$BK/quiet.mgb" | grep -q "^CA key:     in this backup" ||
		fail "the CA key is not in a backup root made"
	cmp "$INST/keys/ca.key" "$T/restored/keys/ca.key" || fail "CA key differs"
	assert_eq "root:root 600" "$(stat -c '%U:%G %a' "$T/restored/keys/ca.key")" "the restored CA key"
fi
# The restored instance runs (same ports: the original is stopped).
CONF=$T/restored/medgate.conf INST=$T/restored mg_start
curl -sf --cacert "$T/restored/certs/ca.pem" "https://localhost:$WEB_PORT/api/v1/health" > /dev/null \
	|| fail "restored instance does not answer"
mg_stop
ok "round trip: every table, the keys and the configuration back"

# Drill: restored into a scratch folder, started on loopback, checked,
# removed; the restore time on the trail and in the setting.
mg_ctl backup drill "$BK/quiet.mgb" --key "$KEY" > "$T/drill.out" 2>&1 || fail "drill: $(cat "$T/drill.out")"
assert_contains "$(cat "$T/drill.out")" "passed" "drill result"
mg_sql "SELECT value FROM settings WHERE name = 'backup.drill_last'" | grep -Eq '^[0-9]+ passed [0-9]+$' \
	|| fail "no drill result in the settings"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'backup.drill' AND outcome = 'success'")" "drill audited"
[ "$(mg_sql "SELECT count(*) FROM settings WHERE name IN ('backup.last_ms', 'backup.drill_last_ms')")" = 2 ] ||
	fail "the last backup and drill times (for /metrics and the health page) are not recorded"
ok "drill: restored, answered, trail intact, recorded"

# Scheduled: the daemon makes one into [backup] folder and keeps the
# newest `keep`; two old ones wait there already.
SCHED=$BK/sched
mkdir "$SCHED"
[ "$(id -u)" -ne 0 ] || chown medgate: "$SCHED"
ID=$(mg_sql "SELECT value FROM settings WHERE name = 'instance_id'")
cp "$BK/quiet.mgb" "$SCHED/medgate-$ID-20200101T000000Z.mgbackup"
cp "$BK/quiet.mgb" "$SCHED/medgate-$ID-20200102T000000Z.mgbackup"
touch -d 2020-01-02 "$SCHED"/*.mgbackup
mg_conf_set backup schedule "every 5m"
mg_conf_set backup keep 2
mg_conf_set backup folder "$SCHED"
mg_start
for _ in $(seq 1 100); do
	[ ! -e "$SCHED/medgate-$ID-20200101T000000Z.mgbackup" ] && break
	sleep 0.2
done
mg_stop
assert_eq 2 "$(ls "$SCHED" | grep -c '\.mgbackup$')" "scheduled backups kept"
[ ! -e "$SCHED/medgate-$ID-20200101T000000Z.mgbackup" ] || fail "oldest beyond keep not deleted"
new=$(ls "$SCHED" | grep -v 2020)
"$MEDGATECTL" backup verify "$SCHED/$new" > /dev/null || fail "scheduled backup does not verify"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'backup.delete'")" "deletion audited"
ok "scheduled backup made, the oldest beyond keep deleted"

made=4; [ "$MG_TEST_STORAGE" != postgresql ] || made=3
assert_eq "$made 2" "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'backup.create' AND outcome = 'success'") $(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'backup.create' AND outcome = 'failure'")" \
	"backup.create records: made, refused"
ok "backups audited"
