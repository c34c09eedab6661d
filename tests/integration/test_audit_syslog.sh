#!/usr/bin/env bash
# The audit trail goes to a real rsyslog over TLS (RFC 5425), as RFC 5424
# messages carrying DICOM audit messages (IHE ATNA):
#
#  1. A failed and a successful sign-in, a user created, a clinician's read
#     of a patient: each arrives with the right PRI and MSGID, and its XML
#     parses (python's xml.etree) with the right EventID; the patient is
#     only "patient:<row id>".
#  2. rsyslog stopped: the daemon logs that the collector is gone, actions
#     go on; rsyslog back on the same port: every seq from 1 to the head
#     arrives (a seq seen twice carries the same hash: the documented
#     at-least-once), the daemon logs that it caught up, `audit status`
#     shows no backlog.
#  3. `audit export --format syslog|atna` writes what the exporter sends.
#  4. A wrong [syslog] ca: nothing reaches rsyslog, the daemon says why,
#     the backlog grows.
#  5. No patient id of the test data in anything rsyslog received, in the
#     exports, or in medgated's log.
#
# Needs MG_BIN, rsyslogd with its gtls driver (rsyslog-gnutls), openssl,
# python3, curl.
. "$(dirname "$0")/lib.sh"

PATIENT=SYSLOG-PAT-4711
PATIENT2=SYSLOG-PAT-0815

. "$(dirname "$0")/rsyslog.sh"
pki_ca other-ca

# ---- the gateway, pointing at the collector ----
mg_init
mg_conf_set syslog address "127.0.0.1:$SYSLOG_PORT"
mg_conf_set syslog ca "$PKI/syslog-ca.pem"
printf 'Tq7-vortex-lantern-88\n' >"$T/pw"
mg_ctl user add doc.s --role clinician --tenant default --password-file "$T/pw" >/dev/null
rsyslog_start
mg_start
mg_enrol scale1
assert_contains "$(mg_send scale1 "$(mg_body m-1 "$PATIENT")")" "201 " "measurement"
assert_contains "$(mg_send scale1 "$(mg_body m-2 "$PATIENT2")")" "201 " "measurement"

W=https://localhost:$WEB_PORT
login() { # user password jar
	curl -s --max-time 20 -c "$3" -o "$T/body" -w '%{http_code}' --cacert "$CA" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$1\",\"password\":\"$2\"}" "$W/api/v1/session"
}
read_patient() { # patient
	curl -s --max-time 20 -b "$T/jar" --cacert "$CA" -o /dev/null -w '%{http_code}' \
		"$W/api/v1/patients/$1/measurements"
}
assert_eq 401 "$(login doc.s wrong-password-123 "$T/jar0")" "wrong password"
assert_eq 200 "$(login doc.s Tq7-vortex-lantern-88 "$T/jar")" "sign-in"
# An account made by an operator changes its password before anything else.
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$T/body")
curl -s --max-time 20 -b "$T/jar" -c "$T/jar" --cacert "$CA" -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $csrf" --data-binary '{"old":"Tq7-vortex-lantern-88","new":"Harbour-quilt-meadow-417"}' \
	-o /dev/null "$W/api/v1/session/password"
assert_eq 200 "$(read_patient "$PATIENT")" "patient read"

# ---- 1. the messages as rsyslog received them ----
wait_received 30 '{"login.failure", "login.success", "user.create", "patient.read"} <= msgids' \
	"the four actions did not reach rsyslog"
python3 - "$RECEIVED" <<'PY' || fail "messages are not RFC 5424 with ATNA XML as expected"
import re, sys, xml.etree.ElementTree as ET
RFC5424 = re.compile(r'^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S{1,255}) medgate (\d+) '
                     r'(\S{1,32}) \[medgate@32473 seq="(\d+)" hash="([0-9a-f]{64})"\]'
                     r'\[origin software="medgate" swVersion="[^"]+"\] \ufeff(<\?xml .*</AuditMessage>)$')
want = {  # MSGID: (PRI authpriv.*, EventID, EventActionCode, outcome)
    "login.failure": (85, "110114", "E", "4"),
    "login.success": (86, "110114", "E", "0"),
    "user.create": (86, "110113", "C", "0"),
    "password.change": (86, "110113", "U", "0"),
    "patient.read": (86, "110110", "R", "0"),
    "daemon.start": (86, "110100", "E", "0"),
}
seen = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    m = RFC5424.match(line)
    assert m, "not RFC 5424 as sent: " + line[:200]
    pri, msgid, xml = int(m.group(1)), m.group(5), m.group(8)
    doc = ET.fromstring(xml.encode("utf-8"))
    assert doc.tag == "AuditMessage"
    ev = doc.find("EventIdentification")
    types = [t.get("csd-code") for t in ev.findall("EventTypeCode")]
    assert msgid in types, (msgid, types)
    if msgid in want:
        p, event_id, action, outcome = want[msgid]
        assert pri == p, (msgid, pri)
        assert ev.find("EventID").get("csd-code") == event_id, (msgid, ET.tostring(ev))
        assert ev.find("EventID").get("codeSystemName") == "DCM"
        assert ev.get("EventActionCode") == action, (msgid, ev.get("EventActionCode"))
        assert ev.get("EventOutcomeIndicator") == outcome, (msgid, ev.get("EventOutcomeIndicator"))
        seen[msgid] = doc
    assert doc.find("AuditSourceIdentification").get("AuditSourceID") == m.group(3)
assert set(want) <= set(seen), set(want) - set(seen)
read = seen["patient.read"]
ap = read.find("ActiveParticipant")
assert ap.get("UserID") == "doc.s" and ap.get("NetworkAccessPointTypeCode") == "2", ap.attrib
assert [r.get("csd-code") for r in ap.findall("RoleIDCode")] == ["clinician"], ET.tostring(read)
obj = read.find("ParticipantObjectIdentification")
assert re.fullmatch(r"patient:\d+", obj.get("ParticipantObjectID")), obj.attrib
assert obj.get("ParticipantObjectTypeCode") == "1" and obj.get("ParticipantObjectTypeCodeRole") == "1"
# A failed sign-in: nobody signed in yet, the account tried is the object.
failure = seen["login.failure"]
assert failure.find("ActiveParticipant").get("UserID") == "anonymous"
assert re.fullmatch(r"user:\d+", failure.find("ParticipantObjectIdentification").get("ParticipantObjectID"))
PY
ok "sign-in failure and success, user created, patient read and start arrive as RFC 5424 + ATNA over TLS"

# ---- 2. the collector goes away, the trail goes on, nothing is lost ----
rsyslog_stop
LOG=$INST/log/medgated.log
for _ in $(seq 1 80); do grep -q "audit export: syslog collector .* unreachable" "$LOG" && break; sleep 0.25; done
grep -q "audit export: syslog collector 127.0.0.1:$SYSLOG_PORT unreachable" "$LOG" ||
	fail "the daemon did not log that the collector went away"
assert_eq 401 "$(login doc.s another-wrong-pass "$T/jar1")" "wrong password while the collector is down"
assert_eq 200 "$(read_patient "$PATIENT2")" "patient read while the collector is down"
mg_ctl user add doc.t --role clinician --tenant default --password-file "$T/pw" >/dev/null
backlog=$(mg_ctl audit status | sed -n 's/^backlog: //p')
[ "$backlog" -ge 3 ] || fail "backlog while the collector is down: $backlog"
ok "collector down: the daemon says so, $backlog records wait in the store"

rsyslog_start
head=$(mg_ctl audit status | sed -n 's/^head seq: //p')
wait_received 60 "set(range(1, $head + 1)) <= seqs" "not every seq from 1 to $head arrived after the restart"
python3 - "$RECEIVED" <<'PY' || fail "a seq arrived twice with different content"
import re, sys
hashes = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.search(r'seq="(\d+)" hash="([0-9a-f]{64})"', line)
    assert hashes.setdefault(m.group(1), m.group(2)) == m.group(2), m.group(1)
PY
for _ in $(seq 1 40); do grep -q "audit export: caught up" "$LOG" && [ "$(grep -c "reachable again" "$LOG")" -ge 1 ] && break; sleep 0.25; done
grep -q "syslog collector 127.0.0.1:$SYSLOG_PORT reachable again" "$LOG" || fail "no 'reachable again' in the log"
for _ in $(seq 1 40); do [ "$(mg_ctl audit status | sed -n 's/^backlog: //p')" = 0 ] && break; sleep 0.25; done
assert_eq 0 "$(mg_ctl audit status | sed -n 's/^backlog: //p')" "backlog after catching up"
ok "collector back: every seq 1..$head arrived (repeats carry the same hash), backlog 0"

# ---- 3. the CLI writes what the exporter sends ----
mg_ctl audit export --since 2000-01-01T00:00:00Z --format syslog >"$T/export.syslog" 2>/dev/null
mg_ctl audit export --since 2000-01-01T00:00:00Z --format atna >"$T/export.atna" 2>/dev/null
if mg_ctl audit export --since 2000-01-01T00:00:00Z --format xml >/dev/null 2>"$T/bad-format"; then
	fail "an unknown --format was accepted"
fi
assert_contains "$(cat "$T/bad-format")" "--format is jsonl, json, syslog or atna" "bad --format"
python3 - "$RECEIVED" "$T/export.syslog" "$T/export.atna" <<'PY' || fail "exports differ from what was sent"
import re, sys, xml.etree.ElementTree as ET
def body(line):  # the message after PROCID: MSGID, structured data, XML
    return re.sub(r"^<\d+>1 \S+ \S+ medgate \d+ ", "", line.rstrip("\n"))
sent = {}
for line in open(sys.argv[1], encoding="utf-8"):
    sent[re.search(r'seq="(\d+)"', line).group(1)] = body(line)
exported = [l for l in open(sys.argv[2], encoding="utf-8")]
seqs = [int(re.search(r'seq="(\d+)"', l).group(1)) for l in exported]
assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 10, seqs
for seq, line in zip(seqs, exported):
    if str(seq) in sent:
        assert body(line) == sent[str(seq)], seq
docs = [ET.fromstring(l.encode("utf-8")) for l in open(sys.argv[3], encoding="utf-8")]
# the atna export came second: one more record, its own audit.export
assert len(docs) == len(exported) + 1 and all(d.tag == "AuditMessage" for d in docs)
PY
ok "audit export --format syslog matches what rsyslog received; --format atna parses"

# ---- 4. a collector certificate not from [syslog] ca: nothing is sent ----
mg_stop
mg_conf_set syslog ca "$PKI/other-ca.pem"
before=$(wc -l <"$RECEIVED")
mg_start
assert_eq 401 "$(login doc.s yet-another-wrong "$T/jar2")" "wrong password with the wrong CA"
for _ in $(seq 1 80); do grep -q "certificate not trusted" "$LOG" && break; sleep 0.25; done
grep -q "audit export: syslog collector 127.0.0.1:$SYSLOG_PORT unreachable: certificate not trusted" "$LOG" ||
	fail "the daemon did not say why the collector is refused: $(grep 'audit export' "$LOG" | tail -3)"
sleep 2
assert_eq "$before" "$(wc -l <"$RECEIVED")" "lines rsyslog received with the wrong CA"
backlog=$(mg_ctl audit status | sed -n 's/^backlog: //p')
[ "$backlog" -ge 2 ] || fail "backlog with the wrong CA: $backlog"
mg_stop
ok "wrong CA: nothing sent, the log says the certificate is not trusted, $backlog records wait"

# ---- 5. no patient id anywhere ----
for f in "$RECEIVED" "$T/export.syslog" "$T/export.atna" "$LOG" "$RS/rsyslog.out"; do
	if grep -qi -e "$PATIENT" -e "$PATIENT2" "$f"; then fail "a patient id in $f"; fi
done
ok "no patient id in what rsyslog received, the exports or the logs"
rsyslog_stop
