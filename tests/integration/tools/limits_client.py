#!/usr/bin/env python3
"""Hostile clients for test_limits.sh, all on 127.0.0.0/8. Standard library
only.

  slow     connections that stop making progress (silent TCP, silent TLS,
           half a ClientHello, a request header or body that stalls, an
           idle kept-alive connection): each must be closed by the server
           within the connection timeout plus some slack.
  flood    N connections at once from one source address, held open
           (silent, half a ClientHello, some with a finished TLS
           handshake) until a stop file appears.
  garbage  N malformed inputs in a row to the TLS port (random bytes,
           plaintext HTTP, cut or corrupted ClientHellos, broken TLS
           records, malformed HTTP inside TLS); stops at the first input
           after which the daemon is gone and prints it.
  request  one raw HTTP request over mutual TLS: prints the status and
           seconds, "closed" or "none" (no answer within --wait).
"""
import argparse
import errno
import itertools
import os
import random
import resource
import select
import socket
import ssl
import struct
import sys
import threading
import time


def client_hello(server_hostname="localhost"):
    """The bytes of a real TLS ClientHello, as OpenSSL would send it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def tls_context(ca, cert=None, key=None):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def wait_closed(sock, limit):
    """Read (and drop) until the peer closes; seconds it took, or None if
    still open after LIMIT seconds."""
    start = time.monotonic()
    while True:
        left = limit - (time.monotonic() - start)
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            return None
        except (ConnectionError, ssl.SSLError, OSError):
            return time.monotonic() - start
        if not data:
            return time.monotonic() - start


# --- slow ---------------------------------------------------------------

def slow_cases(args):
    addr = (args.host, args.port)
    ctx = tls_context(args.ca, args.cert, args.key)
    hello = client_hello()
    body = (b'{"id":"slow-1","time":"2026-11-22T10:00:00Z","patient":{"id":"P1"},'
            b'"values":[{"type":"body_weight","value":72.4,"unit":"kg"}]}')

    def tls():
        s = ctx.wrap_socket(socket.create_connection(addr, timeout=5), server_hostname="localhost")
        return s

    def silent_tcp():
        return socket.create_connection(addr, timeout=5)

    def half_hello():
        s = socket.create_connection(addr, timeout=5)
        s.sendall(hello[:10])
        return s

    def silent_tls():
        return tls()

    def header_drip():
        # A few bytes of a request header, 0.5 s apart (progress), then
        # nothing: the pause is longer than the timeout.
        s = tls()
        for i, b in enumerate(b"POST /dev"):
            if i:
                time.sleep(0.5)
            s.sendall(bytes([b]))
        return s

    def one_byte_then_pause():
        # One byte a minute: the second byte would come long after the
        # timeout, so the server must have cut the connection by then.
        s = tls()
        s.sendall(b"P")
        return s

    def body_stall():
        s = tls()
        s.sendall(b"POST /device/v1/measurements HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body[:10])
        return s

    def idle_keepalive():
        s = tls()
        s.sendall(b"POST /device/v1/measurements HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body)
        s.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the answer")
            answer += chunk
        if not answer.startswith((b"HTTP/1.1 201", b"HTTP/1.1 200")):
            raise RuntimeError(f"unexpected answer {answer[:40]!r}")
        return s

    return [
        ("TCP connection that sends nothing", silent_tcp),
        ("first 10 bytes of a ClientHello, then nothing", half_hello),
        ("finished TLS handshake, then nothing", silent_tls),
        ("request header dripped 1 byte / 0.5 s, then stalled", header_drip),
        ("one byte, then a pause longer than the timeout", one_byte_then_pause),
        ("request body stalled after 10 of %d bytes" % len(body), body_stall),
        ("kept-alive connection idle after its answer", idle_keepalive),
    ]


def cmd_slow(args):
    bound = args.timeout + args.slack
    results = {}

    def run(name, open_fn):
        try:
            s = open_fn()
        except Exception as e:  # noqa: BLE001 - report any failure to set up
            results[name] = f"could not set up: {e!r}"
            return
        # Timed from the last byte the client sent: open_fn's last act.
        took = wait_closed(s, bound + 3)
        s.close()
        results[name] = took

    threads = [threading.Thread(target=run, args=c) for c in slow_cases(args)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    failed = 0
    for name, _ in slow_cases(args):
        r = results.get(name)
        if isinstance(r, float) and r <= bound:
            print(f"ok - closed by the server {r:.1f} s after the last byte: {name}")
        else:
            failed += 1
            what = (f"closed only after {r:.1f} s" if isinstance(r, float) else
                    "still open after %.0f s" % (bound + 3) if r is None else r)
            print(f"FAIL: {name}: {what} (bound {bound:.1f} s)")
    return 1 if failed else 0


# --- trickle ------------------------------------------------------------

def trickle_one(args, ctx, what):
    """Send a request one byte every args.every seconds (progress each
    time, so an idle timeout never fires); seconds from the request's first
    byte until the server closed, or None if it outlived args.max_seconds."""
    head = (b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 64\r\nX-Padding: %s\r\n\r\n" % (args.path.encode(), b"x" * 200))
    s = ctx.wrap_socket(socket.create_connection((args.host, args.port), timeout=5),
                        server_hostname="localhost")
    line_end = head.index(b"\r\n") + 2
    if what == "body":
        s.sendall(head)	# headers whole at once, then the body trickles
        data = b"{" * 64
    elif what == "headers":
        s.sendall(head[:line_end])	# the request line at once
        data = head[line_end:]
    else:
        data = head	# from the first byte of the request line
    start = time.monotonic()
    try:
        for b in data:
            if time.monotonic() - start > args.max_seconds:
                return None
            s.sendall(bytes([b]))
            s.settimeout(args.every)
            try:
                if not s.recv(4096):
                    return time.monotonic() - start
            except (socket.timeout, ssl.SSLWantReadError):
                pass
    except (ConnectionError, ssl.SSLError, OSError):
        return time.monotonic() - start
    finally:
        s.close()
    return None


def cmd_trickle(args):
    ctx = tls_context(args.ca, args.cert, args.key)
    failed = 0
    for what in ("line", "headers", "body"):
        took = trickle_one(args, ctx, what)
        bound = (args.idle_limit if what == "line" else args.limit) + args.slack
        if took is not None and took <= bound:
            print(f"ok - {what} dripped 1 byte / {args.every} s: closed after {took:.1f} s")
        else:
            failed += 1
            print(f"FAIL: {what} dripped 1 byte / {args.every} s: " +
                  ("still open after %.0f s" % args.max_seconds if took is None
                   else "closed only after %.1f s" % took) + f" (bound {bound:.1f} s)")
    return 1 if failed else 0


# --- flood --------------------------------------------------------------

def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 100
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def closed_by_peer(sock):
    """True if the peer closed or reset SOCK (non-blocking check; poll, not
    select: the descriptors go past FD_SETSIZE)."""
    if sock.fileno() < 0:
        return True
    p = select.poll()
    p.register(sock, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        data = sock.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return data == b""


def count_open(socks):
    return sum(1 for s in socks if not closed_by_peer(s))


def cmd_flood(args):
    limit = raise_nofile(args.n)
    if limit < args.n + 20:
        print(f"FAIL: cannot raise the open-file limit to {args.n + 20} (got {limit})")
        return 1
    addr = (args.host, args.port)
    hello = client_hello()
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
    tls, raw = [], []
    handshakes_failed = 0
    start = time.monotonic()
    # Finished TLS handshakes (no client certificate: anyone can do this).
    for _ in range(args.handshakes):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((args.src, 0))
        s.settimeout(5)
        try:
            s.connect(addr)
            tls.append(ctx.wrap_socket(s, server_hostname="localhost"))
        except OSError:
            handshakes_failed += 1
            raw.append(s)	# keep it open all the same
    # The rest: connect without waiting, then half a ClientHello or nothing.
    pending = []
    for _ in range(args.n - args.handshakes):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((args.src, 0))
        s.setblocking(False)
        e = s.connect_ex(addr)
        if e not in (0, errno.EINPROGRESS):
            raw.append(s)
            continue
        pending.append(s)
    deadline = time.monotonic() + 10
    connected, refused = 0, 0
    while pending and time.monotonic() < deadline:
        p = select.poll()
        by_fd = {s.fileno(): s for s in pending}
        for fd in by_fd:
            p.register(fd, select.POLLOUT)
        for fd, _ in p.poll(500):
            s = by_fd[fd]
            pending.remove(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
                if len(raw) % 2 == 0:
                    try:
                        s.send(hello[:10])
                    except OSError:
                        pass
            else:
                refused += 1
            raw.append(s)
    raw.extend(pending)
    opened = time.monotonic() - start
    everything = tls + raw
    time.sleep(args.settle)
    still_open = count_open(everything)
    summary = (f"{len(everything)} connections from {args.src} in {opened:.1f} s "
               f"({args.handshakes - handshakes_failed} finished TLS handshakes, "
               f"{handshakes_failed} failed, {connected} plain connects, {refused} refused, "
               f"{len(pending)} never connected); {still_open} kept open by the server")
    with open(args.ready + ".tmp", "w") as f:
        f.write(f"{still_open}\n")
    os.rename(args.ready + ".tmp", args.ready)
    print(summary, flush=True)
    end = time.monotonic() + args.max_seconds
    while time.monotonic() < end and not os.path.exists(args.stop):
        time.sleep(0.1)
    print(f"flood: {count_open(everything)} still open at the end; closing", flush=True)
    for s in everything:
        try:
            s.close()
        except OSError:
            pass
    return 0


# --- garbage ------------------------------------------------------------

def daemon_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def malformed_requests(rnd):
    """HTTP inside TLS that a device must never send."""
    big = b"A" * rnd.randint(17000, 40000)
    m = b"/device/v1/measurements"
    j = b"Content-Type: application/json\r\n"
    return [
        b"GARBAGE\r\n\r\n",
        b"GET /\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: -5\r\n\r\n{}",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: 99999999999999999999999\r\n\r\n{}",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: 2\r\nContent-Length: 30\r\n\r\n{}",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n{}\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Transfer-Encoding: chunked\r\n\r\n3\r\n{}\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Expect: 100-continue\r\nContent-Length: 10\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"X-Big: " + big + b"\r\n\r\n",
        b"GET /" + big + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(3000)) + b"\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\x00evil\r\nContent-Length: 2\r\n\r\n{}",
        b"POST /device/v1/measurements%00/../x HTTP/1.1\r\nHost: x\r\n\r\n",
        b"P\x00ST " + m + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + m + b" HTTP/9.9\r\nHost: x\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: 4\r\n\r\n\xff\xfe\x00\x01",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: 8\r\n\r\n[[[[[[[[",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n" + j + b"Content-Length: 6\r\n\r\n\"\\ud800\"",
        b"POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkcs10\r\n"
        b"Authorization: Basic " + bytes(rnd.getrandbits(8) for _ in range(60)).hex().encode() +
        b"\r\nContent-Length: 12\r\n\r\nMIIB////====",
        b"POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkcs10\r\n"
        b"Authorization: Basic Og==\r\nContent-Length: 8\r\n\r\n!!!!!!!!",
        b"GET /.well-known/est/cacerts HTTP/1.1\r\nHost: x\r\n\r\n" * 60,
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"CONNECT localhost:1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + m + b" HTTP/1.1\r\nHost: x\r\n " + b"folded\r\n" + j + b"Content-Length: 2\r\n\r\n{}",
    ]


def garbage_inputs(rnd, hello, counter):
    """(kind, via_tls, bytes, abort) for one input; the malformed requests
    come in turn, so that 200 inputs try each of them."""
    k = rnd.randrange(10)
    if k == 0:
        return "random bytes", False, bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000))), False
    if k == 1:
        return "plaintext HTTP to the TLS port", False, (
            b"POST /device/v1/measurements HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"), False
    if k == 2:
        return "truncated ClientHello", False, hello[:rnd.randint(1, len(hello) - 1)], False
    if k == 3:
        b = bytearray(hello)
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(5, len(b))] = rnd.getrandbits(8)
        return "corrupted ClientHello", False, bytes(b), False
    if k == 4:
        n = rnd.choice([0, 1, 16385, 18432, 65535])
        return "TLS record header with length #%d" % n, False, (
            bytes([rnd.choice([20, 21, 22, 23, 24, 255]), 3, rnd.randint(0, 4)]) +
            struct.pack(">H", n) + bytes(rnd.getrandbits(8) for _ in range(min(n, 2000)))), False
    if k == 5:
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 60)))
        return "SSLv2-style hello", False, bytes([0x80, len(body) + 9, 1, 3, 1, 0, 0, 0, 0, 0, 0]) + body, False
    if k == 6:
        return "TLS, then random bytes as HTTP", True, bytes(
            rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000))), False
    if k in (7, 9):
        reqs = malformed_requests(rnd)
        i = next(counter) % len(reqs)
        return "TLS, then malformed HTTP #%d" % i, True, reqs[i], False
    return "TLS, then a raw non-TLS record on the socket", "raw", bytes(
        rnd.getrandbits(8) for _ in range(rnd.randint(1, 500))), rnd.random() < 0.5


def complete_answer(data):
    """True if DATA holds a whole HTTP response (headers and the body its
    Content-Length announces; an interim 100 counts as an answer)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/"):
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return True
    return True


def cmd_garbage(args):
    rnd = random.Random(args.seed)
    hello = client_hello()
    addr = (args.host, args.port)
    ctx = tls_context(args.ca, args.cert, args.key)
    kinds, statuses, stuck = {}, {}, 0
    counter = itertools.count()
    start = time.monotonic()
    for i in range(args.n):
        if time.monotonic() - start > args.max_seconds:
            print(f"FAIL: only {i} of {args.n} inputs within {args.max_seconds} s")
            return 1
        kind, via_tls, data, abort = garbage_inputs(rnd, hello, counter)
        kinds[kind.split(" #")[0]] = kinds.get(kind.split(" #")[0], 0) + 1
        s = None
        t0 = time.monotonic()
        try:
            s = socket.create_connection(addr, timeout=2)
            if via_tls:
                s = ctx.wrap_socket(s, server_hostname="localhost")
            if via_tls == "raw":
                os.write(s.fileno(), data)	# under the TLS layer
            else:
                s.sendall(data)
            if abort:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif via_tls is False:
                s.shutdown(socket.SHUT_WR)
            if not abort:
                s.settimeout(args.wait)
                answer = b""
                try:
                    # Until the server closes, or a whole HTTP answer is
                    # in (it may keep the connection alive after a 4xx).
                    while len(answer) < 65536 and not complete_answer(answer):
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        answer += chunk
                except (socket.timeout, ssl.SSLError, OSError):
                    if not answer:
                        stuck += 1
                if via_tls is True and answer.startswith(b"HTTP/"):
                    st = answer[9:12].decode("latin-1")
                    statuses[st] = statuses.get(st, 0) + 1
                    if st == "500":
                        print(f"note: input {i} ({kind}) answered {st}")
        except (OSError, ssl.SSLError):
            pass
        finally:
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if args.verbose:
            print(f"{i} {time.monotonic() - t0:.3f} {kind}")
        if args.pid and not daemon_alive(args.pid):
            time.sleep(0.2)
            print(f"FAIL: medgated gone after input {i} ({kind}), seed {args.seed}, "
                  f"{len(data)} bytes: {data[:300]!r}")
            return 1
    took = time.monotonic() - start
    print(f"garbage: {args.n} inputs in {took:.1f} s; kinds " +
          ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) +
          f"; HTTP answers {dict(sorted(statuses.items()))}; {stuck} left open after {args.wait} s")
    return 0


# --- request -----------------------------------------------------------

def cmd_request(args):
    """Send one raw request (Python escapes allowed) over mutual TLS; print
    the answer's status and how long it took, "closed" if the server
    closed without an answer, or "none" if nothing came within --wait."""
    data = args.data.encode("latin-1").decode("unicode_escape").encode("latin-1")
    ctx = tls_context(args.ca, args.cert, args.key)
    s = ctx.wrap_socket(socket.create_connection((args.host, args.port), timeout=5),
                        server_hostname="localhost")
    s.sendall(data)
    start = time.monotonic()
    answer = b""
    s.settimeout(args.wait)
    try:
        while not complete_answer(answer):
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    took = time.monotonic() - start
    s.close()
    if answer.startswith(b"HTTP/") and len(answer) >= 12:
        print(f"{answer[9:12].decode('latin-1')} {took:.1f}")
    elif took < args.wait:
        print(f"closed {took:.1f}")
    else:
        print(f"none {took:.1f}")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("slow")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--timeout", type=float, required=True, help="the server's connection_timeout")
    s.add_argument("--slack", type=float, default=2.0)
    t = sub.add_parser("trickle")
    t.add_argument("--cert")
    t.add_argument("--key")
    t.add_argument("--path", default="/device/v1/measurements")
    t.add_argument("--every", type=float, default=1.0, help="seconds between bytes")
    t.add_argument("--limit", type=float, required=True, help="the server's request_timeout")
    t.add_argument("--idle-limit", type=float, required=True,
                   help="the server's connection_timeout (bounds the request line)")
    t.add_argument("--slack", type=float, default=2.5)
    t.add_argument("--max-seconds", type=float, default=40.0)
    f = sub.add_parser("flood")
    f.add_argument("--src", default="127.0.0.2")
    f.add_argument("-n", type=int, default=2000)
    f.add_argument("--handshakes", type=int, default=50)
    f.add_argument("--settle", type=float, default=1.5)
    f.add_argument("--ready", required=True)
    f.add_argument("--stop", required=True)
    f.add_argument("--max-seconds", type=float, default=40)
    g = sub.add_parser("garbage")
    g.add_argument("--cert", required=True)
    g.add_argument("--key", required=True)
    g.add_argument("-n", type=int, default=200)
    g.add_argument("--seed", default="0")
    g.add_argument("--pid", type=int)
    g.add_argument("--wait", type=float, default=1.0)
    g.add_argument("--max-seconds", type=float, default=40)
    g.add_argument("--verbose", action="store_true")
    r = sub.add_parser("request")
    r.add_argument("--cert", required=True)
    r.add_argument("--key", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--wait", type=float, default=5)
    args = p.parse_args()
    sys.exit({"slow": cmd_slow, "flood": cmd_flood, "garbage": cmd_garbage,
              "request": cmd_request, "trickle": cmd_trickle}[args.cmd](args))


if __name__ == "__main__":
    main()
