#!/usr/bin/env bash
# Compatible products only, with the real medgate-device and curl:
# [devices] models lists the accepted models; an enrolment naming another
# model, or none, is refused with a clear answer (and does not use up the
# token); a listed device that later reports another model keeps
# delivering but is flagged in the inventory and alerted.
. "$(dirname "$0")/lib.sh"

mg_init
mg_conf_set devices models "acme-s100:2.1.0, acme-rod"
mg_start

S=$T/scale
token=$(mg_ctl device token --tenant default --name "Scale models" 2>/dev/null)
status=0
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" \
	--model acme-x9 > "$T/refused.out" 2>&1 || status=$?
assert_eq 1 "$status" "enrolment of an unlisted model"
assert_contains "$(cat "$T/refused.out")" "device model acme-x9 is not accepted by this gateway" \
	"refusal text"
assert_contains "$(cat "$T/refused.out")" "HTTP 403" "refusal status"
[ -e "$S/cert.pem" ] && fail "a refused enrolment wrote a certificate"

# Without a model (curl as the EST client): refused, saying what to send.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
	-subj /CN=x -outform DER -out "$T/req.der" 2>/dev/null
base64 "$T/req.der" > "$T/req.b64"
est() { # [curl args]
	curl -s --max-time 20 -o "$T/answer" -w '%{http_code}' --cacert "$CA" -u "dev:$token" \
		-H 'Content-Type: application/pkcs10' --data-binary @"$T/req.b64" "$@" \
		"$DEVICE_URL/.well-known/est/simpleenroll"
}
assert_eq 403 "$(est)" "enrolment naming no model"
assert_contains "$(cat "$T/answer")" "name the model in X-Device-Model" "no-model answer"
assert_eq 400 "$(est -H 'X-Device-Model: acme s100')" "malformed model"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM devices")" "devices after refusals"
assert_eq 2 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'device.enrol' AND outcome <> 'success'")" \
	"refusals on the audit trail"
ok "an unlisted model, or none, is refused with a clear answer and audited"

# The same token still enrols a listed model.
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" \
	--model acme-s100 > /dev/null
"$MEDGATE_DEVICE" send --state "$S" --patient MODEL-PAT-1 --weight 70.2 > /dev/null
did=$(mg_ctl device list | awk '$NF == "models" { print $1 }')
mg_ctl device list | grep -Eq "^$did .* acme-s100 +Scale models$" ||
	fail "device list: $(mg_ctl device list)"
assert_eq "" "$(mg_sql "SELECT kind FROM alerts WHERE kind = 'device.model_mismatch'")" "no alert yet"
ok "a listed model enrols (the refused attempts left the token unused) and delivers"

# The device reports another model: delivered, flagged, alerted.
"$MEDGATE_DEVICE" send --state "$S" --patient MODEL-PAT-1 --weight 70.4 --model acme-rod > /dev/null
mg_ctl device list | grep -q " acme-s100!acme-rod " || fail "not flagged: $(mg_ctl device list)"
assert_eq "device.model_mismatch|device:$did" \
	"$(mg_sql "SELECT kind || '|' || subject FROM alerts WHERE kind = 'device.model_mismatch'")" \
	"model mismatch alert"
assert_eq 2 "$(mg_sql "SELECT count(*) FROM measurements WHERE device_id = $did")" "measurements"
# Back to its own model: the flag clears.
"$MEDGATE_DEVICE" send --state "$S" --patient MODEL-PAT-1 --weight 70.5 > /dev/null
mg_ctl device list | grep -Eq "^$did .* acme-s100 +Scale models$" ||
	fail "flag not cleared: $(mg_ctl device list)"
ok "a device reporting another model is flagged in the inventory and alerted"
mg_stop
