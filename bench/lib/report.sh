# shellcheck shell=bash
# Reading bench-ingest's RESULT lines and writing the comparison table.

# res_get "RESULT a=1 b=2" b -> 2 ("-" when absent).
res_get() {
	local kv
	for kv in $1; do
		if [ "${kv%%=*}" = "$2" ]; then
			echo "${kv#*=}"
			return
		fi
	done
	echo "-"
}

# ratio A B -> "52.3 %" (B / A), or "-" when either is missing or zero.
ratio_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a + 0 == 0) { print "-"; exit }
		printf "%.1f %%", 100 * b / a }'
}

# cost_ratio A B -> "6.3 × nginx's" (B / A), or empty when unknown.
cost_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a + 0 == 0 || b + 0 == 0) exit
		printf "%.1f × nginx'"'"'s", b / a }'
}

# at_least A B MIN -> pass/miss for B / A >= MIN.
verdict_ratio() {
	awk -v a="$1" -v b="$2" -v min="$3" 'BEGIN {
		if (a == "-" || b == "-" || a + 0 == 0) { print "not run"; exit }
		print (b / a >= min) ? "pass" : "miss" }'
}

# verdict_below VALUE LIMIT -> pass when VALUE < LIMIT (strictly).
verdict_below() {
	awk -v v="$1" -v lim="$2" 'BEGIN {
		if (v == "-") { print "not run"; exit }
		print (v + 0 < lim + 0) ? "pass" : "miss" }'
}

verdict_at_most() {
	awk -v v="$1" -v lim="$2" 'BEGIN {
		if (v == "-") { print "not run"; exit }
		print (v + 0 <= lim + 0) ? "pass" : "miss" }'
}

# fmt_num 71234.5 -> 71,235 ("-" stays "-").
fmt_num() {
	awk -v v="$1" 'BEGIN {
		if (v == "-") { print "-"; exit }
		s = sprintf("%.0f", v); out = ""
		while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
		print s out }'
}

# fmt_ms 13.173 -> 13.17
fmt_ms() {
	awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.2f", v }'
}

# fmt_lat RESULT -> "0.32 / 4.36"
fmt_lat() {
	local p50 p99
	p50=$(res_get "$1" p50_ms)
	p99=$(res_get "$1" p99_ms)
	[ "$p50" = - ] && { echo "-"; return; }
	awk -v a="$p50" -v b="$p99" 'BEGIN { printf "%.2f / %.2f", a, b }'
}

# fmt_rps RESULT -> "38,012" plus the error count when there were any.
fmt_rps() {
	local rps errs
	rps=$(res_get "$1" rps)
	errs=$(res_get "$1" errors)
	if [ "$errs" != - ] && [ "$errs" != 0 ]; then
		echo "$(fmt_num "$rps") ($errs errors)"
	else
		fmt_num "$rps"
	fi
}

# Replaces the part of FILE between the two markers with the content of
# NEW (a file), creating FILE with HEADER (a file) first if needed, and
# leaves whatever other benchmarks wrote elsewhere in FILE alone.
doc_replace_section() {
	local file=$1 header=$2 new=$3 begin=$4 end=$5 tmp
	tmp="$file.tmp.$$"
	if [ ! -f "$file" ]; then
		cat "$header" >"$file" || return 1
	fi
	if grep -qF "$begin" "$file"; then
		awk -v b="$begin" -v e="$end" -v new="$new" '
			$0 == b { print; while ((getline line < new) > 0) print line; skip = 1; next }
			$0 == e { skip = 0 }
			!skip { print }' "$file" >"$tmp" || return 1
	else
		{ cat "$file"; echo; echo "$begin"; cat "$new"; echo "$end"; } >"$tmp" || return 1
	fi
	mv "$tmp" "$file"
}
