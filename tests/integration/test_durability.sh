#!/usr/bin/env bash
# kill -9 of the daemon in the middle of a stream of sends: every
# measurement that was acknowledged (201, or 200 for a resend) is stored
# after the restart, exactly once and under the id the answer named; a
# resend after a lost answer is answered 200 with the same id.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools

CYCLES=${MG_KILL_CYCLES:-3}
SEED=${MG_SEED:-$RANDOM}
RANDOM=$SEED
echo "# seed $SEED (rerun with MG_SEED=$SEED)"

mg_init
mg_start
mg_enrol scale1
mg_enrol scale2

LOG=$T/sends.log
: > "$LOG"
acks() { grep -c '^ACK ' "$LOG" || true; }

# Four senders: two threads for each device, kept-alive and new connections.
python3 "$TOOLS/durability_client.py" send --port "$DEVICE_PORT" --ca "$CA" \
	--device "scale1:$T/dev/scale1/cert.pem:$T/dev/scale1/key.pem" \
	--device "scale2:$T/dev/scale2/cert.pem:$T/dev/scale2/key.pem" \
	--threads 2 --out "$LOG" --stop "$T/stop" --max-seconds 50 --seed "$SEED" \
	> "$T/senders.out" 2>&1 &
SENDERS=$!
MG_BACKGROUND+=("$SENDERS")

# Wait (bounded) until at least N more acknowledgements than BEFORE.
wait_acks() { # before n what
	local i
	for i in $(seq 1 100); do
		[ "$(acks)" -ge $(($1 + $2)) ] && return 0
		kill -0 "$SENDERS" 2>/dev/null || { cat "$T/senders.out"; fail "senders exited ($3)"; }
		sleep 0.1
	done
	fail "no measurements acknowledged within 10 s ($3)"
}

wait_acks 0 20 "before the first kill"
for cycle in $(seq 1 "$CYCLES"); do
	before=$(acks)
	# 0.5 to 2 s into the stream.
	sleep "$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))"
	[ "$(acks)" -gt "$before" ] || wait_acks "$before" 1 "stream before kill $cycle"
	echo KILL >> "$LOG"
	at_kill=$(acks)
	mg_kill9
	mg_start
	# The senders find the daemon again and go on.
	wait_acks "$at_kill" 20 "after restart $cycle"
	ok "cycle $cycle: killed with -9 after $at_kill acknowledgements, restarted, sends resumed"
done

touch "$T/stop"
status=0
wait "$SENDERS" || status=$?
cat "$T/senders.out"
[ "$status" -eq 0 ] || fail "senders did not stop cleanly"

mg_ctl measurement list --jsonl --limit 1000000 > "$T/list.json"
mg_count > "$T/count"
python3 "$TOOLS/durability_client.py" check --log "$LOG" --list "$T/list.json" \
	--count "$T/count" --before-kill "$T/before-kill" ||
	fail "stored measurements do not match the acknowledgements"
ok "every acknowledged measurement stored exactly once, under the acknowledged id ($(acks) answers, $(cat "$T/count") stored)"

# The last acknowledgement before each kill, sent again as after a lost
# answer: 200, same gateway id, nothing new stored.
count=$(mg_count)
n=0
while read -r dev mid gw; do
	out=$(mg_send "$dev" "$(mg_body "$mid" "P-$dev")")
	assert_eq "200 {\"id\":$gw,\"duplicate\":true}" "$out" "resend of $mid after restart"
	n=$((n + 1))
done < "$T/before-kill"
[ "$n" -ge 1 ] || fail "no acknowledgement recorded before a kill"
assert_eq "$count" "$(mg_count)" "rows after resending acknowledged ids"
ok "resending $n ids acknowledged just before a kill answers 200 with the same id"

mg_stop
ok "clean stop"
