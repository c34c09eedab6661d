#!/usr/bin/env python3
"""Measurement senders for test_durability.sh, and the check of their log.

send: threads that POST measurements with unique ids over mutual TLS, as
devices do: a kept-alive connection for a few requests, then a new one; on
a lost answer (connection refused, reset, timeout: the daemon was killed)
the same id is sent again until it is acknowledged, as a device that
buffers does. Every event is one line appended to --out:

    TRY  DEVICE MID            the request for MID was sent (first time)
    LOST DEVICE MID            a request for MID got no answer (it is resent)
    ACK  DEVICE MID STATUS GW  answered STATUS (201 or 200) with gateway id GW
    BAD  DEVICE MID STATUS ... any other answer (the test fails on it)

The shell appends "KILL" lines to the same file before each kill -9.

check: compares that log with `medgatectl measurement list --jsonl`.
Standard library only.
"""
import argparse
import http.client
import json
import os
import random
import socket
import ssl
import sys
import threading
import time


class Log:
    def __init__(self, path):
        # O_APPEND: the shell appends KILL markers to the same file.
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, line):
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def sender(args, dev, cert, key, tno, log, stop, stats):
    rnd = random.Random(f"{args.seed}-{dev}-{tno}")
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
    ctx.load_cert_chain(cert, key)
    conn, left, n = None, 0, 0
    deadline = time.monotonic() + args.max_seconds
    while not stop.is_set() and time.monotonic() < deadline:
        n += 1
        mid = f"{dev}-t{tno}-{n}"
        weight = 40 + rnd.random() * 80
        body = json.dumps({
            "id": mid, "time": "2026-11-22T10:00:00Z",
            "patient": {"id": f"P-{dev}-{tno}"},
            "values": [{"type": "body_weight", "value": round(weight, 1), "unit": "kg"}],
        })
        tried = False
        # Until acknowledged; a stop request abandons an id in flight.
        while not stop.is_set() and time.monotonic() < deadline:
            if conn is None or left <= 0:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPSConnection(args.host, args.port, context=ctx,
                                                   timeout=args.timeout)
                left = rnd.randint(1, 20)	# requests on this connection
            left -= 1
            try:
                conn.request("POST", "/device/v1/measurements", body=body,
                             headers={"Content-Type": "application/json"})
                if not tried:
                    log.write(f"TRY {dev} {mid}")
                    tried = True
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                # Refused (daemon down), reset, or closed before the answer.
                if not tried and conn.sock is not None:
                    # The request may have left before the failure.
                    log.write(f"TRY {dev} {mid}")
                    tried = True
                if tried:
                    log.write(f"LOST {dev} {mid}")
                conn.close()
                conn = None
                stats["errors"] += 1
                time.sleep(0.02)
                continue
            if status in (200, 201):
                gw = json.loads(data)["id"]
                log.write(f"ACK {dev} {mid} {status} {gw}")
                stats["acks"] += 1
                break
            if status == 503:
                # "not stored, retry later" is an allowed answer; retry.
                stats["503"] += 1
                time.sleep(0.02)
                continue
            log.write(f"BAD {dev} {mid} {status} {data[:200]!r}")
            stats["bad"] += 1
            break
    if conn is not None:
        conn.close()


def cmd_send(args):
    stop = threading.Event()
    log = Log(args.out)
    stats = {"acks": 0, "errors": 0, "bad": 0, "503": 0}
    threads = []
    for spec in args.device:
        dev, cert, key = spec.split(":")
        for tno in range(args.threads):
            t = threading.Thread(target=sender,
                                 args=(args, dev, cert, key, tno, log, stop, stats),
                                 daemon=True)
            t.start()
            threads.append(t)
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline and not os.path.exists(args.stop):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(args.timeout + 2)
    alive = sum(t.is_alive() for t in threads)
    print(f"senders: {stats['acks']} acknowledged, {stats['errors']} lost answers, "
          f"{stats['503']} answered 503, {stats['bad']} wrong answers, {alive} threads stuck")
    return 1 if alive else 0


def cmd_check(args):
    acks = {}		# (dev, mid) -> gateway id
    first_status = {}	# (dev, mid) -> status of the first answer
    lost = set()	# (dev, mid) sent at least once without an answer
    attempted = set()
    bad, problems = [], []
    last_ack, before_kill = None, []
    dup_after_lost = 0
    for line in open(args.log):
        f = line.split()
        if not f:
            continue
        if f[0] == "KILL":
            if last_ack is not None:
                before_kill.append(last_ack)
            continue
        key = (f[1], f[2])
        attempted.add(key)
        if f[0] == "LOST":
            lost.add(key)
        elif f[0] == "ACK":
            status, gw = int(f[3]), int(f[4])
            if key in acks and acks[key] != gw:
                problems.append(f"{key}: acknowledged with gateway ids {acks[key]} and {gw}")
            acks[key] = gw
            first_status.setdefault(key, status)
            if status == 200:
                dup_after_lost += 1
            last_ack = (f[1], f[2], gw)
        elif f[0] == "BAD":
            bad.append(line.strip())
    rows = [json.loads(l) for l in open(args.list) if l.strip()]
    stored = {}
    for r in rows:
        key = (r["device_name"], r["device_measurement_id"])
        if key in stored:
            problems.append(f"{key}: stored twice (gateway ids {stored[key]} and {r['id']})")
        stored[key] = r["id"]
    for key, gw in sorted(acks.items()):
        if key not in stored:
            problems.append(f"{key}: acknowledged with id {gw} but not stored")
        elif stored[key] != gw:
            problems.append(f"{key}: acknowledged with id {gw}, stored with id {stored[key]}")
    for key in stored:
        if key not in attempted:
            problems.append(f"{key}: stored but never sent")
    # A duplicate answer is right only for an id whose earlier answer was lost.
    for key, status in first_status.items():
        if status == 200 and key not in lost:
            problems.append(f"{key}: first answer was 'duplicate' for a first send")
    count = int(open(args.count).read().strip()) if args.count else len(rows)
    if count != len(rows):
        problems.append(f"measurement count says {count}, list has {len(rows)} rows")
    if count < len(acks):
        problems.append(f"{count} stored < {len(acks)} acknowledged")
    unacked_stored = sum(1 for k in stored if k not in acks)
    print(f"check: {len(acks)} acknowledged, {len(rows)} stored, "
          f"{unacked_stored} stored without an answer seen, "
          f"{dup_after_lost} resends after a lost answer answered 200, "
          f"{len(bad)} wrong answers")
    for b in bad[:10]:
        print("wrong answer:", b)
    for p in problems[:20]:
        print("PROBLEM:", p)
    if args.before_kill:
        with open(args.before_kill, "w") as out:
            for dev, mid, gw in before_kill:
                out.write(f"{dev} {mid} {gw}\n")
    return 1 if bad or problems or not acks else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ca", required=True)
    s.add_argument("--device", action="append", required=True, help="NAME:CERT:KEY")
    s.add_argument("--threads", type=int, default=2, help="per device")
    s.add_argument("--out", required=True)
    s.add_argument("--stop", required=True, help="stop when this file exists")
    s.add_argument("--max-seconds", type=float, default=55)
    s.add_argument("--timeout", type=float, default=5)
    s.add_argument("--seed", default="0")
    c = sub.add_parser("check")
    c.add_argument("--log", required=True)
    c.add_argument("--list", required=True)
    c.add_argument("--count")
    c.add_argument("--before-kill", help="write the last acknowledgement before each KILL")
    args = p.parse_args()
    sys.exit(cmd_send(args) if args.cmd == "send" else cmd_check(args))


if __name__ == "__main__":
    main()
