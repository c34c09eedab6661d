# shellcheck shell=bash
# A throwaway medgated instance for the comparison, set up the way an
# operator would: medgatectl init, a one-time enrolment token, the daemon,
# and medgate-device enrolling for a client certificate.
#
# gateway_start BUILD_DIR WORKDIR [MEDGATE_DEVICE]
#   -> sets GW_PID GW_PORT GW_CA GW_CERT GW_KEY
# gateway_stop
#
# The instance keeps medgatectl init's defaults except two, both written
# into its medgate.conf: every listener on 127.0.0.1 (the default listens
# on all addresses, and benchmark traffic stays on this machine), and
# [device] connection_timeout = 300 so that the idle-memory run's first
# connections are still open when the last ones finish their handshakes.

GW_PID=
GW_PORT=
GW_CA=
GW_CERT=
GW_KEY=

# Prints why the gateway cannot be benchmarked from BUILD_DIR, or nothing.
gateway_missing() {
	local bin=$1 agent=${2:-$1/medgate-device} b
	for b in "$bin/medgated" "$bin/medgatectl" "$agent"; do
		[ -x "$b" ] || { echo "$b is not built"; return 0; }
	done
}

# conf_set FILE SECTION KEY VALUE: sets KEY in [SECTION] of an INI file.
conf_set() {
	local file=$1 tmp="$1.tmp"
	awk -v sec="[$2]" -v key="$3" -v val="$4" '
		/^\[/ { cur = $0 }
		cur == sec && $0 ~ "^" key "[ \t]*=" { print key " = " val; done[sec] = 1; next }
		{ print }
		END { if (!done[sec]) exit 1 }' "$file" >"$tmp" || { rm -f "$tmp"; return 1; }
	cat "$tmp" >"$file" && rm -f "$tmp"	# keeps the file's owner and mode
}

# Shows the end of a log after a failed step, so the reader sees why.
gateway_fail() {
	echo "medgated set-up failed: $1" >&2
	[ -f "$2" ] && tail -n 20 "$2" | sed 's/^/  | /' >&2
	return 1
}

gateway_start() {
	local bin=$1 work=$2 agent=${3:-$1/medgate-device} web mllp token section
	local conf="$work/instance/medgate.conf"
	# medgated drops to its service user after binding: it must be able
	# to reach the instance through these directories (not list them).
	mkdir -p "$work" && chmod 711 "$work" "$(dirname "$work")" || return 1
	web=$(bench_free_port)
	GW_PORT=$(bench_free_port)
	mllp=$(bench_free_port)
	# The administrator's password is never used; it only has to pass
	# the password policy (DESIGN.md section 5).
	(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/admin-password")
	"$bin/medgatectl" init "$work/instance" --web-port "$web" --device-port "$GW_PORT" \
		--mllp-port "$mllp" --admin-password-file "$work/admin-password" \
		>"$work/init.log" 2>&1 || { gateway_fail "medgatectl init" "$work/init.log"; return 1; }
	for section in web device mllp; do
		conf_set "$conf" "$section" address 127.0.0.1 ||
			{ gateway_fail "no address key in [$section] of $conf" /dev/null; return 1; }
	done
	conf_set "$conf" device connection_timeout 300 ||
		{ gateway_fail "no connection_timeout in [device] of $conf" /dev/null; return 1; }
	# The token is the last word on standard output (the rest is on stderr).
	"$bin/medgatectl" -c "$conf" device token --tenant default --name bench \
		>"$work/token.out" 2>"$work/token.log" ||
		{ gateway_fail "medgatectl device token" "$work/token.log"; return 1; }
	token=$(awk 'NF { t = $NF } END { print t }' "$work/token.out")
	[ -n "$token" ] || { gateway_fail "no token in the output" "$work/token.log"; return 1; }

	"$bin/medgated" -c "$conf" >"$work/medgated.log" 2>&1 &
	GW_PID=$!
	for _ in $(seq 1 200); do
		bench_port_open "$GW_PORT" && break
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.1
	done
	bench_port_open "$GW_PORT" || { gateway_fail "medgated did not listen on $GW_PORT" "$work/medgated.log"; return 1; }

	GW_CA="$work/instance/certs/ca.pem"
	"$agent" enroll --server "https://127.0.0.1:$GW_PORT" --ca "$GW_CA" \
		--token "$token" --state "$work/device" >"$work/enroll.log" 2>&1 ||
		{ gateway_fail "medgate-device enroll" "$work/enroll.log"; return 1; }
	GW_CERT="$work/device/cert.pem"
	GW_KEY="$work/device/key.pem"
	if [ ! -f "$GW_CERT" ] || [ ! -f "$GW_KEY" ]; then
		gateway_fail "enrolment wrote no cert.pem/key.pem" "$work/enroll.log"
		return 1
	fi
}

gateway_stop() {
	[ -n "$GW_PID" ] || return 0
	kill -TERM "$GW_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$GW_PID" 2>/dev/null
	wait "$GW_PID" 2>/dev/null
	GW_PID=
}
