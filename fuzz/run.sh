#!/usr/bin/env bash
# Runs one libFuzzer harness for a few seconds on a copy of its seed corpus
# (the tree's corpus is never modified by a test run).
set -euo pipefail
harness=$1 seeds=$2
seconds=${MG_FUZZ_SECONDS:-10}
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "no seed corpus at $seeds" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work"/
"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 "$work" 2>&1 | tail -n 20
