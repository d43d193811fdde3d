#!/bin/bash
# Fault: the store's filesystem is full. The store lives on a 2 MiB tmpfs
# mounted in a private mount namespace (a holder process keeps it; the
# host's mount namespace is never touched); the plugin and the daemon run
# in it. The tmpfs is filled while the daemon runs and pods make new flows:
# the daemon logs the error naming ENOSPC, keeps the aggregates in memory
# up to max_flows, counts the updates it had to drop past that bound
# (flows_dropped), and once the filler file is removed writes what it kept;
# the store passes PRAGMA integrity_check, every flow of the first burst is
# there, and for the second burst recorded + dropped == made.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup fault_full
dir="$NP_TMP/store"
mkdir -p "$dir"
# The holder: a mount namespace (slave of the node's, so that pod netns
# made later are visible in it) with the tmpfs on $dir.
holder=$(np_bg node unshare -m --propagation slave sh -c \
	"mount -t tmpfs -o size=2m,mode=0755 np-full '$dir' && touch '$dir/.ready' && exec sleep 600")
np_retry 50 nsenter -m -t "$holder" test -e "$dir/.ready" || np_fail "tmpfs not mounted"
[ -e "$dir/.ready" ] && np_fail "the tmpfs is visible in the host's mount namespace"
inside() { nsenter -m -t "$holder" "$@"; }
# Everything the harness runs in the node (the CNI chain) sees the tmpfs.
np_node() { ip netns exec "$NP_NODE" nsenter -m -t "$holder" "$@"; }
db="$dir/records.db"
q() { inside sqlite3 -batch -noheader "$db" "$@"; }
counter() { q "SELECT coalesce((SELECT value FROM counters WHERE name='$1'),0);"; }

plugin='{"type":"netpol-record-cni","db":"'"$db"'","failurePolicy":"fail"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=full;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=full;K8S_POD_NAME=server"
b4=$(np_pod_ip b 4)
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

max_flows=512
np_rd_conf "$NP_TMP/rd.yaml" "store: $db" "max_flows: $max_flows"
# Started by hand: the daemon must run in the holder's mount namespace.
: >"$NP_RD_LOG"
rd_pid=$(np_bg node nsenter -m -t "$holder" "$NP_BUILD/netpol-recorderd" -f -c "$NP_TMP/rd.yaml")
np_rd_wait "$rd_pid"

# burst FIRST N: one UDP datagram from pod a to b on each of N ports from
# FIRST: N new flows, each recorded on both sides (a's egress, b's ingress).
burst() {
	np_in a python3 -c '
import socket, sys
first, n, dst = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(first, first + n):
    s.sendto(b"x", (dst, p))
' "$1" "$2" "$b4"
}
recorded() {	# recorded FIRST N: connections recorded on those ports, both sides
	q "SELECT coalesce(sum(count),0) FROM flows WHERE protocol=17 AND port BETWEEN $1 AND $(($1 + $2 - 1));"
}
recorded_is() { [ "$(recorded "$1" "$2")" = "$3" ]; }

burst 10000 20
np_retry 50 recorded_is 10000 20 40 || np_fail "flows before the fault not recorded"

# Fill the filesystem.
inside dd if=/dev/zero of="$dir/filler" bs=16k 2>/dev/null && np_fail "the filler did not hit ENOSPC"
np_log "tmpfs full: $(inside df -k "$dir" | tail -n 1)"
# First burst: fits in the in-memory table (2 x 150 < 512).
burst 20000 150
# Second burst: 2 x 400 more. While the store refuses writes the daemon
# holds two tables of max_flows (the writer keeps one, new flows go to the
# other), so 300 + 800 > 2 x 512 drops updates however the flushes split
# the bursts (with 2 x 300 it depended on whether both bursts fell into one
# flush interval).
burst 30000 400
grep_log() { grep -q "$1" "$NP_RD_LOG"; }
np_retry 100 grep_log "ENOSPC" || { cat "$NP_RD_LOG" >&2; np_fail "no ENOSPC error logged"; }
np_log "logged: $(grep ENOSPC "$NP_RD_LOG" | head -n 1)"
sleep 1
w1=$(recorded 30000 400)
np_log "while full: second burst recorded $w1 of 800"
[ "$w1" -lt 800 ] || np_fail "everything was written while the disk was full: the test did not fill it"

# Space returns.
inside rm -f "$dir/filler"
np_retry 100 grep_log "store: writing again" || { cat "$NP_RD_LOG" >&2; np_fail "no recovery logged"; }
# The store works normally afterwards.
burst 40000 10
np_retry 50 recorded_is 40000 10 20 || np_fail "flows after the fault not recorded"
np_rd_stop "$rd_pid"
cat "$NP_RD_LOG" >&2

q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check after the disk was full"
r1=$(recorded 20000 150); r2=$(recorded 30000 400); dropped=$(counter flows_dropped)
np_log "after: first burst $r1/300, second burst $r2/800, flows_dropped=$dropped"
[ "$r1" = 300 ] || np_fail "first burst (made while full, within the bound): $r1 of 300 recorded"
[ "$dropped" -gt 0 ] || np_fail "past the bound nothing was counted as dropped"
[ $((r2 + dropped)) = 800 ] ||
	np_fail "second burst: recorded $r2 + dropped $dropped != 800 made"
np_log "disk full: error logged, kept in memory up to the bound, written after, drops counted, store intact"
