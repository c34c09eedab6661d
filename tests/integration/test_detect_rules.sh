#!/usr/bin/env bash
# The detection rules the attack test does not reach, on the real daemon
# with short thresholds: an administrator signing in from a new address
# and acting outside the configured hours, a device that stays silent, an
# EMR queue older than its limit, and an audit trail altered behind the
# daemon's back (found by the periodic verification, a critical alert).
# Each raises exactly its alert.
. "$(dirname "$0")/lib.sh"
: "${MG_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
TOOLS=$MG_SOURCE_DIR/tests/integration/tools

mg_init
# Admin hours that exclude the present minute (local time, as the daemon).
hours=$(python3 -c 'import time; t = time.localtime(time.time() + 3600); print("%02d:00-%02d:00" % (t.tm_hour, (t.tm_hour + 1) % 24))')
mg_conf_set detect admin_hours "$hours"
mg_conf_set detect scan_interval 1
mg_conf_set detect device_silent 3
mg_conf_set detect emr_queue_age 2
mg_conf_set detect audit_verify_interval 1
# An EMR destination that is switched off: its queue only grows.
printf '\n[emr.records]\nprotocol = hl7-mllp\naddress = 127.0.0.1:9\ntls = off\nenabled = off\n' >> "$CONF"
mg_start

dc() { python3 "$TOOLS/detect_client.py" "$1" --port "$WEB_PORT" --ca "$CA" --state "$T/st.json" \
	"${@:2}"; }
# The admin's first sign-in (address 127.0.0.1) is its first address: no
# alert for that, but it acts outside the hours.
dc setup --password-file "$T/admin-password"
EXPECT=("activity.off_hours user:1")
dc alerts --expect "${EXPECT[@]}"

# A device enrolled and then silent; a measurement queued for the EMR.
mg_enrol scale-q
assert_contains "$(mg_send scale-q "$(mg_body q-1 PAT-RULES-1)")" "201 " "measurement"
did=$(mg_ctl device list | awk '$NF == "scale-q" { print $1 }')
EXPECT+=("device.silent device:$did" "emr.queue_age emr:records")
dc alerts --expect "${EXPECT[@]}" --timeout 20

# The admin signs in from another address: a new address for an admin.
TOOLS="$TOOLS" python3 - "$WEB_PORT" "$CA" "$T/st.json" <<'PY' || fail "sign-in from 127.0.0.3"
import json, os, sys
sys.path.insert(0, os.environ["TOOLS"])
from mgapi import Api, Session
port, ca, state = sys.argv[1:]
pw = json.load(open(state))["password"]
Session(Api(port, ca, source="127.0.0.3"), "admin", pw).login()
PY
EXPECT+=("login.new_address user:1")
dc alerts --expect "${EXPECT[@]}"

# Someone edits the audit trail in the database: the next verification
# raises a critical alert naming the first bad record.
mg_sql "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2" > /dev/null
EXPECT+=("audit.chain audit")
dc alerts --expect "${EXPECT[@]}" --out "$T/alerts.json" --timeout 20
python3 - "$T/alerts.json" <<'PY' || fail "audit.chain alert"
import json, sys
a = {x["kind"]: x for x in json.load(open(sys.argv[1]))}["audit.chain"]
assert a["severity"] == "critical", a
assert "record 2" in a["summary"], a["summary"]
PY
ok "the altered trail raised a critical alert naming record 2"

mg_stop
ok "new address, off-hours activity, silent device, stale EMR queue and a broken chain each raised their alert"
