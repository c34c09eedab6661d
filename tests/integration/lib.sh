# Helpers for the integration tests: a fresh instance on free loopback
# ports, the real medgated started and stopped, devices enrolled over EST
# with openssl and curl. Source it; every test runs under `set -euo pipefail`.
set -euo pipefail

: "${MG_BIN:?MG_BIN must name the build folder}"
MEDGATED=$MG_BIN/medgated
MEDGATECTL=$MG_BIN/medgatectl
MEDGATE_DEVICE=$MG_BIN/medgate-device

# A folder the daemon's account can reach when tests run as root.
T=$(mktemp -d /tmp/medgate-test.XXXXXX)
chmod 755 "$T"
INST=$T/instance
CONF=$INST/medgate.conf
DAEMON_PID=
declare -a MG_BACKGROUND=()

mg_cleanup() {
	local status=$?
	for pid in "${MG_BACKGROUND[@]}" $DAEMON_PID; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "$status" -ne 0 ] && [ -f "$INST/log/medgated.log" ]; then
		echo "--- medgated.log (last 30 lines) ---"
		tail -n 30 "$INST/log/medgated.log"
		[ -f "$T/medgated.stderr" ] && { echo "--- stderr ---"; tail -n 30 "$T/medgated.stderr"; }
	fi
	rm -rf "$T"
	exit "$status"
}
trap mg_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_contains() { # haystack needle what
	case "$1" in *"$2"*) ;; *) fail "$3: '$2' not in '$1'" ;; esac
}

# A free TCP port on the loopback interface, from outside the ephemeral
# range that parallel tests' outgoing connections draw from (free_port.py).
free_port() {
	python3 "$(dirname "${BASH_SOURCE[0]}")/../free_port.py"
}

WEB_PORT=$(free_port)
DEVICE_PORT=$(free_port)
MLLP_PORT=$(free_port)
CA=$INST/certs/ca.pem
DEVICE_URL=https://localhost:$DEVICE_PORT

# The store back end of the instances mg_init makes: sqlite (default) or
# postgresql, which needs the private server of tests/pg/pg-run.sh around
# the test (ctest registers the storage-heavy tests a second time so).
MG_TEST_STORAGE=${MG_TEST_STORAGE:-sqlite}
MG_PG_DB=
if [ "$MG_TEST_STORAGE" = postgresql ]; then
	: "${MG_TEST_PG_CONNINFO:?MG_TEST_STORAGE=postgresql needs tests/pg/pg-run.sh around the test}"
fi

# A new, empty database on the test's PostgreSQL server; prints its name.
mg_pg_createdb() {
	local name
	name=mg_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	("$MG_PG_BIN/createdb" -h "$MG_TEST_PG_HOST" -p "$MG_TEST_PG_PORT" \
		-U medgate "$name")
	echo "$name"
}

# Make the instance. Extra args go to medgatectl init. On PostgreSQL each
# instance gets a database of its own.
mg_init() {
	local storage=()
	echo "correct horse battery staple 1" > "$T/admin-password"
	if [ "$MG_TEST_STORAGE" = postgresql ]; then
		MG_PG_DB=$(mg_pg_createdb)
		storage=(--storage postgresql
			--conninfo "${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$MG_PG_DB}")
	fi
	"$MEDGATECTL" init "$INST" --web-port "$WEB_PORT" --device-port "$DEVICE_PORT" \
		--mllp-port "$MLLP_PORT" --admin-password-file "$T/admin-password" \
		"${storage[@]}" "$@" > "$T/init.out"
}

# Run SQL on the instance's store behind medgate's back, whichever back
# end it is: prints the rows, columns separated by "|". Text both
# databases understand (blobs: compare hex(...) on SQLite and
# encode(..., 'hex') on PostgreSQL; see mg_sql_hex).
mg_sql() { # sql
	if [ "$MG_TEST_STORAGE" = postgresql ]; then
		"$MG_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
			"${MG_TEST_PG_CONNINFO/dbname=medgate_test/dbname=$MG_PG_DB}" -c "$1"
	else
		sqlite3 -batch -cmd ".timeout 10000" "$INST/data/medgate.db" "$1"
	fi
}

# The SQL expression of column COL's bytes as hex text (case may differ).
mg_sql_hex() { # col
	if [ "$MG_TEST_STORAGE" = postgresql ]; then echo "encode($1, 'hex')"; else echo "hex($1)"; fi
}

# Set KEY in [SECTION] of the configuration to VALUE.
mg_conf_set() { # section key value
	python3 - "$CONF" "$1" "$2" "$3" <<'PY'
import sys, re
path, section, key, value = sys.argv[1:]
lines = open(path).read().split("\n")
cur = None
for i, line in enumerate(lines):
    m = re.match(r"\[(.+)\]", line)
    if m:
        cur = m.group(1)
    elif cur == section and re.match(re.escape(key) + r"\s*=", line):
        lines[i] = f"{key} = {value}"
        break
else:
    sys.exit(f"no key {key} in [{section}]")
open(path, "w").write("\n".join(lines))
PY
}

mg_ctl() { "$MEDGATECTL" -c "$CONF" "$@"; }

mg_alive() { [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; }

# Start medgated and wait until both ports answer. MG_START_AS=ACCOUNT
# starts it as that account straight away, as systemd's User= does.
mg_start() {
	if [ -n "${MG_START_AS:-}" ]; then
		setpriv --reuid="$MG_START_AS" --regid="$MG_START_AS" --init-groups \
			"$MEDGATED" -c "$CONF" 2> "$T/medgated.stderr" &
	else
		"$MEDGATED" -c "$CONF" 2> "$T/medgated.stderr" &
	fi
	DAEMON_PID=$!
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null --cacert "$CA" "https://localhost:$WEB_PORT/api/v1/health" &&
		   curl -s -o /dev/null --cacert "$CA" "$DEVICE_URL/.well-known/est/cacerts"; then
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$T/medgated.stderr"; fail "medgated exited at start"; }
		sleep 0.1
	done
	fail "medgated did not answer within 10 s"
}

# Stop medgated with SIGTERM and insist on a clean exit (sanitizers
# report through the exit status).
mg_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID"
	local status=0
	# A daemon that hangs on the way down fails the test, not CI's clock.
	for _ in $(seq 200); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -ABRT "$DAEMON_PID"; sleep 1; kill -KILL "$DAEMON_PID" 2>/dev/null || true
		fail "medgated did not stop within 20 s of SIGTERM"
	fi
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	if [ "$status" -ne 0 ]; then
		cat "$T/medgated.stderr" >&2
		fail "medgated exited with status $status"
	fi
}

# Kill medgated hard, as a power cut would.
mg_kill9() {
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}

# Enrol a device NAME over EST with openssl and curl; its key and
# certificate land in $T/dev/NAME/.
mg_enrol() { # name [tenant]
	local name=$1 tenant=${2:-default} dir=$T/dev/$1 token
	mkdir -p "$dir"
	token=$(mg_ctl device token --tenant "$tenant" --name "$name" 2>/dev/null)
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/key.pem" -subj "/CN=$name" -outform DER -out "$dir/req.der" 2>/dev/null
	base64 "$dir/req.der" > "$dir/req.b64"
	local code
	code=$(curl -s --max-time 30 -o "$dir/p7.b64" -w '%{http_code}' --cacert "$CA" -u "$name:$token" \
		-H 'Content-Type: application/pkcs10' --data-binary @"$dir/req.b64" \
		"$DEVICE_URL/.well-known/est/simpleenroll")
	[ "$code" = 200 ] || fail "enrolment of $name answered $code: $(cat "$dir/p7.b64")"
	base64 -d "$dir/p7.b64" | openssl pkcs7 -inform DER -print_certs -out "$dir/cert.pem"
}

# POST a measurement body as device NAME; prints "STATUS BODY".
mg_send() { # name body [extra curl args]
	local name=$1 body=$2; shift 2
	curl -s --max-time "${MG_CURL_MAX_TIME:-30}" -o "$T/answer" -w '%{http_code}' --cacert "$CA" \
		--cert "$T/dev/$name/cert.pem" --key "$T/dev/$name/key.pem" \
		-H "Content-Type: ${MG_CONTENT_TYPE:-application/json}" --data-binary "$body" "$@" \
		"$DEVICE_URL/device/v1/measurements" || true
	printf ' %s' "$(cat "$T/answer" 2>/dev/null)"
}

# A valid measurement body with device id MID for patient PATIENT.
mg_body() { # mid patient [weight]
	printf '{"id":"%s","time":"2026-11-22T10:00:00Z","patient":{"id":"%s"},"values":[{"type":"body_weight","value":%s,"unit":"kg"},{"type":"body_height","value":180.0,"unit":"cm"}]}' \
		"$1" "$2" "${3:-72.4}"
}

mg_count() { mg_ctl measurement count; }

# The npm package simple-hl7 (a real HL7 library, the tests' sender and
# peer), installed once into $MG_BIN/test-node under a flock; sets
# SIMPLE_HL7 to its package folder. test_mllp_inbound.sh, emr_peer.sh and
# test_emr_hl7.sh still carry their own copy of these lines.
mg_simple_hl7() {
	local version=3.3.0 dir=$MG_BIN/test-node/simple-hl7-3.3.0
	SIMPLE_HL7=$dir/node_modules/simple-hl7
	for tool in node npm; do
		command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
	done
	mkdir -p "$dir"
	(
		flock -w 300 9 || fail "waited too long for $dir.lock"
		if [ ! -f "$SIMPLE_HL7/package.json" ]; then
			timeout 300 npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
				"simple-hl7@$version" >"$T/npm.log" 2>&1 ||
				{ cat "$T/npm.log"; fail "npm install simple-hl7"; }
		fi
	) 9>"$dir.lock"
}
