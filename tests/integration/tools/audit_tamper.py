#!/usr/bin/env python3
"""Tamper with copies of an audit trail and check that `medgatectl audit
verify` names the first bad record every time.

usage: audit_tamper.py MEDGATECTL PRISTINE_DB CHECKPOINT COUNT SEED INSTANCE...
       audit_tamper.py --pg-dump CONNINFO PRISTINE_DB

Each case copies PRISTINE_DB over one worker instance's database, applies
one random tampering with the sqlite3 module (change a field, delete rows,
insert a forged row, swap two records' contents, renumber records), runs
`medgatectl -c INSTANCE/medgate.conf audit verify` and checks that it
exits 1 and names the expected first bad record. The workers (one per
INSTANCE, copies of one instance) run in parallel. The pristine trail is
seq 1..n with the checkpoint signed at n; a tampering only at the tail is
invisible to the chain alone, so those cases verify with the checkpoint.

On PostgreSQL (MG_PG_BIN set, each INSTANCE's medgate.conf naming a
database of its own) the same tamperings are made on a SQLite copy of the
trail (--pg-dump makes PRISTINE_DB from the database), and the tampered
rows then replace the worker database's audit_log in one transaction.
"""
import concurrent.futures
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading

TEXT_COLUMNS = ["actor", "roles", "address", "action", "object", "outcome", "details"]
INT_COLUMNS = ["time_ms", "actor_id", "tenant_id"]
BLOB_COLUMNS = ["prev_hash", "hash"]
CONTENT = INT_COLUMNS + TEXT_COLUMNS + BLOB_COLUMNS


def renumber(db, seq, new):
    db.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (new, seq))


def shift_up(db, first):
    """Make room at seq first: first.. become first+1.. (two steps, as seq is
    the primary key)."""
    db.execute("UPDATE audit_log SET seq = -seq - 1000000 WHERE seq >= ?", (first,))
    db.execute("UPDATE audit_log SET seq = -(seq + 1000000) + 1 WHERE seq < -1000000")


def different_value(rng, column, old):
    if column in INT_COLUMNS:
        return old + rng.choice([-1, 1]) * rng.randint(1, 1 << 40)
    if column in TEXT_COLUMNS:
        while True:
            new = rng.choice(["", "mallory", "success", "denied", "patient:1", "{}",
                              "x" * rng.randint(1, 2000), "%032x" % rng.getrandbits(128)])
            if new != old:
                return new
    blob = bytearray(old)
    if rng.random() < 0.2 or not blob:
        return bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 31, 33, 32])))
    blob[rng.randrange(len(blob))] ^= 1 << rng.randrange(8)
    return bytes(blob)


def tamper(db, rng, n):
    """Apply one random tampering; return (what, expected first bad seq,
    whether only a checkpoint can see it)."""
    kind = rng.choice(["change", "change", "delete", "delete-range", "insert", "swap",
                       "swap-seq", "move-past-end", "move-below-1"])
    k = rng.randint(1, n)
    if kind == "change":
        column = rng.choice(CONTENT)
        (old,) = db.execute(f"SELECT {column} FROM audit_log WHERE seq = ?", (k,)).fetchone()
        db.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = ?",
                   (different_value(rng, column, old), k))
        return f"change {column} of {k}", k, False
    if kind == "delete":
        db.execute("DELETE FROM audit_log WHERE seq = ?", (k,))
        return f"delete {k}", k, k == n
    if kind == "delete-range":
        last = rng.randint(k, min(n, k + 20))
        db.execute("DELETE FROM audit_log WHERE seq BETWEEN ? AND ?", (k, last))
        return f"delete {k}..{last}", k, last == n
    if kind == "insert":
        k = rng.randint(1, n + 1)
        src = rng.randint(1, n)
        row = list(db.execute(f"SELECT {', '.join(CONTENT)} FROM audit_log WHERE seq = ?",
                              (src,)).fetchone())
        column = rng.randrange(len(CONTENT))
        row[column] = different_value(rng, CONTENT[column], row[column])
        if k <= n:
            shift_up(db, k)
        db.execute(f"INSERT INTO audit_log (seq, {', '.join(CONTENT)}) VALUES"
                   f" ({', '.join('?' * (len(CONTENT) + 1))})", [k] + row)
        return f"insert forged at {k} (copy of {src})", k, False
    i, j = sorted(rng.sample(range(1, n + 1), 2))
    if kind == "swap":
        a = db.execute(f"SELECT {', '.join(CONTENT)} FROM audit_log WHERE seq = ?", (i,)).fetchone()
        b = db.execute(f"SELECT {', '.join(CONTENT)} FROM audit_log WHERE seq = ?", (j,)).fetchone()
        sets = ", ".join(f"{c} = ?" for c in CONTENT)
        db.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", list(b) + [i])
        db.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", list(a) + [j])
        return f"swap contents of {i} and {j}", i, False
    if kind == "swap-seq":
        renumber(db, i, -1)
        renumber(db, j, i)
        renumber(db, -1, j)
        return f"swap seq {i} and {j}", i, False
    if kind == "move-past-end":
        renumber(db, k, n + rng.randint(1, 100))
        return f"move {k} past the end", k, False
    new = -rng.randint(0, 100)
    renumber(db, k, new)
    return f"move {k} to {new}", new, False


SCHEMA = ("CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
          " actor_id INTEGER NOT NULL, tenant_id INTEGER NOT NULL, actor TEXT NOT NULL,"
          " roles TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL,"
          " object TEXT NOT NULL, outcome TEXT NOT NULL, details TEXT NOT NULL,"
          " prev_hash BLOB NOT NULL, hash BLOB NOT NULL) STRICT")
COLUMNS = ["seq"] + CONTENT
COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def psql(conninfo, *args, stdin=None):
    cmd = [os.path.join(os.environ["MG_PG_BIN"], "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
           conninfo] + list(args)
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("psql: " + p.stderr.strip())
    return p.stdout


def copy_unescape(field):
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1),
                                                                            m.group(1)), field)


def pg_dump(conninfo, out):
    """The database's audit_log into a new SQLite file out (same columns)."""
    text = psql(conninfo, "-c", f"COPY audit_log ({', '.join(COLUMNS)}) TO STDOUT")
    db = sqlite3.connect(out)
    db.execute(SCHEMA)
    for line in text.splitlines():
        f = [copy_unescape(v) for v in line.split("\t")]
        row = [int(v) for v in f[:4]] + f[4:11] + [bytes.fromhex(v[2:]) for v in f[11:13]]
        db.execute(f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES"
                   f" ({', '.join('?' * len(COLUMNS))})", row)
    db.commit()
    db.close()


def copy_field(v):
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    if isinstance(v, int):
        return str(v)
    return "".join(COPY_ESCAPES.get(ch, ch) for ch in v)


def pg_load(db, conninfo):
    """Replace the database's audit_log by the rows of SQLite db."""
    lines = ["\t".join(copy_field(v) for v in row) for row in
             db.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY seq")]
    psql(conninfo, "-c", "BEGIN", "-c", "TRUNCATE audit_log",
         "-c", f"COPY audit_log ({', '.join(COLUMNS)}) FROM STDIN", "-c", "COMMIT",
         stdin="\n".join(lines) + "\n\\.\n")


def instance_conninfo(instance):
    for line in open(os.path.join(instance, "medgate.conf")):
        m = re.match(r"conninfo\s*=\s*(.*\S)", line)
        if m:
            return m.group(1)
    return None


FIRST_BAD = re.compile(r"first bad record (-?\d+) \(")


def run_case(ctl, pristine, checkpoint, instance, seed, n):
    rng = random.Random(seed)
    conninfo = instance_conninfo(instance) if os.environ.get("MG_PG_BIN") else None
    db_path = os.path.join(instance, "data", "tamper.db" if conninfo else "medgate.db")
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(db_path + suffix):
            os.unlink(db_path + suffix)
    shutil.copyfile(pristine, db_path)	# keeps the file's owner
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("BEGIN")
    what, expected, tail_only = tamper(db, rng, n)
    db.execute("COMMIT")
    if conninfo:
        pg_load(db, conninfo)
    db.close()
    use_checkpoint = tail_only or rng.random() < 0.5
    cmd = [ctl, "-c", os.path.join(instance, "medgate.conf"), "audit", "verify"]
    if use_checkpoint:
        cmd += ["--checkpoint", checkpoint]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    m = FIRST_BAD.search(p.stdout)
    got = int(m.group(1)) if m else None
    if p.returncode != 1 or got != expected:
        return (f"seed {seed}: {what}{' (with checkpoint)' if use_checkpoint else ''}:"
                f" expected exit 1 naming {expected}, got exit {p.returncode}:"
                f" {p.stdout.strip()} {p.stderr.strip()}")
    return None


def main():
    if sys.argv[1] == "--pg-dump":
        pg_dump(sys.argv[2], sys.argv[3])
        return
    ctl, pristine, checkpoint, count, seed = sys.argv[1:6]
    instances = sys.argv[6:]
    count, seed = int(count), int(seed)
    with sqlite3.connect(pristine) as db:
        (n,) = db.execute("SELECT max(seq) FROM audit_log").fetchone()
    free = list(instances)
    lock = threading.Lock()

    def case(i):
        with lock:
            instance = free.pop()
        try:
            return run_case(ctl, pristine, checkpoint, instance, seed * 100000 + i, n)
        finally:
            with lock:
                free.append(instance)

    failures = []
    with concurrent.futures.ThreadPoolExecutor(len(instances)) as pool:
        for result in pool.map(case, range(count)):
            if result is not None:
                failures.append(result)
    for f in failures[:20]:
        print("FAIL:", f)
    print(f"{count - len(failures)} of {count} tamperings reported at the right record"
          f" (seed {seed}, {n} records)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
