#!/usr/bin/env bash
# The store's disk fills up, on a small tmpfs mounted under the instance
# (needs root; skipped otherwise):
#   - below [detect] store_free_min an alert warns before the disk is full;
#   - once full, measurements are refused with 503 (devices keep them and
#     retry), and the log names SQLite's cause ("database or disk is
#     full") once for the lot, not a line per refused request; nothing is
#     reported as another gateway holding a lease;
#   - with space again, measurements are stored again.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# skipped: mounting a tmpfs needs root"; exit 77; }

mg_init
mg_conf_set detect scan_interval 1
mg_conf_set detect store_free_min 64	# MiB: more than the 8 MiB the store gets
owner=$(stat -c %u:%g "$INST/data")
cp -a "$INST/data" "$T/data.orig"
mount -t tmpfs -o size=8m,mode=0700,uid="${owner%:*}",gid="${owner#*:}" mg-store-full "$INST/data"
trap 'st=$?; umount -l "$INST/data" 2>/dev/null || true; (exit $st); mg_cleanup' EXIT
cp -a "$T/data.orig/." "$INST/data/"
mg_start
mg_enrol scale1
assert_contains "$(mg_send scale1 "$(mg_body m1 PAT-FULL-1)")" 201 "a measurement with room"

for _ in $(seq 1 30); do
	[ -n "$(mg_sql "SELECT 1 FROM alerts WHERE kind = 'store.free_space'")" ] && break
	sleep 0.5
done
summary=$(mg_sql "SELECT summary FROM alerts WHERE kind = 'store.free_space'")
assert_contains "$summary" "MiB free where the store lives" "the free space alert"
ok "free space below store_free_min is an alert before the disk is full: $summary"

# Fill the file system to the last byte.
dd if=/dev/zero of="$INST/data/filler" bs=64k 2>/dev/null || true
for i in 2 3 4 5 6; do
	got=$(MG_CURL_MAX_TIME=20 mg_send scale1 "$(mg_body "m$i" PAT-FULL-1)")
	assert_contains "$got" 503 "measurement $i on a full disk"
done
ok "a full store refuses measurements with 503 (the device keeps them)"
LOG=$INST/log/medgated.log
causes=$(grep -c "store: .*database or disk is full" "$LOG" || true)
[ "$causes" = 1 ] || { grep "store:" "$LOG" | tail; fail "the cause was logged $causes times, not once"; }
! grep -q "another gateway" "$LOG" || fail "a store failure was reported as another gateway's lease"
errors=$(grep -c "ERROR\|error" "$LOG" || true)
[ "$errors" -lt 10 ] || { tail -20 "$LOG"; fail "$errors error lines for 5 refused requests"; }
ok "the log names SQLite's cause once ($(grep -m1 'disk is full' "$LOG" | cut -c1-160))"
! grep -q "PAT-FULL" "$LOG" || fail "a patient id in the log"

rm -f "$INST/data/filler"
assert_contains "$(mg_send scale1 "$(mg_body m7 PAT-FULL-1)")" 201 "a measurement with room again"
ok "with space again, measurements are stored"
mg_stop
