#!/usr/bin/env bash
# OpenSSL interoperability of src/tls/: requests made by OpenSSL are signed by
# our CA, OpenSSL verifies what we issue and reads our EST certs-only PKCS#7,
# and OpenSSL's s_client negotiates exactly what each TLS profile allows
# against a GnuTLS server configured like medgated (gnutls-serv with our
# priority string, server certificate and device CA).
#
# The C side runs inside the unit test binary: with MG_TLS_INTEROP_DIR set,
# test_tls signs the requests found there and writes its outputs next to
# them. Needs: openssl, gnutls-serv (gnutls-bin), coreutils base64.
set -euo pipefail

src=${MG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${MG_BIN:-$src/build}
test_tls=$bin/test_tls
for tool in openssl gnutls-serv base64 stdbuf timeout; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed" >&2; exit 1; }
done
[ -x "$test_tls" ] || { echo "FAIL: $test_tls not built (target test_tls)" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

failures=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; failures=$((failures + 1)); }

# --- 1. OpenSSL makes the requests, test_tls signs them -------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout client-ec.key -subj /CN=x -outform DER -out req-ec.der 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes \
	-keyout client-rsa.key -subj /CN=y -outform DER -out req-rsa.der 2>/dev/null
openssl base64 -in req-ec.der -out req-ec.b64	# the EST body, 64-column lines
# A client certificate from a CA nobody trusts.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout foreign.key -subj /CN=foreign -days 2 -out foreign.pem 2>/dev/null

if MG_TLS_INTEROP_DIR=$work "$test_tls" >test_tls.log 2>&1 &&
	grep -q 'OK \] test_interop_export' test_tls.log; then
	ok "test_tls signed OpenSSL's requests and wrote its files"
else
	cat test_tls.log
	bad "test_tls with MG_TLS_INTEROP_DIR"
	exit 1
fi

# --- 2. OpenSSL checks the certificates --------------------------------------
for c in ec rsa b64; do
	openssl x509 -inform DER -in "client-$c.der" -out "client-$c.pem"
	if openssl verify -CAfile device-ca.pem -purpose sslclient "client-$c.pem" >/dev/null 2>&1; then
		ok "openssl verify -purpose sslclient: client-$c.pem against the device CA"
	else
		bad "openssl verify client-$c.pem"
	fi
	text=$(openssl x509 -in "client-$c.pem" -noout -text)
	grep -q 'TLS Web Client Authentication' <<<"$text" && ok "client-$c: clientAuth EKU" ||
		bad "client-$c: no clientAuth EKU"
	grep -q 'CA:FALSE' <<<"$text" && ok "client-$c: CA:FALSE" || bad "client-$c: not CA:FALSE"
	grep -qE 'Subject: CN ?= ?interop-' <<<"$text" && ok "client-$c: subject is ours, not the request's" ||
		bad "client-$c: subject"
done
if openssl verify -CAfile instance-ca.pem -CAfile device-ca.pem client-ec.pem >/dev/null 2>&1 &&
	! openssl verify -CAfile instance-ca.pem client-ec.pem >/dev/null 2>&1; then
	ok "a device certificate does not verify against the instance CA"
else
	bad "device certificate vs instance CA"
fi
ca_ext=$(openssl x509 -in device-ca.pem -noout -ext basicConstraints,keyUsage)
grep -q 'CA:TRUE, pathlen:0' <<<"$ca_ext" && grep -q 'Certificate Sign, CRL Sign' <<<"$ca_ext" &&
	ok "device CA: CA:TRUE pathlen 0, keyCertSign + cRLSign" || bad "device CA extensions: $ca_ext"
if openssl verify -CAfile instance-ca.pem -purpose sslserver server.pem >/dev/null 2>&1; then
	ok "openssl verify -purpose sslserver: server.pem against the instance CA"
else
	bad "openssl verify server.pem"
fi
san=$(openssl x509 -in server.pem -noout -ext subjectAltName)
grep -q 'DNS:localhost' <<<"$san" && grep -q 'IP Address:127.0.0.1' <<<"$san" &&
	grep -q 'IP Address:0:0:0:0:0:0:0:1' <<<"$san" &&
	ok "server.pem SAN: localhost, 127.0.0.1, ::1" || bad "server SAN: $san"
[ "$(stat -c %a server.key)" = 600 ] && ok "server.key mode 0600" || bad "server.key mode"
openssl pkey -in server.key -noout 2>/dev/null && ok "openssl reads server.key" || bad "server.key unreadable"

# --- 3. The EST certs-only PKCS#7 ------------------------------------------
if n=$(base64 -d certs-only.b64 | openssl pkcs7 -inform DER -print_certs | grep -c '^subject='); then
	[ "$n" = 2 ] && ok "base64 -d | openssl pkcs7 -print_certs: 2 certificates" ||
		bad "certs-only holds $n certificates"
else
	bad "openssl cannot read certs-only.b64"
fi

# --- 4. TLS: OpenSSL s_client against gnutls-serv with our profiles --------
start_server() {	# profile
	local port tries=0
	while :; do
		port=$((20000 + RANDOM % 30000))
		stdbuf -oL -eL gnutls-serv --http --priority "$(cat "prio-$1.txt")" \
			--x509certfile server.pem --x509keyfile server.key \
			--x509cafile device-ca.pem --require-client-cert --verify-client-cert \
			-p "$port" >server.log 2>&1 &
		server_pid=$!
		for _ in $(seq 50); do
			grep -q 'listening on IPv4.*done' server.log && { server_port=$port; return 0; }
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
		tries=$((tries + 1))
		[ $tries -lt 5 ] || { cat server.log; echo "FAIL: gnutls-serv did not start" >&2; exit 1; }
	done
}
stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}
# connect EXPECT(ok|fail) DESCRIPTION [s_client options...]: "ok" means the
# HTTP answer came back (and the output matches $want, an extended regexp,
# when set); "fail" means it did not.
connect() {
	local expect=$1 what=$2 out rc=0
	shift 2
	# -ign_eof: wait for the answer, so a refusal after a TLS 1.3
	# handshake (the server checks the client certificate then) shows.
	out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 15 openssl s_client -brief -ign_eof \
		-connect "127.0.0.1:$server_port" -servername localhost \
		-CAfile instance-ca.pem -verify_return_error "$@" 2>&1) || rc=$?
	if [ "$expect" = ok ]; then
		if [ $rc -eq 0 ] && grep -q 'HTTP/1.0 200 OK' <<<"$out" &&
			{ [ -z "${want:-}" ] || grep -qE "$want" <<<"$out"; }; then
			ok "$what"
		else
			echo "$out" | head -20
			bad "$what"
		fi
	elif ! grep -q 'HTTP/1.0 200 OK' <<<"$out"; then
		ok "$what (refused)"
	else
		echo "$out" | head -20
		bad "$what was accepted"
	fi
	want=
}
ec=(-cert client-ec.pem -key client-ec.key)
rsa=(-cert client-rsa.pem -key client-rsa.key)

start_server bsi
want='Protocol version: TLSv1.3' connect ok "bsi: TLS 1.3 with an EC device certificate" "${ec[@]}"
grep -q 'The certificate is trusted' server.log && ok "bsi: gnutls-serv verified the device certificate" ||
	bad "bsi: server did not verify the client certificate"
want='Server Temp Key: ECDH, prime256v1' connect ok "bsi: P-256 preferred" "${ec[@]}"
want='Server Temp Key: ECDH, secp384r1' connect ok "bsi: P-384 when the client asks" -groups P-384 "${ec[@]}"
want='Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256' \
	connect ok "bsi: TLS 1.2 ECDHE-ECDSA-AES128-GCM with an RSA device certificate" -tls1_2 "${rsa[@]}"
want='TLS_AES_256_GCM_SHA384' connect ok "bsi: TLS_AES_256_GCM_SHA384" -ciphersuites TLS_AES_256_GCM_SHA384 "${ec[@]}"
connect fail "bsi: X25519 only" -groups X25519 "${ec[@]}"
connect fail "bsi: TLS 1.3 ChaCha20 only" -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 "${ec[@]}"
connect fail "bsi: TLS 1.2 ChaCha20 only" -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 "${ec[@]}"
connect fail "bsi: TLS 1.2 CBC only" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA "${ec[@]}"
connect fail "bsi: TLS 1.1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' "${ec[@]}"
connect fail "bsi: no client certificate"
connect fail "bsi: client certificate from a foreign CA" -cert foreign.pem -key foreign.key
stop_server

start_server mozilla-intermediate
want='Server Temp Key: X25519' connect ok "mozilla-intermediate: X25519" -groups X25519 "${ec[@]}"
want='TLS_CHACHA20_POLY1305_SHA256' \
	connect ok "mozilla-intermediate: TLS 1.3 ChaCha20" -ciphersuites TLS_CHACHA20_POLY1305_SHA256 "${ec[@]}"
want='ECDHE-ECDSA-CHACHA20-POLY1305' \
	connect ok "mozilla-intermediate: TLS 1.2 ChaCha20" -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 "${ec[@]}"
connect fail "mozilla-intermediate: TLS 1.1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' "${ec[@]}"
stop_server

if [ $failures -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all TLS interoperability checks passed"
