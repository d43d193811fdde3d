#!/bin/bash
# The man pages in doc/ match the programs: every option that a binary's
# --help (and each subcommand's --help) prints appears in its man page,
# every netpol-record command has a section, and every page in doc/ formats
# without a warning, by groff and by `man --warnings -l` at 80 columns (man's
# width when it writes to no terminal) and at 50. (No network: no namespaces
# needed.)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${NP_BUILD:-$top/build}
fail=0

# The options a help text mentions: -x, --long-name.
options_of() {
	grep -oE '(^|[][ (|,])--?[a-zA-Z][a-zA-Z0-9-]*' | sed -E 's/^[][ (|,]//' |
		sort -u
}

# A man page as plain words: \- is -, font escapes and break points (\:) go.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' -e 's/\\://g' "$1"
}

# A program's help text; a program that fails to run gives none.
help_of() {
	"$@" 2>&1 || true
}

check() {
	local page=$1 what=$2 help=$3 text opt
	text=$(plain "$top/doc/$page")
	if ! grep -q "usage: $what" <<<"$help"; then
		echo "FAIL: $what --help printed no usage: $(head -c 200 <<<"$help")"
		fail=1
		return
	fi
	while read -r opt; do
		[ -n "$opt" ] || continue
		if ! grep -qE -- "(^|[^a-zA-Z0-9-])${opt}([^a-zA-Z0-9-]|\$)" <<<"$text"; then
			echo "FAIL: $what --help mentions $opt; doc/$page does not"
			fail=1
		fi
	done < <(options_of <<<"$help")
}

command -v man >/dev/null || { echo "FAIL: man is not installed (install/deps.sh)"; exit 1; }
for page in netpol-record.8 netpol-recorderd.8 netpol-record-cni.8; do
	[ -f "$top/doc/$page" ] || { echo "FAIL: doc/$page missing"; fail=1; }
done
pages=0
for path in "$top"/doc/*.8; do
	page=${path##*/}
	pages=$((pages + 1))
	warn=$(groff -man -ww -z "$path" 2>&1) || warn="$warn (groff exit $?)"
	[ -z "$warn" ] || { echo "FAIL: groff on doc/$page: $warn"; fail=1; }
	for width in 80 50; do
		# man prints troff's warnings on stderr; the page goes nowhere.
		warn=$(MANWIDTH=$width man --warnings -l "$path" 2>&1 >/dev/null) ||
			warn="$warn (man exit $?)"
		[ -z "$warn" ] || { echo "FAIL: man --warnings -l doc/$page at $width columns: $warn"; fail=1; }
	done
done
[ "$pages" -ge 3 ] || { echo "FAIL: only $pages man pages in doc/"; fail=1; }

check netpol-recorderd.8 netpol-recorderd "$(help_of "$build/netpol-recorderd" --help)"
check netpol-record-cni.8 netpol-record-cni \
	"$(help_of "$build/netpol-record-cni" --help)"
check netpol-record-cni.8 "netpol-record-cni install" \
	"$(help_of "$build/netpol-record-cni" install --help)"
check netpol-record-cni.8 "netpol-record-cni uninstall" \
	"$(help_of "$build/netpol-record-cni" uninstall --help)"

main=$(help_of "$build/netpol-record" --help)
check netpol-record.8 netpol-record "$main"
# Every command listed under "commands:" has a section and its own options
# are documented.
cmds=$(awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}' <<<"$main")
[ -n "$cmds" ] || { echo "FAIL: no commands found in netpol-record --help"; fail=1; }
for c in $cmds; do
	if ! grep -qE "^\.SS $c\$" <<<"$(plain "$top/doc/netpol-record.8")"; then
		echo "FAIL: doc/netpol-record.8 has no section for $c"
		fail=1
	fi
	check netpol-record.8 "netpol-record $c" "$(help_of "$build/netpol-record" "$c" --help)"
done

[ "$fail" -eq 0 ] && echo "man pages match every --help"
exit "$fail"
