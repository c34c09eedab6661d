#!/usr/bin/env bash
# Device ingest on PostgreSQL: bench-ingest against one medgated, then
# against two medgated on the same database behind HAProxy (TCP mode),
# keep-alive and new connections. Prints a table for docs/PERFORMANCE.md.
#
#   bench/ingest-pg.sh BUILD_DIR [DURATION_S] [CONNECTIONS]
#
# Runs under tests/pg/pg-run.sh (a private PostgreSQL 15, fsync on here:
# commits are durable as in production) and reuses the integration
# helpers of tests/integration/lib.sh for the instances. Loopback only;
# every process it starts is stopped on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:?usage: bench/ingest-pg.sh BUILD_DIR [DURATION_S] [CONNECTIONS]}" && pwd)
DURATION=${2:-10}
CONNS=${3:-64}

if [ -z "${MG_TEST_PG_CONNINFO:-}" ]; then
	MG_TEST_PG_FSYNC=on exec bash "$ROOT/tests/pg/pg-run.sh" bash "$0" "$BUILD" "$DURATION" "$CONNS"
fi
export MG_BIN=$BUILD MG_TEST_STORAGE=postgresql
. "$ROOT/tests/integration/lib.sh"
[ -x "$BUILD/bench-ingest" ] || fail "$BUILD/bench-ingest is not built"

mg_init
for s in web device mllp; do mg_conf_set "$s" address 127.0.0.1; done
INST2=$T/instance2
cp -a "$INST" "$INST2"
DEV2=$(free_port)
CONF=$INST2/medgate.conf mg_conf_set web port "$(free_port)"
CONF=$INST2/medgate.conf mg_conf_set device port "$DEV2"
CONF=$INST2/medgate.conf mg_conf_set mllp port "$(free_port)"

mg_start
"$MEDGATED" -c "$INST2/medgate.conf" 2>"$T/gw2.stderr" &
GW2=$!
MG_BACKGROUND+=("$GW2")
mg_enrol bench

HA=$(free_port)
cat >"$T/haproxy.cfg" <<CFG
global
	maxconn 4000
defaults
	mode tcp
	timeout connect 2s
	timeout client 60s
	timeout server 60s
listen device
	bind 127.0.0.1:$HA
	balance roundrobin
	server gw1 127.0.0.1:$DEVICE_PORT
	server gw2 127.0.0.1:$DEV2
CFG
haproxy -db -f "$T/haproxy.cfg" 2>"$T/haproxy.log" &
MG_BACKGROUND+=("$!")
for _ in $(seq 1 50); do curl -s -o /dev/null --cacert "$CA" "https://localhost:$DEV2/.well-known/est/cacerts" && break; sleep 0.1; done

run() { # label port mode pids
	"$BUILD/bench-ingest" --port "$2" --ca "$CA" --cert "$T/dev/bench/cert.pem" \
		--key "$T/dev/bench/key.pem" --connections "$CONNS" --duration "$DURATION" \
		--warmup 2 --mode "$3" --name "$1" --server-pid "$4" >"$T/run.out" 2>&1 ||
		{ cat "$T/run.out"; fail "bench-ingest $1"; }
	awk -v label="$1" '/^RESULT/ { print label ": " $0 }' "$T/run.out"
}
echo "# $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"PostgreSQL $("$MG_PG_BIN/postgres" --version | awk '{ print $3 }') on the same machine," \
	"$CONNS connections, $DURATION s"
run "1 gateway, keep-alive" "$DEVICE_PORT" keepalive "$DAEMON_PID"
run "2 gateways + HAProxy, keep-alive" "$HA" keepalive "$DAEMON_PID,$GW2"
run "1 gateway, new connections" "$DEVICE_PORT" newconn "$DAEMON_PID"
run "2 gateways + HAProxy, new connections" "$HA" newconn "$DAEMON_PID,$GW2"
echo "# stored: $(mg_count) measurements"
mg_stop
