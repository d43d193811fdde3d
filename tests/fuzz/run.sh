#!/bin/sh
# make fuzz: build every tests/fuzz/fuzz_<name>.c with clang's libFuzzer,
# ASan and UBSan against build-fuzz/'s archives, and run each for SECONDS
# (default 60) on a copy of its seed corpus. New inputs stay in
# build-fuzz/corpus/<name>; crashes land in build-fuzz/crashes/<name>/ and
# make the run fail: add the input to tests/fuzz/corpus/<name>/ with the fix.
set -eu
SECONDS_EACH=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=build-fuzz
SAN="-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer"
PKGS="libmnl libnftnl libnetfilter_conntrack json-c yaml-0.1 sqlite3 libcurl"
CFLAGS="-O1 -g -std=gnu11 -D_GNU_SOURCE -I. $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lm -lpthread"
ARCHIVES="$B/libcli.a $B/librecorderd.a $B/libcni.a $B/libnft.a $B/liblib.a"
failed=0
mkdir -p "$B/fuzzers"
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	echo "== $name: build"
	# shellcheck disable=SC2086
	clang $CFLAGS $SAN -o "$B/fuzzers/$name" "$src" $ARCHIVES $LIBS
	mkdir -p "$B/corpus/$short" "$B/crashes/$short"
	cp -n tests/fuzz/corpus/"$short"/* "$B/corpus/$short/" 2>/dev/null || true
	echo "== $name: ${SECONDS_EACH}s"
	if ! UBSAN_OPTIONS=halt_on_error=1 "$B/fuzzers/$name" \
		-max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$B/crashes/$short/" "$B/corpus/$short" \
		>"$B/$name.log" 2>&1; then
		echo "!! $name found a problem: see $B/$name.log and $B/crashes/$short/"
		tail -n 30 "$B/$name.log"
		failed=$((failed + 1))
	else
		grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$B/$name.log" | tr '\n' ' '
		echo
	fi
done
echo "fuzz: $failed target(s) failed"
[ "$failed" -eq 0 ]
