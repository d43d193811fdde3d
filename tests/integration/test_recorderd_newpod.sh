#!/bin/bash
# A new pod's first connections (issue 15, item 4): with flush_interval
# 5s, a pod attached a moment ago sends 1,000 UDP flows within 100 ms of
# its ADD to a pod already known. Every one is recorded on both sides,
# against the new pod's workload: its egress (nothing lost) and the
# server's ingress from it (not from a bare address). Twice: with the
# plugin handing the attachment to the daemon with its socket (the
# daemon knows the pod before its first packet), and with the hand-over
# off (releaseSocket ""), where the plugin writes the store and the
# daemon, holding the events whose client is in its pods' network,
# reads the attachments again. Nothing is counted unattributed.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdnewpod
net=$NP_BUILD/tools/bench_net
[ -x "$net" ] || np_fail "build/tools/bench_net is not built (make all)"
args() { echo "IgnoreUnknown=1;K8S_POD_NAMESPACE=np;K8S_POD_NAME=$1;K8S_POD_UID=uid-$1"; }
handing=$(np_conflist bridge '{"type":"netpol-record-cni","db":"'"$NP_DB"'"}')
cp "$handing" "$NP_TMP/handing.conflist"
handing="$NP_TMP/handing.conflist"
direct=$(np_conflist bridge '{"type":"netpol-record-cni","db":"'"$NP_DB"'","releaseSocket":""}')
np_pod srv "$handing" "$(args server)"
srvip=$(np_pod_ip srv 4)
np_udp_sink srv

np_rd_conf "$NP_TMP/rd.yaml" "flush_interval: 5s"
np_rd_start "$NP_TMP/rd.yaml"

q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$NP_DB" "$@"; }
# side DIRECTION SUBJECT PEER PORT: connections of that flow in the store.
side() {
	q "SELECT coalesce(sum(f.count),0) FROM flows f
	   JOIN workloads w ON w.id=f.workload_id
	   JOIN workloads p ON p.id=f.peer_workload_id
	   WHERE f.direction=$1 AND w.name='$2' AND p.name='$3' AND f.port=$4
	   AND f.protocol=17;"
}

# round POD CONFLIST PORT: attach POD, then at once 1,000 new flows to
# the server within 100 ms.
round() {
	local out sent
	np_pod "$1" "$2" "$(args "$1")"
	out=$(np_in "$1" "$net" udp-flows -c "$srvip" -n 1000 -r 10000 -D 1 -p "$3")
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
	[ "$sent" = 1000 ] || np_fail "$1: the generator sent: $out"
	np_log "$1: $out"
}

round handed "$handing" 20001
round direct "$direct" 20002
# The last flush on the way out: nothing waits for the 5 s timer.
np_rd_stop

for c in handed:20001 direct:20002; do
	pod=${c%%:*} port=${c##*:}
	eg=$(side 0 "$pod" server "$port")
	in=$(side 1 server "$pod" "$port")
	np_log "$pod: egress $eg, server ingress from it $in"
	[ "$eg" = 1000 ] || np_fail "$pod: $eg of 1000 connections recorded as its egress"
	[ "$in" = 1000 ] || np_fail "$pod: $in of 1000 connections recorded as the server's ingress from it"
done
bare=$(q "SELECT coalesce(sum(count),0) FROM flows WHERE peer_kind=1 AND protocol=17;")
[ "$bare" = 0 ] || np_fail "$bare connections recorded with a bare address as peer"
un=$(q "SELECT coalesce((SELECT value FROM counters WHERE name='events_unattributed'),0);")
[ "$un" = 0 ] || np_fail "events_unattributed $un"
# Both attachments reached the store: one written by the daemon, one by
# the plugin.
[ "$(q "SELECT count(*) FROM attachments WHERE pod_name IN ('handed','direct') AND detached_at=0;")" = 2 ] ||
	np_fail "attachments: $(q "SELECT container_id, pod_name, detached_at FROM attachments;")"
np_log "1,000 flows in the first 100 ms after ADD: all attributed on both sides, handed over or not"
