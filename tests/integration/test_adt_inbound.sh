#!/usr/bin/env bash
# The hospital's HL7 ADT feed on the MLLP/TLS port of the real daemon,
# sent by the npm package simple-hl7 (tools/adt_client.js): A01 creates
# a patient over one a device measured first, A08 changes it, A40 merges
# a prior id into it (its measurements move, the merge is audited), A03
# discharges; a bad message is AR naming the problem, ADT from a device
# not named in [patients] adt_senders is AR, and AA means durable (the
# daemon killed right after still has it). Clinicians see the result
# through the API (tools/mgapi.py).
. "$(dirname "$0")/lib.sh"

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
mg_simple_hl7

mg_init
mg_conf_set mllp enabled on
mg_conf_set patients adt_senders "his-engine"
printf 'Tq7-vortex-lantern-88\n' > "$T/pw"
mg_ctl user add doc.h --role clinician --tenant default --password-file "$T/pw" >/dev/null
mg_start
mg_enrol his-engine
mg_enrol scale1

adt() { # sender json
	printf '%s' "$2" > "$T/msgs.json"
	timeout 60 node "$TOOLS/adt_client.js" "$SIMPLE_HL7" "$MLLP_PORT" "$CA" \
		"$T/dev/$1/cert.pem" "$T/dev/$1/key.pem" "$T/msgs.json"
}
api() { # step: python on mgapi with a signed-in clinician as s
	python3 - "$WEB_PORT" "$CA" "$1" <<'PY'
import os, sys, urllib.parse
sys.path.insert(0, os.environ["TOOLS"])
from mgapi import Api, Session, check, ok, main_guard
port, ca, code = sys.argv[1:4]
api = Api(port, ca)
def signed_in():
    if api.login("doc.h", "Harbour-quilt-meadow-417").status == 200:
        return Session(api, "doc.h", "Harbour-quilt-meadow-417").login()
    s = Session(api, "doc.h", "Tq7-vortex-lantern-88").login()
    s.change_password("Harbour-quilt-meadow-417")
    return s
s = signed_in()
q = lambda pid, rest="": "/api/v1/patients/" + urllib.parse.quote(pid, safe="") + rest
main_guard(lambda: exec(code, {"s": s, "q": q, "check": check, "ok": ok}))
PY
}
export TOOLS
body() { printf '{"id":"%s","time":"2026-11-2%sT08:00:00Z","patient":{"id":"%s"},"values":[{"type":"body_weight","value":%s,"unit":"kg"}]}' "$@"; }
assert_contains "$(mg_send scale1 "$(body o-1 0 OLD-77 80)")" "201 " "measurement o-1"
assert_contains "$(mg_send scale1 "$(body o-2 1 OLD-77 81)")" "201 " "measurement o-2"
assert_contains "$(mg_send scale1 "$(body n-1 2 MRN/77 82)")" "201 " "measurement n-1"

# A01: admit; the device's patient MRN/77 gets its identity.
out=$(adt his-engine '[{"event":"A01","mid":"ADT-1","pid":"MRN/77","family":"Schäfer","given":"Jonas","birth":"19580412","sex":"M","ward":"INT-3","visit":"V-900"}]')
assert_eq "ACK ADT-1 AA ADT-1 -" "$out" "A01"
# AA means durable: killed at once, the identity is still there.
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
mg_start
api 's_ = s.call("GET", q("MRN/77"))
check(s_.status == 200 and s_.json["identity"]["family_name"] == "Schäfer"
      and s_.json["identity"]["birth_date"] == "1958-04-12" and s_.json["identity"]["sex"] == "male"
      and s_.json["identity"]["ward"] == "INT-3" and s_.json["identity"]["case_number"] == "V-900"
      and s_.json["discharged"] is None, "after A01: %r" % s_)
ok("A01 from simple-hl7: AA, and after kill -9 the identity is there (name, birth date, sex, ward, case)")' || fail "A01"

# A08 in ISO 8859-1 (MSH-18 8859/1, as many feeds send), A40 merging
# OLD-77 into MRN/77 (no PV1: the ward stays), A03 discharge: one
# connection, stop-and-wait.
out=$(adt his-engine '[{"event":"A08","mid":"ADT-2","pid":"MRN/77","family":"Schäfer-Berg","given":"Jonas","birth":"19580412","sex":"M","ward":"Süd-4","charset":"latin1"},
 {"event":"A40","mid":"ADT-3","pid":"MRN/77","family":"Schäfer-Berg","given":"Jonas","prior":"OLD-77"},
 {"event":"A03","mid":"ADT-4","pid":"MRN/77","family":"Schäfer-Berg","given":"Jonas","birth":"19580412","sex":"M","ward":"Süd-4","discharged":"202611281030+0100"}]')
assert_eq "ACK ADT-2 AA ADT-2 -
ACK ADT-3 AA ADT-3 -
ACK ADT-4 AA ADT-4 -" "$out" "A08, A40, A03"
api 'a = s.call("GET", q("MRN/77"))
i = a.json["identity"]
check(i["family_name"] == "Schäfer-Berg" and i["ward"] == "Süd-4" and i["birth_date"] == "1958-04-12"
      and i["sex"] == "male" and i["case_number"] == "V-900", "identity after A08, A40, A03: %r" % a)
check(a.json["discharged"] == "2026-11-28T09:30:00.000Z", "A03: %r" % a)
found = s.call("GET", "/api/v1/patients?q=schaefer+berg")
check([p["id"] for p in found.json["patients"]] == ["MRN/77"], "search: %r" % found)
m = s.call("GET", q("MRN/77", "/measurements"))
check(m.status == 200 and len(m.json["measurements"]) == 3, "after A40: %r" % m)
b = s.call("GET", q("OLD-77", "/measurements"))
check(b.status == 200 and b.json["record"]["id"] == "MRN/77" and len(b.json["measurements"]) == 3,
      "the prior id finds the survivor: %r" % b)
ok("A08 in ISO 8859-1 read as UTF-8, found by \"schaefer berg\"; fields a message leaves empty keep their value")
ok("A40 moved the 2 measurements of the prior id to the surviving patient (3 in all); the prior id finds it")
ok("A03 discharged at PV1-45")' || fail "A08, A40, A03"
merges=$(mg_sql "SELECT count(*) FROM audit_log WHERE action = 'patient.merge' AND details LIKE '%2 measurements moved%'")
assert_eq 1 "$merges" "patient.merge in the audit trail"
mg_ctl audit verify >/dev/null || fail "audit trail does not verify"
ok "the merge is in the audit trail, which verifies"

# Bad messages: AR naming the problem, nothing stored.
before=$(mg_sql "SELECT count(*) FROM patient_identities")
out=$(adt his-engine '[{"event":"A01","mid":"BAD-1","pid":"MRN-5","given":"X"},
 {"event":"A02","mid":"BAD-2","pid":"MRN-5","family":"X"},
 {"event":"A01","mid":"BAD-3","pid":"MRN 5","family":"X"},
 {"event":"A01","mid":"BAD-4","pid":"MRN-5","family":"X","birth":"20190230"},
 {"event":"A01","mid":"BAD-5","pid":"MRN-5","family":"X","sex":"Q"},
 {"event":"A40","mid":"BAD-6","pid":"MRN-5","family":"X"},
 {"event":"A01","mid":"BAD-7","noPid":true}]')
assert_eq "ACK BAD-1 AR BAD-1 101
ACK BAD-2 AR BAD-2 201
ACK BAD-3 AR BAD-3 102
ACK BAD-4 AR BAD-4 102
ACK BAD-5 AR BAD-5 103
ACK BAD-6 AR BAD-6 101
ACK BAD-7 AR BAD-7 100" "$out" "bad messages"
out=$(adt scale1 '[{"event":"A01","mid":"NOT-1","pid":"MRN-6","family":"Y"}]')
assert_eq "ACK NOT-1 AR NOT-1 200" "$out" "ADT from a scale"
assert_eq "$before" "$(mg_sql "SELECT count(*) FROM patient_identities")" "identities after refusals"
ok "AR naming the problem (101 no family name or MRG-1, 201 event, 102 id or birth date, 103 sex, 100 no PID); ADT from a device not in adt_senders AR 200; nothing stored"

mg_stop
for needle in Schäfer Schaefer 1958-04-12 19580412 Jonas; do
	if grep -a -q -- "$needle" "$INST/log/medgated.log"; then fail "$needle in the log"; fi
done
ok "no name or birth date in the log"
