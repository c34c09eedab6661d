#!/usr/bin/env bash
# medgatectl init: what it writes and prints. public_url follows
# --web-port, every section appears once, the listening addresses are in
# the file and on the screen, --listen sets them.
. "$(dirname "$0")/lib.sh"

mg_init
grep -q "^public_url = https://localhost:$WEB_PORT\$" "$CONF" ||
	fail "public_url does not carry --web-port $WEB_PORT: $(grep public_url "$CONF")"
dups=$(grep -E '^\[[^]]+\]$' "$CONF" | sort | uniq -d)
[ -z "$dups" ] || fail "sections written more than once: $dups"
ok "init --web-port N writes public_url with port N; each section once"

# Every listener's address is written out (not left empty) and printed.
for s in web device mllp; do
	addr=$(awk -v s="[$s]" '$0 == s {in_s = 1; next} /^\[/ {in_s = 0}
		in_s && $1 == "address" {print $3}' "$CONF")
	assert_eq "::" "$addr" "[$s] address written by init"
done
assert_contains "$(cat "$T/init.out")" "web and API:          https://localhost:$WEB_PORT/ (listening on [::]:$WEB_PORT" \
	"init prints where the web port listens"
assert_contains "$(cat "$T/init.out")" "listening on [::]:$DEVICE_PORT" "device listener printed"
assert_contains "$(cat "$T/init.out")" "listening on [::]:$MLLP_PORT" "MLLP listener printed"
mg_start
curl -sf -o /dev/null --cacert "$CA" "https://127.0.0.1:$WEB_PORT/api/v1/health" ||
	fail "address :: does not serve IPv4 clients"
ok "init writes and prints the listening addresses (:: serves IPv6 and IPv4)"

# The security overview flags each listener on every address, and stops
# once each names one.
overview() {
	python3 "$(dirname "$0")/tools/security_overview.py" "$WEB_PORT" "$CA" "$T/admin-password" |
		python3 -c 'import json, sys; d = json.load(sys.stdin)
print(" ".join(sorted(f["kind"] + ":" + f["text"].split(" (")[0] for f in d["findings"]
                      if f["kind"] == "listener.all_addresses")))'
}
found=$(overview) || fail "security overview"
for what in "web and API port" "device port" "MLLP port"; do
	assert_contains "$found" "listener.all_addresses:The $what" "overview flags the $what on every address"
done
mg_stop
for s in web device mllp; do mg_conf_set "$s" address 127.0.0.1; done
mg_start
found=$(overview) || fail "security overview"
assert_eq "" "$found" "no listener finding once each names one address"
mg_stop
ok "the security overview flags listeners on every address, and no longer once each names one"

other=$T/loopback
"$MEDGATECTL" init "$other" --listen 127.0.0.1 --web-port "$(free_port)" \
	--device-port "$(free_port)" --mllp-port "$(free_port)" > "$T/lo.out"
assert_eq 3 "$(grep -c '^address = 127.0.0.1$' "$other/medgate.conf")" "--listen sets every listener"
assert_contains "$(cat "$T/lo.out")" "listening on 127.0.0.1:" "--listen address printed"
if "$MEDGATECTL" init "$T/bad" --listen localhost > "$T/bad.out" 2>&1; then
	fail "init took a host name for --listen"
fi
assert_contains "$(cat "$T/bad.out")" "--listen localhost: expected a numeric IPv4 or IPv6 address" \
	"--listen refusal"
[ ! -e "$T/bad" ] || fail "a refused init left a folder behind"
ok "--listen ADDR sets the listening address; a bad one is refused before anything is made"
