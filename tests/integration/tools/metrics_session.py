"""The browser-session half of test_metrics.sh: an administrator's signed-in
session is no metrics credential (/metrics answers 401 to its cookie),
and the same session reads the operations overview the health page draws.

    metrics_session.py PORT CA PASSWORD OUT_JSON
"""
import json
import sys

from mgapi import Api, Session, check, main_guard, ok


def main():
    port, ca, password, out = sys.argv[1:5]
    api = Api(port, ca)
    s = Session(api, "admin", password).login()
    if s.info["must_change_password"]:
        s.change_password(password + " changed")
    a = s.call("GET", "/metrics")
    check(a.status in (401, 403), "/metrics with only a session cookie: %r" % a)
    check(b"medgate_" not in a.body, "/metrics leaked series to a session: %r" % a)
    ok("/metrics refuses a browser session (%d)" % a.status)
    a = s.call("GET", "/api/v1/health/overview")
    check(a.status == 200 and a.json is not None, "health overview: %r" % a)
    with open(out, "w") as f:
        json.dump(a.json, f)
    ok("the administrator reads the operations overview")


if __name__ == "__main__":
    main_guard(main)
