#!/bin/bash
# The HTML report in headless Chromium, as a cluster admin sees it, on
# five stores: the demo's; twenty workloads of a layered shop with 200
# flows and policies that deny some (tests/browser/genstore.py,
# policies.yaml); random stores (tests/tools/bench_genstore) of twenty
# workloads with 200 flows, fifty with 300 flows (268 arrows: the most
# the drawing shows one workload per box) and sixty with 600, the latter
# drawn one box per namespace. For each, tests/browser/report_page.py loads the page at
# 1024, 1400 and 1920 px, writes screenshots to $NP_BUILD/report-shots/
# for a person to look at, and asserts from the rendered DOM: no edge
# passes through a box other than its ends, no edge label lies on a box,
# the Verdict column is visible, a click on an edge lists its flows, a
# click on a node its arrows, the filters work, nothing is fetched, no
# console message. Also: the same store and policies give the same bytes
# twice, and -o dot is read back by Graphviz's dot.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${NP_BUILD:-$top/build}
npr="$build/netpol-record"
gen="$build/tools/bench_genstore"
shots="$build/report-shots"

fail() { echo "FAIL: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ -x "$npr" ] && [ -x "$gen" ] || fail "build first (make all)"
for c in /usr/bin/chromium python3 sqlite3 dot; do
	command -v "$c" >/dev/null || fail "$c is not installed (install/deps.sh)"
done
tmp=$(mktemp -d /tmp/netpol-record-browser.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$shots"
rm -f "$shots"/*.png

gold="$top/tests/fixtures/golden"
sqlite3 "$tmp/demo.db" <"$gold/stores/demo.sql"
"$gen" -o "$tmp/shop20.db" -w 2 -f 0 -N 1 >/dev/null
python3 "$top/tests/browser/genstore.py" | sqlite3 "$tmp/shop20.db"
"$gen" -o "$tmp/random20.db" -w 20 -f 200 -N 3 -s 7 >/dev/null
"$gen" -o "$tmp/random50.db" -w 50 -f 300 -N 4 -s 5 >/dev/null
"$gen" -o "$tmp/random60.db" -w 60 -f 600 -N 4 -s 9 >/dev/null
[ "$(sqlite3 "$tmp/shop20.db" 'SELECT count(*) FROM flows')" -eq 200 ] ||
	fail "genstore.py did not write 200 flows"

shop=(--db "$tmp/shop20.db" -A --policies "$top/tests/browser/policies.yaml"
	--pod-cidr 198.18.1.0/24 --service-cidr 198.18.100.0/24)
"$npr" report --db "$tmp/demo.db" -n demo \
	--policies "$gold/policies/demo-broken.yaml" \
	--known-servers "$gold/policies/demo-known-servers.yaml" \
	-o html --out "$tmp/demo.html"
"$npr" report "${shop[@]}" -o html --out "$tmp/shop20.html"
"$npr" report --db "$tmp/random20.db" -A -o html --out "$tmp/random20.html"
"$npr" report --db "$tmp/random50.db" -A -o html --out "$tmp/random50.html"
"$npr" report --db "$tmp/random60.db" -A -o html --out "$tmp/random60.html"

log "the same store and policies give the same page (but for its time)"
"$npr" report "${shop[@]}" -o html --out "$tmp/again.html"
mask() { sed -E 's/ generated [0-9T:Z-]+ &middot;/ generated (now) \&middot;/' "$1"; }
cmp -s <(mask "$tmp/shop20.html") <(mask "$tmp/again.html") ||
	fail "two reports of the same store differ"
grep -q 'class="edge denied"' "$tmp/shop20.html" || fail "no denied edge"

log "-o dot is what Graphviz reads"
"$npr" report "${shop[@]}" -o dot >"$tmp/shop20.dot"
head -n 1 "$tmp/shop20.dot" | grep -q '^digraph topology {' || fail "not DOT"
dot -Tsvg "$tmp/shop20.dot" -o "$tmp/shop20.svg" 2>"$tmp/dot.err" ||
	fail "dot cannot read -o dot: $(head -3 "$tmp/dot.err")"
"$npr" report --db "$tmp/random60.db" -A --graph namespaces -o dot \
	>"$tmp/ns.dot"
grep -q '"namespace ns-000"' "$tmp/ns.dot" ||
	fail "--graph namespaces: no namespace node"

check() {	# check NAME ARGS...: report_page.py on $tmp/NAME.html
	local name=$1
	shift
	log "$name in Chromium"
	python3 "$top/tests/browser/report_page.py" --shots "$shots" \
		--name "$name" "$@" "$tmp/$name.html" ||
		fail "$name: the page does not pass (screenshots in $shots)"
}
check demo --expect-graph workloads --expect-verdict
check shop20 --expect-graph workloads --expect-verdict
check random20 --expect-graph workloads
check random50 --expect-graph workloads
check random60 --expect-graph namespaces
n=$(find "$shots" -name '*.png' | wc -l)
[ "$n" -ge 20 ] || fail "$n screenshots in $shots, want 20 or more"
log "screenshots: $shots"
log "ok"
