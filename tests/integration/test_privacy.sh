#!/usr/bin/env bash
# Patient identifiers never reach the disk in clear: not in the database,
# its WAL, nor the log; and operator listings never show them.
. "$(dirname "$0")/lib.sh"

mg_init
mg_conf_set instance log_level debug
mg_start
mg_enrol scale1

ids=()
for i in $(seq 1 20); do
	pid="PATIENT-ZX$(printf '%04d' "$i")Q"
	ids+=("$pid")
	assert_contains "$(mg_send scale1 "$(mg_body "m-$i" "$pid")")" "201 " "measurement $i"
done
# A bad request carrying a patient id must not log it either.
mg_send scale1 '{"id":"bad","time":"2026-11-22T10:00:00Z","patient":{"id":"PATIENT-ZX0001Q"},"values":[{"type":"body_weight","value":9999,"unit":"kg"}]}' >/dev/null
mg_ctl measurement list > "$T/list.txt"
mg_ctl measurement list --jsonl > "$T/list.json"
assert_eq 20 "$(wc -l < "$T/list.json")" "listed measurements"

check_files() { # when
	for f in "$INST"/data/* "$INST"/log/* "$T/list.txt" "$T/list.json" "$T/medgated.stderr"; do
		[ -f "$f" ] || continue
		for pid in "${ids[@]}"; do
			if grep -aq "$pid" "$f"; then fail "$1: patient id $pid found in $f"; fi
		done
		# Also the common prefix, in case of partial leaks.
		if grep -aq "PATIENT-ZX" "$f"; then fail "$1: patient id prefix found in $f"; fi
	done
}
[ -s "$INST/data/medgate.db-wal" ] || fail "no WAL file to check while running"
check_files "while running"
ok "no patient id in the database, WAL, log or listings while running"
mg_stop
check_files "after stop"
ok "no patient id on disk after stop"

# Same patient, same tenant: one patient row (the blind index finds it).
assert_eq 20 "$(sqlite3 "$INST/data/medgate.db" 'SELECT count(*) FROM patients')" "patients"
mg_start
assert_contains "$(mg_send scale1 "$(mg_body m-21 "${ids[0]}")")" "201 " "again"
mg_stop
assert_eq 20 "$(sqlite3 "$INST/data/medgate.db" 'SELECT count(*) FROM patients')" "patients after repeat"
ok "a returning patient is found through the blind index, not stored twice"
