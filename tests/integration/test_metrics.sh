#!/usr/bin/env bash
# /metrics and the operations overview, against the real daemon:
#   - /metrics answers the bearer token of [metrics] token_file with the
#     Prometheus text format that `promtool check metrics` accepts, and
#     refuses no token, a wrong token and an administrator's browser
#     session;
#   - the counters move with what happened: measurements stored, refused
#     for a value out of range, a request without a client certificate;
#   - a real Prometheus server on loopback scrapes the daemon with the
#     token file and its HTTP API answers a query for a series; the alert
#     rules in docs/monitoring/ load and every dashboard query runs;
#   - no series (and nothing in the overview) carries the test's patient
#     ids;
#   - an EMR destination whose certificate is not trusted raises an alert
#     naming that reason within a minute; `medgatectl outbox status` and
#     the overview show the destination's last error;
#   - free space below [detect] store_free_min (set above what the disk
#     has) is an alert, in /metrics and in the overview.
. "$(dirname "$0")/lib.sh"
TOOLS=$(dirname "$0")/tools
command -v promtool >/dev/null && command -v prometheus >/dev/null ||
	fail "promtool and prometheus missing: scripts/install-deps.sh installs the Debian package"

PATIENT_A=PAT-METRICS-4711
PATIENT_B=PAT-METRICS-0815

mg_init
TOKEN=$T/metrics.token
(umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$TOKEN")
mg_conf_set metrics token_file "$TOKEN"
mg_conf_set detect scan_interval 1
# More free space than any test machine has: the rule must fire.
mg_conf_set detect store_free_min 1048576
# An EMR whose certificate the gateway cannot trust: our own MLLP port
# (served with the instance CA's certificate) checked against the device CA.
cat >>"$CONF" <<EOF2

[emr.ehr]
protocol = hl7-mllp
address = localhost:$MLLP_PORT
tls = on
ca_cert = $INST/certs/device-ca.pem
timeout = 5
retry_max = 2
EOF2
mg_start
mg_enrol scale1

assert_contains "$(mg_send scale1 "$(mg_body m1 "$PATIENT_A")")" 201 "first measurement"
assert_contains "$(mg_send scale1 "$(mg_body m2 "$PATIENT_B" 71.0)")" 201 "second measurement"
assert_contains "$(mg_send scale1 "$(mg_body m3 "$PATIENT_A" 900)")" 400 "out of range"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/json' \
	--data-binary "$(mg_body m4 "$PATIENT_A")" "$DEVICE_URL/device/v1/measurements" || true)
[ "$code" = 401 ] || fail "a request without a client certificate answered $code"

METRICS=https://localhost:$WEB_PORT/metrics
scrape() { curl -s --cacert "$CA" -H "Authorization: Bearer $(cat "$TOKEN")" "$METRICS"; }

# Refusals first: no token, a wrong one, a cookie-only browser session.
code=$(curl -s -o "$T/refused" -w '%{http_code}' --cacert "$CA" "$METRICS")
[ "$code" = 401 ] || fail "/metrics without a token answered $code"
code=$(curl -s -o "$T/refused" -w '%{http_code}' --cacert "$CA" \
	-H "Authorization: Bearer $(cat "$TOKEN")x" "$METRICS")
[ "$code" = 401 ] || fail "/metrics with a wrong token answered $code"
grep -q medgate_ "$T/refused" && fail "a refused /metrics request got series"
ok "/metrics refuses no token and a wrong token (401)"
python3 "$TOOLS/metrics_session.py" "$WEB_PORT" "$CA" "$(cat "$T/admin-password")" \
	"$T/overview.json"

# The alert of the untrusted EMR, within a minute of the first attempt.
for _ in $(seq 1 60); do
	[ -n "$(mg_sql "SELECT 1 FROM alerts WHERE kind = 'emr.connection_refused'")" ] && break
	sleep 1
done
summary=$(mg_sql "SELECT summary FROM alerts WHERE kind = 'emr.connection_refused'")
[ -n "$summary" ] || fail "no emr.connection_refused alert within 60 s"
assert_contains "$summary" "EMR ehr" "the alert names the destination"
assert_contains "$summary" "certificate" "the alert names the reason"
ok "an untrusted EMR certificate is alerted: $summary"
mg_ctl outbox status > "$T/outbox.out"
grep -q "last error: .*certificate" "$T/outbox.out" ||
	{ cat "$T/outbox.out"; fail "outbox status does not show the last error"; }
ok "medgatectl outbox status shows the destination's last error"
for _ in $(seq 1 30); do
	[ -n "$(mg_sql "SELECT 1 FROM alerts WHERE kind = 'store.free_space'")" ] && break
	sleep 1
done
[ -n "$(mg_sql "SELECT 1 FROM alerts WHERE kind = 'store.free_space'")" ] ||
	fail "no store.free_space alert below [detect] store_free_min"
ok "free space below the threshold is an alert"

scrape > "$T/metrics.txt"
promtool check metrics < "$T/metrics.txt" > "$T/promtool.out" 2>&1 ||
	{ cat "$T/promtool.out"; fail "promtool check metrics refused the text"; }
ok "promtool check metrics accepts /metrics ($(grep -vc '^#' "$T/metrics.txt") samples)"
series() { grep -E "^$1 " "$T/metrics.txt" | awk '{print $2}'; }
assert_eq 2 "$(series 'medgate_measurements_received_total\{source="device_https",result="stored"\}')" \
	"stored measurements"
assert_eq 1 "$(series 'medgate_measurements_received_total\{source="device_https",result="out_of_range"\}')" \
	"measurements out of range"
assert_eq 1 "$(series 'medgate_refusals_total\{interface="device",reason="no_certificate"\}')" \
	"requests without a client certificate"
assert_eq 2 "$(series 'medgate_ack_latency_seconds_count')" "acknowledgements timed"
assert_eq 1 "$(series 'medgate_devices\{state="active"\}')" "active devices"
assert_eq 1 "$(series 'medgate_emr_failing_permanently\{destination="ehr"\}')" "EMR failing for good"
assert_eq NaN "$(series 'medgate_backup_age_seconds')" "no backup yet"
[ "$(series 'medgate_alerts_open\{severity="high"\}')" -ge 2 ] || fail "open high alerts not counted"
pending=$(series 'medgate_outbox_pending_messages\{destination="ehr"\}')
[ "$pending" = 2 ] || fail "outbox depth of ehr: $pending"
free=$(series medgate_store_free_bytes)
awk -v f="$free" 'BEGIN { exit !(f > 0) }' || fail "free space not shown: $free"
ok "the series count what happened"

# A real Prometheus scrapes with the token file and answers a query.
PROM_PORT=$(free_port)
cat > "$T/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: medgate
    scheme: https
    tls_config:
      ca_file: $CA
      server_name: localhost
    authorization:
      type: Bearer
      credentials_file: $TOKEN
    static_configs:
      - targets: ["localhost:$WEB_PORT"]
EOF2
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" > "$T/prometheus.log" 2>&1 &
MG_BACKGROUND+=($!)
query='medgate_measurements_received_total{source="device_https",result="stored"}'
value=
for _ in $(seq 1 100); do
	value=$(curl -s -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$query" |
		python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null || true)
	[ -n "$value" ] && break
	sleep 0.2
done
[ "$value" = 2 ] || { tail -5 "$T/prometheus.log"; fail "Prometheus answered '$value' for $query"; }
up=$(curl -s -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode 'query=up{job="medgate"}' |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
assert_eq 1 "$up" "Prometheus' up for the medgate target"
ok "a Prometheus server scraped /metrics with the token file and answers $query = $value"

# The shipped alert rules load, and every query of the dashboard runs.
DOCS=$(dirname "$0")/../../docs/monitoring
promtool check rules "$DOCS/medgate-alerts.yml" > "$T/rules.out" 2>&1 ||
	{ cat "$T/rules.out"; fail "promtool check rules refused docs/monitoring/medgate-alerts.yml"; }
python3 - "$DOCS/medgate-grafana.json" "$PROM_PORT" <<'PY'
import json, sys, urllib.parse, urllib.request
dash, port = json.load(open(sys.argv[1])), sys.argv[2]
n = 0
for panel in dash["panels"]:
    for t in panel["targets"]:
        q = t["expr"].replace("$instance", ".*")
        url = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q}))
        answer = json.load(urllib.request.urlopen(url, timeout=10))
        assert answer["status"] == "success", (panel["title"], q, answer)
        n += 1
print("ok - promtool accepts the alert rules; Prometheus runs all %d dashboard queries" % n)
PY

# Nothing identifies a patient: not in any series, not in the overview.
scrape > "$T/metrics2.txt"
for p in "$PATIENT_A" "$PATIENT_B" METRICS-4711 METRICS-0815; do
	! grep -q -- "$p" "$T/metrics.txt" "$T/metrics2.txt" "$T/overview.json" ||
		fail "patient id $p in /metrics or the overview"
done
ok "no patient id in any series or in the overview"

python3 - "$T/overview.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
d = {x["name"]: x for x in o["destinations"]}["ehr"]
assert "certificate" in d["last_error"], d
assert d["pending"] == 2, d
assert o["store"]["low"] is True, o["store"]
dev = {x["name"]: x for x in o["interfaces"]}["device"]
assert dev["measurements"]["stored"] == 2, dev
assert o["devices"]["active"] == 1, o["devices"]
print("ok - the overview shows interfaces, queues with their last error, low free space")
PY
mg_stop
