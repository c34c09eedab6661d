#!/usr/bin/env bash
# TOTP enrolment as a phone does it, with software nobody here wrote:
# medgate makes a secret, its otpauth:// URI and the QR code (SVG);
# rsvg-convert draws the SVG, zbarimg reads it back, and the npm package
# otplib (what many authenticator apps and servers use) computes the
# current code from the secret in the scanned URI. mg_totp_check must
# accept that code, and refuse a wrong one.
#
# Needs MG_BIN (the build folder, for its test_totp binary), node and npm
# (otplib is installed once into $MG_BIN/test-node; the npm registry is
# the only network use), rsvg-convert (librsvg2-bin) and zbarimg
# (zbar-tools).
set -euo pipefail

: "${MG_BIN:?MG_BIN must name the build folder}"
TEST_TOTP=$MG_BIN/test_totp
OTPLIB_VERSION=12.0.1	# pinned: its `authenticator` API is the classic one
NODE_DIR=$MG_BIN/test-node/otplib-$OTPLIB_VERSION

T=$(mktemp -d /tmp/medgate-totp.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for tool in node npm rsvg-convert zbarimg; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
[ -x "$TEST_TOTP" ] || fail "$TEST_TOTP not built"

if [ ! -f "$NODE_DIR/node_modules/otplib/package.json" ]; then
	mkdir -p "$NODE_DIR"
	timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
		"otplib@$OTPLIB_VERSION" >"$T/npm.log" 2>&1 || { cat "$T/npm.log"; fail "npm install otplib"; }
fi
got=$(node -p "require('$NODE_DIR/node_modules/otplib/package.json').version")
[ "$got" = "$OTPLIB_VERSION" ] || fail "otplib $got installed, $OTPLIB_VERSION expected"
ok "otplib $OTPLIB_VERSION"

# 1. medgate enrols an account: secret, URI, QR code.
"$TEST_TOTP" enrol "anna.berg@klinik.example" "$T/qr.svg" >"$T/enrol.out"
base32=$(sed -n 1p "$T/enrol.out")
uri=$(sed -n 2p "$T/enrol.out")
[[ $base32 =~ ^[A-Z2-7]{32}$ ]] || fail "secret is not 32 base32 characters: $base32"
ok "secret and URI made"

# 2. The QR code, drawn by librsvg and scanned by zbar, is the URI.
rsvg-convert -w 400 "$T/qr.svg" -o "$T/qr.png" || fail "rsvg-convert cannot draw the SVG"
scanned=$(timeout 60 zbarimg --raw -q "$T/qr.png" 2>/dev/null) || fail "zbarimg found no QR code"
[ "$scanned" = "$uri" ] || fail "QR code reads '$scanned', expected '$uri'"
ok "QR code scans to the URI"

# 3. otplib reads the scanned URI as an app would and computes the code.
cat >"$T/otp.js" <<'JS'
const { authenticator } = require(process.argv[2]);
const uri = new URL(process.argv[3]);
if (uri.protocol !== 'otpauth:' || uri.host !== 'totp') throw new Error('not a TOTP URI');
const p = uri.searchParams;
if (p.get('algorithm') !== 'SHA1' || p.get('digits') !== '6' || p.get('period') !== '30')
	throw new Error('unexpected parameters ' + uri.search);
authenticator.options = { digits: 6, step: 30 };
const secret = p.get('secret');
const code = authenticator.generate(secret);
const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');
// otplib's own key URI for the same account must carry the same secret.
const own = new URL(authenticator.keyuri('anna.berg@klinik.example', 'medgate test', secret));
if (own.searchParams.get('secret') !== secret) throw new Error('keyuri differs');
console.log(code + ' ' + wrong);
JS
read -r code wrong < <(node "$T/otp.js" "$NODE_DIR/node_modules/otplib" "$scanned")
[[ $code =~ ^[0-9]{6}$ ]] || fail "otplib gave '$code'"
ok "otplib computed $code"

# 4. medgate accepts otplib's code, with or without a space, not a wrong one.
"$TEST_TOTP" check "$base32" "$code" || fail "mg_totp_check refused otplib's code $code"
"$TEST_TOTP" check "$base32" "${code:0:3} ${code:3}" || fail "refused '${code:0:3} ${code:3}'"
ok "mg_totp_check accepts otplib's code"
if "$TEST_TOTP" check "$base32" "$wrong"; then
	fail "mg_totp_check accepted a wrong code $wrong"
fi
ok "mg_totp_check refuses $wrong"
