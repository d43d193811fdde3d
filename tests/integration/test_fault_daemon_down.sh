#!/bin/bash
# Fault: netpol-recorderd down while pods start and stop. The plugin alone
# still attaches pods added meanwhile (nftables elements, store record) and
# detaches pods deleted meanwhile (elements gone, store record detached);
# when the daemon starts again it knows every pod: traffic of a pod added
# while it was down is recorded against that pod's workload (both sides),
# and the address of a pod deleted while it was down is no longer that
# pod's (a flow to it is recorded against the bare address).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup fault_down
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail"}'
br=$(np_conflist bridge "$plugin")
ctl() { np_node "$NP_BUILD/tools/nftrules_ctl" "$@"; }
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
conf="$NP_TMP/rd.yaml"
np_rd_conf "$conf"
args() { echo "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=$1"; }
elems_of() { ctl list | grep -c " $NP_ID-$1/eth0\$" || true; }
detached_at() { q "SELECT detached_at FROM attachments WHERE container_id='$NP_ID-$1';"; }

np_pod a "$br" "$(args api-0)"
np_pod gone "$br" "$(args old-0)"
gone4=$(np_pod_ip gone 4)
np_rd_start "$conf"
np_rd_stop
np_log "daemon stopped; pods come and go"

np_pod b "$br" "$(args web-0)"
np_pod c "$br" "$(args web-1)"
np_pod_del gone
np_pod_del c	# added and deleted while the daemon was down
for p in a b; do
	[ "$(elems_of "$p")" = 3 ] || np_fail "pod $p: $(elems_of "$p") elements, want 3 (veth, IPv4, IPv6)"
	[ "$(detached_at "$p")" = 0 ] || np_fail "pod $p is not attached in the store"
done
for p in gone c; do
	[ "$(elems_of "$p")" = 0 ] || np_fail "deleted pod $p still has elements"
	[ "$(detached_at "$p")" -gt 0 ] || np_fail "deleted pod $p is not detached in the store"
done

np_rd_start "$conf"
grep -q "did not exit cleanly" "$NP_RD_LOG" && np_fail "a clean stop was taken for a crash"
grep -q "recording:.* 2 pods attached" "$NP_RD_LOG" ||
	np_fail "the daemon does not count the 2 attached pods: $(grep recording: "$NP_RD_LOG")"
a4=$(np_pod_ip a 4)
np_bg a socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_wait_port a 8080
# b (added while the daemon was down) -> a, IPv4 and IPv6; b -> the address
# the deleted pod had.
np_in b socat -T2 - TCP4:"$a4":8080 </dev/null >/dev/null
np_in b socat -T2 - TCP6:["$(np_pod_ip a 6)"]:8080 </dev/null >/dev/null
# Nobody answers ARP for the deleted pod's address: a static neighbour
# lets the datagram reach the bridge (and the node's conntrack).
np_in b ip neigh replace "$gone4" lladdr 02:00:00:00:00:01 dev eth0
np_in b socat -u - UDP4:"$gone4":9000 <<<x || true

flow() {	# flow WORKLOAD DIRECTION PEER_SQL PROTO PORT: count recorded
	q "SELECT coalesce(sum(f.count),0) FROM flows f JOIN workloads w ON w.id=f.workload_id
	   WHERE w.namespace='shop' AND w.name='$1' AND f.direction=$2 AND $3
	   AND f.protocol=$4 AND f.port=$5;"
}
peer_wl() { echo "f.peer_kind=0 AND f.peer_workload_id=(SELECT id FROM workloads WHERE namespace='shop' AND name='$1')"; }
ok=0
for _ in $(seq 50); do
	if [ "$(flow web-0 0 "$(peer_wl api-0)" 6 8080)" = 2 ] &&
		[ "$(flow api-0 1 "$(peer_wl web-0)" 6 8080)" = 2 ] &&
		[ "$(flow web-0 0 "f.peer_kind=1 AND f.peer_addr='$gone4'" 17 9000)" = 1 ]; then
		ok=1
		break
	fi
	sleep 0.1
done
if [ "$ok" != 1 ]; then
	q "SELECT w.name, f.direction, f.peer_kind, f.peer_workload_id, f.peer_addr, f.protocol, f.port, f.count
	   FROM flows f JOIN workloads w ON w.id=f.workload_id;" >&2
	np_fail "flows of pods changed while the daemon was down are not attributed as expected"
fi
[ "$(flow web-0 0 "$(peer_wl old-0)" 17 9000)" = 0 ] ||
	np_fail "a flow to the deleted pod's address was recorded against the deleted pod"
np_rd_stop
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check"
[ "$(q "SELECT count(*) FROM counters WHERE name='unclean_exits' AND value > 0;")" = 0 ] ||
	np_fail "unclean_exits counted after clean stops"
np_log "daemon down: plugin attached/detached alone; after start every pod known"
