# A real rsyslog for the tests, sourced after lib.sh: a CA and collector
# certificate for 127.0.0.1 (pki_ca makes more CAs), rsyslogd with imtcp
# over the gtls driver (RFC 5425, TLS only) on a free port, every raw
# message appended to $RECEIVED; rsyslog_start / rsyslog_stop, and
# wait_received to wait for what arrived. Needs rsyslog and rsyslog-gnutls.
command -v rsyslogd >/dev/null || fail "rsyslogd is missing (scripts/install-deps.sh installs rsyslog)"

# ---- the collector's PKI: its CA and a certificate for 127.0.0.1; another CA ----
PKI=$T/pki
mkdir -p "$PKI"
pki_ca() { # name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$PKI/$1.key" -out "$PKI/$1.pem" -subj "/CN=medgate test $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
}
pki_ca syslog-ca
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$PKI/collector.key" -out "$PKI/collector.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' \
	>"$PKI/collector.ext"
openssl x509 -req -in "$PKI/collector.csr" -CA "$PKI/syslog-ca.pem" -CAkey "$PKI/syslog-ca.key" \
	-CAcreateserial -days 2 -extfile "$PKI/collector.ext" -out "$PKI/collector.pem" 2>/dev/null
chmod 644 "$PKI"/*.pem

# ---- rsyslog: imtcp with the gtls driver, TLS only, raw messages to a file ----
RS=$T/rsyslog
RECEIVED=$RS/received.log
SYSLOG_PORT=$(free_port)
mkdir -p "$RS/work"
cat >"$RS/rsyslog.conf" <<CONF
global(workDirectory="$RS/work"
       defaultNetstreamDriver="gtls"
       defaultNetstreamDriverCAFile="$PKI/syslog-ca.pem"
       defaultNetstreamDriverCertFile="$PKI/collector.pem"
       defaultNetstreamDriverKeyFile="$PKI/collector.key")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="$SYSLOG_PORT")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="$RECEIVED" template="raw")
CONF
RSYSLOG_PID=
rsyslog_start() {
	rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/rsyslog.pid" >>"$RS/rsyslog.out" 2>&1 &
	RSYSLOG_PID=$!
	MG_BACKGROUND+=("$RSYSLOG_PID")
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT") 2>/dev/null; then return 0; fi
		kill -0 "$RSYSLOG_PID" 2>/dev/null || { cat "$RS/rsyslog.out"; fail "rsyslogd exited"; }
		sleep 0.1
	done
	fail "rsyslogd did not listen within 10 s"
}
rsyslog_stop() {
	kill -TERM "$RSYSLOG_PID"
	for _ in $(seq 1 100); do kill -0 "$RSYSLOG_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$RSYSLOG_PID" 2>/dev/null && fail "rsyslogd did not stop within 10 s"
	wait "$RSYSLOG_PID" 2>/dev/null || true
	RSYSLOG_PID=
}

# Seconds until python's check of RECEIVED (argument: a Python expression
# over `seqs`, a set of the seqs received, and `msgids`) holds; fails after $1.
wait_received() { # seconds expression what
	local i
	for i in $(seq 1 $(($1 * 4))); do
		if [ -f "$RECEIVED" ] && python3 - "$RECEIVED" "$2" <<'PY'
import re, sys
seqs, msgids = set(), set()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r' (\S+) \[medgate@32473 seq="(\d+)"', line)
    if m:
        msgids.add(m.group(1)); seqs.add(int(m.group(2)))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
		then return 0; fi
		sleep 0.25
	done
	fail "$3 within $1 s"
}

