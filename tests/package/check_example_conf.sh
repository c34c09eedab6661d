#!/usr/bin/env bash
# packaging/examples/medgate.conf (installed as
# /usr/share/doc/medgate/examples/medgate.conf) is what `medgatectl init`
# writes; the [instance] user line is what init writes as root.
# usage: check_example_conf.sh SOURCE_DIR MEDGATECTL
set -euo pipefail
src=$1 medgatectl=$2
t=$(mktemp -d /tmp/medgate-example.XXXXXX)
trap 'rm -rf "$t"' EXIT
chmod 755 "$t"
echo "correct horse battery staple 1" > "$t/password"
"$medgatectl" init "$t/i" --admin-password-file "$t/password" >/dev/null
if diff -u "$src/packaging/examples/medgate.conf" \
	<(sed 's/^user = $/user = medgate/' "$t/i/medgate.conf"); then
	echo "ok - the example configuration is what medgatectl init writes"
else
	echo "FAIL: packaging/examples/medgate.conf differs from medgatectl init's (copy it over)"
	exit 1
fi
