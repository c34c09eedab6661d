#!/usr/bin/env bash
# Device ingest: medgated against an nginx reference, same client, same
# machine, same run (DESIGN.md section 7). Prints a side-by-side table with
# the targets and writes it to docs/PERFORMANCE.md.
#
#   bench/ingest-compare.sh [--gateway BUILD_DIR] [--device PATH] [--quick]
#                           [--repeat N] [--threads N] [--bench PATH]
#                           [--write|--no-write] [--keep]
#
# Loopback only, bounded durations; every process it starts is stopped on
# exit (trap). See bench/README.md.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"
# shellcheck source=bench/lib/certs.sh
. "$ROOT/bench/lib/certs.sh"
# shellcheck source=bench/lib/nginx.sh
. "$ROOT/bench/lib/nginx.sh"
# shellcheck source=bench/lib/gateway.sh
. "$ROOT/bench/lib/gateway.sh"
# shellcheck source=bench/lib/report.sh
. "$ROOT/bench/lib/report.sh"

PATH_INGEST=/device/v1/measurements
DOC="$ROOT/docs/PERFORMANCE.md"
DOC_BEGIN='<!-- BEGIN bench/ingest-compare.sh (generated; do not edit) -->'
DOC_END='<!-- END bench/ingest-compare.sh -->'

QUICK=0
GATEWAY=
AGENT=
BENCH=
WRITE=auto
KEEP=0
THREADS=1
REPEAT=
ARGS_GIVEN="$*"

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--gateway) GATEWAY=${2:?--gateway needs a build directory}; shift ;;
	--bench) BENCH=${2:?--bench needs a path}; shift ;;
	--device) AGENT=${2:?--device needs the medgate-device to enrol with}; shift ;;
	--threads) THREADS=${2:?--threads needs 1 or 2}; shift ;;
	--repeat) REPEAT=${2:?--repeat needs a count}; shift ;;
	--write) WRITE=1 ;;
	--no-write) WRITE=0 ;;
	--keep) KEEP=1 ;;
	-h | --help) usage 0 ;;
	*) echo "unknown option: $1" >&2; usage 2 ;;
	esac
	shift
done

if [ "$QUICK" = 1 ]; then
	# Smoke use: short runs, fewer idle connections, and the figures in
	# docs/ stay as they are unless --write is given.
	DURATION=3 WARMUP=1 RATE_WARMUP=3 IDLE_CONNS=2000 IDLE_HOLD=2
	[ "$WRITE" = auto ] && WRITE=0
	: "${REPEAT:=1}"
else
	DURATION=10 WARMUP=2 RATE_WARMUP=5 IDLE_CONNS=10000 IDLE_HOLD=5
	[ "$WRITE" = auto ] && WRITE=1
	: "${REPEAT:=2}"
fi
case $REPEAT in
[1-9]) ;;
*) echo "--repeat wants 1 to 9" >&2; exit 2 ;;
esac
CONNS=64
RATE_DEVICES=1000
# Connections come from 64 loopback addresses in the rate and idle runs,
# as from many devices: medgated limits connections per address (256).
SOURCES=64

TMP=$(mktemp -d /tmp/medgate-ingest-bench.XXXXXX) || exit 1
GEN_PID=
cleanup() {
	[ -n "$GEN_PID" ] && kill "$GEN_PID" 2>/dev/null && wait "$GEN_PID" 2>/dev/null
	nginx_stop
	gateway_stop
	if [ "$KEEP" = 1 ]; then
		echo "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }

# --- the load generator ---------------------------------------------------

bench_build() {
	if [ -n "$BENCH" ]; then
		[ -x "$BENCH" ] || { say "--bench $BENCH is not executable" >&2; exit 2; }
		return
	fi
	# Its own Release build directory: never a sanitized build, whose
	# client would be the bottleneck.
	say "building bench-ingest (Release) in $ROOT/build-bench ..."
	if cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release >"$TMP/build.log" 2>&1 &&
		cmake --build "$ROOT/build-bench" -j2 --target bench-ingest >>"$TMP/build.log" 2>&1; then
		BENCH="$ROOT/build-bench/bench-ingest"
		return
	fi
	# The library may be mid-change in a shared tree; the generator only
	# needs GnuTLS, so build it on its own.
	say "the CMake build failed (see below); compiling bench/ingest/*.c alone"
	tail -n 5 "$TMP/build.log" | sed 's/^/  | /'
	# shellcheck disable=SC2046
	gcc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/src" "$ROOT"/bench/ingest/*.c \
		-o "$TMP/bench-ingest" $(pkg-config --cflags --libs gnutls) -lpthread || exit 1
	BENCH="$TMP/bench-ingest"
}

# --- the machine ----------------------------------------------------------

MACHINE_CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
MACHINE_NPROC=$(nproc)
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BUSY_BEFORE=
BUSY_NOTE=

# Other work on the machine takes CPU from client and servers alike. The
# generator reports, per run, what other processes used (other_cpu); this
# only looks once before starting.
machine_check() {
	BUSY_BEFORE=$(bench_machine_busy)
	say "machine: $MACHINE_NPROC cores, $MACHINE_CPU; $BUSY_BEFORE cores busy before the run"
	if awk -v b="$BUSY_BEFORE" 'BEGIN { exit !(b > 0.2) }'; then
		say "WARNING: other processes are using the CPU; figures will be lower and"
		say "         noisier. Busiest processes:"
		ps -eo pcpu,comm --sort=-pcpu | sed -n '2,5p' | sed 's/^/         /'
	fi
}

# Names the runs during which other processes took more than 0.2 cores.
busy_runs() {
	local k other list=
	for k in keepalive-nginx keepalive-medgated newconn-nginx newconn-medgated \
		rate-nginx rate-medgated; do
		other=$(res_get "${RES[$k]:-}" other_cpu)
		if [ "$other" != - ] && awk -v o="$other" 'BEGIN { exit !(o > 0.2) }'; then
			list="$list${list:+, }$k ($other cores)"
		fi
	done
	[ -n "$list" ] && BUSY_NOTE="Other processes used CPU during: $list. Those figures are depressed; the servers' CPU per request is the steadier comparison."
}

# --- servers --------------------------------------------------------------

NGINX_PORT=
GW_STATE="not run: no --gateway build directory given"

servers_start() {
	certs_make "$TMP/pki" || { say "certificate set-up failed" >&2; exit 1; }
	NGINX_PORT=$(bench_free_port)
	nginx_start "$ROOT/bench/nginx-reference.conf.in" "$TMP/nginx" "$TMP/pki" \
		"$NGINX_PORT" "$PATH_INGEST" || exit 1
	say "nginx: pid $NGINX_PID on 127.0.0.1:$NGINX_PORT (2 workers)"
	gateway_maybe_start
}

# Runs the medgated half only when a build directory with the three
# programs is given; otherwise says why and the table shows "not run".
gateway_maybe_start() {
	local missing cache
	if [ -z "$GATEWAY" ]; then
		say "medgated: skipped (no --gateway BUILD_DIR given); nginx figures only"
		return
	fi
	missing=$(gateway_missing "$GATEWAY" "$AGENT")
	if [ -n "$missing" ]; then
		GW_STATE="not run: $missing"
		say "medgated: skipped ($missing); nginx figures only"
		return
	fi
	cache="$GATEWAY/CMakeCache.txt"
	if [ -f "$cache" ] && grep -qE '^MG_SANITIZE:BOOL=ON|^CMAKE_BUILD_TYPE:STRING=(Debug|)$' "$cache"; then
		say "WARNING: $GATEWAY is a sanitized or unoptimised build; use a Release build for figures"
	fi
	if gateway_start "$GATEWAY" "$TMP/gateway" "$AGENT"; then
		GW_STATE="built in \`$GATEWAY\` ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache" 2>/dev/null || true) build), instance made by \`medgatectl init\` with its defaults except listeners on 127.0.0.1 and \`[device] connection_timeout = 300\` (see bench/README.md)"
		say "medgated: pid $GW_PID on 127.0.0.1:$GW_PORT, device certificate enrolled"
	else
		GW_STATE="not run: set-up failed (see the output above)"
		gateway_stop
	fi
}

gateway_running() {
	[ -n "$GW_PID" ] || return 1
	if ! kill -0 "$GW_PID" 2>/dev/null; then
		GW_STATE="medgated exited during the benchmark; later scenarios not run"
		GW_PID=
		say "medgated exited; last lines of its log:"
		tail -n 20 "$TMP/gateway/medgated.log" | sed 's/^/  | /'
		return 1
	fi
}

# Sets TARGET to the generator options that point at SERVER.
target_for() {
	local pids
	if [ "$1" = nginx ]; then
		pids=$( { echo "$NGINX_PID"; bench_descendants "$NGINX_PID"; } | paste -sd, -)
		TARGET=(--port "$NGINX_PORT" --ca "$TMP/pki/ca.pem" --cert "$TMP/pki/client.pem"
			--key "$TMP/pki/client-key.pem" --server-pid "$pids")
	else
		TARGET=(--port "$GW_PORT" --ca "$GW_CA" --cert "$GW_CERT" --key "$GW_KEY"
			--server-pid "$GW_PID")
	fi
}

# --- runs -----------------------------------------------------------------

declare -A RES RSS_BEFORE RSS_AFTER
ALL_RESULTS=()

# run_load NAME SERVER REP GENERATOR-OPTIONS...
run_load() {
	local name=$1 server=$2 rep=$3 out line
	shift 3
	out="$TMP/$name-$server-$rep.out"
	target_for "$server"
	say ""
	say "== $name, $server (run $rep of $REPEAT)"
	# In the background: 'wait' returns at once when a trapped signal
	# arrives, so an interrupted run cleans up without delay.
	"$BENCH" "${TARGET[@]}" --threads "$THREADS" --name "$name-$server" "$@" >"$out" 2>&1 &
	GEN_PID=$!
	wait "$GEN_PID"
	GEN_PID=
	sed 's/^/   /' "$out"
	line=$(grep '^RESULT ' "$out" | tail -n 1)
	RES[$name-$server-$rep]=$line
	[ -n "$line" ] && ALL_RESULTS+=("$line")
	sleep 1	# let the server close what the run left behind
}

# Other work on the machine only ever lowers a server's figures, so of
# REPEAT runs the best one is closest to what the server can do: the
# highest rate, or for the rate-limited run the lowest p99.
pick_best() {
	local name=$1 server=$2 key=$3 order=$4 rep line v best='' bestv=''
	for rep in $(seq 1 "$REPEAT"); do
		line=${RES[$name-$server-$rep]:-}
		v=$(res_get "$line" "$key")
		[ "$v" = - ] && continue
		if [ -z "$best" ] || awk -v v="$v" -v b="$bestv" -v o="$order" \
			'BEGIN { exit !(o == "max" ? v > b : v < b) }'; then
			best=$line
			bestv=$v
		fi
	done
	RES[$name-$server]=$best
}

# run_pair NAME KEY max|min GENERATOR-OPTIONS...: nginx and medgated
# alternate (ABBA...), so slow drifts in the machine's load hit both.
run_pair() {
	local name=$1 key=$2 order=$3 rep server servers
	shift 3
	for rep in $(seq 1 "$REPEAT"); do
		servers="nginx medgated"
		[ $((rep % 2)) = 0 ] && servers="medgated nginx"
		for server in $servers; do
			[ "$server" = medgated ] && ! gateway_running && continue
			run_load "$name" "$server" "$rep" "$@"
		done
	done
	pick_best "$name" nginx "$key" "$order"
	pick_best "$name" medgated "$key" "$order"
}

# run_idle SERVER PID: holds IDLE_CONNS connections and reads the
# server's resident memory (all its processes) before and with them.
run_idle() {
	local server=$1 pid=$2 out
	out="$TMP/idle-$server.out"
	target_for "$server"
	say ""
	say "== idle, $server: $IDLE_CONNS connections"
	RSS_BEFORE[$server]=$(bench_rss_kib "$pid")
	"$BENCH" "${TARGET[@]}" --threads "$THREADS" --name "idle-$server" --idle "$IDLE_CONNS" \
		--sources "$SOURCES" --duration "$IDLE_HOLD" >"$out" 2>&1 &
	GEN_PID=$!
	for _ in $(seq 1 2000); do
		grep -q '^IDLE ' "$out" && break
		kill -0 "$GEN_PID" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1	# let the server finish its side of the last handshakes
	RSS_AFTER[$server]=$(bench_rss_kib "$pid")
	wait "$GEN_PID"
	GEN_PID=
	sed 's/^/   /' "$out"
	say "   server RSS: ${RSS_BEFORE[$server]} KiB before, ${RSS_AFTER[$server]} KiB with the connections"
	RES[idle-$server]=$(grep '^RESULT ' "$out" | tail -n 1)
	[ -n "${RES[idle-$server]}" ] && ALL_RESULTS+=("${RES[idle-$server]}")
	sleep 1
}

# For each scenario: nginx and medgated, same options, REPEAT times. The idle
# memory run comes first, while both servers are freshly started: later
# runs leave freed memory in their allocators that idle connections would
# reuse, which would hide what a connection costs.
run_all() {
	local common=(--duration "$DURATION" --warmup "$WARMUP")
	run_idle nginx "$NGINX_PID"
	gateway_running && run_idle medgated "$GW_PID"
	run_pair keepalive rps max --mode keepalive --connections "$CONNS" "${common[@]}"
	run_pair newconn rps max --mode newconn --connections "$CONNS" "${common[@]}"
	common=(--duration "$DURATION" --warmup "$RATE_WARMUP")
	run_pair rate p99_ms min --mode keepalive --connections "$RATE_DEVICES" --rate 1 \
		--sources "$SOURCES" "${common[@]}"
}

# --- the table ------------------------------------------------------------

# Memory with the idle connections, projected to 10,000 when --quick held
# fewer: the baseline plus the per-connection growth times 10,000.
idle_mib() {
	local before=${RSS_BEFORE[$1]:-} after=${RSS_AFTER[$1]:-} conns
	conns=$(res_get "${RES[idle-$1]:-}" established)
	if [ -z "$after" ] || [ "$conns" = - ] || [ "$conns" = 0 ]; then
		echo "-"
		return
	fi
	awk -v b="$before" -v a="$after" -v n="$conns" 'BEGIN {
		printf "%.0f", (b + (a - b) * 10000 / n) / 1024 }'
}

idle_cell() {
	local mib
	mib=$(idle_mib "$1")
	[ "$mib" = - ] && { echo "-"; return; }
	awk -v b="${RSS_BEFORE[$1]}" -v a="${RSS_AFTER[$1]}" -v mib="$mib" \
		-v n="$(res_get "${RES[idle-$1]}" established)" 'BEGIN {
		printf "%s MiB (%.1f KiB per connection)", mib, (a - b) / n }'
}

table() {
	local kn=${RES[keepalive-nginx]:-} km=${RES[keepalive-medgated]:-}
	local nn=${RES[newconn-nginx]:-} nm=${RES[newconn-medgated]:-}
	local rn=${RES[rate-nginx]:-} rm=${RES[rate-medgated]:-}
	local idle_label devices
	idle_label="$(fmt_num "$IDLE_CONNS") idle connections: resident memory"
	[ "$IDLE_CONNS" != 10000 ] &&
		idle_label="idle connections: resident memory, projected to 10,000 from $(fmt_num "$IDLE_CONNS")"
	devices=$(fmt_num "$RATE_DEVICES")
	cat <<EOF
| scenario | nginx | medgated | medgated / nginx | target | result |
| --- | ---: | ---: | ---: | --- | --- |
| keep-alive mTLS, $CONNS connections: requests/s | $(fmt_rps "$kn") | $(fmt_rps "$km") | $(ratio_pct "$(res_get "$kn" rps)" "$(res_get "$km" rps)") | ≥ 50 % of nginx (durable ack) | $(verdict_ratio "$(res_get "$kn" rps)" "$(res_get "$km" rps)" 0.50) |
| … latency p50 / p99, ms | $(fmt_lat "$kn") | $(fmt_lat "$km") | | | |
| … server CPU per request, µs | $(fmt_num "$(res_get "$kn" server_us_per_req)") | $(fmt_num "$(res_get "$km" server_us_per_req)") | $(cost_ratio "$(res_get "$kn" server_us_per_req)" "$(res_get "$km" server_us_per_req)") | | |
| new mTLS connection per request, $CONNS at a time: requests/s | $(fmt_rps "$nn") | $(fmt_rps "$nm") | $(ratio_pct "$(res_get "$nn" rps)" "$(res_get "$nm" rps)") | ≥ 90 % of nginx | $(verdict_ratio "$(res_get "$nn" rps)" "$(res_get "$nm" rps)" 0.90) |
| … latency p50 / p99, ms | $(fmt_lat "$nn") | $(fmt_lat "$nm") | | | |
| … server CPU per request, µs | $(fmt_num "$(res_get "$nn" server_us_per_req)") | $(fmt_num "$(res_get "$nm" server_us_per_req)") | $(cost_ratio "$(res_get "$nn" server_us_per_req)" "$(res_get "$nm" server_us_per_req)") | | |
| $devices devices sending once a second: p99 latency, ms | $(fmt_ms "$(res_get "$rn" p99_ms)") | $(fmt_ms "$(res_get "$rm" p99_ms)") | | < 20 ms | $(verdict_below "$(res_get "$rm" p99_ms)" 20) |
| … requests/s (errors) | $(fmt_rps "$rn") | $(fmt_rps "$rm") | | | |
| $idle_label | $(idle_cell nginx) | $(idle_cell medgated) | | ≤ 200 MiB | $(verdict_at_most "$(idle_mib medgated)" 200) |
EOF
}

client_cpu_note() {
	local k n
	k=$(res_get "${RES[keepalive-nginx]:-}" client_cpu)
	n=$(res_get "${RES[newconn-nginx]:-}" client_cpu)
	echo "The load generator itself used $k cores in the keep-alive run and $n cores in the new-connection run against nginx (of $MACHINE_NPROC; getrusage over the measured window, loopback TCP work done in its system calls included)."
}

section() {
	local cmd="bench/ingest-compare.sh${ARGS_GIVEN:+ $ARGS_GIVEN}"
	cat <<EOF
## Device ingest: medgated against nginx

Generated by \`$cmd\` on $RUN_DATE.
Machine: $MACHINE_NPROC cores (\`nproc\`), $MACHINE_CPU (\`lscpu\`); $BUSY_BEFORE cores busy with other work just before the run.
Client: bench-ingest, $THREADS thread(s); $DURATION s measured after ${WARMUP} s warm-up (rate run: ${RATE_WARMUP} s); each load scenario run $REPEAT times per server, alternating, best run shown.
medgated: ${GW_STATE}.

$(table)

$(client_cpu_note)
${BUSY_NOTE:+
$BUSY_NOTE
}
<details><summary>RESULT lines of every run</summary>

\`\`\`
$(printf '%s\n' "${ALL_RESULTS[@]}")
\`\`\`
</details>
EOF
}

doc_header() {
	cat <<'EOF'
# Performance

Figures from the benchmarks in `bench/`, each measured against a reference
in the same run on the same machine (DESIGN.md section 7). The sections
below are generated; do not edit them by hand, run the command again.

## Reproducing

On a Debian 12 machine with the project's dependencies and `nginx-light`:

```sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release -j2
bench/ingest-compare.sh --gateway build-release        # about 6 minutes
bench/ingest-compare.sh --gateway build-release --quick # smoke run, docs untouched
```

Client and servers share the machine's cores, so stop other work first: a
busy machine lowers every figure. The script warns when more than 0.2 cores
are busy before it starts, and notes every run during which other
processes took more than that. See bench/README.md for what each scenario
measures and why.
EOF
}

doc_write() {
	section >"$TMP/section.md"
	doc_header >"$TMP/header.md"
	mkdir -p "$(dirname "$DOC")"
	doc_replace_section "$DOC" "$TMP/header.md" "$TMP/section.md" "$DOC_BEGIN" "$DOC_END" &&
		say "wrote $DOC"
}

# --- main -----------------------------------------------------------------

ulimit -n "$(ulimit -Hn)" 2>/dev/null
machine_check
bench_build
say "client: $BENCH"
servers_start
run_all
busy_runs
say ""
table
say ""
client_cpu_note
[ -n "$BUSY_NOTE" ] && say "$BUSY_NOTE"
if [ "$WRITE" = 1 ]; then
	doc_write
else
	say "(docs/PERFORMANCE.md not written; --write to do so)"
fi
