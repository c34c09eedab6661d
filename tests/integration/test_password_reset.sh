#!/usr/bin/env bash
# "Forgot password" on the real daemon with a real SMTP server (aiosmtpd,
# STARTTLS): the link arrives by e-mail, works once, expires, and the
# answer never tells whether an account exists.
. "$(dirname "$0")/lib.sh"
: "${MG_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

mg_init
W=https://localhost:$WEB_PORT

# A CA and a certificate for the mail server, trusted by the gateway only
# through [smtp] ca_cert.
mkdir -p "$T/smtp" "$T/mail"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=mail-ca -keyout "$T/smtp/ca.key" -out "$T/smtp/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-keyout "$T/smtp/server.key" -out "$T/smtp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$T/smtp/ext"
openssl x509 -req -in "$T/smtp/server.csr" -CA "$T/smtp/ca.pem" -CAkey "$T/smtp/ca.key" \
	-CAcreateserial -days 2 -extfile "$T/smtp/ext" -out "$T/smtp/server.pem" 2>/dev/null
chmod 644 "$T/smtp/ca.pem"
/usr/bin/python3 "$MG_SOURCE_DIR/tests/integration/tools/smtp_sink.py" --dir "$T/mail" \
	--port-file "$T/smtp/port" --tls starttls --cert "$T/smtp/server.pem" \
	--key "$T/smtp/server.key" --lifetime 170 &
MG_BACKGROUND+=("$!")
for _ in $(seq 100); do [ -s "$T/smtp/port" ] && break; sleep 0.1; done
[ -s "$T/smtp/port" ] || fail "SMTP sink did not start"
mg_conf_set smtp url "smtp://localhost:$(cat "$T/smtp/port")"
mg_conf_set smtp ca_cert "$T/smtp/ca.pem"
mg_conf_set smtp from "medgate@hospital.test"
mg_conf_set web public_url "https://medgate.hospital.test"

printf 'Tq7-vortex-lantern-88\n' > "$T/pw1"
mg_ctl user add nurse.joy --role clinician --tenant default --email joy@hospital.test \
	--password-file "$T/pw1" >/dev/null
mg_ctl user add no.mail --role clinician --password-file "$T/pw1" >/dev/null
mg_start

api() { # method path [json]
	curl -s --max-time 20 -o "$T/body" -w '%{http_code}' --cacert "$CA" -X "$1" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$W$2"
}

mails() { ls "$T/mail" | grep -c '\.json$' || true; }

# Unknown account, account without e-mail, real account: one answer.
assert_eq 202 "$(api POST /api/v1/password-reset '{"user":"nobody.here"}')" "unknown"
a1=$(cat "$T/body")
assert_eq 202 "$(api POST /api/v1/password-reset '{"user":"no.mail"}')" "no e-mail"
a2=$(cat "$T/body")
assert_eq 202 "$(api POST /api/v1/password-reset '{"user":"nurse.joy"}')" "real account"
a3=$(cat "$T/body")
assert_eq "$a1" "$a2" "answers for unknown / no e-mail"
assert_eq "$a1" "$a3" "answers for unknown / real"
ok "the reset answer is the same whether or not the account exists"

for _ in $(seq 100); do [ "$(mails)" -ge 1 ] && break; sleep 0.1; done
assert_eq 1 "$(mails)" "e-mails sent"
mail=$(ls "$T/mail"/*.json | head -1)
token=$(python3 - "$mail" <<'PY'
import json, re, sys
m = json.load(open(sys.argv[1]))
assert m["tls"] is True, "sent without STARTTLS"
assert m["rcpt_tos"] == ["joy@hospital.test"], m["rcpt_tos"]
p = m["parsed"]
assert "medgate@hospital.test" in p["from"], p["from"]
assert "password reset" in p["subject"].lower(), p["subject"]
link = re.search(r"https://medgate\.hospital\.test/#reset=([A-Za-z0-9_-]+)", p["body"])
assert link, p["body"]
print(link.group(1))
PY
) || fail "reset e-mail content"
ok "one e-mail, over STARTTLS, to the account's address, with a link on public_url"

assert_eq 400 "$(api POST /api/v1/password-reset/confirm "{\"token\":\"$token\",\"new\":\"short\"}")" "weak password"
assert_contains "$(cat "$T/body")" '"field":"new"' "weak password names the field"
assert_eq 204 "$(api POST /api/v1/password-reset/confirm "{\"token\":\"$token\",\"new\":\"Harbour-quilt-meadow-417\"}")" "reset"
assert_eq 400 "$(api POST /api/v1/password-reset/confirm "{\"token\":\"$token\",\"new\":\"Another-quilt-meadow-418\"}")" "token used twice"
assert_contains "$(cat "$T/body")" "invalid, used or expired" "second use"
assert_eq 200 "$(api POST /api/v1/session '{"user":"nurse.joy","password":"Harbour-quilt-meadow-417"}')" "sign-in with the new password"
assert_eq 401 "$(api POST /api/v1/session '{"user":"nurse.joy","password":"Tq7-vortex-lantern-88"}')" "old password"
ok "the link sets a new password once; the old password is gone"

# An expired link: issue one, then age it in the store.
api POST /api/v1/password-reset '{"user":"nurse.joy"}' >/dev/null
for _ in $(seq 100); do [ "$(mails)" -ge 2 ] && break; sleep 0.1; done
mail=$(ls -t "$T/mail"/*.json | head -1)
token2=$(python3 -c 'import json,re,sys; print(re.search(r"#reset=([A-Za-z0-9_-]+)", json.load(open(sys.argv[1]))["parsed"]["body"]).group(1))' "$mail")
mg_sql "UPDATE password_resets SET expires_ms = 1 WHERE used_ms IS NULL"
assert_eq 400 "$(api POST /api/v1/password-reset/confirm "{\"token\":\"$token2\",\"new\":\"Another-quilt-meadow-418\"}")" "expired token"
assert_eq 400 "$(api POST /api/v1/password-reset/confirm '{"token":"forged-token","new":"Another-quilt-meadow-418"}')" "forged token"
ok "expired and forged links are refused"

# Stored only as a hash; the log names no token.
if mg_sql "SELECT $(mg_sql_hex token_hash) FROM password_resets" | grep -qi "$token"; then
	fail "reset token stored in clear"
fi
if grep -q "$token" "$INST/log/medgated.log"; then fail "reset token in the log"; fi
ok "reset tokens are kept only as keyed hashes and never logged"

# [mail] language = de: the same mail in German (subject RFC 2047-encoded,
# body UTF-8), the link unchanged.
mg_stop
mg_conf_set mail language de
mg_start
n=$(mails)
api POST /api/v1/password-reset '{"user":"nurse.joy"}' >/dev/null
for _ in $(seq 100); do [ "$(mails)" -gt "$n" ] && break; sleep 0.1; done
mail=$(ls -t "$T/mail"/*.json | head -1)
python3 - "$mail" <<'PY' || fail "German reset e-mail"
import json, re, sys
p = json.load(open(sys.argv[1]))["parsed"]
assert p["subject"] == "medgate: Passwort zurücksetzen", p["subject"]
assert "öffnen Sie innerhalb von 30 Minuten" in p["body"], p["body"]
assert "nurse.joy" in p["body"] and "Someone asked" not in p["body"], p["body"]
assert re.search(r"https://medgate\.hospital\.test/#reset=[A-Za-z0-9_-]+", p["body"]), p["body"]
PY
ok "with [mail] language = de the reset e-mail is German, its link the same"
mg_stop
