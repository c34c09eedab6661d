#!/usr/bin/env bash
# The TLS profile requires the extended master secret (RFC 7627) for
# TLS 1.2 on every port: a client that leaves it out (gnutls-cli with
# %NO_SESSION_HASH) fails the handshake on the web port, on the device
# port's EST paths and on the MLLP port; with it, or with TLS 1.3, the
# same client gets through.
. "$(dirname "$0")/lib.sh"

command -v gnutls-cli >/dev/null || fail "gnutls-cli is missing (gnutls-bin)"
mg_init
mg_start
mg_enrol scale
TLS12="NORMAL:-VERS-ALL:+VERS-TLS1.2"
# handshake PORT PRIORITY [client cert args]: 0 if the TLS handshake
# completes (whatever the server does after it).
handshake() {
	local port=$1 prio=$2; shift 2
	echo | timeout 20 gnutls-cli --x509cafile "$CA" --priority "$prio" -p "$port" "$@" \
		localhost > "$T/hs.out" 2>&1 || true
	grep -q "Handshake was completed" "$T/hs.out"
}
for port in "$WEB_PORT" "$DEVICE_PORT"; do
	handshake "$port" "$TLS12" || fail "TLS 1.2 with EMS refused on $port: $(tail -3 "$T/hs.out")"
	grep -q "extended master secret" "$T/hs.out" || fail "no EMS reported on $port"
	handshake "$port" "NORMAL:-VERS-ALL:+VERS-TLS1.3" || fail "TLS 1.3 refused on $port"
	if handshake "$port" "$TLS12:%NO_SESSION_HASH"; then
		fail "TLS 1.2 without the extended master secret accepted on port $port"
	fi
done
ok "web and device ports refuse TLS 1.2 without EMS, accept it with EMS and TLS 1.3"

# The EST path itself: curl cannot turn EMS off, so gnutls-cli speaks HTTP.
est() { # priority
	printf 'GET /.well-known/est/cacerts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		timeout 20 gnutls-cli --x509cafile "$CA" --priority "$1" -p "$DEVICE_PORT" localhost \
			> "$T/est.out" 2>&1 || true
	cat "$T/est.out"
}
assert_contains "$(est "$TLS12")" "HTTP/1.1 200" "EST cacerts over TLS 1.2 with EMS"
if est "$TLS12:%NO_SESSION_HASH" > /dev/null; grep -q "HTTP/1.1" "$T/est.out"; then
	fail "/.well-known/est/ answered over TLS 1.2 without EMS"
fi
ok "/.well-known/est/ is not served over TLS 1.2 without EMS"

dev=$T/dev/scale
handshake "$MLLP_PORT" "$TLS12" --x509certfile "$dev/cert.pem" --x509keyfile "$dev/key.pem" ||
	fail "MLLP TLS 1.2 with EMS refused: $(tail -3 "$T/hs.out")"
if handshake "$MLLP_PORT" "$TLS12:%NO_SESSION_HASH" --x509certfile "$dev/cert.pem" \
	--x509keyfile "$dev/key.pem"; then
	fail "MLLP accepted TLS 1.2 without EMS"
fi
ok "the MLLP port refuses TLS 1.2 without EMS"
mg_stop
