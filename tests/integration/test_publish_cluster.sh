#!/bin/bash
# Three nodes (tests/integration/cluster3.sh), each with its own
# netpol-recorderd publishing to one test API server over TLS: pods talk
# within and across nodes, through a Service DNAT, to an external server
# by DNS name and by address, and a node connects to a pod. While the
# daemons run, the profiles appear (within the publish interval); after
# SIGTERM (a last flush, then a last publish) the API server holds a
# TrafficProfile per (workload, node) whose peers equal the flows of
# that node's store (tests/tools/tp_check.py, an independent reading of
# the mapping), and a RecorderStatus per node whose dataEnd is its
# store's.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/cluster3.sh"

np_setup pubc3
c3_up "publish: {interval: 1s, refresh: 3s}"
c3_traffic

# Published while running: node-1's client and node-2's api.
has() { c3_profiles | jq -e --arg n "$1" '.items[] | select(.metadata.name == $n)' >/dev/null; }
# The wait is for the first pass after the flush (interval 1 s), with
# room for a slow machine (ASan): times are not what this test asserts.
np_retry 300 has deployment-client-node-1 || c3_fail "no profile of client on node-1 within 30 s"
np_retry 300 has deployment-api-node-2 || c3_fail "no profile of api on node-2 within 30 s"
np_retry 300 has statefulset-db-node-3 || c3_fail "no profile of db on node-3 within 30 s"

# A second round of the same connections moves counts only.
c3_traffic
c3_stop
c3_check || np_fail "the API server's objects differ from the stores (above)"

# What the objects say, read as a user would.
p=$(c3_profiles)
n=$(jq '.items | length' <<<"$p")
[ "$n" -eq 6 ] || np_fail "$n profiles, want 6: $(jq -c '[.items[].metadata.name]' <<<"$p")"
web=$(jq -c '[.items[] | select(.spec.workload.name == "web") | .spec.node] | sort' <<<"$p")
[ "$web" = '["node-1","node-2"]' ] || np_fail "web's profiles: $web"
# [list, port, peer] of every peer of a profile's groups.
peers='.spec | to_entries[] | select(.key == "egress" or .key == "ingress") | .key as $l | .value[] | .port as $port | .peers[] | [$l, $port, .]'
# The client's egress to web: one peer (both pods), by reference in its
# own namespace, count 4 (2 rounds).
e=$(jq -c '.items[] | select(.metadata.name == "deployment-client-node-1") | '"$peers"'
	| select(.[2].workload == "Deployment/web") | [.[0], .[1], .[2].count]' <<<"$p")
[ "$e" = '["egress",8080,4]' ] || np_fail "client -> web: $e"
# Through the Service: the backend and the Service address.
e=$(jq -c '.items[] | select(.metadata.name == "deployment-client-node-1") | .spec.egress[]
	| .port as $port | .peers[] | select(.service) | [.workload, $port, .service.address, .service.port]' <<<"$p")
[ "$e" = '["Deployment/api",8080,"198.18.100.10",80]' ] || np_fail "client -> Service: $e"
# By DNS name: one peer for the name, with its address.
e=$(jq -c '.items[] | select(.metadata.name == "deployment-client-node-1") | .spec.egress[].peers[]
	| select(.dns) | [.dns.name, [.dns.addresses[].address], .count]' <<<"$p")
[ "$e" = '["pay.example.com",["203.0.113.80"],2]' ] || np_fail "client -> pay.example.com: $e"
# Both names the client was answered with for that address.
e=$(jq -c '.items[] | select(.metadata.name == "deployment-client-node-1") | .spec.dnsNames[]
	| select(.address == "203.0.113.80") | [.names[].name]' <<<"$p")
[ "$e" = '["cdn.example.com","pay.example.com"]' ] || np_fail "client's names of 203.0.113.80: $e"
# node-2's address reaching web-1 is a node peer, named.
e=$(jq -c '.items[] | select(.metadata.name == "deployment-web-node-1") | '"$peers"'
	| select(.[2].node.name == "node-2") | [.[0], .[1]]' <<<"$p")
[ "$e" = '["ingress",8080]' ] || np_fail "node-2 -> web-1: $e"
# tool pings web-1 from namespace other: ICMP at port 0, the reference
# with its namespace.
e=$(jq -c '.items[] | select(.metadata.name == "deployment-web-node-1") | .spec.ingress[]
	| select(.protocol == "ICMP") | [.port, [.peers[].workload]]' <<<"$p")
[ "$e" = '[0,["other/Deployment/tool"]]' ] || np_fail "tool -> web-1: $e"
# Nothing deleted: the peers of the profile's namespace are described by
# their own profiles; the peers of another namespace are described where
# they are named: other/tool in web's profile on node-1, shop/web in
# tool's on node-3.
e=$(jq -c '[.items[] | select(.spec.peerWorkloads) | [.metadata.name, [.spec.peerWorkloads[] | "\(.namespace)/\(.kind)/\(.name)"]]]' <<<"$p")
[ "$e" = '[["deployment-tool-node-3",["shop/Deployment/web"]],["deployment-web-node-1",["other/Deployment/tool"]]]' ] || np_fail "peer workloads described: $e"
# Owners: the Deployment's uid from the API; labels for selection.
e=$(jq -c '.items[] | select(.metadata.name == "deployment-api-node-2") | [.metadata.ownerReferences[0].uid,
	.metadata.labels["netpol-record.io/node"], .metadata.labels["netpol-record.io/workload-name"]]' <<<"$p")
[ "$e" = '["uid-deployment-api","node-2","api"]' ] || np_fail "api's metadata: $e"
# Nothing lost, nothing pending; counters in the store and --status.
for i in 1 2 3; do
	np_use_node "$i"
	st=$("$NP_BUILD/netpol-recorderd" --status --db "$NP_DB")
	grep -q '^  state *ok$' <<<"$st" || np_fail "node $i status: $st"
	grep -q '^  pending *0$' <<<"$st" || np_fail "node $i status: $st"
	grep -q '^publishing$' <<<"$st" || np_fail "node $i status: $st"
	s=$(np_api GET /apis/netpol-record.io/v1alpha1/namespaces/netpol-record/recorderstatuses/node-$i)
	[ "$(jq -r '.spec.counters.publishPending' <<<"$s")" = 0 ] || np_fail "node $i RecorderStatus: $s"
	[ "$(jq -r '.metadata.ownerReferences[0].uid' <<<"$s")" = "uid-node-$i" ] || np_fail "node $i RecorderStatus owner: $s"
	grep -q 'publish: TrafficProfiles of node node-' "$NP_RD_LOG" || np_fail "node $i: no publish line in its log"
	! grep -q 'publish: .*refused\|a bug of' "$NP_RD_LOG" || np_fail "node $i: $(grep 'publish:' "$NP_RD_LOG")"
done
np_log "ok"
