#!/bin/bash
# A busy store never costs a pod its recording (issue 15, item 5). While
# another process holds the store's write lock:
#  - with netpol-recorderd: CNI ADD returns before the lock is released
#    (it never writes the store: it hands the attachment to the daemon),
#    the pod's elements are in the table at once, its record appears once
#    the lock is gone (written by the daemon), and its traffic during the
#    lock is recorded against it;
#  - without the daemon: ADD waits at most about a second, says in its
#    log that it could not write the store, and the pod's elements are in
#    place; a DEL then removes them (from its prevResult); when the daemon
#    starts, it records the attachment from the elements
#    (attachments_recovered) and the pod's traffic with it.
# The figure (ADD's time with the store locked) is in make bench
# (tests/bench/sec_cni.sh).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup cnilock
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail","logFile":"'"$NP_TMP/cni.log"'"}'
conf=$(np_conflist ptp "$plugin")
args() { echo "IgnoreUnknown=1;K8S_POD_NAMESPACE=lock;K8S_POD_NAME=$1;K8S_POD_UID=uid-$1"; }
np_ext ext 203.0.113.20
np_bg ext socat TCP4-LISTEN:8443,fork,reuseaddr SYSTEM:'echo ok' >/dev/null
np_wait_port ext 8443

q() { sqlite3 -batch -noheader -cmd ".timeout 30000" "$NP_DB" "$@"; }
# Reads do not wait for the lock (WAL): they show what is committed.
peek() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
in_set() {	# in_set IP: the address is an element of pod_v4
	np_node nft -j list set inet netpol_record pod_v4 |
		jq -e --arg ip "$1" '[.nftables[].set.elem // empty | .[] |
			if type == "object" then .elem.val else . end] | index($ip)' >/dev/null
}
released() { grep -q '^released ' "$1"; }
egress() {	# egress POD: connections to the external server
	q "SELECT coalesce(sum(f.count),0) FROM flows f JOIN workloads w ON
	   w.id=f.workload_id WHERE w.name='$1' AND f.direction=0 AND
	   f.port=8443 AND f.peer_addr='203.0.113.20';"
}

# An earlier pod creates the table and the store.
np_pod first "$conf" "$(args first)"
np_rd_conf "$NP_TMP/rd.yaml"
np_rd_start "$NP_TMP/rd.yaml"

# With the daemon.
lock=$(np_store_lock "$NP_DB" 6)
np_pod a "$conf" "$(args a)"
a4=$(np_pod_ip a 4)
released "$lock" && np_fail "ADD waited for the store's lock"
in_set "$a4" || np_fail "the pod's address is not in the table while the store is locked"
[ "$(peek "SELECT count(*) FROM attachments WHERE pod_name='a';")" = 0 ] ||
	np_fail "the record was written while another process held the lock"
np_in a socat -T3 - TCP4:203.0.113.20:8443 </dev/null >/dev/null
np_retry 100 released "$lock" || np_fail "the lock was not released"
rows() { [ "$(q "SELECT count(*) FROM attachments WHERE pod_name='a' AND detached_at=0;")" = 1 ]; }
np_retry 100 rows || np_fail "no record of pod a after the lock was released"
got() { [ "$(egress a)" = 1 ]; }
np_retry 100 got || np_fail "pod a's connection during the lock: $(egress a) recorded"
np_log "with the daemon: ADD returned while locked, elements at once, record and traffic after"

# Without the daemon.
np_rd_stop
lock=$(np_store_lock "$NP_DB" 12)
t0=$(date +%s%N)
np_pod b "$conf" "$(args b)"
t1=$(date +%s%N)
b4=$(np_pod_ip b 4)
np_log "ADD without the daemon, store locked: $(( (t1 - t0) / 1000000 )) ms"
released "$lock" && np_fail "ADD waited for the lock to be released"
in_set "$b4" || np_fail "pod b's address is not in the table"
grep -q "cannot write the store .*records the attachment from them when it starts" "$NP_TMP/cni.log" ||
	np_fail "the plugin did not say it could not write the store: $(cat "$NP_TMP/cni.log")"
# A pod added and deleted while the store is locked: its DEL finds its
# elements from prevResult (the store has no record) and removes them.
np_pod c "$conf" "$(args c)"
c4=$(np_pod_ip c 4)
in_set "$c4" || np_fail "pod c's address is not in the table"
np_pod_del c
in_set "$c4" && np_fail "pod c's DEL left its element"
released "$lock" && np_fail "the lock ended before pod c's DEL: the test proves nothing"
np_retry 100 released "$lock" || np_fail "the second lock was not released"
[ "$(q "SELECT count(*) FROM attachments WHERE container_id='$NP_ID-b';")" = 0 ] ||
	np_fail "pod b has a record although the store was locked"
np_rd_start "$NP_TMP/rd.yaml"
rec_b() { [ "$(q "SELECT count(*) FROM attachments a JOIN addresses d ON d.attachment_id=a.id WHERE a.container_id='$NP_ID-b' AND a.detached_at=0 AND d.addr='$b4' AND d.valid_to=0;")" = 1 ]; }
np_retry 100 rec_b || np_fail "the daemon did not record pod b from its elements"
grep -q "elements of $NP_ID-b/eth0 but no attachment" "$NP_RD_LOG" ||
	np_fail "the daemon did not say why it made the record"
np_in b socat -T3 - TCP4:203.0.113.20:8443 </dev/null >/dev/null
np_rd_stop
[ "$(q "SELECT value FROM counters WHERE name='attachments_recovered';")" = 1 ] ||
	np_fail "attachments_recovered: $(q "SELECT value FROM counters WHERE name='attachments_recovered';")"
# Recorded as the pod itself (no metadata names it: its container id).
n=$(q "SELECT coalesce(sum(f.count),0) FROM flows f JOIN workloads w ON w.id=f.workload_id
       WHERE w.kind='Pod' AND f.direction=0 AND f.port=8443 AND w.name LIKE '${NP_ID:0:12}%';")
[ "$n" -ge 1 ] || np_fail "pod b's traffic is not recorded: $(q "SELECT w.name, f.port, f.count FROM flows f JOIN workloads w ON w.id=f.workload_id;")"
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check"
np_log "without the daemon: ADD bounded, elements in place, recorded from them at start"
