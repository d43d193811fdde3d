#!/bin/bash
# Three nodes, one cluster, two ways to read it (issue 18): on the
# three-node scenario of the publisher (issue 17: three node namespaces,
# each with its pods and its own netpol-recorderd publishing to one test
# API server), `kubectl netpol-record export -n NS` run through kubectl's
# plugin mechanism (PATH holds kubectl-netpol_record; KUBECONFIG points at
# the test API server over TLS) equals `netpol-record export --db n1 --db
# n2 --db n3` byte for byte; so do `check -o json` and `report -o json`,
# apart from the lines that name the source; KnownServer objects in the
# API widen addresses as the same file does; and a node that stops
# publishing gives the completeness warning.
#
# It stands on tests/integration/cluster3.sh, which the publisher's work
# provides; without it this test fails and says so. What it needs of it,
# once sourced (after lib.sh):
#   c3_start              build the three nodes and the API server, start
#                         the recorders, run the scenario's traffic, and
#                         return once every recorder has flushed its store
#                         and published all of it (its RecorderStatus with
#                         the store's facts, spec.store, included)
#   c3_in_api CMD...      run CMD where the API server is reachable
#   c3_stop_publishing NODE  make NODE's recorder stop publishing (stop it)
#   C3_KUBECONFIG         a kubeconfig for the API server (TLS, a user
#                         allowed to read what install/kubernetes/README.md
#                         lists for the reader)
#   C3_DBS                the three stores' paths, space-separated
#   C3_NODES              the three node names, in the same order
#   C3_NS                 the namespace the scenario's pods run in
#   C3_KNOWN_SERVERS      a KnownServer file covering the scenario's
#                         external server
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$here/cluster3.sh" ]; then
	np_fail "tests/integration/cluster3.sh (the publisher's three-node scenario, issue 17) is not there: this test runs once it is"
fi
. "$here/cluster3.sh"
missing=""
for f in c3_start c3_in_api c3_stop_publishing; do
	declare -F "$f" >/dev/null || missing="$missing $f"
done
[ -z "$missing" ] || np_fail "cluster3.sh lacks$missing (see this test's header)"

c3_start
missing=""
for v in C3_KUBECONFIG C3_DBS C3_NODES C3_NS C3_KNOWN_SERVERS; do
	[ -n "${!v:-}" ] || missing="$missing $v"
done
[ -z "$missing" ] || np_fail "cluster3.sh did not set$missing (see this test's header)"

B=${NP_BUILD:-$NP_TOP/build}
NPR=$B/netpol-record
T=$NP_TMP/cluster-export
mkdir -p "$T/bin"
ln -sf "$NPR" "$T/bin/kubectl-netpol_record"
dbs=()
for d in $C3_DBS; do dbs+=(--db "$d"); done
[ "${#dbs[@]}" -eq 6 ] || np_fail "C3_DBS names ${#dbs[@]} / 2 stores, not 3"

# The CLI on the stores; the kubectl plugin on the cluster.
stores() { c3_in_api env -u KUBECONFIG NETPOL_RECORD_DB= "$NPR" "$@" "${dbs[@]}"; }
plugin() { c3_in_api env PATH="$T/bin:$PATH" KUBECONFIG="$C3_KUBECONFIG" \
	NETPOL_RECORD_DB= HOME="$T" kubectl netpol-record "$@"; }

# The lines that name the source: stores/cluster in the report's JSON.
norm() {
	sed -E -e 's/^( *"generatedAt": )"[0-9T:Z-]+"/\1"(now)"/' \
		-e '/^  "stores": \[/,/^  \],?$/d' -e '/^  "cluster": /d' "$1"
}
same() { # same WHAT FILE1 FILE2
	if ! cmp -s "$2" "$3"; then
		diff "$2" "$3" | head -n 40 >&2 || true
		np_fail "$1: the cluster's differs from the stores'"
	fi
}

np_log "export, check -o json and report -o json: cluster = stores"
stores export -n "$C3_NS" >"$T/s.yaml" 2>"$T/s.err"
plugin export -n "$C3_NS" >"$T/c.yaml" 2>"$T/c.err" || np_fail "kubectl netpol-record export: $(cat "$T/c.err")"
grep -q '^kind: NetworkPolicy' "$T/s.yaml" || np_fail "the stores gave no policy: $(cat "$T/s.err")"
same "export -n $C3_NS" "$T/s.yaml" "$T/c.yaml"
grep -q "^netpol-record export: read the cluster " "$T/c.err" || np_fail "the plugin did not read the cluster: $(head -n 2 "$T/c.err")"
if grep -q "has not published" "$T/c.err"; then
	np_fail "a completeness warning while every node publishes: $(grep -m 3 'has not published' "$T/c.err")"
fi
stores export -n "$C3_NS" -o json >"$T/s.json" 2>/dev/null
plugin export -n "$C3_NS" -o json >"$T/c.json" 2>/dev/null
same "export -o json" "$T/s.json" "$T/c.json"
# A policy that allows nothing: every recorded flow is denied.
cat >"$T/deny.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: $C3_NS}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
EOF
for pol in "$T/s.yaml" "$T/deny.yaml"; do
	set +e
	stores check -n "$C3_NS" --policies "$pol" -o json >"$T/s.check" 2>/dev/null
	src=$?
	plugin check -n "$C3_NS" --policies "$pol" -o json >"$T/c.check" 2>/dev/null
	crc=$?
	set -e
	[ "$src" -eq "$crc" ] || np_fail "check --policies $(basename "$pol"): exit $src from the stores, $crc from the cluster"
	same "check -o json --policies $(basename "$pol")" "$T/s.check" "$T/c.check"
done
[ "$src" -eq 1 ] || np_fail "deny-all denied nothing: a check that cannot fail"
stores report -n "$C3_NS" -o json >"$T/s.report" 2>/dev/null
plugin report -n "$C3_NS" -o json >"$T/c.report" 2>/dev/null
norm "$T/s.report" >"$T/s.rn"
norm "$T/c.report" >"$T/c.rn"
same "report -o json" "$T/s.rn" "$T/c.rn"
grep -q '^  "cluster": ' "$T/c.report" || np_fail "the report does not name the cluster"

np_log "KnownServer objects widen addresses as the file does"
stores export -n "$C3_NS" --known-servers "$C3_KNOWN_SERVERS" >"$T/s.ks" 2>/dev/null
! cmp -s "$T/s.yaml" "$T/s.ks" || np_fail "C3_KNOWN_SERVERS widens nothing: a test that cannot fail"
plugin known-servers import --cluster "$C3_KNOWN_SERVERS" >/dev/null || np_fail "known-servers import --cluster failed"
plugin export -n "$C3_NS" >"$T/c.ks" 2>/dev/null
same "export with KnownServers" "$T/s.ks" "$T/c.ks"

np_log "a node that stops publishing: the completeness warning"
last=${C3_NODES##* }
refresh=$(c3_in_api env KUBECONFIG="$C3_KUBECONFIG" kubectl get \
	recorderstatuses.netpol-record.io -n netpol-record "$last" \
	-o jsonpath='{.spec.publishRefreshSeconds}')
[ -n "$refresh" ] && [ "$refresh" -le 30 ] ||
	np_fail "node $last's publish.refresh is '${refresh:-?}' s: the scenario must make it short (<= 30 s) for this step"
c3_stop_publishing "$last"
sleep $((2 * refresh + 2))
plugin export -n "$C3_NS" >"$T/stale.yaml" 2>"$T/stale.err"
grep -q "netpol-record/warnings: .*node $last has not published since" "$T/stale.yaml" ||
	np_fail "no completeness warning for $last in the policies: $(grep -m 3 warnings "$T/stale.yaml")"
grep -q "warning: node $last has not published since" "$T/stale.err" || np_fail "no completeness warning on stderr"
set +e
plugin status >"$T/status" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -qE "^$last +.* STALE " "$T/status" || np_fail "status --cluster: exit $rc: $(cat "$T/status")"
echo PASS
