# The EMR peer of the fault tests: simple-hl7's MLLP server
# (tools/emr_hl7_peer.js, installed from npm under a flock), logging every
# message it receives and every answer as JSON lines to $PLOG. Source it
# after lib.sh: peer_start, peer_signal SIGNAL, mark EVENT, received.
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
SIMPLE_HL7_VERSION=3.3.0
NODE_DIR=$MG_BIN/test-node/simple-hl7-$SIMPLE_HL7_VERSION
SIMPLE_HL7=$NODE_DIR/node_modules/simple-hl7

for tool in node npm python3; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
mkdir -p "$NODE_DIR"
(
	flock -w 300 9 || fail "waited too long for $NODE_DIR.lock"
	if [ ! -f "$SIMPLE_HL7/package.json" ]; then
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			"simple-hl7@$SIMPLE_HL7_VERSION" >"$T/npm.log" 2>&1 ||
			{ cat "$T/npm.log"; fail "npm install simple-hl7"; }
	fi
) 9>"$NODE_DIR.lock"

PLOG=$T/peer.log
PEER_PID='' PEER_PORT=0
mark() { # event: a line of our own in the peer's log (O_APPEND, as the peer writes)
	printf '{"ev":"%s","t":%s}\n' "$1" "$(date +%s%3N)" >>"$PLOG"
}
peer_start() {
	rm -f "$T/peer.port"
	node "$TOOLS/emr_hl7_peer.js" --lib "$SIMPLE_HL7" --log "$PLOG" --port "$PEER_PORT" \
		--port-file "$T/peer.port" >>"$T/peer.out" 2>&1 &
	PEER_PID=$!
	MG_BACKGROUND+=("$!")
	for _ in $(seq 1 100); do
		[ -s "$T/peer.port" ] && break
		kill -0 "$PEER_PID" 2>/dev/null || { cat "$T/peer.out"; fail "EMR peer exited"; }
		sleep 0.1
	done
	[ -s "$T/peer.port" ] || fail "EMR peer did not listen within 10 s"
	PEER_PORT=$(cat "$T/peer.port")
}
peer_signal() { # signal: stop the peer and wait until it is gone (it exits within 0.3 s of TERM)
	kill -"$1" "$PEER_PID"
	wait "$PEER_PID" 2>/dev/null || true	# at once: no "Killed" notice from bash
}
received() { grep -c '"ev":"recv"' "$PLOG" || true; }
