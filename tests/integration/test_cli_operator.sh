#!/usr/bin/env bash
# medgatectl as the host's break-glass path: files named on its command
# line are read with the caller's rights (before root switches to the
# instance's account); the operator on the audit trail is the account of
# the real uid, the sudo caller only a checked note; an action that cannot
# be recorded does not happen; a service account is told what it can do.
. "$(dirname "$0")/lib.sh"

mg_init
actor_of() { # action: the actor of the last record with that action
	mg_ctl audit export --since 2000-01-01T00:00:00Z 2>/dev/null | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
rows = [r for r in rows if r["action"] == sys.argv[1]]
print(rows[-1]["actor"] + " " + json.dumps(rows[-1]["details"] or {}, sort_keys=True) if rows else "none")
' "$1"
}

# 1. Password files: read before the switch, refusals say why.
if [ "$(id -u)" -eq 0 ]; then
	install -d -m 700 "$T/private"
	echo "correct horse battery staple 7" > "$T/private/pw"
	chmod 600 "$T/private/pw"
	mg_ctl user add carol --role clinician --password-file "$T/private/pw" > "$T/add.out" 2>&1 ||
		fail "root could not give a password file only root can read: $(cat "$T/add.out")"
	mg_ctl user reset-password carol --password-file "$T/private/pw" > "$T/reset.out" 2>&1 ||
		fail "reset-password with a root-only file: $(cat "$T/reset.out")"
	ok "as root, password files are read before switching to the instance's account"
fi
if mg_ctl user add dave --role clinician --password-file "$T/missing" > "$T/missing.out" 2>&1; then
	fail "user add with a missing password file succeeded"
fi
assert_contains "$(cat "$T/missing.out")" "$T/missing: No such file or directory" "missing file reason"
if mg_ctl audit verify --checkpoint "$T/missing" > "$T/cp.out" 2>&1; then fail "verify took a missing checkpoint"; fi
assert_contains "$(cat "$T/cp.out")" "$T/missing: No such file or directory" "missing checkpoint reason"
ok "an unreadable file named on the command line says why"

# 2. A service account is told what it can do without a maintenance grant.
echo "correct horse battery staple 7" > "$T/tech-pw"
mg_ctl user add tech --role service --password-file "$T/tech-pw" > "$T/service.out" ||
	fail "user add --role service"
assert_contains "$(cat "$T/service.out")" "but without a maintenance grant it can do nothing but ask for one" \
	"service account notice"
mg_ctl user add nurse --role clinician --password-file "$T/tech-pw" > "$T/nurse.out"
if grep -q "maintenance grant" "$T/nurse.out"; then fail "the service notice was given to a clinician"; fi
ok "creating a service account says it can only ask for a maintenance grant"

# 3. The operator is the real uid's account; SUDO_USER only a checked note.
mg_start
mg_enrol scale
me=$(id -un)
SUDO_USER=mallory SUDO_UID=4242 mg_ctl device block 1 > /dev/null || fail "block"
got=$(actor_of device.update)
assert_eq "operator:$me {\"status\": \"blocked\", \"via\": \"medgatectl\"}" "$got" "forged SUDO_USER"
SUDO_USER=$'alice\nx' SUDO_UID=0 mg_ctl device unblock 1 > /dev/null || fail "unblock"
got=$(actor_of device.update)
assert_eq "operator:$me {\"status\": \"active\", \"via\": \"medgatectl\"}" "$got" "SUDO_USER with a newline"
SUDO_USER=$me SUDO_UID=$(id -u) mg_ctl user unlock nurse > /dev/null || fail "unlock"
got=$(actor_of user.unlock)
assert_eq "operator:$me {\"sudo_user\": \"$me\", \"via\": \"medgatectl\"}" "$got" "checked SUDO_USER"
if mg_ctl audit export --since 2000-01-01T00:00:00Z 2>/dev/null | grep -q mallory; then
	fail "a forged SUDO_USER reached the audit trail"
fi
mg_ctl audit verify > /dev/null || fail "audit verify after the operator's actions"
ok "the actor is the real uid's account; SUDO_USER only when it checks out; via medgatectl"
mg_stop

# 4. Fail closed: when the trail refuses the record, the action does not happen.
[ "$MG_TEST_STORAGE" = sqlite ] || exit 0
records=$(mg_sql "SELECT count(*) FROM audit_log")
mg_sql "CREATE TRIGGER refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'refused'); END"
if mg_ctl device block 1 > "$T/block.out" 2>&1; then fail "device block happened without an audit record"; fi
assert_contains "$(cat "$T/block.out")" "cannot record device.update on the audit trail" "refusal reason"
assert_contains "$(cat "$T/block.out")" "nothing done" "refusal says nothing was done"
echo "another horse battery staple 8" > "$T/new-pw"
if mg_ctl user reset-password nurse --password-file "$T/new-pw" > /dev/null 2>&1; then
	fail "password reset happened without an audit record"
fi
if mg_ctl device token --tenant default --name x > /dev/null 2>&1; then
	fail "a token was made without an audit record"
fi
mg_sql "DROP TRIGGER refuse"
mg_ctl device list | grep -q ' active ' || fail "the device was blocked although nothing was recorded"
assert_eq "$records" "$(mg_sql "SELECT count(*) FROM audit_log")" "audit records"
assert_eq "0" "$(mg_sql "SELECT count(*) FROM enrol_tokens WHERE device_name = 'x'")" "tokens"
mg_ctl audit verify > /dev/null || fail "audit verify"
ok "an action the audit trail cannot record does not happen"
