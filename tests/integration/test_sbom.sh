#!/usr/bin/env bash
# The software bill of materials and what is known about its components
# (docs/sbom.md), on this machine's real packages:
#
# 1. `medgatectl sbom` is valid CycloneDX 1.5, by the schema files of the
#    npm package @cyclonedx/cyclonedx-library and python3-jsonschema
#    (a broken copy must fail, so the validator is not vacuous); every
#    library medgated names in its dynamic section (readelf) is there with
#    the version, source package and maintainer dpkg-query gives.
# 2. Advisory feeds built here from the installed versions, so they are
#    true on any machine: one fixed in a version just above the installed
#    one (affected), one just below ('~' sorts before the end in Debian's
#    ordering: not affected), in OSV and in Debian's security tracker
#    format. The affected ones are listed by the CLI and the API, and the
#    daemon raises the sbom.advisory alert.
# 3. The signed release feed: a newer medgate is told to the CLI and the
#    API; a feed changed after signing, or signed by another key, is
#    refused.
#
# Needs MG_BIN, node and npm (the library is installed once into
# $MG_BIN/test-node; the npm registry is the only network use),
# /usr/bin/python3 with python3-jsonschema, openssl, readelf, dpkg-query.
. "$(dirname "$0")/lib.sh"
: "${MG_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
TOOLS=$MG_SOURCE_DIR/tests/integration/tools
CDX_VERSION=10.3.0	# pinned: ships res/schema/bom-1.5.SNAPSHOT.schema.json
NODE_DIR=$MG_BIN/test-node/cyclonedx-library-$CDX_VERSION
CDX=$NODE_DIR/node_modules/@cyclonedx/cyclonedx-library

for tool in node npm openssl readelf dpkg-query; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
/usr/bin/python3 -c 'import jsonschema' || fail "python3-jsonschema is missing"
mkdir -p "$NODE_DIR"
(
	flock -w 300 9 || fail "waited too long for $NODE_DIR.lock"
	if [ ! -f "$CDX/package.json" ]; then
		# Only its data files are used: no optional or peer packages, no scripts.
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			--omit=optional --omit=peer --ignore-scripts \
			"@cyclonedx/cyclonedx-library@$CDX_VERSION" >"$T/npm.log" 2>&1 ||
			{ cat "$T/npm.log"; fail "npm install @cyclonedx/cyclonedx-library"; }
	fi
) 9>"$NODE_DIR.lock"
assert_eq "$CDX_VERSION" "$(node -p "require('$CDX/package.json').version")" "library version"
SCHEMAS=$CDX/res/schema

# ---- 1. the SBOM ----
"$MEDGATECTL" sbom --out "$T/bom.json" || fail "medgatectl sbom"
/usr/bin/python3 "$TOOLS/cdx_validate.py" "$SCHEMAS" "$T/bom.json" || fail "the SBOM is not valid CycloneDX 1.5"
ok "medgatectl sbom is valid CycloneDX 1.5"
/usr/bin/python3 - "$T/bom.json" "$T/broken.json" <<'PY'
import json, sys
bom = json.load(open(sys.argv[1]))
bom["components"][-1]["type"] = "shared-object"
del bom["components"][0]["name"]
json.dump(bom, open(sys.argv[2], "w"))
PY
if /usr/bin/python3 "$TOOLS/cdx_validate.py" "$SCHEMAS" "$T/broken.json" 2>"$T/broken.err"; then
	fail "the validator accepted a broken BOM"
fi
assert_contains "$(cat "$T/broken.err")" "shared-object" "validator's complaint"
ok "a broken BOM is refused by the same validator"

# What readelf and dpkg say about medgated's libraries, independently.
readelf -d "$MEDGATED" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' > "$T/needed.txt"
[ -s "$T/needed.txt" ] || fail "readelf found no NEEDED entries in medgated"
# One dpkg-query -S for every place a library may be (it reads all of
# dpkg's file lists each time), one dpkg-query -W for the owners' fields.
/usr/bin/python3 - "$T/needed.txt" > "$T/expect.txt" <<'PY' || fail "dpkg's view of medgated's libraries"
import os, subprocess, sys
dirs = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"]
sonames = open(sys.argv[1]).read().split()
paths = [os.path.join(d, n) for n in sonames for d in dirs if os.path.exists(os.path.join(d, n))]
out = subprocess.run(["dpkg-query", "-S"] + paths, capture_output=True, text=True).stdout
owner = {}
for line in out.splitlines():
    pkgs, _, path = line.partition(": /")
    owner.setdefault(os.path.basename(path), pkgs.split(",")[0].strip())
missing = [n for n in sonames if n not in owner]
assert not missing, "dpkg knows no package for %s" % missing
fmt = "${binary:Package}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${Maintainer}\n"
rows = subprocess.run(["dpkg-query", "-W", "-f=" + fmt] + sorted(set(owner.values())),
                      capture_output=True, text=True, check=True).stdout
for row in rows.splitlines():
    print(row.split("\t", 1)[1])
PY
/usr/bin/python3 - "$T/bom.json" "$T/expect.txt" "$MEDGATED" <<'PY' || fail "SBOM contents"
import json, os, sys, urllib.parse
bom = json.load(open(sys.argv[1]))
q = lambda s: urllib.parse.quote(s, safe="-._~")
os_release = dict(l.rstrip("\n").split("=", 1) for l in open("/etc/os-release") if "=" in l)
distro = "%s-%s" % (os_release["ID"].strip('"'), os_release["VERSION_ID"].strip('"'))
meta = bom["metadata"]["component"]
assert meta["name"] == "medgate", meta
comps = {c["name"]: c for c in bom["components"]}
medgated = os.path.realpath(sys.argv[3])
deps = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
direct = deps["file:" + medgated]
for line in open(sys.argv[2]):
    name, version, arch, source, maintainer = line.rstrip("\n").split("\t")
    c = comps.get(name)
    assert c is not None, "%s missing from the SBOM" % name
    assert c["type"] == "library" and c["version"] == version, (c, version)
    purl = "pkg:deb/debian/%s@%s?arch=%s&distro=%s" % (q(name), q(version), q(arch), distro)
    assert c["purl"] == purl, (c["purl"], purl)
    assert purl in direct, "%s not among medgated's dependencies" % purl
    assert c["supplier"]["name"] == maintainer.split(" <")[0], (c["supplier"], maintainer)
    props = {p["name"]: p["value"] for p in c.get("properties", [])}
    assert props.get("medgate:debian:source") == source, (props, source)
print("ok - %d libraries medgated links are in the SBOM with dpkg's version, purl, source "
      "and maintainer" % len(open(sys.argv[2]).read().splitlines()))
PY

# ---- 2. advisories ----
mg_init
mg_start
read -r src ver < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' libsodium23)
[ -n "$src" ] && [ -n "$ver" ] || fail "libsodium23 is not installed"
cat > "$T/osv.json" <<EOF
{"vulns": [
 {"id": "MG-TEST-ABOVE", "summary": "fixed just above the installed version",
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "$src"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "$ver+1"}]}]}]},
 {"id": "MG-TEST-BELOW", "summary": "fixed just below the installed version",
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "$src"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "$ver~1"}]}]}]},
 {"id": "MG-TEST-OTHER", "summary": "a package medgate does not link",
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "medgate-no-such-package"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
]}
EOF
out=$(mg_ctl advisories import "$T/osv.json") || fail "advisories import (OSV)"
assert_contains "$out" "osv feed: 3 advisories" "import summary"
assert_contains "$out" ", 1 affected" "import count"
list=$(mg_ctl advisories list)
assert_contains "$list" "MG-TEST-ABOVE" "advisories list"
assert_contains "$list" "$ver+1" "fixed version listed"
case "$list" in *MG-TEST-BELOW*|*MG-TEST-OTHER*) fail "not affected advisories listed: $list" ;; esac
ok "OSV: $src $ver is affected by a fix in $ver+1 and not by one in $ver~1"

dc() { python3 "$TOOLS/detect_client.py" "$1" --port "$WEB_PORT" --ca "$CA" --state "$T/st.json" \
	"${@:2}"; }
dc setup --password-file "$T/admin-password"
dc alerts --expect "sbom.advisory components" --timeout 20
api=$(dc api GET /api/v1/advisories)
assert_contains "$api" '200 ' "GET /api/v1/advisories"
/usr/bin/python3 - "${api#200 }" "$src" "$ver" <<'PY' || fail "advisories API"
import json, sys
r = json.loads(sys.argv[1])
src, ver = sys.argv[2], sys.argv[3]
assert r["import"]["format"] == "osv" and r["import"]["affected"] == 1, r["import"]
assert [a["advisory"] for a in r["affected"]] == ["MG-TEST-ABOVE"], r["affected"]
a = r["affected"][0]
assert a["source"] == src and a["installed"] == ver and a["fixed"] == ver + "+1", a
assert r["update"] is None, r["update"]
print("ok - GET /api/v1/advisories lists the affected component")
PY

# Debian's security tracker format, for another linked library; an import
# replaces the previous list.
read -r src2 ver2 < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' libjansson4)
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
cat > "$T/tracker.json" <<EOF
{"$src2": {
  "CVE-2099-0001": {"description": "above", "releases": {"$codename": {"status": "resolved", "fixed_version": "$ver2+1", "urgency": "medium"}}},
  "CVE-2099-0002": {"description": "below", "releases": {"$codename": {"status": "resolved", "fixed_version": "$ver2~1", "urgency": "medium"}}},
  "CVE-2099-0003": {"description": "never affected", "releases": {"$codename": {"status": "resolved", "fixed_version": "0"}}},
  "CVE-2099-0004": {"description": "other release only", "releases": {"medgate-no-such-release": {"status": "open"}}}},
 "medgate-no-such-package": {"CVE-2099-0005": {"releases": {"$codename": {"status": "open"}}}}}
EOF
out=$(mg_ctl advisories import "$T/tracker.json") || fail "advisories import (tracker)"
assert_contains "$out" "debian-tracker feed" "tracker format recognised"
assert_contains "$out" ", 1 affected" "tracker import count"
list=$(mg_ctl advisories list)
assert_contains "$list" "CVE-2099-0001" "tracker advisory listed"
case "$list" in *CVE-2099-0002*|*CVE-2099-0003*|*CVE-2099-0004*|*MG-TEST-ABOVE*)
	fail "wrong advisories listed after the tracker import: $list" ;; esac
ok "Debian tracker: $src2 $ver2 affected by a fix in $ver2+1 only"

# A feed that is not one is refused, naming the problem; the list stays.
echo '{"vulns": [{"id": "X", "affected": [{"package": {"ecosystem": "Debian", "name": "'"$src"'"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "not a version"}]}]}]}]}' > "$T/bad.json"
if mg_ctl advisories import "$T/bad.json" 2>"$T/bad.err"; then fail "a feed with a bad version was taken"; fi
assert_contains "$(cat "$T/bad.err")" "embedded spaces" "bad version named"
assert_contains "$(mg_ctl advisories list)" "CVE-2099-0001" "list kept after a refused import"
ok "a feed with a version dpkg refuses is refused whole"

# ---- 3. the signed release feed ----
openssl genpkey -algorithm ed25519 -out "$T/maker.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$T/other.pem" 2>/dev/null
pk=$(openssl pkey -in "$T/maker.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
printf '\n[updates]\nrelease_key = %s\n' "$pk" >> "$CONF"
cat > "$T/releases.json" <<'EOF'
{"product": "medgate", "releases": [
 {"version": "0.0.9", "date": "2026-01-10", "fixes": ["old"]},
 {"version": "99.1.0", "date": "2099-02-01", "security": true,
  "fixes": ["TLS session resumption refused after a key change", "CVE-2099-1234 in the HL7 parser"]},
 {"version": "99.0.0", "date": "2099-01-01", "fixes": ["an older one"]}]}
EOF
openssl pkeyutl -sign -rawin -inkey "$T/maker.pem" -in "$T/releases.json" -out "$T/releases.json.sig"
out=$(mg_ctl update-check --feed "$T/releases.json") || fail "update-check of a good feed"
assert_contains "$out" "medgate 99.1.0 (2099-02-01) is available" "newest release told"
assert_contains "$out" "security update" "security flag told"
assert_contains "$out" "CVE-2099-1234 in the HL7 parser" "fixes told"
ok "update-check tells of 99.1.0 and what it fixes"

sed 's/HL7 parser/HL7 parsers/' "$T/releases.json" > "$T/changed.json"
cp "$T/releases.json.sig" "$T/changed.json.sig"
if mg_ctl update-check --feed "$T/changed.json" 2>"$T/changed.err"; then
	fail "a feed changed after signing was taken"
fi
assert_contains "$(cat "$T/changed.err")" "signature does not match" "bad signature named"
openssl pkeyutl -sign -rawin -inkey "$T/other.pem" -in "$T/releases.json" -out "$T/other.sig"
if mg_ctl update-check --feed "$T/releases.json" --signature "$T/other.sig" 2>/dev/null; then
	fail "a feed signed by another key was taken"
fi
ok "a changed feed and another key's signature are refused"

api=$(dc api GET /api/v1/advisories)
/usr/bin/python3 - "${api#200 }" <<'PY' || fail "update in the API"
import json, sys
u = json.loads(sys.argv[1])["update"]
assert u["latest"] == "99.1.0" and u["security"] is True, u
assert "TLS session resumption refused after a key change" in u["fixes"], u
print("ok - GET /api/v1/advisories tells admins of 99.1.0")
PY
mg_stop
