"""Fail closed on the real daemon (docs/audit.md): with the audit trail
refusing every record (a trigger put on the table by test_fail_closed.sh),
each operator action is refused with 503 and changes nothing; logging
out is the one act that is never refused.

Arguments: port, CA, state file (JSON with the passwords), phase:
  "sign-in"  signs "ops" (admin, device-admin, security-officer)
             and "tadm" (tenant-admin) in and keeps the session in the state file;
  "refused"  tries each action and checks the answers (the shell checks
             the store);
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import Api, Session, check, main_guard, ok  # noqa: E402

REFUSED = "cannot record this action on the audit trail; nothing done"


def main():
    port, ca, state_path, phase = sys.argv[1:]
    st = json.load(open(state_path))
    api = Api(int(port), ca)
    if phase == "sign-in":
        for user in ("ops", "tadm"):
            s = Session(api, user, st[user + "_password"]).login()
            if s.info.get("must_change_password"):
                st[user + "_password"] += "-new"
                s.change_password(st[user + "_password"])
            st[user] = [s.cookie, s.csrf]
        json.dump(st, open(state_path, "w"))
        ok("the administrator is signed in while the trail still records")
        return
    s = Session(api, "ops", "")
    s.cookie, s.csrf = st["ops"]
    tadm = Session(api, "tadm", "")
    tadm.cookie, tadm.csrf = st["tadm"]

    def refused(method, path, body, what, s=s):
        a = s.call(method, path, body)
        check(a.status == 503 and a.json == {"error": REFUSED},
              "%s: answered %r, not the 503 refusal" % (what, a))
        ok("%s is refused while the trail cannot record it" % what)
        return a

    refused("POST", "/api/v1/users", {"name": "spectre", "roles": ["clinician"],
                                      "password": "Ghost-Harbour-Copper-17"},
            "creating an account")
    refused("POST", "/api/v1/users/%d/password" % st["victim"],
            {"password": "Chosen-By-The-Admin-42"}, "resetting a password")
    refused("DELETE", "/api/v1/users/%d/totp" % st["victim"], None,
            "removing a second factor")
    refused("PATCH", "/api/v1/users/%d" % st["victim"], {"disabled": True},
            "disabling an account")
    refused("PATCH", "/api/v1/devices/%d" % st["device"], {"status": "blocked"},
            "blocking a device")
    a = refused("POST", "/api/v1/devices/tokens", {"name": "ghost", "tenant": st["tenant"]},
                "making an enrolment token")
    check("token" not in (a.json or {}), "a token was shown: %r" % a)
    refused("POST", "/api/v1/tenants", {"name": "ghost ward"}, "creating a tenant", tadm)
    refused("PUT", "/api/v1/tenants/%d/members/%d" % (st["tenant"], st["victim"]), None,
            "making an account a tenant's member", tadm)
    refused("PUT", "/api/v1/settings", {"interfaces": {"device": False}},
            "switching the device port off")
    refused("GET", "/api/v1/audit", None, "reading the audit trail")
    a = api.login("victim", st["victim_password"])
    check(a.status == 503 and "Set-Cookie" not in {k for k, _ in a.headers},
          "a sign-in the trail cannot record gave a session: %r" % a)
    ok("a sign-in the trail cannot record gives no session")
    a = s.call("DELETE", "/api/v1/session")
    check(a.status == 200, "signing out was refused: %r" % a)
    check(s.call("GET", "/api/v1/session").status == 401, "the session goes on after sign-out")
    ok("signing out is never refused")


if __name__ == "__main__":
    main_guard(main)
