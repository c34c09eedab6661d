#!/usr/bin/env python3
"""The permission matrix of medgate's JSON API, for test_permissions.sh.
Standard library only.

  prepare  first sign-in of every fixture account (password change),
           tenants A and B made by the tenant administrator, clinicians
           made members of them; writes the ids to the state file.
  matrix   walks EVERY route `medgatectl api-routes` printed, as nobody,
           as each single role, as an account with two roles, as an
           account of every role whose one-time password is not changed
           yet, and as a clinician of another tenant; checks each answer
           against the policy table below, CSRF refusal on every state
           change, and that no administrator ever receives patient data.
           Prints the matrix.

The policy table ALLOWED duplicates src/access/authz.c on purpose: it is
an independent statement of who may do what. A route with an action this
table does not know, or a path parameter or state-changing route this
script has no plan for, fails the test: a new route cannot slip past it.
"""
import argparse
import json
import urllib.parse
import os
import secrets
import sys

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgapi import (LOGIN_FAILED, Api, Session, TestFailure, check, main_guard,  # noqa: E402
                   ok)

# ---------------------------------------------------------------- policy
# action (the ACTION column of `medgatectl api-routes`) -> roles allowed.
# None: public, no account needed. The service caller has no maintenance
# grant (test_maintenance.sh tests inside one): it may ask, see its own
# requests and its session, nothing else.
ALL_ROLES = {"clinician", "admin", "tenant-admin", "device-admin", "service", "security-officer"}
ALLOWED = {
    "public": None,
    "self": ALL_ROLES,
    "patient-read": {"clinician"},          # and only of its own tenants
    "patient-write": {"clinician"},         # and only of its own tenants
    "user-read": {"admin"},
    "user-write": {"admin"},
    "settings": {"admin"},
    "tenant-read": {"tenant-admin", "device-admin", "admin"},
    "tenant-write": {"tenant-admin"},
    "device-read": {"device-admin"},       # service only inside a grant
    "device-write": {"device-admin"},
    "diagnostics": {"admin"},               # service only inside a grant
    "security": {"admin", "security-officer"},
    "maintenance-ask": {"service"},
    "maintenance-view": {"admin", "service"},
    "maintenance-grant": {"admin"},
    "change-review": {"security-officer"},  # the administrators make the changes
    "log-read": {"admin"},                  # service only inside a grant
    "self-test": {"admin"},                 # service only inside a grant
    "firmware-read": {"device-admin"},      # service only inside a grant
}

# The callers of the matrix: column name -> (account key, roles).
CALLERS = [
    ("none", None, set()),
    ("clinician", "clin-a", {"clinician"}),
    ("admin", "admin", {"admin"}),
    ("tenant-admin", "tadmin", {"tenant-admin"}),
    ("device-admin", "dadmin", {"device-admin"}),
    ("tenant+device", "tdadmin", {"tenant-admin", "device-admin"}),
    ("security-officer", "secoff", {"security-officer"}),
    ("service", "svc", {"service"}),
    # Three administrative roles (as many as the separation of duties lets
    # one account hold), member of tenant A, one-time password not changed
    # yet: only the routes below may answer it, whatever its roles.
    ("must-change", "mc-all", {"admin", "device-admin", "security-officer"}),
]
# What an account whose password must be changed may still do, besides
# the public routes: see and end its session, change its password.
MUST_CHANGE_ALLOWED = {("GET", "/api/v1/session"), ("DELETE", "/api/v1/session"),
                       ("POST", "/api/v1/session/password")}
# Accounts whose answers must never carry patient data.
NO_PATIENT_DATA = {"none", "admin", "tenant-admin", "device-admin", "tenant+device",
                   "security-officer", "service", "must-change"}

# ------------------------------------------------------- request plans
# Per state-changing route: the body, the statuses an allowed caller may
# get (bodies prefer to fail validation, or target throwaway objects),
# and side effects the matrix must know about. GET routes need no plan
# (expected 200) unless listed. Path parameters come from fill_params().
PLANS = {
    ("POST", "/api/v1/session"): dict(body="LOGIN", expect={200}),
    ("DELETE", "/api/v1/session"): dict(expect={200}, ends_session=True),
    ("POST", "/api/v1/session/password"): dict(body={}, expect={400}),
    ("POST", "/api/v1/session/totp"): dict(expect={200}),
    ("POST", "/api/v1/session/totp/confirm"): dict(body={"code": "zzzzzz"}, expect={400, 409}),
    ("DELETE", "/api/v1/session/totp"): dict(body={}, expect={400}),
    ("POST", "/api/v1/password-reset"): dict(body={"user": "matrix-no-such-account"},
                                             expect={202}),
    ("POST", "/api/v1/password-reset/confirm"): dict(body={}, expect={400}),
    ("GET", "/api/v1/patients"): dict(query="q=PATIENT_A", expect={200}),
    ("POST", "/api/v1/patients"): dict(body={"id": "PAT-A-NEW-1", "family_name": ""},
                                       expect={400}),
    ("GET", "/api/v1/patients/{patient}"): dict(expect={200}),
    ("PATCH", "/api/v1/patients/{patient}"): dict(body="IDENTITY", expect={200}),
    ("GET", "/api/v1/patients/{patient}/measurements"): dict(expect={200}),
    ("GET", "/api/v1/patients/{patient}/accesses"): dict(expect={200}),
    # Without a reason: refused before anything is looked up or changed.
    ("POST", "/api/v1/patients/{patient}/measurements/{measurement}/correction"):
        dict(body={"action": "entered-in-error"}, expect={400}),
    ("POST", "/api/v1/assignments/{id}"): dict(body={}, expect={400}),
    ("POST", "/api/v1/orders"): dict(body={}, expect={400}),
    ("DELETE", "/api/v1/orders/{id}"): dict(expect={404}),
    ("GET", "/api/v1/patients/{patient}/export"): dict(expect={200}),
    ("GET", "/api/v1/patients/{patient}/report"): dict(query="limit=5", expect={200}),
    # The matrix's only EMR destination speaks HL7: no FHIR systems to encode with.
    ("GET", "/api/v1/patients/{patient}/report/fhir"): dict(expect={409}),
    ("POST", "/api/v1/users"): dict(body={"name": "matrix-refused", "roles": []}, expect={400}),
    ("PATCH", "/api/v1/users/{id}"): dict(body={"display_name": "Matrix Edit"}, expect={200}),
    ("DELETE", "/api/v1/users/{id}"): dict(fresh="user", expect={204}),
    ("POST", "/api/v1/users/{id}/password"): dict(body={"password": "short"}, expect={400}),
    ("POST", "/api/v1/users/{id}/unlock"): dict(expect={204}),
    ("DELETE", "/api/v1/users/{id}/totp"): dict(expect={204}),
    ("PUT", "/api/v1/settings"): dict(body={"require_2fa_roles": "admin"}, expect={400}),
    ("POST", "/api/v1/tenants"): dict(body={"name": ""}, expect={400}),
    ("PATCH", "/api/v1/tenants/{id}"): dict(body={}, expect={400}),
    ("DELETE", "/api/v1/tenants/{id}"): dict(fresh="tenant", expect={204}),
    ("PUT", "/api/v1/tenants/{id}/members/{user}"): dict(tenant="members", expect={204}),
    ("DELETE", "/api/v1/tenants/{id}/members/{user}"): dict(tenant="members", expect={204, 404}),
    ("POST", "/api/v1/tenants/{id}/members/{user}/confirm"): dict(tenant="members",
                                                                  expect={204, 404}),
    ("PATCH", "/api/v1/devices/{id}"): dict(body={"status": "bogus"}, expect={400}),
    ("POST", "/api/v1/devices/tokens"): dict(body={"name": "matrix"}, expect={400}),
    ("POST", "/api/v1/outbox/{destination}/resend"): dict(body={"id": "x"}, expect={400}),
    ("POST", "/api/v1/alerts/{id}/acknowledge"): dict(expect={404}),
    ("POST", "/api/v1/incidents"): dict(body={"title": ""}, expect={400}),
    ("GET", "/api/v1/incidents/{id}"): dict(expect={404}),
    ("PATCH", "/api/v1/incidents/{id}"): dict(body={"status": "closed"}, expect={404}),
    ("POST", "/api/v1/incidents/{id}/notes"): dict(body={"text": "x"}, expect={404}),
    ("POST", "/api/v1/incidents/{id}/actions"): dict(body={"action": "lock_user", "target": 1},
                                                    expect={404}),
    ("POST", "/api/v1/maintenance"): dict(body={"scope": []}, expect={400}),
    ("POST", "/api/v1/maintenance/{id}/grant"): dict(expect={404}),
    ("POST", "/api/v1/maintenance/{id}/refuse"): dict(expect={404}),
    ("POST", "/api/v1/maintenance/{id}/end"): dict(expect={404}),
    ("POST", "/api/v1/changes/{id}/review"): dict(body={"note": "matrix"}, expect={404}),
    ("POST", "/api/v1/self-test"): dict(expect={200}),
}
# Public routes that change state without a CSRF token, by design: there
# is no session yet whose token could be sent.
CSRF_EXEMPT = {("POST", "/api/v1/session"), ("POST", "/api/v1/password-reset"),
               ("POST", "/api/v1/password-reset/confirm")}


def numbers(v):
    """Every number in a decoded JSON value."""
    if isinstance(v, bool):
        return []
    if isinstance(v, (int, float)):
        return [v]
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, list):
        return [x for e in v for x in numbers(e)]
    return []


def leaks(body, ids, values):
    """What of ids (text) and values (numbers) body carries, or None."""
    for pid in ids:
        if pid.encode() in body:
            return pid
    try:
        nums = numbers(json.loads(body)) if body else []
    except ValueError:
        nums = []
    for v in values:
        if repr(v).encode() in body or any(abs(x - v) < 1e-6 for x in nums):
            return repr(v)
    return None


def new_password():
    return "Mx-" + secrets.token_urlsafe(15)


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, state):
    with open(path + ".tmp", "w") as f:
        json.dump(state, f, indent=1)
    os.replace(path + ".tmp", path)


# --------------------------------------------------------------- prepare
def prepare(args):
    api = Api(args.port, args.ca)
    state = load(args.state)
    accounts = state["accounts"]
    for key, acc in accounts.items():
        if acc.get("keep_must_change"):
            continue
        s = Session(api, acc["user"], acc["password"]).login()
        check(s.info["must_change_password"] is True,
              "%s: first sign-in must demand a password change" % key)
        s.change_password(new_password())
        acc["password"] = s.password
    ok("fixture accounts signed in and changed their one-time passwords")

    admin = Session(api, accounts["admin"]["user"], accounts["admin"]["password"]).login()
    tadmin = Session(api, accounts["tadmin"]["user"], accounts["tadmin"]["password"]).login()
    a = admin.call("GET", "/api/v1/users")
    check(a.status == 200, "admin lists accounts: %r" % a)
    ids = {u["name"]: u["id"] for u in a.json["users"]}
    for acc in accounts.values():
        acc["id"] = ids[acc["user"]]
    tenants = {}
    for key, name in (("A", "ward-a"), ("B", "ward-b"), ("members", "matrix-members")):
        a = tadmin.call("POST", "/api/v1/tenants", {"name": name})
        check(a.status == 201, "tenant-admin creates tenant %s: %r" % (name, a))
        tenants[key] = a.json["id"]
        tenants[key + "_name"] = name
    for acc_key, t in (("clin-a", "A"), ("clin-b", "B"), ("mc-all", "A")):
        a = tadmin.call("PUT", "/api/v1/tenants/%d/members/%d" % (tenants[t],
                                                                  accounts[acc_key]["id"]))
        check(a.status == 204, "tenant-admin adds %s to tenant %s: %r" % (acc_key, t, a))
    a = admin.call("POST", "/api/v1/users", {"name": "matrix-edit", "roles": ["clinician"],
                                             "password": new_password()})
    check(a.status == 201, "admin creates a throwaway account: %r" % a)
    state["edit_user"] = a.json["id"]
    state["tenants"] = tenants
    save(args.state, state)
    ok("tenants %s (A) and %s (B) made by the tenant-admin; clinicians are members"
       % (tenants["A"], tenants["B"]))


# ---------------------------------------------------------------- matrix
class Matrix:
    def __init__(self, args):
        self.api = Api(args.port, args.ca)
        self.state = load(args.state)
        self.failures = []
        self.rows = []
        self.bodies = {}        # caller -> list of response bodies
        self.sessions = {}
        self.counter = 0
        acc = self.state["accounts"]
        for name, key, _ in CALLERS:
            if key:
                self.sessions[name] = Session(self.api, acc[key]["user"],
                                              acc[key]["password"]).login()
        self.sessions["clin-B"] = Session(self.api, acc["clin-b"]["user"],
                                          acc["clin-b"]["password"]).login()

    def fail(self, what):
        self.failures.append(what)
        print("MISMATCH: " + what, flush=True)

    def record(self, caller, answer):
        self.bodies.setdefault(caller, []).append(answer.body)

    # Throwaway objects for destructive routes, one per call.
    def fresh(self, kind):
        self.counter += 1
        name = "matrix-tmp-%d-%s" % (self.counter, secrets.token_hex(3))
        if kind == "tenant":
            a = self.sessions["tenant-admin"].call("POST", "/api/v1/tenants", {"name": name})
            check(a.status == 201, "throwaway tenant: %r" % a)
        else:
            a = self.sessions["admin"].call("POST", "/api/v1/users", {
                "name": name, "roles": ["clinician"], "password": new_password()})
            check(a.status == 201, "throwaway account: %r" % a)
        return a.json["id"]

    def exists(self, kind, oid):
        if kind == "tenant":
            a = self.sessions["tenant-admin"].call("GET", "/api/v1/tenants")
            return any(t["id"] == oid for t in a.json["tenants"])
        a = self.sessions["admin"].call("GET", "/api/v1/users/%d" % oid)
        return a.status == 200

    def fill(self, method, pattern, plan, fresh_id=None):
        """The path with real ids; fails on a parameter it cannot fill."""
        st = self.state
        out = []
        for seg in pattern.split("/"):
            if not (seg.startswith("{") and seg.endswith("}")):
                out.append(seg)
                continue
            name = seg[1:-1]
            base = out[-1] if out else ""
            if fresh_id is not None and name == "id":
                v = fresh_id
            elif name == "patient":
                v = st["patients"]["A"]
            elif name == "user":
                v = st["edit_user"]
            elif name == "measurement":
                v = 999999      # the plan's body is refused before it is looked up
            elif name == "destination":
                v = st["emr_destination"]
            elif name == "id" and base == "users":
                v = st["edit_user"]
            elif name == "id" and base == "tenants":
                v = st["tenants"][plan.get("tenant", "A")]
            elif name == "id" and base == "devices":
                v = st["device_a"]
            elif name == "id" and base in ("alerts", "incidents", "maintenance", "changes",
                                           "assignments", "orders"):
                v = 999999      # none: an allowed caller gets 404, others 403
            else:
                raise TestFailure("route %s %s: no id for path parameter {%s} after /%s/; "
                                  "teach permissions.py how to fill it" %
                                  (method, pattern, name, base))
            out.append(urllib.parse.quote(str(v), safe=""))
        path = "/".join(out)
        if plan.get("query"):
            path += "?" + plan["query"].replace("PATIENT_A", urllib.parse.quote(st["patients"]["A"]))
        return path

    def body_for(self, plan, caller):
        body = plan.get("body")
        if body == "IDENTITY":
            return self.state["identity_a"]
        if body == "LOGIN":
            acc = self.state["accounts"]["clin-a" if caller == "none" else
                                         dict((c[0], c[1]) for c in CALLERS)[caller]]
            return {"user": acc["user"], "password": acc["password"]}
        return body

    def call(self, caller, method, path, body, csrf=True):
        if caller == "none":
            a = self.api.request(method, path, body)
        else:
            a = self.sessions[caller].call(method, path, body, csrf=csrf)
        self.record(caller, a)
        return a

    def run(self, routes_file):
        routes = []
        with open(routes_file) as f:
            for line in f:
                parts = line.split()
                if not parts:
                    continue
                check(len(parts) >= 3, "api-routes line without an action: %r" % line)
                method, pattern, action = parts[0], parts[1], parts[2]
                if action not in ALLOWED:
                    raise TestFailure("route %s %s has action %r, which the policy table of "
                                      "permissions.py does not know" % (method, pattern, action))
                if method != "GET" and (method, pattern) not in PLANS:
                    raise TestFailure("state-changing route %s %s has no request plan in "
                                      "permissions.py" % (method, pattern))
                routes.append((method, pattern, action, " ".join(parts[3:])))
        check(len(routes) >= 10, "api-routes printed only %d routes" % len(routes))
        ok("%d routes from medgatectl api-routes, every action known to the policy table"
           % len(routes))

        self.service_signs_in()
        a = self.sessions["device-admin"].call("GET", "/api/v1/devices")
        check(a.status == 200, "device list: %r" % a)
        devs = [d for d in a.json["devices"] if d["tenant"] == self.state["tenants"]["A"]]
        check(devs, "no device of tenant A in %r" % a)
        self.state["device_a"] = devs[0]["id"]

        # CSRF first: refused state changes must leave the fixtures the
        # matrix then changes for real.
        for method, pattern, action, _ in routes:
            if method != "GET":
                self.csrf_route(method, pattern, action)
        for method, pattern, action, roles_text in routes:
            self.matrix_route(method, pattern, action)
        self.no_patient_data()
        self.print_table()
        if self.failures:
            raise TestFailure("%d mismatches in the permission matrix:\n  %s" %
                              (len(self.failures), "\n  ".join(self.failures)))
        ok("every route answered every caller as the policy table says")

    def service_signs_in(self):
        s = self.sessions["service"]
        a = s.call("GET", "/api/v1/maintenance")
        check(a.status == 200 and a.json["active"] == 0,
              "a service account without a grant sees its (no) requests: %r" % a)
        a = s.call("GET", "/api/v1/outbox")
        check(a.status == 403, "a service account without a grant read the queues: %r" % a)
        ok("a service account signs in; without a grant it may only ask for maintenance")

    def allowed(self, action, roles):
        allowed = ALLOWED[action]
        if allowed is None:
            return True
        return bool(roles & allowed)

    def matrix_route(self, method, pattern, action):
        plan = PLANS.get((method, pattern), {"expect": {200}})
        row = {"route": "%s %s" % (method, pattern), "action": action, "cells": {}}
        for caller, _, roles in CALLERS:
            fresh_id = self.fresh(plan["fresh"]) if "fresh" in plan else None
            path = self.fill(method, pattern, plan, fresh_id)
            a = self.call(caller, method, path, self.body_for(plan, caller))
            mark = ""
            if action != "public" and caller == "none":
                good = a.status == 401 and a.json == {"error": "sign in first"}
                want = "401 sign in first"
            elif caller == "must-change" and action != "public" and \
                    (method, pattern) not in MUST_CHANGE_ALLOWED:
                good = a.status == 403 and a.json == {"error": "password change required"}
                want = "403 password change required"
            elif self.allowed(action, roles):
                good = a.status in plan["expect"]
                want = "one of %s" % sorted(plan["expect"])
            else:
                good = a.status == 403 and a.json == {"error": "not allowed for your roles"}
                want = "403 not allowed for your roles"
            if good and fresh_id is not None and a.status == 403:
                if not self.exists(plan["fresh"], fresh_id):
                    good, want = False, "the refused delete to leave the object"
            if not good:
                mark = "!"
                self.fail("%s %s as %s: expected %s, got %r" % (method, path, caller, want, a))
            if pattern == "/api/v1/patients/{patient}/measurements" and a.status == 200:
                self.check_measurements(a, caller)
            row["cells"][caller] = "%d%s" % (a.status, mark)
            if plan.get("ends_session") and caller != "none" and a.status < 300:
                # Logged out for real: the old cookie is dead, sign in again.
                old = self.sessions[caller].cookie
                b = self.api.request("GET", "/api/v1/session", cookie=old)
                if b.status != 401:
                    self.fail("%s: session still alive after sign-out: %r" % (caller, b))
                self.sessions[caller].login()
        if pattern == "/api/v1/patients/{patient}/measurements":
            row["cells"]["clin-B"] = self.other_tenant_clinician()
        self.rows.append(row)

    def check_measurements(self, a, caller):
        st = self.state
        n = len(a.json.get("measurements", []))
        if caller != "clinician" or a.json.get("patient") != st["patients"]["A"] or \
                n != st["count_a"]:
            self.fail("patient read as %s: expected %d measurements of %s, got %r"
                      % (caller, st["count_a"], st["patients"]["A"], a))
        got = sorted(numbers(a.json))
        for v in st["values_a"]:
            if not any(abs(x - v) < 1e-6 for x in got):
                self.fail("clinician's answer lacks the value %s sent: %r" % (v, a))

    def other_tenant_clinician(self):
        """A clinician of tenant B asking for a patient of tenant A gets
        exactly what it gets for a patient that does not exist."""
        st = self.state
        s = self.sessions["clin-B"]
        other = s.call("GET", "/api/v1/patients/%s/measurements" % st["patients"]["A"])
        none = s.call("GET", "/api/v1/patients/PAT-NOBODY-0000/measurements")
        own = s.call("GET", "/api/v1/patients/%s/measurements" % st["patients"]["B"])
        self.record("clin-B", other)
        mark = ""
        if other.status != 404 or other.body != none.body or none.status != 404:
            mark = "!"
            self.fail("clinician of B reading a patient of A: %r; nonexistent patient: %r"
                      % (other, none))
        if own.status != 200 or len(own.json["measurements"]) != st["count_b"]:
            mark = "!"
            self.fail("clinician of B reading its own patient: %r" % own)
        a = self.sessions["clinician"].call("GET", "/api/v1/patients/%s/measurements"
                                            % st["patients"]["B"])
        if a.status != 404 or a.body != none.body:
            mark = "!"
            self.fail("clinician of A reading a patient of B: %r" % a)
        # Identity: neither changed, read nor found from the other tenant.
        q = urllib.parse.quote
        w_other = s.call("PATCH", "/api/v1/patients/%s" % q(st["patients"]["A"], safe=""),
                         {"ward": "matrix"})
        w_none = s.call("PATCH", "/api/v1/patients/PAT-NOBODY-0000", {"ward": "matrix"})
        r_other = s.call("GET", "/api/v1/patients/%s" % q(st["patients"]["A"], safe=""))
        found = s.call("GET", "/api/v1/patients?q=%s" % q(st["patients"]["A"]))
        by_name = s.call("GET", "/api/v1/patients?q=%s" % q(st["identity_a"]["family_name"]))
        for x in (w_other, r_other, found, by_name):
            self.record("clin-B", x)
        if w_other.status != 404 or w_other.body != w_none.body or r_other.status != 404:
            mark = "!"
            self.fail("clinician of B changing or reading A's identity: %r %r" % (w_other, r_other))
        if found.status != 200 or found.json["patients"] != [] or \
                by_name.status != 200 or by_name.json["patients"] != []:
            mark = "!"
            self.fail("clinician of B finds A's patient: %r %r" % (found, by_name))
        if not mark:
            ok("clinician of tenant B: 404 for tenant A's patient, byte for byte the answer "
               "for a nonexistent patient (read, change); A's patient not found by id or name; "
               "200 for its own; clinician of A: 404 for B's")
        return "%d%s" % (other.status, mark)

    def csrf_route(self, method, pattern, action):
        key = (method, pattern)
        plan = PLANS[key]
        if action == "public":
            if key not in CSRF_EXEMPT:
                self.fail("public state-changing route %s %s is not in the CSRF exemption "
                          "list" % key)
            return
        # The first caller the policy allows: with a missing check the
        # handler would really run.
        caller = next((c for c, _, roles in CALLERS
                       if c != "none" and self.allowed(action, roles)), None)
        if caller is None:
            self.csrf_cells = getattr(self, "csrf_cells", {})
            self.csrf_cells[key] = ("-", "-")
            return
        other = self.sessions["admin" if caller != "admin" else "clinician"].csrf
        cells = []
        for label, token in (("none", None), ("wrong", secrets.token_urlsafe(32)),
                             ("other session's", other), ("empty", ""),
                             ("own with a suffix", self.sessions[caller].csrf + "x")):
            fresh_id = self.fresh(plan["fresh"]) if "fresh" in plan else None
            path = self.fill(method, pattern, plan, fresh_id)
            s = self.sessions[caller]
            if token is None:
                a = self.api.request(method, path, self.body_for(plan, caller), cookie=s.cookie)
            else:
                a = self.api.request(method, path, self.body_for(plan, caller), cookie=s.cookie,
                                     headers={"X-CSRF-Token": token})
            self.record(caller, a)
            good = a.status == 403 and a.json == {"error": "missing or wrong X-CSRF-Token"}
            if good and fresh_id is not None and not self.exists(plan["fresh"], fresh_id):
                good = False
            if not good:
                self.fail("%s %s as %s with %s X-CSRF-Token: expected 403 and nothing "
                          "changed, got %r" % (method, path, caller, label, a))
            if label in ("none", "wrong"):
                cells.append("%d%s" % (a.status, "" if good else "!"))
        # The session survived every refused call (a refused sign-out too).
        a = self.sessions[caller].call("GET", "/api/v1/session")
        if a.status != 200:
            self.fail("%s: session lost after CSRF-refused %s %s: %r" % (caller, method,
                                                                        pattern, a))
            self.sessions[caller].login()
        self.csrf_cells = getattr(self, "csrf_cells", {})
        self.csrf_cells[key] = tuple(cells)

    def no_patient_data(self):
        """No patient id (as text anywhere in the bytes) and no measurement
        value (as a number anywhere in the JSON, or as its text) reaches
        a caller without the clinician role."""
        st = self.state
        ids = list(st["patients"].values()) + [st["identity_a"]["family_name"],
                                               st["identity_a"]["birth_date"]]
        values = st["values_a"] + st["values_b"]
        # The needles must really be what a clinician receives.
        clin = self.bodies.get("clinician", [])
        check(any(st["patients"]["A"].encode() in b for b in clin),
              "the clinician never received its patient's id: the leak search proves nothing")
        check(any(st["identity_a"]["family_name"].encode() in b for b in clin),
              "the clinician never received its patient's name: the leak search proves nothing")
        for v in st["values_a"]:
            check(any(leaks(b, [], [v]) for b in clin),
                  "the clinician never received the value %s: the leak search proves "
                  "nothing" % v)
        checked = 0
        for caller in sorted(NO_PATIENT_DATA):
            for body in self.bodies.get(caller, []):
                checked += 1
                found = leaks(body, ids, values)
                if found:
                    self.fail("%s received patient data (%s) in %r" % (caller, found,
                                                                       body[:300]))
        ok("%d answers to %s: no patient id, no measurement value"
           % (checked, ", ".join(sorted(NO_PATIENT_DATA))))

    def print_table(self):
        cols = [c[0] for c in CALLERS] + ["clin-B", "no-csrf", "bad-csrf"]
        width = max(len(r["route"]) for r in self.rows)
        print()
        print("permission matrix (status per caller; ! = not what the policy says)")
        print("%-*s %-13s %s" % (width, "route", "action", " ".join("%-13s" % c for c in cols)))
        csrf = getattr(self, "csrf_cells", {})
        for r in self.rows:
            cells = dict(r["cells"])
            key = tuple(r["route"].split(" ", 1))
            if key[0] != "GET":
                c = csrf.get(key, ("exempt", "exempt"))
                cells["no-csrf"], cells["bad-csrf"] = c[0], c[1]
            print("%-*s %-13s %s" % (width, r["route"], r["action"],
                                     " ".join("%-13s" % cells.get(c, "") for c in cols)))
        print()


def matrix(args):
    Matrix(args).run(args.routes)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["prepare", "matrix"])
    p.add_argument("--port", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--routes")
    args = p.parse_args()
    main_guard(lambda: prepare(args) if args.command == "prepare" else matrix(args))


if __name__ == "__main__":
    main()
