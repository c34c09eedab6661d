"""A small client for medgate's JSON API on the web port, shared by
permissions.py and access.py. Standard library only (http.client, ssl,
json). One TLS connection per request, optionally from a chosen loopback
source address, so tests can speak as several client addresses.
"""
import http.client
import json
import socket
import ssl
import sys

COOKIE = "__Host-mg_session"
LOGIN_FAILED = {"error": "invalid credentials or locked"}


class TestFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def ok(what):
    print("ok - " + what, flush=True)


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "%d %s" % (self.status, self.text()[:300])


class _Connection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 (IPv4, so the source address can be any
    127.0.0.0/8 address) while checking the certificate for localhost."""

    def __init__(self, port, ctx, source, timeout):
        super().__init__("localhost", port, context=ctx, timeout=timeout,
                         source_address=(source, 0) if source else None)
        self._ctx = ctx

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout,
                                        self.source_address)
        self.sock = self._ctx.wrap_socket(sock, server_hostname="localhost")


class Api:
    def __init__(self, port, ca, source=None, timeout=30):
        self.port = int(port)
        self.ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
        self.source = source
        self.timeout = timeout

    def request(self, method, path, body=None, cookie=None, csrf=None, headers=None,
                raw=None, content_type="application/json"):
        """body: a JSON value (serialised) or None; raw: bytes sent as is."""
        h = {}
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            h["Content-Type"] = content_type
        if cookie:
            h["Cookie"] = "%s=%s" % (COOKIE, cookie)
        if csrf is not None:
            h["X-CSRF-Token"] = csrf
        if headers:
            h.update(headers)
        conn = _Connection(self.port, self.ctx, self.source, self.timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            answer = Answer(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        return answer

    def login(self, user, password, totp=None):
        body = {"user": user, "password": password}
        if totp is not None:
            body["totp"] = totp
        return self.request("POST", "/api/v1/session", body)


def session_cookie(answer):
    """The value of the session cookie a sign-in set, or None."""
    for v in answer.header("Set-Cookie"):
        first = v.split(";", 1)[0].strip()
        if first.startswith(COOKIE + "="):
            return first[len(COOKIE) + 1:]
    return None


class Session:
    """A signed-in account: cookie and CSRF token."""

    def __init__(self, api, user, password):
        self.api = api
        self.user = user
        self.password = password
        self.cookie = None
        self.csrf = None
        self.info = None

    def login(self):
        a = self.api.login(self.user, self.password)
        check(a.status == 200, "sign-in of %s: %r" % (self.user, a))
        self.cookie = session_cookie(a)
        check(self.cookie, "sign-in of %s set no session cookie: %r" % (self.user, a.headers))
        self.csrf = a.json["csrf"]
        self.info = a.json
        return self

    def adopt(self, answer):
        """Take over the session an answer (password change) issued."""
        c = session_cookie(answer)
        check(c, "no new session cookie in %r" % answer)
        self.cookie = c
        self.csrf = answer.json["csrf"]
        self.info = answer.json

    def call(self, method, path, body=None, csrf=True, **kw):
        token = self.csrf if csrf is True else (csrf or None)
        if method == "GET":
            token = None if csrf is True else token
        return self.api.request(method, path, body, cookie=self.cookie, csrf=token, **kw)

    def change_password(self, new):
        a = self.call("POST", "/api/v1/session/password", {"old": self.password, "new": new})
        check(a.status == 200, "password change of %s: %r" % (self.user, a))
        self.password = new
        self.adopt(a)
        check(a.json["must_change_password"] is False,
              "must_change_password still true after the change for %s" % self.user)
        return a


def main_guard(fn):
    try:
        fn()
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
