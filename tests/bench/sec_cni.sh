#!/bin/bash
# Section 1: CNI ADD and DEL of netpol-record-cni alone, median and p99,
# with 0, 1,000 and 10,000 pods already attached; beside it, on the same
# node and in the same run:
#  - the same elements applied by exec'ing `nft -f -` (what a shell-script
#    plugin would run: idempotent `add table/set` plus `add element`s with
#    the owner as comment; DEL: `delete element`s) into a table of the same
#    shape (npbench_ref) that holds as many elements as ours;
#  - the bridge plugin's own ADD and DEL (with host-local IPAM), each into
#    a fresh netns.
# Every invocation is exec'd by build/tools/bench_exec (fork, stdin pipe,
# stdout read to the end, waitpid; CLOCK_MONOTONIC around all of it).
#
# Pre-attaching 10,000 real pods (a netns and veth each) would take most of
# the run, so a few real pods (BENCH_CNI_PODS, 4) are made with the bridge
# plugin and reused: every ADD gets a distinct container id, pod name and
# distinct addresses in its prevResult (IPv4 from 198.19.0.0/16 and IPv6
# from 2001:db8:19::/64) beside the real veth of one of the pods. So the
# address sets and the store really hold 10,000 attachments (checked
# below: pod_v4 is counted), while the interface set holds only the few
# real veths (a newer attachment takes an interface's element over).
# Pods are attached two at a time (two exec'd plugins in parallel) to
# reach each level; the timed ADDs and DELs run one at a time.
# The node runs netpol-recorderd, as a deployed node does: it holds the
# store open and takes the plugin's nftables sockets over (releaseSocket).
# Before it starts, one informational row times the plugin alone at 0
# attached: it then closes its own socket and rebuilds the store's WAL
# index at each open. At the end, ADD and DEL while another process holds
# the store's write lock: with the daemon (it takes the record), and a
# few without (the plugin gives up writing after 1 s).
#   BENCH_CNI_LEVELS ("0 1000 10000"; quick "0 1000"), BENCH_CNI_RUNS
#   (200; quick 40),
#   BENCH_CNI_BRIDGE_RUNS (30; quick 10), BENCH_CNI_PODS (4)
. "$(dirname "$0")/lib.sh"
bench_init cni

levels=${BENCH_CNI_LEVELS:-$(bench_quick "0 1000" "0 1000 10000")}
runs=${BENCH_CNI_RUNS:-$(bench_quick 40 200)}
bruns=${BENCH_CNI_BRIDGE_RUNS:-$(bench_quick 10 30)}
npods=${BENCH_CNI_PODS:-4}
cni=$NP_BUILD/netpol-record-cni

bex=$(bench_tool bench_exec) || { bench_na "CNI ADD" "build/tools/bench_exec is not built"; exit 0; }
why=$(bench_cni_works)
have_cni=$?

conf=$(np_conflist bridge)
for ((k = 0; k < npods; k++)); do
	np_pod "p$k" "$conf"
done

tpl=$NP_TMP/tpl
mkdir -p "$tpl"
ours_in=() nft_add_in=() nft_del_in=()
for ((k = 0; k < npods; k++)); do
	veth=$(jq -r '.interfaces[] | select(.sandbox == null and .name != "npbr0") | .name' \
		"$NP_TMP/pods/p$k.json" | head -n 1)
	# Our plugin's stdin: the runtime's view, with this ADD's addresses.
	jq -c --arg db "$NP_DB" --arg log "$NP_TMP/cni.log" \
		--arg rel "$NP_RELEASE" '{
		cniVersion: "1.0.0", name: "np-bridge", type: "netpol-record-cni",
		db: $db, logFile: $log, releaseSocket: $rel,
		prevResult: (.ips |= map(if (.address | test(":"))
			then .address = "@IP6@/64" else .address = "@IP4@/16" end))
	}' "$NP_TMP/pods/p$k.json" |
		sed 's/@IP4@/{ip4}/; s/@IP6@/{ip6}/' >"$tpl/ours$k.json"
	ours_in+=(-i "$tpl/ours$k.json")
	cat >"$tpl/nftadd$k" <<-EOF
	add table inet npbench_ref
	add set inet npbench_ref pod_v4 { type ipv4_addr; }
	add set inet npbench_ref pod_v6 { type ipv6_addr; }
	add set inet npbench_ref pod_ifs { type ifname; }
	add element inet npbench_ref pod_v4 { {ip4} comment "bench-{i}/eth0" }
	add element inet npbench_ref pod_v6 { {ip6} comment "bench-{i}/eth0" }
	add element inet npbench_ref pod_ifs { "$veth" comment "bench-{i}/eth0" }
	EOF
	nft_add_in+=(-i "$tpl/nftadd$k")
done
cat >"$tpl/nftdel" <<-'EOF'
delete element inet npbench_ref pod_v4 { {ip4} }
delete element inet npbench_ref pod_v6 { {ip6} }
EOF
nft_del_in=(-i "$tpl/nftdel")
jq -c '.plugins[0] + {cniVersion: .cniVersion, name: .name}' "$conf" >"$tpl/bridge.json"

# The reference table: the same shape as ours (nft/nftrules.h), another
# mark bit and NFLOG group so that it never meets our rules.
np_node nft -f - <<-'EOF'
table inet npbench_ref {
	set pod_v4 { type ipv4_addr; }
	set pod_v6 { type ipv6_addr; }
	set pod_ifs { type ifname; }
	chain prerouting {
		type filter hook prerouting priority -89; policy accept;
		ct state new ip saddr @pod_v4 ct mark set ct mark | 0x00200000
		ct state new ip daddr @pod_v4 ct mark set ct mark | 0x00200000
		ct state new ip6 saddr @pod_v6 ct mark set ct mark | 0x00200000
		ct state new ip6 daddr @pod_v6 ct mark set ct mark | 0x00200000
		ct state new iifname @pod_ifs ct mark set ct mark | 0x00200000
		udp sport 53 ip daddr @pod_v4 log group 7302 snaplen 1500
		tcp sport 53 ip daddr @pod_v4 log group 7302 snaplen 1500
		udp sport 53 ip6 daddr @pod_v6 log group 7302 snaplen 1500
		tcp sport 53 ip6 daddr @pod_v6 log group 7302 snaplen 1500
	}
	chain output {
		type filter hook output priority -89; policy accept;
		ct state new ip saddr @pod_v4 ct mark set ct mark | 0x00200000
		ct state new ip daddr @pod_v4 ct mark set ct mark | 0x00200000
		ct state new ip6 saddr @pod_v6 ct mark set ct mark | 0x00200000
		ct state new ip6 daddr @pod_v6 ct mark set ct mark | 0x00200000
	}
}
EOF

cni_env=(-e CNI_CONTAINERID=bench-{i} -e "CNI_NETNS=/run/netns/$NP_ID-p{m}"
	-e CNI_IFNAME=eth0 -e "CNI_PATH=$NP_BUILD:$NP_CNI_BIN"
	-e "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-{i};K8S_POD_UID=uid-{i};K8S_POD_INFRA_CONTAINER_ID=bench-{i}")

# set_count TABLE SET: elements in a set of the node.
set_count() {
	local n
	n=$(np_node nft -j list set inet "$1" "$2" 2>/dev/null |
		jq '[.nftables[] | .set? // empty | (.elem // []) | length] | add // 0')
	echo "${n:-0}"
}

# ours CMD START COUNT [-q]: run our plugin; prints the summary line.
ours() {
	local cmd=$1 start=$2 count=$3
	shift 3
	np_node "$bex" "$@" -n "$count" -s "$start" "${ours_in[@]}" \
		-e CNI_COMMAND="$cmd" "${cni_env[@]}" -- "$cni" 2>>"$NP_TMP/exec.err"
}

# ref_fill FROM TO: the reference table's elements FROM..TO-1 in one go.
ref_fill() {
	[ "$2" -gt "$1" ] || return 0
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i < b; i++) {
			if ((i - a) % 1000 == 0) {
				if (i > a) print " }"
				printf "add element inet npbench_ref pod_v4 {"
			} else printf ","
			printf " 198.19.%d.%d comment \"bench-%d/eth0\"", int(i / 256), i % 256, i
		}
		print " }"
		for (i = a; i < b; i++) {
			if ((i - a) % 1000 == 0) {
				if (i > a) print " }"
				printf "add element inet npbench_ref pod_v6 {"
			} else printf ","
			printf " 2001:db8:19::%x:%x comment \"bench-%d/eth0\"", int(i / 65536), i % 65536, i
		}
		print " }"
	}' >"$NP_TMP/fill.nft"
	np_node nft -f "$NP_TMP/fill.nft"
}

ms() { bench_div "$(bench_kv "$1" "$2")" 1000 %.2f; }

# The plugin alone: no daemon on the node (informational).
if [ "$have_cni" -eq 0 ]; then
	aadd=$(ours ADD 40000 "$runs")
	adel=$(ours DEL 40000 "$runs")
	np_log "plugin alone: ADD: $aadd; DEL: $adel"
	if [ "$(bench_kv fail "$aadd")" = 0 ] && [ "$(bench_kv fail "$adel")" = 0 ]; then
		bench_row "ADD median, plugin alone (no recorderd), 0 attached" \
			"$(ms median_us "$aadd") ms" "-" "-" "-" "-"
		bench_row "DEL median, plugin alone (no recorderd), 0 attached" \
			"$(ms median_us "$adel") ms" "-" "-" "-" "-"
	fi
fi

# From here on, netpol-recorderd runs on the node.
if [ "$have_cni" -eq 0 ]; then
	cat >"$NP_TMP/recorderd.yaml" <<-EOF
	store: $NP_DB
	release_socket: $NP_RELEASE
	log: {file: $NP_TMP/recorderd.log}
	EOF
	rd_pid=$(np_bg node "$NP_BUILD/netpol-recorderd" -f -c "$NP_TMP/recorderd.yaml")
	if ! np_retry 100 test -S "$NP_RELEASE"; then
		why="netpol-recorderd did not start: $(tail -n 1 "$NP_TMP/recorderd.log" 2>/dev/null | head -c 160)"
		have_cni=1
	fi
fi

cur=0
lvl_i=0
declare -A add_med
for level in $levels; do
	# Bring both tables to `level` attached pods.
	if [ "$level" -gt "$cur" ]; then
		np_log "attaching pods $cur..$((level - 1))"
		if [ "$have_cni" -eq 0 ]; then
			# Two runtimes at once (the node has two cores): half each.
			half=$(((level - cur) / 2))
			out=$( ([ "$half" -eq 0 ] || ours ADD "$cur" "$half" -q &
				ours ADD $((cur + half)) $((level - cur - half)) -q
				wait) )
			if [ -n "$out" ]; then
				why="ADD failed while attaching: $(tail -n 1 "$NP_TMP/exec.err" | head -c 160)"
				have_cni=1
			fi
		fi
		ref_fill "$cur" "$level"
		cur=$level
	fi
	n_ours=-
	[ "$have_cni" -ne 0 ] || n_ours=$(set_count netpol_record pod_v4)
	n_ref=$(set_count npbench_ref pod_v4)
	np_log "level $level: pod_v4 holds $n_ours (ours), $n_ref (nft reference)"
	mstart=$((20000 + lvl_i * runs))
	lbl="$level attached"

	nadd=$(np_node "$bex" -n "$runs" -s "$mstart" "${nft_add_in[@]}" -- /usr/sbin/nft -f - 2>>"$NP_TMP/exec.err")
	ndel=$(np_node "$bex" -n "$runs" -s "$mstart" "${nft_del_in[@]}" -- /usr/sbin/nft -f - 2>>"$NP_TMP/exec.err")
	np_log "nft -f ADD: $nadd; DEL: $ndel"

	# The bridge plugin's ADD and DEL, each into a fresh netns.
	bstart=$((lvl_i * 1000))
	for ((j = 0; j < bruns; j++)); do
		np_netns_add "$NP_ID-b$((bstart + j))"
	done
	badd=$(np_node "$bex" -n "$bruns" -s "$bstart" -i "$tpl/bridge.json" \
		-e CNI_COMMAND=ADD -e CNI_CONTAINERID=bbench-{i} \
		-e "CNI_NETNS=/run/netns/$NP_ID-b{i}" -e CNI_IFNAME=eth0 \
		-e "CNI_PATH=$NP_CNI_BIN" -- "$NP_CNI_BIN/bridge" 2>>"$NP_TMP/exec.err")
	bdel=$(np_node "$bex" -n "$bruns" -s "$bstart" -i "$tpl/bridge.json" \
		-e CNI_COMMAND=DEL -e CNI_CONTAINERID=bbench-{i} \
		-e "CNI_NETNS=/run/netns/$NP_ID-b{i}" -e CNI_IFNAME=eth0 \
		-e "CNI_PATH=$NP_CNI_BIN" -- "$NP_CNI_BIN/bridge" 2>>"$NP_TMP/exec.err")
	for ((j = 0; j < bruns; j++)); do
		ip netns del "$NP_ID-b$((bstart + j))"
	done
	np_log "bridge ADD: $badd; DEL: $bdel"

	ref_add="nft -f: $(ms median_us "$nadd") ms"
	ref_addp="nft -f: $(ms p99_us "$nadd") ms"
	ref_del="nft -f: $(ms median_us "$ndel") ms"
	ref_delp="nft -f: $(ms p99_us "$ndel") ms"
	ref_br="bridge: $(ms median_us "$badd") ms"
	ref_brp="bridge: $(ms p99_us "$badd") ms"
	if [ "$have_cni" -ne 0 ]; then
		bench_na "ADD median, $lbl" "$why" "$ref_add; $ref_br"
		bench_na "DEL median, $lbl" "$why" "$ref_del; bridge: $(ms median_us "$bdel") ms"
		lvl_i=$((lvl_i + 1))
		continue
	fi
	oadd=$(ours ADD "$mstart" "$runs")
	n_after=$(set_count netpol_record pod_v4)
	odel=$(ours DEL "$mstart" "$runs")
	n_end=$(set_count netpol_record pod_v4)
	np_log "ours ADD: $oadd; DEL: $odel; pod_v4 $n_ours -> $n_after -> $n_end"
	if ! kill -0 "$rd_pid" 2>/dev/null; then
		bench_na "ADD median, $lbl" "netpol-recorderd exited: $(tail -n 1 "$NP_TMP/recorderd.log" | head -c 160)" "$ref_add"
		have_cni=1
		why="netpol-recorderd exited at $level attached"
		lvl_i=$((lvl_i + 1))
		continue
	fi
	if [ "$(bench_kv fail "$oadd")" != 0 ] || [ "$(bench_kv fail "$odel")" != 0 ]; then
		bench_na "ADD median, $lbl" "ADD/DEL failed: $(tail -n 1 "$NP_TMP/exec.err" | head -c 160)" "$ref_add"
		have_cni=1
		why="failed at $level attached"
		lvl_i=$((lvl_i + 1))
		continue
	fi
	note=""
	if [ "$n_ours" != "$level" ] || [ "$n_after" != $((level + runs)) ] || [ "$n_end" != "$level" ]; then
		note=" (pod_v4 held $n_ours, $n_after after the ADDs, $n_end after the DELs)"
	fi
	a=$(ms median_us "$oadd")
	add_med[$level]=$a
	bench_row "ADD median, $lbl$note" "$a ms" "$ref_add" \
		"$(bench_div "$a" "$(ms median_us "$nadd")")" "< 3 ms" "$(bench_cmp "$a" "<" 3)"
	bench_row "ADD median vs bridge ADD, $lbl" "$a ms" "$ref_br" \
		"$(bench_div "$a" "$(ms median_us "$badd")")" "-" "-"
	p=$(ms p99_us "$oadd")
	bench_row "ADD p99, $lbl" "$p ms" "$ref_addp; $ref_brp" \
		"$(bench_div "$p" "$(ms p99_us "$nadd")")" "-" "-"
	d=$(ms median_us "$odel")
	bench_row "DEL median, $lbl" "$d ms" "$ref_del; bridge: $(ms median_us "$bdel") ms" \
		"$(bench_div "$d" "$(ms median_us "$ndel")")" "-" "-"
	p=$(ms p99_us "$odel")
	bench_row "DEL p99, $lbl" "$p ms" "$ref_delp" \
		"$(bench_div "$p" "$(ms p99_us "$ndel")")" "-" "-"
	lvl_i=$((lvl_i + 1))
done

# ADD and DEL while another process holds the store's write lock (an
# administrator's sqlite3, a slow writer): the plugin hands the attachment
# to netpol-recorderd and never waits for the lock (issue 15, item 5; it
# waited 10 s before). Reference: the same ADD with the store free, at
# the last level.
if [ "$have_cni" -eq 0 ]; then
	lruns=$(bench_quick 20 100)
	lstart=50000
	lockf=$(np_store_lock "$NP_DB" $((lruns / 20 + 5)))
	ladd=$(ours ADD "$lstart" "$lruns")
	ldel=$(ours DEL "$lstart" "$lruns")
	held=yes
	grep -q '^released ' "$lockf" && held=no
	np_log "store locked: ADD: $ladd; DEL: $ldel; lock still held after them: $held"
	last_lvl=${levels##* }
	if [ "$held" != yes ] || [ "$(bench_kv fail "$ladd")" != 0 ]; then
		bench_na "ADD median, store locked by another process" \
			"the lock ended first or ADD failed: $(tail -n 1 "$NP_TMP/exec.err" | head -c 160)"
	else
		a=$(ms median_us "$ladd")
		bench_row "ADD median, store locked by another process (recorderd writes the record later)" \
			"$a ms" "store free, $last_lvl attached: ${add_med[$last_lvl]:--} ms" \
			"$(bench_div "$a" "${add_med[$last_lvl]:--}")" "< 3 ms" "$(bench_cmp "$a" "<" 3)"
		bench_row "ADD p99, store locked by another process" \
			"$(ms p99_us "$ladd") ms" "-" "-" "-" "-"
		bench_row "DEL median, store locked by another process" \
			"$(ms median_us "$ldel") ms" "-" "-" "-" "-"
	fi
	np_retry 300 grep -q '^released ' "$lockf"
	# Without the daemon the plugin writes the store itself and gives up
	# after 1 s (the elements are in place; recorderd recovers the
	# record from them when it starts): a few, informational.
	# It must be gone, not exiting (it would still take the records).
	kill "$rd_pid" 2>/dev/null
	np_retry 300 sh -c "! kill -0 $rd_pid 2>/dev/null" || kill -9 "$rd_pid" 2>/dev/null
	np_retry 50 sh -c "! kill -0 $rd_pid 2>/dev/null"
	nruns=$(bench_quick 3 5)
	lockf=$(np_store_lock "$NP_DB" $((nruns * 3 + 10)))
	nlock=$(ours ADD 60000 "$nruns")
	np_log "store locked, no recorderd: ADD: $nlock"
	if [ "$(bench_kv fail "$nlock")" = 0 ]; then
		bench_row "ADD median, store locked, no recorderd (gives up writing after 1 s)" \
			"$(ms median_us "$nlock") ms" "before: 10,000 ms, and no elements" "-" "-" "-"
	fi
fi

first=${levels%% *}
last=${levels##* }
if [ -n "${add_med[$first]:-}" ] && [ -n "${add_med[$last]:-}" ] && [ "$first" != "$last" ]; then
	r=$(bench_div "${add_med[$last]}" "${add_med[$first]}")
	bench_row "ADD median flatness, $last vs $first attached" "${add_med[$last]} ms" \
		"${add_med[$first]} ms (at $first)" "$r" "<= 1.25" "$(bench_cmp "$r" "<=" 1.25)"
fi
