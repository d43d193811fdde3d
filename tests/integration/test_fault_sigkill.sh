#!/bin/bash
# Fault: netpol-recorderd killed with SIGKILL during heavy ingest, then
# started again while the load goes on. (test_recorderd_restart.sh covers
# a kill under a moderate load and connections opened while the daemon is
# down; this one adds a heavy raw-socket burst that overflows the event
# socket, connections open at the moment of the kill, and the lost-event
# counter.) Checked as a user would:
# - the store passes PRAGMA integrity_check right after the kill (the load
#   still running) and at the end;
# - TCP connections opened before the kill, counted and flushed by the
#   killed daemon and still open, are not counted again by the restarted
#   one (its start-up dump lists them): 3 on each side in all;
# - every UDP flow of the burst (all still open) is counted exactly once
#   over both runs, although both tiny receive buffers overflowed: what
#   the killed daemon flushed is not counted again, what it counted but
#   had not flushed and what came while it was down is counted from the
#   start-up dump and the resyncs: opened == recorded in all;
# - events_lost tells the truth: what the restarted daemon added to it is
#   exactly the kernel's drop count of its event socket
#   (/proc/net/netlink), and it is not zero; the restart says that the
#   previous run was killed (what it had not flushed is gone: log line and
#   the unclean_exits counter).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup fault_kill
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=load;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=load;K8S_POD_NAME=server"
b4=$(np_pod_ip b 4); b6=$(np_pod_ip b 6)
# Every flow of the burst stays in the conntrack table until the end.
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=180

np_rd_conf "$NP_TMP/rd.yaml" "flush_interval: 500ms" \
	"receive_buffer: {initial: 16K, max: 16K}"
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
counter() { q "SELECT coalesce((SELECT value FROM counters WHERE name='$1'),0);"; }
flow_count() {	# flow_count DIRECTION PROTO PORT
	q "SELECT coalesce(sum(count),0) FROM flows WHERE direction=$1 AND protocol=$2 AND port=$3;"
}
# kernel_drops PID: the Drops column of PID's conntrack event socket (the
# NETLINK_NETFILTER socket subscribed to groups) in /proc/net/netlink.
kernel_drops() {
	local inodes
	inodes=$(ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	np_node cat /proc/net/netlink | awk -v inodes=" $inodes" '
		$2 == 12 && $4 != "00000000" && index(inodes, " " $10 " ") { d += $9; n++ }
		END { if (n != 1) exit 1; print d }'
}

np_bg b socat TCP6-LISTEN:7000,fork,reuseaddr,ipv6only=0 SYSTEM:'sleep 120' >/dev/null
np_wait_port b 7000
np_rd_start "$NP_TMP/rd.yaml"
# Connections open at the kill: IPv4 and IPv6, opened while the daemon runs.
for _ in 1 2; do
	np_bg a socat -T120 TCP4:"$b4":7000 SYSTEM:'sleep 120' >/dev/null
done
np_bg a socat -T120 TCP6:["$b6"]:7000 SYSTEM:'sleep 120' >/dev/null
np_retry 50 bash -c "[ \$(ip netns exec $NP_NODE conntrack -L -p tcp --dport 7000 2>/dev/null | grep -c ESTABLISHED) = 3 ]" ||
	np_fail "the 3 long-lived connections are not established"

# Heavy ingest: a raw-socket burst of new UDP flows, 60,000 at 20,000/s
# for 3 s: the restarted daemon starts while it still runs.
np_bg a sh -c "'$NP_BUILD/tools/connload' -R -n 60000 -r 20000 -s 2000 '$b4' 9999 >'$NP_TMP/load.out'" >/dev/null
sleep 0.8
d1=$(kernel_drops "$NP_RD_PID" || echo '?')
kill -9 "$NP_RD_PID"
np_log "daemon killed under load (its event socket had dropped $d1 events)"
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check right after SIGKILL"
udp_before=$(flow_count 0 17 9999); udp_in_before=$(flow_count 1 17 9999)
tcp_before=$(flow_count 0 6 7000); tcp_in_before=$(flow_count 1 6 7000)
lost_before=$(counter events_lost)
np_log "in the store at the kill: UDP $udp_before, TCP $tcp_before, events_lost $lost_before"
sleep 0.3
np_rd_start "$NP_TMP/rd.yaml"
grep -q "did not exit cleanly" "$NP_RD_LOG" ||
	np_fail "the restarted daemon does not say that the previous run was killed"
load_done() { [ -s "$NP_TMP/load.out" ]; }
np_retry 200 load_done || np_fail "the load generator did not finish"
sent=$(cat "$NP_TMP/load.out")
[ "$sent" = 60000 ] || np_fail "the load generator fell short: $sent"
# What the kernel tracked (at this rate a few datagrams may be dropped on
# the way, before conntrack): every one is still open.
opened=$(np_node conntrack -L -p udp --dport 9999 --mark 0x00100000/0x00100000 2>/dev/null | wc -l)
np_log "sent $sent datagrams, conntrack holds $opened marked flows"
[ "$opened" -gt 50000 ] || np_fail "conntrack holds only $opened of the $sent flows"
all_recorded() { [ "$(flow_count 0 17 9999)" -ge "$opened" ]; }
np_retry 300 all_recorded || true
d2=$(kernel_drops "$NP_RD_PID") || np_fail "cannot find the daemon's event socket in /proc/net/netlink"
np_rd_stop
grep -E "overflowed|dump" "$NP_RD_LOG" | head -n 3 >&2 || true

q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check at the end"
udp=$(flow_count 0 17 9999); udp_in=$(flow_count 1 17 9999)
tcp=$(flow_count 0 6 7000); tcp_in=$(flow_count 1 6 7000)
lost=$(($(counter events_lost) - lost_before))
np_log "both runs: opened $opened, recorded UDP $udp/$udp_in ($udp_before/$udp_in_before at the kill), TCP $tcp/$tcp_in ($tcp_before/$tcp_in_before at the kill); restarted daemon: events_lost +$lost, kernel drops $d2, resyncs $(counter resyncs)"
[ "$tcp_before" = 3 ] && [ "$tcp_in_before" = 3 ] ||
	np_fail "the 3 connections opened before the kill were not flushed before it: $tcp_before/$tcp_in_before"
[ "$tcp" = 3 ] && [ "$tcp_in" = 3 ] ||
	np_fail "connections open across the kill: 3 expected on each side in all, got $tcp/$tcp_in"
[ "$udp" = "$opened" ] || np_fail "UDP egress: $opened opened, $udp recorded over both runs"
[ "$udp_in" = "$opened" ] || np_fail "UDP ingress: $opened opened, $udp_in recorded over both runs"
[ "$d2" -gt 0 ] || np_fail "the 16K receive buffer never overflowed: the loss accounting was not exercised"
[ "$lost" = "$d2" ] || np_fail "events_lost grew by $lost, the kernel dropped $d2 events"
[ "$(counter enobufs)" -gt 0 ] || np_fail "no ENOBUFS counted"
# What died with the killed process (its last flush interval) cannot be
# counted; that it happened is.
[ "$(counter unclean_exits)" = 1 ] || np_fail "unclean_exits: $(counter unclean_exits), want 1"
np_log "SIGKILL under heavy ingest: store intact, open connections recorded once, losses counted exactly"
