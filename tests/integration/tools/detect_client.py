"""The security officer's side of test_detect_attacks.sh: signs in as the
admin, sprays wrong passwords from another loopback address, waits for the
exact set of alerts the attacks must raise, and runs an incident through
its response actions. Standard library only (mgapi.py).

    detect_client.py setup    --port P --ca CA --state S --password-file F
    detect_client.py spray    --port P --ca CA --user U --count N --source 127.0.0.2
    detect_client.py alerts   --port P --ca CA --state S --expect "kind subject" ... [--out F]
    detect_client.py incident --port P --ca CA --state S --device ID --kind K
    detect_client.py api      --port P --ca CA --state S METHOD PATH [JSON]
"""
import argparse
import json
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from mgapi import Api, Session, check, main_guard, ok  # noqa: E402


def load(path):
    with open(path) as f:
        return json.load(f)


def admin(args):
    st = load(args.state)
    return Session(Api(args.port, args.ca), "admin", st["password"]).login()


def setup(args):
    api = Api(args.port, args.ca)
    with open(args.password_file) as f:
        pw = f.read().strip()
    s = Session(api, "admin", pw).login()
    new = "Mx-" + secrets.token_urlsafe(15)
    if s.info.get("must_change_password"):
        s.change_password(new)
        pw = new
    with open(args.state, "w") as f:
        json.dump({"password": pw}, f)
    ok("admin signed in")


def spray(args):
    api = Api(args.port, args.ca, source=args.source)
    statuses = {}
    for i in range(args.count):
        a = api.login(args.user, "wrong-%d-%s" % (i, secrets.token_hex(4)))
        statuses[a.status] = statuses.get(a.status, 0) + 1
    check(set(statuses) <= {401, 429}, "answers to wrong passwords: %r" % statuses)
    ok("%d wrong passwords for %s from %s: %r" % (args.count, args.user, args.source, statuses))


def alerts(args):
    """Poll until the open alerts are exactly the expected (kind, subject)
    pairs, then once more a little later (nothing extra may follow)."""
    s = admin(args)
    want = sorted(tuple(e.split(" ", 1)) for e in args.expect)
    deadline = time.monotonic() + args.timeout
    got = None
    while time.monotonic() < deadline:
        a = s.call("GET", "/api/v1/alerts?limit=1000")
        check(a.status == 200, "GET /api/v1/alerts: %r" % a)
        got = sorted((x["kind"], x["subject"]) for x in a.json["alerts"])
        if got == want:
            break
        time.sleep(0.25)
    check(got == want, "alerts: expected %r, got %r" % (want, got))
    time.sleep(1.5)     # the detector ticks every 250 ms: nothing more may come
    a = s.call("GET", "/api/v1/alerts?limit=1000")
    got = sorted((x["kind"], x["subject"]) for x in a.json["alerts"])
    check(got == want, "alerts after settling: expected %r, got %r" % (want, got))
    for x in a.json["alerts"]:
        check(x["state"] == "open" and x["count"] >= 1 and x["severity"] in
              ("low", "medium", "high", "critical"), "alert fields: %r" % x)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(a.json["alerts"], f, indent=1)
    ok("exactly the expected alerts: %s" % ", ".join("%s on %s" % w for w in want))


def incident(args):
    s = admin(args)
    a = s.call("GET", "/api/v1/alerts?state=open")
    ids = [x["id"] for x in a.json["alerts"] if x["kind"] == args.kind]
    check(len(ids) == 1, "one open %s alert: %r" % (args.kind, a.json))
    a = s.call("POST", "/api/v1/incidents", {"title": "Revoked scale probing", "severity": "high",
                                             "alerts": ids})
    check(a.status == 201 and a.json["status"] == "open" and
          [x["id"] for x in a.json["alerts"]] == ids, "incident opened: %r" % a)
    inc = a.json["id"]
    a = s.call("POST", "/api/v1/incidents", {"title": "again", "alerts": ids})
    check(a.status == 400 and a.json.get("field") == "alerts",
          "an alert joins one incident only: %r" % a)
    a = s.call("PATCH", "/api/v1/incidents/%d" % inc, {"status": "responding",
                                                       "note": "blocking the scale"})
    check(a.status == 200 and a.json["status"] == "responding", "status: %r" % a)
    a = s.call("POST", "/api/v1/incidents/%d/actions" % inc,
               {"action": "block_device", "target": args.device})
    check(a.status == 200, "block_device: %r" % a)
    a = s.call("POST", "/api/v1/incidents/%d/actions" % inc,
               {"action": "interface_off", "target": "device"})
    check(a.status == 200, "interface_off: %r" % a)
    a = s.call("POST", "/api/v1/incidents/%d/actions" % inc,
               {"action": "interface_off", "target": "teleporter"})
    check(a.status == 400 and a.json.get("field") == "target", "bad interface: %r" % a)
    a = s.call("POST", "/api/v1/incidents/%d/notes" % inc, {"text": "vendor informed"})
    check(a.status == 200, "note: %r" % a)
    a = s.call("GET", "/api/v1/incidents/%d" % inc)
    kinds = [e["kind"] for e in a.json["timeline"]]
    check(kinds == ["opened", "status", "action", "action", "note"], "timeline: %r" % kinds)
    check(a.json["timeline"][2]["text"] == "device %d blocked" % args.device,
          "timeline text: %r" % a.json["timeline"])
    a = s.call("GET", "/api/v1/settings")
    check(a.json["interfaces"]["device"] is False, "device interface off: %r" % a.json)
    for x in ids:
        a = s.call("POST", "/api/v1/alerts/%d/acknowledge" % x)
        check(a.status == 200 and a.json["state"] == "acknowledged", "acknowledge: %r" % a)
    a = s.call("POST", "/api/v1/alerts/999999/acknowledge")
    check(a.status == 404, "unknown alert: %r" % a)
    print(inc)


def api_call(args):
    s = admin(args)
    body = json.loads(args.json) if args.json else None
    a = s.call(args.method, args.path, body)
    print(a.status, a.text() if hasattr(a, "text") else a.body.decode())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command")
    p.add_argument("--port", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--state")
    p.add_argument("--password-file")
    p.add_argument("--user")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--source")
    p.add_argument("--expect", nargs="*", default=[])
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--out")
    p.add_argument("--device", type=int)
    p.add_argument("--kind")
    p.add_argument("method", nargs="?")
    p.add_argument("path", nargs="?")
    p.add_argument("json", nargs="?")
    args = p.parse_intermixed_args()
    {"setup": setup, "spray": spray, "alerts": alerts, "incident": incident,
     "api": api_call}[args.command](args)


if __name__ == "__main__":
    main_guard(main)
