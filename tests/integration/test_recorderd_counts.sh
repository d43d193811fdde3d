#!/bin/bash
# Counts that are exact: each connection the kernel makes is counted once
# in the store, however the daemon learns of it and however often it
# restarts.
# - 16 long-lived TCP connections (IPv4 and IPv6), counted and flushed,
#   stay counted 16 times across a SIGKILL restart, a SIGTERM restart and
#   refresh dumps every second: the start-up and refresh dumps list them
#   again, and the store's count does not move (both sides);
# - short TCP connections from a client whose ports are few (so that the
#   kernel reuses a tuple, and with it often a conntrack id, within
#   milliseconds) are counted exactly as many times as the kernel made a
#   new connection (an independent `ct state new` counter on the node):
#   a NEW event always counts, an id seen before notwithstanding;
# - events_seen counts events, dump entries are counted apart.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdcounts
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=app;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=app;K8S_POD_NAME=server"
a4=$(np_pod_ip a 4); b4=$(np_pod_ip b 4); b6=$(np_pod_ip b 6)
np_count_new "$a4" "$b4"

np_rd_conf "$NP_TMP/rd.yaml" "flush_interval: 100ms" "refresh_interval: 1s" \
	"log: {file: $NP_RD_LOG, level: debug}"
q() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$NP_DB" "$@"; }
counter() { q "SELECT coalesce((SELECT value FROM counters WHERE name='$1'),0);"; }
flow_count() {	# flow_count DIRECTION PROTO PORT
	q "SELECT coalesce(sum(count),0) FROM flows WHERE direction=$1 AND protocol=$2 AND port=$3;"
}
# counts_are N PORT: both sides of PORT hold N.
counts_are() {
	[ "$(flow_count 0 6 "$2")" = "$1" ] && [ "$(flow_count 1 6 "$2")" = "$1" ]
}
np_bg b socat TCP6-LISTEN:7000,fork,reuseaddr,ipv6only=0 SYSTEM:'sleep 120' >/dev/null
np_bg b "$NP_BUILD/tools/bench_net" tcp-server -p 8080 >/dev/null
np_wait_port b 7000
np_wait_port b 8080
np_rd_start "$NP_TMP/rd.yaml"

n=16
for ((i = 0; i < n; i++)); do
	if [ $((i % 4)) = 3 ]; then
		np_bg a socat -T120 TCP6:["$b6"]:7000 SYSTEM:'sleep 120' >/dev/null
	else
		np_bg a socat -T120 TCP4:"$b4":7000 SYSTEM:'sleep 120' >/dev/null
	fi
done
np_retry 100 counts_are "$n" 7000 ||
	np_fail "the $n long-lived connections: $(flow_count 0 6 7000)/$(flow_count 1 6 7000) counted"
np_log "$n long-lived connections counted"
# Two refresh dumps list them again.
np_rd_wait_log "conntrack dump started (refresh)" 2
sleep 0.3
counts_are "$n" 7000 || np_fail "after refresh dumps: $(flow_count 0 6 7000)/$(flow_count 1 6 7000), want $n"

for how in KILL TERM; do
	if [ "$how" = KILL ]; then
		kill -9 "$NP_RD_PID"
		for ((i = 0; i < 50; i++)); do kill -0 "$NP_RD_PID" 2>/dev/null || break; sleep 0.1; done
	else
		np_rd_stop
	fi
	np_rd_start "$NP_TMP/rd.yaml"
	# The start-up dump lists every open connection; then two refreshes.
	np_rd_wait_log "conntrack dump: " 1
	entries=$(sed -n 's/.*conntrack dump: \([0-9]*\) entries.*/\1/p' "$NP_RD_LOG" | head -n 1)
	[ "$entries" -ge "$n" ] || np_fail "the start-up dump listed $entries entries, $n are open"
	np_rd_wait_log "conntrack dump started (refresh)" 1
	np_rd_wait_log "conntrack dump: " 2
	sleep 0.3
	counts_are "$n" 7000 ||
		np_fail "after a SIG$how restart: $(flow_count 0 6 7000)/$(flow_count 1 6 7000) counted, $n connections were made"
	np_log "SIG$how restart: still $n on each side"
done
[ "$(counter dump_entries)" -ge $((4 * n)) ] ||
	np_fail "dump_entries $(counter dump_entries): the dumps listed $n connections at least 4 times"

# Short connections from 8 ports: the same 4-tuple comes back at once (the
# server closes first, so TIME_WAIT stays on its side), and often the
# conntrack id with it.
np_in a sysctl -qw net.ipv4.ip_local_port_range="50000 50007"
read -r _ k0 <<<"$(np_new_counts)"
seen0=$(counter events_seen)
out=$(np_in a "$NP_BUILD/tools/bench_net" tcp-rate -c "$b4" -p 8080 -n 4000 -t 20 -P 2)
np_log "short connections: $out"
np_settle 150 10 0.1 flow_count 0 6 8080 ||
	np_fail "the count of short connections does not settle"
read -r _ k1 <<<"$(np_new_counts)"
made=$((k1 - k0))
got=$(flow_count 0 6 8080); got_in=$(flow_count 1 6 8080)
seen=$(($(counter events_seen) - seen0))
np_log "short TCP: the kernel made $made new connections; counted $got/$got_in; events_seen +$seen"
[ "$made" -ge 1000 ] || np_fail "only $made short connections were made"
[ "$got" = "$made" ] && [ "$got_in" = "$made" ] ||
	np_fail "short TCP: the kernel made $made new connections, the store counts $got/$got_in"
[ "$seen" = "$made" ] || np_fail "events_seen grew by $seen for $made new connections"
np_rd_stop
np_log "counts exact: long-lived across restarts, short connections with reused tuples"
