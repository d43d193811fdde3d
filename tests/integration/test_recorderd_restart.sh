#!/bin/bash
# netpol-recorderd killed with SIGKILL under load, then started again: the
# store passes PRAGMA integrity_check, and connections opened while it was
# down and still open are recorded (from the start-up dump of the
# conntrack table, filtered by the plugin's mark).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdrestart
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=app;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=app;K8S_POD_NAME=server"
b4=$(np_pod_ip b 4); b6=$(np_pod_ip b 6)
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5

np_rd_conf "$NP_TMP/rd.yaml" "flush_interval: 100ms"
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }

np_bg b socat TCP6-LISTEN:7000,fork,reuseaddr,ipv6only=0 SYSTEM:'sleep 60' >/dev/null
np_wait_port b 7000
np_rd_start "$NP_TMP/rd.yaml"
# Load: new UDP flows for a few seconds, the daemon killed in the middle.
load_pid=$(np_bg a "$NP_BUILD/tools/connload" -n 40000 -r 10000 -s 20000 "$b4" 9999)
sleep 1.5
kill -9 "$NP_RD_PID"
np_log "daemon killed under load"
# While it is down: long-lived connections, IPv4 and IPv6.
for i in 1 2 3; do
	np_bg a socat -T60 TCP4:"$b4":7000 SYSTEM:'sleep 60' >/dev/null
done
np_bg a socat -T60 TCP6:["$b6"]:7000 SYSTEM:'sleep 60' >/dev/null
sleep 1
n_open=$(np_node conntrack -L -p tcp --dport 7000 --mark 0x00100000/0x00100000 2>/dev/null | grep -c ESTABLISHED || true)
[ "$n_open" = 4 ] || np_fail "expected 4 open marked connections, conntrack shows $n_open"
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check after SIGKILL"
np_rd_start "$NP_TMP/rd.yaml"
for _ in $(seq 50); do
	got=$(q "SELECT coalesce(sum(count),0) FROM flows WHERE direction=0 AND protocol=6 AND port=7000;")
	[ "$got" -ge 4 ] && break
	sleep 0.1
done
np_log "open connections recorded after restart: $got"
[ "$got" = 4 ] || np_fail "connections open across the restart: 4 expected, $got recorded"
got_in=$(q "SELECT coalesce(sum(count),0) FROM flows WHERE direction=1 AND protocol=6 AND port=7000;")
[ "$got_in" = 4 ] || np_fail "ingress side: $got_in"
wait_load=0
while kill -0 "$load_pid" 2>/dev/null && [ $wait_load -lt 100 ]; do sleep 0.1; wait_load=$((wait_load + 1)); done
np_rd_stop
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check at the end"
n=$(q "SELECT count(*) FROM flows WHERE protocol=17 AND port=9999 AND count > 0;")
[ "$n" = 2 ] || np_fail "the load's flow is not recorded on both sides ($n)"
np_log "restart: store intact, open connections recorded"
