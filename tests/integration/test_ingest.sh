#!/usr/bin/env bash
# Measurement ingest on the real daemon: durable 201, duplicates, and every
# kind of bad input refused with a clear answer and nothing stored.
. "$(dirname "$0")/lib.sh"

mg_init
mg_conf_set device body_max 4096
mg_start
mg_enrol scale1

out=$(mg_send scale1 "$(mg_body m-1 MRN-0001)")
assert_contains "$out" '201 {"id":' "first measurement"
id=$(echo "$out" | sed -E 's/.*"id":([0-9]+).*/\1/')
out=$(mg_send scale1 "$(mg_body m-1 MRN-0001)")
assert_eq "200 {\"id\":$id,\"duplicate\":true}" "$out" "same device id again"
assert_eq 1 "$(mg_count)" "rows after duplicate"
ok "201 then 200 with the same id for a resent measurement"

# Each row: expected status, expected text in the answer, body.
check() { # status text body [curl args]
	local status=$1 text=$2 body=$3; shift 3
	local before out
	before=$(mg_count)
	out=$(mg_send scale1 "$body" "$@")
	assert_contains "$out" "$status " "status for: $text"
	assert_contains "$out" "$text" "answer for status $status"
	assert_eq "$before" "$(mg_count)" "rows after a refused request ($text)"
	ok "$status: $text"
}

big=$(python3 -c 'print("{\"id\":\"m-2\",\"pad\":\"" + "x"*5000 + "\"}")')
check 413 "larger than the limit" "$big"
check 400 "malformed JSON at line 1" '{"id": "m-3", "time": '
check 400 "values[0].type" '{"id":"m-4","time":"2026-11-22T10:00:00Z","patient":{"id":"P1"},"values":[{"type":"blood_sugar","value":5,"unit":"mmol/L"}]}'
check 400 "values[0].unit" '{"id":"m-5","time":"2026-11-22T10:00:00Z","patient":{"id":"P1"},"values":[{"type":"body_weight","value":72,"unit":"lb"}]}'
check 400 "values[0].value" '{"id":"m-6","time":"2026-11-22T10:00:00Z","patient":{"id":"P1"},"values":[{"type":"body_weight","value":7200,"unit":"kg"}]}'
long=$(python3 -c 'print("P" * 65)')
check 400 "patient.id" "{\"id\":\"m-7\",\"time\":\"2026-11-22T10:00:00Z\",\"patient\":{\"id\":\"$long\"},\"values\":[{\"type\":\"body_weight\",\"value\":72,\"unit\":\"kg\"}]}"
check 400 "id" "{\"id\":\"$(python3 -c 'print("m" * 65)')\",\"time\":\"2026-11-22T10:00:00Z\",\"patient\":{\"id\":\"P1\"},\"values\":[{\"type\":\"body_weight\",\"value\":72,\"unit\":\"kg\"}]}"
MG_CONTENT_TYPE=text/plain check 415 "application/json" "$(mg_body m-8 P1)"
# The refusal names no patient identifier.
out=$(mg_send scale1 "{\"id\":\"m-9\",\"time\":\"2026-11-22T10:00:00Z\",\"patient\":{\"id\":\"$long\"},\"values\":[]}")
case "$out" in *PPPPPPPP*) fail "an error answer echoed the patient identifier" ;; esac
ok "error answers never echo a patient identifier"

# Without a client certificate, with a foreign CA's, with an expired one.
code=$(curl -s -o "$T/a" -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/json' \
	--data-binary "$(mg_body m-10 P1)" "$DEVICE_URL/device/v1/measurements")
assert_eq 401 "$code" "no client certificate"
assert_contains "$(cat "$T/a")" "no client certificate" "answer without certificate"
ok "401 without a client certificate"

mkdir -p "$T/foreign"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=foreign-ca -keyout "$T/foreign/ca.key" -out "$T/foreign/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=intruder \
	-keyout "$T/foreign/key.pem" -out "$T/foreign/req.pem" 2>/dev/null
openssl x509 -req -in "$T/foreign/req.pem" -CA "$T/foreign/ca.pem" -CAkey "$T/foreign/ca.key" \
	-CAcreateserial -days 30 -out "$T/foreign/cert.pem" 2>/dev/null
code=$(curl -s -o "$T/a" -w '%{http_code}' --cacert "$CA" --cert "$T/foreign/cert.pem" \
	--key "$T/foreign/key.pem" -H 'Content-Type: application/json' \
	--data-binary "$(mg_body m-11 P1)" "$DEVICE_URL/device/v1/measurements" || true)
case "$code" in 401|000) ;; *) fail "foreign CA certificate answered $code" ;; esac
ok "refused: certificate of another CA ($code)"

# An expired certificate signed by the real device CA (certtool can date
# it in the past, openssl x509 cannot).
cat > "$T/expired.tmpl" <<TMPL
cn = "expired scale"
activation_date = "2020-01-01 00:00:00"
expiration_date = "2021-01-01 00:00:00"
tls_www_client
signing_key
TMPL
certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile "$T/expired.key" 2>/dev/null
certtool --generate-certificate --load-privkey "$T/expired.key" \
	--load-ca-certificate "$INST/certs/device-ca.pem" --load-ca-privkey "$INST/keys/device-ca.key" \
	--template "$T/expired.tmpl" --outfile "$T/expired.pem" 2>/dev/null
code=$(curl -s -o "$T/a" -w '%{http_code}' --cacert "$CA" --cert "$T/expired.pem" \
	--key "$T/expired.key" -H 'Content-Type: application/json' \
	--data-binary "$(mg_body m-12 P1)" "$DEVICE_URL/device/v1/measurements" || true)
case "$code" in 401|000) ;; *) fail "expired certificate answered $code" ;; esac
ok "refused: expired certificate ($code)"

# Revoked and blocked devices fail at once, on a kept-alive connection too.
mg_enrol scale2
dev2=$(mg_ctl device list | awk '$NF == "scale2" {print $1}')
out=$(mg_send scale2 "$(mg_body s2-1 P2)" -H 'X-Device-Firmware: 2.4.1-rc(7)')
assert_contains "$out" "201 " "scale2 before blocking"
assert_eq "2.4.1-rc(7)" "$(mg_ctl device list | awk '$NF == "scale2" {print $(NF-2)}')" \
	"firmware as reported"
assert_contains "$(mg_send scale2 "$(mg_body s2-x P2)" -H 'X-Device-Firmware: 2.4 beta')" \
	'400 {"error":"X-Device-Firmware:' "a firmware header with a space"
assert_eq "2.4.1-rc(7)" "$(mg_ctl device list | awk '$NF == "scale2" {print $(NF-2)}')" \
	"firmware unchanged by a refused header"
ok "the firmware a device reports is recorded; a malformed header is refused and changes nothing"
mg_ctl device block "$dev2" >/dev/null
assert_contains "$(mg_send scale2 "$(mg_body s2-2 P2)")" '403 {"error":"device blocked"}' "blocked"
mg_ctl device unblock "$dev2" >/dev/null
assert_contains "$(mg_send scale2 "$(mg_body s2-3 P2)")" "201 " "unblocked"
mg_ctl device revoke "$dev2" >/dev/null
assert_contains "$(mg_send scale2 "$(mg_body s2-4 P2)")" '403 {"error":"device revoked"}' "revoked"
if mg_ctl device unblock "$dev2" 2>/dev/null; then fail "a revoked device was unblocked"; fi
ok "block, unblock and revoke take effect on the next request"

grep -q "refused request from 127.0.0.1: no client certificate" "$INST/log/medgated.log" ||
	fail "refusal without certificate not logged"
grep -q "is revoked" "$INST/log/medgated.log" || fail "revoked device not logged"
ok "refusals are logged"

mg_stop
ok "clean stop"
