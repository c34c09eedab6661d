#!/usr/bin/env python3
"""A small FHIR R4 server for the EMR forwarding tests, over HTTPS on
127.0.0.1: it takes transaction Bundles POSTed to a base URL, applies each
entry as a conditional create (POST Observation with ifNoneExist
identifier=system|value: created once, found the next time) or a
conditional update (PUT Observation?identifier=system|value: the
Observation with that identifier replaced, or created), and answers a
transaction-response Bundle (201 Created / 200 OK per entry). Each base path
(the URL path the Bundle is POSTed to) is a server of its own, with its own
Observations.

Every request is logged, one JSON object per line, written before the
answer goes out:

  {"ev":"recv","n":N,"t":MS,"path":...,"auth":<Authorization header>,
   "ctype":...,"bundle":<Bundle.identifier.value>,"patients":[...],
   "created":K,"existing":M,"updated":U,"statuses":[Observation.status...],
   "answer":STATUS,"kind":..., "file":...}

a TLS handshake that fails is logged as {"ev":"tls-error"}, a connection
closed without a request as {"ev":"no-request"}, and every Bundle
received is saved as it came (--save-dir) for the
validator (tools/fhir_validate.js) afterwards.

Behaviour for a run:
  --fault KIND --fault-first N   the first N requests get, instead of the
                                 transaction-response:
      500       500 with an OperationOutcome (nothing applied)
      proxy400  400 text/html, no OperationOutcome (nothing applied)
      garbage   the transaction is applied, then 200 with a body that is
                not FHIR
      silent    the transaction is applied, then no answer (the
                connection is held until the client gives up)
  --reject-patient REGEX   400 + OperationOutcome (nothing applied) for a
                           Bundle whose subject identifier matches; the
                           diagnostics quote the patient id in lower case
                           and percent-encoded, as a careless server might
  --token TOKEN            the bearer token expected: a request without
                           it is answered 401 (and logged)

Standard library only.
"""
import argparse
import http.server
import json
import os
import re
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
STATE = {"n": 0, "next_id": 0, "stores": {}, "saved": 0}


def log(args, rec):
    line = json.dumps(rec) + "\n"
    with LOCK:
        fd = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def token_parts(text):
    """A FHIR search token system|value: split at the unescaped '|' and
    undo the '\\' escapes."""
    parts, i = [""], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            parts[-1] += text[i + 1]
            i += 2
            continue
        if c == "|":
            parts.append("")
        else:
            parts[-1] += c
        i += 1
    return parts


def outcome(code, text):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "medgate-test-fhir/1"

    def log_message(self, fmt, *a):
        pass

    def send(self, status, body, ctype="application/fhir+json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        self.served = getattr(self, "served", 0) + 1
        self.send(404, outcome("not-found", "only transactions here"))

    def do_POST(self):
        args = self.server.args
        self.served = getattr(self, "served", 0) + 1
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        with LOCK:
            STATE["n"] += 1
            n = STATE["n"]
        rec = {"ev": "recv", "n": n, "t": int(time.time() * 1000), "path": self.path,
               "auth": self.headers.get("Authorization"), "ctype": self.headers.get("Content-Type"),
               "prefer": self.headers.get("Prefer"), "client_port": self.client_address[1]}
        try:
            bundle = json.loads(raw)
        except ValueError:
            rec.update(kind="not-json", answer=400)
            log(args, rec)
            return self.send(400, outcome("structure", "not JSON"))
        if args.save_dir:
            with LOCK:
                STATE["saved"] += 1
                name = os.path.join(args.save_dir, "bundle-%05d.json" % STATE["saved"])
            with open(name, "wb") as f:
                f.write(raw)
            rec["file"] = name
        entries = bundle.get("entry") or []
        rec["bundle"] = (bundle.get("identifier") or {}).get("value")
        rec["bundle_system"] = (bundle.get("identifier") or {}).get("system")
        rec["patients"] = sorted({((e.get("resource") or {}).get("subject") or {})
                                  .get("identifier", {}).get("value") for e in entries})
        rec["observations"] = [((e.get("resource") or {}).get("identifier") or [{}])[0].get("value")
                               for e in entries]
        if args.token and self.headers.get("Authorization") != "Bearer " + args.token:
            rec.update(kind="unauthorized", answer=401)
            log(args, rec)
            return self.send(401, outcome("login", "bearer token missing or wrong"))
        fault = args.fault if args.fault and n <= args.fault_first else None
        if fault == "500":
            rec.update(kind="500", answer=500)
            log(args, rec)
            return self.send(500, outcome("exception", "database unavailable"))
        if fault == "proxy400":
            rec.update(kind="proxy400", answer=400)
            log(args, rec)
            return self.send(400, b"<html><body>400 Bad Request (proxy)</body></html>",
                             "text/html")
        if args.reject_patient:
            hit = [p for p in rec["patients"] if p and re.search(args.reject_patient, p)]
            if hit:
                p = hit[0]
                rec.update(kind="reject", answer=400)
                log(args, rec)
                return self.send(400, outcome(
                    "not-found", "no patient %s (searched subject:identifier=%s)"
                    % (p.lower(), urllib.parse.quote(p, safe=""))))
        # The transaction: check every entry, then apply all of them.
        store = STATE["stores"].setdefault(self.path, {})
        problems = []
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            problems.append("not a transaction Bundle")
        keys, puts = [], []
        for i, e in enumerate(entries):
            req, res = e.get("request") or {}, e.get("resource") or {}
            ident = (res.get("identifier") or [{}])[0]
            put = req.get("method") == "PUT"
            if put:
                m = re.fullmatch(r"Observation\?identifier=([^&=]*)", req.get("url") or "")
            else:
                m = re.fullmatch(r"identifier=([^&=]*)", req.get("ifNoneExist") or "")
            tok = token_parts(urllib.parse.unquote(m.group(1))) if m else []
            if res.get("resourceType") != "Observation" or not (
                    put or (req.get("method") == "POST" and req.get("url") == "Observation")):
                problems.append("entry %d is not POST Observation or PUT Observation?" % i)
            elif tok != [ident.get("system"), ident.get("value")]:
                problems.append("entry %d: its condition does not name its identifier" % i)
            keys.append((ident.get("system"), ident.get("value")))
            puts.append(put)
        rec["statuses"] = [(e.get("resource") or {}).get("status") for e in entries]
        if problems:
            rec.update(kind="invalid", answer=400, problems=problems)
            log(args, rec)
            return self.send(400, outcome("invalid", "; ".join(problems)))
        out = []
        created = existing = updated = 0
        with LOCK:
            for k, put in zip(keys, puts):
                if put and k in store:
                    updated += 1
                    out.append({"response": {"status": "200 OK",
                                             "location": "Observation/%s/_history/2" % store[k]}})
                elif k in store:
                    existing += 1
                    out.append({"response": {"status": "200 OK",
                                             "location": "Observation/%s/_history/1" % store[k]}})
                else:
                    STATE["next_id"] += 1
                    store[k] = STATE["next_id"]
                    created += 1
                    out.append({"response": {"status": "201 Created",
                                             "location": "Observation/%d/_history/1" % store[k],
                                             "etag": 'W/"1"'}})
        rec.update(created=created, existing=existing, updated=updated)
        answer = {"resourceType": "Bundle", "type": "transaction-response", "entry": out}
        if fault == "garbage":
            rec.update(kind="garbage", answer=200)
            log(args, rec)
            return self.send(200, b"<html>It works!</html>", "text/html")
        if fault == "silent":
            rec.update(kind="silent", answer=None)
            log(args, rec)
            # Hold the connection without a word until the client leaves.
            self.close_connection = True
            self.connection.settimeout(60)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
            return
        rec.update(kind="ok", answer=200)
        log(args, rec)
        self.send(200, answer)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """TLS handshakes in each connection's thread, so a client that gives
    up on the handshake (it does not trust us) is logged, not fatal."""
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        try:
            request.settimeout(30)
            tls = self.ctx.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (OSError, ssl.SSLError) as e:
            log(self.args, {"ev": "tls-error", "t": int(time.time() * 1000), "msg": str(e)})
            request.close()
            return
        try:
            h = self.RequestHandlerClass(tls, client_address, self)
            if not getattr(h, "served", 0):
                # Handshake done, then closed without a request: libcurl
                # with GnuTLS checks the server's certificate only after
                # the handshake, and leaves if it does not trust it.
                log(self.args, {"ev": "no-request", "t": int(time.time() * 1000),
                                "client_port": client_address[1]})
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--save-dir")
    p.add_argument("--token")
    p.add_argument("--fault", choices=["500", "proxy400", "garbage", "silent"])
    p.add_argument("--fault-first", type=int, default=0)
    p.add_argument("--reject-patient")
    args = p.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.args = args
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    srv.ctx = ctx
    port = srv.server_address[1]
    log(args, {"ev": "listen", "t": int(time.time() * 1000), "port": port, "pid": os.getpid()})
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
