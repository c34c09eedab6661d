#!/usr/bin/env bash
# EMR forwarding over MLLP: medgated's forwarder against simple-hl7's own
# MLLP client, both sending to simple-hl7's MLLP server
# (tests/integration/tools/emr_hl7_peer.js in --quiet mode) in the same run,
# with 1 and with 4 connections (DESIGN.md section 7: "EMR forwarding over
# MLLP: >= the peer library's own client to the same server; more with
# per-patient parallel connections").
#
#   bench/forward-compare.sh --gateway BUILD_DIR [--messages N] [--patients P]
#                            [--repeat R] [--quick] [--write|--no-write] [--keep]
#
# Method. One instance (medgatectl init, listeners on 127.0.0.1) with one
# [emr.NAME] destination per measured run, all `enabled = off` while N
# measurements (body weight and height, P patients in turn) are ingested
# over mutual TLS: every measurement then waits in the outbox of every
# destination. Each forwarder run restarts medgated with one destination on
# (connections 1 or 4) against a freshly started server, which writes the
# time of the first message it received and of its N-th answer: messages/s
# = (N - 1) / that time, measured where both contenders are measured. The
# simple-hl7 run sends the same N messages - medgate's own ORU^R01 as the
# server captured it in the first run, MSH-10 made unique per message with
# the library's parser - with TcpClient (keepalive, stop-and-wait as MLLP
# is, each ACK checked for AA and its MSH-10), 1 or 4 clients at once, to
# the same server, timed the same way. Runs alternate (forwarder, client,
# client, forwarder for --repeat 2); the table shows each one's best run.
#
# Loopback only; every process started is stopped on exit.
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "$0")/.." && pwd)
PEER_JS=$SOURCE_DIR/tests/integration/tools/emr_hl7_peer.js
SIMPLE_HL7_VERSION=3.3.0
GATEWAY='' MESSAGES=5000 PATIENTS=16 REPEAT=1 QUICK='' WRITE=auto KEEP=''
CONNS=(1 4)

usage() {
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--gateway) GATEWAY=$(cd "$2" && pwd); shift 2 ;;
	--messages) MESSAGES=$2; shift 2 ;;
	--patients) PATIENTS=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--quick) QUICK=1; MESSAGES=1000; shift ;;
	--write) WRITE=yes; shift ;;
	--no-write) WRITE=no; shift ;;
	--keep) KEEP=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$GATEWAY" ] || { echo "forward-compare: --gateway BUILD_DIR is required" >&2; usage; }
# The docs name the build folder as the repository sees it, not this
# machine's path to it.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GATEWAY_SHOWN=${GATEWAY#"$ROOT"/}
for b in medgated medgatectl medgate-device; do
	[ -x "$GATEWAY/$b" ] || { echo "forward-compare: $GATEWAY/$b is not built" >&2; exit 1; }
done
for tool in node npm python3 curl; do
	command -v "$tool" >/dev/null || { echo "forward-compare: $tool is missing" >&2; exit 1; }
done
[ "$WRITE" = auto ] && WRITE=$([ -n "$QUICK" ] && echo no || echo yes)
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$GATEWAY/CMakeCache.txt" 2>/dev/null ||
	echo "forward-compare: warning: $GATEWAY is not a Release build" >&2

# simple-hl7, where the integration tests install it (same lock).
NODE_DIR=$GATEWAY/test-node/simple-hl7-$SIMPLE_HL7_VERSION
SIMPLE_HL7=$NODE_DIR/node_modules/simple-hl7
mkdir -p "$NODE_DIR"
(
	flock -w 300 9 || { echo "forward-compare: waited too long for $NODE_DIR.lock" >&2; exit 1; }
	if [ ! -f "$SIMPLE_HL7/package.json" ]; then
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			"simple-hl7@$SIMPLE_HL7_VERSION" >&2
	fi
) 9>"$NODE_DIR.lock"

W=$(mktemp -d /tmp/medgate-forward-bench.XXXXXX)
chmod 711 "$W"
declare -a STARTED=()
GW_PID='' PEER_PID=''
cleanup() {
	local pid
	for pid in "${STARTED[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "$KEEP" ]; then echo "# kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "forward-compare: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_busy() { # cores busy over one second
	local a b
	a=$(head -n 1 /proc/stat); sleep 1; b=$(head -n 1 /proc/stat)
	awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x); split(b, y)
		for (i = 2; i <= 9; i++) { d = y[i] - x[i]; if (i != 5 && i != 6) busy += d }
		printf "%.2f", busy / hz }'
}
HZ=$(getconf CLK_TCK)
BUSY_BEFORE=$(machine_busy)

# ---- the instance ----
INST=$W/instance
CONF=$INST/medgate.conf
WEB_PORT=$(free_port) DEVICE_PORT=$(free_port) MLLP_PORT=$(free_port) PEER_PORT=$(free_port)
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin-password"
"$GATEWAY/medgatectl" init "$INST" --web-port "$WEB_PORT" --device-port "$DEVICE_PORT" \
	--mllp-port "$MLLP_PORT" --admin-password-file "$W/admin-password" >"$W/init.log" 2>&1 ||
	{ cat "$W/init.log" >&2; die "medgatectl init"; }
python3 - "$CONF" <<'PY'
import re, sys
path = sys.argv[1]
lines, cur = open(path).read().split("\n"), None
for i, line in enumerate(lines):
    m = re.match(r"\[(.+)\]", line)
    if m:
        cur = m.group(1)
    elif cur in ("web", "device", "mllp") and re.match(r"address\s*=", line):
        lines[i] = "address = 127.0.0.1"
open(path, "w").write("\n".join(lines))
PY
cp "$CONF" "$W/medgate.conf.base"
# One destination per measured forwarder run, fwd-<run>-c<connections>,
# with all N measurements; and "small" (1 connection) with only the first
# N/5, to show how the rate depends on the backlog. The [emr.*] sections
# are written afresh for each step: a measurement gets an outbox row for
# the destinations configured when it is stored.
RUNS=()
for r in $(seq 1 "$REPEAT"); do
	for c in "${CONNS[@]}"; do RUNS+=("fwd-$r-c$c:$c"); done
done
SMALL=$((MESSAGES / 5))
write_conf() { # on-destination|- name:conns...
	local on=$1 d name c
	shift
	cp "$W/medgate.conf.base" "$CONF"
	for d in "$@"; do
		name=${d%%:*} c=${d##*:}
		printf '\n[emr.%s]\nenabled = %s\nprotocol = hl7-mllp\naddress = 127.0.0.1:%s\ntls = off\nconnections = %s\ntimeout = 30\nretry_max = 1\n' \
			"$name" "$([ "$name" = "$on" ] && echo on || echo off)" "$PEER_PORT" "$c" >>"$CONF"
	done
}

gw_start() {
	"$GATEWAY/medgated" -c "$CONF" 2>>"$W/medgated.stderr" &
	GW_PID=$!
	STARTED+=("$GW_PID")
	for _ in $(seq 1 200); do
		curl -s -o /dev/null --cacert "$INST/certs/ca.pem" "https://localhost:$WEB_PORT/api/v1/health" && return 0
		kill -0 "$GW_PID" 2>/dev/null || die "medgated exited at start (see $W/medgated.stderr)"
		sleep 0.05
	done
	die "medgated did not answer within 10 s"
}
gw_stop() {
	kill -TERM "$GW_PID"
	wait "$GW_PID" 2>/dev/null || die "medgated did not stop cleanly"
	GW_PID=
}

write_conf - small:1 "${RUNS[@]}"
gw_start
token=$("$GATEWAY/medgatectl" -c "$CONF" device token --tenant default --name bench 2>/dev/null |
	awk 'NF { t = $NF } END { print t }')
"$GATEWAY/medgate-device" enroll --server "https://127.0.0.1:$DEVICE_PORT" --ca "$INST/certs/ca.pem" \
	--token "$token" --state "$W/device" >"$W/enroll.log" 2>&1 ||
	{ cat "$W/enroll.log" >&2; die "medgate-device enroll"; }

# ---- pre-fill: N measurements over P patients, queued while the destinations are off ----
prefill() { # from to
	python3 - "$DEVICE_PORT" "$INST/certs/ca.pem" "$W/device/cert.pem" "$W/device/key.pem" \
		"$1" "$2" "$PATIENTS" <<'PY' || die "pre-fill failed"
import http.client, json, ssl, sys, threading
port, ca, cert, key, first, end, patients = sys.argv[1:]
first, end, patients = int(first), int(end), int(patients)
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
errors = []
def worker(k, threads):
    c = http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=30)
    for i in range(first + k, end, threads):
        body = json.dumps({"id": "fwd-%06d" % i, "time": "2026-11-22T10:00:00Z",
                           "patient": {"id": "BENCH-P%03d" % (i % patients)},
                           "values": [{"type": "body_weight", "value": 60 + (i % 400) / 10, "unit": "kg"},
                                      {"type": "body_height", "value": 180.0, "unit": "cm"}]})
        c.request("POST", "/device/v1/measurements", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 201:
            errors.append(r.status)
            return
threads = [threading.Thread(target=worker, args=(k, 8)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
sys.exit(1 if errors else 0)
PY
}
echo "# ingesting $MESSAGES measurements for $PATIENTS patients, queued for ${#RUNS[@]} destinations (the first $SMALL for one more)" >&2
prefill 0 "$SMALL"
gw_stop
write_conf - "${RUNS[@]}"
gw_start
prefill "$SMALL" "$MESSAGES"
gw_stop

# ---- the server and the two contenders ----
peer_start() { # stats-file messages [peer options...]
	local stats=$1 n=$2; shift 2
	rm -f "$stats" "$W/peer.port"
	node "$PEER_JS" --lib "$SIMPLE_HL7" --quiet --port "$PEER_PORT" --port-file "$W/peer.port" \
		--expect "$n" --stats "$stats" "$@" >>"$W/peer.out" 2>&1 &
	PEER_PID=$!
	STARTED+=("$PEER_PID")
	for _ in $(seq 1 100); do
		[ -s "$W/peer.port" ] && return 0
		kill -0 "$PEER_PID" 2>/dev/null || die "the MLLP server exited (see $W/peer.out)"
		sleep 0.05
	done
	die "the MLLP server did not listen"
}
peer_stop() { kill -TERM "$PEER_PID" 2>/dev/null || true; wait "$PEER_PID" 2>/dev/null || true; }
wait_file() { # file seconds pid-that-must-live
	local end=$((SECONDS + $2))
	while [ ! -s "$1" ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
}
# RESULT line from a stats file: "count first_ms last_ms".
result() { # name conns stats cpu_ticks peer_ticks
	read -r count first last <"$3"
	awk -v name="$1" -v c="$2" -v n="$count" -v f="$first" -v l="$last" -v cpu="$4" -v pcpu="$5" -v hz="$HZ" \
		'BEGIN { s = (l - f) / 1000; if (s <= 0) s = 0.001
		printf "RESULT name=%s conns=%d messages=%d seconds=%.3f rate=%.1f sender_us_per_msg=%.1f server_us_per_msg=%.1f\n",
			name, c, n, s, (n - 1) / s, cpu / hz * 1e6 / n, pcpu / hz * 1e6 / n }'
}

cat >"$W/client.js" <<'JS'
// simple-hl7's own MLLP client: TcpClient with keepalive, stop-and-wait,
// N messages over C clients; every ACK must be AA for its own MSH-10.
'use strict';
const fs = require('fs');
const [lib, port, template, n, conns] = process.argv.slice(2);
const hl7 = require(lib);
const parser = new hl7.Parser({ segmentSeperator: '\r' });
const base = parser.parse(fs.readFileSync(template, 'latin1'));
const total = Number(n), c = Number(conns);
let next = 0, done = 0, failed = null;
const t0 = Date.now();
function run(client) {
	if (failed || next >= total) {
		client.close();
		if (++finished === c) finish();
		return;
	}
	const id = `SH${process.pid}-${next++}`;
	base.header.setField(8, id);	// header fields start at MSH-3: 8 is MSH-10
	client.send(base.toString(), (err, ack) => {
		if (err) failed = err;
		else if (ack.getSegment('MSA').getField(1) !== 'AA' || ack.getSegment('MSA').getField(2) !== id)
			failed = new Error(`ACK ${ack.getSegment('MSA').toString(ack.header.delimiters)} for ${id}`);
		else done++;
		setImmediate(run, client);
	});
}
let finished = 0;
function finish() {
	if (failed) { console.error(String(failed)); process.exit(1); }
	const u = process.cpuUsage();
	console.log(`${done} ${Date.now() - t0} ${u.user + u.system}`);
	process.exit(0);
}
for (let i = 0; i < c; i++)
	run(hl7.Server.createTcpClient({ host: '127.0.0.1', port: Number(port), keepalive: true }));
JS

declare -A BEST=()
ALL_RESULTS=()
best() { # key result-line: keep the highest rate
	local rate old
	rate=$(sed 's/.*rate=\([0-9.]*\).*/\1/' <<<"$2")
	old=${BEST[$1]:-}
	if [ -z "$old" ] || awk -v a="$rate" -v b="$(sed 's/.*rate=\([0-9.]*\).*/\1/' <<<"$old")" 'BEGIN { exit !(a > b) }'; then
		BEST[$1]=$2
	fi
}

run_forwarder() { # destination conns messages label
	local stats=$W/stats-$1 t0 t1 p0 p1 pending
	write_conf "$1" "$1:$2"
	if [ ! -s "$W/template.hl7" ]; then peer_start "$stats" "$3" --capture "$W/template.hl7"
	else peer_start "$stats" "$3"; fi
	gw_start
	t0=$(cpu_ticks "$GW_PID"); p0=$(cpu_ticks "$PEER_PID")
	wait_file "$stats" 600 "$GW_PID" || die "$1: the server did not get $3 messages within 600 s"
	t1=$(cpu_ticks "$GW_PID"); p1=$(cpu_ticks "$PEER_PID")
	pending=$("$GATEWAY/medgatectl" -c "$CONF" outbox status | awk -v n="$1" '$1 == n { print $4, $5, $6 }')
	gw_stop
	peer_stop
	[ "$pending" = "0 $3 0" ] || die "$1: outbox shows '$pending' (pending delivered dead) after the run"
	LINE=$(result "$4" "$2" "$stats" $((t1 - t0)) $((p1 - p0)))
}

run_client() { # conns run
	local stats=$W/stats-client-$2-$1 p0 p1 pid sent cpu_us
	peer_start "$stats" "$MESSAGES"
	p0=$(cpu_ticks "$PEER_PID")
	node "$W/client.js" "$SIMPLE_HL7" "$PEER_PORT" "$W/template.hl7" "$MESSAGES" "$1" >"$W/client.out" 2>&1 &
	pid=$!
	STARTED+=("$pid")
	wait_file "$stats" 600 "$PEER_PID" || die "simple-hl7 client: the server did not get $MESSAGES messages"
	p1=$(cpu_ticks "$PEER_PID")
	wait "$pid" || { cat "$W/client.out" >&2; die "simple-hl7 client failed"; }
	read -r sent _ cpu_us <"$W/client.out"
	[ "$sent" = "$MESSAGES" ] || die "simple-hl7 client: $sent of $MESSAGES acknowledged"
	peer_stop
	# The client's CPU as node reports it (µs), in clock ticks like the rest.
	LINE=$(result "simple-hl7-client-$1" "$1" "$stats" $((cpu_us * HZ / 1000000)) $((p1 - p0)))
}

for r in $(seq 1 "$REPEAT"); do
	for c in "${CONNS[@]}"; do
		if [ $((r % 2)) -eq 1 ]; then order="fwd client"; else order="client fwd"; fi
		for who in $order; do
			# Not in $(...): the processes each run starts must stay ours.
			if [ "$who" = fwd ]; then run_forwarder "fwd-$r-c$c" "$c" "$MESSAGES" "medgated-$c"; key=fwd-$c
			else run_client "$c" "$r"; key=client-$c; fi
			echo "$LINE" >&2
			ALL_RESULTS+=("$LINE")
			best "$key" "$LINE"
		done
	done
done
run_forwarder small 1 "$SMALL" "medgated-1-backlog-$SMALL"
echo "$LINE" >&2
ALL_RESULTS+=("$LINE")
SMALL_LINE=$LINE
BUSY_AFTER=$(machine_busy)

# ---- the table ----
get() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
fmt() { awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); o = ""
	while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
	print s o }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", 100 * a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "pass" : "miss" }'; }
f1=${BEST[fwd-1]} f4=${BEST[fwd-4]} s1=${BEST[client-1]} s4=${BEST[client-4]}
R_F1=$(get "$f1" rate) R_F4=$(get "$f4" rate) R_S1=$(get "$s1" rate) R_S4=$(get "$s4" rate)
NOW=$(date -u '+%Y-%m-%d %H:%M UTC')
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
TABLE=$(cat <<EOF
## EMR forwarding: medgated's forwarder against simple-hl7's own MLLP client

Generated by \`bench/forward-compare.sh --gateway $GATEWAY_SHOWN --messages $MESSAGES --patients $PATIENTS --repeat $REPEAT\` on $NOW.
Machine: $(nproc) cores, ${CPU:-unknown CPU}; ${BUSY_BEFORE} cores busy with other work just before the run, ${BUSY_AFTER} just after.
Server: simple-hl7 $SIMPLE_HL7_VERSION's MLLP server (\`TcpServer\`, its own ACK), node $(node --version), on 127.0.0.1, started afresh for each run.
Messages: $MESSAGES PCD-01 ORU^R01 (body weight and height, $(wc -c <"$W/template.hl7") bytes), $PATIENTS patients in turn; each run measured at the server, from its first message to its $MESSAGES-th ACK; best of $REPEAT run(s) each.
medgated: \`$GATEWAY_SHOWN\`, SQLite (synchronous = FULL), the outbox pre-filled with the destination off, then medgated restarted with it on (\`timeout = 30\`, \`retry_max = 1\`). simple-hl7's client: \`TcpClient\` with keepalive, stop-and-wait, N/C messages on each of C connections, the same message bytes with a fresh MSH-10 each.

| connections | medgated forwarder, messages/s | simple-hl7 client, messages/s | forwarder / client | target | result |
| ---: | ---: | ---: | ---: | --- | --- |
| 1 | $(fmt "$R_F1") | $(fmt "$R_S1") | $(pct "$R_F1" "$R_S1") | ≥ the library's own client | $(verdict "$R_F1" "$R_S1") |
| 4 | $(fmt "$R_F4") | $(fmt "$R_S4") | $(pct "$R_F4" "$R_S4") | ≥ the library's own client | $(verdict "$R_F4" "$R_S4") |
| 4 vs 1 | $(awk -v a="$R_F4" -v b="$R_F1" 'BEGIN { printf "%.2f ×", a / b }') | $(awk -v a="$R_S4" -v b="$R_S1" 'BEGIN { printf "%.2f ×", a / b }') | | more with parallel connections | $(awk -v a="$R_F4" -v b="$R_F1" 'BEGIN { print (a > b * 1.05) ? "pass" : "miss" }') |

The same forwarder with 1 connection and a backlog of $SMALL instead of $MESSAGES messages: $(fmt "$(get "$SMALL_LINE" rate)") messages/s, $(get "$SMALL_LINE" sender_us_per_msg) µs of medgated's CPU per message (against $(get "$f1" sender_us_per_msg) µs with $MESSAGES waiting): what one message costs grows with the number waiting behind it.

CPU per message (µs, user + system over the run): medgated $(get "$f1" sender_us_per_msg) (1 connection) and $(get "$f4" sender_us_per_msg) (4); simple-hl7's client $(get "$s1" sender_us_per_msg) and $(get "$s4" sender_us_per_msg); the server $(get "$f1" server_us_per_msg) / $(get "$f4" server_us_per_msg) serving medgated, $(get "$s1" server_us_per_msg) / $(get "$s4" server_us_per_msg) serving the client.
medgated's figure includes what it does for every message besides the MLLP exchange: claiming the outbox row and recording the answer, each one SQLite transaction with an fsync, and decrypting the patient id.

<details><summary>RESULT lines of every run</summary>

\`\`\`
$(printf '%s\n' "${ALL_RESULTS[@]}")
\`\`\`
</details>
EOF
)
echo
echo "$TABLE"

if [ "$WRITE" = yes ]; then
	DOC=$SOURCE_DIR/docs/PERFORMANCE.md
	python3 - "$DOC" "$TABLE" <<'PY'
import os, sys
path, table = sys.argv[1], sys.argv[2]
begin = "<!-- BEGIN bench/forward-compare.sh (generated; do not edit) -->"
end = "<!-- END bench/forward-compare.sh -->"
text = open(path).read() if os.path.exists(path) else "# Performance\n"
block = f"{begin}\n{table}\n{end}"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
tmp = path + ".forward-tmp"
open(tmp, "w").write(text)
os.replace(tmp, path)
PY
	echo "# written to docs/PERFORMANCE.md" >&2
fi
