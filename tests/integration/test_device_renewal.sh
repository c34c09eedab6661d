#!/usr/bin/env bash
# Certificates through a device's life, with the real medgate-device and
# curl: an alert when a device certificate is close to expiry, renewal by
# EST simplereenroll under the current certificate (same device id and
# history; the old certificate is refused from that moment, also for a
# second renewal), and a revocation that takes effect on the next request
# of a connection kept open.
. "$(dirname "$0")/lib.sh"

mg_init
mg_conf_set tls device_cert_days 10	# inside the 30 days of [detect] certificate_expiry
mg_conf_set detect scan_interval 1
mg_start

S=$T/scale
token=$(mg_ctl device token --tenant default --name "Scale renew" 2>/dev/null)
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" > /dev/null
"$MEDGATE_DEVICE" send --state "$S" --patient RENEW-PAT-1 --weight 70.1 > /dev/null
did=$(mg_ctl device list | awk '$NF == "renew" { print $1 }')
[ -n "$did" ] || fail "device list: $(mg_ctl device list)"
expires=$(date -u -d '+10 days' +%Y-%m-%d)
mg_ctl device list | grep -q "$expires" || fail "device list lacks the expiry $expires: $(mg_ctl device list)"
ok "the inventory shows the certificate's expiry ($expires)"

for _ in $(seq 100); do
	alert=$(mg_sql "SELECT summary FROM alerts WHERE kind = 'device.certificate_expiry' AND subject = 'device:$did'")
	[ -n "$alert" ] && break
	sleep 0.1
done
assert_contains "$alert" "the certificate of device $did expires on $expires" "expiry alert"
ok "a certificate expiring within 30 days raises device.certificate_expiry"

cp "$S/cert.pem" "$T/old-cert.pem"
cp "$S/key.pem" "$T/old-key.pem"
"$MEDGATE_DEVICE" reenroll --state "$S" > "$T/reenroll.out"
assert_contains "$(cat "$T/reenroll.out")" "renewed $S: CN=Scale renew" "reenroll output"
cmp -s "$S/cert.pem" "$T/old-cert.pem" && fail "reenroll kept the old certificate"
cmp -s "$S/key.pem" "$T/old-key.pem" && fail "reenroll kept the old key"
"$MEDGATE_DEVICE" send --state "$S" --patient RENEW-PAT-1 --weight 70.3 > /dev/null
assert_eq 1 "$(mg_sql "SELECT count(*) FROM devices")" "devices after renewal"
assert_eq 2 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_id = $did")" "history kept"
assert_eq 1 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'device.reenrol' AND outcome = 'success'")" \
	"device.reenrol on the audit trail"
ok "medgate-device reenroll: a new key and certificate for the same device id, history kept"

# The old certificate: refused for measurements and for another renewal.
old() { # path [curl args]
	local p=$1; shift
	curl -s --max-time 20 -o "$T/answer" -w '%{http_code}' --cacert "$CA" --cert "$T/old-cert.pem" \
		--key "$T/old-key.pem" "$@" "$DEVICE_URL$p"
}
assert_eq 401 "$(old /device/v1/measurements -H 'Content-Type: application/json' \
	--data-binary "$(mg_body r-old RENEW-PAT-1)")" "measurement with the old certificate"
assert_contains "$(cat "$T/answer")" "belongs to no enrolled device" "old certificate answer"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k2.pem" \
	-subj /CN=x -outform DER -out "$T/req.der" 2>/dev/null
base64 "$T/req.der" > "$T/req.b64"
assert_eq 401 "$(old /.well-known/est/simplereenroll -H 'Content-Type: application/pkcs10' \
	--data-binary @"$T/req.b64")" "renewal with the old certificate"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" \
	-H 'Content-Type: application/pkcs10' --data-binary @"$T/req.b64" \
	"$DEVICE_URL/.well-known/est/simplereenroll")" "renewal without a certificate"
# Any EST client renews: curl with the current certificate.
code=$(curl -s --max-time 20 -o "$T/p7.b64" -w '%{http_code}' --cacert "$CA" --cert "$S/cert.pem" \
	--key "$S/key.pem" -H 'Content-Type: application/pkcs10' --data-binary @"$T/req.b64" \
	"$DEVICE_URL/.well-known/est/simplereenroll")
assert_eq 200 "$code" "renewal by curl"
base64 -d "$T/p7.b64" | openssl pkcs7 -inform DER -print_certs -out "$T/curl-cert.pem"
openssl x509 -in "$T/curl-cert.pem" -noout -subject | grep -q "CN = Scale renew" ||
	fail "renewed subject: $(openssl x509 -in "$T/curl-cert.pem" -noout -subject)"
ok "the old certificate is refused (measurements, renewal); curl renews as an EST client"

# Revocation on a connection kept open: the next request is refused.
python3 - "$DEVICE_PORT" "$CA" "$T/curl-cert.pem" "$T/k2.pem" "$MEDGATECTL" "$CONF" "$did" <<'PY' ||
import http.client, json, ssl, subprocess, sys
port, ca, cert, key, ctl, conf, did = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
conn = http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=20)
def post(mid):
    body = json.dumps({"id": mid, "time": "2026-11-22T10:00:00Z", "patient": {"id": "RENEW-PAT-1"},
                       "values": [{"type": "body_weight", "value": 70.5, "unit": "kg"}]})
    conn.request("POST", "/device/v1/measurements", body, {"Content-Type": "application/json"})
    sent_on = conn.sock	# http.client reconnects only when it has no socket
    r = conn.getresponse()
    return r.status, r.read().decode(), sent_on
status, _, first = post("keep-1")
assert status == 201, status
subprocess.run([ctl, "-c", conf, "device", "revoke", did], check=True, capture_output=True)
status, body, second = post("keep-2")
assert second is first, "the second request went on a new connection"
assert status == 403 and "revoked" in body, (status, body)
PY
	fail "revocation on a kept-open connection"
ok "a revocation refuses the next request on a connection kept open"
mg_stop
