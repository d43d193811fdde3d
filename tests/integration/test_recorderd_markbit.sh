#!/bin/bash
# A new mark_bit for netpol-recorderd (issue: a SIGHUP with a new bit
# re-filtered the daemon's socket while the table's rules kept marking
# with the old one, so nothing was recorded any more). The daemon's
# configuration wins: it rewrites the table's rules (elements kept) on
# reload, at start and in its periodic check, and says loudly when the
# CNI plugin's markBit disagrees. The plugin here keeps the default bit
# throughout, as an operator who changed only the daemon would leave it:
#   1. reload with a new bit: the rules mark with it, new connections are
#      recorded; also those of a pod added after the reload (the plugin
#      only adds elements to a table that exists);
#   2. the table deleted: the next ADD recreates it with the plugin's
#      (old) bit; the daemon notices within its 5 s check, names the
#      plugin's configuration as the cause, rewrites the rules, and new
#      connections are recorded again;
#   3. a restart with the new bit in front of a table that marks with the
#      old one: rewritten at start, recorded.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

old_bit=0x00100000 old_dec=1048576
new_bit=0x00200000 new_dec=2097152
np_setup rdmark
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=mark;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=mark;K8S_POD_NAME=server"
b4=$(np_pod_ip b 4)
q() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$NP_DB" "$@"; }
np_bg b socat UDP4-RECVFROM:9000,fork SYSTEM:'echo u' >/dev/null
np_wait_port b 9000 udp

conf="$NP_TMP/rd.yaml"
np_rd_conf "$conf" "mark_bit: $old_bit"
np_rd_start "$conf"

# flow POD SPORT: a new UDP flow POD -> b:9000 from SPORT; its mark.
flow() { np_udp_mark "$1" "$b4" 9000 "$2"; }
recorded() {	# recorded NAME: UDP egress connections of pod NAME to b:9000
	q "SELECT coalesce(sum(count),0) FROM flows f JOIN workloads w ON w.id=f.workload_id
	   WHERE w.name='$1' AND f.direction=0 AND f.protocol=17 AND f.port=9000;"
}
wait_recorded() {	# wait_recorded NAME N WHAT
	local i
	for i in $(seq 50); do
		[ "$(recorded "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	tail -n 20 "$NP_RD_LOG" >&2
	np_fail "$3: pod $1's flow to b:9000 not recorded ($(recorded "$1"), want $2)"
}
rules_bit() {	# the bit the table's rules set, as nft prints it
	np_node nft list chain inet netpol_record prerouting |
		grep -o 'ct mark | 0x[0-9a-f]*' | sort -u | awk '{print $4}' | tr '\n' ' '
}

[ "$(flow a 32001)" = "$old_dec" ] || np_fail "before: not marked with $old_bit"
wait_recorded client 1 "before"

# --- 1. reload with a new bit ---------------------------------------------
# With it, a key that only a restart applies: said, and not taken.
np_rd_conf "$conf" "mark_bit: $new_bit" "max_flows: 1024"
kill -HUP "$NP_RD_PID"
np_rd_wait_log "configuration reloaded" 1
np_log "reload: $(grep -E 'reload|marked and recorded' "$NP_RD_LOG" | tail -n 3 | tr '\n' ' ')"
[ "$(rules_bit)" = "$new_bit " ] || np_fail "after the reload the rules set $(rules_bit)"
grep -q "mark_bit changed: it takes effect on restart" "$NP_RD_LOG" &&
	np_fail "mark_bit was taken for a restart-only key"
grep -q "max_flows changed: it takes effect on restart" "$NP_RD_LOG" ||
	np_fail "the reload did not say that max_flows needs a restart"
grep -q "2 keys changed, 1 applied, 1 on restart, 0 refused" "$NP_RD_LOG" ||
	np_fail "the reload's summary is wrong"
np_rd_conf "$conf" "mark_bit: $new_bit"
n0=$(recorded client)
for p in 32002 32003 32004 32005 32006; do
	[ "$(flow a "$p")" = "$new_dec" ] || np_fail "after the reload, a new connection is not marked $new_bit"
done
wait_recorded client $((n0 + 5)) "after the reload"
# A pod added after the reload, by the plugin that still has the old bit.
np_pod c "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=mark;K8S_POD_NAME=late"
# The daemon reads new attachments at its next flush tick (200 ms here);
# a new pod's egress before that to a known pod is not waited for yet.
sleep 1
[ "$(rules_bit)" = "$new_bit " ] || np_fail "the plugin's ADD changed the rules: $(rules_bit)"
[ "$(flow c 32010)" = "$new_dec" ] || np_fail "the pod added after the reload is not marked $new_bit"
wait_recorded late 1 "pod added after the reload"

# --- 2. the table recreated by the plugin with its own (old) bit ----------
np_node nft delete table inet netpol_record
np_rd_wait_log "table inet netpol_record was deleted" 1
np_pod d "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=mark;K8S_POD_NAME=later"
sleep 1
np_rd_wait_log "recreated by the CNI plugin with markBit $old_bit" 1
np_rd_wait_log "rules rewritten for mark $new_bit" 1
np_log "daemon: $(grep 'recreated by the CNI plugin' "$NP_RD_LOG" | head -n 1 | cut -c1-220)..."
[ "$(rules_bit)" = "$new_bit " ] || np_fail "after the plugin recreated the table the rules set $(rules_bit)"
n1=$(recorded client)
[ "$(flow a 32020)" = "$new_dec" ] || np_fail "after the rewrite, pod a's new connection is not marked $new_bit"
wait_recorded client $((n1 + 1)) "after the table was recreated"
[ "$(flow d 32021)" = "$new_dec" ] || np_fail "pod d is not marked $new_bit"
wait_recorded later 1 "the pod whose ADD recreated the table"
np_rd_stop

# --- 3. restart with the new bit; the table marks with the old one --------
np_node nft delete table inet netpol_record
np_pod e "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=mark;K8S_POD_NAME=last"
[ "$(rules_bit)" = "$old_bit " ] || np_fail "the plugin's table does not mark with $old_bit: $(rules_bit)"
np_rd_start "$conf"
sleep 1
grep -q "marks pod connections with $old_bit" "$NP_RD_LOG" ||
	np_fail "the start did not say the table disagreed with mark_bit"
[ "$(rules_bit)" = "$new_bit " ] || np_fail "after the restart the rules set $(rules_bit)"
n2=$(recorded client)
[ "$(flow a 32030)" = "$new_dec" ] || np_fail "after the restart, not marked $new_bit"
[ "$(flow e 32031)" = "$new_dec" ] || np_fail "after the restart, pod e not marked $new_bit"
wait_recorded client $((n2 + 1)) "after the restart"
wait_recorded last 1 "after the restart"
np_rd_stop
# Pods kept their elements through every rewrite.
for p in a b c d e; do
	np_node nft list set inet netpol_record pod_v4 | grep -q "$(np_pod_ip "$p" 4)" ||
		np_fail "pod $p lost its element"
done
np_log "mark_bit changed by reload and restart: the daemon's rules win, everything recorded"
