#!/bin/bash
# Behaviour preserved: every case of tests/fixtures/golden/cases (export in
# every format, check in text and JSON, report in every format, status and
# known-servers list, on the stores the integration scenarios, the demo and
# the unit tests recorded) gives byte for byte the standard output,
# standard error and exit status kept in tests/fixtures/golden/out/.
#
# The stores are rebuilt from their SQL dumps (stores/*.sql) in a temporary
# directory, and every command runs there, so that the paths it prints are
# the same on every machine. The report's generation time is the one value
# that is not the stores': it is masked in both outputs before comparing.
#
#   GOLDEN_WRITE=1 bash tests/integration/test_golden.sh
# writes the outputs instead of comparing them (with NP_BUILD naming the
# build whose CLI makes them). Only for an output changed on purpose: say
# why in the commit.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${NP_BUILD:-$top/build}
npr="$build/netpol-record"
gold="$top/tests/fixtures/golden"
write=${GOLDEN_WRITE:-0}

[ -x "$npr" ] || { echo "FAIL: no $npr (make all)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is not installed" >&2; exit 1; }
tmp=$(mktemp -d /tmp/netpol-record-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for sql in "$gold"/stores/*.sql; do
	sqlite3 "$tmp/$(basename "$sql" .sql).db" <"$sql"
done
ln -s "$gold" "$tmp/golden"
ln -s "$top/tests/fixtures" "$tmp/fixtures"
mkdir -p "$gold/out"

# The report's generation time, in JSON and in the HTML header.
mask() {
	sed -E -e 's/^( *"generatedAt": )"[0-9T:Z-]+"/\1"(now)"/' \
		-e 's/ generated [0-9T:Z-]+ &middot;/ generated (now) \&middot;/' "$1"
}

n=0
failed=0
while read -r name rest; do
	case "$name" in ''|'#'*) continue ;; esac
	eval "args=($rest)"
	set +e
	(cd "$tmp" && NETPOL_RECORD_DB= "$npr" "${args[@]}" >"$tmp/stdout" \
		2>"$tmp/stderr")
	rc=$?
	set -e
	mask "$tmp/stdout" >"$tmp/out"
	{ mask "$tmp/stderr"; echo "exit $rc"; } >"$tmp/err"
	n=$((n + 1))
	if [ "$write" = 1 ]; then
		cp "$tmp/out" "$gold/out/$name.out"
		cp "$tmp/err" "$gold/out/$name.err"
		continue
	fi
	for k in out err; do
		if ! cmp -s "$tmp/$k" "$gold/out/$name.$k"; then
			echo "FAIL: $name: $k differs from golden/out/$name.$k" \
				"(netpol-record $rest)" >&2
			diff -u "$gold/out/$name.$k" "$tmp/$k" | head -n 40 >&2 || true
			failed=$((failed + 1))
		fi
	done
done <"$gold/cases"
[ "$n" -gt 0 ] || { echo "FAIL: no cases read" >&2; exit 1; }
if [ "$write" = 1 ]; then
	echo "wrote $n cases to $gold/out"
	exit 0
fi
[ "$failed" -eq 0 ] || { echo "FAIL: $failed of $((2 * n)) outputs differ" >&2; exit 1; }
echo "golden: $n cases, every output byte-identical"
