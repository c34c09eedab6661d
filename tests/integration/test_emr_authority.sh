#!/usr/bin/env bash
# [emr.NAME] patient_id_authority reaches PID-3.4 of the ORU^R01 medgate
# sends (docs/hl7.md); without it PID-3 carries no authority. The receiver
# is a small MLLP server (plain TCP on loopback) that answers AA.
. "$(dirname "$0")/lib.sh"

RECV_PORT=$(free_port)
python3 - "$RECV_PORT" "$T/received" <<'PY' &
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(4)
while True:
    conn, _ = srv.accept()
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            break
        buf += data
        while b"\x1c\r" in buf:
            frame, buf = buf.split(b"\x1c\r", 1)
            msg = frame.lstrip(b"\x0b").decode()
            with open(out, "a") as f:
                f.write(msg.replace("\r", "\n") + "\n--\n")
            msh = msg.split("\r")[0].split("|")
            ack = "MSH|^~\\&|EMR||MEDGATE||20260101000000||ACK^R01^ACK|A1|P|2.6\rMSA|AA|%s\r" % msh[9]
            conn.sendall(b"\x0b" + ack.encode() + b"\x1c\r")
    conn.close()
PY
MG_BACKGROUND+=("$!")

mg_init
cat >> "$CONF" <<CONF

[emr.hosp]
protocol = hl7-mllp
address = 127.0.0.1:$RECV_PORT
tls = off
patient_id_authority = HOSP&MRN
CONF
mg_start
mg_enrol scale
assert_eq "201" "$(mg_send scale "$(mg_body m-1 P-1001)" | cut -d' ' -f1)" "measurement"
for _ in $(seq 1 100); do [ -s "$T/received" ] && break; sleep 0.1; done
[ -s "$T/received" ] || fail "the receiver got no message"
pid=$(grep '^PID|' "$T/received" | head -1)
assert_eq 'PID|||P-1001^^^HOSP\T\MRN^MR||^^^^^^U' "$pid" "PID with the configured authority (escaped)"
mg_stop
ok "patient_id_authority is sent as PID-3.4, escaped"

mg_conf_set emr.hosp patient_id_authority ""
: > "$T/received"
mg_start
assert_eq "201" "$(mg_send scale "$(mg_body m-2 P-1002)" | cut -d' ' -f1)" "measurement"
for _ in $(seq 1 100); do [ -s "$T/received" ] && break; sleep 0.1; done
assert_eq 'PID|||P-1002^^^^MR||^^^^^^U' "$(grep '^PID|' "$T/received" | head -1)" "PID without authority"
mg_stop
ok "an empty patient_id_authority sends none"
