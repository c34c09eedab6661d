#!/usr/bin/env bash
# medgatectl's output for programs: --json (and --format json) is one JSON
# document, an array; --jsonl (and --format jsonl, the export's default)
# one JSON object a line. Checked with Python's json module, for none, one
# and several rows.
. "$(dirname "$0")/lib.sh"

mg_init
mg_start
# is_array FILE N: FILE is one JSON array of N objects.
is_array() {
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert isinstance(doc, list), type(doc)
assert len(doc) == int(sys.argv[2]), (len(doc), sys.argv[2])
assert all(isinstance(o, dict) for o in doc)' "$1" "$2" || fail "$1 is not a JSON array of $2 objects: $(head -c 300 "$1")"
}
# is_lines FILE N: FILE holds N lines, each one JSON object.
is_lines() {
	python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[2]) and all(isinstance(o, dict) for o in rows), rows' "$1" "$2" ||
		fail "$1 is not $2 JSON lines"
}

mg_ctl measurement list --json > "$T/none.json"
is_array "$T/none.json" 0
mg_enrol scale
for i in 1 2 3; do
	assert_eq "201" "$(mg_send scale "$(mg_body "m-$i" "P-$i")" | cut -d' ' -f1)" "measurement $i"
done
mg_ctl measurement list --json > "$T/three.json"
is_array "$T/three.json" 3
mg_ctl measurement list --json --limit 1 > "$T/one.json"
is_array "$T/one.json" 1
mg_ctl measurement list --jsonl > "$T/three.jsonl"
is_lines "$T/three.jsonl" 3
ok "measurement list --json is one JSON array; --jsonl one object a line"

mg_ctl audit export --since 2000-01-01T00:00:00Z --format json > "$T/audit.json" 2>/dev/null
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/audit.json") ||
	fail "audit export --format json is not one JSON document: $(head -c 300 "$T/audit.json")"
[ "$n" -ge 2 ] || fail "audit export --format json: $n records"
mg_ctl audit export --since 2000-01-01T00:00:00Z > "$T/audit.jsonl" 2>/dev/null
mg_ctl audit export --since 2000-01-01T00:00:00Z --format jsonl > "$T/audit2.jsonl" 2>/dev/null
is_lines "$T/audit2.jsonl" "$(wc -l < "$T/audit2.jsonl")"
[ "$(wc -l < "$T/audit.jsonl")" -ge "$n" ] || fail "the default export is not JSON lines"
ok "audit export --format json is one JSON array; jsonl (the default) one object a line"
mg_stop
