#!/usr/bin/env python3
"""A clinician and a patient's rights through the JSON API, for
test_patient_rights.sh. Standard library only.

  export PORT CA USER PWFILE PID N   the export downloads as a FHIR
                                     collection Bundle with N Observations
  gone PORT CA USER PWFILE PID       after the erasure: the patient, its
                                     measurements and its export answer 404
"""
import json
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import Api, Session, check, main_guard, ok  # noqa: E402


def session(port, ca, user, pwfile):
    pw = open(pwfile).read().strip()
    s = Session(Api(int(port), ca), user, pw).login()
    if s.info.get("must_change_password"):
        s.change_password(pw + " changed")
        with open(pwfile, "w") as f:
            f.write(s.password + "\n")
    return s


def main():
    what, port, ca, user, pwfile, pid = sys.argv[1:7]
    s = session(port, ca, user, pwfile)
    base = "/api/v1/patients/" + urllib.parse.quote(pid, safe="")
    if what == "export":
        a = s.call("GET", base + "/export")
        check(a.status == 200, "export: %r" % a)
        check(a.header("Content-Type")[0].startswith("application/fhir+json"),
              "export content type %r" % a.header("Content-Type"))
        b = json.loads(a.body)
        kinds = [e["resource"]["resourceType"] for e in b["entry"]]
        check(b["type"] == "collection" and kinds[0] == "Patient", "export %r" % kinds)
        check(kinds.count("Observation") == int(sys.argv[7]), "Observations in %r" % kinds)
        ok("a clinician downloads the export: %d Observations" % kinds.count("Observation"))
    elif what == "gone":
        for rest in ("", "/measurements", "/export"):
            a = s.call("GET", base + rest)
            check(a.status == 404, "GET %s after the erasure: %r" % (rest or "patient", a))
        ok("after the erasure the API answers 404 for the patient, its measurements and export")
    else:
        check(False, "unknown step %s" % what)


main_guard(main)
