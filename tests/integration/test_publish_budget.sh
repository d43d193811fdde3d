#!/bin/bash
# The publisher's node-wide budget for counts-only rewrites
# (publish.max_refreshes_per_hour): one node, four Deployments, steady
# UDP traffic that moves every profile's counts each second, with
# publish.refresh at 1 s. Without the budget that is a rewrite of every
# object each second (80 in 20 s); with 720 an hour (a token every 5 s,
# a minute's worth, 12, at once) the node makes at most 12 + 4 in 20 s,
# and at least the 4 the tokens of those 20 s pay for. A new flow is
# written within the interval even while the budget is spent, and after
# SIGTERM the API holds exactly what the store holds (the last publish
# writes every change).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

net=$NP_BUILD/tools/bench_net
[ -x "$net" ] || np_fail "build/tools/bench_net is not built (make all)"

np_setup pubbud
np_cluster 1
np_api_start
G=/apis/netpol-record.io/v1alpha1
nwl=4
pad() { printf 'w%02d' "$1"; }

np_pub_pods "$nwl"

conf="$NP_NODE_DIR/recorderd.yaml"
np_rd_conf "$conf" "node_name: node-1" "flush_interval: 500ms" \
	"metadata: {source: kubeconfig, kubeconfig: $NP_TMP/api/kubeconfig}" \
	"publish: {interval: 1s, refresh: 1s, max_refreshes_per_hour: 720}"
np_rd_start "$conf"
np_retry 300 np_pub_owners "$nwl" || np_fail "the daemon did not learn its pods' owners"

# Every pod sends a datagram to the next two each second, for 60 s at
# most (stopped with the test).
pods=()
for ((i = 0; i < nwl; i++)); do pods+=("$(pad "$i")"); done
np_pods_neigh "${pods[@]}"
for ((i = 0; i < nwl; i++)); do
	w=$(pad "$i")
	np_bg "$w" "$net" udp-peers -c "${NP_PUB_IP[$(pad $(((i + 1) % nwl)))]},${NP_PUB_IP[$(pad $(((i + 2) % nwl)))]}" \
		-p 20000 -i 1 -t 60 >/dev/null
done
# Learnt: every profile with its 2 egress and 2 ingress entries.
settled() {
	[ "$(np_api GET "$G/namespaces/shop/trafficprofiles" |
		jq '[.items[] | select(.spec.entryCount == 4)] | length')" -eq "$nwl" ]
}
np_retry 300 settled || np_fail "the profiles did not settle: $(np_api GET "$G/namespaces/shop/trafficprofiles" | jq -c '[.items[] | [.metadata.name, .spec.entryCount]]')"

patches() {
	np_api GET /_test/stats | jq '[.requests | to_entries[] | select(.key | test("^patch trafficprofiles")) | .value] | add // 0'
}
np_log "counts move every second; 20 s of rewrites under 720 an hour"
np_api_ctl stats '{"reset": true}'
t0=$(date +%s%N)
sleep 10
# A new flow while the budget is spent: written within the interval.
np_in w00 "$net" udp-peers -c "${NP_PUB_IP[w03]}" -p 30000 -i 60 -t 0.01 >/dev/null
new() {
	np_api GET "$G/namespaces/shop/trafficprofiles/deployment-w00-node-1" |
		jq -e '[.spec.egress[]? | select(.port == 30000)] | length == 1' >/dev/null
}
np_retry 100 new || np_fail "the new flow was not written within 10 s while the refresh budget was spent"
sleep 10
n=$(patches)
s=$((($(date +%s%N) - t0) / 1000000000))
# The tokens of the window: a minute's worth at its start at most, one
# every 5 s during it (and one started); plus the new flow's two applies
# (w00 gains an egress entry, w03 an ingress one).
max=$((12 + s / 5 + 1 + 2))
np_log "$n applies of profiles in $s s (two of them the new flow's; at most $max)"
[ "$n" -le "$max" ] || np_fail "$n applies of profiles in $s s: the budget (720 an hour, 12 at once) is not kept"
[ "$n" -ge 3 ] || np_fail "only $n applies of profiles in $s s: counts are not rewritten within the budget"

# The last publish writes everything that changed, budget or not.
np_rd_stop -t 30
np_api GET "$G/trafficprofiles?labelSelector=netpol-record.io%2Fnode%3Dnode-1" >"$NP_TMP/profiles.json"
python3 "$NP_TOP/tests/tools/tp_check.py" --db "$NP_DB" --node node-1 \
	--profiles "$NP_TMP/profiles.json" ||
	np_fail "after SIGTERM the API server's objects differ from the store (above)"
np_log "ok"
