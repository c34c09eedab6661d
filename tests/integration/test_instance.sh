#!/usr/bin/env bash
# medgatectl init and medgated start-up: files and modes, refusal to
# overwrite, refusal to start with readable keys, privilege drop, signals.
. "$(dirname "$0")/lib.sh"

mg_init
mode() { stat -c %a "$1"; }
owner() { stat -c %U:%G "$1"; }
if [ "$(id -u)" -eq 0 ]; then
	# Made by root for the service account: it reads what it needs and
	# changes none of it; the instance CA's key is root's alone.
	for f in keys/master.key keys/device-ca.key keys/server.key medgate.conf; do
		assert_eq "640 root:medgate" "$(mode "$INST/$f") $(owner "$INST/$f")" "mode of $f"
	done
	assert_eq "600 root:root" "$(mode "$INST/keys/ca.key") $(owner "$INST/keys/ca.key")" \
		"the instance CA key"
	for d in . keys certs; do
		assert_eq root "$(stat -c %U "$INST/$d")" "owner of folder $d"
	done
	assert_eq "medgate medgate 700 medgate" "$(stat -c %U "$INST/data") $(stat -c %U "$INST/log") $(mode "$INST/backups") $(owner "$INST/backups" | cut -d: -f1)" \
		"owners of data/ and log/, and backups/ (scheduled backups, the erasure log)"
	if runuser -u medgate -- cat "$INST/keys/ca.key" > /dev/null 2>&1; then
		fail "the service account reads the instance CA key"
	fi
	for f in medgate.conf keys/master.key certs/server.pem; do
		if runuser -u medgate -- sh -c ": >> '$INST/$f'" 2> /dev/null; then
			fail "the service account can write $f"
		fi
	done
	ok "keys and configuration are root's, read-only to the service account; the CA key is not readable"
else
	for f in keys/master.key keys/device-ca.key keys/ca.key keys/server.key; do
		assert_eq 600 "$(mode "$INST/$f")" "mode of $f"
	done
fi
for f in certs/ca.pem certs/device-ca.pem certs/server.pem medgate.conf data/medgate.db; do
	[ -s "$INST/$f" ] || fail "$f missing"
done
assert_eq 32 "$(stat -c %s "$INST/keys/master.key")" "master key size"
openssl x509 -in "$INST/certs/device-ca.pem" -noout -text | grep -q "ASN1 OID: prime256v1" ||
	fail "device CA is not ECDSA P-256"
openssl verify -CAfile "$INST/certs/ca.pem" "$INST/certs/server.pem" >/dev/null ||
	fail "server certificate not signed by the instance CA"
openssl x509 -in "$INST/certs/server.pem" -noout -ext subjectAltName | grep -q "DNS:localhost" ||
	fail "server certificate lacks localhost"
grep -q "^port = $DEVICE_PORT" "$CONF" || fail "device port not in the configuration"
grep -q "one-time password from" "$T/init.out" || fail "init output"
if grep -q "correct horse" "$T/init.out"; then fail "init printed a password given in a file"; fi
ok "init made keys (0600), CAs, server certificate, configuration and store"

if "$MEDGATECTL" init "$INST" > "$T/again.out" 2>&1; then fail "init overwrote an instance"; fi
grep -q "refusing to overwrite" "$T/again.out" || fail "refusal reason: $(cat "$T/again.out")"
ok "init refuses an existing instance"

out=$("$MEDGATECTL" init "$T/other" --web-port "$(free_port)" --device-port "$(free_port)" --mllp-port "$(free_port)")
pw=$(echo "$out" | sed -n 's/.*one-time password (shown once): //p')
[ "${#pw}" -ge 16 ] || fail "no random one-time password printed: $out"
ok "init prints a random one-time password once"

chmod 644 "$INST/keys/master.key"
if "$MEDGATED" -c "$CONF" 2> "$T/start.err"; then fail "started with a readable master key"; fi
grep -q "keys/master.key is not private (mode 0644); fix: chmod 600, or chown root:SERVICE-GROUP and chmod 640" "$T/start.err" ||
	fail "key refusal message: $(cat "$T/start.err")"
chmod 600 "$INST/keys/master.key"
ok "medgated refuses a key file readable by others, naming file and fix"

mg_conf_set device port 99999 || true
if "$MEDGATED" -c "$CONF" 2> "$T/start.err"; then fail "started with a bad port"; fi
grep -q "line .*\[device\] port: expected a whole number from 1 to 65535" "$T/start.err" ||
	fail "config error message: $(cat "$T/start.err")"
mg_conf_set device port "$DEVICE_PORT"
echo "[device]" >> "$CONF"; echo "bogus = 1" >> "$CONF"
if "$MEDGATED" -c "$CONF" 2> "$T/start.err"; then fail "started with an unknown key"; fi
grep -q "unknown key \[device\] bogus" "$T/start.err" || fail "unknown key message"
head -n -2 "$CONF" > "$T/conf" && cat "$T/conf" > "$CONF"
ok "configuration errors name the line and key"

# security.txt (RFC 9116) from [disclosure]: a contact that is not a
# mailto: or https: URI is refused at start, naming the key.
mg_conf_set disclosure contact "ftp://example.org/report"
mg_conf_set disclosure expires "2027-12-31T00:00:00Z"
if "$MEDGATED" -c "$CONF" 2> "$T/start.err"; then fail "started with an ftp: contact"; fi
assert_contains "$(cat "$T/start.err")" "[disclosure] contact: each a mailto: or https: URI" \
	"disclosure refusal"
mg_conf_set disclosure contact "mailto:security@example.org, https://example.org/report"
mg_conf_set disclosure policy "https://example.org/disclosure"

if [ "$(id -u)" -eq 0 ]; then
	# A daemon that could change its own configuration or keys refuses to start.
	chown medgate "$CONF"
	if "$MEDGATED" -c "$CONF" 2> "$T/start.err"; then fail "started with a configuration it can write"; fi
	assert_contains "$(cat "$T/start.err")" "account medgate could change its own files: $CONF is writable" \
		"refusal names the writable configuration"
	chown root "$CONF"
	chown medgate "$INST/keys"
	if "$MEDGATED" -c "$CONF" 2> "$T/start.err"; then fail "started with a key folder it owns"; fi
	assert_contains "$(cat "$T/start.err")" "its folder $INST/keys is writable" \
		"refusal names the writable key folder"
	chown root "$INST/keys"
	ok "medgated refuses to start when it could change its configuration or keys"
fi

mg_start
if [ "$(id -u)" -eq 0 ]; then
	uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$DAEMON_PID/status")
	m=$(id -u medgate)
	assert_eq "$m$m$m$m" "$uid" "daemon uids after the switch"
	ok "started as root, medgated runs as medgate"
fi

mv "$INST/log/medgated.log" "$INST/log/medgated.log.1"
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do [ -s "$INST/log/medgated.log" ] && break; sleep 0.1; done
grep -q "log reopened" "$INST/log/medgated.log" || fail "SIGHUP did not reopen the log"
ok "SIGHUP reopens the log"

# The web port serves the health check with the security headers.
curl -s -D "$T/headers" -o "$T/health" --cacert "$CA" "https://localhost:$WEB_PORT/api/v1/health"
assert_contains "$(cat "$T/health")" '"status":"ok"' "health"
grep -qi "^strict-transport-security:" "$T/headers" || fail "no HSTS header"
grep -qi "^content-security-policy:.*frame-ancestors 'none'" "$T/headers" || fail "no CSP header"
ok "web port serves health with security headers"

curl -sf -D "$T/sec.headers" -o "$T/security.txt" --cacert "$CA" \
	"https://localhost:$WEB_PORT/.well-known/security.txt" || fail "no security.txt"
cat > "$T/security.want" <<EOF2
Contact: mailto:security@example.org
Contact: https://example.org/report
Expires: 2027-12-31T00:00:00Z
Policy: https://example.org/disclosure
Preferred-Languages: en, de
Canonical: https://localhost:$WEB_PORT/.well-known/security.txt
EOF2
diff "$T/security.want" "$T/security.txt" || fail "security.txt differs"
grep -qi "^content-type: text/plain; charset=utf-8" "$T/sec.headers" || fail "security.txt type"
ok "/.well-known/security.txt (RFC 9116) carries the configured contacts, expiry and policy"

# TLS profile: TLS 1.1 is refused, TLS 1.2 without ECDHE-AES-GCM is refused.
if curl -s -o /dev/null --cacert "$CA" --tls-max 1.1 "https://localhost:$WEB_PORT/" 2>/dev/null; then
	fail "TLS 1.1 accepted"
fi
if curl -s -o /dev/null --cacert "$CA" --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 \
	"https://localhost:$WEB_PORT/" 2>/dev/null; then
	fail "ChaCha20 accepted under the bsi profile"
fi
curl -s -o /dev/null --cacert "$CA" --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 \
	"https://localhost:$WEB_PORT/" || fail "TLS 1.2 ECDHE-AES-GCM refused"
ok "bsi profile: TLS 1.2+ with ECDHE and AES-GCM only"

mg_stop
grep -q "medgated stopped" "$INST/log/medgated.log" || fail "no clean stop logged"
ok "SIGTERM stops cleanly"
