#!/usr/bin/env bash
# Separation of duties (docs/access.md): an administrator never reaches a
# patient's data, not through an account it creates, a role it gives, a
# password or second factor it resets, the API or the CLI; patient access
# takes an admin's role and a tenant admin's membership, each audited and
# alerted; nobody acknowledges an alert about their own action; an account
# left with conflicting roles from before the rule reads no patient.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools
PAT=PAT-SOD-40417

mg_init
mg_start
echo "Sd7-copper-harbour-31" > "$T/pw0"
chmod 600 "$T/pw0"
mg_ctl user add tadmin --role tenant-admin --password-file "$T/pw0" > /dev/null
mg_ctl user add secoff --role security-officer --password-file "$T/pw0" > /dev/null
mg_ctl user add clin --role clinician --password-file "$T/pw0" > /dev/null
python3 - "$T/state.json" "$(cat "$T/admin-password")" "$T/pw0" "$PAT" <<'PY'
import json, sys
path, admin_pw, pwfile, pat = sys.argv[1:]
json.dump({"admin_password": admin_pw, "password": open(pwfile).read().strip(),
           "password_file": pwfile, "patient": pat, "values": [81.375, 82.625]},
          open(path, "w"))
PY
sep() { MG_CTL=$MEDGATECTL MG_CONF=$CONF python3 "$TOOLS/separation.py" "$1" "$WEB_PORT" "$CA" \
	"$T/state.json"; }
sep prepare || fail "preparing the ward"
mg_enrol scale-a ward-a
for w in 81.375 82.625; do
	assert_contains "$(mg_send scale-a "$(mg_body "sod-$w" "$PAT" "$w")")" "201 " "measurement $w"
done
sep run || fail "separation of duties"

# Nothing about the patient reached an alert, the log or the trail's export
# as seen by the security officer.
LOG=$INST/log/medgated.log
grep -q "$PAT" "$LOG" && fail "patient id in the log"
ok "no patient id in the log"

# An account left with conflicting roles from before the rule (made here
# behind the daemon's back): reported at start, no patient data.
puppet=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["puppet_id"])' "$T/state.json.out")
mg_stop
mg_sql "INSERT INTO user_roles (user_id, role) VALUES ($puppet, 'admin')"
mg_start
grep -q "access: account $puppet breaks the separation of duties (clinician cannot be held together with admin)" "$LOG" ||
	fail "the conflicting account is not reported at start"
ok "an account with conflicting roles is reported at start"
mg_stop
