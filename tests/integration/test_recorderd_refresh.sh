#!/bin/bash
# A long-lived connection stays current: with refresh_interval the daemon
# lists the open pod connections again and moves their flows' last_seen
# forward, both sides, without counting the connection again. With the
# refresh off, last_seen stays at the connection's start (what retention
# and export --since would judge it by).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rd_refresh
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=app-0"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=db-0"
b4=$(np_pod_ip b 4)
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
# flow_of PORT: "count first_seen last_seen" of each side's flow, one line
# per direction (0 egress of app-0, 1 ingress of db-0).
flow_of() {
	q "SELECT f.direction, f.count, f.first_seen, f.last_seen FROM flows f
	   JOIN workloads w ON w.id = f.workload_id
	   WHERE w.namespace = 'shop' AND f.protocol = 6 AND f.port = $1
	   ORDER BY f.direction;" | tr '|' ' '
}
# hold PORT: a client in a that keeps a TCP connection to b:PORT open.
hold() {
	np_bg b socat TCP4-LISTEN:"$1",reuseaddr SYSTEM:'sleep 60' >/dev/null
	np_wait_port b "$1"
	np_bg a sh -c "sleep 60 | socat - TCP4:$b4:$1" >/dev/null
}
both_recorded() { [ "$(flow_of "$1" | wc -l)" = 2 ]; }

# Refresh every 2 s.
conf="$NP_TMP/rd.yaml"
np_rd_conf "$conf" "refresh_interval: 2s"
np_rd_start "$conf"
hold 5432
np_retry 100 both_recorded 5432 || np_fail "the connection to b:5432 was not recorded: $(flow_of 5432)"
start=$(flow_of 5432 | awk 'NR == 1 { print $3 }')
moved() { flow_of 5432 | awk -v s="$start" '$4 < s + 3 { bad = 1 } END { exit bad }'; }
np_retry 100 moved ||
	np_fail "last_seen did not move past first_seen + 3 s while open: $(flow_of 5432) (first seen $start)"
flow_of 5432 | awk -v s="$start" '$2 != 1 || $3 != s { exit 1 }' ||
	np_fail "the refresh counted the connection again or moved first_seen: $(flow_of 5432)"
np_rd_stop
np_log "open connection refreshed: $(flow_of 5432 | tr '\n' ';')"

# Refresh off (0 must not mean "at every tick"): a connection opened now
# keeps its start as last_seen.
np_rd_conf "$conf" "refresh_interval: 0"
np_rd_start "$conf"
hold 6543
np_retry 100 both_recorded 6543 || np_fail "the connection to b:6543 was not recorded: $(flow_of 6543)"
sleep 4
flow_of 6543 | awk '$3 != $4 { exit 1 }' ||
	np_fail "with refresh_interval: 0, last_seen moved: $(flow_of 6543)"
np_rd_stop
