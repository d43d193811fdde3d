#!/bin/bash
# Three nodes, one cluster, two ways to read it (issue 18): on the
# publisher's three-node scenario (tests/integration/cluster3.sh, issue
# 17: three node netns, each with its pods and its own netpol-recorderd
# publishing to one test API server over TLS), `kubectl netpol-record
# export -n shop` run through kubectl's plugin mechanism (PATH holds
# kubectl-netpol_record; KUBECONFIG points at the API server) equals
# `netpol-record export --db n1 --db n2 --db n3 -n shop` byte for byte;
# so do `check -o json` and `report -o json`, apart from the lines that
# name the source; KnownServer objects in the API widen addresses as the
# same file does; a node that stops publishing gives the completeness
# warning.
#
# It stands on cluster3.sh (c3_up, c3_traffic, c3_stop, C3_DB, the API
# server in $NP_FABRIC with $NP_TMP/api/kubeconfig: see its header), which
# the publisher's work provides; without it this test fails and says so.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
if [ ! -f "$here/cluster3.sh" ]; then
	np_fail "tests/integration/cluster3.sh (the publisher's three-node scenario, issue 17) is not there: this test runs once it is"
fi
. "$here/cluster3.sh"
for f in c3_up c3_traffic c3_stop np_use_node np_rd_stop; do
	declare -F "$f" >/dev/null || np_fail "cluster3.sh or lib.sh lacks $f (see this test's header)"
done

np_setup clexp
# Long enough for the comparisons to end before any node is stale (they
# read a stopped cluster), short enough to wait for it at the end.
REFRESH=30
c3_up "publish: {interval: 1s, refresh: ${REFRESH}s}"
c3_traffic
c3_traffic
# Every daemon flushes, then publishes what changed once more: the stores
# and the API server hold the same data.
c3_stop

B=${NP_BUILD:-$NP_TOP/build}
NPR=$B/netpol-record
T=$NP_TMP/clexp
KC=$NP_TMP/api/kubeconfig
mkdir -p "$T/bin"
ln -sf "$NPR" "$T/bin/kubectl-netpol_record"
dbs=(--db "${C3_DB[1]}" --db "${C3_DB[2]}" --db "${C3_DB[3]}")

# Clients run in the fabric, where the API server listens.
stores() { ip netns exec "$NP_FABRIC" env -u KUBECONFIG NETPOL_RECORD_DB= \
	"$NPR" "$@" "${dbs[@]}"; }
plugin() { ip netns exec "$NP_FABRIC" env PATH="$T/bin:$PATH" \
	KUBECONFIG="$KC" NETPOL_RECORD_DB= HOME="$T" kubectl netpol-record "$@"; }

# The lines that name the source: "stores" and "cluster" in the JSON.
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

np_log "export, check -o json and report -o json: the cluster = the stores"
stores export -n shop >"$T/s.yaml" 2>"$T/s.err"
plugin export -n shop >"$T/c.yaml" 2>"$T/c.err" || np_fail "kubectl netpol-record export: $(cat "$T/c.err")"
grep -q '^kind: NetworkPolicy' "$T/s.yaml" || np_fail "the stores gave no policy: $(cat "$T/s.err")"
same "export -n shop" "$T/s.yaml" "$T/c.yaml"
grep -q "^netpol-record export: read the cluster " "$T/c.err" || np_fail "the plugin did not read the cluster: $(head -n 2 "$T/c.err")"
for fmt in json cilium generated neighborhood; do
	stores export -n shop -o "$fmt" >"$T/s.$fmt" 2>/dev/null
	plugin export -n shop -o "$fmt" >"$T/c.$fmt" 2>/dev/null
	same "export -o $fmt" "$T/s.$fmt" "$T/c.$fmt"
done
stores export -A >"$T/s.all" 2>/dev/null
plugin export -A >"$T/c.all" 2>/dev/null
same "export -A" "$T/s.all" "$T/c.all"
# A policy that allows nothing: every recorded flow is denied.
cat >"$T/deny.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
EOF
for pol in "$T/s.yaml" "$T/deny.yaml"; do
	set +e
	stores check -n shop --policies "$pol" -o json >"$T/s.check" 2>/dev/null
	src=$?
	plugin check -n shop --policies "$pol" -o json >"$T/c.check" 2>/dev/null
	crc=$?
	set -e
	[ "$src" -eq "$crc" ] || np_fail "check --policies $(basename "$pol"): exit $src from the stores, $crc from the cluster"
	same "check -o json --policies $(basename "$pol")" "$T/s.check" "$T/c.check"
done
[ "$src" -eq 1 ] || np_fail "deny-all denied nothing: a check that cannot fail"
stores report -n shop -o json >"$T/s.report" 2>/dev/null
plugin report -n shop -o json >"$T/c.report" 2>/dev/null
grep -q '^  "cluster": ' "$T/c.report" || np_fail "the report does not name the cluster"
norm "$T/s.report" >"$T/s.rn"
norm "$T/c.report" >"$T/c.rn"
# Not a comparison of two empty counter sets: the stores counted events,
# and the cluster's report must show the stores' counters (each
# RecorderStatus's storeCounters), flows_written and all.
jq -e '.completeness.counters.events_seen > 0' "$T/c.report" >/dev/null ||
	np_fail "the cluster's report has no events_seen: $(jq -c .completeness "$T/c.report")"
same "report -o json" "$T/s.rn" "$T/c.rn"

np_log "KnownServer objects widen addresses as the file does"
cat >"$T/ks.yaml" <<'EOF'
apiVersion: netpol-record.io/v1alpha1
kind: KnownServer
metadata:
  name: payments
spec:
  - ipBlock: 203.0.113.64/26
    name: gateway
    server: pay.example.com
EOF
stores export -n shop --known-servers "$T/ks.yaml" >"$T/s.ks" 2>/dev/null
! cmp -s "$T/s.yaml" "$T/s.ks" || np_fail "the KnownServer widens nothing: a test that cannot fail"
plugin known-servers import "$T/ks.yaml" >/dev/null || np_fail "known-servers import (the cluster) failed"
plugin export -n shop >"$T/c.ks" 2>/dev/null
same "export with a KnownServer" "$T/s.ks" "$T/c.ks"

np_log "nodes that stop publishing: the completeness warning"
# c3_stop stopped every recorder: past twice their refresh, each node that
# ran pods of shop is named. Not before.
grep -q "has not published" "$T/c.err" && np_fail "a completeness warning while every node published: $(grep -m 1 'has not published' "$T/c.err")"
sleep $((2 * REFRESH + 2))
plugin export -n shop >"$T/stale.yaml" 2>"$T/stale.err"
for n in node-1 node-2 node-3; do
	grep -q "netpol-record/warnings: .*node $n has not published since" "$T/stale.yaml" ||
		np_fail "no completeness warning for $n in the policies: $(grep -m 3 warnings "$T/stale.yaml")"
done
grep -q "warning: node node-1 has not published since" "$T/stale.err" || np_fail "no completeness warning on stderr"
set +e
plugin status >"$T/status" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -qE "^node-3 +.* STALE " "$T/status" || np_fail "status: exit $rc: $(cat "$T/status")"
echo PASS
