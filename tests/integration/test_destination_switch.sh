#!/usr/bin/env bash
# One EMR destination switched off on its own (medgatectl interface off
# emr.NAME): its queue is held, nothing reaches the EMR (simple-hl7's MLLP
# server), and switched on it catches up; the other interfaces stay on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/emr_peer.sh"

peer_start
mg_init
printf '\n[emr.records]\nprotocol = hl7-mllp\naddress = 127.0.0.1:%s\ntls = off\n' "$PEER_PORT" >> "$CONF"
mg_start
mg_enrol scale-d

mg_ctl interface off emr.records > "$T/off.out"
assert_contains "$(cat "$T/off.out")" "EMR destination records switched off" "switch output"
mg_ctl interface list | grep -Eq '^emr\.records +off +hl7-mllp' || fail "list: $(mg_ctl interface list)"
sleep 1.5	# the forwarder reads the switch at most once a second
assert_contains "$(mg_send scale-d "$(mg_body d-1 PAT-DEST-1)")" "201 " "measurement while off"
sleep 3
assert_eq 0 "$(received)" "messages at the EMR while its destination is off"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM outbox WHERE destination = 'records' AND state = 'pending' AND attempts = 0")" \
	"queue held"
ok "a destination switched off holds its queue; nothing reaches the EMR"

mg_ctl interface on emr.records > /dev/null
for _ in $(seq 100); do [ "$(received)" -ge 1 ] && break; sleep 0.1; done
assert_eq 1 "$(received)" "messages at the EMR after switching on"
assert_contains "$(mg_ctl interface off emr.nope 2>&1 || true)" "no [emr.nope]" "unknown destination"
mg_stop
ok "switched on, the queue catches up"
