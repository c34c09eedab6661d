#!/usr/bin/env bash
# Scale-out on PostgreSQL: two medgated on one database behind a real
# HAProxy (TCP mode for the device port, MLLP and web), devices sending
# through it (tools/durability_client.py: 2 devices x 2 threads, resending
# until acknowledged), failed sign-ins through its web port writing audit
# records on both gateways at once, forwarding to one EMR peer (simple-hl7,
# tools/emr_hl7_peer.js) from both gateways' forwarders, while one gateway
# at a time is killed with -9 at random moments and restarted
# (MG_GATEWAY_KILLS times, default 4). Afterwards (bounded waits):
#   - every measurement acknowledged to a device is stored exactly once;
#   - the EMR has every stored measurement by its MSH-10, AA, and nothing
#     else; one received again after its AA only across a gateway kill
#     (at-least-once delivery: the AA may have died with the gateway);
#   - `medgatectl audit verify` exits 0: one chain, no fork;
#   - the MLLP and web frontends of HAProxy reach a gateway.
# Runs under tests/pg/pg-run.sh with MG_TEST_STORAGE=postgresql.
# Rerun a failure with MG_SEED=<seed printed first>.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/emr_peer.sh"
KILLS=${MG_GATEWAY_KILLS:-4}
SEED=${MG_SEED:-$RANDOM}
RANDOM=$SEED
echo "# seed $SEED (rerun with MG_SEED=$SEED)"

[ "$MG_TEST_STORAGE" = postgresql ] || fail "run me under tests/pg/pg-run.sh with MG_TEST_STORAGE=postgresql"
command -v haproxy >/dev/null || fail "haproxy is missing (scripts/install-deps.sh installs it)"

LOG=$T/sends.log
: >"$LOG"
acks() { grep -c '^ACK ' "$LOG" || true; }
pause() { # min max: sleep a random time from MIN s to MAX s + 0.999
	sleep "$(printf '%d.%03d' $(($1 + RANDOM % ($2 - $1 + 1))) $((RANDOM % 1000)))"
}

peer_start
mg_init
cat >>"$CONF" <<EOF2

[emr.main]
protocol = hl7-mllp
address = 127.0.0.1:$PEER_PORT
tls = off
connections = 2
timeout = 3
retry_max = 1
EOF2
mg_conf_set mllp enabled on

# The second gateway: the same keys, CAs and database, its own ports.
INST2=$T/instance2
cp -a "$INST" "$INST2"
declare -A WEB=([1]=$WEB_PORT [2]=$(free_port)) DEV=([1]=$DEVICE_PORT [2]=$(free_port)) \
	MLLP=([1]=$MLLP_PORT [2]=$(free_port)) CONFS=([1]=$CONF [2]=$INST2/medgate.conf) PIDS=()
CONF=$INST2/medgate.conf mg_conf_set web port "${WEB[2]}"
CONF=$INST2/medgate.conf mg_conf_set device port "${DEV[2]}"
CONF=$INST2/medgate.conf mg_conf_set mllp port "${MLLP[2]}"

gw_start() { # n
	"$MEDGATED" -c "${CONFS[$1]}" 2>>"$T/gw$1.stderr" &
	PIDS[$1]=$!
	MG_BACKGROUND+=("$!")
	for _ in $(seq 1 100); do
		curl -s -o /dev/null --cacert "$CA" "https://localhost:${WEB[$1]}/api/v1/health" &&
			curl -s -o /dev/null --cacert "$CA" "https://localhost:${DEV[$1]}/.well-known/est/cacerts" &&
			return 0
		kill -0 "${PIDS[$1]}" 2>/dev/null || { tail -n 20 "$T/gw$1.stderr"; fail "gateway $1 exited at start"; }
		sleep 0.1
	done
	fail "gateway $1 did not answer within 10 s"
}
gw_kill9() { # n
	kill -KILL "${PIDS[$1]}"
	wait "${PIDS[$1]}" 2>/dev/null || true
}
gw_stop() { # n: SIGTERM and a clean exit (sanitizers report through the status)
	local status=0
	kill -TERM "${PIDS[$1]}"
	wait "${PIDS[$1]}" || status=$?
	[ "$status" -eq 0 ] || { tail -n 30 "$T/gw$1.stderr"; fail "gateway $1 exited with $status"; }
}

HA_WEB=$(free_port) HA_DEV=$(free_port) HA_MLLP=$(free_port)
ha_section() { # name port backend-ports...
	printf 'listen %s\n\tbind 127.0.0.1:%s\n\tbalance roundrobin\n' "$1" "$2"
	printf '\toption redispatch\n\tretries 3\n'
	printf '\tserver gw1 127.0.0.1:%s check inter 300ms fall 1 rise 1\n' "$3"
	printf '\tserver gw2 127.0.0.1:%s check inter 300ms fall 1 rise 1\n' "$4"
}
{
	printf 'global\n\tmaxconn 2000\n\tlog stderr format short local0 warning\n'
	printf 'defaults\n\tmode tcp\n\tlog global\n\ttimeout connect 2s\n'
	printf '\ttimeout client 60s\n\ttimeout server 60s\n'
	ha_section device "$HA_DEV" "${DEV[1]}" "${DEV[2]}"
	ha_section web "$HA_WEB" "${WEB[1]}" "${WEB[2]}"
	ha_section mllp "$HA_MLLP" "${MLLP[1]}" "${MLLP[2]}"
} >"$T/haproxy.cfg"
haproxy -c -f "$T/haproxy.cfg" >/dev/null || fail "haproxy rejects its configuration"
haproxy -db -f "$T/haproxy.cfg" 2>"$T/haproxy.log" &
MG_BACKGROUND+=("$!")

gw_start 1
gw_start 2
for _ in $(seq 1 50); do
	curl -s -o /dev/null --cacert "$CA" "https://localhost:$HA_WEB/api/v1/health" && break
	sleep 0.1
done
# Enrol through HAProxy: the token is made by one gateway's CLI, used on
# whichever gateway HAProxy picks.
DEVICE_URL=https://localhost:$HA_DEV
mg_enrol scale1
mg_enrol scale2
ok "two gateways on one PostgreSQL behind HAProxy; devices enrolled through it"

python3 "$TOOLS/durability_client.py" send --port "$HA_DEV" --ca "$CA" \
	--device "scale1:$T/dev/scale1/cert.pem:$T/dev/scale1/key.pem" \
	--device "scale2:$T/dev/scale2/cert.pem:$T/dev/scale2/key.pem" \
	--threads 2 --out "$LOG" --stop "$T/stop" --max-seconds 150 --seed "$SEED" \
	>"$T/senders.out" 2>&1 &
SENDERS=$!
MG_BACKGROUND+=("$SENDERS")
# Failed sign-ins through the web frontend: audit records appended by both
# gateways at once (and refused addresses, also on the trail).
(
	while [ ! -e "$T/stop" ]; do
		curl -s -o /dev/null --max-time 5 --cacert "$CA" -H 'Content-Type: application/json' \
			--data-binary '{"user":"nobody","password":"wrong-password-123"}' \
			"https://localhost:$HA_WEB/api/v1/session" || true
		sleep 0.05
	done
) &
MG_BACKGROUND+=("$!")

wait_acks() { # before n what
	for _ in $(seq 1 200); do
		[ "$(acks)" -ge $(($1 + $2)) ] && return 0
		kill -0 "$SENDERS" 2>/dev/null || { cat "$T/senders.out"; fail "senders exited ($3)"; }
		sleep 0.1
	done
	fail "no progress within 20 s: $3 (acks $(acks), wanted $(($1 + $2)))"
}
wait_acks 0 30 "first measurements"

for k in $(seq 1 "$KILLS"); do
	pause 0 2
	n=$((1 + RANDOM % 2))
	echo KILL >>"$LOG"
	gw_kill9 "$n"
	mark gateway-killed
	at=$(acks)
	wait_acks "$at" 10 "sends while gateway $n is down (kill $k)"
	pause 0 1
	gw_start "$n"
	at=$(acks)
	wait_acks "$at" 10 "sends after gateway $n came back (kill $k)"
done
ok "gateways killed with -9 $KILLS times at random moments and restarted; devices went on through HAProxy ($(acks) acknowledged)"

touch "$T/stop"
status=0
wait "$SENDERS" || status=$?
cat "$T/senders.out"
[ "$status" -eq 0 ] || fail "senders did not stop cleanly"

# Bounded wait until everything is out: rows leased by a killed gateway
# come free after timeout + 30 s.
drained='' deadline=$((SECONDS + 150))
while [ "$SECONDS" -lt "$deadline" ]; do
	if mg_ctl outbox status | awk '$1 == "main" && $4 == 0 { ok = 1 } END { exit !ok }'; then
		drained=1
		break
	fi
	sleep 0.5
done
[ -n "$drained" ] || { mg_ctl outbox status; fail "outbox not empty 150 s after the senders stopped"; }

mg_ctl measurement list --jsonl --limit 1000000 >"$T/list.json"
mg_count >"$T/count"
python3 "$TOOLS/durability_client.py" check --log "$LOG" --list "$T/list.json" --count "$T/count" ||
	fail "stored measurements do not match the acknowledgements"
ok "every measurement acknowledged to a device is stored, exactly once"

python3 - "$PLOG" "$T/list.json" <<'PY' || fail "the EMR's view does not match the store"
import json, re, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
stored = {json.loads(l)["id"] for l in open(sys.argv[2]) if l.strip()}
ids = re.compile(r"MG([0-9a-f]{16})-(\d+)")
recv = [(i, e) for i, e in enumerate(events) if e["ev"] == "recv"]
problems = []
instances = {ids.fullmatch(e["id"]).group(1) if ids.fullmatch(e["id"]) else e["id"] for _, e in recv}
if len(instances) != 1:
    problems.append(f"MSH-10 not MG<one instance id>-<id> from both gateways: {sorted(instances)[:4]}")
aa = {}
for i, e in enumerate(events):
    if e["ev"] == "answer" and e.get("code") == "AA":
        aa.setdefault(int(e["id"].rsplit("-", 1)[1]), []).append(i)
missing = sorted(stored - set(aa))
phantom = sorted(set(aa) - stored)
if missing:
    problems.append(f"{len(missing)} stored measurements never got AA at the EMR: {missing[:10]}")
if phantom:
    problems.append(f"the EMR acknowledged measurements that are not stored: {phantom[:10]}")
kills = [i for i, e in enumerate(events) if e["ev"] == "gateway-killed"]
again = 0
for m, lines in aa.items():
    for a, b in zip(lines, lines[1:]):
        # A second delivery is allowed only with a gateway kill between
        # the first AA and it (the AA may have died with the gateway).
        if not any(a < k < b for k in kills):
            problems.append(f"measurement {m} delivered twice without a kill between (lines {a + 1}, {b + 1})")
        again += 1
for p in problems[:20]:
    print("PROBLEM:", p)
print(f"EMR: {len(aa)} distinct ids acknowledged for {len(stored)} stored, {again} sent again across"
      f" {len(kills)} gateway kills")
sys.exit(1 if problems else 0)
PY
ok "the EMR has every stored measurement by id (AA), nothing else; resent only across a kill"

assert_eq "ACK AA RAW-OK -" "$(timeout 60 python3 "$TOOLS/mllp_raw.py" "$HA_MLLP" "$CA" \
	"$T/dev/scale1/cert.pem" "$T/dev/scale1/key.pem" valid)" "MLLP through HAProxy"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "https://localhost:$HA_WEB/api/v1/health")" \
	"web through HAProxy"
ok "MLLP and web frontends of HAProxy reach a gateway"

out=$(mg_ctl audit verify) || fail "audit verify after the kills: $out"
records=$(mg_sql "SELECT count(*) FROM audit_log")
[ "$records" -gt 20 ] || fail "only $records audit records: the sign-ins did not reach the trail"
ok "the audit trail of both gateways verifies: $out"

gw_stop 1
gw_stop 2
peer_signal TERM
