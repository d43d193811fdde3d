#!/bin/bash
# Lost-event accounting of netpol-recorderd with the real plugin: a bounded
# burst of new UDP flows and TCP connections at a rate the daemon sustains
# is recorded exactly (connections opened == connections recorded, nothing
# lost); with a tiny receive buffer forced by the config, the kernel drops
# events and the lost counter says so.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdload
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=load;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=load;K8S_POD_NAME=server"
b4=$(np_pod_ip b 4)
# Short timeouts in the node so the burst does not fill its table.
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5
np_node sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=1

q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
counter() { q "SELECT coalesce((SELECT value FROM counters WHERE name='$1'),0);"; }
flow_count() {	# flow_count DIRECTION PROTO PORT
	q "SELECT coalesce(sum(count),0) FROM flows WHERE direction=$1 AND protocol=$2 AND port=$3;"
}

np_rd_conf "$NP_TMP/ok.yaml"
np_rd_start "$NP_TMP/ok.yaml"

n_udp=$(np_in a "$NP_BUILD/tools/connload" -n 3000 -r 3000 -s 20000 "$b4" 9999)
n_tcp=$(np_in a "$NP_BUILD/tools/connload" -t -n 1000 -r 1000 -s 40000 "$b4" 9998)
np_log "opened $n_udp UDP flows and $n_tcp TCP connections"
[ "$n_udp" = 3000 ] && [ "$n_tcp" = 1000 ] || np_fail "load generator fell short"
sleep 1
np_rd_stop
got_udp_e=$(flow_count 0 17 9999); got_udp_i=$(flow_count 1 17 9999)
got_tcp_e=$(flow_count 0 6 9998); got_tcp_i=$(flow_count 1 6 9998)
np_log "recorded UDP $got_udp_e/$got_udp_i TCP $got_tcp_e/$got_tcp_i, lost $(counter events_lost)"
[ "$got_udp_e" = "$n_udp" ] || np_fail "UDP egress: opened $n_udp, recorded $got_udp_e"
[ "$got_udp_i" = "$n_udp" ] || np_fail "UDP ingress: opened $n_udp, recorded $got_udp_i"
[ "$got_tcp_e" = "$n_tcp" ] || np_fail "TCP egress: opened $n_tcp, recorded $got_tcp_e"
[ "$got_tcp_i" = "$n_tcp" ] || np_fail "TCP ingress: opened $n_tcp, recorded $got_tcp_i"
[ "$(counter events_lost)" = 0 ] || np_fail "events lost at a sustainable rate"
[ "$(counter events_seen)" = $((n_udp + n_tcp)) ] || np_fail "events_seen $(counter events_seen)"

# Now a receive buffer far too small for a burst: events are dropped by
# the kernel and the daemon must count them, and resynchronise from
# dumps: the burst's flows are all still open (UDP timeout 30 s), so all
# of them are recorded, each once.
np_rd_conf "$NP_TMP/tiny.yaml" "receive_buffer: {initial: 4K, max: 4K}"
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30
np_rd_start "$NP_TMP/tiny.yaml"
n_burst=$(np_in a "$NP_BUILD/tools/connload" -n 20000 -s 30000 "$b4" 9997)
for _ in $(seq 100); do
	sleep 0.2
	[ "$(flow_count 0 17 9997)" -ge "$n_burst" ] && break
done
np_rd_stop
lost=$(counter events_lost); enobufs=$(counter enobufs)
got=$(flow_count 0 17 9997)
np_log "tiny buffer: opened $n_burst, recorded $got, events_lost=$lost enobufs=$enobufs resyncs=$(counter resyncs)"
[ "$got" = "$n_burst" ] || np_fail "after resyncs: opened $n_burst, recorded $got"
[ "$lost" -gt 0 ] || np_fail "no events counted lost with a 4K receive buffer"
[ "$enobufs" -gt 0 ] || np_fail "no ENOBUFS counted"
status=$("$NP_BUILD/netpol-recorderd" --status --db "$NP_DB")
grep -Eq '^ *events_lost +[1-9]' <<<"$status" || np_fail "--status does not show the loss"
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check"
np_log "load: exact at a sustainable rate, losses counted with a tiny buffer"
