#!/bin/bash
# netpol-recorderd's event loop never waits on SQLite: while another
# process holds the store's write lock (BEGIN IMMEDIATE, as an admin's
# sqlite3 shell or a slow writer would) for 5 s and then for 20 s, under
# 30,000 new UDP connections/s between two pods, no event is lost (the
# kernel's NEW count equals the events the daemon saw, events_lost and
# resyncs do not move) and, once the lock is gone, every connection made
# reaches the store (both sides). The daemon says the store was busy
# (store_busy) and that flushes waited (flushes_deferred). The load is
# bounded in time; the time from the release to the daemon's "writing
# again" (what it kept during the lock is in the store) is printed (make
# bench has the figure: tests/bench/sec_ingest.sh).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

rate=30000
np_setup rdlock
net=$NP_BUILD/tools/bench_net
[ -x "$net" ] || np_fail "build/tools/bench_net is not built (make all)"
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
conf=$(np_conflist ptp "$plugin")
np_pod cli "$conf" "IgnoreUnknown=1;K8S_POD_NAMESPACE=lock;K8S_POD_NAME=client"
np_pod srv "$conf" "IgnoreUnknown=1;K8S_POD_NAMESPACE=lock;K8S_POD_NAME=server"
cliip=$(np_pod_ip cli 4)
srvip=$(np_pod_ip srv 4)
# The server drops the datagrams (no ICMP errors); short UDP timeouts
# keep the node's conntrack table small (its maximum is the host's).
np_udp_sink srv
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2
np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=2
# The kernel's own count of new connections between the two pods.
np_count_new "$cliip" "$srvip"
kernel_new() { np_new_counts | cut -d' ' -f1; }
q() { sqlite3 -batch -noheader -cmd ".timeout 30000" "$NP_DB" "$@"; }
counter() { q "SELECT coalesce((SELECT value FROM counters WHERE name='$1'),0);"; }
stored() {	# stored DIRECTION: connections of the load in the store
	q "SELECT coalesce(sum(count),0) FROM flows WHERE direction=$1 AND protocol=17 AND port BETWEEN 20000 AND 20099;"
}

# np_rd_written_after N T: seconds from T (Unix) to the daemon's log line
# "store: writing again" number N+1.
np_rd_written_after() {
	local ts
	ts=$(grep "store: writing again" "$NP_RD_LOG" | sed -n "$(($1 + 1))p" | cut -d' ' -f1)
	[ -n "$ts" ] || { echo "?"; return; }
	awk -v r="$2" -v w="$(date -d "$ts" +%s.%N)" 'BEGIN { printf "%.2f", w - r }'
}

np_rd_conf "$NP_TMP/rd.yaml"
np_rd_start "$NP_TMP/rd.yaml"

offset=0
# locked HOLD: HOLD s of lock inside HOLD + 4 s of load at $rate/s.
locked() {
	local hold=$1 k0 s0 l0 r0 e0 b0 d0 out lockf sent k1 seen rel t i w0
	w0=$(grep -c "store: writing again" "$NP_RD_LOG" || true)
	k0=$(kernel_new); s0=$(counter events_seen); l0=$(counter events_lost)
	r0=$(counter resyncs); e0=$(stored 0); b0=$(counter store_busy)
	d0=$(counter flushes_deferred)
	np_in cli "$net" udp-flows -c "$srvip" -r "$rate" -t "$((hold + 4))" \
		-D 100 -p 20000 -o "$offset" >"$NP_TMP/gen.out" 2>&1 &
	local gen=$!
	sleep 1
	lockf=$(np_store_lock "$NP_DB" "$hold")
	wait "$gen" || np_fail "load generator failed: $(cat "$NP_TMP/gen.out")"
	out=$(cat "$NP_TMP/gen.out")
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
	offset=$(sed -n 's/.*next_offset=\([0-9]*\).*/\1/p' <<<"$out")
	for ((i = 0; i < 100; i++)); do
		grep -q '^released ' "$lockf" && break
		sleep 0.1
	done
	rel=$(sed -n 's/^released //p' "$lockf")
	[ -n "$rel" ] || np_fail "the lock of $hold s was not released"
	# Every connection reaches the store once the lock is gone.
	for ((i = 0; i < 300; i++)); do
		[ "$(( $(stored 0) - e0 ))" -ge "$sent" ] && break
		sleep 0.1
	done
	t=$(np_rd_written_after "$w0" "$rel")
	k1=$(kernel_new)
	seen=$(( $(counter events_seen) - s0 ))
	np_log "lock $hold s: $out; kernel NEW $((k1 - k0)); seen $seen; stored egress $(( $(stored 0) - e0 )); lost +$(( $(counter events_lost) - l0 )); resyncs +$(( $(counter resyncs) - r0 )); store_busy +$(( $(counter store_busy) - b0 )); flushes_deferred +$(( $(counter flushes_deferred) - d0 )); what was kept is in the store ${t} s after the release"
	[ "$((k1 - k0))" = "$sent" ] || np_fail "lock $hold s: the kernel made $((k1 - k0)) new connections, the generator sent $sent"
	[ "$seen" = "$sent" ] || np_fail "lock $hold s: $sent connections made, $seen events seen"
	[ "$(counter events_lost)" = "$l0" ] || np_fail "lock $hold s: events lost"
	[ "$(counter resyncs)" = "$r0" ] || np_fail "lock $hold s: the daemon resynchronised"
	[ "$(( $(stored 0) - e0 ))" = "$sent" ] || np_fail "lock $hold s: $sent made, $(( $(stored 0) - e0 )) egress in the store"
	[ "$(( $(counter store_busy) - b0 ))" -gt 0 ] || np_fail "lock $hold s: store_busy did not move"
	[ "$(( $(counter flushes_deferred) - d0 ))" -gt 0 ] || np_fail "lock $hold s: no flush was deferred"
	sleep 2.5	# the load's conntrack entries expire
}

locked 5
locked 20
np_rd_stop
# Both sides of every connection, each once.
[ "$(stored 1)" = "$(stored 0)" ] || np_fail "ingress $(stored 1) != egress $(stored 0)"
grep -q "another process holds the store's write lock" "$NP_RD_LOG" ||
	np_fail "the daemon did not say why the store refused writes"
grep -q "store: writing again" "$NP_RD_LOG" || np_fail "no 'writing again' after the lock"
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check"
np_log "store locked 5 s and 20 s at $rate new connections/s: nothing lost, everything stored"
