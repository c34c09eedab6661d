"""Remote maintenance on the real daemon (docs/maintenance.md), run by
test_maintenance.sh: a service account signs in and can only ask; an
administrator grants, and inside the grant the service account does what
the scope names and nothing else (no patient data); ending or expiry
stops it at once; the host's operator grants and revokes with medgatectl;
every step is on the audit trail with the grant's id and alerted.

Arguments: port, CA, state file. Environment: MG_CTL, MG_CONF, MG_SQL (a
script running one SQL statement on the instance's store).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import Api, Session, check, main_guard, ok  # noqa: E402


def ctl(*args):
    return subprocess.run([os.environ["MG_CTL"], "-c", os.environ["MG_CONF"]] + list(args),
                          capture_output=True, text=True, timeout=60)


def sql(statement):
    out = subprocess.run(["bash", os.environ["MG_SQL"], statement], capture_output=True,
                         text=True, timeout=60, check=True)
    return out.stdout.strip()


def signed_in(api, user, password):
    s = Session(api, user, password).login()
    if s.info.get("must_change_password"):
        s.change_password(password + "-2")
    return s


def no_patient_data(answer, st, what):
    check(st["patient"] not in answer.text(), "%s: the patient id is in %r" % (what, answer))


def main():
    port, ca, state_path = sys.argv[1:]
    st = json.load(open(state_path))
    api = Api(int(port), ca)
    svc = signed_in(api, "svc", st["password"])
    admin = signed_in(api, "admin", st["admin_password"])
    ok("a service account signs in (it could not before maintenance existed)")

    # Without a grant: only ask.
    for path in ("/api/v1/outbox", "/api/v1/devices", "/api/v1/users", "/api/v1/audit"):
        a = svc.call("GET", path)
        check(a.status == 403, "without a grant %s answered %r" % (path, a))
    a = svc.call("POST", "/api/v1/maintenance", {"scope": ["patients"], "reason": "x",
                                                   "minutes": 30})
    check(a.status == 400 and a.json.get("field") == "scope", "unknown scope: %r" % a)
    a = svc.call("POST", "/api/v1/maintenance", {"scope": ["diagnostics"],
                                                   "reason": "EMR queue stuck, ticket 4711",
                                                   "minutes": 30})
    check(a.status == 201 and a.json["state"] == "requested", "asking: %r" % a)
    req = a.json["id"]
    check(svc.call("GET", "/api/v1/outbox").status == 403, "a request alone grants nothing")
    a = svc.call("POST", "/api/v1/maintenance/%d/grant" % req)
    check(a.status == 403, "the service account granted itself: %r" % a)
    ok("without a grant a service account can only ask (scope, reason, minutes)")

    # Granted: inside the scope yes, outside no, never patient data.
    a = admin.call("POST", "/api/v1/maintenance/%d/grant" % req, {"minutes": 15})
    check(a.status == 200 and a.json["state"] == "granted", "grant: %r" % a)
    check(admin.call("POST", "/api/v1/maintenance/%d/grant" % req).status == 409,
          "a request granted twice")
    a = svc.call("GET", "/api/v1/outbox")
    check(a.status == 200, "inside a diagnostics grant the queues: %r" % a)
    a = svc.call("GET", "/api/v1/maintenance")
    check(a.status == 200 and a.json["active"] == req, "the active grant is shown: %r" % a)
    for path in ("/api/v1/devices", "/api/v1/users", "/api/v1/audit",
                 "/api/v1/patients/%s/measurements" % st["patient"]):
        a = svc.call("GET", path)
        check(a.status == 403, "outside the scope %s answered %r" % (path, a))
        no_patient_data(a, st, path)
    n = int(sql("SELECT count(*) FROM audit_log WHERE action = 'maintenance.action'"
                " AND object = 'maintenance:%d'" % req))
    check(n == 1, "the action inside the grant is recorded with its id once: %d" % n)
    ok("inside a grant: what the scope names (queues), nothing outside it, no patient data; "
       "each action recorded with the grant's id")

    # Ended by the administrator: refused at once.
    a = admin.call("POST", "/api/v1/maintenance/%d/end" % req)
    check(a.status == 200 and a.json["state"] == "ended", "end: %r" % a)
    check(svc.call("GET", "/api/v1/outbox").status == 403, "still allowed after the end")
    check(admin.call("POST", "/api/v1/maintenance/%d/end" % req).status == 409, "ended twice")
    ok("an administrator ends a grant; the next request is refused")

    # Refused requests grant nothing.
    a = svc.call("POST", "/api/v1/maintenance", {"scope": ["devices"], "reason": "inventory",
                                                   "minutes": 5})
    other = a.json["id"]
    a = admin.call("POST", "/api/v1/maintenance/%d/refuse" % other)
    check(a.status == 200 and a.json["state"] == "refused", "refuse: %r" % a)
    check(admin.call("POST", "/api/v1/maintenance/%d/grant" % other).status == 409,
          "a refused request granted")
    check(svc.call("GET", "/api/v1/devices").status == 403, "refused, yet allowed")
    ok("a refused request cannot be granted afterwards")

    # The host's operator: a direct grant of scope devices, then revoke.
    r = ctl("maintenance", "grant", "--user", "svc", "--scope", "devices", "--minutes", "10",
            "--reason", "device inventory check")
    check(r.returncode == 0, "medgatectl maintenance grant: %s" % r.stderr)
    grant = int(r.stdout.split()[1])
    a = svc.call("GET", "/api/v1/devices")
    check(a.status == 200 and a.json["devices"], "devices inside a devices grant: %r" % a)
    no_patient_data(a, st, "device inventory")
    check(svc.call("GET", "/api/v1/outbox").status == 403, "a devices grant reads queues")
    r = ctl("maintenance", "revoke", "--grant", str(grant))
    check(r.returncode == 0, "medgatectl maintenance revoke: %s" % r.stderr)
    check(svc.call("GET", "/api/v1/devices").status == 403, "allowed after revoke")
    r = ctl("maintenance", "revoke", "--grant", str(grant))
    check(r.returncode == 1 and "not active" in r.stderr, "revoked twice: %r" % r.stderr)
    r = ctl("maintenance", "grant", "--user", "admin", "--scope", "devices", "--minutes", "10",
            "--reason", "x")
    check(r.returncode == 1 and "not a service account" in r.stderr, "grant to admin: %r"
          % r.stderr)
    ok("medgatectl maintenance grant (direct) and revoke act at once; only service accounts")

    # The daemon's log and the self-test: each only inside its own scope.
    check(svc.call("GET", "/api/v1/log").status == 403, "the log without a grant")
    check(svc.call("POST", "/api/v1/self-test").status == 403, "the self-test without a grant")
    r = ctl("maintenance", "grant", "--user", "svc", "--scope", "log", "--minutes", "10",
            "--reason", "look at the log")
    grant = int(r.stdout.split()[1])
    a = svc.call("GET", "/api/v1/log?lines=50")
    check(a.status == 200 and 0 < len(a.json["lines"]) <= 50, "the log in a log grant: %r" % a)
    check(any("medgated" in line for line in a.json["lines"]), "not the daemon's log: %r" % a)
    no_patient_data(a, st, "the daemon's log")
    check(svc.call("GET", "/api/v1/log?lines=0").status == 400, "lines=0 accepted")
    check(svc.call("POST", "/api/v1/self-test").status == 403, "the self-test in a log grant")
    ctl("maintenance", "revoke", "--grant", str(grant))
    r = ctl("maintenance", "grant", "--user", "svc", "--scope", "self-test", "--minutes", "10",
            "--reason", "self-test")
    grant = int(r.stdout.split()[1])
    a = svc.call("POST", "/api/v1/self-test")
    checks = {c["check"]: c for c in a.json.get("checks", [])} if a.status == 200 else {}
    check(a.status == 200 and a.json["result"] in ("pass", "warn", "fail") and
          checks.get("store", {}).get("result") == "pass" and "free space" in checks and
          "server certificate" in checks, "the self-test: %r" % a)
    no_patient_data(a, st, "the self-test")
    check(svc.call("GET", "/api/v1/log").status == 403, "the log in a self-test grant")
    ctl("maintenance", "revoke", "--grant", str(grant))
    check(admin.call("GET", "/api/v1/log?lines=5").status == 200, "the administrator's log")
    check(svc.call("GET", "/api/v1/firmware").status == 403, "firmware releases without a grant")
    r = ctl("maintenance", "grant", "--user", "svc", "--scope", "firmware,devices",
            "--minutes", "10", "--reason", "watch the rollout")
    grant = int(r.stdout.split()[1])
    a = svc.call("GET", "/api/v1/firmware")
    check(a.status == 200 and isinstance(a.json.get("releases"), list), "firmware: %r" % a)
    check(svc.call("GET", "/api/v1/devices").status == 200, "devices in a firmware,devices grant")
    check(svc.call("GET", "/api/v1/log").status == 403, "the log in a firmware grant")
    ctl("maintenance", "revoke", "--grant", str(grant))
    for action in ("log.read", "selftest.run"):
        check(int(sql("SELECT count(*) FROM audit_log WHERE action = '%s'" % action)) >= 1,
              "no %s on the trail" % action)
    ok("the log and the self-test only inside their scopes; both audited, no patient data")

    # A grant runs out by itself (its end moved near, behind the daemon's back).
    r = ctl("maintenance", "grant", "--user", "svc", "--scope", "diagnostics", "--minutes", "10",
            "--reason", "short")
    grant = int(r.stdout.split()[1])
    check(svc.call("GET", "/api/v1/outbox").status == 200, "fresh grant")
    sql("UPDATE maintenance SET ends_ms = %d WHERE id = %d" % (int(time.time() * 1000) + 1500,
                                                             grant))
    time.sleep(2)
    check(svc.call("GET", "/api/v1/outbox").status == 403, "allowed after the grant ran out")
    a = admin.call("GET", "/api/v1/maintenance")
    states = {m["id"]: m["state"] for m in a.json["requests"]}
    check(states.get(grant) == "expired" and states.get(req) == "ended" and
          states.get(other) == "refused", "states as the administrator sees them: %r" % states)
    ok("a grant ends by itself at its time; the administrator sees ended, refused, expired")

    # Every step on the trail, and told to the security contacts.
    for action in ("maintenance.request", "maintenance.grant", "maintenance.refuse",
                   "maintenance.end"):
        n = int(sql("SELECT count(*) FROM audit_log WHERE action = '%s'" % action))
        check(n >= 1, "no %s on the trail" % action)
    for _ in range(50):
        n = int(sql("SELECT count(*) FROM alerts WHERE kind = 'maintenance'"))
        if n >= 4:
            break
        time.sleep(0.2)
    check(n >= 4, "maintenance steps alerted: %d alerts" % n)
    summaries = sql("SELECT summary FROM alerts WHERE kind = 'maintenance'")
    check(st["patient"] not in summaries, "patient id in a maintenance alert")
    ok("requests, grants, refusals and ends are audited and alerted (%d alerts)" % n)


if __name__ == "__main__":
    main_guard(main)
