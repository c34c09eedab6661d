# shellcheck shell=bash
# Small helpers shared by the bench drivers.

# True when something listens on 127.0.0.1:PORT.
bench_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free loopback TCP port (asks the kernel; races are unlikely in a
# benchmark and a clash shows up at once as a bind error).
bench_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Resident memory of PID and all its descendants, in KiB (nginx keeps
# the connections in its workers, not in the master).
bench_rss_kib() {
	local pid=$1 total=0 p kids
	for p in $pid $(bench_descendants "$pid"); do
		kids=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${kids:-0}))
	done
	echo "$total"
}

bench_descendants() {
	local p
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$p"
		bench_descendants "$p"
	done
}

# CPU seconds (user+system) used so far by PID and its descendants.
bench_cpu_s() {
	local pid=$1 p ticks=0 t hz
	hz=$(getconf CLK_TCK)
	for p in $pid $(bench_descendants "$pid"); do
		t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null)
		ticks=$((ticks + ${t:-0}))
	done
	awk -v t="$ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}

# Cores the whole machine kept busy over one second (everything in
# /proc/stat but idle and iowait), e.g. "0.07".
bench_machine_busy() {
	local a b
	a=$(head -n 1 /proc/stat)
	sleep 1
	b=$(head -n 1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		split(a, x); split(b, y)
		for (i = 2; i <= 9; i++) { d = y[i] - x[i]; tot += d; if (i != 5 && i != 6) busy += d }
		hz = 0; while (("getconf CLK_TCK" | getline hz) > 0) ; printf "%.2f", busy / hz }'
}
