"""Separation of duties on the real daemon (docs/access.md): every path an
administrator could take to a patient's data is tried and refused, and
patient access takes two people's acts, each audited and alerted.

Run by test_separation.sh after it made the accounts:
  admin      (init's), tenant-admin "tadmin", security officer "secoff",
  clinician "clin" (member of ward-a by the tenant-admin, here), and a
  patient PAT in ward-a with measurements.
Environment: MG_CTL, MG_CONF (medgatectl), arguments: port, CA, state file.
"""
import json
import os
import secrets
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import Api, Session, check, main_guard, ok  # noqa: E402


def new_password():
    return "Sd-" + secrets.token_urlsafe(15)


def ctl(*args):
    return subprocess.run([os.environ["MG_CTL"], "-c", os.environ["MG_CONF"]] + list(args),
                          capture_output=True, text=True, timeout=60)


PASSWORDS = {}


def first_sign_in(api, user, password):
    """Sign in, changing a one-time password the first time (remembered for
    the next sign-in of the same account in this run)."""
    s = Session(api, user, PASSWORDS.get(user, password)).login()
    if s.info.get("must_change_password"):
        s.change_password(new_password())
    PASSWORDS[user] = s.password
    return s


def no_patient_data(answer, st, what):
    text = answer.text()
    check(st["patient"] not in text, "%s: the patient id is in the answer: %r" % (what, answer))
    for v in st["values"]:
        check(("%g" % v) not in text, "%s: a measured value is in the answer: %r" % (what, answer))


def patient_read(s, st):
    return s.call("GET", "/api/v1/patients/%s/measurements" % st["patient"])


def alerts_of(sec, kind):
    a = sec.call("GET", "/api/v1/alerts?limit=1000")
    check(a.status == 200, "security officer lists alerts: %r" % a)
    return [x for x in a.json["alerts"] if x["kind"] == kind]


def wait_alerts(sec, kind, caused_by, seconds=15):
    """The alerts of kind caused by an account, once the detector (which
    follows the audit trail a few times a second) has raised them."""
    end = time.monotonic() + seconds
    while True:
        found = [x for x in alerts_of(sec, kind) if x["caused_by"] == caused_by]
        if found or time.monotonic() > end:
            return found
        time.sleep(0.25)


def run(port, ca, state_path):
    st = json.load(open(state_path))
    PASSWORDS.update(st.get("passwords", {}))
    api = Api(port, ca)
    admin = first_sign_in(api, "admin", st["admin_password"])
    tadmin = first_sign_in(api, "tadmin", st["password"])
    sec = first_sign_in(api, "secoff", st["password"])
    ward = st["ward"]
    users = {u["name"]: u for u in admin.call("GET", "/api/v1/users").json["users"]}
    admin_id, tadmin_id, sec_id = (users[n]["id"] for n in ("admin", "tadmin", "secoff"))

    # The tenant admin makes the clinician a member: the second of two acts.
    clin_id = users["clin"]["id"]
    a = tadmin.call("PUT", "/api/v1/tenants/%d/members/%d" % (ward, clin_id))
    check(a.status == 204, "tenant admin adds the clinician to the ward: %r" % a)
    clin = first_sign_in(api, "clin", st["password"])
    a = patient_read(clin, st)
    check(a.status == 200 and len(a.json["measurements"]) == len(st["values"]),
          "the clinician, member of the ward, reads the patient: %r" % a)
    ok("patient access after two acts: the admin's clinician role, the tenant admin's membership")

    # 1. An admin creates a clinician with a password it chose, signs in as
    # it and changes the password: still no patient, since no tenant admin
    # made it a member. Naming tenants on creation is refused.
    pw = new_password()
    a = admin.call("POST", "/api/v1/users", {"name": "sock-puppet", "roles": ["clinician"],
                                             "password": pw, "tenants": [ward]})
    check(a.status == 403 and "tenant administrator" in a.text(),
          "admin creating an account with memberships: %r" % a)
    check("sock-puppet" not in [u["name"] for u in admin.call("GET", "/api/v1/users").json["users"]],
          "a refused creation made the account anyway")
    a = admin.call("POST", "/api/v1/users", {"name": "sock-puppet", "roles": ["clinician"],
                                             "password": pw})
    check(a.status == 201 and a.json["tenants"] == [], "admin creates a clinician: %r" % a)
    puppet_id = a.json["id"]
    puppet = first_sign_in(api, "sock-puppet", pw)
    a = patient_read(puppet, st)
    check(a.status == 404, "the admin's own clinician reads a patient: %r" % a)
    no_patient_data(a, st, "admin-made clinician")
    a = admin.call("PATCH", "/api/v1/users/%d" % puppet_id, {"tenants": [ward]})
    check(a.status == 403, "admin giving its clinician a membership: %r" % a)
    a = patient_read(puppet, st)
    check(a.status == 404, "after the refused membership the clinician reads: %r" % a)
    ok("an admin's own clinician account reaches no patient; memberships are refused to admins")

    # 2. An admin gives the clinician role to a second admin account, or
    # creates accounts that would hold both: 409 naming the conflict.
    a = admin.call("POST", "/api/v1/users", {"name": "admin2", "roles": ["admin"],
                                             "password": new_password()})
    check(a.status == 201, "admin creates a second admin: %r" % a)
    admin2_id = a.json["id"]
    for roles, needle in ((["admin", "clinician"], "clinician cannot be held together with admin"),
                          (["clinician", "security-officer"],
                           "clinician cannot be held together with security-officer"),
                          (["admin", "tenant-admin"], "admin cannot be held together with tenant-admin")):
        a = admin.call("PATCH", "/api/v1/users/%d" % admin2_id, {"roles": roles})
        check(a.status == 409 and needle in a.text(), "roles %s: %r" % (roles, a))
        a = admin.call("POST", "/api/v1/users", {"name": "x-" + secrets.token_hex(3),
                                                 "roles": roles, "password": new_password()})
        check(a.status == 409 and needle in a.text(), "new account with %s: %r" % (roles, a))
    got = admin.call("GET", "/api/v1/users/%d" % admin2_id).json
    check(got["roles"] == ["admin"], "a refused role change changed the roles: %r" % got)
    r = ctl("user", "add", "cli-both", "--role", "clinician", "--role", "admin",
            "--password-file", st["password_file"])
    check(r.returncode == 2 and "clinician cannot be held together with admin" in r.stderr,
          "medgatectl user add with clinician and admin: exit %d %s" % (r.returncode, r.stderr))
    ok("clinician with an administrative role, and admin with tenant-admin: 409 / refused by the CLI")

    # 3. An admin resets the clinician's password and signs in as it: its
    # membership is suspended until the tenant admin confirms it again.
    pw = new_password()
    a = admin.call("POST", "/api/v1/users/%d/password" % clin_id, {"password": pw})
    check(a.status == 204, "admin resets the clinician's password: %r" % a)
    got = admin.call("GET", "/api/v1/users/%d" % clin_id).json
    check(got["tenants"] == [] and got["suspended_tenants"] == [ward],
          "after the admin's reset the membership is suspended: %r" % got)
    PASSWORDS["clin"] = pw	# the admin chose it
    hijack = first_sign_in(api, "clin", pw)
    a = patient_read(hijack, st)
    check(a.status == 404, "the admin, signed in as the clinician, reads the patient: %r" % a)
    no_patient_data(a, st, "admin as the clinician after a reset")
    a = hijack.call("GET", "/api/v1/session")
    check(a.status == 200, "the clinician's own session still works: %r" % a)
    # The second factor: reset by the admin, same suspension.
    a = tadmin.call("POST", "/api/v1/tenants/%d/members/%d/confirm" % (ward, clin_id))
    check(a.status == 204, "tenant admin confirms the clinician again: %r" % a)
    a = patient_read(hijack, st)
    check(a.status == 200, "after the confirmation the clinician reads again: %r" % a)
    a = admin.call("DELETE", "/api/v1/users/%d/totp" % clin_id)
    check(a.status == 204, "admin removes the clinician's second factor: %r" % a)
    got = admin.call("GET", "/api/v1/users/%d" % clin_id).json
    check(got["suspended_tenants"] == [ward], "second-factor reset suspends too: %r" % got)
    a = tadmin.call("POST", "/api/v1/tenants/%d/members/%d/confirm" % (ward, clin_id))
    check(a.status == 204, "tenant admin confirms once more: %r" % a)
    ok("an admin's password or second-factor reset suspends patient access until a tenant admin confirms")

    # 4. Who may do what: a tenant admin neither makes accounts nor sets
    # passwords or roles, and cannot make itself a member; the security
    # officer reviews but manages no account and reads no patient.
    for method, path, body in (("POST", "/api/v1/users", {"name": "ta-made", "roles": ["clinician"],
                                                          "password": new_password()}),
                               ("POST", "/api/v1/users/%d/password" % clin_id, {"password": new_password()}),
                               ("PATCH", "/api/v1/users/%d" % clin_id, {"roles": ["clinician"]})):
        a = tadmin.call(method, path, body)
        check(a.status == 403, "tenant admin %s %s: %r" % (method, path, a))
    a = tadmin.call("PUT", "/api/v1/tenants/%d/members/%d" % (ward, tadmin_id))
    check(a.status == 409, "tenant admin makes itself a member: %r" % a)
    a = patient_read(tadmin, st)
    check(a.status == 403, "tenant admin reads a patient: %r" % a)
    for method, path in (("GET", "/api/v1/users"), ("POST", "/api/v1/users")):
        a = sec.call(method, path, {"name": "so-made", "roles": ["clinician"],
                                    "password": new_password()} if method == "POST" else None)
        check(a.status == 403, "security officer %s %s: %r" % (method, path, a))
    a = patient_read(sec, st)
    check(a.status == 403, "security officer reads a patient: %r" % a)
    no_patient_data(a, st, "security officer")
    ok("tenant admins make no accounts nor themselves members; security officers manage nobody, read no patient")

    # 5. Every grant, suspension and confirmation is an alert caused by its
    # actor, who may not acknowledge it; another reviewer may.
    mine = wait_alerts(sec, "access.membership", admin_id)
    check(mine, "no membership alert caused by the admin's reset")
    theirs = wait_alerts(sec, "access.membership", tadmin_id)
    check(theirs, "no membership alert caused by the tenant admin's grants")
    for x in mine + theirs:
        check(st["patient"] not in json.dumps(x), "patient id in alert %r" % x)
    a = admin.call("POST", "/api/v1/alerts/%d/acknowledge" % mine[0]["id"])
    check(a.status == 403 and "own action" in a.text(), "admin acknowledges an alert about itself: %r" % a)
    a = sec.call("POST", "/api/v1/alerts/%d/acknowledge" % mine[0]["id"])
    check(a.status == 200 and a.json["state"] == "acknowledged",
          "security officer acknowledges it: %r" % a)
    # An incident holding an alert about the admin cannot be closed by it.
    a = sec.call("POST", "/api/v1/incidents", {"title": "role review", "severity": "medium",
                                               "alerts": [theirs[0]["id"]]})
    check(a.status == 201, "security officer opens an incident: %r" % a)
    inc = a.json["id"]
    a = tadmin.call("PATCH", "/api/v1/incidents/%d" % inc, {"status": "closed"})
    check(a.status == 403, "tenant admin (no security role) closes an incident: %r" % a)
    a = sec.call("PATCH", "/api/v1/incidents/%d" % inc, {"status": "closed", "note": "reviewed"})
    check(a.status == 200, "security officer closes it: %r" % a)
    ok("membership alerts name their actor, who cannot acknowledge them; another reviewer can")
    json.dump({"admin_id": admin_id, "sec_id": sec_id, "puppet_id": puppet_id},
              open(state_path + ".out", "w"))


def prepare(port, ca, state_path):
    st = json.load(open(state_path))
    api = Api(port, ca)
    tadmin = first_sign_in(api, "tadmin", st["password"])
    a = tadmin.call("POST", "/api/v1/tenants", {"name": "ward-a"})
    check(a.status == 201, "tenant admin creates ward-a: %r" % a)
    st["ward"] = a.json["id"]
    st["passwords"] = PASSWORDS
    json.dump(st, open(state_path, "w"))
    ok("ward-a made by the tenant admin")


if __name__ == "__main__":
    main_guard(lambda: {"prepare": prepare, "run": run}[sys.argv[1]](*sys.argv[2:5]))
