#!/usr/bin/env bash
# Interfaces that really close: switching the device port, the inbound
# MLLP port or the web port off closes its listening socket (a connect
# attempt is refused, not answered 503 after a TLS handshake), and
# switching it on listens again; the web port only from medgatectl. The
# switch holds across a restart, and `enabled = off` in medgate.conf keeps
# a port closed from the start.
. "$(dirname "$0")/lib.sh"

# "open" or "refused" for a TCP connect to PORT on the loopback.
port_state() { # port
	python3 - "$1" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
    print("open")
except ConnectionRefusedError:
    print("refused")
PY
}

# Wait (at most 6 s: the switch is read once a second) for PORT to be STATE.
wait_port() { # port state what
	local got
	for _ in $(seq 60); do
		got=$(port_state "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$3: port $1 is $got, expected $2"
}

W=https://localhost:$WEB_PORT
# The admin signs in once (and sets a password of its own); api then
# prints "STATUS BODY" of one call in that session.
admin_session() {
	local pw
	pw=$(cat "$T/admin-password")
	curl -s --max-time 20 -c "$T/jar" -o "$T/body" --cacert "$CA" -H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"admin\",\"password\":\"$pw\"}" "$W/api/v1/session"
	CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$T/body")
	curl -s --max-time 20 -b "$T/jar" -c "$T/jar" -o "$T/body" --cacert "$CA" \
		-H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" \
		--data-binary "{\"old\":\"$pw\",\"new\":\"Harbour-quilt-meadow-417\"}" \
		"$W/api/v1/session/password"
	CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$T/body")
}
api() { # method path [json]
	curl -s --max-time 20 -b "$T/jar" -o "$T/body" -w '%{http_code} ' --cacert "$CA" \
		-H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" -X "$1" \
		${3:+--data-binary "$3"} "$W$2"
	cat "$T/body"
}

mg_init
mg_start
admin_session
mg_enrol scale-if
assert_contains "$(mg_send scale-if "$(mg_body if-1 PAT-IF-1)")" "201 " "measurement while on"
assert_eq open "$(port_state "$MLLP_PORT")" "mllp port at start"

# An administrator switches the device and MLLP ports off in the API.
api PUT /api/v1/settings '{"interfaces": {"device": false, "mllp": false}}' > "$T/put.json"
grep -Eq '^200 .*"device": ?false' "$T/put.json" || fail "settings answer: $(cat "$T/put.json")"
wait_port "$DEVICE_PORT" refused "device port switched off"
wait_port "$MLLP_PORT" refused "mllp port switched off"
assert_eq open "$(port_state "$WEB_PORT")" "web port untouched"
assert_contains "$(mg_send scale-if "$(mg_body if-2 PAT-IF-1)")" "000" "measurement while off"
ok "device and MLLP ports switched off in the API refuse connections"

api PUT /api/v1/settings '{"interfaces": {"device": true, "mllp": true}}' > /dev/null
wait_port "$DEVICE_PORT" open "device port switched on"
wait_port "$MLLP_PORT" open "mllp port switched on"
assert_contains "$(mg_send scale-if "$(mg_body if-2 PAT-IF-1)")" "201 " "measurement after on"
ok "switched on again, both listen and a device delivers"

# The web interface cannot switch the web port, nor an incident action.
api PUT /api/v1/settings '{"interfaces": {"web": false}}' > "$T/web.json"
grep -q '^400 .*medgatectl interface' "$T/web.json" || fail "web switch in the API: $(cat "$T/web.json")"
assert_eq open "$(port_state "$WEB_PORT")" "web port after the refused switch"
ok "the API refuses to switch the web port and says where it is switched"

mg_ctl interface off web > /dev/null
wait_port "$WEB_PORT" refused "web port switched off by medgatectl"
mg_ctl interface list > "$T/list"
grep -Eq '^web +off' "$T/list" || fail "interface list: $(cat "$T/list")"
grep -Eq '^device +on +port' "$T/list" || fail "interface list: $(cat "$T/list")"
mg_ctl interface on web > /dev/null
wait_port "$WEB_PORT" open "web port switched on by medgatectl"
api GET /api/v1/settings > "$T/get.json"
grep -Eq '"web": ?true' "$T/get.json" || fail "settings list the web port: $(cat "$T/get.json")"
mg_ctl audit export --since 2000-01-01T00:00:00Z > "$T/audit.jsonl"
[ "$(grep -c '"interface.switch"' "$T/audit.jsonl" || true)" -ge 4 ] ||
	fail "interface switches on the audit trail: $(grep -c interface.switch "$T/audit.jsonl")"
ok "medgatectl switches the web port off (refused) and on; every switch is audited"

# Off across a restart: the device port is closed from the start; and
# enabled = off in the configuration: the MLLP port is never bound.
mg_ctl interface off device > /dev/null
mg_stop
mg_conf_set mllp enabled off
"$MEDGATED" -c "$CONF" 2> "$T/medgated.stderr" &
DAEMON_PID=$!
wait_port "$WEB_PORT" open "web port after restart"
assert_eq refused "$(port_state "$DEVICE_PORT")" "device port switched off across a restart"
assert_eq refused "$(port_state "$MLLP_PORT")" "mllp port with enabled = off"
mg_ctl interface list > "$T/list"
grep -Eq '^mllp +on +enabled = off' "$T/list" || fail "interface list: $(cat "$T/list")"
mg_ctl interface on device > /dev/null
wait_port "$DEVICE_PORT" open "device port switched on after restart"
assert_contains "$(mg_send scale-if "$(mg_body if-3 PAT-IF-1)")" "201 " "measurement after restart"
assert_eq refused "$(port_state "$MLLP_PORT")" "mllp port with enabled = off, switch on"
mg_stop
ok "a port switched off stays closed across a restart until switched on; enabled = off never opens"
