#!/usr/bin/env bash
# The emergency handbook (docs/handbook.md): made from this instance's
# configuration and store as HTML and, through chromium, an A4 PDF with
# its sections, this instance's paths and commands and its inventory, no
# patient data; never over a file; medgatectl status and the security
# overview say when it is missing or no longer matches the configuration.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools
OUT=$MG_BIN/test-output/handbook
PAT=PAT-HB-66120
mkdir -p "$OUT"

mg_init
mg_conf_set handbook organisation "St. Example Hospital, ward 3"
mg_conf_set handbook security_contact "Dana Roe, +49 30 1234-567, security@example.org"
mg_conf_set handbook it_contact "IT service desk, +49 30 1234-000"
mg_conf_set handbook vendor_contact "medgate support, +49 30 9999-1"
mg_conf_set handbook reporting "security officer; data protection officer; management"
mg_start
mg_enrol scale-h
assert_contains "$(mg_send scale-h "$(mg_body hb-1 "$PAT" 70.5)")" "201 " "a measurement"
findings() {
	python3 "$TOOLS/security_overview.py" "$WEB_PORT" "$CA" "$T/admin-password" |
		python3 -c 'import json, sys; print(" ".join(f["kind"] for f in json.load(sys.stdin)["findings"]))'
}

set +e
mg_ctl status > "$T/status" 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "status exits 1 while the handbook was never printed"
assert_contains "$(cat "$T/status")" "handbook:       never printed" "status says so"
assert_contains "$(findings)" "handbook.missing" "the overview says no handbook was printed"
ok "before it is printed, status and the security overview ask for the handbook"

mg_ctl handbook --out "$T/hb.html" --pdf "$T/hb.pdf" > "$T/hb.out" || fail "handbook: $(cat "$T/hb.out")"
pdftotext "$T/hb.pdf" - | tr -s "\n " "  " > "$T/hb.txt"
for text in "medgate emergency handbook" "St. Example Hospital, ward 3" "1. Who to call" \
	"Dana Roe, +49 30 1234-567" "data protection officer" "2. Immediate actions" \
	"3. Playbook per alert" "password spraying" "4. Restart and restore" \
	"medgated -c $(realpath "$CONF")" "backup restore FILE --key KEYFILE --into DIR" \
	"5. Inventory" "Second factor" "admin"; do
	grep -qF -- "$text" "$T/hb.txt" || fail "the PDF lacks \"$text\""
done
grep -qF "<td>scale-h</td>" "$T/hb.html" || fail "the inventory lacks the device"
grep -qF "medgatectl -c $(realpath "$CONF") device block ID" "$T/hb.html" ||
	fail "the HTML does not carry this instance's commands"
for kind in $(grep -o '"[a-z_]*\.[a-z_.]*", MG_SEVERITY' "$MG_SOURCE_DIR"/src/*/*.c |
	cut -d'"' -f2 | sort -u) maintenance access.role_conflict; do
	grep -qF "<code>$kind</code>" "$T/hb.html" || fail "no playbook entry for alert $kind"
done
pages=$(pdfinfo "$T/hb.pdf" | awk '/^Pages:/ {print $2}')
[ "$pages" -ge 3 ] || fail "the PDF has $pages pages"
pdfinfo "$T/hb.pdf" | grep -q "Page size:.*(A4)" || fail "the PDF is not A4: $(pdfinfo "$T/hb.pdf" | grep 'Page size')"
pdftoppm -r 70 -png "$T/hb.pdf" "$OUT/handbook"
if grep -q "$PAT" "$T/hb.html" "$T/hb.txt"; then fail "a patient id is in the handbook"; fi
ok "handbook as HTML and an A4 PDF of $pages pages: contacts, reporting chain, actions, playbook, restart and restore with this instance's paths, inventory; no patient data"

if mg_ctl handbook --out "$T/hb.html" > "$T/again" 2>&1; then fail "the handbook overwrote a file"; fi
assert_contains "$(cat "$T/again")" "exists; the handbook never overwrites a file" "refusal"
mg_ctl status > "$T/status" || fail "status after printing: $(cat "$T/status")"
assert_contains "$(cat "$T/status")" "from this configuration" "status after printing"
assert_eq "" "$(findings | tr ' ' '\n' | grep handbook || true)" "no handbook finding once printed"
ok "printed: status exits 0 and the overview has no handbook finding; a file is never overwritten"

mg_stop
mg_conf_set handbook it_contact "IT service desk, +49 30 1234-111"
mg_start
assert_contains "$(findings)" "handbook.stale" "the overview says the handbook is out of date"
set +e
mg_ctl status > "$T/status" 2>&1
rc=$?
set -e
assert_eq 1 "$rc" "status exits 1 when the handbook is out of date"
assert_contains "$(cat "$T/status")" "out of date" "status says so"
[ "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'handbook.print'")" = 1 ] ||
	fail "printing the handbook is not on the audit trail"
mg_stop
ok "after the configuration changes, status and the overview say: handbook out of date, print it again"
