# shellcheck shell=bash
# A private nginx for the reference figures: its own prefix, config and pid
# in a temporary directory, loopback port only, in the foreground under
# the caller's control (daemon off), so the driver's trap can stop it.
#
# nginx_start TEMPLATE PREFIX PKI PORT PATH -> sets NGINX_PID
# nginx_stop

NGINX_PID=

nginx_start() {
	local template=$1 prefix=$2 pki=$3 port=$4 path=$5 user=nobody nofile
	mkdir -p "$prefix" || return 1
	# As root, run the workers as root too: the throwaway keys are 0600
	# and owned by root, and nothing here is reachable from outside.
	[ "$(id -u)" = 0 ] && user=root
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] && nofile=1048576
	sed -e "s|@PREFIX@|$prefix|g" -e "s|@PKI@|$pki|g" -e "s|@PORT@|$port|g" \
		-e "s|@PATH@|$path|g" -e "s|@USER@|$user|g" -e "s|@WORKERS@|2|g" \
		-e "s|@NOFILE@|$nofile|g" -e "s|@CONNECTIONS@|$((nofile - 100))|g" \
		"$template" >"$prefix/nginx.conf" || return 1
	nginx -t -q -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" || return 1
	nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
	NGINX_PID=$!
	for _ in $(seq 1 100); do
		if bench_port_open "$port"; then
			return 0
		fi
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "nginx did not start; see $prefix/error.log" >&2
	cat "$prefix/error.log" >&2
	return 1
}

nginx_stop() {
	[ -n "$NGINX_PID" ] || return 0
	# QUIT: graceful; the master takes its workers down with it.
	kill -QUIT "$NGINX_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}
