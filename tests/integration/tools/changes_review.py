"""Changes to review over the API (docs/changes.md): a security officer
lists them and reviews one with a note; the count drops and the security
overview shows the same count; an administrator may list but not review;
a change cannot be reviewed twice. Prints the reviewed change's id.

Arguments: port, CA, admin password file, security officer password file.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import Api, Session, check, main_guard  # noqa: E402


def signed_in(api, user, pwfile):
    pw = open(pwfile).read().strip()
    s = Session(api, user, pw).login()
    if s.info.get("must_change_password"):
        s.change_password(pw + " changed")
        open(pwfile, "w").write(pw + " changed\n")
    return s


def main():
    port, ca, admin_pw, sec_pw = sys.argv[1:]
    api = Api(int(port), ca)
    admin = signed_in(api, "admin", admin_pw)
    sec = signed_in(api, "secoff", sec_pw)
    a = sec.call("GET", "/api/v1/changes?state=unreviewed&limit=200")
    check(a.status == 200, "GET /api/v1/changes: %r" % a)
    before = a.json["unreviewed"]
    actions = [c["action"] for c in a.json["changes"]]
    for want in ("device.enrol", "device.update", "interface.switch", "config.file"):
        check(want in actions, "%s among the changes: %r" % (want, actions))
    change = next(c for c in a.json["changes"] if c["action"] == "interface.switch")
    check(admin.call("GET", "/api/v1/security").json["unreviewed_changes"] == before,
          "the security page counts the unreviewed changes")
    r = admin.call("POST", "/api/v1/changes/%d/review" % change["id"], {"note": "x"})
    check(r.status == 403, "an admin may not review: %r" % r)
    r = sec.call("POST", "/api/v1/changes/%d/review" % change["id"], {"note": "n" * 501})
    check(r.status == 400, "a note too long: %r" % r)
    r = sec.call("POST", "/api/v1/changes/%d/review" % change["id"],
                 {"note": "planned maintenance window"})
    check(r.status == 204, "review: %r" % r)
    r = sec.call("POST", "/api/v1/changes/%d/review" % change["id"], {"note": "again"})
    check(r.status == 409, "a second review: %r" % r)
    a = sec.call("GET", "/api/v1/changes?state=reviewed")
    check(a.json["changes"][0]["id"] == change["id"] and
          a.json["changes"][0]["note"] == "planned maintenance window" and
          a.json["changes"][0]["reviewer"] == "secoff", "the reviewed list: %r" % a.json)
    check(a.json["unreviewed"] == before - 1, "the count drops")
    check(admin.call("GET", "/api/v1/security").json["unreviewed_changes"] == before - 1,
          "the security page's count drops")
    check(sec.call("GET", "/api/v1/changes?state=all").status == 400, "a bad state")
    sheet = sec.call("GET", "/api/v1/security-sheet")
    check(sheet.status == 200 and any(i["name"] == "web" for i in sheet.json["interfaces"]),
          "the sheet over the API: %r" % sheet)
    print(change["id"])


if __name__ == "__main__":
    main_guard(main)
