#!/usr/bin/env bash
# Bounded resources on the device port: connections without progress are
# cut after connection_timeout; a flood of connections from one address
# leaves other devices served; oversized bodies are refused; garbage on the
# TLS port crashes nothing. All traffic stays on 127.0.0.0/8.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools
SEED=${MG_SEED:-$RANDOM}
echo "# seed $SEED (rerun with MG_SEED=$SEED)"

limits() { python3 "$TOOLS/limits_client.py" --port "$DEVICE_PORT" --ca "$CA" "$@"; }
alive() { kill -0 "$DAEMON_PID" 2>/dev/null || fail "medgated died ($1)"; }
# A request as scale1 from 127.0.0.1 that must be stored: 201.
must_store() { # mid what [curl args]
	local out
	out=$(mg_send scale1 "$(mg_body "$1" P1)" --max-time 10 \
		--resolve "localhost:$DEVICE_PORT:127.0.0.1" "${@:3}")
	assert_contains "$out" '201 {"id":' "$2"
}

mg_init
DEVCERT=$T/dev/scale1/cert.pem
DEVKEY=$T/dev/scale1/key.pem
LOG=$INST/log/medgated.log

# --- a) connections without progress -----------------------------------
mg_conf_set device connection_timeout 2
mg_start
mg_enrol scale1
limits slow --cert "$DEVCERT" --key "$DEVKEY" --timeout 2 --slack 2 ||
	fail "a connection without progress outlived connection_timeout = 2 s"
alive "slow connections"
must_store slow-after "a device after the slow connections"
ok "connections without progress are closed within connection_timeout + 2 s"
mg_stop

# --- a2) requests that trickle in ---------------------------------------
# One byte a second is progress, so connection_timeout never fires: the
# request line must come within connection_timeout + request_timeout, the
# rest of the request within request_timeout of it, on both HTTPS ports.
mg_conf_set device connection_timeout 6
mg_conf_set device request_timeout 3
mg_conf_set web connection_timeout 6
mg_conf_set web request_timeout 3
mg_start
limits trickle --cert "$DEVCERT" --key "$DEVKEY" --limit 3 --idle-limit 9 ||
	fail "a request trickling into the device port outlived its deadline"
python3 "$TOOLS/limits_client.py" --port "$WEB_PORT" --ca "$CA" trickle \
	--path /api/v1/session --limit 3 --idle-limit 9 ||
	fail "a request trickling into the web port outlived its deadline"
alive "trickling requests"
must_store trickle-after "a device after the trickling requests"
grep -q "device port: closed 1 connection that sent no whole request in time" "$LOG" ||
	fail "device port: the closed trickle is not logged"
grep -q "web port: closed 1 connection that sent no whole request in time" "$LOG" ||
	fail "web port: the closed trickle is not logged"
ok "requests dripped 1 byte a second are cut at their deadlines on both ports"
mg_stop
mg_conf_set device connection_timeout 30
mg_conf_set device request_timeout 30
mg_conf_set web connection_timeout 30
mg_conf_set web request_timeout 30

# --- b) 2,000 connections from one address -----------------------------
mg_conf_set device connection_timeout 30
mg_conf_set device connections_per_address 256
mg_start
limits flood --src 127.0.0.2 -n 2000 --handshakes 50 --ready "$T/flood.ready" \
	--stop "$T/flood.stop" --max-seconds 45 > "$T/flood.out" 2>&1 &
FLOOD=$!
MG_BACKGROUND+=("$FLOOD")
for _ in $(seq 1 300); do
	[ -f "$T/flood.ready" ] && break
	kill -0 "$FLOOD" 2>/dev/null || { cat "$T/flood.out"; fail "flood client exited"; }
	sleep 0.1
done
[ -f "$T/flood.ready" ] || fail "flood not in place within 30 s"
cat "$T/flood.out"
kept=$(cat "$T/flood.ready")
[ "$kept" -le 256 ] || fail "server kept $kept connections from 127.0.0.2 open (connections_per_address = 256)"
ok "2,000 connections from 127.0.0.2: the server holds $kept, no more than connections_per_address"

alive "flood"
slowest=0
for i in $(seq 1 20); do
	t0=$(date +%s%N)
	must_store "flood-$i" "measurement $i from 127.0.0.1 during the flood"
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$ms" -gt "$slowest" ]; then slowest=$ms; fi
done
ok "during the flood another device's 20 measurements all got 201 (slowest ${slowest} ms)"

# The flooding address itself is at its limit.
out=$(mg_send scale1 "$(mg_body flood-over P1)" --max-time 5 --interface 127.0.0.2 \
	--resolve "localhost:$DEVICE_PORT:127.0.0.1")
case "$out" in 000*) ;; *) [ "$kept" -lt 256 ] || fail "a 257th connection from 127.0.0.2 was served: $out" ;; esac
ok "a further connection from the flooding address is refused while it holds the limit"

touch "$T/flood.stop"
wait "$FLOOD" || fail "flood client failed"
tail -n 1 "$T/flood.out"
alive "after the flood"
must_store after-flood "a device after the flood"
# The flooding address gets its slots back once its connections are gone.
for i in $(seq 1 50); do
	out=$(mg_send scale1 "$(mg_body from-2-after P1)" --max-time 5 --interface 127.0.0.2 \
		--resolve "localhost:$DEVICE_PORT:127.0.0.1")
	case "$out" in 20[01]*) break ;; esac
	sleep 0.1
done
assert_contains "$out" '201 {"id":' "127.0.0.2 after its flood closed"
ok "after the flood the daemon serves, 127.0.0.2 included"

# --- c) bodies over body_max -------------------------------------------
max=65536
mg_conf_set device body_max $max	# the default, named here
# A valid measurement padded with JSON whitespace to exactly SIZE bytes.
padded() { # mid size file
	python3 - "$1" "$2" "$3" <<'PY'
import sys
mid, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
head = ('{"id":"%s","time":"2026-11-22T10:00:00Z","patient":{"id":"P1"},'
        '"values":[{"type":"body_weight","value":72.4,"unit":"kg"}]' % mid)
body = head + " " * (size - len(head) - 1) + "}"
assert len(body) == size
open(path, "w").write(body)
PY
}
# POST a file as scale1; prints the final status, or "closed" when the
# server cut the connection before a final answer (curl then reports 000,
# or 100 after "100 Continue", and fails with 52/55/56).
post_file() { # file [curl args]
	local f=$1 code rc=0; shift
	code=$(curl -s -o "$T/answer" -w '%{http_code}' --max-time 30 --cacert "$CA" \
		--cert "$DEVCERT" --key "$DEVKEY" -H 'Content-Type: application/json' \
		--data-binary @"$f" "$@" "$DEVICE_URL/device/v1/measurements") || rc=$?
	case "$rc:$code" in
	0:*) echo "$code" ;;
	52:*|55:*|56:*) echo "closed" ;;
	*) echo "curl-exit-$rc/$code" ;;
	esac
}
mg_stop
mg_start

padded at-limit $max "$T/at-limit.json"
assert_eq 201 "$(post_file "$T/at-limit.json")" "body of exactly body_max bytes"
before=$(mg_count)
padded over-1 $((max + 1)) "$T/over.json"
assert_eq 413 "$(post_file "$T/over.json")" "body of body_max + 1 bytes"
assert_contains "$(cat "$T/answer")" "larger than the limit" "answer to body_max + 1"
padded over-2 $((max + 1)) "$T/over2.json"
code=$(post_file "$T/over2.json" -H 'Transfer-Encoding: chunked')
case "$code" in 413|closed) ;; *) fail "chunked body of body_max + 1 bytes answered $code" ;; esac
ok "body of body_max bytes stored; body_max + 1 refused ($code when chunked)"

padded big-1 $((10 * 1024 * 1024)) "$T/big.json"
# curl sends "Expect: 100-continue" with a large body; once without.
code=$(post_file "$T/big.json" -H 'Transfer-Encoding: chunked')
case "$code" in 413|closed) ;; *) fail "10 MB chunked body answered $code" ;; esac
code2=$(post_file "$T/big.json" -H 'Transfer-Encoding: chunked' -H 'Expect:')
case "$code2" in 413|closed) ;; *) fail "10 MB chunked body without Expect answered $code2" ;; esac
code3=$(post_file "$T/big.json")
case "$code3" in 413|closed) ;; *) fail "10 MB body with Content-Length answered $code3" ;; esac
alive "10 MB bodies"
assert_eq "$before" "$(mg_count)" "rows after oversized bodies"
must_store after-big "a device after oversized bodies"
ok "10 MB bodies refused (chunked: $code, chunked without Expect: $code2, with Content-Length: $code3), nothing stored, daemon serves"

# --- d) garbage on the TLS port ----------------------------------------
limits garbage --cert "$DEVCERT" --key "$DEVKEY" -n 200 --seed "$SEED" --pid "$DAEMON_PID" \
	--wait 1 --max-seconds 45 || fail "garbage input (seed $SEED)"
alive "garbage"
must_store after-garbage "a device after 200 garbage inputs"
ok "200 garbage inputs on the TLS port: daemon alive, a valid device still gets 201"

# --- e) body framing the server cannot honour ---------------------------
# RFC 9112 6.3: a request whose Transfer-Encoding does not end in chunked
# gets 400 and is closed; a coding the server does not know, 501 (6.1).
# Waiting for a body that cannot end holds the connection until the
# timeout. Checked last and reported after the clean stop.
late=""
before=$(mg_count)
req='POST /device/v1/measurements HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n'
for te in gzip 'gzip, chunked'; do
	got=$(limits request --cert "$DEVCERT" --key "$DEVKEY" --wait 3 \
		--data "${req}Transfer-Encoding: $te\r\n\r\n0\r\n\r\n")
	case "$got" in
	400\ *|501\ *) ok "Transfer-Encoding: $te refused: $got s" ;;
	*) late="$late; Transfer-Encoding: $te answered '$got' (want 400 or 501 at once)" ;;
	esac
done
alive "framing"
assert_eq "$before" "$(mg_count)" "rows after unsupported transfer codings"

mg_stop
ok "clean stop"
[ -z "$late" ] || fail "${late#; }"
