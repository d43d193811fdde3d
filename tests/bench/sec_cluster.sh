#!/bin/bash
# Section 6: `netpol-record export --cluster` of one namespace and of all
# namespaces from the test API server (tests/tools/fake_apiserver.py,
# HTTPS on loopback in the section's node netns) holding the
# TrafficProfiles of 10,000 workloads on 3 nodes (30,000 profiles,
# 1,000,000 peer items), beside the same export from the three nodes' stores
# (--db x3). The stores are made by build/tools/bench_genstore (one per
# node, the same 10,000 workloads, a third of the flows each: every
# workload has pods on every node), their profiles by
# tests/tools/store2tp.py (a fixture generator: the publisher's documented
# mapping). Time: median of exec'd runs (bench_exec); peak memory: GNU
# time's maximum RSS of one run. The API server's own share of the time
# is measured alone (curl of the same list) and shown beside.
# Targets: one namespace under 1 s; all namespaces under 200 MB peak.
#   BENCH_CLUSTER_WORKLOADS (10000; quick 3000), BENCH_CLUSTER_FLOWS
#   (1000000; quick 300000), BENCH_CLUSTER_RUNS (5; quick 3)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../integration/lapi.sh"
bench_init cluster

nwl=${BENCH_CLUSTER_WORKLOADS:-$(bench_quick 3000 10000)}
nflows=${BENCH_CLUSTER_FLOWS:-$(bench_quick 300000 1000000)}
runs=${BENCH_CLUSTER_RUNS:-$(bench_quick 3 5)}
ns=ns-042
cli=$NP_BUILD/netpol-record
what="$nwl workloads on 3 nodes, $nflows flows"
T=$NP_TMP

gen=$(bench_tool bench_genstore) && bex=$(bench_tool bench_exec) || {
	bench_na "export one namespace from the cluster ($what)" "bench tools are not built"
	exit 0
}
if [ ! -x "$cli" ] || [ ! -x /usr/bin/time ]; then
	bench_na "export one namespace from the cluster ($what)" "build/netpol-record or GNU time is missing"
	exit 0
fi
np_log "generating three nodes' stores ($what)"
dbs=()
for i in 1 2 3; do
	g=$("$gen" -o "$T/node-$i.db" -w "$nwl" -f $((nflows / 3)) -s "$i") || {
		bench_na "export one namespace from the cluster ($what)" "bench_genstore failed"
		exit 0
	}
	np_log "node-$i: $g"
	sqlite3 "$T/node-$i.db" "INSERT OR REPLACE INTO meta VALUES ('node_name', 'node-$i')"
	dbs+=(--db "$T/node-$i.db")
done
np_log "their TrafficProfiles (tests/tools/store2tp.py)"
t0=$(bench_now)
/usr/bin/python3 "$NP_TOP/tests/tools/store2tp.py" "$T/node-1.db" \
	"$T/node-2.db" "$T/node-3.db" >"$T/seed.json"
counts=$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
tp = [o for o in d["items"] if o["kind"] == "TrafficProfile"]
print(len(tp), sum(len(g["peers"]) for o in tp
                  for g in o["spec"].get("egress", []) + o["spec"].get("ingress", [])))' "$T/seed.json")
nprof=${counts% *}
nent=${counts#* }
np_log "$nprof profiles, $nent peer items, $(($(stat -c %s "$T/seed.json") / 1048576)) MiB of JSON in $(bench_elapsed "$t0" "$(bench_now)") s"
what="$nwl workloads x 3 nodes: $nprof profiles, $nent peer items"

np_lapi_start
np_lapi_kubeconfig "$T/kubeconfig"
t0=$(bench_now)
np_lapi_load "$T/seed.json" novalidate || {
	bench_na "export one namespace from the cluster ($what)" "the test API server did not take the objects"
	exit 0
}
np_log "loaded into the test API server in $(bench_elapsed "$t0" "$(bench_now)") s"
rm -f "$T/seed.json" "$T/seed.json.load"

# One untimed run each, checked: the same policies both ways.
np_node "$cli" export -n "$ns" --kubeconfig "$T/kubeconfig" >"$T/c1.yaml" 2>"$T/c1.err"
rc=$?
"$cli" export -n "$ns" "${dbs[@]}" >"$T/s1.yaml" 2>/dev/null
if [ "$rc" -ne 0 ] || ! cmp -s "$T/c1.yaml" "$T/s1.yaml"; then
	bench_na "export one namespace from the cluster ($what)" "export --cluster failed or differs from the stores': $(head -c 160 "$T/c1.err")"
	exit 0
fi

# peak KB of one run: peak CMD...
peak() {
	/usr/bin/time -f '%M' -o "$T/peak" "$@" >/dev/null 2>"$T/peak.err" &&
		tail -n 1 "$T/peak"
}
mb() { bench_div "$1" 1024 %.0f; }

# The API server alone: the namespace's profiles as the CLI asks for them.
srv=$(for i in $(seq "$runs"); do
	np_node curl -sS -o /dev/null -w '%{time_total}\n' --cacert "$NP_LAPI_CA" \
		-H 'Authorization: Bearer tok-admin' \
		"$NP_LAPI_URL/apis/netpol-record.io/v1alpha1/namespaces/$ns/trafficprofiles?limit=500"
done | bench_median)
srv_ms=$(bench_div "$srv" 0.001 %.0f)

one=$(np_node "$bex" -n "$runs" -- "$cli" export -n "$ns" --kubeconfig "$T/kubeconfig" 2>"$T/one.err")
ref=$("$bex" -n "$runs" -- "$cli" export -n "$ns" "${dbs[@]}" 2>>"$T/one.err")
np_log "cluster: $one; stores: $ref; the API server's list alone: $srv_ms ms"
med=$(bench_div "$(bench_kv median_us "$one")" 1000 %.0f)
refm=$(bench_div "$(bench_kv median_us "$ref")" 1000 %.0f)
bench_row "export one namespace from the cluster, median of $runs ($what; the test API server's list alone: $srv_ms ms)" \
	"$med ms" "$refm ms (3 stores)" "$(bench_div "$med" "$refm")" "< 1 s" \
	"$(bench_cmp "$med" "<" 1000)"
p1=$(np_node bash -c "$(declare -f peak); T=$T; peak \"\$@\"" _ "$cli" export -n "$ns" --kubeconfig "$T/kubeconfig")
ps1=$(peak "$cli" export -n "$ns" "${dbs[@]}")
bench_row "export one namespace from the cluster: peak memory ($what)" \
	"$(mb "$p1") MB" "$(mb "$ps1") MB (3 stores)" "$(bench_div "$p1" "$ps1")" "-" "-"

np_log "all namespaces"
t0=$(bench_now)
pa=$(np_node bash -c "$(declare -f peak); T=$T; peak \"\$@\"" _ "$cli" export -A --kubeconfig "$T/kubeconfig")
ta=$(bench_elapsed "$t0" "$(bench_now)")
t0=$(bench_now)
psa=$(peak "$cli" export -A "${dbs[@]}")
tsa=$(bench_elapsed "$t0" "$(bench_now)")
if [ -z "$pa" ]; then
	bench_na "export all namespaces from the cluster ($what)" "export -A --cluster failed: $(head -c 160 "$T/peak.err")"
	exit 0
fi
bench_row "export all namespaces from the cluster: peak memory ($what)" \
	"$(mb "$pa") MB" "$(mb "$psa") MB (3 stores)" "$(bench_div "$pa" "$psa")" \
	"< 200 MB" "$(bench_cmp "$(mb "$pa")" "<" 200)"
bench_row "export all namespaces from the cluster: time, one run ($what; 500 a page)" \
	"$(bench_fmt "$ta" %.1f) s" "$(bench_fmt "$tsa" %.1f) s (3 stores)" \
	"$(bench_div "$ta" "$tsa")" "-" "-"
