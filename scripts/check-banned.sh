#!/usr/bin/env bash
# Fails if the sources call a function the style guide bans (STYLE.md:
# unbounded copies and unchecked conversions).
set -u
dir=${1:-.}
hits=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|atof|strtok|gets)[[:space:]]*\(' \
	"$dir/src" "$dir/tests/unit" "$dir/fuzz" "$dir/bench" --include='*.c' --include='*.h' || true)
if [ -n "$hits" ]; then
	echo "banned functions used (see STYLE.md habit 5):"
	echo "$hits"
	exit 1
fi
echo "no banned functions"
