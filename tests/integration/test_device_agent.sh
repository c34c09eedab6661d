#!/usr/bin/env bash
# medgate-device against a stand-in gateway: a small Python HTTPS server
# (stdlib ssl, client certificates from a throwaway device CA made with
# openssl) that speaks EST simpleenroll/cacerts and the measurement API and
# can be told to fail. Checks enrolment, in-order delivery over one
# keep-alive connection, queueing while the server is down, 400 -> rejected,
# lost answer -> 200 duplicate -> removed, 5xx/403 -> kept, damaged queue
# files never sent, --interval with back-off and a clean SIGTERM exit, and
# that no output line carries a patient id. Loopback only; ports picked at
# run time; every wait bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${MG_BIN:-$ROOT/build}
DEV=$BIN/medgate-device
[ -x "$DEV" ] || { echo "no $DEV (build the medgate-device target first)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl missing" >&2; exit 1; }

WORK=$(mktemp -d /tmp/mg-device-it.XXXXXX)
SERVER_PID=""
AGENT_PID=""
STATE=$WORK/state
OUT=$WORK/agent-output.log	# everything the agent printed, checked at the end
: >"$OUT"

cleanup() {
	if [ -n "$AGENT_PID" ]; then kill "$AGENT_PID" 2>/dev/null || true; fi
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	if [ "${MG_KEEP_TEST_DIR:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- last agent output:" >&2
	tail -n 20 "$OUT" >&2 || true
	exit 1
}
pass() { echo "ok - $*"; }

# run EXPECTED_STATUS ARGS...: run the agent, keep its output in $WORK/last
# and $OUT, and check its exit status.
run() {
	local want=$1 got=0
	shift
	"$DEV" "$@" >"$WORK/last" 2>&1 || got=$?
	cat "$WORK/last" >>"$OUT"
	if [ "$got" != "$want" ]; then
		cat "$WORK/last" >&2
		fail "medgate-device $1: exit $got, expected $want"
	fi
}
last_has() { grep -q -- "$1" "$WORK/last" || fail "output lacks \"$1\": $(cat "$WORK/last")"; }
queued() { find "$STATE/queue" -maxdepth 1 -name '*.json' | wc -l; }
received() { if [ -f "$WORK/received.log" ]; then wc -l <"$WORK/received.log"; else echo 0; fi; }
connections() { if [ -f "$WORK/connections.log" ]; then wc -l <"$WORK/connections.log"; else echo 0; fi; }
set_mode() { echo "$1" >"$WORK/mode"; }

# ---- throwaway PKI: a server CA with a certificate for 127.0.0.1, and a
# device CA the stand-in gateway issues device certificates from.
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$WORK/$1.key" -out "$WORK/$1.pem" -subj "/CN=$2" -days 2 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
make_ca sca "medgate test server CA"
make_ca dca "medgate test device CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$WORK/server.key" -out "$WORK/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
	>"$WORK/server.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/sca.pem" -CAkey "$WORK/sca.key" \
	-CAcreateserial -days 2 -out "$WORK/server.pem" -extfile "$WORK/server.ext" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >"$WORK/device.ext"

# ---- the stand-in gateway
cat >"$WORK/server.py" <<'PY'
import base64, json, os, ssl, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORK, PORT = sys.argv[1], int(sys.argv[2])
LOCK = threading.Lock()
STORE_FILE = os.path.join(WORK, "store.json")
BODY_MAX = 64 * 1024


def path(name):
    return os.path.join(WORK, name)


def append(name, line):
    with open(path(name), "a") as f:
        f.write(line + "\n")


def mode():
    try:
        with open(path("mode")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return "normal"


def load_store():
    try:
        with open(STORE_FILE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


STORE = load_store()     # device measurement id -> gateway id, kept across restarts


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def certs_only(*pems):
    args = ["crl2pkcs7", "-nocrl", "-outform", "DER"]
    for p in pems:
        args += ["-certfile", p]
    der = subprocess.run(["openssl", *args], check=True, capture_output=True).stdout
    b64 = base64.b64encode(der).decode()
    return "\r\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)).encode() + b"\r\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        append("connections.log", "connect")

    def log_message(self, *args):
        pass

    def reply(self, status, obj, ctype="application/json"):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > BODY_MAX:
            self.reply(413, {"error": "body too large"})
            return None
        return self.rfile.read(n)

    def do_GET(self):
        if self.path == "/.well-known/est/cacerts":
            self.reply(200, certs_only(path("dca.pem")),
                       "application/pkcs7-mime; smime-type=certs-only")
        else:
            self.reply(404, {"error": "no such path"})

    def do_POST(self):
        data = self.read_body()
        if data is None:
            return
        if self.path == "/.well-known/est/simpleenroll":
            self.enroll(data)
        elif self.path == "/device/v1/measurements":
            self.measurement(data)
        else:
            self.reply(404, {"error": "no such path"})

    def enroll(self, data):
        if self.headers.get("Content-Type") != "application/pkcs10":
            return self.reply(415, {"error": "expected application/pkcs10"})
        auth = self.headers.get("Authorization", "")
        try:
            user, token = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":", 1)
        except Exception:
            return self.reply(401, {"error": "basic authentication required"})
        with LOCK:
            try:
                with open(path("token")) as f:
                    expected = f.read().strip()
            except FileNotFoundError:
                expected = None
            if expected is None or token != expected:
                return self.reply(401, {"error": "invalid or used enrolment token"})
            os.remove(path("token"))
            n = len(os.listdir(WORK))
            csr_der, csr_pem, cert = path(f"req{n}.der"), path(f"req{n}.pem"), path(f"dev{n}.pem")
            with open(csr_der, "wb") as f:
                f.write(base64.b64decode(data))
            try:
                openssl("req", "-inform", "DER", "-in", csr_der, "-out", csr_pem, "-verify")
            except subprocess.CalledProcessError:
                return self.reply(400, {"error": "not a valid PKCS#10 request"})
            openssl("x509", "-req", "-in", csr_pem, "-CA", path("dca.pem"), "-CAkey",
                    path("dca.key"), "-CAcreateserial", "-days", "1", "-out", cert,
                    "-extfile", path("device.ext"))
            append("enrolled.log", user)
        # The CA comes first on purpose: the agent must pick its own certificate.
        self.reply(200, certs_only(path("dca.pem"), cert),
                   "application/pkcs7-mime; smime-type=certs-only")

    def measurement(self, data):
        if not self.connection.getpeercert():
            return self.reply(401, {"error": "client certificate required"})
        m = mode()
        if m == "503":
            return self.reply(503, {"error": "store unavailable"})
        if m == "403":
            return self.reply(403, {"error": "device blocked"})
        if self.headers.get("Content-Type") != "application/json":
            return self.reply(415, {"error": "expected application/json"})
        try:
            obj = json.loads(data)
            mid, pid, values = obj["id"], obj["patient"]["id"], obj["values"]
        except Exception:
            return self.reply(400, {"error": "not a measurement"})
        if any(v.get("type") == "bad" for v in values):
            # Echoes the patient id on purpose: the agent must not print it.
            return self.reply(400, {"error": f"values[0].type: unknown (patient {pid})"})
        with LOCK:
            if mid in STORE:
                append("duplicates.log", mid)
                return self.reply(200, {"id": STORE[mid], "duplicate": True})
            gid = len(STORE) + 1
            STORE[mid] = gid
            with open(STORE_FILE + ".tmp", "w") as f:
                json.dump(STORE, f)
            os.replace(STORE_FILE + ".tmp", STORE_FILE)
            append("received.log", mid + " " + json.dumps(values, separators=(",", ":")))
            if m == "lose-answer":
                # Stored, but the answer never arrives.
                with open(path("mode"), "w") as f:
                    f.write("normal\n")
                self.close_connection = True
                return
        self.reply(201, {"id": gid, "duplicate": False})


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(path("server.pem"), path("server.key"))
ctx.load_verify_locations(path("dca.pem"))
ctx.verify_mode = ssl.CERT_OPTIONAL
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(path("port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.replace(path("port.tmp"), path("port"))
server.serve_forever()
PY

PORT=0
start_server() {
	local i
	rm -f "$WORK/port"
	python3 "$WORK/server.py" "$WORK" "$PORT" 2>>"$WORK/server.err" &
	SERVER_PID=$!
	for i in $(seq 1 100); do
		[ -s "$WORK/port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || fail "stand-in gateway died: $(cat "$WORK/server.err")"
		sleep 0.1
	done
	[ -s "$WORK/port" ] || fail "stand-in gateway did not start"
	PORT=$(cat "$WORK/port")
}
stop_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

start_server
URL=https://127.0.0.1:$PORT

# ---- usage errors
run 2
run 2 bogus
run 2 send --state "$STATE" --patient P-1
run 2 send --state "$STATE" --patient P-1 --weight heavy
run 2 enroll --server "http://127.0.0.1:$PORT" --ca "$WORK/sca.pem" --token t --state "$STATE"
run 1 status --state "$STATE"
pass "usage errors exit 2, unenrolled status exits 1"

# ---- enrolment
echo "one-time-token-1" >"$WORK/token"
run 1 enroll --server "$URL" --ca "$WORK/sca.pem" --token wrong --state "$STATE" --name scale-1
last_has "invalid or used enrolment token"
[ ! -e "$STATE/cert.pem" ] || fail "refused enrolment left a certificate"
run 1 enroll --server "$URL" --ca "$WORK/dca.pem" --token one-time-token-1 --state "$STATE" --name scale-1
last_has "no answer"
pass "bad token and untrusted server refused"

printf 'one-time-token-1\n' >"$WORK/token.txt"
run 0 enroll --server "$URL/" --ca "$WORK/sca.pem" --token-file "$WORK/token.txt" --state "$STATE" --name scale-1
last_has "CN=scale-1"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "state folder not 0700"
[ "$(stat -c %a "$STATE/key.pem")" = 600 ] || fail "key.pem not 0600"
cmp -s "$STATE/server-ca.pem" "$WORK/sca.pem" || fail "server-ca.pem is not the given CA"
grep -q "^server = $URL/\$" "$STATE/config" || fail "config lacks the server"
grep -q '^id_prefix = [0-9a-f]\{16\}$' "$STATE/config" || fail "config lacks id_prefix"
[ "$(openssl x509 -in "$STATE/cert.pem" -noout -pubkey)" = "$(openssl pkey -in "$STATE/key.pem" -pubout)" ] ||
	fail "certificate does not match the key"
openssl verify -CAfile "$WORK/dca.pem" "$STATE/cert.pem" >/dev/null || fail "certificate not from the device CA"
grep -qx scale-1 "$WORK/enrolled.log" || fail "Basic user was not the device name"
pass "enrolled: key 0600, certificate for our key picked from the PKCS#7, config written"

run 1 enroll --server "$URL" --ca "$WORK/sca.pem" --token x --state "$STATE" --name scale-1
last_has "already"
prefix=$(grep id_prefix "$STATE/config")
echo "one-time-token-2" >"$WORK/token"
run 0 enroll --server "$URL" --ca "$WORK/sca.pem" --token one-time-token-2 --state "$STATE" --name scale-1 --force
[ "$(grep id_prefix "$STATE/config")" = "$prefix" ] || fail "re-enrolment changed the id prefix"
pass "second enrolment needs --force and keeps the measurement id prefix"

run 0 cacerts --state "$STATE"
openssl x509 -in "$WORK/last" -noout -subject | grep -q "medgate test device CA" || fail "cacerts output"
run 0 cacerts --server "$URL" --ca "$WORK/sca.pem"
last_has "BEGIN CERTIFICATE"
pass "cacerts prints the CA certificates"

run 0 status --state "$STATE"
last_has "certificate: CN=scale-1"
last_has "queued:      0"

# ---- delivery in order over one connection
before=$(connections)
run 0 send --state "$STATE" --patient P-1001 --weight 72.4 --height 180 --bmi 22.3 --body-fat 18.5 --count 5
[ "$(received)" = 5 ] || fail "expected 5 received, got $(received)"
[ "$(queued)" = 0 ] || fail "queue not empty"
[ $(( $(connections) - before )) = 1 ] || fail "5 measurements used $(( $(connections) - before )) connections"
grep '^queued ' "$WORK/last" | awk '{print $2}' >"$WORK/sent-order"
awk '{print $1}' "$WORK/received.log" | diff - "$WORK/sent-order" >/dev/null || fail "delivery order"
[ "$(grep -c '^delivered .*: gateway id [0-9]' "$WORK/last")" = 5 ] || fail "delivered lines"
python3 - "$WORK/received.log" <<'PY' || fail "simulated weights implausible"
import json, sys
weights = [next(v["value"] for v in json.loads(l.split(" ", 1)[1]) if v["type"] == "body_weight")
           for l in open(sys.argv[1])]
assert weights[0] == 72.4, weights
assert all(abs(w - 72.4) <= 1.5 for w in weights), weights
assert all(round(w, 1) == w for w in weights), weights
PY
pass "5 measurements delivered in order over one keep-alive connection"

# ---- server down: queued, then delivered in order after it is back
stop_server
run 3 send --state "$STATE" --patient P-1001 --weight 72.0 --count 2
last_has "gateway unreachable"
[ "$(queued)" = 2 ] || fail "expected 2 queued, got $(queued)"
run 3 flush --state "$STATE"
run 0 status --state "$STATE"
last_has "queued:      2"
ls "$STATE/queue" | grep -v '^\.' | sed 's/\.json$//' >"$WORK/queued-names"
start_server
run 0 flush --state "$STATE"
[ "$(queued)" = 0 ] || fail "queue not empty after flush"
[ "$(received)" = 7 ] || fail "expected 7 received, got $(received)"
pass "kept while the gateway was down (exit 3), delivered by flush"

# ---- 400: set aside in rejected/, patient id never printed
run 4 send --state "$STATE" --patient P-SECRET-7 --weight 70 --value bad=1:x
last_has "rejected "
last_has "\[patient\]"
ls "$STATE"/rejected/*.json >/dev/null 2>&1 || fail "nothing in rejected/"
grep -q "values\[0\].type: unknown" "$STATE"/rejected/*.error || fail "no reason beside the rejected measurement"
grep -q P-SECRET-7 "$STATE"/rejected/*.error && fail "patient id stored in the reason"
[ "$(queued)" = 0 ] || fail "rejected measurement still queued"
run 0 status --state "$STATE"
last_has "rejected:    1"
pass "400 moves the measurement to rejected/ with its reason (exit 4)"

# ---- answer lost after storing: retried, 200 duplicate, removed
set_mode lose-answer
run 3 send --state "$STATE" --patient P-1001 --weight 71.9
[ "$(queued)" = 1 ] || fail "measurement with a lost answer not kept"
run 0 flush --state "$STATE"
last_has "^duplicate .*stored before as gateway id"
[ "$(queued)" = 0 ] || fail "duplicate not removed"
mid=$(grep '^duplicate ' "$WORK/last" | awk '{print $2}' | tr -d :)
[ "$(grep -c "^$mid " "$WORK/received.log")" = 1 ] || fail "stored twice"
pass "lost answer: kept, then 200 duplicate removes it"

# ---- 5xx and 403 keep the measurement
set_mode 503
run 3 send --state "$STATE" --patient P-1001 --weight 71.8
last_has "gateway error (store unavailable - HTTP 503)"
set_mode 403
run 3 flush --state "$STATE"
last_has "certificate refused or device blocked"
[ "$(queued)" = 1 ] || fail "measurement lost on 503/403"
set_mode normal
run 0 flush --state "$STATE"
pass "503 and 403 keep the measurement (exit 3)"

# ---- a server we do not trust: kept
cp -a "$STATE" "$WORK/state2"
cp "$WORK/dca.pem" "$WORK/state2/server-ca.pem"
run 3 send --state "$WORK/state2" --patient P-1001 --weight 70.1
last_has "not trusted\|gateway unreachable"
[ "$(find "$WORK/state2/queue" -name '*.json' | wc -l)" = 1 ] || fail "kept queue"
rm -rf "$WORK/state2"
pass "untrusted gateway certificate: nothing sent, measurement kept"

# ---- damaged and unfinished queue files are never sent
printf '{"id":"damaged-1","patient":{"id":"P-1' >"$STATE/queue/00000000000000000001.json"
printf '{"id":"unfinished-1"}' >"$STATE/queue/.tmp-00000000000000000002.json"
run 4 flush --state "$STATE"
grep -q "damaged" "$STATE/rejected/00000000000000000001.error" || fail "damaged file not set aside"
grep -q "damaged-1\|unfinished-1" "$WORK/received.log" && fail "a damaged or unfinished file was sent"
pass "damaged queue file set aside unsent; temporary file ignored"

# ---- --interval: measures while the gateway is down, backs off, delivers
# when it is back, stops cleanly on SIGTERM
stop_server
before=$(received)
"$DEV" send --state "$STATE" --patient P-1001 --weight 68.2 --interval 0.2 >>"$OUT" 2>&1 &
AGENT_PID=$!
for i in $(seq 1 50); do [ "$(queued)" -ge 3 ] && break; sleep 0.1; done
[ "$(queued)" -ge 3 ] || fail "interval mode did not queue while the gateway was down"
start_server
for i in $(seq 1 200); do
	[ "$(received)" -ge $((before + 6)) ] && break
	sleep 0.1
done
[ "$(received)" -ge $((before + 6)) ] || fail "interval mode did not deliver after the gateway came back"
kill -TERM "$AGENT_PID"
status=0
wait "$AGENT_PID" || status=$?
AGENT_PID=""
[ "$status" = 0 ] || fail "SIGTERM exit status $status"
run 0 flush --state "$STATE"
pass "--interval queues while down, backs off, delivers later, exits 0 on SIGTERM"

run 0 send --state "$STATE" --patient P-1001 --weight 68.0 --count 3 --interval 0.1
[ "$(grep -c '^delivered ' "$WORK/last")" = 3 ] || fail "--count 3 --interval"
pass "--count with --interval makes N and exits"

# ---- whole history: delivery order is sequence order
python3 - "$WORK/received.log" <<'PY' || fail "measurements not delivered in sequence order"
import sys
seqs = [int(l.split(" ", 1)[0].rsplit("-", 1)[1]) for l in open(sys.argv[1])]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
PY
pass "every measurement delivered once, in sequence order"

if grep -q "P-1001\|P-SECRET-7" "$OUT"; then
	fail "a patient id appeared in the agent's output"
fi
pass "no patient id in any output line"
echo "all device agent checks passed"
