#!/usr/bin/env bash
# Ingest latency while a backup runs (issue 13): 100 devices sending once a
# second (100 measurements/s) against one medgated, p99 without a backup
# and while `medgatectl backup create` runs back to back for the whole
# measured window. Target: the p99 rises by less than 2x.
#
#   bench/backup-ingest.sh BUILD_DIR [DURATION_S] [DEVICES] [PREFILL_S]
#
# BUILD_DIR: a Release tree holding medgated, medgatectl and bench-ingest.
# The store is first filled for PREFILL_S seconds at full speed so that a
# backup has something to copy. SQLite by default; with MG_TEST_STORAGE=
# postgresql it runs under tests/pg/pg-run.sh. Loopback only; every
# process it starts is stopped on exit. Prints the RESULT lines and a
# Markdown row for docs/PERFORMANCE.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:?usage: bench/backup-ingest.sh BUILD_DIR [DURATION_S] [DEVICES] [PREFILL_S]}" && pwd)
DURATION=${2:-20}
DEVICES=${3:-100}
PREFILL=${4:-15}

if [ "${MG_TEST_STORAGE:-sqlite}" = postgresql ] && [ -z "${MG_TEST_PG_CONNINFO:-}" ]; then
	MG_TEST_PG_FSYNC=on exec bash "$ROOT/tests/pg/pg-run.sh" bash "$0" "$@"
fi
export MG_BIN=$BUILD
. "$ROOT/tests/integration/lib.sh"
[ -x "$BUILD/bench-ingest" ] || fail "$BUILD/bench-ingest is not built"

mg_init
for s in web device mllp; do mg_conf_set "$s" address 127.0.0.1; done
mg_start
mg_enrol bench
BK=$T/backups
mkdir "$BK"
[ "$(id -u)" -ne 0 ] || chown medgate: "$BK"
mg_ctl backup keygen --out "$T/recovery.key" > /dev/null

ingest() { # name [options]
	local name=$1; shift
	"$BUILD/bench-ingest" --port "$DEVICE_PORT" --ca "$CA" --cert "$T/dev/bench/cert.pem" \
		--key "$T/dev/bench/key.pem" --name "$name" --server-pid "$DAEMON_PID" "$@" \
		>"$T/$name.out" 2>&1 || { cat "$T/$name.out"; fail "bench-ingest $name"; }
	grep '^RESULT' "$T/$name.out" | tail -n 1
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

ingest prefill --mode keepalive --connections 16 --duration "$PREFILL" > /dev/null
STORED=$(mg_count)
rate=(--mode keepalive --connections "$DEVICES" --rate 1 --sources 64 --duration "$DURATION" --warmup 3)

base=$(ingest no-backup "${rate[@]}")

# Backups back to back until the measured run ends.
(
	i=0
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		start=$(date +%s%N)
		mg_ctl backup create --out "$BK/b-$i.mgbackup" > /dev/null
		echo $(( ($(date +%s%N) - start) / 1000000 )) >> "$T/backup-ms"
		rm -f "$BK/b-$i.mgbackup"
	done
) &
LOOP=$!
MG_BACKGROUND+=("$LOOP")
sleep 1	# the first backup is under way when the warm-up starts
with=$(ingest with-backup "${rate[@]}")
touch "$T/stop"
wait "$LOOP"

size=$(du -k "$INST/data/medgate.db" 2>/dev/null | cut -f1 || echo -)
n=$(wc -l < "$T/backup-ms")
avg=$(awk '{ s += $1 } END { printf "%.0f", s / NR }' "$T/backup-ms")
p99a=$(field "$base" p99_ms) p99b=$(field "$with" p99_ms)
ratio=$(awk -v a="$p99a" -v b="$p99b" 'BEGIN { printf "%.2f", b / a }')
echo "$base"
echo "$with"
echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); store ${MG_TEST_STORAGE:-sqlite}," \
	"$STORED measurements (${size} KiB) before; $n backups of about $avg ms each during the run"
echo "| ${MG_TEST_STORAGE:-sqlite} | $DEVICES devices at 1/s | $(field "$base" p50_ms) / $p99a |" \
	"$(field "$with" p50_ms) / $p99b | ${ratio}x | $n backups, ~$avg ms each |" \
	"$(awk -v r="$ratio" 'BEGIN { print (r < 2 ? "met (< 2x)" : "missed (>= 2x)") }') |"
mg_stop
