#!/usr/bin/env bash
# The systemd units are hardened: systemd-analyze's offline security
# review scores each at 2.0 or lower (0 is the best, 10 the worst), and
# systemd-analyze verify finds nothing wrong beyond what only an installed
# system has (the binaries and man pages under /usr).
# usage: check_systemd_security.sh BUILD_DIR
set -euo pipefail
build=$1
max=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is missing (apt-get install systemd)"
	exit 77
fi

status=0
for unit in medgated.service medgated@.service; do
	file=$build/packaging/$unit
	[ -f "$file" ] || { echo "FAIL: $file not generated"; exit 1; }
	out=$(cd "$build/packaging" && systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || true
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		printf '%s\n' "$out"
		echo "FAIL: no exposure score for $unit"
		status=1
	elif awk -v s="$score" -v m="$max" 'BEGIN { exit !(s > m) }'; then
		printf '%s\n' "$out" | grep '✗' || true
		echo "FAIL: $unit exposure $score > $max"
		status=1
	else
		echo "ok - $unit exposure $score (at most $max)"
	fi
	# Syntax and directive names; missing executables and man pages only
	# mean the package is not installed here.
	bad=$(cd "$build/packaging" && systemd-analyze verify --man=no "$unit" 2>&1 |
		grep -v -e 'is not executable: No such file' -e 'No such file or directory' || true)
	if [ -n "$bad" ]; then
		echo "$bad"
		echo "FAIL: systemd-analyze verify $unit"
		status=1
	else
		echo "ok - $unit passes systemd-analyze verify"
	fi
done
exit $status
