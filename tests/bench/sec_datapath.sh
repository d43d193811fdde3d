#!/bin/bash
# Section 2: the data path. TCP throughput (iperf3) and new connections per
# second (build/tools/bench_net tcp-rate: connect, read to EOF, close,
# against bench_net tcp-server, which closes first) between two pods routed
# through the node (ptp plugin), with the node's ruleset:
#   none      no rules at all (conntrack is not even loaded in the node)
#   ct        one `ct state new counter` rule: conntrack in use, as on
#             every kube-proxy node; this is the baseline of the targets
#   ours N    netpol-record's table with N attached pods: the server pod
#             attached by the real plugin (an ADD), plus N-1 filler
#             elements added to the same sets with `nft -f` (the per-packet
#             path depends only on the set contents, and filling by nft
#             keeps the run short; section cni fills through the plugin)
# Rounds interleave the rulesets (none, ct, ours 1, 100, 10000 in each
# round) and the medians over rounds are compared. Conntrack timeouts of
# the node netns are shortened so TIME_WAIT entries do not fill the table.
# Targets: throughput >= 98 % and connection rate >= 95 % of ct, flat.
#   BENCH_DP_SECS (3; quick 2) per measurement, BENCH_DP_ROUNDS (5; quick
#   1), BENCH_DP_LEVELS ("1 100 10000"), BENCH_DP_PROCS (2) client and
#   server processes of the connection test
. "$(dirname "$0")/lib.sh"
bench_init datapath

secs=${BENCH_DP_SECS:-$(bench_quick 2 3)}
rounds=${BENCH_DP_ROUNDS:-$(bench_quick 1 5)}
levels=${BENCH_DP_LEVELS:-"1 100 10000"}
procs=${BENCH_DP_PROCS:-2}
net=$(bench_tool bench_net) && bex=$(bench_tool bench_exec) ||
	{ bench_na "data path" "bench tools are not built"; exit 0; }
why=$(bench_cni_works)
have_cni=$?

for s in tcp_timeout_time_wait=1 tcp_timeout_close=1 tcp_timeout_fin_wait=2 \
	tcp_timeout_close_wait=2 tcp_timeout_last_ack=2 tcp_timeout_syn_recv=5; do
	np_node sysctl -qw "net.netfilter.nf_conntrack_$s" 2>/dev/null
done

plain=$(np_conflist ptp)
cp "$plain" "$NP_TMP/net.d/ptp-plain.conflist"
plain=$NP_TMP/net.d/ptp-plain.conflist
ourconf=$plain
if [ "$have_cni" -eq 0 ]; then
	ourconf=$(np_conflist ptp "$(jq -nc --arg db "$NP_DB" --arg log "$NP_TMP/cni.log" \
		'{type: "netpol-record-cni", db: $db, logFile: $log}')")
fi
np_pod cli "$plain"
np_pod srv "$ourconf"
srvip=$(np_pod_ip srv 4)
np_bg srv iperf3 -s -p 5201 >/dev/null
np_bg srv "$net" tcp-server -p 8080 -P "$procs" >/dev/null
np_wait_port srv 5201
np_wait_port srv 8080

# Our plugin's ADD of the server pod again, as a runtime retrying would:
# it recreates the table when it is missing.
jq -c --arg db "$NP_DB" --arg log "$NP_TMP/cni.log" '{cniVersion: "1.0.0",
	name: "np-ptp", type: "netpol-record-cni", db: $db, logFile: $log,
	prevResult: .}' "$NP_TMP/pods/srv.json" >"$NP_TMP/srv-add.json"
attach_srv() {
	np_node "$bex" -q -n 1 -i "$NP_TMP/srv-add.json" -e CNI_COMMAND=ADD \
		-e "CNI_CONTAINERID=$NP_ID-srv" -e "CNI_NETNS=/run/netns/$NP_ID-srv" \
		-e CNI_IFNAME=eth0 -e "CNI_PATH=$NP_BUILD:$NP_CNI_BIN" \
		-e "CNI_ARGS=K8S_POD_NAMESPACE=bench;K8S_POD_NAME=srv" \
		-- "$NP_BUILD/netpol-record-cni" >/dev/null 2>>"$NP_TMP/exec.err"
}

# fill FROM TO: filler elements FROM..TO-1 in our three sets.
fill() {
	[ "$2" -gt "$1" ] || return 0
	awk -v a="$1" -v b="$2" 'function open(set) { printf "add element inet netpol_record %s {", set }
	BEGIN {
		for (s = 0; s < 3; s++) {
			for (i = a; i < b; i++) {
				if ((i - a) % 1000 == 0) {
					if (i > a) print " }"
					open(s == 0 ? "pod_v4" : s == 1 ? "pod_v6" : "pod_ifs")
				} else printf ","
				if (s == 0) printf " 198.19.%d.%d", int(i / 256), i % 256
				else if (s == 1) printf " 2001:db8:19::%x:%x", int(i / 65536), i % 65536
				else printf " \"bfill%d\"", i
				printf " comment \"fill-%d/eth0\"", i
			}
			print " }"
		}
	}' >"$NP_TMP/fill.nft"
	np_node nft -f "$NP_TMP/fill.nft"
}

drop_tables() {
	np_node nft delete table inet netpol_record 2>/dev/null
	np_node nft delete table inet npbench_ct 2>/dev/null
	np_node conntrack -F >/dev/null 2>&1
}

# measure NAME: one iperf3 and one connection-rate run, appended.
measure() {
	local j bps cps
	np_node conntrack -F >/dev/null 2>&1
	j=$(np_in cli iperf3 -c "$srvip" -p 5201 -t "$secs" -O 1 -J 2>/dev/null)
	bps=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$j" 2>/dev/null)
	np_node conntrack -F >/dev/null 2>&1
	cps=$(bench_kv rate "$(np_in cli "$net" tcp-rate -c "$srvip" -p 8080 -t "$secs" -P "$procs")")
	np_log "$1: ${bps:-?} bit/s, ${cps:-?} connections/s"
	[ -z "$bps" ] || echo "$bps" >>"$NP_TMP/bps.$1"
	[ -z "$cps" ] || echo "$cps" >>"$NP_TMP/cps.$1"
}

for ((r = 1; r <= rounds; r++)); do
	np_log "round $r of $rounds"
	drop_tables
	measure none
	np_node nft -f - <<-'EOF'
	table inet npbench_ct {
		chain prerouting {
			type filter hook prerouting priority -150; policy accept;
			ct state new counter
		}
	}
	EOF
	measure ct
	drop_tables
	[ "$have_cni" -eq 0 ] || continue
	if ! attach_srv; then
		have_cni=1
		why="the plugin's ADD failed: $(tail -n 1 "$NP_TMP/exec.err" | head -c 160)"
		continue
	fi
	have=1
	for n in $levels; do
		fill "$((have - 1))" "$((n - 1))"
		have=$n
		measure "ours$n"
	done
done
drop_tables

med() { [ -s "$NP_TMP/$1" ] && bench_median <"$NP_TMP/$1" || echo "-"; }
gbit() { bench_div "$1" 1e9 %.2f; }
bn=$(med bps.none) bc=$(med bps.ct) cn=$(med cps.none) cc=$(med cps.ct)
nr="median of $rounds"
bench_row "iperf3 TCP, conntrack baseline vs no rules ($nr)" "$(gbit "$bc") Gbit/s" \
	"$(gbit "$bn") Gbit/s (no rules)" "$(bench_div "$bc" "$bn")" "-" "-"
bench_row "new TCP connections/s, conntrack baseline vs no rules ($nr)" "$(bench_fmt "$cc" %.0f)/s" \
	"$(bench_fmt "$cn" %.0f)/s (no rules)" "$(bench_div "$cc" "$cn")" "-" "-"
for n in $levels; do
	if [ "$have_cni" -ne 0 ] && [ ! -s "$NP_TMP/bps.ours$n" ]; then
		bench_na "iperf3 TCP, our rules, $n attached" "$why" "$(gbit "$bc") Gbit/s (ct)"
		bench_na "new TCP connections/s, our rules, $n attached" "$why" "$(bench_fmt "$cc" %.0f)/s (ct)"
		continue
	fi
	b=$(med "bps.ours$n") c=$(med "cps.ours$n")
	rb=$(bench_div "$b" "$bc" %.3f) rc=$(bench_div "$c" "$cc" %.3f)
	bench_row "iperf3 TCP, our rules, $n attached ($nr)" "$(gbit "$b") Gbit/s" \
		"$(gbit "$bc") Gbit/s (ct)" "$rb" ">= 0.98" "$(bench_cmp "$rb" ">=" 0.98)"
	bench_row "new TCP connections/s, our rules, $n attached ($nr)" "$(bench_fmt "$c" %.0f)/s" \
		"$(bench_fmt "$cc" %.0f)/s (ct)" "$rc" ">= 0.95" "$(bench_cmp "$rc" ">=" 0.95)"
done
first=${levels%% *}
last=${levels##* }
if [ -s "$NP_TMP/bps.ours$first" ] && [ -s "$NP_TMP/bps.ours$last" ] && [ "$first" != "$last" ]; then
	b1=$(med "bps.ours$first") bl=$(med "bps.ours$last")
	c1=$(med "cps.ours$first") cl=$(med "cps.ours$last")
	bench_row "iperf3 flatness, $last vs $first attached" "$(gbit "$bl") Gbit/s" \
		"$(gbit "$b1") Gbit/s (at $first)" "$(bench_div "$bl" "$b1" %.3f)" ">= 0.95" \
		"$(bench_cmp "$(bench_div "$bl" "$b1" %.3f)" ">=" 0.95)"
	bench_row "connections/s flatness, $last vs $first attached" "$(bench_fmt "$cl" %.0f)/s" \
		"$(bench_fmt "$c1" %.0f)/s (at $first)" "$(bench_div "$cl" "$c1" %.3f)" ">= 0.95" \
		"$(bench_cmp "$(bench_div "$cl" "$c1" %.3f)" ">=" 0.95)"
fi
