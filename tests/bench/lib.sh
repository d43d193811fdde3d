# shellcheck shell=bash
#
# Helpers shared by the sections of `make bench` (tests/bench/sec_*.sh).
# A section sources this file, which sources the integration harness
# (tests/integration/lib.sh: np_setup builds the node netns and removes
# everything at exit), then reports rows with bench_row / bench_na. run.sh
# collects the rows of every section and prints one table.
#
# Rows are tab-separated lines appended to $BENCH_ROWS:
#   section  measurement  ours  reference  ratio  target  verdict
# Verdicts: "ok", "MISSED", "-" (informational, no target), or
# "not available yet: <why>" (the component is not built or not working:
# never a made-up number).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$BENCH_DIR/../integration/lib.sh"
set +e			# a failed measurement is reported, not fatal
set -u
BENCH_TOOLS=${BENCH_TOOLS:-$NP_BUILD/tools}
BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_ROWS=${BENCH_ROWS:-/dev/stdout}
BENCH_SECTION=""

# bench_init SECTION: the node netns, temp dir and cleanup of the harness.
# The programs under test and the bench tools are copied into the run's
# temp dir first, so that a rebuild in the work tree during the run cannot
# swap or remove a binary halfway through a measurement.
bench_init() {
	local f
	BENCH_SECTION=$1
	np_setup "bench-$1"
	if [ -n "${BENCH_IDS:-}" ]; then
		echo "$NP_ID" >>"$BENCH_IDS"
	fi
	mkdir -p "$NP_TMP/bin/tools"
	for f in netpol-record-cni netpol-recorderd netpol-record; do
		[ ! -x "$NP_BUILD/$f" ] || cp "$NP_BUILD/$f" "$NP_TMP/bin/$f"
	done
	for f in "$BENCH_TOOLS"/bench_*; do
		[ ! -x "$f" ] || cp "$f" "$NP_TMP/bin/tools/"
	done
	NP_BUILD=$NP_TMP/bin
	BENCH_TOOLS=$NP_TMP/bin/tools
}

# bench_quick QUICK_VALUE FULL_VALUE: pick by BENCH_QUICK.
bench_quick() {
	if [ "$BENCH_QUICK" = 1 ]; then echo "$1"; else echo "$2"; fi
}

# bench_row MEASUREMENT OURS REFERENCE RATIO TARGET VERDICT
bench_row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BENCH_SECTION" "$1" "$2" \
		"$3" "$4" "$5" "$6" >>"$BENCH_ROWS"
	np_log "$BENCH_SECTION: $1: ours $2, reference $3, ratio $4 ($6)"
}

# bench_na MEASUREMENT WHY [REFERENCE]: the component is not there yet.
bench_na() {
	bench_row "$1" "n/a" "${3:--}" "-" "-" "not available yet: $2"
}

# Numbers on stdin, one a line: median / p99 / max (awk, no rounding).
bench_median() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bench_p99() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "nan"; exit }
		i = int((NR * 99 + 99) / 100); if (i > NR) i = NR; print v[i] }'
}

# bench_div A B [FORMAT]: A / B ("-" when either is missing or B is 0).
bench_div() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {
		if (a !~ /^-?[0-9.e+]+$/ || b !~ /^-?[0-9.e+]+$/ || b + 0 == 0)
			print "-";
		else printf f "\n", a / b }'
}

# bench_fmt NUMBER FORMAT: printf through awk ("-" passes through).
bench_fmt() {
	awk -v a="$1" -v f="$2" 'BEGIN {
		if (a !~ /^-?[0-9.e+]+$/) print a; else printf f "\n", a }'
}

# bench_cmp VALUE OP LIMIT: "ok" or "MISSED" (OP is < <= > >=).
bench_cmp() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a !~ /^-?[0-9.e+]+$/) { print "-"; exit }
		a += 0; b += 0
		r = (op == "<" && a < b) || (op == "<=" && a <= b) ||
		    (op == ">" && a > b) || (op == ">=" && a >= b)
		print (r ? "ok" : "MISSED") }'
}

# bench_kv KEY LINE: the value of KEY=value in a summary line.
bench_kv() {
	tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1
}

# bench_tool NAME: path of a bench tool, or fail the section.
bench_tool() {
	if [ ! -x "$BENCH_TOOLS/$1" ]; then
		np_log "missing $BENCH_TOOLS/$1 (make bench builds it)"
		return 1
	fi
	echo "$BENCH_TOOLS/$1"
}

# bench_cni_works: 0 when build/netpol-record-cni answers VERSION with
# supportedVersions (the placeholder and broken builds do not). Prints why
# not otherwise.
bench_cni_works() {
	local bin=$NP_BUILD/netpol-record-cni out
	if [ ! -x "$bin" ]; then
		echo "build/netpol-record-cni is not built"
		return 1
	fi
	out=$(echo '{"cniVersion":"1.0.0","name":"x","type":"netpol-record-cni"}' |
		CNI_COMMAND=VERSION CNI_CONTAINERID=x CNI_NETNS=dummy \
		CNI_IFNAME=eth0 CNI_PATH=/nonexistent timeout 10 "$bin" 2>/dev/null)
	if ! jq -e '.supportedVersions | length > 0' >/dev/null 2>&1 <<<"$out"; then
		echo "netpol-record-cni VERSION answers: $(head -c 200 <<<"$out")"
		return 1
	fi
	return 0
}

# bench_proc_cpu PID: utime+stime of PID in clock ticks.
bench_proc_cpu() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

# bench_proc_kb PID KEY: a /proc/PID/status value in kB (VmHWM, VmRSS).
bench_proc_kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null
}

bench_now() {
	date +%s.%N
}

bench_elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'
}
