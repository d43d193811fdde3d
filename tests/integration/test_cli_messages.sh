#!/bin/bash
# The messages a newcomer meets with netpol-record, run as a user would
# run the command: each says what is wrong and what to do, with the exit
# status the --help texts promise. No store, a directory or another file
# given as the store, a store of a newer schema, a misspelt namespace or
# workload, policies that select nothing checked, and the name kubectl
# invokes the plugin by; the bad stores for netpol-recorderd --status too;
# inputs that never end or are too large.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${NP_BUILD:-$top/build}
npr="$build/netpol-record"
gold="$top/tests/fixtures/golden"
tmp=$(mktemp -d /tmp/netpol-record-messages.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# run WANT_RC CMD...: run it, keep stdout/stderr, check the exit status.
run() {
	local want=$1 rc
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || { cat "$tmp/err" >&2; fail "$*: exit $rc, want $want"; }
}
# in_1g CMD...: run CMD in a subshell that may use at most 1 GB: an
# address-space limit, or, for an ASan build (whose shadow memory is
# terabytes of address space), ASan's own limit on resident memory.
in_1g() {
	if grep -qa __asan_init "$npr"; then
		(export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=1024"; "$@")
	else
		(ulimit -v 1048576; "$@")
	fi
}
# says TEXT...: stderr holds every TEXT.
says() {
	local t
	for t in "$@"; do
		grep -qF -- "$t" "$tmp/err" || { cat "$tmp/err" >&2; fail "stderr lacks '$t'"; }
	done
}

sqlite3 "$tmp/demo.db" <"$gold/stores/demo.sql"

echo "no store at all: start netpol-recorderd, or --db, or NETPOL_RECORD_DB"
NETPOL_RECORD_DB="$tmp/none.db" run 1 "$npr" export -n demo
says "$tmp/none.db: no such store" "start it" "--db PATH" "NETPOL_RECORD_DB"
run 2 "$npr" check --db "$tmp/none.db" -n demo --policies "$gold/policies/demo.yaml"
says "no such store" "netpol-recorderd"
run 1 "$npr" status --db "$tmp/none.db"
says "no such store" "NETPOL_RECORD_DB"

echo "--db naming a directory"
mkdir "$tmp/dir"
run 1 "$npr" export --db "$tmp/dir" -n demo
says "$tmp/dir: is a directory, not a store" "records.db"

echo "--db naming a file that is not a store"
echo "hello" >"$tmp/notes.txt"
run 2 "$npr" report --db "$tmp/notes.txt" -n demo
says "$tmp/notes.txt: is not a netpol-record store (not an SQLite database"
sqlite3 "$tmp/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
run 1 "$npr" export --db "$tmp/other.db" -n demo
says "is an SQLite database, but not a netpol-record store"

echo "a store from a newer schema: which version, and what to do"
cp "$tmp/demo.db" "$tmp/newer.db"
sqlite3 "$tmp/newer.db" "PRAGMA user_version = 99;"
run 1 "$npr" export --db "$tmp/newer.db" -n demo
says "written by a newer netpol-record (store schema version 99;" \
	"use a netpol-record at least as new"

echo "the same two for netpol-recorderd --status"
rd="$build/netpol-recorderd"
run 1 "$rd" --status --db "$tmp/notes.txt"
says "$tmp/notes.txt: is not a netpol-record store (not an SQLite database" \
	"move this file away"
run 1 "$rd" --status --db "$tmp/newer.db"
says "written by a newer netpol-record (store schema version 99;" \
	"run a netpol-recorderd at least as new"
run 1 "$rd" --status --db "$tmp/none.db"
says "$tmp/none.db: there is none yet" "creates it when it starts"

echo "inputs without end or too large: refused at the limit, which is named with how to raise it"
# /dev/zero never ends; with 1 GB a reader that grows without bound dies
# instead of answering.
in_1g run 2 "$npr" check --db "$tmp/demo.db" -n demo --policies /dev/zero
says "/dev/zero: larger than 64 MiB, the limit of an input" \
	"set NETPOL_RECORD_MAX_INPUT (such as NETPOL_RECORD_MAX_INPUT=1G)"
NETPOL_RECORD_MAX_INPUT=1M run 2 "$npr" check --db "$tmp/demo.db" -n demo --policies - </dev/zero
says "<stdin>: larger than 1 MiB, the limit of an input"
# A 200 MB file is refused before it is read.
truncate -s 200M "$tmp/huge.yaml"
in_1g run 2 "$npr" check --db "$tmp/demo.db" -n demo --policies "$tmp/huge.yaml"
says "$tmp/huge.yaml: larger than 64 MiB"
NETPOL_RECORD_MAX_INPUT=lots run 2 "$npr" check --db "$tmp/demo.db" -n demo --policies "$gold/policies/demo.yaml"
says "NETPOL_RECORD_MAX_INPUT=lots: expected a size from 1 to 64G"
# Raised, the same policies read as before.
NETPOL_RECORD_MAX_INPUT=300M run 0 "$npr" check --db "$tmp/demo.db" -n demo --policies "$gold/policies/demo.yaml"
NETPOL_RECORD_MAX_INPUT=2K run 1 "$npr" known-servers import --db "$tmp/demo.db" "$tmp/huge.yaml"
says "larger than 2 KiB"

echo "a misspelt namespace or workload: the closest recorded"
run 1 "$npr" export --db "$tmp/demo.db" -n dmeo
says "namespace 'dmeo': nothing was ever recorded" "did you mean 'demo'?" \
	"Recorded namespaces: demo, kube-system"
run 1 "$npr" export --db "$tmp/demo.db" -n demo -w deploy/backnd
says "workload 'Deployment/backnd' in namespace demo: not recorded" \
	"did you mean 'Deployment/backend'?"
run 2 "$npr" check --db "$tmp/demo.db" -n dmeo --policies "$gold/policies/demo.yaml"
says "did you mean 'demo'?"

echo "check whose policies select nothing checked: warned, in text and JSON"
run 0 "$npr" check --db "$tmp/demo.db" -n kube-system --policies "$gold/policies/demo.yaml"
grep -q ' 0 denied, 0 unresolved$' "$tmp/out" || fail "summary: $(cat "$tmp/out")"
says "warning: none of the 5 NetworkPolicies selects a workload checked" \
	"(namespace kube-system): they are for namespace demo" \
	"check --namespace"
run 0 "$npr" check --db "$tmp/demo.db" -n kube-system -o json \
	--policies "$gold/policies/demo.yaml"
jq -e '.warnings | any(test("none of the 5 NetworkPolicies selects a workload checked.*namespace demo"))' \
	"$tmp/out" >/dev/null || fail "JSON without the warning: $(cat "$tmp/out")"
# Policies that do select something say nothing of the kind.
run 0 "$npr" check --db "$tmp/demo.db" -n demo --policies "$gold/policies/demo.yaml"
if grep -q "selects a workload checked" "$tmp/err"; then
	fail "warned although the policies select the demo workloads"
fi

echo "kubectl netpol-record --help names itself so"
ln -s "$npr" "$tmp/kubectl-netpol_record"
run 0 "$tmp/kubectl-netpol_record" --help
grep -q '^usage: kubectl netpol-record COMMAND' "$tmp/out" || fail "usage: $(head -n 1 "$tmp/out")"
grep -q "'kubectl netpol-record COMMAND --help'" "$tmp/out" || fail "command help hint"
run 0 "$tmp/kubectl-netpol_record" export --help
grep -q '^usage: kubectl netpol-record export ' "$tmp/out" || fail "export usage: $(head -n 1 "$tmp/out")"
run 0 "$npr" --help
grep -q '^usage: netpol-record COMMAND' "$tmp/out" || fail "plain usage"
echo "ok"
