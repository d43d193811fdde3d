#!/bin/bash
# Section 3: recorder ingest. Two pods on the node, both attached by the
# ptp plugin chained with netpol-record-cni (so their connections carry
# the mark bit). build/tools/bench_net in the client pod opens new flows
# to the server pod:
#  - UDP: one datagram per flow from a raw socket, each with a fresh
#    (source port, destination port) pair, at stepped rates (0 = as fast
#    as it goes: the most this node's kernel produces); the destination
#    port cycles over BENCH_INGEST_DPORTS ports, which is the number of
#    distinct flows a recorder aggregates them into; the server pod drops
#    them at input (no ICMP errors);
#  - TCP: short connections (connect, read to EOF, close) as fast as
#    they go.
# The node netns's own conntrack timeouts are shortened (UDP 1 s, TCP
# closing states 1-2 s; nf_conntrack_max cannot be raised in a netns, it
# stays at the host's value).
#
# Kernel side, independent of any listener: a counter rule
# `ct state new` per protocol in a chain of the node (priority 0, after
# the plugin's mark) counts the NEW connections between the two pods.
# For each step: NEW connections the kernel made, events that reached the
# recorder (netpol-recorderd: its events_seen counter; ulogd2: rows in its
# table, one per event), events lost (the difference; and the daemon's own
# events_lost counter), connections counted in the store (sum(count) of
# the client's egress flows), the process's CPU over the load
# (utime+stime from /proc/PID/stat) and its peak RSS (VmHWM). A last step
# (BENCH_INGEST_MEM_DPORTS distinct ports, from 30000 up) measures memory
# per distinct flow.
#
# Beside it, on the same load, ulogd2 (Debian's ulogd2 + ulogd2-sqlite3):
# NFCT input in event mode (NEW events only, no hash: one row per new
# connection, netlink buffer as in Debian's example ulogd.conf) and
# SQLITE3 output, its database in the same temp directory as ours. Target:
# zero events lost at 150,000 NEW/s for 30 s, under one core, RSS bounded
# by distinct flows.
#   BENCH_INGEST_RATES ("20000 150000 0"; quick "20000 150000"),
#   BENCH_INGEST_SECS (30; quick 4), BENCH_INGEST_TCP_SECS (10; quick 2),
#   BENCH_INGEST_DPORTS (100), BENCH_INGEST_MEM_DPORTS (20000),
#   BENCH_INGEST_MEM_RATE (50000), BENCH_INGEST_ULOGD (1; 0 skips it),
#   BENCH_INGEST_PROCS (2) sending processes of the UDP load (the whole
#   forwarding path runs in the sender's softirq: one process per core)
#   BENCH_INGEST_LOCK ("5 20"; quick "5") seconds another process holds
#   the store's write lock (BEGIN IMMEDIATE) while 30,000 new UDP flows/s
#   run (BENCH_INGEST_LOCK_RATE): netpol-recorderd only. The load starts
#   1 s before the lock and stops when it is released; events lost (the
#   kernel's NEW count minus events_seen, resyncs) and the time from the
#   release until the store's count stops moving (every connection made,
#   when all are counted).
#   BENCH_INGEST_RESTART ("KILL TERM") netpol-recorderd restarted in the
#   middle of a UDP step, by SIGKILL and by SIGTERM, one step each, at
#   BENCH_INGEST_RESTART_RATE (20000) new flows/s for
#   BENCH_INGEST_RESTART_SECS (6; quick 4) s; the node's UDP timeout is
#   10 s during these steps, so that every flow is still open when the
#   restarted daemon dumps the table.
# Every step prints the connections counted in the store minus the
# kernel's NEW count (target 0).
#   BENCH_INGEST_TS_ROUNDS (3; quick 1) rounds of BENCH_INGEST_TS_SECS (3;
#   quick 2) s of UDP at max with the node's nf_conntrack_timestamp off,
#   then on (netpol-recorderd turns it on and listens meanwhile): what the
#   timestamp extension costs the kernel's NEW rate.
. "$(dirname "$0")/lib.sh"
bench_init ingest

rates=${BENCH_INGEST_RATES:-$(bench_quick "20000 150000" "20000 150000 0")}
secs=${BENCH_INGEST_SECS:-$(bench_quick 4 30)}
tcpsecs=${BENCH_INGEST_TCP_SECS:-$(bench_quick 2 10)}
dports=${BENCH_INGEST_DPORTS:-100}
memdports=${BENCH_INGEST_MEM_DPORTS:-20000}
memrate=${BENCH_INGEST_MEM_RATE:-50000}
do_ulogd=${BENCH_INGEST_ULOGD:-1}
uprocs=${BENCH_INGEST_PROCS:-2}
lockholds=${BENCH_INGEST_LOCK:-$(bench_quick "5" "5 20")}
lockrate=${BENCH_INGEST_LOCK_RATE:-30000}
restarts=${BENCH_INGEST_RESTART-KILL TERM}
tsrounds=${BENCH_INGEST_TS_ROUNDS:-$(bench_quick 1 3)}
tssecs=${BENCH_INGEST_TS_SECS:-$(bench_quick 2 3)}
rsrate=${BENCH_INGEST_RESTART_RATE:-20000}
rssecs=${BENCH_INGEST_RESTART_SECS:-$(bench_quick 4 6)}
hz=$(getconf CLK_TCK)
rd=$NP_BUILD/netpol-recorderd

net=$(bench_tool bench_net) || { bench_na "ingest" "build/tools/bench_net is not built"; exit 0; }
why=$(bench_cni_works)
have_ours=$?
if [ "$have_ours" -eq 0 ] && [ ! -x "$rd" ]; then
	why="build/netpol-recorderd is not built"
	have_ours=1
fi

for s in udp_timeout=1 udp_timeout_stream=1 tcp_timeout_time_wait=1 \
	tcp_timeout_close=1 tcp_timeout_fin_wait=2 tcp_timeout_close_wait=2 \
	tcp_timeout_last_ack=2 tcp_timeout_syn_recv=5; do
	np_node sysctl -qw "net.netfilter.nf_conntrack_$s" 2>/dev/null
done

if [ "$have_ours" -eq 0 ]; then
	conf=$(np_conflist ptp "$(jq -nc --arg db "$NP_DB" --arg log "$NP_TMP/cni.log" \
		'{type: "netpol-record-cni", db: $db, logFile: $log}')")
else
	conf=$(np_conflist ptp)
fi
np_pod cli "$conf"
np_pod srv "$conf"
cliip=$(np_pod_ip cli 4)
srvip=$(np_pod_ip srv 4)
np_udp_sink srv
np_bg srv "$net" tcp-server -p 8080 -P 2 >/dev/null
np_wait_port srv 8080

# The independent count of NEW connections, per protocol.
np_count_new "$cliip" "$srvip"
kernel_counts() { np_new_counts; }

offset=0
# gen KIND RATE SECS DPORTS [DPORT_BASE]: run the load, print the
# generator's line. The offset carries on from step to step, so every UDP
# flow of the run has a 5-tuple of its own (a reused tuple is a real new
# connection to the kernel, but may share a conntrack id with the old one).
gen() {
	local out
	if [ "$1" = udp ]; then
		out=$(np_in cli "$net" udp-flows -c "$srvip" -r "$2" -t "$3" -D "$4" -p "${5:-20000}" -o "$offset" -P "$uprocs")
		offset=$(bench_kv next_offset "$out")
	else
		out=$(np_in cli "$net" tcp-rate -c "$srvip" -p 8080 -r "$2" -t "$3" -P 2)
	fi
	echo "$out"
}

# recorded WHO PROTO: connections recorded so far.
recorded() {
	if [ "$1" = ours ]; then
		sqlite3 -cmd ".timeout 5000" "$NP_DB" \
			"SELECT coalesce(sum(count), 0) FROM flows WHERE direction = 0 AND protocol = $2" 2>/dev/null
	else
		sqlite3 -cmd ".timeout 5000" "$NP_TMP/ulogd.db" \
			"SELECT count(*) FROM ulog_ct WHERE orig_ip_protocol = $2" 2>/dev/null
	fi
}
# counters_all: every counter of the daemon's store as name=value lines.
counters_all() {
	sqlite3 -cmd ".timeout 5000" "$NP_DB" \
		"SELECT name || '=' || value FROM counters ORDER BY name" 2>/dev/null
}
counter() {
	sqlite3 -cmd ".timeout 5000" "$NP_DB" \
		"SELECT coalesce(max(value), 0) FROM counters WHERE name = '$1'" 2>/dev/null
}

# wait_drain WHO PROTO: until the recorded count stops moving (bounded).
wait_drain() {
	np_settle 60 4 0.5 recorded "$1" "$2"
}

# step WHO PID KIND RATE SECS DPORTS [DPORT_BASE]: one load step; appends
#   who kind rate secs new recorded lost_counter cpu_pct hwm_kb gen_rate
#   drained elapsed seen
# to $NP_TMP/steps.
step() {
	local who=$1 pid=$2 kind=$3 rate=$4 s=$5 dp=$6 base=${7:-20000} proto=17
	local e0=0 e1=0 seen
	local k0 k1 r0 r1 l0=0 l1=0 c0 c1 t0 t1 g new rec cpu hwm drained=1
	[ "$kind" = tcp ] && proto=6
	sleep 1.5	# the previous step's DESTROY events pass
	read -r k0u k0t <<<"$(kernel_counts)"
	r0=$(recorded "$who" "$proto")
	[ "$who" = ours ] && l0=$(counter events_lost) && e0=$(counter events_seen) &&
		counters_all >"$NP_TMP/ctr0"
	c0=$(bench_proc_cpu "$pid")
	t0=$(bench_now)
	g=$(gen "$kind" "$rate" "$s" "$dp" "$base")
	t1=$(bench_now)
	c1=$(bench_proc_cpu "$pid")
	wait_drain "$who" "$proto" || drained=0
	read -r k1u k1t <<<"$(kernel_counts)"
	r1=$(recorded "$who" "$proto")
	local deltas=""
	if [ "$who" = ours ]; then
		l1=$(counter events_lost)
		e1=$(counter events_seen)
		counters_all >"$NP_TMP/ctr1"
		deltas=$(awk -F= 'NR == FNR { a[$1] = $2; next }
			{ d = $2 - a[$1]; if (d != 0) printf "%s+%d ", $1, d }' \
			"$NP_TMP/ctr0" "$NP_TMP/ctr1")
	fi
	hwm=$(bench_proc_kb "$pid" VmHWM)
	if [ "$kind" = udp ]; then new=$((k1u - k0u)); else new=$((k1t - k0t)); fi
	rec=$((r1 - r0))
	# What reached the recorder: the daemon's events_seen; ulogd2 writes
	# one row per event it got.
	if [ "$who" = ours ]; then seen=$((e1 - e0)); else seen=$rec; fi
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
		'BEGIN { if (a == "" || b == "") print "-"; else printf "%.0f\n", 100 * (b - a) / hz / (t1 - t0) }')
	np_log "$who $kind rate=$rate: generator [$g]; kernel NEW $new; seen $seen; recorded $rec; lost counter +$((l1 - l0)); cpu ${cpu}%; VmHWM ${hwm} kB; drained $drained${deltas:+; daemon counters: $deltas}"
	echo "$who $kind $rate $s $new $rec $((l1 - l0)) $cpu ${hwm:-0} $(bench_kv rate "$g") $drained $(bench_elapsed "$t0" "$t1") $seen" >>"$NP_TMP/steps"
}

run_all() {
	local who=$1 pid=$2 r
	for r in $rates; do
		step "$who" "$pid" udp "$r" "$secs" "$dports"
	done
	step "$who" "$pid" tcp 0 "$tcpsecs" 1
}

# lock_step HOLD: $lockrate new UDP flows/s for HOLD + 1 s, the store
# locked by another process for the last HOLD s; appends
#   hold new seen lost_counter resyncs secs_to_store stored
# to $NP_TMP/locks.
lock_step() {
	local hold=$1 k0u k0t k1u k1t e0 l0 r0 c0 g lockf rel sent i t=- c1
	sleep 1.5	# the previous step's entries expire
	read -r k0u k0t <<<"$(kernel_counts)"
	e0=$(counter events_seen); l0=$(counter events_lost)
	r0=$(counter resyncs); c0=$(recorded ours 17)
	np_in cli "$net" udp-flows -c "$srvip" -r "$lockrate" -t "$((hold + 1))" \
		-D "$dports" -o "$offset" -P "$uprocs" >"$NP_TMP/lockgen" 2>&1 &
	local gpid=$!
	sleep 1
	lockf=$(np_store_lock "$NP_DB" "$hold")
	wait "$gpid"
	g=$(cat "$NP_TMP/lockgen")
	offset=$(bench_kv next_offset "$g")
	sent=$(bench_kv sent "$g")
	for ((i = 0; i < 50; i++)); do
		grep -q '^released ' "$lockf" && break
		sleep 0.1
	done
	rel=$(sed -n 's/^released //p' "$lockf")
	# Until every connection is in the store, or the count has stopped
	# moving for 3 s: the time is that of the last change.
	local prev=-1 changed
	changed=$(date +%s.%N)
	for ((i = 0; i < 600; i++)); do
		c1=$(recorded ours 17)
		if [ "$c1" != "$prev" ]; then
			changed=$(date +%s.%N)
			prev=$c1
		fi
		[ "$((c1 - c0))" -ge "$sent" ] && break
		awk -v a="$changed" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a > 3) }' && break
		sleep 0.05
	done
	[ -z "$rel" ] || t=$(awk -v r="$rel" -v n="$changed" 'BEGIN { printf "%.2f", n - r }')
	read -r k1u k1t <<<"$(kernel_counts)"
	np_log "ours store locked $hold s at $lockrate/s: generator [$g]; kernel NEW $((k1u - k0u)); seen $(( $(counter events_seen) - e0 )); lost counter +$(( $(counter events_lost) - l0 )); resyncs +$(( $(counter resyncs) - r0 )); stored $((c1 - c0)); all stored ${t} s after the release"
	echo "$hold $((k1u - k0u)) $(( $(counter events_seen) - e0 )) $(( $(counter events_lost) - l0 )) $(( $(counter resyncs) - r0 )) $t $((c1 - c0))" >>"$NP_TMP/locks"
}

# restart_step HOW: $rsrate new UDP flows/s for $rssecs s; in the middle
# netpol-recorderd is stopped (HOW: KILL or TERM) and started again at
# once. Appends
#   how new counted down_secs dump_entries
# to $NP_TMP/restarts.
restart_step() {
	local how=$1 k0u k0t k1u k1t r0 r1 d0 g gpid i t0 t1 n0
	np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=10
	sleep 1.5
	read -r k0u k0t <<<"$(kernel_counts)"
	r0=$(recorded ours 17); d0=$(counter dump_entries)
	np_in cli "$net" udp-flows -c "$srvip" -r "$rsrate" -t "$rssecs" \
		-D "$dports" -o "$offset" -P "$uprocs" >"$NP_TMP/rsgen" 2>&1 &
	gpid=$!
	sleep "$(awk -v s="$rssecs" 'BEGIN { print s / 2 }')"
	n0=$(grep -c "recording:" "$NP_TMP/recorderd.log")
	t0=$(date +%s.%N)
	kill -"$how" "$dpid"
	for ((i = 0; i < 200; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
	dpid=$(np_bg node "$rd" -f -c "$NP_TMP/recorderd.yaml" --db "$NP_DB")
	for ((i = 0; i < 200; i++)); do
		[ "$(grep -c "recording:" "$NP_TMP/recorderd.log")" -gt "$n0" ] && break
		sleep 0.02
	done
	t1=$(date +%s.%N)
	wait "$gpid"
	g=$(cat "$NP_TMP/rsgen")
	offset=$(bench_kv next_offset "$g")
	wait_drain ours 17
	read -r k1u k1t <<<"$(kernel_counts)"
	r1=$(recorded ours 17)
	np_log "ours SIG$how restart at $rsrate/s: generator [$g]; kernel NEW $((k1u - k0u)); counted $((r1 - r0)); down $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; dump entries +$(($(counter dump_entries) - d0))"
	echo "$how $((k1u - k0u)) $((r1 - r0)) $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(($(counter dump_entries) - d0))" >>"$NP_TMP/restarts"
	np_node sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1
}

# tsab: the kernel's NEW rate at max with the timestamp extension off and
# on, alternately; appends "TS NEW_PER_S" lines to $NP_TMP/tsab.
tsab() {
	local r ts u0 u1 t0 t1
	for ((r = 0; r < tsrounds; r++)); do
		for ts in 0 1; do
			np_node sysctl -qw net.netfilter.nf_conntrack_timestamp=$ts
			sleep 1.5
			read -r u0 _ <<<"$(kernel_counts)"
			t0=$(bench_now)
			gen udp 0 "$tssecs" "$dports" >/dev/null
			t1=$(bench_now)
			read -r u1 _ <<<"$(kernel_counts)"
			echo "$ts $(bench_div "$((u1 - u0))" "$(bench_elapsed "$t0" "$t1")" %.0f)" >>"$NP_TMP/tsab"
		done
	done
	np_node sysctl -qw net.netfilter.nf_conntrack_timestamp=1
}

distinct() {
	sqlite3 -cmd ".timeout 5000" "$NP_DB" "SELECT count(*) FROM flows" 2>/dev/null
}

# ---- netpol-recorderd ------------------------------------------------------
rss_idle="" hwm_before_mem="" mem_flows=""
if [ "$have_ours" -eq 0 ]; then
	cat >"$NP_TMP/recorderd.yaml" <<-EOF
	store: $NP_DB
	release_socket: $NP_RELEASE
	flush_interval: 1s
	log:
	  file: $NP_TMP/recorderd.log
	  level: info
	EOF
	dpid=$(np_bg node "$rd" -f -c "$NP_TMP/recorderd.yaml" --db "$NP_DB")
	sleep 1
	# A probe: a few flows must come out in the store.
	gen udp 1000 1 "$dports" >/dev/null
	ok=0
	for ((i = 0; i < 20; i++)); do
		if [ "$(recorded ours 17)" -gt 0 ] 2>/dev/null; then ok=1; break; fi
		sleep 0.5
	done
	if ! kill -0 "$dpid" 2>/dev/null; then
		have_ours=1
		why="netpol-recorderd exited: $(tail -n 2 "$NP_TMP/recorderd.log" "$NP_TMP/bg.log" 2>/dev/null | tr '\n' ' ' | head -c 160)"
	elif [ "$ok" -ne 1 ]; then
		have_ours=1
		why="netpol-recorderd recorded nothing of a 1,000-flow probe"
		kill "$dpid"
	fi
fi
if [ "$have_ours" -eq 0 ]; then
	rss_idle=$(bench_proc_kb "$dpid" VmRSS)
	tsab
	run_all ours "$dpid"
	# Memory per distinct flow: many distinct ports in one flush window.
	hwm_before_mem=$(bench_proc_kb "$dpid" VmHWM)
	d0=$(distinct)
	step ours "$dpid" udp "$memrate" "$((secs < 10 ? secs : 10))" "$memdports" 30000
	mem_flows=$(($(distinct) - d0))
	hwm_after_mem=$(bench_proc_kb "$dpid" VmHWM)
	np_log "memory: VmRSS idle $rss_idle kB, VmHWM $hwm_before_mem -> $hwm_after_mem kB for $mem_flows more distinct flows"
	for h in $lockholds; do
		lock_step "$h"
	done
	for h in $restarts; do
		restart_step "$h"
	done
	kill "$dpid"
	for ((i = 0; i < 50; i++)); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
fi

# ---- ulogd2 -----------------------------------------------------------------
have_ulogd=1
uwhy=""
if [ "$do_ulogd" != 1 ]; then
	uwhy="skipped (BENCH_INGEST_ULOGD=0)"
elif [ ! -x /usr/sbin/ulogd ]; then
	uwhy="ulogd2 is not installed (install/deps.sh)"
else
	plug=$(dirname "$(dpkg -L ulogd2 | grep '/ulogd_inpflow_NFCT.so$' | head -n 1)")
	sqlite3 "$NP_TMP/ulogd.db" <<-'EOF'
	CREATE TABLE ulog_ct (
		flow_start_sec INT UNSIGNED, flow_start_usec INT UNSIGNED,
		flow_end_sec INT UNSIGNED, flow_end_usec INT UNSIGNED,
		orig_ip_saddr INT UNSIGNED, orig_ip_daddr INT UNSIGNED,
		orig_l4_sport SMALLINT UNSIGNED, orig_l4_dport SMALLINT UNSIGNED,
		orig_ip_protocol TINYINT UNSIGNED, icmp_type TINYINT UNSIGNED,
		icmp_code TINYINT UNSIGNED, orig_raw_pktlen INT UNSIGNED,
		orig_raw_pktcount INT UNSIGNED, reply_raw_pktlen INT UNSIGNED,
		reply_raw_pktcount INT UNSIGNED, ct_mark INT UNSIGNED);
	EOF
	cat >"$NP_TMP/ulogd.conf" <<-EOF
	[global]
	logfile="$NP_TMP/ulogd.log"
	loglevel=5
	plugin="$plug/ulogd_inpflow_NFCT.so"
	plugin="$plug/ulogd_output_SQLITE3.so"
	stack=ct1:NFCT,sqlite3_ct:SQLITE3

	[ct1]
	hash_enable=0
	event_mask=0x00000001
	netlink_socket_buffer_size=217088
	netlink_socket_buffer_maxsize=1085440

	[sqlite3_ct]
	table="ulog_ct"
	db="$NP_TMP/ulogd.db"
	EOF
	upid=$(np_bg node /usr/sbin/ulogd -c "$NP_TMP/ulogd.conf" -p "$NP_TMP/ulogd.pid")
	sleep 1
	gen udp 1000 1 "$dports" >/dev/null
	ok=0
	for ((i = 0; i < 20; i++)); do
		if [ "$(recorded ulogd 17)" -gt 0 ] 2>/dev/null; then ok=1; break; fi
		sleep 0.5
	done
	if [ "$ok" -eq 1 ] && kill -0 "$upid" 2>/dev/null; then
		have_ulogd=0
		run_all ulogd "$upid"
	else
		uwhy="ulogd did not record a 1,000-flow probe: $(tail -n 2 "$NP_TMP/ulogd.log" 2>/dev/null | tr '\n' ' ' | head -c 120)"
	fi
	kill "$upid" 2>/dev/null
fi

# ---- rows ---------------------------------------------------------------------
# get WHO KIND RATE FIELD (fields: 5 new, 6 rec, 7 lostctr, 8 cpu, 9 hwm,
# 10 genrate, 11 drained, 12 secs, 13 seen)
get() {
	awk -v w="$1" -v k="$2" -v r="$3" -v f="$4" '$1 == w && $2 == k && $3 == r { v = $f } END { print v }' \
		"$NP_TMP/steps" 2>/dev/null
}
loststr() {
	local new=$1 rec=$2
	[ -n "$new" ] || { echo "-"; return; }
	awk -v n="$new" -v r="$rec" 'BEGIN { l = n - r
		if (l < 0) printf "0 of %d lost, %d more recorded than made\n", n, -l
		else printf "%d of %d lost (%.2f %%)\n", l, n, n ? 100 * l / n : 0 }'
}
diffstr() {	# NEW COUNTED
	awk -v n="$1" -v c="$2" 'BEGIN { printf "%+d (%d counted, %d made)\n", c - n, c, n }'
}
# countrow LABEL NEW COUNTED [ULOGD_NEW ULOGD_ROWS]: connections counted in
# the store minus the kernel's NEW count.
countrow() {
	local ref="-"
	[ -n "$2" ] || return 0
	[ -z "${4:-}" ] || ref="ulogd2: $(diffstr "$4" "$5")"
	bench_row "$1: connections counted in the store - kernel NEW" \
		"$(diffstr "$2" "$3")" "$ref" "-" "0" \
		"$([ "$2" = "$3" ] && echo ok || echo MISSED)"
}
rowsfor() {	# KIND RATE
	local kind=$1 rate=$2 s label n on or un ur oc uc tgt v kps
	n=$(get ours "$kind" "$rate" 5)
	[ -n "$n" ] || n=$(get ulogd "$kind" "$rate" 5)
	s=$(get ours "$kind" "$rate" 12)
	[ -n "$s" ] || s=$(get ulogd "$kind" "$rate" 12)
	kps=$(bench_div "$n" "$s" %.0f)
	if [ "$kind" = udp ]; then
		label="UDP new flows, offered $([ "$rate" = 0 ] && echo "max" || echo "$rate/s") for ${s%.*} s (kernel made $kps NEW/s)"
	else
		label="short TCP connections, max for ${s%.*} s (kernel made $kps NEW/s)"
	fi
	on=$(get ours "$kind" "$rate" 5) or=$(get ours "$kind" "$rate" 13)
	un=$(get ulogd "$kind" "$rate" 5) ur=$(get ulogd "$kind" "$rate" 13)
	oc=$(get ours "$kind" "$rate" 8) uc=$(get ulogd "$kind" "$rate" 8)
	tgt="-" v="-"
	if [ "$kind" = udp ] && [ "$rate" = 150000 ]; then
		tgt="0 lost at 150k/s, 30 s"
		if [ -n "$on" ]; then
			v=$(awk -v n="$on" -v r="$or" -v k="$kps" -v s="$s" 'BEGIN {
				if (n - r > 0) print "MISSED";
				else if (k < 145000 || s < 29) printf "0 lost, but the kernel made only %d/s for %d s\n", k, s;
				else print "ok" }')
		fi
	fi
	local ours_s ulogd_s="-"
	if [ -n "$on" ]; then
		ours_s="$(loststr "$on" "$or"); lost counter +$(get ours "$kind" "$rate" 7); $(get ours "$kind" "$rate" 6) counted in the store"
	else
		ours_s="n/a"
		v="not available yet: $why"
	fi
	[ -z "$un" ] || ulogd_s="ulogd2: $(loststr "$un" "$ur")"
	[ "$have_ulogd" -eq 0 ] || ulogd_s="ulogd2: $uwhy"
	bench_row "$label: events lost" "$ours_s" "$ulogd_s" "-" "$tgt" "$v"
	countrow "$label" "$on" "$(get ours "$kind" "$rate" 6)" "$un" "$ur"
	tgt="-" v="-"
	if [ "$kind" = udp ] && [ "$rate" = 150000 ] && [ -n "$oc" ]; then
		tgt="< 100 % of a core"
		v=$(bench_cmp "$oc" "<" 100)
	fi
	if [ -n "$on" ] || [ -n "$un" ]; then
		bench_row "$label: CPU of the recorder" "$([ -n "$oc" ] && echo "$oc % of a core" || echo n/a)" \
			"$([ -n "$uc" ] && echo "ulogd2: $uc % of a core" || echo "-")" \
			"$(bench_div "$oc" "$uc")" "$tgt" "$v"
	fi
}
for r in $rates; do
	rowsfor udp "$r"
done
rowsfor tcp 0

# The timestamp extension's cost to the kernel (netpol-recorderd listening).
if [ -s "$NP_TMP/tsab" ]; then
	ton=$(awk '$1 == 1 { print $2 }' "$NP_TMP/tsab" | bench_median)
	toff=$(awk '$1 == 0 { print $2 }' "$NP_TMP/tsab" | bench_median)
	bench_row "kernel NEW/s at max, UDP, nf_conntrack_timestamp on (netpol-recorderd turns it on) vs off (median of $tsrounds, alternating)" \
		"$(bench_fmt "$ton" %.0f)/s" "$(bench_fmt "$toff" %.0f)/s (off)" \
		"$(bench_div "$ton" "$toff")" "-" "-"
fi

# store locked: one row per hold
while read -r h n seen lc rs t st; do
	[ -n "$h" ] || continue
	lost=$((n - seen))
	bench_row "store locked $h s by another process, $lockrate new UDP flows/s: events lost" \
		"$([ "$lost" -ge 0 ] && echo "$lost of $n lost" || echo "0 of $n lost, $((-lost)) more seen than made"); lost counter +$lc; resyncs +$rs" \
		"-" "-" "0 lost" "$([ "$lost" -le 0 ] && [ "$lc" = 0 ] && [ "$rs" = 0 ] && echo ok || echo MISSED)"
	bench_row "store locked $h s: time from the release until the store holds what was counted" \
		"$t s ($st of $n connections counted)" "-" "-" "every flow stored" \
		"$([ "$t" != - ] && [ "$st" = "$n" ] && echo ok || echo "MISSED: $((n - st)) not counted")"
	countrow "store locked $h s by another process, $lockrate new UDP flows/s" "$n" "$st"
done <"$NP_TMP/locks" 2>/dev/null
# restarted in the middle of a step: one row per way
while read -r how n c down de; do
	[ -n "$how" ] || continue
	countrow "UDP new flows at $rsrate/s for $rssecs s, netpol-recorderd restarted by SIG$how in the middle (down $down s, $de dump entries)" "$n" "$c"
done <"$NP_TMP/restarts" 2>/dev/null
if [ "$have_ours" -ne 0 ]; then
	bench_na "store locked by another process" "$why"
fi

if [ "$have_ours" -eq 0 ] && [ -n "$mem_flows" ]; then
	oh=$(get ours udp "$memrate" 9)
	uh=$(awk '$1 == "ulogd" { v = $9 } END { print v }' "$NP_TMP/steps" 2>/dev/null)
	bench_row "peak RSS over all steps (VmHWM)" "$(bench_div "$oh" 1024 %.1f) MiB" \
		"$([ -n "$uh" ] && echo "ulogd2: $(bench_div "$uh" 1024 %.1f) MiB" || echo "-")" \
		"$(bench_div "$oh" "$uh")" "-" "-"
	bpf=$(awk -v a="$hwm_before_mem" -v b="$oh" -v n="$mem_flows" 'BEGIN {
		if (n <= 0) print "-"; else printf "%.0f\n", (b - a) * 1024 / n }')
	countrow "UDP new flows at $memrate/s over $memdports ports (the memory step)" \
		"$(get ours udp "$memrate" 5)" "$(get ours udp "$memrate" 6)"
	bench_row "memory per distinct flow ($mem_flows distinct flows added, $memdports ports)" \
		"$bpf bytes/flow" "idle RSS $(bench_div "$rss_idle" 1024 %.1f) MiB" "-" \
		"bounded by distinct flows" "-"
elif [ "$have_ours" -ne 0 ]; then
	bench_na "peak RSS and memory per distinct flow" "$why"
fi
