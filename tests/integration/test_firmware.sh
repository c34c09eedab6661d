#!/usr/bin/env bash
# Signed firmware with rollback protection, with the real medgatectl and
# medgate-device: import refuses a bad signature, a wrong image, an unknown
# model, an expired manifest and a sequence not higher than the model's
# highest (rollback); a device updates end to end and its new version is
# recorded and audited; a device refuses a manifest its maker did not
# sign, an expired one and one older than it installed (a gateway whose
# database serves an old release); a device below its model's minimum
# secure version, or reporting none, is flagged and alerted.
. "$(dirname "$0")/lib.sh"

mg_init
mg_conf_set devices models "acme-s100:2.0, acme-rod"
mg_conf_set devices firmware_keys "$T/maker-keys"
mg_start

# The maker's keys (and a stranger's), the gateway's key file.
mg_ctl firmware keygen --secret "$T/maker.sec" --public "$T/maker.pub" > /dev/null
mg_ctl firmware keygen --secret "$T/evil.sec" --public "$T/evil.pub" > /dev/null
{ echo "# model key"; echo "acme-s100 $(cat "$T/maker.pub")"; echo "acme-x9 $(cat "$T/maker.pub")"; } > "$T/maker-keys"
chmod 644 "$T/maker-keys"
FUTURE=2099-01-01T00:00:00Z
sign() { # key version sequence image out [expires] [model]
	mg_ctl firmware sign --key "$1" --model "${7:-acme-s100}" --version "$2" --sequence "$3" \
		--image "$4" --expires "${6:-$FUTURE}" --out "$5"
}
import() { # version sequence image manifest [model]
	mg_ctl firmware import --model "${5:-acme-s100}" --version "$1" --sequence "$2" --image "$3" \
		--manifest "$4"
}
refused() { # what expected-text command...
	local what=$1 text=$2 status=0
	shift 2
	"$@" > "$T/out" 2>&1 || status=$?
	[ "$status" -ne 0 ] || fail "$what: accepted: $(cat "$T/out")"
	assert_contains "$(cat "$T/out")" "$text" "$what"
}
head -c 3000 /dev/urandom > "$T/fw2.bin"
head -c 4000 /dev/urandom > "$T/fw3.bin"
head -c 4100 /dev/urandom > "$T/fw4.bin"
sign "$T/maker.sec" 2.2 5 "$T/fw2.bin" "$T/fw2.man"
sign "$T/evil.sec" 2.2 5 "$T/fw2.bin" "$T/evil.man"

# Import refusals, each with its reason, none stored.
refused "bad signature" "bad signature" import 2.2 5 "$T/fw2.bin" "$T/evil.man"
refused "wrong image" "wrong image: firmware image" import 2.2 5 "$T/fw3.bin" "$T/fw2.man"
sign "$T/maker.sec" 2.2 5 "$T/fw2.bin" "$T/rod.man" "$FUTURE" acme-rod
refused "no key for the model" "unknown model acme-rod" import 2.2 5 "$T/fw2.bin" "$T/rod.man" acme-rod
sign "$T/maker.sec" 2.2 5 "$T/fw2.bin" "$T/x9.man" "$FUTURE" acme-x9
refused "model not accepted" "unknown model acme-x9 (not in [devices] models)" \
	import 2.2 5 "$T/fw2.bin" "$T/x9.man" acme-x9
refused "command line against the manifest" "not what the command line says" \
	import 2.3 5 "$T/fw2.bin" "$T/fw2.man"
sign "$T/maker.sec" 2.2 5 "$T/fw2.bin" "$T/old.man" 2020-01-01T00:00:00Z
refused "expired manifest" "the manifest has expired" import 2.2 5 "$T/fw2.bin" "$T/old.man"
sed 's/^version=2.2$/version=9.9/' "$T/fw2.man" > "$T/tampered.man"
refused "tampered manifest" "bad signature" import 9.9 5 "$T/fw2.bin" "$T/tampered.man"
# The maker keys file: changeable by group or others, or malformed, is an
# error naming the problem.
chmod 664 "$T/maker-keys"
refused "keys file writable by its group" "writable by group or others" \
	import 2.2 5 "$T/fw2.bin" "$T/fw2.man"
chmod 644 "$T/maker-keys"
cp "$T/maker-keys" "$T/maker-keys.good"
printf '\nacme-rod not-a-key\n' >> "$T/maker-keys"
refused "malformed keys file" "line 5: expected MODEL and a key of 64 hex digits" \
	import 2.2 5 "$T/fw2.bin" "$T/fw2.man"
cp "$T/maker-keys.good" "$T/maker-keys"
assert_eq 0 "$(mg_sql "SELECT count(*) FROM firmware_releases")" "releases after refusals"
assert_eq 6 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'firmware.import' AND outcome = 'denied'")" \
	"refusals on the audit trail"
ok "import refuses a bad signature, a wrong image, unknown models and an expired manifest"

import 2.2 5 "$T/fw2.bin" "$T/fw2.man" > "$T/out"
assert_contains "$(cat "$T/out")" "imported firmware 2.2 for model acme-s100 (sequence 5" "import"
refused "rollback (same sequence)" "rollback: sequence 5 is not higher than 5" \
	import 2.2 5 "$T/fw2.bin" "$T/fw2.man"
sign "$T/maker.sec" 2.1 4 "$T/fw3.bin" "$T/fw1.man"
refused "rollback (lower sequence)" "rollback: sequence 4 is not higher than 5" \
	import 2.1 4 "$T/fw3.bin" "$T/fw1.man"
assert_eq "1|5" "$(mg_sql "SELECT count(*) || '|' || max(sequence) FROM firmware_releases")" \
	"stored releases"
mg_ctl firmware list | grep -Eq '^acme-s100 +2\.2 +5 .* offered$' ||
	fail "firmware list: $(mg_ctl firmware list)"
ok "a signed release imports once; a sequence not higher is refused as a rollback"

# A device below the minimum (1.9 < 2.0): flagged, alerted when it connects.
S=$T/scale
token=$(mg_ctl device token --tenant default --name "fw-scale" 2>/dev/null)
"$MEDGATE_DEVICE" enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" \
	--model acme-s100 --firmware 1.9 > /dev/null
"$MEDGATE_DEVICE" send --state "$S" --patient FW-PAT-1 --weight 70.1 > /dev/null
did=$(mg_ctl device list | awk '$NF == "fw-scale" { print $1 }')
mg_ctl device list | grep -Eq "^$did .* 1\.9<2\.0 +acme-s100 +fw-scale$" ||
	fail "not flagged: $(mg_ctl device list)"
assert_eq "device.firmware_below_minimum|device:$did" \
	"$(mg_sql "SELECT kind || '|' || subject FROM alerts WHERE kind = 'device.firmware_below_minimum'")" \
	"below-minimum alert"
ok "a device below its model's minimum secure version is flagged and alerted"

# The device refuses a manifest its maker key does not verify.
refused "device: wrong maker key" "update refused: bad signature" \
	"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/evil.pub"
[ -e "$S/firmware.bin" ] && fail "a refused update installed something"

# The good update, end to end: installed, confirmed, recorded, audited.
"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/maker.pub" > "$T/out"
assert_contains "$(cat "$T/out")" "installed firmware 2.2 (sequence 5)" "update"
assert_contains "$(cat "$T/out")" "confirmed: the gateway knows firmware 2.2" "confirmation"
cmp -s "$S/firmware.bin" "$T/fw2.bin" || fail "installed image differs"
assert_eq 2.2 "$(mg_sql "SELECT firmware FROM devices WHERE id = $did")" "recorded firmware"
assert_contains "$(mg_sql "SELECT details FROM audit_log WHERE action = 'device.firmware_changed'")" \
	'"reason":"1.9 -> 2.2"' "firmware change audited"
mg_ctl device list | grep -Eq "^$did .* 2\.2 +acme-s100 +fw-scale$" ||
	fail "still flagged: $(mg_ctl device list)"
"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/maker.pub" > "$T/out"
assert_contains "$(cat "$T/out")" "no update: firmware 2.2 is current" "nothing newer"
# The next measurement carries the new version.
"$MEDGATE_DEVICE" send --state "$S" --patient FW-PAT-1 --weight 70.2 > /dev/null
assert_eq 2 "$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'device.firmware_changed'")" \
	"changes: (none) -> 1.9 at the first request, 1.9 -> 2.2, nothing since"
ok "a device updates: verifies, installs, confirms; the gateway records and audits it"

# A gateway that serves an older signed release (its database rolled back
# behind its back): the device refuses, it installed 5 already.
sign "$T/maker.sec" 2.3 7 "$T/fw3.bin" "$T/fw7.man"
import 2.3 7 "$T/fw3.bin" "$T/fw7.man" > /dev/null
sign "$T/maker.sec" 2.1-old 3 "$T/fw3.bin" "$T/fw-low.man"
mg_sql "UPDATE firmware_releases SET sequence = 3, version = '2.1-old', manifest = '$(cat "$T/fw-low.man")
' WHERE sequence = 7" > /dev/null
mg_sql "DELETE FROM firmware_releases WHERE sequence = 5" > /dev/null
refused "device: rollback" "rollback: sequence 3 is not higher than 5, the highest this device installed" \
	"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/maker.pub"
assert_eq 2.2 "$(mg_sql "SELECT firmware FROM devices WHERE id = $did")" "firmware after the rollback attempt"
ok "a device refuses a manifest older than the one it installed"

# A gateway that serves another image under the manifest's hash: the
# device checks the image itself and keeps what it has.
sign "$T/maker.sec" 2.4 8 "$T/fw4.bin" "$T/fw8.man"
import 2.4 8 "$T/fw4.bin" "$T/fw8.man" > /dev/null
if [ "$MG_TEST_STORAGE" = postgresql ]; then zeros="decode(repeat('00', 4100), 'hex')"; else zeros="zeroblob(4100)"; fi
mg_sql "UPDATE firmware_releases SET image = $zeros WHERE sequence = 8" > /dev/null
refused "device: wrong image" "update refused: firmware image: SHA-256" \
	"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/maker.pub"
cmp -s "$S/firmware.bin" "$T/fw2.bin" || fail "a refused image replaced the installed one"
grep -q '^firmware = 2.2$' "$S/config" || fail "version changed: $(cat "$S/config")"
ok "a device refuses an image that is not the one its manifest names"

# Expiry: a release expiring in 3 s is offered, then not; a gateway that
# offers it anyway (its expiry changed in the database) is refused by the
# device, which reads the signed expiry.
soon=$(($(date +%s) + 3))
sign "$T/maker.sec" 2.5 9 "$T/fw4.bin" "$T/fw9.man" "$(date -u -d "@$soon" +%Y-%m-%dT%H:%M:%SZ)"
import 2.5 9 "$T/fw4.bin" "$T/fw9.man" > /dev/null
dev_get() { # path -> status; the answer in $T/answer
	curl -s --max-time 20 -o "$T/answer" -w '%{http_code}' --cacert "$CA" --cert "$S/cert.pem" \
		--key "$S/key.pem" -H 'X-Device-Firmware: 2.2' "$DEVICE_URL$1"
}
assert_eq 200 "$(dev_get /device/v1/firmware)" "offered before it expires"
cmp -s "$T/answer" "$T/fw9.man" || fail "the offered manifest is not the signed one"
while [ "$(date +%s)" -le "$soon" ]; do sleep 0.2; done
"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/maker.pub" > "$T/out"
assert_contains "$(cat "$T/out")" "no update" "an expired release is not offered"
mg_sql "UPDATE firmware_releases SET expires_ms = 4102444800000 WHERE sequence = 9" > /dev/null
refused "device: expired" "update refused: the manifest has expired" \
	"$MEDGATE_DEVICE" update --state "$S" --maker-key "$T/maker.pub"
ok "an expired manifest is not offered, and a device refuses one offered anyway"

# The device port: only enrolled devices (client certificate), only images
# of the device's own model; the inventory's flags in the API.
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$DEVICE_URL/device/v1/firmware")" \
	"no client certificate"
assert_eq 404 "$(dev_get "/device/v1/firmware/$(printf '0%.0s' $(seq 64))")" "an unknown image"
assert_eq 200 "$(dev_get "/device/v1/firmware/$(sha256sum "$T/fw4.bin" | cut -c1-64)")" "an image"
cmp -s "$T/answer" "$T/fw4.bin" || fail "the image served is not the imported one"
assert_eq 404 "$(dev_get /device/v1/firmware/ABC)" "a malformed hash"
mg_ctl device block "$did" > /dev/null
assert_eq 403 "$(dev_get /device/v1/firmware)" "a blocked device"
mg_stop
ok "the firmware routes answer enrolled devices only"
