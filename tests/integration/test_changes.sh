#!/usr/bin/env bash
# Changes to review (docs/changes.md) and the security sheet
# (docs/security-sheet.md): a device enrolled and blocked, an interface
# switched and medgate.conf edited between two starts are listed; a
# security officer reviews one with a note (audited), the count drops on
# the security page, an admin may not review; the sheet matches the
# configuration that produced it and changes with it; HTML and PDF.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools

mg_init
mg_start
mg_enrol scale-c
assert_contains "$(mg_send scale-c "$(mg_body ch-1 PAT-CH-1 70.5)" -H 'X-Device-Firmware: 2.1.0')" "201 " \
	"a measurement naming the firmware"
dev=$(mg_sql "SELECT id FROM devices WHERE name = 'scale-c'")
mg_ctl device block "$dev" > /dev/null || fail "device block"
mg_ctl interface off mllp > /dev/null || fail "interface off"
echo "Tq7-vortex-lantern-88" > "$T/secpw"
mg_ctl user add secoff --role security-officer --password-file "$T/secpw" > /dev/null

sheet() { mg_ctl security-sheet > "$T/sheet.txt" || fail "security-sheet: $(cat "$T/sheet.txt")"; cat "$T/sheet.txt"; }
s=$(sheet)
assert_contains "$s" "web (inbound): on, :: port $WEB_PORT, every address" "the web port as configured"
assert_contains "$s" "device (inbound): on, :: port $DEVICE_PORT" "the device port as configured"
assert_contains "$s" "mllp (inbound): off, :: port $MLLP_PORT" "MLLP switched off"
assert_contains "$s" "TLS profile $(sed -n 's/^profile *= *//p' "$CONF" | head -1)" "the TLS profile"
assert_contains "$s" "TLS1.3" "the TLS versions"
assert_contains "$s" "listener.all_addresses" "a measure not met: every address"
assert_contains "$s" "scale-c: blocked, model unknown, firmware 2.1.0 (no minimum)" "the device"
assert_contains "$s" "secoff: security-officer; second factor no" "the account"
assert_contains "$s" "security-officer: " "the roles and rights"
assert_contains "$s" "Automatic logoff: Web sessions end after" "an MDS2 topic"
# The measures not met are the overview's findings: the only device is
# blocked (the device port serves nobody), no backup, no drill, no
# handbook, changes unreviewed, accounts without a second factor.
for kind in interface.unused backup.missing drill.missing handbook.missing changes.unreviewed \
	account.no_second_factor; do
	assert_contains "$s" "$kind: " "measure not met: $kind"
done
case "$s" in *"device.firmware_below_minimum"*) fail "no minimum firmware is configured" ;; esac
ok "the security sheet matches the configuration: ports, addresses, on/off, TLS profile"

mg_stop
mg_conf_set web address 127.0.0.1
mg_conf_set devices models "acme-s100:3.0"
mg_sql "UPDATE devices SET model = 'acme-s100' WHERE id = $dev"
mg_start
s=$(sheet)
assert_contains "$s" "web (inbound): on, 127.0.0.1 port $WEB_PORT, one address" "the sheet follows the address"
assert_contains "$s" "scale-c: blocked, model acme-s100, firmware 2.1.0 (below minimum)" \
	"the firmware against the model's new minimum"
# Only active devices count as a measure not met: this one is blocked.
case "$s" in *"device.firmware_below_minimum"*) fail "a blocked device counted" ;; esac
mg_ctl device unblock "$dev" > /dev/null || fail "device unblock"
assert_contains "$(sheet)" "device.firmware_below_minimum: 1 active device runs firmware below" \
	"an active device below the minimum is a measure not met"
case "$s" in *"The web and API port"*) fail "the web port is still said to listen everywhere" ;; esac
ok "a changed configuration changes the sheet"

mg_ctl changes list > "$T/changes" || fail "changes list"
for a in device.enrol device.firmware_changed device.update interface.switch config.file; do
	grep -q " $a " "$T/changes" || fail "$a not listed: $(cat "$T/changes")"
done
before=$(tail -1 "$T/changes" | cut -d' ' -f1)
ok "enrolled, blocked, switched and medgate.conf edited between two starts: $before changes listed"

id=$(python3 "$TOOLS/changes_review.py" "$WEB_PORT" "$CA" "$T/admin-password" "$T/secpw") ||
	fail "changes over the API"
# Recorded first, each time; the refused second review is followed by its failure.
assert_eq "success success failure" "$(mg_sql "SELECT outcome FROM audit_log WHERE action = 'change.review' AND object = 'change:$id' ORDER BY seq" | tr '\n' ' ' | sed 's/ $//')" "the review is audited"
assert_eq "planned maintenance window" "$(mg_sql "SELECT note FROM change_reviews WHERE seq = $id")" "the note stored"
mg_ctl changes list > "$T/changes2"
assert_eq "$((before - 1)) unreviewed" "$(tail -1 "$T/changes2")" "the count drops"
cfg=$(grep ' config.file ' "$T/changes" | head -1 | cut -d' ' -f1)
mg_ctl changes review "$cfg" --note "address narrowed" > /dev/null || fail "CLI review"
if mg_ctl changes review "$cfg" --note again 2> "$T/err"; then fail "reviewed twice"; fi
assert_contains "$(cat "$T/err")" "reviewed already" "a second review refused"
assert_eq "$((before - 2)) unreviewed" "$(mg_ctl changes list | tail -1)" "the CLI review counts"
ok "reviews with a note, audited; the count drops; an admin may not review; not twice"

mg_ctl security-sheet --format html --out "$T/sheet.html" --pdf "$T/sheet.pdf" || fail "sheet as HTML and PDF"
grep -q "<td>127.0.0.1 port $WEB_PORT</td>" "$T/sheet.html" || fail "the HTML lacks the web address"
grep -q "<h2>Authorization: user groups and their rights</h2>" "$T/sheet.html" || fail "HTML sections"
pdftotext "$T/sheet.pdf" "$T/sheet.pdf.txt" || fail "the PDF does not read"
grep -q "Product cyber security sheet" "$T/sheet.pdf.txt" || fail "the PDF lacks its title"
grep -q "Authorization: user groups and their rights" "$T/sheet.pdf.txt" || fail "the PDF lacks its sections"
if mg_ctl security-sheet --out "$T/sheet.html" 2> "$T/err"; then fail "the sheet overwrote a file"; fi
mg_stop
mg_start
mg_stop
assert_eq 1 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'config.file'")" \
	"the first start and a start with the same file record no config.file"
grep -q "PAT-CH-1" "$T/sheet.txt" "$T/sheet.html" "$T/changes" && fail "a patient id on the sheet or a change"
ok "the sheet as HTML and a PDF through chromium; never over a file; no patient data"
