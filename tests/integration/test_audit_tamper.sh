#!/usr/bin/env bash
# The audit trail's fixed point: `medgatectl audit verify` exits 0 on an
# intact trail and 1 naming the first bad record after any tampering.
# 1,000 random tamperings (change, delete, insert, swap, renumber) made
# directly in the store (SQLite, or PostgreSQL through psql), each verified
# by the real medgatectl.
# MG_AUDIT_TAMPER_COUNT and MG_AUDIT_TAMPER_SEED override count and seed.
source "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools
COUNT=${MG_AUDIT_TAMPER_COUNT:-1000}
SEED=${MG_AUDIT_TAMPER_SEED:-$(date +%s)}
WORKERS=4

mg_init
DB=$INST/data/medgate.db

# 199 varied records (logins, patient reads, changes), then a checkpoint
# record as the 200th, whose signed checkpoint goes "off the machine".
"$MG_BIN/test_audit" append "$CONF" 199 || fail "cannot append records"
mg_ctl audit checkpoint > "$T/checkpoint" || fail "audit checkpoint"
chmod 644 "$T/checkpoint"
assert_contains "$(cat "$T/checkpoint")" '"seq":200' "checkpoint names the head"

out=$(mg_ctl audit verify) || fail "intact trail does not verify: $out"
assert_contains "$out" "intact: 200 records" "verify of the intact trail"
out=$(mg_ctl audit verify --checkpoint "$T/checkpoint" --public-key "$(mg_ctl audit public-key)") ||
	fail "intact trail does not verify against its checkpoint: $out"
ok "intact trail of 200 records verifies, also against the signed checkpoint"

# A checkpoint signed by another key is refused.
# (Change the signature's first hex digit to another one: overwriting it
# with a fixed digit left it unchanged one time in 16.)
python3 - "$T/checkpoint" "$T/bad-checkpoint" <<'PY'
import sys
text = open(sys.argv[1]).read()
at = text.index('"signature":"') + len('"signature":"')
digit = "1" if text[at] == "0" else "0"
open(sys.argv[2], "w").write(text[:at] + digit + text[at + 1:])
PY
chmod 644 "$T/bad-checkpoint"
status=0; mg_ctl audit verify --checkpoint "$T/bad-checkpoint" > /dev/null 2>&1 || status=$?
assert_eq 2 "$status" "verify with a forged checkpoint"
ok "a checkpoint with a bad signature is refused"

if [ "$MG_TEST_STORAGE" = postgresql ]; then
	conninfo=$(sed -n 's/^conninfo = //p' "$CONF")
	python3 "$TOOLS/audit_tamper.py" --pg-dump "$conninfo" "$T/pristine.db"
else
	cp "$DB" "$T/pristine.db"
fi
chmod 644 "$T/pristine.db"
workers=()
for i in $(seq 1 $WORKERS); do
	cp -a "$INST" "$T/worker$i"
	workers+=("$T/worker$i")
	if [ "$MG_TEST_STORAGE" = postgresql ]; then
		# Each worker its own copy of the database (nothing is connected
		# to the instance's now, as CREATE DATABASE ... TEMPLATE needs).
		"$MG_PG_BIN/createdb" -h "$MG_TEST_PG_HOST" -p "$MG_TEST_PG_PORT" -U medgate \
			-T "$MG_PG_DB" "${MG_PG_DB}_w$i"
		sed -i "s/dbname=$MG_PG_DB /dbname=${MG_PG_DB}_w$i /" "$T/worker$i/medgate.conf"
	fi
done

start=$(date +%s)
python3 "$TOOLS/audit_tamper.py" "$MEDGATECTL" "$T/pristine.db" "$T/checkpoint" "$COUNT" \
	"$SEED" "${workers[@]}" || fail "some tamperings were not reported right (seed $SEED)"
ok "$COUNT random tamperings each named at the first bad record ($(($(date +%s) - start)) s)"

# Export: JSON lines, recorded itself before the records leave.
mg_ctl audit export --since 1970-01-01T00:00:01Z --out "$INST/export.jsonl" 2> /dev/null ||
	fail "audit export"
assert_eq 201 "$(wc -l < "$INST/export.jsonl")" "exported records"
python3 - "$INST/export.jsonl" <<'PY' || fail "export is not JSON lines of records"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert [r["seq"] for r in rows] == list(range(1, 202))
assert rows[-1]["action"] == "audit.export" and rows[199]["action"] == "audit.checkpoint"
assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))
PY
out=$(mg_ctl audit verify) || fail "trail after export: $out"
ok "export writes 201 JSON lines in chain order; the trail still verifies"
