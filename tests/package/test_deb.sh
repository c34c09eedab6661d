#!/usr/bin/env bash
# The Debian package, end to end, on this machine: build it with
# dpkg-buildpackage from a copy of the source tree, lintian (no E: lines),
# install it, make an instance the documented way (medgate-instance), run
# the installed medgated on 127.0.0.1, enrol the installed medgate-device
# and send a measurement (201), reopen the log on SIGHUP, stop; then
# apt-get remove keeps the instance and apt-get purge deletes it.
# It installs into the real /usr (run as root); the trap removes and
# purges the package whatever happens.
# usage: test_deb.sh SOURCE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
# Installed, unpacked, or its configuration files left: anything but gone.
pkg_present() {
	local s
	s=$(dpkg-query -W -f='${db:Status-Status}' medgate 2>/dev/null) || return 1
	[ -n "$s" ] && [ "$s" != not-installed ]
}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

[ "$(id -u)" -eq 0 ] || skip "installs a package: run as root"
for tool in dpkg-buildpackage dh lintian apt-get curl python3; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing (scripts/install-deps.sh)"
done
# Purge deletes /etc/medgate and /var/lib/medgate: never someone's real ones.
pkg_present && skip "a medgate package is installed already"
[ ! -e /etc/medgate ] || skip "/etc/medgate exists; purge would delete it"
if [ -d /var/lib/medgate ] && [ -n "$(ls -A /var/lib/medgate)" ]; then
	skip "/var/lib/medgate holds instances; purge would delete them"
fi
state_dir_was_there=no
[ -d /var/lib/medgate ] && state_dir_was_there=yes

T=$(mktemp -d /tmp/medgate-deb.XXXXXX)
chmod 755 "$T"
NAME=pkgtest
CONF=/etc/medgate/$NAME.conf
INST=/var/lib/medgate/$NAME
DAEMON_PID=
installed=no
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q)

cleanup() {
	local status=$?
	if [ -n "$DAEMON_PID" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	if [ "$status" -ne 0 ] && [ -f "$INST/log/medgated.log" ]; then
		echo "--- medgated.log (last 30 lines) ---"
		tail -n 30 "$INST/log/medgated.log"
	fi
	if [ "$installed" = yes ] || pkg_present; then
		"${APT[@]}" purge medgate >/dev/null 2>&1 || dpkg --purge medgate >/dev/null 2>&1 || true
	fi
	rm -rf /etc/medgate
	[ -d /var/lib/medgate ] && [ -z "$(ls -A /var/lib/medgate 2>/dev/null)" ] && rmdir /var/lib/medgate
	rm -rf "$INST"
	if [ "$state_dir_was_there" = yes ] && [ ! -d /var/lib/medgate ]; then
		install -d -m 0755 /var/lib/medgate
	fi
	rm -rf "$T"
	exit "$status"
}
trap cleanup EXIT

# 1. Build from a copy of what git knows (tracked and new, not ignored),
# never inside the source tree.
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
tree=$T/medgate-$version
mkdir -p "$tree"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf -) | tar -C "$tree" -xf -
start=$(date +%s)
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc > "$T/build.log" 2>&1) || { tail -n 40 "$T/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls "$T"/medgate_"$version"_*.deb)
ok "dpkg-buildpackage -us -uc built $(basename "$deb") in $(($(date +%s) - start)) s"

# 2. lintian: no errors; warnings are shown.
lintian --display-info --tag-display-limit 0 "$T"/medgate_"$version"_*.changes > "$T/lintian.out" 2>&1 || true
cat "$T/lintian.out"
if grep -q '^E:' "$T/lintian.out"; then fail "lintian reports errors"; fi
ok "lintian: no errors ($(grep -c '^W:' "$T/lintian.out" || true) warnings, $(grep -c '^I:' "$T/lintian.out" || true) notes)"

# 3. The package's contents and maintainer scripts.
dpkg-deb -c "$deb" > "$T/contents"
for f in ./usr/sbin/medgated ./usr/sbin/medgatectl ./usr/sbin/medgate-instance \
	./usr/bin/medgate-device ./lib/systemd/system/medgated.service \
	./lib/systemd/system/medgated@.service ./usr/share/man/man5/medgate.conf.5.gz \
	./usr/share/man/man8/medgated.8.gz ./usr/share/man/man8/medgatectl.8.gz \
	./usr/share/man/man1/medgate-device.1.gz ./usr/share/doc/medgate/examples/medgate.conf \
	./usr/share/doc/medgate/install.md ./usr/share/doc/medgate/sbom.cdx.json \
	./etc/medgate/ ./var/lib/medgate/; do
	# dh_compress gzips the larger documents.
	grep -q -E " $f(\.gz)?\$" "$T/contents" || fail "$f not in the package"
done
conffiles=$(dpkg-deb -f "$deb" Package >/dev/null && dpkg-deb --ctrl-tarfile "$deb" | tar -tf - | grep -c conffiles || true)
[ "$conffiles" = 0 ] || fail "the package ships conffiles; /etc/medgate is made per instance"
ok "the package holds programs, units, man pages, docs, example, /etc/medgate, /var/lib/medgate"

"${APT[@]}" install "$deb" > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "apt-get install"; }
installed=yes
id medgate >/dev/null || fail "postinst made no account medgate"
[ "$(stat -c %U:%G:%a /etc/medgate)" = root:medgate:750 ] || fail "/etc/medgate: $(stat -c %U:%G:%a /etc/medgate)"
ok "apt-get install: account medgate, /etc/medgate root:medgate 0750"

# The SBOM of the build (uncompressed, CycloneDX 1.5; test_sbom.sh checks
# the schema), and the installed medgatectl names its own package.
python3 - /usr/share/doc/medgate/sbom.cdx.json "$version" <<'PY' || fail "the shipped SBOM"
import json, subprocess, sys
shipped = json.load(open(sys.argv[1]))
assert shipped["specVersion"] == "1.5", shipped["specVersion"]
names = {c["name"] for c in shipped["components"]}
assert {"medgated", "medgatectl", "medgate-device", "libsodium23", "libc6"} <= names, names
now = json.loads(subprocess.run(["/usr/sbin/medgatectl", "sbom"], capture_output=True,
                                check=True, text=True).stdout)
me = now["metadata"]["component"]
assert me["version"] == sys.argv[2] and me["purl"].startswith("pkg:deb/debian/medgate@"), me
print("ok - the package ships its build's SBOM (%d components); the installed medgatectl "
      "names medgate %s" % (len(shipped["components"]), me["version"]))
PY

# mandoc -Tlint reads plain files; now the cross references are found.
# (It also notes that the system's mandoc.db, which no trigger updates,
# lacks the new pages: that is about the machine, not the pages.)
out=
for page in man8/medgated.8 man8/medgatectl.8 man8/medgate-instance.8 man1/medgate-device.1 \
	man5/medgate.conf.5; do
	zcat "/usr/share/man/$page.gz" > "$T/${page#*/}"
	out+=$(mandoc -Tlint "$T/${page#*/}" 2>&1 | grep -v 'outdated mandoc.db lacks' || true)
done
[ -z "$out" ] || { echo "$out"; fail "mandoc -Tlint on the installed pages"; }
ok "the installed man pages are mandoc -Tlint clean, cross references found"

# 4. An instance, the documented way, on free loopback ports.
free_port() { python3 "$src/tests/free_port.py"; }
WEB_PORT=$(free_port) DEVICE_PORT=$(free_port) MLLP_PORT=$(free_port)
echo "correct horse battery staple 1" > "$T/admin-password"
/usr/sbin/medgate-instance "$NAME" --web-port "$WEB_PORT" --device-port "$DEVICE_PORT" \
	--mllp-port "$MLLP_PORT" --admin-password-file "$T/admin-password" > "$T/instance.out"
[ "$(stat -c %U:%G:%a "$CONF")" = root:medgate:640 ] || fail "$CONF: $(stat -c %U:%G:%a "$CONF")"
[ ! -e "$INST/medgate.conf" ] || fail "a second configuration stayed in $INST"
grep -q "^master = $INST/keys/master.key\$" "$CONF" || fail "paths in $CONF are not absolute"
python3 - "$CONF" <<'PY'
import re, sys
path = sys.argv[1]
lines, cur = open(path).read().split("\n"), None
for i, line in enumerate(lines):
    m = re.match(r"\[(.+)\]", line)
    if m:
        cur = m.group(1)
    elif cur in ("web", "device", "mllp") and re.match(r"address\s*=", line):
        lines[i] = "address = 127.0.0.1"
open(path, "w").write("\n".join(lines))
PY
ok "medgate-instance: state in $INST, configuration $CONF (root:medgate 0640)"

CA=$INST/certs/ca.pem
DEVICE_URL=https://localhost:$DEVICE_PORT
/usr/sbin/medgated -c "$CONF" 2> "$T/medgated.stderr" &
DAEMON_PID=$!
for _ in $(seq 1 100); do
	curl -s -o /dev/null --cacert "$CA" "$DEVICE_URL/.well-known/est/cacerts" && break
	kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$T/medgated.stderr"; fail "medgated exited at start"; }
	sleep 0.1
done
[ "$(ps -o user= -p "$DAEMON_PID")" = medgate ] || fail "medgated runs as $(ps -o user= -p "$DAEMON_PID")"
ok "the installed medgated serves on 127.0.0.1 as account medgate"

token=$(/usr/sbin/medgatectl -c "$CONF" device token --tenant default --name "Package scale" 2>/dev/null)
S=$T/scale
/usr/bin/medgate-device enroll --server "$DEVICE_URL" --ca "$CA" --token "$token" --state "$S" > "$T/enrol.out"
/usr/bin/medgate-device send --state "$S" --patient PKG-PATIENT-1 --weight 80.5 --height 176 > "$T/send.out"
grep -q '^delivered ' "$T/send.out" || fail "medgate-device send: $(cat "$T/send.out")"
code=$(curl -s -o "$T/answer" -w '%{http_code}' --cacert "$CA" --cert "$S/cert.pem" --key "$S/key.pem" \
	-H 'Content-Type: application/json' \
	--data-binary '{"id":"pkg-2","time":"2026-11-22T10:00:00Z","patient":{"id":"PKG-PATIENT-2"},"values":[{"type":"body_weight","value":70.1,"unit":"kg"}]}' \
	"$DEVICE_URL/device/v1/measurements")
[ "$code" = 201 ] || fail "measurement answered $code: $(cat "$T/answer")"
[ "$(/usr/sbin/medgatectl -c "$CONF" measurement count)" = 2 ] || fail "measurement count"
ok "installed medgate-device enrolled and delivered; a measurement answered 201; 2 stored"

kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'log reopened' "$INST/log/medgated.log" && break; sleep 0.1; done
grep -q 'log reopened' "$INST/log/medgated.log" || fail "SIGHUP did not reopen the log"
kill -TERM "$DAEMON_PID"
status=0
wait "$DAEMON_PID" || status=$?
DAEMON_PID=
[ "$status" = 0 ] || fail "medgated exited with $status after SIGTERM"
ok "SIGHUP reopens the log; SIGTERM stops with status 0"

# 5. Remove keeps the instance; purge deletes configuration and state.
"${APT[@]}" remove medgate > "$T/remove.log" 2>&1 || { cat "$T/remove.log"; fail "apt-get remove"; }
[ ! -e /usr/sbin/medgated ] || fail "remove left /usr/sbin/medgated"
[ -f "$CONF" ] && [ -f "$INST/keys/master.key" ] || fail "remove deleted the instance"
ok "apt-get remove: programs gone, instance kept"
"${APT[@]}" purge medgate > "$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "apt-get purge"; }
installed=no
[ ! -e /etc/medgate ] || fail "purge left /etc/medgate"
[ ! -e /var/lib/medgate ] || fail "purge left /var/lib/medgate"
pkg_present && fail "dpkg still knows medgate: $(dpkg-query -W -f='${Status}' medgate)"
ok "apt-get purge: /etc/medgate and /var/lib/medgate gone"
