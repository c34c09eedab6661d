#!/usr/bin/env bash
# make run: a demo instance (made once, kept between runs) with a simulated
# scale that sends a measurement every few seconds; serves until Ctrl-C.
set -euo pipefail
build=$1 dir=$2
scale=$dir-scale
ctl() { "$build/medgatectl" -c "$dir/medgate.conf" "$@"; }

if [ ! -f "$dir/medgate.conf" ]; then
	mkdir -p "$(dirname "$dir")"
	# The demo keeps its administrator password beside the instance so that
	# every `make run` can show it; a real instance prints it once.
	umask 077
	pwfile=$dir-admin-password
	[ -f "$pwfile" ] || openssl rand -hex 12 > "$pwfile"
	"$build/medgatectl" init "$dir" --admin-password-file "$pwfile"
	fresh=1
else
	fresh=0
fi

"$build/medgated" -c "$dir/medgate.conf" &
daemon=$!
agent=
cleanup() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null
	kill "$daemon" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 50); do
	curl -s -o /dev/null --cacert "$dir/certs/ca.pem" https://localhost:8444/.well-known/est/cacerts && break
	kill -0 "$daemon" 2>/dev/null || { echo "medgated did not start (see $dir/log/medgated.log)"; exit 1; }
	sleep 0.2
done

if [ ! -f "$scale/cert.pem" ]; then
	token=$(ctl device token --tenant default --name "Demo scale" 2>/dev/null)
	"$build/medgate-device" enroll --server https://localhost:8444 --ca "$dir/certs/ca.pem" \
		--token "$token" --state "$scale" --name "Demo scale"
fi
"$build/medgate-device" send --state "$scale" --patient DEMO-0001 --weight 72.4 --height 180 \
	--interval 5 > "$dir-scale.log" 2>&1 &
agent=$!

cat <<TEXT

medgate demo is running.
  web and API:        https://localhost:8443/
  instance CA:        $dir/certs/ca.pem   (trust it, e.g. curl --cacert)
  administrator:      admin, one-time password: $(cat "$dir-admin-password")
  simulated scale:    sends a measurement every 5 s (log: $dir-scale.log)
  stored so far:      $build/medgatectl -c $dir/medgate.conf measurement list
  daemon log:         $dir/log/medgated.log
Press Ctrl-C to stop.
TEXT
[ "$fresh" = 1 ] && echo "(instance created now; it is kept for the next 'make run')"
wait "$daemon"
