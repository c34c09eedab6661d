#!/usr/bin/env bash
# EST enrolment (RFC 7030) with openssl and curl as the client: cacerts,
# simpleenroll, one-time and expiring tokens, bad requests.
. "$(dirname "$0")/lib.sh"

mg_init
mg_start

curl -s -D "$T/h" -o "$T/cacerts.b64" --cacert "$CA" "$DEVICE_URL/.well-known/est/cacerts"
grep -qi "^content-type: application/pkcs7-mime" "$T/h" || fail "cacerts content type"
base64 -d "$T/cacerts.b64" | openssl pkcs7 -inform DER -print_certs -out "$T/cacerts.pem"
assert_eq "$(openssl x509 -in "$INST/certs/device-ca.pem" -noout -fingerprint -sha256)" \
	"$(openssl x509 -in "$T/cacerts.pem" -noout -fingerprint -sha256)" "cacerts holds the device CA"
ok "GET cacerts answers the device CA as PKCS#7 certs-only"

token=$(mg_ctl device token --tenant default --name "Scale ward 3" 2>/dev/null)
[ "$(printf '%s' "$token" | wc -l)" = 0 ] && [ "${#token}" -ge 40 ] || fail "token output: $token"
mg_sql "SELECT $(mg_sql_hex token_hash) FROM enrol_tokens" | grep -qi "$token" &&
	fail "token stored in clear"
ok "device token prints a one-time token alone; only its hash is stored"

enrol() { # token dir [content-type]
	mkdir -p "$2"
	[ -f "$2/key.pem" ] || openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$2/key.pem" -subj /CN=asked -outform DER -out "$2/req.der" 2>/dev/null
	base64 "$2/req.der" > "$2/req.b64"
	curl -s -o "$2/answer" -w '%{http_code}' --cacert "$CA" -u "dev:$1" \
		-H "Content-Type: ${3:-application/pkcs10}" --data-binary @"$2/req.b64" \
		"$DEVICE_URL/.well-known/est/simpleenroll"
}

assert_eq 200 "$(enrol "$token" "$T/d1")" "simpleenroll"
base64 -d "$T/d1/answer" | openssl pkcs7 -inform DER -print_certs -out "$T/d1/cert.pem"
openssl verify -CAfile "$INST/certs/device-ca.pem" "$T/d1/cert.pem" >/dev/null || fail "issued cert"
openssl x509 -in "$T/d1/cert.pem" -noout -subject | grep -q "CN = Scale ward 3" || fail "subject"
openssl x509 -in "$T/d1/cert.pem" -noout -ext extendedKeyUsage | grep -q "TLS Web Client Authentication" ||
	fail "issued cert lacks clientAuth"
ok "simpleenroll issues a client certificate from the device CA, named by the operator"

assert_eq 401 "$(enrol "$token" "$T/d2")" "token used twice"
assert_contains "$(cat "$T/d2/answer")" "token invalid, used or expired" "reuse answer"
assert_eq 401 "$(enrol "not-a-token" "$T/d2")" "wrong token"
assert_eq 401 "$(enrol "" "$T/d2")" "empty token"
ok "a token works once; wrong and empty tokens are refused"

t2=$(mg_ctl device token --tenant default --name exp 2>/dev/null)
mg_sql "UPDATE enrol_tokens SET expires_ms = 1 WHERE used_ms IS NULL"
assert_eq 401 "$(enrol "$t2" "$T/d3")" "expired token"
ok "an expired token is refused"

t3=$(mg_ctl device token --tenant default --name bad 2>/dev/null)
assert_eq 415 "$(enrol "$t3" "$T/d4" text/plain)" "wrong content type"
mkdir -p "$T/d5" && head -c 300 /dev/urandom > "$T/d5/req.der" && touch "$T/d5/key.pem"
assert_eq 400 "$(enrol "$t3" "$T/d5")" "garbage request"
# A request whose signature does not match its key.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k" \
	-subj /CN=x -outform DER -out "$T/good.der" 2>/dev/null
python3 - "$T/good.der" "$T/d6.der" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-5] ^= 0x55          # inside the signature
open(sys.argv[2], "wb").write(d)
PY
mkdir -p "$T/d6" && cp "$T/d6.der" "$T/d6/req.der" && touch "$T/d6/key.pem"
assert_eq 400 "$(enrol "$t3" "$T/d6")" "request with a broken signature"
assert_eq 200 "$(enrol "$t3" "$T/d7")" "the token still works after bad requests"
ok "bad requests (415, garbage, broken signature) do not use up the token"

assert_eq 2 "$(mg_ctl device list | tail -n +2 | wc -l)" "devices enrolled"
unknown=$(mg_ctl device token --tenant nowhere --name x 2>&1 || true)
assert_contains "$unknown" "no such tenant" "token for an unknown tenant"
mg_stop
ok "clean stop"
