#!/usr/bin/env python3
"""Sign-in, sessions, lockout, throttling and bad input on the real
daemon, for test_access.sh. Standard library only. Each scenario is one
command; test_access.sh runs them in order against one instance and keeps
the state (passwords, ids) in a JSON file between them.

Client addresses: 127.0.0.1 for the legitimate users, 127.0.0.2 for the
password spray, 127.0.0.3 for the lockout tests, 127.0.0.4 for bad input,
so that each scenario's failures count against its own address only.

Environment: MG_CONF, MG_CTL (medgatectl), MG_DB (the SQLite file), or
MG_SQL_CONNINFO (the PostgreSQL database, with MG_PG_BIN for psql).
"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import (COOKIE, LOGIN_FAILED, Api, Session, TestFailure, check,  # noqa: E402
                   main_guard, ok, session_cookie)

SIGN_IN_FIRST = {"error": "sign in first"}
CHANGE_REQUIRED = {"error": "password change required"}
BAD_CSRF = {"error": "missing or wrong X-CSRF-Token"}


def new_password():
    return "Ax-" + secrets.token_urlsafe(15)


# ------------------------------------------------------------ the shell
def ctl(*args, expect=0):
    r = subprocess.run([os.environ["MG_CTL"], "-c", os.environ["MG_CONF"]] + list(args),
                       capture_output=True, text=True, timeout=60)
    if expect is not None:
        check(r.returncode == expect, "medgatectl %s: exit %d (wanted %d): %s%s" % (
            " ".join(args), r.returncode, expect, r.stdout, r.stderr))
    return r


def user_list():
    return ctl("user", "list").stdout


def user_state(name):
    for line in user_list().splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] == name:
            return f[2]
    raise TestFailure("account %s not in medgatectl user list" % name)


def sql(query):
    """Run SQL on the live database, as the account that owns it (the
    daemon's, once it dropped root), so no file it needs becomes root's."""
    conninfo = os.environ.get("MG_SQL_CONNINFO")
    if conninfo:
        cmd = [os.path.join(os.environ["MG_PG_BIN"], "psql"), "-X", "-q", "-A", "-t",
               "-v", "ON_ERROR_STOP=1", conninfo, "-c", query]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "psql %r: %s" % (query, r.stderr))
        return r.stdout.strip()
    db = os.environ["MG_DB"]
    cmd = ["sqlite3", "-batch", "-cmd", ".timeout 10000", db, query]
    owner = os.stat(db).st_uid
    if owner != os.getuid():
        cmd = ["setpriv", "--reuid=%d" % owner, "--regid=%d" % os.stat(db).st_gid,
               "--clear-groups"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "sqlite3 %r: %s" % (query, r.stderr))
    return r.stdout.strip()


NOW_MS = ("CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
          if os.environ.get("MG_SQL_CONNINFO") else
          "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)")


def user_id_sql(name):
    return "(SELECT id FROM users WHERE name = '%s')" % name.replace("'", "''")


# ------------------------------------------------------------- state
class State:
    def __init__(self, path):
        self.path = path
        with open(path) as f:
            self.d = json.load(f)

    def save(self):
        with open(self.path + ".tmp", "w") as f:
            json.dump(self.d, f, indent=1)
        os.replace(self.path + ".tmp", self.path)

    def pw(self, user):
        return self.d["passwords"][user]

    def set_pw(self, user, pw):
        self.d["passwords"][user] = pw
        self.save()


def first_sign_in(api, st, user):
    """Sign in with the one-time password and choose a new one."""
    s = Session(api, user, st.pw(user)).login()
    if s.info["must_change_password"]:
        s.change_password(new_password())
        st.set_pw(user, s.password)
    return s


# ------------------------------------------------------------ scenarios
def setup(api, st, args):
    """Administrator and tenant administrator choose their passwords;
    wards A and B and the tenants of the deletion test are made; the
    clinicians become members of their wards."""
    admin = first_sign_in(api, st, "admin")
    tadmin = first_sign_in(api, st, "tadmin")
    ids = {u["name"]: u["id"] for u in admin.call("GET", "/api/v1/users").json["users"]}
    tenants = {}
    for name in ("ward-a", "ward-b", "t-busy", "t-member", "t-token", "t-empty"):
        a = tadmin.call("POST", "/api/v1/tenants", {"name": name})
        check(a.status == 201, "create tenant %s: %r" % (name, a))
        tenants[name] = a.json["id"]
    for user, wards in (("clin-a", ["ward-a"]), ("clin-b", ["ward-b"]),
                        ("clin-ab", ["ward-a", "ward-b"])):
        for w in wards:
            a = tadmin.call("PUT", "/api/v1/tenants/%d/members/%d" % (tenants[w], ids[user]))
            check(a.status == 204, "add %s to %s: %r" % (user, w, a))
    st.d["tenants"] = tenants
    st.d["ids"] = ids
    st.save()
    ok("set-up: admin and tenant-admin changed their one-time passwords; wards made")


def first_login(api, st, args):
    user = "first-admin-account"        # long enough to be tried as a password
    initial = st.pw(user)
    s = Session(api, user, initial).login()
    check(s.info["must_change_password"] is True,
          "first sign-in of an account from medgatectl user add: %r" % s.info)
    other = Session(api, user, initial).login()     # a second session, ended by the change
    ok("first sign-in: 200 with must_change_password true")

    # Everything but the own session and the password change is refused.
    for method, path, body in (("GET", "/api/v1/users", None),
                               ("GET", "/api/v1/settings", None),
                               ("GET", "/api/v1/tenants", None),
                               ("POST", "/api/v1/users", {"name": "x"}),
                               ("PUT", "/api/v1/settings", {"require_2fa_roles": []}),
                               ("POST", "/api/v1/session/totp", None),
                               ("DELETE", "/api/v1/session/totp", {"password": initial})):
        a = s.call(method, path, body)
        check(a.status == 403 and a.json == CHANGE_REQUIRED,
              "%s %s before the password change: %r" % (method, path, a))
    a = s.call("GET", "/api/v1/session")
    check(a.status == 200 and a.json["must_change_password"] is True,
          "GET /api/v1/session before the change: %r" % a)
    ok("before the change: every other route answers 403 \"password change required\"")

    def refused(body, field, what):
        a = s.call("POST", "/api/v1/session/password", body)
        check(a.status == 400 and a.json.get("field") == field,
              "new password %s: expected 400 naming %r, got %r" % (what, field, a))
        check(body.get("new", "") not in a.text() or not body.get("new"),
              "the refusal echoes the password: %r" % a)
        return a

    refused({"old": initial, "new": "Sh0rt-pw"}, "new", "too short")
    refused({"old": initial, "new": "password1234"}, "new", "common")
    refused({"old": initial, "new": "123456789012"}, "new", "common digits")
    refused({"old": initial, "new": "qwertyuiopasdfgh"}, "new", "keyboard walk")
    refused({"old": initial, "new": user}, "new", "equal to the user name")
    refused({"old": initial, "new": initial}, "new", "equal to the old one")
    refused({"old": initial + "x", "new": new_password()}, "old", "with a wrong old one")
    refused({"old": initial}, "new", "missing")
    a = s.call("GET", "/api/v1/users")
    check(a.status == 403 and a.json == CHANGE_REQUIRED, "still refused after refusals: %r" % a)
    ok("refused with 400 naming \"new\": too short, common, equal to the name or the old one")

    new = new_password()
    old_cookie = s.cookie
    a = s.call("POST", "/api/v1/session/password", {"old": initial, "new": new})
    check(a.status == 200 and a.json["must_change_password"] is False,
          "accepted password change: %r" % a)
    s.adopt(a)
    s.password = new
    st.set_pw(user, new)
    check(s.cookie != old_cookie, "the password change kept the session id")
    a = api.request("GET", "/api/v1/session", cookie=old_cookie)
    check(a.status == 401, "the session from before the change still works: %r" % a)
    a = api.request("GET", "/api/v1/session", cookie=other.cookie)
    check(a.status == 401, "the account's other session survived the change: %r" % a)
    a = s.call("GET", "/api/v1/users")
    check(a.status == 200, "admin after the change: %r" % a)
    ok("accepted: must_change_password false, new session id, other sessions ended")

    a = api.login(user, initial)
    check(a.status == 401 and a.json == LOGIN_FAILED, "the one-time password still works: %r" % a)
    s2 = Session(api, user, new).login()
    check(s2.info["must_change_password"] is False, "sign-in after the change: %r" % s2.info)
    ok("after the change: old password refused, new one signs in without a change demanded")


def cookie_attrs(answer):
    for v in answer.header("Set-Cookie"):
        parts = [p.strip() for p in v.split(";")]
        if parts[0].startswith(COOKIE + "="):
            attrs = {}
            for p in parts[1:]:
                k, _, val = p.partition("=")
                attrs[k.lower()] = val
            return parts[0][len(COOKIE) + 1:], attrs
    raise TestFailure("no %s cookie in %r" % (COOKIE, answer.headers))


def cookies(api, st, args):
    user = "first-admin-account"
    a = api.login(user, st.pw(user))
    check(a.status == 200, "sign-in: %r" % a)
    value, attrs = cookie_attrs(a)
    check(len(a.header("Set-Cookie")) == 1, "more than one cookie: %r" % a.headers)
    for flag in ("secure", "httponly"):
        check(flag in attrs and attrs[flag] == "", "cookie lacks %s: %r" % (flag, attrs))
    check(attrs.get("samesite") == "Strict", "cookie SameSite is not Strict: %r" % attrs)
    check(attrs.get("path") == "/", "cookie Path is not /: %r" % attrs)
    check("domain" not in attrs, "a __Host- cookie must not name a Domain: %r" % attrs)
    check(re.fullmatch(r"[A-Za-z0-9_-]{43}", value), "session id is not 256 random bits in "
          "base64url: %r" % value)
    b = api.login(user, st.pw(user))
    v2, _ = cookie_attrs(b)
    check(v2 != value and b.json["csrf"] != a.json["csrf"],
          "two sign-ins gave the same session id or CSRF token")
    for h in ("Strict-Transport-Security", "X-Content-Type-Options", "Cache-Control"):
        check(a.header(h), "sign-in answer lacks %s" % h)
    ok("cookie %s: Secure; HttpOnly; SameSite=Strict; Path=/; no Domain; 43 random "
       "base64url characters, new at every sign-in" % COOKIE)

    csrf = a.json["csrf"]
    forged = [secrets.token_urlsafe(32), value[:-1] + ("A" if value[-1] != "A" else "B"),
              value[:20], value + "A", "' OR '1'='1", "x" * 43, "%00" + value[3:]]
    for f in forged:
        r = api.request("GET", "/api/v1/session", cookie=f)
        check(r.status == 401 and r.json == SIGN_IN_FIRST, "forged cookie %r: %r" % (f, r))
        r = api.request("DELETE", "/api/v1/session", cookie=f, csrf=csrf)
        check(r.status == 401, "forged cookie %r signs out: %r" % (f, r))
    r = api.request("GET", "/api/v1/users", cookie=value)
    check(r.status == 200, "the real session was harmed by the forged ones: %r" % r)
    ok("%d forged cookies (random, one character changed, cut, extended, SQL) answer 401"
       % len(forged))

    uid = st.d["ids"][user]
    before = int(sql("SELECT count(*) FROM sessions WHERE user_id = %d" % uid))
    r = api.request("DELETE", "/api/v1/session", cookie=value)
    check(r.status == 403 and r.json == BAD_CSRF, "sign-out without CSRF token: %r" % r)
    r = api.request("DELETE", "/api/v1/session", cookie=value, csrf=csrf)
    check(r.status == 200, "sign-out: %r" % r)
    cleared, cattrs = cookie_attrs(r)
    check(cleared == "" and cattrs.get("max-age") == "0", "sign-out does not clear the "
          "cookie: %r" % r.header("Set-Cookie"))
    after = int(sql("SELECT count(*) FROM sessions WHERE user_id = %d" % uid))
    check(after == before - 1, "sign-out left the session row (%d -> %d)" % (before, after))
    for method, path in (("GET", "/api/v1/session"), ("GET", "/api/v1/users"),
                         ("DELETE", "/api/v1/session")):
        r = api.request(method, path, cookie=value, csrf=csrf)
        check(r.status == 401 and r.json == SIGN_IN_FIRST,
              "signed-out cookie on %s %s: %r" % (method, path, r))
    r = api.request("GET", "/api/v1/session", cookie=v2)
    check(r.status == 200, "signing out one session ended another: %r" % r)
    ok("sign-out deletes the session server-side: the old cookie answers 401 everywhere")


def timeouts(api, st, args):
    user = "first-admin-account"
    uid = st.d["ids"][user]
    s = Session(api, user, st.pw(user)).login()
    check(s.info["idle_timeout"] == 900, "idle timeout is not the default 900 s: %r" % s.info)
    life = sql("SELECT expires_ms - created_ms FROM sessions WHERE user_id = %d "
               "ORDER BY created_ms DESC LIMIT 1" % uid)
    check(int(life) == 43200 * 1000, "absolute lifetime %s ms, not 12 h" % life)

    # Idle 800 s: still alive (and touched back to now).
    sql("UPDATE sessions SET last_seen_ms = last_seen_ms - 800000 WHERE user_id = %d" % uid)
    r = s.call("GET", "/api/v1/session")
    check(r.status == 200, "session idle 800 s of 900 was refused: %r" % r)
    age = int(sql("SELECT %s - max(last_seen_ms) FROM sessions WHERE user_id = %d" % (NOW_MS, uid)))
    check(age < 60000, "a request did not refresh last_seen (%d ms old)" % age)
    # Idle an hour: gone, and the row with it.
    sql("UPDATE sessions SET last_seen_ms = last_seen_ms - 3600000 WHERE user_id = %d" % uid)
    n = int(sql("SELECT count(*) FROM sessions WHERE user_id = %d" % uid))
    r = s.call("GET", "/api/v1/session")
    check(r.status == 401 and r.json == SIGN_IN_FIRST, "session idle an hour: %r" % r)
    r = s.call("POST", "/api/v1/tenants", {"name": "never"})
    check(r.status == 401, "idle session changes state: %r" % r)
    check(int(sql("SELECT count(*) FROM sessions WHERE user_id = %d" % uid)) == n - 1,
          "the idle session's row is still there")
    ok("idle timeout: 800 s idle still works, an hour idle answers 401 and the row is gone")

    # Past its absolute expiry while active a second ago.
    s.login()
    sql("UPDATE sessions SET expires_ms = %s - 1000, last_seen_ms = %s WHERE user_id = %d"
        % (NOW_MS, NOW_MS, uid))
    r = s.call("GET", "/api/v1/session")
    check(r.status == 401 and r.json == SIGN_IN_FIRST, "session past its lifetime: %r" % r)
    ok("absolute lifetime: an active session past expires_ms answers 401")

    # A session of a disabled account ends; a session whose account is
    # deleted ends.
    s.login()
    ctl("user", "disable", user)
    r = s.call("GET", "/api/v1/session")
    check(r.status == 401, "session of a disabled account: %r" % r)
    a = api.login(user, st.pw(user))
    check(a.status == 401 and a.json == LOGIN_FAILED, "disabled account signs in: %r" % a)
    ctl("user", "enable", user)
    Session(api, user, st.pw(user)).login()
    ok("disabling an account ends its sessions and refuses its sign-in; enable restores it")


def lockout(api3, st, args):
    api1 = Api(args.port, args.ca)
    user = "locky-user"
    first_sign_in(api1, st, user)
    pw = st.pw(user)
    uid = st.d["ids"][user]
    # The reference answer, from an address of its own.
    unknown = Api(args.port, args.ca, "127.0.0.5").login("no-such-account-x", pw)
    check(unknown.status == 401 and unknown.json == LOGIN_FAILED, "unknown user: %r" % unknown)

    def wrong(n):
        for i in range(n):
            a = api3.login(user, "wrong-%d-%s" % (i, secrets.token_hex(4)))
            check(a.status == 401 and a.body == unknown.body,
                  "wrong password %d: %r (unknown user gave %r)" % (i, a, unknown))

    def right(expect_ok, what):
        a = api3.login(user, pw)
        if expect_ok:
            check(a.status == 200 and session_cookie(a), "%s: %r" % (what, a))
        else:
            check(a.status == 401 and a.body == unknown.body and not session_cookie(a),
                  "%s: expected the same 401 as a wrong password, got %r" % (what, a))

    wrong(4)
    check(user_state(user) == "active", "locked after 4 failures")
    wrong(1)
    check(user_state(user) == "locked", "not locked after 5 failures")
    right(False, "right password on a locked account")
    right(False, "right password on a locked account, again")
    ok("5 wrong passwords lock; the right one then gets the same 401 body as a wrong one")
    ctl("user", "unlock", user)
    check(user_state(user) == "active", "medgatectl user unlock left it locked")
    right(True, "after medgatectl user unlock")
    ok("medgatectl user unlock lifts the lockout")

    # lockout_seconds = 2: the first lockout ends by itself after 2 s.
    wrong(5)
    t0 = time.monotonic()
    right(False, "right password during the first 2 s lockout")
    dur = (int(sql("SELECT locked_until_ms FROM users WHERE id = %d" % uid)) -
           int(sql("SELECT %s" % NOW_MS)))
    check(0 < dur <= 2000, "first lockout lasts %d ms more, not at most 2 s" % dur)
    time.sleep(max(0, 2.4 - (time.monotonic() - t0)))
    right(True, "right password after the 2 s lockout ran out")
    ok("first lockout (lockout_seconds = 2) ends by itself after 2 s")

    # A second lockout in a row, without a success in between, lasts 4 s.
    wrong(5)
    time.sleep(2.4)
    check(user_state(user) == "active", "first lockout did not run out after 2.4 s")
    wrong(1)
    t1 = time.monotonic()
    until = int(sql("SELECT locked_until_ms FROM users WHERE id = %d" % uid))
    dur = until - int(sql("SELECT %s" % NOW_MS))
    check(3000 < dur <= 4000, "second lockout in a row lasts %d ms, not 4 s" % dur)
    time.sleep(max(0, 2.6 - (time.monotonic() - t1)))
    right(False, "right password 2.6 s into the second (4 s) lockout")
    time.sleep(max(0, 4.5 - (time.monotonic() - t1)))
    right(True, "right password after the 4 s lockout ran out")
    ok("second lockout in a row lasts 4 s (doubled); the right password works after it")


def throttle(api2, st, args):
    """Password spray from 127.0.0.2 across 10 accounts; legitimate users
    on 127.0.0.1 keep signing in; the spraying address is refused even
    with a right password; no sprayed account gets locked."""
    api1 = Api(args.port, args.ca)
    legit = "first-admin-account"
    targets = ["spray-%02d" % i for i in range(1, 11)]
    answers = []
    legit_results = []
    stop = threading.Event()

    def legit_loop():
        while not stop.is_set() and len(legit_results) < 8:
            a = api1.login(legit, st.pw(legit))
            legit_results.append(a.status)
            time.sleep(0.3)

    t = threading.Thread(target=legit_loop)
    t.start()
    start = time.monotonic()
    try:
        for i in range(200):
            a = api2.login(targets[i % 10], "Spray-guess-%03d-%s" % (i, secrets.token_hex(3)))
            answers.append(a)
    finally:
        stop.set()
        t.join(60)
    spent = time.monotonic() - start
    bad = [a for a in answers if a.status != 401 or a.json != LOGIN_FAILED]
    check(not bad, "spray answers other than the one 401: %r" % bad[:3])
    check(legit_results and all(s == 200 for s in legit_results),
          "legitimate sign-ins from 127.0.0.1 during the spray: %r" % legit_results)
    ok("200 wrong passwords from 127.0.0.2 over 10 accounts in %.1f s, all the same 401; "
       "%d sign-ins from 127.0.0.1 meanwhile all 200" % (spent, len(legit_results)))

    failures = int(sql("SELECT failures FROM address_failures WHERE address = '127.0.0.2'"))
    check(failures == 20, "failures counted for 127.0.0.2: %d, expected to stop at the "
          "limit 20" % failures)
    for user in (legit, targets[0]):
        a = api2.login(user, st.pw(user))
        check(a.status == 401 and a.json == LOGIN_FAILED and not session_cookie(a),
              "right password of %s from the throttled 127.0.0.2: %r" % (user, a))
    ok("the throttled address is refused even with a right password (same 401)")

    a = api1.login(legit, st.pw(legit))
    check(a.status == 200, "legitimate sign-in from 127.0.0.1 after the spray: %r" % a)
    states = {u: user_state(u) for u in targets}
    check(all(v == "active" for v in states.values()), "sprayed accounts locked: %r" % states)
    for user in targets[:2]:
        a = api1.login(user, st.pw(user))
        check(a.status == 200, "sprayed account %s from 127.0.0.1: %r" % (user, a))
    ok("after the spray: 127.0.0.1 signs in; no sprayed account is locked, their owners "
       "sign in from 127.0.0.1")


def bad_inputs(api4, st, args):
    api1 = Api(args.port, args.ca)
    victim = "victim-account"
    first_sign_in(api1, st, victim)
    vpw = st.pw(victim)
    admin = Session(api1, "admin", st.pw("admin")).login()
    users_before = user_list()
    api_users_before = admin.call("GET", "/api/v1/users").json
    tenants_before = Session(api1, "tadmin", st.pw("tadmin")).login().call(
        "GET", "/api/v1/tenants").json
    failed = api4.login("no-such-account-y", vpw)
    check(failed.status == 401 and failed.json == LOGIN_FAILED, "unknown user: %r" % failed)

    def login_raw(raw, what, allowed=(401,), ctype="application/json"):
        a = api4.request("POST", "/api/v1/session", raw=raw, content_type=ctype)
        check(a.status in allowed, "sign-in with %s: expected %s, got %r" % (what, allowed, a))
        check(not session_cookie(a), "sign-in with %s set a cookie" % what)
        check(a.status != 400 or a.json == {"error": "malformed JSON"} or
              a.json == {"error": "the body must be a JSON object"},
              "sign-in with %s: unexpected 400 %r" % (what, a))
        if a.status == 401:
            check(a.body == failed.body, "sign-in with %s: 401 body differs: %r" % (what, a))
        return a

    def login_json(body, what, allowed=(401,)):
        # jansson refuses \u0000 unless told otherwise: the router's 400
        # "malformed JSON" is then as good a refusal as the 401.
        if "\\u0000" in json.dumps(body):
            allowed = (400, 401)
        return login_raw(json.dumps(body).encode(), what, allowed)

    cases = [
        ({"user": "", "password": vpw}, "an empty user name"),
        ({"user": victim, "password": ""}, "an empty password"),
        ({"user": victim}, "no password"),
        ({"password": vpw}, "no user"),
        ({"user": victim, "password": 12345678901234}, "a number as password"),
        ({"user": [victim], "password": vpw}, "a list as user"),
        ({"user": None, "password": None}, "nulls"),
        ({"user": victim, "password": vpw, "totp": 123456}, "a number as TOTP code"),
        ({"user": victim, "password": vpw, "totp": "1" * 100}, "a 100-digit TOTP code"),
        ({"user": "x" * 5000, "password": vpw}, "a 5000-character user name"),
        # SQL metacharacters: with the right password, none may sign in
        # as the victim; LIKE wildcards must not match its name.
        ({"user": victim + "' --", "password": vpw}, "SQL comment after the name"),
        ({"user": "' OR '1'='1", "password": vpw}, "SQL tautology as user"),
        ({"user": "x' OR name='" + victim, "password": vpw}, "SQL OR name=victim"),
        ({"user": victim[:-2] + "%", "password": vpw}, "LIKE % wildcard"),
        ({"user": victim[:-1] + "_", "password": vpw}, "LIKE _ wildcard"),
        ({"user": "\"; DROP TABLE users; --", "password": vpw}, "DROP TABLE as user"),
        ({"user": victim, "password": "' OR '1'='1"}, "SQL tautology as password"),
        # NUL bytes: a C string would stop at them.
        ({"user": victim + "\u0000junk", "password": vpw}, "NUL after the user name"),
        ({"user": victim, "password": vpw + "\u0000junk"}, "NUL after the right password"),
        ({"user": victim, "password": vpw[:6] + "\u0000" + vpw[7:]}, "NUL in the password"),
        ({"user": "\u0000", "password": "\u0000"}, "NUL as both"),
    ]
    for body, what in cases:
        login_json(body, what)
    login_raw(b'{"user": "x", "password": ', "malformed JSON", allowed=(400, 401))
    login_raw(b'["user", "password"]', "a JSON list", allowed=(400, 401))
    login_raw(json.dumps({"user": victim, "password": vpw}).encode(), "text/plain",
              allowed=(401, 415), ctype="text/plain")
    login_raw(b'{"user":"%s","password":"%s","user":"admin"}' % (victim.encode(), vpw.encode()),
              "a duplicate key", allowed=(400, 401))
    big = json.dumps({"user": victim, "password": "p" * (1 << 20)}).encode()
    login_raw(big, "a 1 MiB password", allowed=(401, 413))
    big = json.dumps({"user": victim, "password": vpw + "x" * 5000}).encode()
    login_raw(big, "a 5000-byte password", allowed=(401,))
    ok("%d malformed or hostile sign-ins: the same 401 (400/413/415 for bodies that are not "
       "JSON objects or too large), no cookie" % (len(cases) + 6))
    check(user_state(victim) == "active", "the hostile sign-ins locked the victim")
    a = api1.login(victim, vpw)
    check(a.status == 200, "the victim's own sign-in after the hostile ones: %r" % a)

    # Account creation with hostile fields: 400 naming the field, nothing
    # created, nothing echoed.
    good = {"name": "new-account-1", "roles": ["clinician"], "password": new_password()}
    sqls = "x'); DROP TABLE users; --"
    create_cases = [
        (dict(good, name=sqls), "name"),
        (dict(good, name="new\u0000account"), "name"),
        (dict(good, name="new-account\u0000"), "name"),
        (dict(good, name="a" * 200), "name"),
        (dict(good, name=""), "name"),
        (dict(good, display_name="Dr.\u0000Evil"), "display_name"),
        (dict(good, email="a'--@example.org\u0000"), "email"),
        (dict(good, email="x@example.org'; DROP TABLE users; --"), "email"),
        (dict(good, email="\"admin\"@example.org"), "email"),
        (dict(good, password=good["password"] + "\u0000"), "password"),
        (dict(good, password="\u0000" * 20), "password"),
        (dict(good, password="short"), "password"),
        (dict(good, password="p" * (300)), "password"),
        (dict(good, roles=["clinician\u0000"]), "roles"),
        (dict(good, roles=["admin' OR '1'='1"]), "roles"),
        (dict(good, roles=[]), "roles"),
        (dict(good, roles="admin"), "roles"),
        (dict(good, display_name=sqls, password="short"), "password"),
    ]
    for body, field in create_cases:
        a = admin.call("POST", "/api/v1/users", body)
        nul = "\\u0000" in json.dumps(body)
        check(a.status == 400 and (a.json.get("field") == field or
                                   (nul and a.json == {"error": "malformed JSON"})),
              "account with bad %s %r: expected 400 naming it, got %r" % (field, body, a))
        check(body["password"] not in a.text(), "the refusal echoes the password: %r" % a)
    # Memberships are a tenant administrator's: any "tenants" is refused
    # whole, well-formed or not (docs/access.md, separation of duties).
    for tenants in (["1"], [1, "1 OR 1=1"], [0], [999999], [1]):
        a = admin.call("POST", "/api/v1/users", dict(good, tenants=tenants))
        check(a.status == 403 and "tenant administrator" in a.text(),
              "account with tenants %r from an admin: expected 403, got %r" % (tenants, a))
    a = admin.call("POST", "/api/v1/users", good, csrf=None)
    check(a.status == 403 and a.json == BAD_CSRF, "creation without CSRF token: %r" % a)
    a = admin.call("POST", "/api/v1/users", good, csrf=secrets.token_urlsafe(32))
    check(a.status == 403 and a.json == BAD_CSRF, "creation with a wrong CSRF token: %r" % a)
    a = admin.call("POST", "/api/v1/users", raw=b"x" * (1 << 20))
    check(a.status in (400, 413), "creation with a 1 MiB body: %r" % a)
    check(user_list() == users_before, "medgatectl user list changed:\n%s\n---\n%s"
          % (users_before, user_list()))
    check(admin.call("GET", "/api/v1/users").json == api_users_before,
          "GET /api/v1/users changed")
    ok("%d hostile account creations: 400 naming the field; without or with a wrong CSRF "
       "token 403; user list unchanged" % len(create_cases))

    # SQL metacharacters where they are legitimate text are stored as text.
    a = admin.call("POST", "/api/v1/users", dict(good, display_name=sqls,
                                                 email="o'brien@example.org"))
    check(a.status == 201, "display name with quotes: %r" % a)
    nid = a.json["id"]
    g = admin.call("GET", "/api/v1/users/%d" % nid)
    check(g.json["display_name"] == sqls and g.json["email"] == "o'brien@example.org",
          "quoted text not stored as sent: %r" % g)
    check(admin.call("DELETE", "/api/v1/users/%d" % nid).status == 204, "delete it again")
    check(user_list() == users_before, "user list differs after create and delete")
    tadmin = Session(api1, "tadmin", st.pw("tadmin")).login()
    check(tadmin.call("GET", "/api/v1/tenants").json == tenants_before, "tenants changed")
    ok("quotes in a display name and e-mail are stored literally; the store is intact")

    # CLI: hostile names refused, nothing created.
    pwfile = os.path.join(os.path.dirname(st.path), "pw0")
    for name in (sqls, "a b", "", "x" * 200, "name;rm"):
        r = ctl("user", "add", name, "--role", "clinician", "--password-file", pwfile,
                expect=None)
        check(r.returncode != 0, "medgatectl user add %r succeeded" % name)
    r = ctl("user", "add", "cli-x", "--role", "admin' OR '1'='1", "--password-file", pwfile,
            expect=None)
    check(r.returncode != 0, "medgatectl accepted a hostile role")
    r = ctl("user", "unlock", "' OR '1'='1", expect=None)
    check(r.returncode != 0, "medgatectl user unlock of a SQL name succeeded")
    check(user_list() == users_before, "medgatectl user list changed after CLI refusals")
    ok("medgatectl user add/unlock with hostile names: refused, nothing created")

    # Hostile session cookies.
    for c in ("' OR 1=1 --", "\u00ff" * 43, "A" * 4000, secrets.token_urlsafe(32)):
        try:
            r = api4.request("GET", "/api/v1/users", cookie=c.encode("latin-1").decode("latin-1"))
        except Exception as e:      # the server may close on a huge header
            raise TestFailure("cookie %r: %s" % (c[:20], e))
        check(r.status in (400, 401, 413, 431), "hostile cookie %r: %r" % (c[:20], r))
    ok("hostile session cookies: 401 (or 4xx for oversized headers), never 5xx")

    a = api1.request("GET", "/api/v1/health")
    check(a.status == 200, "daemon health after the bad inputs: %r" % a)


def tenants(api, st, args):
    tadmin = Session(api, "tadmin", st.pw("tadmin")).login()
    t = st.d["tenants"]

    def delete(name):
        return tadmin.call("DELETE", "/api/v1/tenants/%d" % t[name])

    a = delete("t-busy")
    check(a.status == 409 and a.json["usage"]["devices"] == 1 and "device" in a.json["error"],
          "delete a tenant with a device: %r" % a)
    ok("tenant with a device: 409, %s" % a.json["error"])
    a = delete("t-token")
    check(a.status == 409 and a.json["usage"]["tokens"] == 1, "tenant with a token: %r" % a)
    ok("tenant with an open enrolment token: 409")
    uid = st.d["ids"]["spray-01"]
    a = tadmin.call("PUT", "/api/v1/tenants/%d/members/%d" % (t["t-member"], uid))
    check(a.status == 204, "add member: %r" % a)
    a = delete("t-member")
    check(a.status == 409 and a.json["usage"]["members"] == 1 and "member" in a.json["error"],
          "delete a tenant with a member: %r" % a)
    ok("tenant with a member: 409, %s" % a.json["error"])
    a = delete("ward-a")
    check(a.status == 409 and a.json["usage"]["measurements"] > 0,
          "delete a tenant with measurements: %r" % a)
    check("PAT-" not in a.text(), "the refusal names a patient: %r" % a)
    ok("tenant with devices, members and measurements: 409, no patient named")
    names = {x["name"] for x in tadmin.call("GET", "/api/v1/tenants").json["tenants"]}
    check({"t-busy", "t-token", "t-member", "ward-a"} <= names, "a refused delete deleted")

    a = tadmin.call("DELETE", "/api/v1/tenants/%d/members/%d" % (t["t-member"], uid))
    check(a.status == 204, "remove member: %r" % a)
    a = delete("t-member")
    check(a.status == 204, "delete the tenant emptied of its member: %r" % a)
    a = delete("t-empty")
    check(a.status == 204, "delete an empty tenant: %r" % a)
    a = delete("t-empty")
    check(a.status == 404, "delete it again: %r" % a)
    names = {x["name"] for x in tadmin.call("GET", "/api/v1/tenants").json["tenants"]}
    check("t-empty" not in names and "t-member" not in names, "deleted tenants still listed")
    ok("empty tenants (one emptied of its member) delete with 204, then 404")


def patients(api, st, args):
    d = st.d
    values_a = d["values_a"]

    def read(user, pid):
        s = first_sign_in(api, st, user)
        return s.call("GET", "/api/v1/patients/%s/measurements" % pid)

    none = read("clin-a", "PAT-DOES-NOT-EXIST-1")
    check(none.status == 404, "nonexistent patient: %r" % none)
    other = read("clin-a", d["patient_b"])
    check(other.status == 404 and other.body == none.body,
          "clinician of A reading a patient of B: %r (nonexistent: %r)" % (other, none))
    ok("clinician of tenant A, patient of tenant B: 404, identical to a nonexistent patient")
    own = read("clin-a", d["patient_a"])
    check(own.status == 200, "clinician of A reading its patient: %r" % own)
    ms = own.json["measurements"]
    check(len(ms) == len(values_a), "%d measurements, %d sent" % (len(ms), len(values_a)))
    weights = sorted(v["value"] for m in ms for v in m["values"] if v["type"] == "body_weight")
    check(all(abs(a - b) < 1e-9 for a, b in zip(weights, sorted(values_a))),
          "weights %r, sent %r" % (weights, values_a))
    check(own.json["patient"] == d["patient_a"] and own.json["tenant"] == d["tenants"]["ward-a"],
          "answer names another patient or tenant: %r" % own)
    ok("clinician of tenant A, its patient: 200 with the %d measurements sent" % len(ms))
    both_s = first_sign_in(api, st, "clin-ab")
    path_b = "/api/v1/patients/%s/measurements" % d["patient_b"]
    both = both_s.call("GET", path_b)
    check(both.status == 200 and len(both.json["measurements"]) == d["count_b"],
          "clinician of A and B reading a patient of B: %r" % both)
    ok("a clinician of both tenants reads the patient of B")
    # Taking the membership away takes effect on the open session at once.
    tadmin = Session(api, "tadmin", st.pw("tadmin")).login()
    a = tadmin.call("DELETE", "/api/v1/tenants/%d/members/%d" % (d["tenants"]["ward-b"],
                                                                 d["ids"]["clin-ab"]))
    check(a.status == 204, "remove clin-ab from ward-b: %r" % a)
    gone = both_s.call("GET", path_b)
    check(gone.status == 404 and gone.body == none.body,
          "the open session still reads ward B's patient after leaving it: %r" % gone)
    check(both_s.call("GET", "/api/v1/patients/%s/measurements" % d["patient_a"]).status == 200,
          "the open session lost ward A too")
    ok("leaving ward B ends access to its patient on the open session at once")
    for bad in ("..%2F..%2Fusers", "PAT%00A", "%27%20OR%201%3D1", "x" * 200):
        a = read("clin-a", bad)
        check(a.status in (404,), "hostile patient id %r: %r" % (bad, a))
    ok("hostile patient ids in the path: 404")


def no_secrets(api, st, args):
    """No password ever reaches the log, the daemon's stderr or the
    database files (which hold Argon2id hashes only)."""
    inst = os.path.dirname(os.environ["MG_CONF"])
    files = [os.path.join(inst, "log", f) for f in os.listdir(os.path.join(inst, "log"))]
    data = os.path.dirname(os.environ["MG_DB"])
    files += [os.path.join(data, f) for f in os.listdir(data)]
    stderr = os.path.join(os.path.dirname(inst), "medgated.stderr")
    files += [stderr] if os.path.exists(stderr) else []
    secrets_ = set(st.d["passwords"].values()) | {"Tq7-vortex-lantern-88"}
    for f in files:
        if not os.path.isfile(f):
            continue
        with open(f, "rb") as fh:
            blob = fh.read()
        for pw in secrets_:
            check(pw.encode() not in blob, "a password is in %s" % f)
    ok("none of %d passwords in the log, stderr or %d database files" %
       (len(secrets_), len(files)))


def reauth_guessing(api6, st, args):
    """The routes that check the current password of a signed-in account
    (POST /api/v1/session/password "old", DELETE /api/v1/session/totp
    "password") must not be an unlimited password oracle: after
    lockout_threshold (5) wrong passwords the right one must not work
    through them any more (as a sign-in would be locked)."""
    bugs = []
    for route, user in (("password", "reauth-user-1"), ("totp", "reauth-user-2")):
        s = first_sign_in(api6, st, user)
        pw = st.pw(user)
        for i in range(6):
            if route == "password":
                a = s.call("POST", "/api/v1/session/password",
                           {"old": "Guess-%d-%s" % (i, secrets.token_hex(4)), "new": new_password()})
            else:
                a = s.call("DELETE", "/api/v1/session/totp", {"password": "Guess-%d" % i})
            check(a.status in (400, 401, 403), "wrong current password %d: %r" % (i, a))
        if route == "password":
            new = new_password()
            a = s.call("POST", "/api/v1/session/password", {"old": pw, "new": new})
            if a.status == 200:
                st.set_pw(user, new)
        else:
            a = s.call("DELETE", "/api/v1/session/totp", {"password": pw})
        if a.status < 400:
            bugs.append(
              "BUG: after 6 wrong current passwords on %s the right one still works (%r): "
              "a stolen session can guess the account's password without lockout or "
              "throttling" % ({"password": "POST /api/v1/session/password",
                               "totp": "DELETE /api/v1/session/totp"}[route], a))
    check(not bugs, "\n".join(bugs))
    ok("re-authentication stops after repeated wrong current passwords")


SCENARIOS = {
    "reauth-guessing": (reauth_guessing, "127.0.0.6"),
    "no-secrets": (no_secrets, None),
    "setup": (setup, None),
    "first-login": (first_login, None),
    "cookies": (cookies, None),
    "timeouts": (timeouts, None),
    "lockout": (lockout, "127.0.0.3"),
    "throttle": (throttle, "127.0.0.2"),
    "bad-inputs": (bad_inputs, "127.0.0.4"),
    "tenants": (tenants, None),
    "patients": (patients, None),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--port", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--state", required=True)
    args = p.parse_args()
    fn, source = SCENARIOS[args.scenario]
    st = State(args.state)
    main_guard(lambda: fn(Api(args.port, args.ca, source), st, args))


if __name__ == "__main__":
    main()
