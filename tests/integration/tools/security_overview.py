"""Print the security overview (GET /api/v1/security) as JSON, signed in as
the administrator (changing its one-time password on the first sign-in;
the new one is written back to the password file).

Arguments: port, CA, password file.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import Api, Session, check, main_guard  # noqa: E402


def main():
    port, ca, pwfile = sys.argv[1:]
    pw = open(pwfile).read().strip()
    s = Session(Api(int(port), ca), "admin", pw).login()
    if s.info.get("must_change_password"):
        s.change_password(pw + " changed")
        open(pwfile, "w").write(pw + " changed\n")
    a = s.call("GET", "/api/v1/security")
    check(a.status == 200, "GET /api/v1/security: %r" % a)
    print(json.dumps(a.json))


if __name__ == "__main__":
    main_guard(main)
