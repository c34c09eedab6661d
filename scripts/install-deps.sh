#!/usr/bin/env bash
# Installs what medgate needs to build, run and test, on Debian 12, without
# asking anything. Idempotent: installs only what is missing, and runs
# 'apt-get update' only when something is.
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang libclang-rt-14-dev
	libmicrohttpd-dev libgnutls28-dev gnutls-bin libsodium-dev
	libjansson-dev libsqlite3-dev sqlite3 libinih-dev libcmocka-dev
	libcurl4-gnutls-dev liboath-dev libqrencode-dev libzxcvbn-dev libpq-dev libdpkg-dev
	curl openssl ca-certificates python3 python3-aiosmtpd nginx-light procps psmisc
	zbar-tools librsvg2-bin poppler-utils
	postgresql-15 haproxy rsyslog rsyslog-gnutls chromium fonts-dejavu-core
	dpkg-dev debhelper fakeroot lintian mandoc systemd adduser python3-jsonschema
	prometheus
)
# Node.js runs the test peers from npm; a machine may have it from
# elsewhere already (with npm inside), so only ask Debian when it lacks one.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]}" >&2
		echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Wait for another apt run (a parallel build) instead of failing.
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The daemon drops root privileges to this account after binding its ports.
if [ "$(id -u)" -eq 0 ] && ! id medgate >/dev/null 2>&1; then
	useradd --system --home-dir /var/lib/medgate --no-create-home \
		--shell /usr/sbin/nologin medgate
fi
if [ "$(id -u)" -eq 0 ]; then
	install -d -m 0755 /var/lib/medgate
fi
