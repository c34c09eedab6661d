#!/usr/bin/env bash
# The permission matrix: every route of `medgatectl api-routes`, called as
# nobody, as each role (and accounts holding two and three), as a clinician of
# another tenant, and without or with a wrong CSRF token; no administrator
# ever receives a patient identifier, name, birth date or a measurement value. The expected
# answers come from the policy table in tools/permissions.py, written
# independently of src/access/authz.c; a route the table cannot judge
# fails the test.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools

mg_init
# An EMR destination that queues without sending, for the outbox routes.
printf '\n[emr.matrix]\nprotocol = hl7-mllp\naddress = 127.0.0.1:9\ntls = off\nenabled = off\n' >> "$CONF"
mg_start

# Fixture accounts; their one-time password is changed at first sign-in.
echo "Tq7-vortex-lantern-88" > "$T/pw0"
mg_ctl user add tadmin --role tenant-admin --password-file "$T/pw0" > /dev/null
mg_ctl user add dadmin --role device-admin --password-file "$T/pw0" > /dev/null
mg_ctl user add tdadmin --role tenant-admin --role device-admin --password-file "$T/pw0" > /dev/null
mg_ctl user add clin-a --role clinician --password-file "$T/pw0" > /dev/null
mg_ctl user add clin-b --role clinician --password-file "$T/pw0" > /dev/null
mg_ctl user add svc --role service --password-file "$T/pw0" > /dev/null
mg_ctl user add secoff --role security-officer --password-file "$T/pw0" > /dev/null
mg_ctl user add mc-all --role admin --role device-admin --role security-officer \
	--password-file "$T/pw0" > /dev/null
ok "fixture accounts made with medgatectl user add"

PAT_A=PAT-A-58213
PAT_B=PAT-B-90417
python3 - "$T/state.json" "$(cat "$T/admin-password")" "$PAT_A" "$PAT_B" <<'PY'
import json, sys
path, admin_pw, pa, pb = sys.argv[1:]
acc = lambda user, roles, pw="Tq7-vortex-lantern-88": {"user": user, "roles": roles, "password": pw}
json.dump({
    "accounts": {
        "admin": acc("admin", ["admin"], admin_pw),
        "tadmin": acc("tadmin", ["tenant-admin"]),
        "dadmin": acc("dadmin", ["device-admin"]),
        "tdadmin": acc("tdadmin", ["tenant-admin", "device-admin"]),
        "clin-a": acc("clin-a", ["clinician"]),
        "clin-b": acc("clin-b", ["clinician"]),
        "svc": acc("svc", ["service"]),
        "secoff": acc("secoff", ["security-officer"]),
        "mc-all": dict(acc("mc-all", ["admin", "device-admin", "security-officer"]),
                       keep_must_change=True),
    },
    "patients": {"A": pa, "B": pb},
    "values_a": [73.375, 74.625, 75.125], "values_b": [68.875, 69.625],
    "count_a": 3, "count_b": 2, "emr_destination": "matrix",
    "identity_a": {"family_name": "Quenby-Matrix", "given_name": "Ilse",
                   "birth_date": "1950-02-03", "sex": "female", "ward": "M-1"},
}, open(path, "w"))
PY
perm() { python3 "$TOOLS/permissions.py" "$1" --port "$WEB_PORT" --ca "$CA" --state "$T/state.json" \
	--routes "$T/routes.txt"; }
perm prepare

# Devices of tenants A and B, and the measurements a clinician should see.
mg_enrol scale-a ward-a
mg_enrol scale-b ward-b
i=0
for w in 73.375 74.625 75.125; do
	i=$((i + 1))
	assert_contains "$(mg_send scale-a "$(mg_body "a-$i" "$PAT_A" "$w")")" "201 " "measurement a-$i"
done
i=0
for w in 68.875 69.625; do
	i=$((i + 1))
	assert_contains "$(mg_send scale-b "$(mg_body "b-$i" "$PAT_B" "$w")")" "201 " "measurement b-$i"
done
ok "3 measurements of $PAT_A in tenant A, 2 of $PAT_B in tenant B"

mg_ctl api-routes > "$T/routes.txt"
[ -s "$T/routes.txt" ] || fail "medgatectl api-routes printed nothing"
perm matrix

mg_stop
ok "medgated stopped cleanly"
