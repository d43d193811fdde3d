#!/bin/bash
# Fault: the nftables table inet netpol_record deleted by someone else while
# netpol-recorderd runs. The daemon notices and logs it (periodic check);
# pod connections are no longer marked. Then, first path: the next CNI ADD
# recreates the table with the elements of EVERY attached pod (not only its
# own); second path (table deleted again): netpol-recorderd --repair puts
# them back. After each, a new connection of an old pod carries the mark
# again (conntrack) and is recorded; a pod deleted meanwhile is not restored.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup fault_nft
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=server"
np_pod c "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=other"
b4=$(np_pod_ip b 4)
ctl() { np_node "$NP_BUILD/tools/nftrules_ctl" "$@"; }
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }

conf="$NP_TMP/rd.yaml"
np_rd_conf "$conf"
np_rd_start "$conf"

np_bg b socat UDP4-RECVFROM:9000,fork SYSTEM:'echo u' >/dev/null
np_wait_port b 9000 udp

# mark_of SPORT: a new UDP flow a -> b:9000 from SPORT; its mark.
mark_of() { np_udp_mark a "$b4" 9000 "$1"; }
recorded() {	# recorded PORT-FROM: UDP egress flows of pod a to b:9000
	q "SELECT coalesce(sum(count),0) FROM flows f JOIN workloads w ON w.id=f.workload_id
	   WHERE w.name='client' AND f.direction=0 AND f.protocol=17 AND f.port=9000;"
}
owners() { ctl list | awk '{print $2}' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' '; }
wait_recorded() {	# wait_recorded N
	local i
	for i in $(seq 50); do
		[ "$(recorded)" -ge "$1" ] && return 0
		sleep 0.1
	done
	np_fail "pod a's flow to b:9000 not recorded: $(recorded), want $1"
}

[ "$(mark_of 31001)" = 1048576 ] || np_fail "a new connection is not marked before the fault"
wait_recorded 1
n0=$(recorded)

# --- someone deletes the table --------------------------------------------
np_node nft delete table inet netpol_record
np_rd_wait_log "table inet netpol_record was deleted" 1
np_log "daemon noticed: $(grep 'was deleted' "$NP_RD_LOG" | head -n 1)"
m=$(mark_of 31002)
[ "$m" = 0 ] || np_fail "without the table a connection is still marked ($m)"

# restored WHAT PORT RECORDED_BEFORE N: after WHAT put the table back,
# pods a, b and d have their 3 elements each, the deleted pod c none, the
# table is whole, a new connection of a on PORT is marked and recorded,
# and the daemon logged the table back for the Nth time.
restored() {
	local got p
	got=$(owners)
	np_log "after $1: $got"
	for p in a b d; do
		grep -q "$NP_ID-$p/eth0=3 " <<<"$got" ||
			np_fail "after $1, pod $p's 3 elements are not all there: $got"
	done
	if grep -q "$NP_ID-c/" <<<"$got"; then np_fail "$1 restored the deleted pod c: $got"; fi
	ctl check || np_fail "after $1 the table is not whole"
	[ "$(mark_of "$2")" = 1048576 ] || np_fail "after $1, pod a's new connection is not marked"
	wait_recorded $(($3 + 1))
	np_rd_wait_log "table inet netpol_record is back" "$4"
}

# --- path 1: the next ADD restores every attached pod ---------------------
np_pod_del c	# deleted while the table was gone: must not come back
np_pod d "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=late"
restored "the ADD that recreated the table" 31003 "$n0" 1
# CHECK of an old pod passes again.
out=$(np_cni CHECK "$br" a "IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=client") ||
	np_fail "CNI CHECK of pod a after the restore: $out"

# --- path 2: deleted again, netpol-recorderd --repair ---------------------
np_node nft delete table inet netpol_record
np_rd_wait_log "table inet netpol_record was deleted" 2
[ "$(mark_of 31004)" = 0 ] || np_fail "second deletion: still marked"
n1=$(recorded)
out=$(np_node "$NP_BUILD/netpol-recorderd" --repair -c "$conf" 2>&1) ||
	np_fail "--repair failed: $out"
np_log "repair: $out"
grep -q "repaired 3 attachments, 0 failed" <<<"$out" || np_fail "--repair output: $out"
restored "--repair" 31005 "$n1" 2
np_rd_stop
np_log "table deleted twice: noticed, restored by ADD and by --repair, traffic marked and recorded again"
