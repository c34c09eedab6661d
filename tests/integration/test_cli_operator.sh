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
print(rows[-1]["actor"] + " " + json.dumps(json.loads(rows[-1]["details"] or "{}"), sort_keys=True) if rows else "none")
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
