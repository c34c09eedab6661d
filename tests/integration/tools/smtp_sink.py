#!/usr/bin/python3
"""A real SMTP server for tests (Debian's python3-aiosmtpd): it listens on
a free loopback port, offers STARTTLS (or implicit TLS, or no TLS at all)
with a given certificate, optionally requires AUTH, and writes every
message it accepts to a folder as one JSON file:

    {"mail_from": ..., "rcpt_tos": [...], "data": "<message, CRLF lines>",
     "tls": true, "login": "user" or null, "peer": "127.0.0.1",
     "parsed": {"subject", "from", "to": [...], "date", "message_id",
                "content_type", "charset", "body"}}

"parsed" is what Python's own e-mail parser (policy default, strict RFC
5322 and 2047) makes of the message, so a test can check its headers
against an implementation that is not ours.

It writes its port to --port-file once it listens and stops by itself
after --lifetime seconds. Run it with Debian's /usr/bin/python3, which
has aiosmtpd.

    smtp_sink.py --dir OUT --port-file PORT --tls starttls --cert C --key K
                 [--auth USER:PASSWORD] [--lifetime 120]
"""
import argparse
import asyncio
import email
import email.policy
import email.utils
import json
import os
import ssl
import logging
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse(raw):
    """The message as Python's e-mail package reads it."""
    try:
        m = email.message_from_bytes(raw, policy=email.policy.default)
        return {
            "subject": str(m["Subject"]),
            "from": str(m["From"]),
            "to": [a for _, a in email.utils.getaddresses(m.get_all("To", []))],
            "date": email.utils.parsedate_to_datetime(m["Date"]).isoformat(),
            "message_id": str(m["Message-ID"]),
            "content_type": m.get_content_type(),
            "charset": m.get_content_charset(),
            "body": m.get_content(),
            "defects": [type(d).__name__ for d in m.defects],
        }
    except Exception as e:  # the test sees it and fails
        return {"error": repr(e)}


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", errors="replace"),
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": (session.auth_data.login.decode()
                      if session.authenticated and isinstance(session.auth_data, LoginPassword)
                      else None),
            "peer": session.peer[0] if session.peer else None,
            "parsed": parse(envelope.original_content),
        }
        path = os.path.join(self.folder, "msg-%03d.json" % self.count)
        # Whole files only: a reader never sees half a message.
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        os.rename(path + ".tmp", path)
        return "250 OK stored"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticate


def main():
    # aiosmtpd logs a warning each time it sets the session attribute it
    # deprecates itself; errors (a failing session) still show.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="folder for received messages")
    ap.add_argument("--port-file", required=True, help="file to write the port to")
    ap.add_argument("--tls", choices=("starttls", "implicit", "none"), default="starttls")
    ap.add_argument("--cert", help="server certificate chain (PEM)")
    ap.add_argument("--key", help="server private key (PEM)")
    ap.add_argument("--auth", help="USER:PASSWORD that AUTH must present")
    ap.add_argument("--lifetime", type=float, default=120, help="seconds until it stops")
    args = ap.parse_args()

    context = None
    if args.tls != "none":
        if not args.cert or not args.key:
            ap.error("--tls %s needs --cert and --key" % args.tls)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.cert, args.key)

    options = {"hostname": "sink.test", "data_size_limit": 1 << 20}
    if args.auth:
        user, _, password = args.auth.partition(":")
        options.update(authenticator=authenticator_for(user, password), auth_required=True,
                       auth_require_tls=True)
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sink = Sink(args.dir)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(sink, loop=loop, **options), host="127.0.0.1", port=0,
        ssl=context if args.tls == "implicit" else None))
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    loop.call_later(args.lifetime, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
