#!/usr/bin/env python3
"""Malformed input for the MLLP port (tests/integration/test_mllp_inbound.sh):
bytes no HL7 library would send, over TLS with a device certificate.

usage: mllp_raw.py PORT CA CERT KEY CASE
Prints "ACK MSA-1 MSA-2 ERR-3.1" for an answer (MSA-2 "" when empty,
ERR-3.1 "-" when there is no ERR), "CLOSED SECONDS" when the gateway ended
the connection without one, or "REFUSED why" when the handshake failed.
Every wait is bounded."""
import socket
import ssl
import sys
import time

VT, FS, CR = b"\x0b", b"\x1c", b"\r"
MSH = b"MSH|^~\\&|SCALE|WARD|MEDGATE|HOSP|20261122100000+0000||ORU^R01^ORU_R01|%s|P|2.6\r"
BODY = (b"PID|||MRN-0009^^^HOSP^MR\r"
        b"OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261122100000+0000\r"
        b"OBX|1|NM|188736^MDC_MASS_BODY_ACTUAL^MDC|1.0.0.1|72.4|263875^MDC_DIM_KILO_G^MDC"
        b"|||||R|||20261122100000+0000\r")
WAIT = 15.0


def frame(msg):
    return VT + msg + FS + CR


# What each case sends: bytes, or a callable that sends and returns.
CASES = {
    "valid": frame(MSH % b"RAW-OK" + BODY),
    "no-msh": frame(BODY),
    "bad-encoding": frame(b"MSH|^~|SCALE|WARD|MEDGATE|HOSP|20261122100000+0000||ORU^R01|RAW-2|P|2.6\r"
                          + BODY),
    "long-segment": frame(MSH % b"RAW-3" + BODY + b"NTE|1||" + b"x" * 9000 + b"\r"),
    "oversize": VT + MSH % b"RAW-4" + (b"NTE|1||" + b"x" * 4000 + b"\r") * 20 + FS + CR,
    "no-start-block": MSH % b"RAW-5" + BODY + FS + CR,
    "fs-without-cr": VT + MSH % b"RAW-6" + BODY + FS + b"X",
    "no-end-block": VT + MSH % b"RAW-7" + BODY,
}


def main():
    port, ca, cert, key, case = sys.argv[1:6]
    ctx = ssl.create_default_context(cafile=ca)
    if cert != "-":
        ctx.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=WAIT)
    try:
        s = ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, OSError) as e:
        print("REFUSED", type(e).__name__)
        return
    s.settimeout(WAIT)
    started = time.monotonic()
    buf = b""
    try:
        s.sendall(CASES[case])
        while FS + CR not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (ssl.SSLError, OSError):
        pass
    if FS + CR not in buf:
        print("CLOSED %.1f" % (time.monotonic() - started))
        return
    ack = buf[buf.index(VT) + 1:buf.index(FS)].decode("latin-1")
    fields = {}
    for seg in ack.split("\r"):
        parts = seg.split("|")
        fields.setdefault(parts[0], parts)
    msa = fields.get("MSA", [])
    err = fields.get("ERR", [])
    err3 = err[3].split("^")[0] if len(err) > 3 else "-"
    print("ACK", msa[1] if len(msa) > 1 else "", (msa[2] if len(msa) > 2 else "") or '""', err3)


if __name__ == "__main__":
    main()
