#!/usr/bin/env bash
# Nothing lost, nothing twice, while things break: devices keep sending
# (tools/durability_client.py: 2 devices x 2 threads, one patient each,
# kept-alive and new connections, resending until acknowledged) to a
# gateway forwarding over MLLP with 4 connections to simple-hl7's MLLP
# server (tools/emr_hl7_peer.js), while
#   (a) the EMR is stopped for 2 s and started again,
#   (b) the EMR is killed with -9 at random moments and started again,
#   (c) the gateway itself is killed with -9 once and started again.
# Afterwards, once `outbox status` shows nothing pending (bounded wait):
#   - every measurement acknowledged to a device is stored exactly once
#     (durability_client.py check);
#   - every stored measurement got AA at the EMR, under its MSH-10
#     MG<instance>-<id>, and the EMR received nothing else;
#   - a message received again after an AA for it is allowed only when a
#     kill (of the EMR or the gateway) came between, and that AA was the
#     last message on its connection (so the gateway may never have read
#     it or recorded it); otherwise it is a duplicate delivery: a bug. A
#     message received again without any AA before is a resend with the
#     same id, as it should be;
#   - each patient's messages reached the EMR in the order measured.
# Rerun a failure with MG_SEED=<seed printed first>.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/emr_peer.sh"
PEER_KILLS=${MG_PEER_KILLS:-3}
SEED=${MG_SEED:-$RANDOM}
RANDOM=$SEED
echo "# seed $SEED (rerun with MG_SEED=$SEED)"

LOG=$T/sends.log
: >"$LOG"
acks() { grep -c '^ACK ' "$LOG" || true; }
# Wait (bounded) until COUNTER has grown by N over BEFORE.
wait_more() { # counter before n what
	for _ in $(seq 1 150); do
		[ "$($1)" -ge $(($2 + $3)) ] && return 0
		kill -0 "$SENDERS" 2>/dev/null || { cat "$T/senders.out"; fail "senders exited ($4)"; }
		sleep 0.1
	done
	fail "no progress within 15 s: $4 ($1: $($1), wanted $(($2 + $3)))"
}
pause() { # min max: sleep a random time from MIN s to MAX s + 0.999
	sleep "$(printf '%d.%03d' $(($1 + RANDOM % ($2 - $1 + 1))) $((RANDOM % 1000)))"
}

peer_start
mg_init
cat >>"$CONF" <<EOF

[emr.main]
protocol = hl7-mllp
address = 127.0.0.1:$PEER_PORT
tls = off
connections = 4
timeout = 5
retry_max = 1
EOF
mg_start
mg_enrol scale1
mg_enrol scale2

python3 "$TOOLS/durability_client.py" send --port "$DEVICE_PORT" --ca "$CA" \
	--device "scale1:$T/dev/scale1/cert.pem:$T/dev/scale1/key.pem" \
	--device "scale2:$T/dev/scale2/cert.pem:$T/dev/scale2/key.pem" \
	--threads 2 --out "$LOG" --stop "$T/stop" --max-seconds 120 --seed "$SEED" \
	>"$T/senders.out" 2>&1 &
SENDERS=$!
MG_BACKGROUND+=("$SENDERS")
wait_more acks 0 30 "first measurements"
wait_more received 0 20 "first deliveries"

# (a) the EMR stopped for 2 s, then started again.
peer_signal TERM
mark peer-stopped
at=$(acks)
sleep 2
wait_more acks "$at" 20 "sends while the EMR is down"
before=$(received)
peer_start
wait_more received "$before" 20 "deliveries after the EMR came back"
ok "(a) EMR stopped for 2 s while devices sent $(($(acks) - at)) measurements, started again: deliveries resumed"

# (b) the EMR killed with -9 at random moments.
for k in $(seq 1 "$PEER_KILLS"); do
	pause 0 1
	peer_signal KILL
	mark peer-killed
	pause 0 1
	before=$(received)
	peer_start
	wait_more received "$before" 10 "deliveries after kill $k of the EMR"
done
ok "(b) EMR killed with -9 $PEER_KILLS times at random moments and restarted: deliveries resumed each time"

# (c) the gateway killed with -9 once.
pause 0 1
at=$(acks)
echo KILL >>"$LOG"
mg_kill9
mark gateway-killed
mg_start
restarted=$(date +%s%3N)
wait_more acks "$at" 20 "sends after the gateway's restart"
ok "(c) gateway killed with -9 after $at acknowledgements, restarted; devices go on"

touch "$T/stop"
status=0
wait "$SENDERS" || status=$?
cat "$T/senders.out"
[ "$status" -eq 0 ] || fail "senders did not stop cleanly"

stopped=$SECONDS
# Bounded wait until everything is out. Messages in flight when the
# gateway died stay leased for timeout + 30 s (35 s here).
drained='' deadline=$((SECONDS + 120))
while [ "$SECONDS" -lt "$deadline" ]; do
	if mg_ctl outbox status | awk '$1 == "main" && $4 == 0 { ok = 1 } END { exit !ok }'; then
		drained=$SECONDS
		break
	fi
	sleep 0.5
done
[ -n "$drained" ] || { mg_ctl outbox status; fail "outbox not empty 120 s after the senders stopped"; }
mg_ctl outbox status
echo "# outbox empty $((drained - stopped)) s after the senders stopped"

mg_ctl measurement list --jsonl --limit 1000000 >"$T/list.json"
mg_count >"$T/count"
python3 "$TOOLS/durability_client.py" check --log "$LOG" --list "$T/list.json" --count "$T/count" ||
	fail "stored measurements do not match the acknowledgements"
ok "every measurement acknowledged to a device is stored, exactly once"

python3 - "$PLOG" "$T/list.json" "$restarted" "$INST/data/medgate.db" <<'PY' ||
import json, os, re, sqlite3, sys
plog, listing, restarted, db = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
events = [json.loads(l) for l in open(plog) if l.strip()]
stored = {json.loads(l)["id"] for l in open(listing) if l.strip()}
problems = []

recvs = [(i, e) for i, e in enumerate(events) if e["ev"] == "recv"]
instances = {re.fullmatch(r"MG([0-9a-f]{16})-(\d+)", e["id"]).group(1) if
             re.fullmatch(r"MG([0-9a-f]{16})-(\d+)", e["id"]) else e["id"] for _, e in recvs}
if len(instances) != 1:
    problems.append(f"MSH-10 not MG<one instance>-<id>: {sorted(instances)[:5]}")
inst = sorted(instances)[0]
mid = lambda e: int(e["id"].rsplit("-", 1)[1])

# Every stored measurement got AA; nothing else arrived.
aa = {}
for i, e in enumerate(events):
    if e["ev"] == "answer" and e["code"] == "AA":
        aa.setdefault(e["id"], []).append(i)
missing = sorted(m for m in stored if f"MG{inst}-{m}" not in aa)
if missing:
    problems.append(f"{len(missing)} stored measurements never got AA at the EMR: {missing[:10]}")
phantom = sorted({mid(e) for _, e in recvs} - stored)
if phantom:
    problems.append(f"the EMR received measurements that are not stored: {phantom[:10]}")

# Receipts again after an AA: only across a kill, and only if that AA was
# the last message on its connection before the kill.
kills = [i for i, e in enumerate(events) if e["ev"] in ("peer-killed", "gateway-killed")]
conn_of = {}                    # event index of an answer -> its connection
for i, e in enumerate(events):
    if e["ev"] == "answer":
        conn_of[i] = e["conn"]
# The connection numbering restarts with every peer: tell connections apart
# by (peer incarnation, number).
incarnation, inc_of = 0, {}
for i, e in enumerate(events):
    if e["ev"] == "listen":
        incarnation += 1
    inc_of[i] = incarnation
recv_on = {}
for i, e in recvs:
    recv_on.setdefault((inc_of[i], e["conn"]), []).append(i)
seen_count, dup_unanswered, dup_after_kill = {}, 0, 0
for j, e in recvs:
    seen_count[e["id"]] = seen_count.get(e["id"], 0) + 1
    if seen_count[e["id"]] == 1:
        continue
    earlier = [i for i in aa.get(e["id"], []) if i < j]
    if not earlier:
        dup_unanswered += 1     # sent again with no AA before: as it should be
        continue
    i = earlier[-1]
    conn = (inc_of[i], conn_of[i])
    excused = False
    for k in kills:
        if i < k < j and not any(i < r < k for r in recv_on[conn]):
            excused = True
            break
    if excused:
        dup_after_kill += 1
    else:
        problems.append(f"{e['id']} acknowledged AA (log line {i + 1}, connection {conn}) and "
                        f"received again (line {j + 1}) with no kill between that could have "
                        f"lost the AA: delivered twice")

# Per patient, in the order measured.
last = {}
for j, e in recvs:
    p = e["patient"]
    if mid(e) < last.get(p, 0):
        problems.append(f"{p}: measurement {mid(e)} reached the EMR after {last[p]}")
    last[p] = max(last.get(p, 0), mid(e))

# How long delivery stalled after the gateway's restart.
# (a patient whose message was in flight waits for its lease: timeout + 30 s).
first_after = {}
for _, e in recvs:
    if e["t"] >= restarted:
        first_after.setdefault(e["patient"], (e["t"] - restarted) / 1000)
stall = "%s s (first patient), %s s (last patient)" % (
    min(first_after.values(), default=None), max(first_after.values(), default=None))

for p in problems[:20]:
    print("PROBLEM:", p)
# For a report: what the EMR saw of a missing or doubled id, and its outbox row.
suspects = [f"MG{inst}-{m}" for m in missing[:3]] + \
    [p.split()[0] for p in problems if "delivered twice" in p][:3]
for sid in suspects:
    print(f"--- {sid}:")
    for i, e in enumerate(events):
        if e.get("id") == sid or e["ev"] in ("peer-killed", "gateway-killed", "peer-stopped", "listen"):
            brief = {k: v for k, v in e.items() if k not in ("raw", "msh", "obx", "obr", "segments")}
            print(f"  line {i + 1}: {json.dumps(brief)}")
    if not os.path.exists(db):
        continue  # PostgreSQL: medgatectl outbox shows the rows
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for row in con.execute("SELECT id, state, attempts, created_ms, delivered_ms, last_error"
                           " FROM outbox WHERE measurement_id = ?", (int(sid.rsplit("-", 1)[1]),)):
        print("  outbox row (id, state, attempts, created_ms, delivered_ms, last_error):", row)
print(f"EMR: {len(recvs)} messages received, {len(aa)} distinct ids acknowledged AA for "
      f"{len(stored)} stored; {dup_unanswered} resends of unanswered messages, "
      f"{dup_after_kill} resends after an AA lost in a kill; {len(last)} patients in order; "
      f"deliveries after the gateway's restart began {stall} later")
sys.exit(1 if problems else 0)
PY
	fail "the EMR's view does not match the store (see above)"
assert_eq "0 $(cat "$T/count") 0" "$(mg_ctl outbox status | awk '$1 == "main" { print $4, $5, $6 }')" \
	"outbox status at the end"
ok "every stored measurement reached the EMR (AA) under its MSH-10; resent only when unanswered or across a kill; each patient in order"

peer_signal TERM
mg_stop
ok "clean stop"
