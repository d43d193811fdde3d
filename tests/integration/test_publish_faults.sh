#!/bin/bash
# The publisher when the API server misbehaves, on the three-node cluster
# of tests/integration/cluster3.sh (publish interval 1 s, refresh 3 s):
#  - the CRDs not installed at start: one clear log line per node,
#    recording goes on; once installed, everything is published;
#  - the API server down for 8 s while pods keep connecting: one line per
#    node, no event lost by the recorder, everything published after;
#  - a storm of 429 with Retry-After: the publisher waits, one line per
#    node, publishes after;
#  - an object over the bound: max_entries leaves the least recently seen
#    out, a 413 has it written smaller, spec.truncated says how many;
#  - SIGHUP with a namespace no longer published: its profiles go (the
#    others stay what the store says), and come back when it is
#    published again;
#  - a workload deleted: with garbage collection off, the publisher
#    deletes its profile; with it on, the collector does, and the
#    publisher does not write it again; the profiles that name it
#    describe it then (spec.peerWorkloads).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/cluster3.sh"

np_setup pubfault
C3_API_ARGS=(--no-crds)
# Counts-only rewrites without the node's budget (test_publish_budget.sh
# tests it): after each fault the API must say what the stores say
# within seconds.
c3_up "publish: {interval: 1s, refresh: 3s, max_refreshes_per_hour: 36000}"
c3_traffic

count_log() { grep -c "$2" "${C3_LOG[$1]}" || true; }
profiles_of() { # profiles_of NODE: names of node-NODE's profiles
	c3_profiles | jq -r --arg n "node-$1" '.items[]? | select(.spec.node == $n) | .metadata.name' | sort | tr '\n' ' '
}

np_log "CRDs not installed: said once per node, recording goes on"
sleep 3
for i in 1 2 3; do
	n=$(count_log "$i" 'the CRDs are not installed: kubectl apply -f install/kubernetes/')
	[ "$n" -eq 1 ] || np_fail "node $i: $n lines about the missing CRD: $(grep publish: "${C3_LOG[$i]}")"
	[ "$(sqlite3 "${C3_DB[$i]}" 'SELECT count(*) FROM flows')" -gt 0 ] || np_fail "node $i recorded nothing"
done
np_api_ctl crd '{"name": "trafficprofiles.netpol-record.io", "installed": true}'
np_api_ctl crd '{"name": "recorderstatuses.netpol-record.io", "installed": true}'
# The back-off for a missing CRD is slow (30 s to 10 min): the first
# retry comes within 30 s of the first attempt.
for i in $(seq 60); do
	[ "$(profiles_of 1)" = "deployment-client-node-1 deployment-web-node-1 " ] &&
		[ "$(profiles_of 3)" = "deployment-tool-node-3 statefulset-db-node-3 " ] && break
	sleep 1
done
settled() { # until the API says what the stores say (10 s at most)
	np_retry 100 c3_check --running >/dev/null 2>&1 ||
		{ c3_check --running; np_fail "$1"; }
}
settled "not everything published once the CRDs were installed"
for i in 1 2 3; do
	[ "$(count_log "$i" 'takes our objects again (it was no-crd)')" -eq 1 ] ||
		np_fail "node $i: no line when publishing resumed"
done

np_log "the API server down for 8 s while pods connect"
np_api_ctl down '{"seconds": 8}'
sleep 1
c3_traffic
c3_traffic
sleep 8
settled "not everything published after the outage"
for i in 1 2 3; do
	n=$(count_log "$i" 'publish: the API server cannot be reached')
	[ "$n" -eq 1 ] || np_fail "node $i: $n lines about the API server being down"
	[ "$(count_log "$i" 'takes our objects again (it was down)')" -eq 1 ] ||
		np_fail "node $i: no line when the API server came back"
	lost=$(sqlite3 "${C3_DB[$i]}" "SELECT coalesce(max(value), 0) FROM counters WHERE name = 'events_lost'")
	[ "$lost" -eq 0 ] || np_fail "node $i lost $lost events"
done

np_log "429 with Retry-After for 8 s"
np_api_ctl stats '{"reset": true}'
np_api_ctl mode '{"throttle": {"resource": "trafficprofiles", "retryAfter": 3}}'
c3_traffic
sleep 8
throttled=$(np_api GET /_test/stats | jq '[.requests | to_entries[] | select(.key | test("trafficprofiles")) | .value] | add // 0')
np_api_ctl mode '{"throttle": null}'
# Three nodes waiting Retry-After (3 s) and more: a handful each.
[ "$throttled" -le 15 ] || np_fail "$throttled requests under 429 in 8 s: not backing off"
[ "$throttled" -ge 3 ] || np_fail "only $throttled requests: the nodes did not try"
settled "not everything published after the 429s"
for i in 1 2 3; do
	n=$(count_log "$i" 'throttled by the API server (HTTP 429): waiting 3 s')
	[ "$n" -eq 1 ] || np_fail "node $i: $n lines about 429"
done

np_log "an object over the bound: max_entries, then a 413"
# 2,500 more flows of client on node-1 (as if it had reached 2,500
# addresses): written into its store as the daemon would.
np_use_node 1
wl=$(sqlite3 "$NP_DB" "SELECT id FROM workloads WHERE kind = 'Deployment' AND name = 'client'")
now=$(date +%s)
python3 - "$NP_DB" "$wl" "$now" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
wl, now = int(sys.argv[2]), int(sys.argv[3])
rows = [(wl, "198.51.100.%d" % (i % 250 + 1), 20000 + i // 250, now - 2500 + i, now - 2500 + i)
        for i in range(2500)]
with db:
    db.executemany("INSERT INTO flows (workload_id, direction, peer_kind, peer_addr, protocol, port,"
                   " first_seen, last_seen, count) VALUES (?, 0, 1, ?, 6, ?, ?, ?, 1)", rows)
PY
# 1,000 address peers are ~86 KB in the compact form: a bound below, and
# above the 64 KiB the publisher's halving stops at.
np_api_ctl mode '{"body_limit": {"resource": "trafficprofiles", "bytes": 80000}}'
big() { c3_profiles | jq -e '.items[] | select(.metadata.name == "deployment-client-node-1") | select(.spec.truncated > 0)' >/dev/null; }
np_retry 150 big || np_fail "client's profile not written smaller: $(grep publish: "$NP_RD_LOG" | tail -n 5)"
o=$(c3_profiles | jq -c '.items[] | select(.metadata.name == "deployment-client-node-1") | .spec')
total=$(sqlite3 "$NP_DB" "SELECT count(*) FROM flows WHERE workload_id = $wl")
n=$(jq '.entryCount' <<<"$o")
t=$(jq '.truncated' <<<"$o")
[ $((n + t)) -ge $((total - 1)) ] || np_fail "entries $n + truncated $t, the store has $total flows"
[ "$n" -lt 1000 ] || np_fail "$n entries: the 413 did not make it smaller"
[ "$(jq -c '.' <<<"$o" | wc -c)" -lt 80000 ] || np_fail "the object is over the bound"
# The most recent are kept: the newest added flow is there.
jq -e '.egress[] | select(.port == 20009) | .peers[] | select(.address == "198.51.100.250")' <<<"$o" >/dev/null ||
	np_fail "the most recently seen entry was left out"
[ "$(count_log 1 'deployment-client-node-1 is too large for the API server (HTTP 413')" -eq 1 ] ||
	np_fail "no single line about the 413: $(grep publish: "$NP_RD_LOG" | tail -n 5)"
np_api_ctl mode '{"body_limit": null}'

np_log "SIGHUP: namespace other no longer published, then again"
gone() { ! c3_profiles | jq -e --arg n "$1" '.items[] | select(.metadata.name == $n)' >/dev/null; }
there() { ! gone "$1"; }
np_use_node 3
conf="$NP_NODE_DIR/recorderd.yaml"
cp "$conf" "$conf.orig"
sed -i 's/^publish: {interval: 1s, refresh: 3s, max_refreshes_per_hour: 36000}$/publish: {interval: 1s, refresh: 3s, max_refreshes_per_hour: 36000, namespaces: ["!other"]}/' "$conf"
grep -q 'namespaces: \["!other"\]' "$conf" || np_fail "the configuration was not changed: $(cat "$conf")"
kill -HUP "$NP_RD_PID"
np_retry 100 gone deployment-tool-node-3 || np_fail "the profile of other/tool is still there after the reload"
there statefulset-db-node-3 || np_fail "the reload deleted a profile of another namespace"
np_rd_wait_log 'configuration reloaded: 1 keys changed, 1 applied' 1
C3_NAMESPACES[3]='!other'
settled "node 3's objects differ from its store without namespace other"
cp "$conf.orig" "$conf"
kill -HUP "$NP_RD_PID"
np_retry 100 there deployment-tool-node-3 || np_fail "the profile of other/tool did not come back"
C3_NAMESPACES[3]=

np_log "a workload deleted, garbage collection off: the publisher deletes"
np_api_ctl mode '{"gc": false}'
np_api_ctl event "{\"type\": \"DELETED\", \"object\": $(c3_workload_json other Deployment tool)}"
np_retry 150 gone deployment-tool-node-3 || np_fail "the profile of the deleted tool is still there"
grep -q 'publish: deleted TrafficProfile other/deployment-tool-node-3' "${C3_LOG[3]}" ||
	np_fail "node 3 did not say it deleted the profile"
[ "$(sqlite3 "${C3_DB[3]}" "SELECT deleted_at > 0 FROM workloads WHERE name = 'tool'")" = 1 ] ||
	np_fail "the store does not say tool was deleted"
np_in tool socat -T3 - TCP4:203.0.113.80:443 </dev/null >/dev/null
sleep 4
gone deployment-tool-node-3 || np_fail "the profile of the deleted tool came back"

np_log "a workload deleted, garbage collection on: the collector deletes"
np_api_ctl mode '{"gc": true}'
np_api_ctl event "{\"type\": \"DELETED\", \"object\": $(c3_workload_json shop StatefulSet db)}"
np_retry 100 gone statefulset-db-node-3 || np_fail "the profile of the deleted db is still there"
sleep 4
gone statefulset-db-node-3 || np_fail "the profile of the deleted db came back"
[ "$(sqlite3 "${C3_DB[3]}" "SELECT deleted_at > 0 FROM workloads WHERE name = 'db'")" = 1 ] ||
	np_fail "the store does not say db was deleted"
# The peers deleted are described where they are named (their own
# profiles are gone): db by api's profile on node-2, still by reference.
settled "the API differs from the stores after the deletions"
e=$(c3_profiles | jq -c '.items[] | select(.metadata.name == "deployment-api-node-2") | .spec
	| [[.egress[].peers[].workload], [.peerWorkloads[]? | "\(.namespace)/\(.kind)/\(.name)"]]')
[ "$e" = '[["StatefulSet/db"],["shop/StatefulSet/db"]]' ] || np_fail "api's profile after db was deleted: $e"
for i in 1 2 3; do
	! grep -q 'a bug of netpol-recorderd' "${C3_LOG[$i]}" || np_fail "node $i: $(grep 'a bug' "${C3_LOG[$i]}")"
done
np_log "ok"
