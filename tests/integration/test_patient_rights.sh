#!/usr/bin/env bash
# A patient's rights and retention (docs/patient-rights.md), on SQLite and
# (integration-pg/) PostgreSQL: export as a FHIR Bundle with the Art. 15
# information; erase, audited without the patient id, leaving none of the
# patient's sealed bytes in the database files (SQLite: db and WAL); a
# backup taken before the erasure, restored after it, does not bring the
# patient back; a tampered erasure log refuses the restore; retention
# erases old measurements and counts them; a clinician downloads the
# export and, after the erasure, the API finds nothing; a tenant with patients is
# erased only with an export. Failure paths: unknown patient or tenant,
# no --yes.
. "$(dirname "$0")/lib.sh"

P1=PR-ERASE-90210417
P2=PR-KEEP-55512345
KEY=$T/recovery.key
BK=$T/backups OUT=$T/out
# Run as root, medgatectl works as the instance's account: the backups
# and exports go to folders it can write.
mkdir "$BK" "$OUT"
[ "$(id -u)" -ne 0 ] || chown medgate: "$BK" "$OUT"

TOOLS=$(dirname "$0")/tools
mg_init
printf 'Tq7-vortex-lantern-91\n' > "$T/pw"
mg_ctl user add doc.r --role clinician --tenant default --password-file "$T/pw" > /dev/null
mg_conf_set backup folder "$BK"
mg_ctl backup keygen --out "$KEY" > /dev/null
mg_start
mg_enrol scale1
for i in 1 2 3; do
	mg_send scale1 "$(mg_body e-$i "$P1")" | grep -q '^201' || fail "send e-$i"
done
mg_send scale1 "$(mg_body k-1 "$P2")" | grep -q '^201' || fail "send k-1"

# Export: a collection Bundle with the Patient, 3 Observations, the
# device, the retention period; the export is audited.
mg_ctl patient export --tenant default --patient "$P1" --out "$OUT/p1.json" 2> "$T/err" ||
	fail "export: $(cat "$T/err")"
python3 - "$OUT/p1.json" "$P1" <<'PY' || fail "export content"
import json, sys
b = json.load(open(sys.argv[1]))
kinds = [e["resource"]["resourceType"] for e in b["entry"]]
assert b["resourceType"] == "Bundle" and b["type"] == "collection", b.get("type")
assert kinds[0] == "Patient" and b["entry"][0]["resource"]["identifier"][0]["value"] == sys.argv[2]
assert kinds.count("Observation") == 6, kinds  # two values each
assert kinds.count("Device") == 1 and kinds.count("Basic") == 1, kinds
assert any(e["resource"]["resourceType"] == "AuditEvent" for e in b["entry"]), "no accesses"
PY
assert_eq 600 "$(stat -c %a "$OUT/p1.json")" "mode of the export file"
if mg_ctl patient export --tenant default --patient "$P1" --out "$OUT/p1.json" 2> "$T/err"; then
	fail "export overwrote a file"
fi
assert_eq "2 1" "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'patient.export' AND outcome = 'success' AND actor LIKE 'operator:%'") $(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'patient.export' AND outcome = 'failure'")" "exports audited first, the refused one as failed"
python3 "$TOOLS/patient_rights.py" export "$WEB_PORT" "$CA" doc.r "$T/pw" "$P1" 6 ||
	fail "export through the API"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'patient.export' AND actor LIKE '%doc.r%'")" "the API's export audited"
ok "export: FHIR collection Bundle with Patient, 6 Observations, Device, accesses, retention"

# A backup before the erasure.
mg_ctl backup create --out "$BK/before.mgb" > /dev/null || fail "backup before"

# Failure paths: each exits non-zero with a reason and changes nothing.
st=0; mg_ctl patient erase --tenant default --patient "$P1" 2> "$T/err" || st=$?
assert_eq 2 "$st" "exit status without --yes"
assert_contains "$(cat "$T/err")" "add --yes" "reason without --yes"
st=0; mg_ctl patient erase --tenant default --patient NOBODY-1 --yes 2> "$T/err" || st=$?
assert_eq 1 "$st" "exit status for an unknown patient"
assert_contains "$(cat "$T/err")" "no data of this patient" "reason for an unknown patient"
st=0; mg_ctl patient erase --tenant nowhere --patient "$P1" --yes 2> "$T/err" || st=$?
assert_eq 1 "$st" "exit status for an unknown tenant"
assert_contains "$(cat "$T/err")" "no such tenant" "reason for an unknown tenant"
st=0; mg_ctl patient export --tenant default --patient NOBODY-1 2> "$T/err" || st=$?
assert_eq 1 "$st" "export of an unknown patient"
assert_eq 3 "$(mg_sql "SELECT count(*) FROM measurements m JOIN patients p ON p.id = m.patient_id WHERE m.device_mid LIKE 'e-%'")" "nothing erased by a refused call"
ok "erase refused without --yes, for an unknown patient or tenant; export of an unknown patient refused"

# What must be gone: the patient's sealed identifier and blind index.
SEALED=$(mg_sql "SELECT $(mg_sql_hex identifier_sealed) FROM patients p WHERE id = (SELECT patient_id FROM measurements WHERE device_mid = 'e-1')")
BLIND=$(mg_sql "SELECT $(mg_sql_hex blind_index) FROM patients p WHERE id = (SELECT patient_id FROM measurements WHERE device_mid = 'e-1')")
ROW=$(mg_sql "SELECT patient_id FROM measurements WHERE device_mid = 'e-1'")
[ -n "$SEALED" ] && [ -n "$BLIND" ] || fail "no sealed identifier to look for"

hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
if [ "$MG_TEST_STORAGE" != postgresql ]; then
	# The search below can fail: the bytes are there before the erasure.
	cat "$INST"/data/medgate.db* > "$T/db-before"
	case $(hexof "$T/db-before") in *"${SEALED,,}"*) ;; *) fail "sealed identifier not found before the erasure";; esac
	rm "$T/db-before"
fi
mg_ctl patient erase --tenant default --patient "$P1" --yes > "$T/erase.out" 2> "$T/err" ||
	fail "erase: $(cat "$T/err")"
assert_contains "$(cat "$T/erase.out")" "3 measurements" "erase says what went"
# No warning: the WAL was emptied (SQLite) or VACUUM ran (PostgreSQL).
[ ! -s "$T/err" ] || fail "erase warned: $(cat "$T/err")"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_mid LIKE 'e-%'")" "measurements left"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM patients WHERE id = $ROW")" "patient rows left"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM outbox WHERE patient_id = $ROW")" "outbox rows left"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_mid = 'k-1'")" "the other patient kept"
st=0; mg_ctl patient export --tenant default --patient "$P1" 2> "$T/err" || st=$?
assert_eq 1 "$st" "export after erase"
python3 "$TOOLS/patient_rights.py" gone "$WEB_PORT" "$CA" doc.r "$T/pw" "$P1" || fail "API after erase"
rec=$(mg_sql "SELECT object || ' ' || details FROM audit_log WHERE action = 'patient.erase'")
assert_contains "$rec" "patient:$ROW" "erase audited by row id"
if mg_sql "SELECT * FROM audit_log" | grep -q -- "$P1"; then fail "the patient id on the audit trail"; fi
mg_ctl audit verify > /dev/null || fail "audit trail does not verify after the erasure"
[ "$(wc -l < "$BK/erasures.log")" = 1 ] || fail "no erasure log entry in $BK"
if grep -q -- "$P1" "$BK/erasures.log"; then fail "the patient id in the erasure log"; fi
for _ in $(seq 1 150); do
	[ "$(mg_sql "SELECT count(*) FROM alerts WHERE kind = 'data.erase' AND subject = 'patient:$ROW'")" = 1 ] && break
	sleep 0.2
done
assert_eq 1 "$(mg_sql "SELECT count(*) FROM alerts WHERE kind = 'data.erase' AND subject = 'patient:$ROW'")" "data.erase alert"
if mg_sql "SELECT summary FROM alerts" | grep -q -- "$P1"; then fail "the patient id in an alert"; fi
ok "erase: rows gone, audited by row id, trail verifies, erasure log entry beside the backups, security contacts alerted"

if [ "$MG_TEST_STORAGE" != postgresql ]; then
	for f in "$INST"/data/medgate.db "$INST"/data/medgate.db-wal; do
		[ -f "$f" ] || continue
		h=$(hexof "$f")
		sealed=${SEALED,,} blind=${BLIND,,}
		case $h in *"$sealed"*) fail "the sealed identifier is still in $f";; esac
		case $h in *"$blind"*) fail "the blind index is still in $f";; esac
		if grep -a -q -- "$P1" "$f"; then fail "$P1 in $f"; fi
	done
	ok "raw bytes: neither the sealed identifier nor the blind index in the database or its WAL"
fi
mg_stop

# Restore the backup from before the erasure: the patient stays erased.
restore_args=()
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	RESTORE_DB=$(mg_pg_createdb)
	restore_args=(--conninfo "${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$RESTORE_DB}")
fi
mg_ctl backup restore "$BK/before.mgb" --key "$KEY" --into "$T/restored" "${restore_args[@]}" \
	> "$T/restore.out" 2>&1 || fail "restore: $(cat "$T/restore.out")"
assert_contains "$(cat "$T/restore.out")" "1 erased again of 1" "restore re-applies the erasure"
R() { INST=$T/restored MG_PG_DB=${RESTORE_DB:-} mg_sql "$1"; }
assert_eq 0 "$(R "SELECT count(*) FROM measurements WHERE device_mid LIKE 'e-%'")" "erased measurements after restore"
assert_eq 0 "$(R "SELECT count(*) FROM patients WHERE $(mg_sql_hex blind_index) = '$BLIND'")" "erased patient after restore"
assert_eq 1 "$(R "SELECT count(*) FROM measurements WHERE device_mid = 'k-1'")" "kept patient after restore"
assert_eq 1 "$(R "SELECT count(*) FROM audit_log WHERE action = 'patient.erase' AND details LIKE '%erasure_log_seq%'")" "re-applied erasure audited"
if [ "$MG_TEST_STORAGE" != postgresql ]; then
	for f in "$T"/restored/data/medgate.db*; do
		case $(od -An -v -tx1 "$f" | tr -d ' \n') in *"${SEALED,,}"*) fail "sealed identifier in restored $f";; esac
	done
fi
ok "a backup from before the erasure, restored after it: the patient does not come back"

# A drill re-applies the log beside the backup too (SQLite: the drill's
# own PostgreSQL path is test_backup's).
if [ "$MG_TEST_STORAGE" != postgresql ]; then
	mg_ctl backup drill "$BK/before.mgb" --key "$KEY" > "$T/drill.out" 2>&1 || fail "drill: $(cat "$T/drill.out")"
	assert_contains "$(cat "$T/drill.out")" "1 erased again of 1" "the drill re-applies the erasure"
	ok "a drill of the older backup erases the patient again"
fi

# A tampered erasure log refuses the restore.
sed 's/"tenant_id":1,/"tenant_id":2,/' "$BK/erasures.log" > "$T/tampered.log"
cmp -s "$BK/erasures.log" "$T/tampered.log" && fail "the log was not changed"
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	restore_args=(--conninfo "${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$(mg_pg_createdb)}")
fi
st=0; mg_ctl backup restore "$BK/before.mgb" --key "$KEY" --into "$T/r-tampered" --erasures "$T/tampered.log" \
	"${restore_args[@]}" > "$T/tampered.out" 2>&1 || st=$?
[ "$st" -ne 0 ] || fail "restore with a tampered erasure log"
assert_contains "$(cat "$T/tampered.out")" "line 1 is altered" "tampered log's reason"
[ ! -e "$T/r-tampered/medgate.conf" ] || fail "a refused restore left an instance"
ok "a tampered erasure log refuses the restore"

# Retention: keep 30 days; k-1 backdated 40 days is erased and counted.
mg_sql "UPDATE measurements SET received_ms = received_ms - 40 * CAST(86400000 AS BIGINT) WHERE device_mid = 'k-1'"
mg_conf_set retention keep_days 30
mg_start
mg_send scale1 "$(mg_body k-2 "$P2")" | grep -q '^201' || fail "send k-2"
for _ in $(seq 1 150); do
	[ "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'retention.erase'")" = 1 ] && break
	sleep 0.2
done
assert_eq 0 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_mid = 'k-1'")" "old measurement after retention"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_mid = 'k-2'")" "new measurement after retention"
assert_contains "$(mg_sql "SELECT details FROM audit_log WHERE action = 'retention.erase'")" '"erased":1' "retention audited with its count"
PYTHONPATH=$(dirname "$0")/tools python3 - "$WEB_PORT" "$CA" "$T/admin-password" <<'PY' || fail "security page's retention figures"
import sys
from mgapi import Api, Session, check
port, ca, pwfile = sys.argv[1:4]
pw = open(pwfile).read().strip()
s = Session(Api(int(port), ca), "admin", pw).login()
if s.info.get("must_change_password"):
    s.change_password(pw + " changed")
a = s.call("GET", "/api/v1/security")
check(a.status == 200, "security overview: %r" % a)
r = a.json["retention"]
check(r["keep_days"] == 30 and r["erased"] == 1 and r["last_run_ms"] > 0, "retention %r" % r)
PY
ok "retention: an old measurement erased, audited with its count, on the security page"

# An erasure refuses to add to a log that does not verify, and erases
# nothing.
cp -p "$BK/erasures.log" "$T/erasures.good"
sed 's/"tenant_id":1,/"tenant_id":3,/' "$T/erasures.good" > "$BK/erasures.log"
st=0; mg_ctl patient erase --tenant default --patient "$P2" --yes 2> "$T/err" || st=$?
assert_eq 1 "$st" "erase with a tampered log"
assert_contains "$(cat "$T/err")" "nothing erased" "tampered log's reason"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_mid = 'k-2'")" "measurement kept after a refused erase"
cp -p "$T/erasures.good" "$BK/erasures.log"
ok "an erasure refuses a tampered erasure log and erases nothing"

# Tenant erase: refused while it holds patients, then with an export.
st=0; mg_ctl tenant erase --tenant default 2> "$T/err" || st=$?
assert_eq 2 "$st" "tenant erase without --yes"
st=0; mg_ctl tenant erase --tenant default --yes 2> "$T/err" || st=$?
assert_eq 1 "$st" "tenant erase with patients and no export"
assert_contains "$(cat "$T/err")" "export their data first" "reason of the refusal"
st=0; mg_ctl tenant erase --tenant nowhere --yes 2> "$T/err" || st=$?
assert_eq 1 "$st" "tenant erase of an unknown tenant"
# A recorded export counts until data arrive after it.
mg_ctl tenant export --tenant default --out "$OUT/t1" > /dev/null 2> "$T/err" || fail "tenant export: $(cat "$T/err")"
assert_eq 1 "$(ls "$OUT/t1" | wc -l)" "one export file per patient"
mg_send scale1 "$(mg_body k-3 "$P2")" | grep -q '^201' || fail "send k-3"
st=0; mg_ctl tenant erase --tenant default --yes 2> "$T/err" || st=$?
assert_eq 1 "$st" "tenant erase after data arrived since the export"
assert_contains "$(cat "$T/err")" "data arrived since its export" "reason of the refusal"
mg_stop
# Both ways of exporting, one per back end (the command is the same on
# both): a fresh recorded export on SQLite, --export-to on PostgreSQL.
if [ "$MG_TEST_STORAGE" != postgresql ]; then
	EXPORTED=$OUT/t2
	mg_ctl tenant export --tenant default --out "$EXPORTED" > /dev/null 2> "$T/err" || fail "tenant export: $(cat "$T/err")"
	mg_ctl tenant erase --tenant default --yes > "$T/tenant.out" 2> "$T/err" ||
		fail "tenant erase after a recorded export: $(cat "$T/err")"
else
	EXPORTED=$OUT/tenant-export
	mg_ctl tenant erase --tenant default --yes --export-to "$EXPORTED" > "$T/tenant.out" 2> "$T/err" ||
		fail "tenant erase: $(cat "$T/err")"
fi
assert_eq 1 "$(ls "$EXPORTED" | wc -l)" "one export file per patient"
grep -q -- "$P2" "$EXPORTED"/*.json || fail "the export does not hold the patient"
assert_eq 4 "$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(sum(e["resource"]["resourceType"] == "Observation" for e in b["entry"]))' "$EXPORTED"/*.json)" "Observations of k-2 and k-3 in the tenant export"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM tenants WHERE name = 'default'")" "tenant rows left"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM measurements")" "measurements left"
assert_eq 2 "$(wc -l < "$BK/erasures.log")" "erasure log entries"
mg_ctl audit verify > /dev/null || fail "audit trail does not verify after the tenant erasure"
ok "tenant erase: refused with patients, never exported or exported before data arrived; then exported and crypto-erased"
