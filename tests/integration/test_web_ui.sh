#!/usr/bin/env bash
# The web interface on the real daemon: first its files over HTTPS with
# curl (security headers, content types, ETag revalidation, unknown paths,
# traversal attempts), then in a real browser — Debian's chromium driven
# by playwright-core (tools/web_ui.js): sign-in with and without TOTP
# (codes from otplib), the lockout message, an administrator creating an
# account that then signs in, a clinician finding a patient and its charts
# (reference bands, axis titles, points reached by keyboard, a single
# point), the measurements one row per visit, newest first and paged, on
# a tablet without sideways scrolling, the report for the patient file
# (printed to PDF and checked with pdftotext: identity on every page,
# "Page x of y", no small print; as FHIR; and by medgatectl report),
# recording who the patient is (two identifiers on the page), creating a
# child whose BMI gets the WHO BMI-for-age class and never an adult one,
# moving a measurement taken for the wrong patient (a reason required),
# assigning one that came without patient, the implausible-jump warning and
# the ward list (desktop and tablet),
# a clinician kept out of an admin page and its API, the idle timeout,
# axe-core on every page, and no Content-Security-Policy violation.
# Screenshots and the printed patient report land in
# $MG_BIN/test-output/web/.
#
# Needs node, npm and /usr/bin/chromium; playwright-core, axe-core and
# otplib are installed once into $MG_BIN/test-node (the npm registry is
# the only network use).
. "$(dirname "$0")/lib.sh"
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)

PLAYWRIGHT_VERSION=1.65.1
AXE_VERSION=4.14.1
OTPLIB_VERSION=12.0.1
NODE_DIR=$MG_BIN/test-node/web-ui-$PLAYWRIGHT_VERSION-$AXE_VERSION-$OTPLIB_VERSION
MODULES=$NODE_DIR/node_modules
OUT=$MG_BIN/test-output/web
IDLE_TIMEOUT=12
LOCKOUT_THRESHOLD=3

for tool in node npm /usr/bin/chromium; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
have_all() {
	[ -f "$MODULES/playwright-core/package.json" ] && [ -f "$MODULES/axe-core/axe.min.js" ] &&
		[ -f "$MODULES/otplib/package.json" ]
}
mkdir -p "$NODE_DIR"
(
	flock -w 300 9 || fail "waited too long for $NODE_DIR.lock"
	if ! have_all; then
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			"playwright-core@$PLAYWRIGHT_VERSION" "axe-core@$AXE_VERSION" "otplib@$OTPLIB_VERSION" \
			>"$T/npm.log" 2>&1 || { cat "$T/npm.log"; fail "npm install"; }
	fi
) 9>"$NODE_DIR.lock"
have_all || fail "npm did not install playwright-core, axe-core and otplib"
for pkg in "playwright-core $PLAYWRIGHT_VERSION" "axe-core $AXE_VERSION" "otplib $OTPLIB_VERSION"; do
	set -- $pkg
	got=$(node -p "require('$MODULES/$1/package.json').version")
	assert_eq "$2" "$got" "$1 version"
done
ok "playwright-core $PLAYWRIGHT_VERSION, axe-core $AXE_VERSION, otplib $OTPLIB_VERSION"

mg_init
mg_conf_set access lockout_threshold "$LOCKOUT_THRESHOLD"
mg_conf_set access lockout_seconds 300
mg_conf_set detect login_failures_account "$LOCKOUT_THRESHOLD"
mg_conf_set report facility "St. Elsewhere Hospital, internal medicine"
# A FHIR destination (off: nothing is sent) names the systems of the
# report's FHIR download.
printf '\n[emr.ehr]\nprotocol = fhir\nurl = https://127.0.0.1:9/fhir\nenabled = off\npatient_system = https://hospital.example/mrn\n' >> "$CONF"
mg_start
BASE=https://localhost:$WEB_PORT

# ---- the files, over HTTPS ----
get() { # path [curl args]: prints the status; headers in $T/h, body in $T/b
	local p=$1; shift
	curl -s --path-as-is --cacert "$CA" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$BASE$p"
}
header() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

assert_eq 200 "$(get /)" "GET /"
assert_eq "text/html; charset=utf-8" "$(header Content-Type)" "type of /"
assert_contains "$(cat "$T/b")" '<script type="module" src="/js/app.js">' "index.html"
assert_eq "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" \
	"$(header Content-Security-Policy)" "CSP of /"
assert_eq nosniff "$(header X-Content-Type-Options)" "nosniff"
assert_eq no-referrer "$(header Referrer-Policy)" "Referrer-Policy"
assert_contains "$(header Strict-Transport-Security)" "max-age=" "HSTS"
assert_eq DENY "$(header X-Frame-Options)" "X-Frame-Options"
assert_eq no-cache "$(header Cache-Control)" "Cache-Control of an asset"
etag=$(header ETag)
[[ $etag =~ ^\"[0-9a-f]{32}\"$ ]] || fail "ETag of / is '$etag'"
assert_eq 304 "$(get / -H "If-None-Match: $etag")" "revalidation with the ETag"
assert_eq 200 "$(get / -H 'If-None-Match: "0000"')" "a stale ETag"
ok "/ is index.html with the security headers, an ETag and 304 on revalidation"

assert_eq 200 "$(get /js/app.js)" "GET /js/app.js"
assert_eq "text/javascript; charset=utf-8" "$(header Content-Type)" "type of app.js"
assert_eq 200 "$(get /css/app.css)" "GET /css/app.css"
assert_eq "text/css; charset=utf-8" "$(header Content-Type)" "type of app.css"
assert_eq 200 "$(get /favicon.svg)" "GET /favicon.svg"
assert_eq "image/svg+xml" "$(header Content-Type)" "type of favicon.svg"
for p in /nope.js /index.htm /js/ /js /../etc/passwd /js/../../etc/passwd /%2e%2e/etc/passwd \
	/js/%2e%2e/index.html "/index.html%00.js" /.git/config /CMakeLists.txt; do
	code=$(get "$p")
	assert_eq 404 "$code" "GET $p"
	assert_contains "$(header Content-Security-Policy)" "default-src 'self'" "CSP on the 404 of $p"
done
ok "unknown paths and traversal attempts answer 404, with the security headers"
assert_eq 405 "$(get / -X POST -H 'Content-Type: text/plain' --data x)" "POST /"
assert_eq 405 "$(get /js/app.js -X DELETE)" "DELETE /js/app.js"
assert_eq 200 "$(get /api/v1/health)" "GET /api/v1/health"
assert_eq no-store "$(header Cache-Control)" "Cache-Control of the API"
ok "other methods answer 405; API answers stay no-store"

# ---- accounts, a device and a patient's measurements ----
echo "Tq7-vortex-lantern-88" > "$T/pw0"
add() { mg_ctl user add "$@" --password-file "$T/pw0" > /dev/null; }
add locky --role clinician --tenant default
add clin --role clinician --tenant default
add tenants --role tenant-admin
add devices --role device-admin
add secoff --role security-officer
add svc --role service
# As if an administrator had reset locky's password: its membership waits
# for the tenant administrator's confirmation on the tenants page.
mg_sql "UPDATE user_tenants SET suspended = 1 WHERE user_id = (SELECT id FROM users WHERE name = 'locky')"
ok "accounts made with medgatectl"

mg_enrol scale-1
weights=(92.4 91.6 90.9 90.1 89.3 88.6)
fats=(31.5 31.1 30.8 30.2 29.9 29.4)
for i in "${!weights[@]}"; do
	body=$(printf '{"id":"w-%d","time":"2026-11-%02dT07:30:00Z","patient":{"id":"P-1001"},"values":[{"type":"body_weight","value":%s,"unit":"kg"},{"type":"body_height","value":180.0,"unit":"cm"},{"type":"body_fat","value":%s,"unit":"%%"}]}' \
		"$i" $((10 + i)) "${weights[$i]}" "${fats[$i]}")
	answer=$(mg_send scale-1 "$body")
	[ "${answer%% *}" = 201 ] || fail "measurement $i: $answer"
done
# Blood pressure and pulse, a separate device message: with each weighing
# (two minutes later: one row per visit) and on each evening alone, so the
# page groups 6 visits and pages through 12 times of measurement.
for i in "${!weights[@]}"; do
	for at in "07:32" "19:00"; do
		body=$(printf '{"id":"bp-%d-%s","time":"2026-11-%02dT%s:00Z","patient":{"id":"P-1001"},"values":[{"type":"bp_systolic","value":%d,"unit":"mm[Hg]"},{"type":"bp_diastolic","value":%d,"unit":"mm[Hg]"},{"type":"pulse_rate","value":%d,"unit":"/min"}]}' \
			"$i" "${at%:*}" $((10 + i)) "$at" $((128 + 3 * i)) $((82 + i)) $((64 + i)))
		answer=$(mg_send scale-1 "$body")
		[ "${answer%% *}" = 201 ] || fail "blood pressure $i $at: $answer"
	done
done
ok "${#weights[@]} weighings and $((2 * ${#weights[@]})) blood pressures of patient P-1001 stored"
# A 7-year-old (22 kg, 122 cm: normal for her age, "severe thinness" by the
# adult classes), whose identity the clinician records in the browser.
for i in 0 1; do
	body=$(printf '{"id":"k-%d","time":"2026-11-%02dT08:00:00Z","patient":{"id":"KIND/2002"},"values":[{"type":"body_weight","value":%s,"unit":"kg"},{"type":"body_height","value":%s,"unit":"cm"}]}' \
		"$i" $((15 + 7 * i)) "$((21 + i))" "$((121 + i))")
	answer=$(mg_send scale-1 "$body")
	[ "${answer%% *}" = 201 ] || fail "child measurement $i: $answer"
done
# One blood pressure only: a chart of a single point.
answer=$(mg_send scale-1 '{"id":"k-bp","time":"2026-11-22T08:03:00Z","patient":{"id":"KIND/2002"},"values":[{"type":"bp_systolic","value":102,"unit":"mm[Hg]"},{"type":"bp_diastolic","value":64,"unit":"mm[Hg]"}]}')
[ "${answer%% *}" = 201 ] || fail "child blood pressure: $answer"
ok "3 measurements of a child KIND/2002 stored"
answer=$(mg_send scale-1 '{"id":"n-1","time":"2026-11-22T09:00:00Z","values":[{"type":"body_weight","value":79.5,"unit":"kg"}]}')
[ "${answer%% *}" = 201 ] || fail "measurement without patient: $answer"
ok "a measurement without patient stored, for the assignment queue"

python3 - "$T/state.json" "$BASE" "$(cat "$T/admin-password")" "$IDLE_TIMEOUT" "$LOCKOUT_THRESHOLD" \
	"${weights[@]}" <<'PY'
import json, sys
path, base, admin_pw, idle, lockout, *weights = sys.argv[1:]
users = ["locky", "clin", "tenants", "devices", "nurse.new", "secoff", "svc"]
pw = {u: "Tq7-vortex-lantern-88" for u in users}
pw["admin"] = admin_pw
words = ["heron", "quartz", "tundra", "saffron", "glacier", "meadow", "cobalt", "willow"]
new = {u: f"Kp4-marble-{words[i]}-orbit-93" for i, u in enumerate(users + ["admin"])}
bmi = float(weights[-1]) / 1.8 ** 2
json.dump({"base": base, "passwords": pw, "new_passwords": new, "patient": "P-1001",
           "weights": [float(w) for w in weights], "idle_timeout": int(idle),
           "lockout_threshold": int(lockout),
           "expected_category": "adult_pre_obese" if 25 <= bmi < 30 else "unexpected",
           "child": "KIND/2002"},
          open(path, "w"))
PY

# ---- the browser ----
rm -rf "$OUT"
mkdir -p "$OUT"
start=$SECONDS
timeout 240 node "$TOOLS/web_ui.js" "$MODULES" "$T/state.json" "$OUT" main || fail "browser scenarios"
mg_alive || fail "medgated died during the browser scenarios"

# The report as chromium printed it to PDF: A4, the facility, both
# identifiers, "Page 1 of N" in the footer, the chart text as text (axis
# titles, band names), every row; a PNG of each page for a reader's eye.
pdf=$OUT/patient-report.pdf
pdfinfo "$pdf" | grep -q "Page size:.*(A4)" || fail "the report is not A4: $(pdfinfo "$pdf" | grep 'Page size')"
pages=$(pdfinfo "$pdf" | sed -n 's/^Pages: *//p')
pdftotext -layout "$pdf" - | tr -s "\n " "  " > "$T/report.txt"
for text in "St. Elsewhere Hospital, internal medicine" "Measurement report" "Berger, Paul" "P-1001" \
	"Page 1 of $pages" "Page $pages of $pages" "Weight (kg)" "Systolic (mmHg)" "Optimal" \
	"Grade 1" "Signature" "blood pressure to be rechecked" "12 times of measurement"; do
	grep -qF -- "$text" "$T/report.txt" || fail "the PDF report lacks \"$text\""
done
pdftoppm -r 80 -png "$pdf" "$OUT/patient-report"
# Both identifiers on every page, in the page's top margin.
for p in $(seq 1 "$pages"); do
	pdftotext -f "$p" -l "$p" "$pdf" - | grep -q "Berger, Paul · born .* · id P-1001" ||
		fail "page $p of the report lacks the patient's name, birth date and id"
done
# Readable print: no word on any page smaller than about 8 pt (pdftotext's
# word boxes: 8 pt DejaVu is some 9.1 pt high; the old 5 pt chart labels
# were under 6), chart ticks and band names included.
pdftotext -bbox "$pdf" "$T/report-bbox.html"
python3 - "$T/report-bbox.html" <<'PY' || fail "small print in the PDF report"
import re, sys
words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', open(sys.argv[1]).read())
small = [(w, round(float(b) - float(a), 1)) for a, b, w in words if float(b) - float(a) < 9.0]
assert len(words) > 300 and not small, "%d words, too small: %r" % (len(words), small[:10])
assert any(w == "Optimal" for _, _, w in words), "no band name as text"
PY
# The same report printed without a browser session: medgatectl report
# fills the interface's report page and chromium prints it; on the trail
# first. An unknown patient prints nothing.
mg_ctl report --tenant default --patient P-1001 --clinician "Dr. Anna Weber" \
	--pdf "$OUT/patient-report-cli.pdf" > /dev/null || fail "medgatectl report"
pdftotext "$OUT/patient-report-cli.pdf" - | tr -s "\n " "  " > "$T/cli-report.txt"
for text in "St. Elsewhere Hospital, internal medicine" "Berger, Paul · born" "id P-1001" "Page 1 of" \
	"Weight (kg)" "Grade 1" "Dr. Anna Weber" "Signature" "14 times of measurement"; do
	# 12 from the start, the child's measurement moved here and the one
	# assigned from the queue in the browser (docs/ward.md).
	grep -qF -- "$text" "$T/cli-report.txt" ||
		fail "the medgatectl report lacks \"$text\": $(grep -o '[0-9]* times of measurement' "$T/cli-report.txt")"
done
pdftoppm -r 60 -f 1 -l 1 -png "$OUT/patient-report-cli.pdf" "$OUT/patient-report-cli"
! mg_ctl report --tenant default --patient NO-SUCH --pdf "$T/none.pdf" 2>/dev/null || fail "a report of nobody"
[ ! -s "$T/none.pdf" ] || fail "a PDF printed for an unknown patient"
mg_ctl audit export --since 2000-01-01T00:00:00Z | grep -q '"patient.report_print"' ||
	fail "medgatectl report is not on the audit trail"
ok "medgatectl report: the same report as an A4 PDF without a browser session, on the audit trail; an unknown patient refused"

# The same report downloaded for the EMR: a transaction Bundle of every
# measurement's Observations and a DiagnosticReport referring to each
# (the encoder's Bundles are validated in test_fhir_validate).
python3 - "$OUT/patient-report.fhir.json" <<'PY' || fail "the FHIR report"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["resourceType"] == "Bundle" and b["type"] == "transaction", b.get("type")
obs = [e for e in b["entry"] if e["resource"]["resourceType"] == "Observation"]
dr = b["entry"][-1]["resource"]
assert dr["resourceType"] == "DiagnosticReport" and dr["status"] == "final", dr
assert [r["reference"] for r in dr["result"]] == [e["fullUrl"] for e in obs], "results"
# 6 weighings (weight, height, fat) and 12 blood pressures (panel, pulse)
assert len(obs) == 6 * 3 + 12 * 2, len(obs)
assert dr["subject"]["identifier"] == {"system": "https://hospital.example/mrn", "value": "P-1001"}
who = [p["display"] for p in dr["performer"]]
assert who == ["St. Elsewhere Hospital, internal medicine", "clin"], who
assert "Pre-obese" in dr["conclusion"] and "grade 1" in dr["conclusion"], dr["conclusion"]
assert "Berger" not in json.dumps(b), "a name in the FHIR report"
print("ok - the FHIR report: %d Observations and a DiagnosticReport referring to each, for P-1001, "
      "facility and clinician as performers, conclusion: %s" % (len(obs), dr["conclusion"]))
PY
ok "the report printed to an A4 PDF of $pages pages: facility, identity on every page, charts with bands, comments, signature field, page x of y"

# The idle timeout, short for this part only.
# Fresh ports: parallel tests may have taken the old ones meanwhile.
mg_stop
WEB_PORT=$(free_port)
DEVICE_PORT=$(free_port)
DEVICE_URL=https://localhost:$DEVICE_PORT
mg_conf_set web port "$WEB_PORT"
mg_conf_set device port "$DEVICE_PORT"
mg_conf_set access session_idle_timeout "$IDLE_TIMEOUT"
python3 - "$T/state.json" "https://localhost:$WEB_PORT" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
state["base"] = sys.argv[2]
json.dump(state, open(sys.argv[1], "w"))
PY
mg_start
timeout 120 node "$TOOLS/web_ui.js" "$MODULES" "$T/state.json" "$OUT" idle || fail "idle timeout"
echo "# browser: $((SECONDS - start)) s"

# What the browser did is on the audit trail as the server saw it.
mg_ctl audit export --since 2000-01-01T00:00:00Z > "$T/audit.jsonl" || fail "audit export"
grep -q '"user.create"' "$T/audit.jsonl" || fail "no user.create on the audit trail"
grep -q '"patient.read"' "$T/audit.jsonl" || fail "no patient.read on the audit trail"
grep -q '"totp.enrol"' "$T/audit.jsonl" || fail "no totp.enrol on the audit trail"
ok "the audit trail holds what the browser did: account creation, patient read, TOTP enrolment"
# The names the clinician recorded, printed and downloaded reached no log,
# audit record or metric (the permission matrix checks the other roles'
# answers).
for name in Berger Müller; do
	! grep -rqF "$name" "$INST/log" "$T/audit.jsonl" || fail "the patient name $name in a log or the audit trail"
done
ok "no patient name in the daemon's log or the audit trail"
mg_stop
echo "# screenshots and the printed report: $OUT"
ls "$OUT"
