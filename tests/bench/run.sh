#!/bin/sh
# make bench: every figure measured side by side with its reference in the
# same run, printed as one table. See tests/bench/README.md.
#
# Environment:
#   BENCH_QUICK=1         a short run (about 3 minutes) with small counts
#   BENCH_SECTIONS="..."  which sections, in order (default: all eight):
#                         cni datapath ingest export kmeta adopt publish
#                         cluster
#   BENCH_TIME_LIMIT=S    stop each section after S seconds (default: a
#                         limit per section, 120-600 s)
#   BENCH_OUT=FILE        also write the table (markdown, with the date,
#                         machine and command) to FILE
#   plus the per-section knobs listed in tests/bench/README.md.
# Needs root (network namespaces); `make bench` builds build/tools/bench_*.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${BUILD:=build}"
case "$BUILD" in
/*) NP_BUILD=$BUILD ;;
*) NP_BUILD=$top/$BUILD ;;
esac
export NP_BUILD
: "${BENCH_QUICK:=0}"
export BENCH_QUICK
sections=${BENCH_SECTIONS:-"cni datapath ingest export kmeta adopt publish cluster"}

if [ "$(id -u)" -ne 0 ]; then
	echo "make bench: needs root (network namespaces)" >&2
	exit 1
fi

BENCH_ROWS=$(mktemp /tmp/netpol-record-bench-rows.XXXXXX)
BENCH_IDS=$(mktemp /tmp/netpol-record-bench-ids.XXXXXX)
export BENCH_ROWS BENCH_IDS
trap 'rm -f "$BENCH_ROWS" "$BENCH_IDS"' EXIT
trap 'exit 130' INT TERM

# Upper bounds per section (seconds): a hung component cannot hold the run.
limit() {
	if [ -n "${BENCH_TIME_LIMIT:-}" ]; then
		echo "$BENCH_TIME_LIMIT"
		return
	fi
	case "$1" in
	cni) echo 600 ;;
	datapath) echo 360 ;;
	ingest) echo 600 ;;
	export) echo 240 ;;
	kmeta) echo 120 ;;
	adopt) echo 300 ;;
	publish) echo $((${BENCH_PUBLISH_SECS:-180} + 600)) ;;
	cluster) echo 1500 ;;
	*) echo 300 ;;
	esac
}

start=$(date +%s)
echo "make bench: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -srm)," \
	"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
	"BENCH_QUICK=$BENCH_QUICK"
for s in $sections; do
	script=$top/tests/bench/sec_$s.sh
	if [ ! -f "$script" ]; then
		echo "make bench: unknown section $s" >&2
		continue
	fi
	echo "== section $s"
	# timeout sends TERM: the harness's trap still removes everything.
	timeout -k 60 "$(limit "$s")" bash "$script"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "(section)" "-" "-" \
			"-" "-" "section stopped early (exit $rc), see its log above" \
			>>"$BENCH_ROWS"
	fi
done

# Nothing left behind: no netns, no temp dir of any section of this run.
# A section stopped by its time limit while a command hung may not have
# finished its own cleanup: what carries its run id is removed here.
left=""
while read -r id; do
	[ -n "$id" ] || continue
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$id-"); do
		left="$left netns $ns;"
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	for d in /tmp/netpol-record-bench-*-"$id".*; do
		[ -e "$d" ] || continue
		left="$left $d;"
		rm -rf "$d"
	done
done <"$BENCH_IDS"
[ -z "$left" ] || echo "make bench: a section left behind (now removed):$left" >&2

echo
echo "make bench: results ($(($(date +%s) - start)) s; ratio = ours / reference)"
awk -F '\t' '
BEGIN {
	h[1] = "section"; h[2] = "measurement"; h[3] = "ours";
	h[4] = "reference"; h[5] = "ratio"; h[6] = "target"; h[7] = "verdict"
	for (i = 1; i <= 7; i++) w[i] = length(h[i])
}
{
	n++
	for (i = 1; i <= 7; i++) {
		c[n, i] = $i
		if (i < 7 && length($i) > w[i]) w[i] = length($i)
	}
}
END {
	for (i = 1; i <= 7; i++) printf "%-*s%s", w[i], h[i], i < 7 ? "  " : "\n"
	for (r = 1; r <= n; r++)
		for (i = 1; i <= 7; i++)
			printf "%-*s%s", w[i], c[r, i], i < 7 ? "  " : "\n"
}' "$BENCH_ROWS"

if [ -n "${BENCH_OUT:-}" ]; then
	{
		echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - start)) s."
		echo
		echo "- command: \`${BENCH_COMMAND:-make bench}\` (BENCH_QUICK=$BENCH_QUICK)"
		echo "- machine: \`$(uname -a)\`"
		echo "- cores: $(nproc); CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
		echo "- memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
		echo "- load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
		echo
		echo "| section | measurement | ours | reference | ratio | target | verdict |"
		echo "|---|---|---|---|---|---|---|"
		awk -F '\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n",
			$1, $2, $3, $4, $5, $6, $7 }' "$BENCH_ROWS"
	} >"$BENCH_OUT"
fi
[ -z "$left" ]
