#!/bin/bash
# Section: adopting the pods that run on a node when netpol-recorderd
# starts (issue 16), and keeping that true while the metadata churns.
#  - start-up of netpol-recorderd with a metadata List that places
#    BENCH_ADOPT_PODS (250, a full node) pods on this node, among
#    BENCH_ADOPT_OTHERS on other nodes: the time the daemon's adoption
#    round takes (elements, attachments, open connections marked), the
#    number of nftables batches it commits for them (`nft monitor`'s new
#    generations by the daemon, less those of a start without adoption),
#    and the start-up until "recording:"; beside them, the same elements
#    written by `nft -f` in one transaction, and the same start-up with
#    adopt_running_pods false;
#  - the daemon's CPU while the List changes every 200 ms for
#    BENCH_ADOPT_CHURN_S seconds (BENCH_ADOPT_STEP local pods replaced
#    and as many elsewhere each time: adoptions and releases go on), with
#    adoption on, beside the same churn with adoption off (the reload of
#    the List alone).
# The pods are addresses in the metadata (198.19.0.0/16): adoption does
# not need their namespaces, and a route lookup finds no veth for them.
# Open connections are conntrack entries loaded with `conntrack -R`:
# BENCH_ADOPT_CONNS per adopted pod, and BENCH_ADOPT_NOISE of others (the
# marking lists the whole table).
#   BENCH_ADOPT_PODS (250), BENCH_ADOPT_OTHERS (5000; quick 1000),
#   BENCH_ADOPT_CHURN_S (30; quick 10), BENCH_ADOPT_STEP (5),
#   BENCH_ADOPT_CONNS (20), BENCH_ADOPT_NOISE (50000; quick 10000)
. "$(dirname "$0")/lib.sh"
bench_init adopt

npods=${BENCH_ADOPT_PODS:-250}
others=${BENCH_ADOPT_OTHERS:-$(bench_quick 1000 5000)}
churn_s=${BENCH_ADOPT_CHURN_S:-$(bench_quick 10 30)}
step=${BENCH_ADOPT_STEP:-5}
per=${BENCH_ADOPT_CONNS:-20}
noise=${BENCH_ADOPT_NOISE:-$(bench_quick 10000 50000)}
rd=$NP_BUILD/netpol-recorderd
meta=$NP_TMP/cluster.json

# Conntrack in use on the node, as under kube-proxy.
np_node nft -f - <<'NFT'
table inet npbench_kp {
	chain pre { type filter hook prerouting priority 0; policy accept; ct state new counter; }
}
NFT

# gen GENERATION [LOCAL]: the List, with local pods GENERATION*step ..
# GENERATION*step + npods - 1 (a churn step replaces step of them; with
# LOCAL 0 only the other nodes' pods change).
gen() {
	python3 - "$1" "$npods" "$others" "$step" "${2:-1}" >"$meta.new" <<-'PY'
	import json, sys
	g, n, others, step, local = (int(x) for x in sys.argv[1:6])
	items = []
	def pod(i, node):
	    return {"apiVersion": "v1", "kind": "Pod",
	        "metadata": {"name": "p-%d" % i, "namespace": "bench", "uid": "uid-%d" % i,
	            "labels": {"app": "a%d" % (i % 50)},
	            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
	                "name": "a%d-5f6d" % (i % 50), "uid": "rs-%d" % (i % 50), "controller": True}]},
	        "spec": {"nodeName": node},
	        "status": {"phase": "Running", "podIP": "198.19.%d.%d" % (i // 250, i % 250 + 1),
	            "podIPs": [{"ip": "198.19.%d.%d" % (i // 250, i % 250 + 1)},
	                       {"ip": "2001:db8:19::%x" % (i + 1)}],
	            "startTime": "2026-01-01T00:00:00Z"}}
	for i in range(g * step * local, g * step * local + n):
	    items.append(pod(i, "node-a"))
	for i in range(100000 + g * step, 100000 + g * step + others):
	    items.append(pod(i, "node-b"))
	json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
	PY
	mv "$meta.new" "$meta"
}

# start_rd NAME ADOPT: netpol-recorderd with its own store; prints its pid.
start_rd() {
	local conf=$NP_TMP/$1.yaml
	cat >"$conf" <<-EOF
	store: $NP_TMP/$1.db
	release_socket: $NP_TMP/$1.sock
	flush_interval: 200ms
	adopt_running_pods: $2
	metadata: {source: file, file: $meta}
	log: {file: $NP_TMP/$1.log}
	EOF
	: >"$NP_TMP/$1.log"
	NP_RD_LOG=$NP_TMP/$1.log
	np_bg node env NODE_NAME=node-a "$rd" -f -c "$conf"
}

# up NAME ADOPT: start, wait for "recording:"; sets pid, ms (start-up),
# batches (generations the daemon committed by then).
up() {
	local t0 t1 mon
	np_node nft delete table inet netpol_record 2>/dev/null
	mon=$NP_TMP/$1.mon
	np_bg node sh -c "exec stdbuf -oL nft monitor >$mon" >/dev/null
	sleep 0.3
	t0=$(date +%s%N)
	pid=$(start_rd "$1" "$2")
	NP_RD_LOG=$NP_TMP/$1.log np_rd_wait -t 60 "$pid"
	t1=$(date +%s%N)
	sleep 0.5
	ms=$(( (t1 - t0) / 1000000 ))
	batches=$(grep -c "^# new generation .* (netpol-recorde" "$mon")
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# churn PID [LOCAL]: the List changes every 200 ms for churn_s s (LOCAL 0:
# on other nodes only); prints the daemon's CPU use in % of one core.
churn() {
	local pid=$1 local=${2:-1} c0 c1 t0 t1 g=1 hz
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks "$pid"); t0=$(date +%s%N)
	while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt $((churn_s * 1000)) ]; do
		gen "$g" "$local"
		g=$((g + 1))
		sleep 0.2
	done
	c1=$(cpu_ticks "$pid"); t1=$(date +%s%N)
	awk -v c=$((c1 - c0)) -v hz="$hz" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.1f\n", 100 * (c / hz) / (ns / 1e9) }'
	echo "$g" >"$NP_TMP/churn.gens"
}

# load_conns: the adopted pods' open connections and the others'.
load_conns() {
	np_node conntrack -F 2>/dev/null
	python3 - "$npods" "$per" "$noise" >"$NP_TMP/ct.load" <<-'PY'
	import sys
	n, per, noise = (int(x) for x in sys.argv[1:4])
	for i in range(n):
	    for k in range(per):
	        print("-I -s 198.19.%d.%d -d 203.0.113.%d -p tcp --sport %d --dport 443 "
	              "--state ESTABLISHED -t 3600 -u SEEN_REPLY,ASSURED"
	              % (i // 250, i % 250 + 1, k % 200 + 1, 10000 + k))
	for j in range(noise):
	    print("-I -s 198.51.100.%d -d 203.0.113.%d -p tcp --sport %d --dport 80 "
	          "--state ESTABLISHED -t 3600 -u SEEN_REPLY,ASSURED"
	          % (j % 250 + 1, j // 250 % 200 + 1, 1024 + j // 50000 * 0 + j % 60000))
	PY
	np_node conntrack -R "$NP_TMP/ct.load" >/dev/null 2>&1
}
conns=$((npods * per))

gen 0
# The reference: the same elements in one nft transaction.
python3 - "$npods" >"$NP_TMP/ref.nft" <<'PY'
import sys
n = int(sys.argv[1])
print("add table inet npbench_ref")
print("add set inet npbench_ref pod_v4 { type ipv4_addr; }")
print("add set inet npbench_ref pod_v6 { type ipv6_addr; }")
v4 = ", ".join('198.19.%d.%d comment "adopted:uid-%d/pod"' % (i // 250, i % 250 + 1, i) for i in range(n))
v6 = ", ".join('2001:db8:19::%x comment "adopted:uid-%d/pod"' % (i + 1, i) for i in range(n))
print("add element inet npbench_ref pod_v4 { %s }" % v4)
print("add element inet npbench_ref pod_v6 { %s }" % v6)
PY
t0=$(date +%s%N)
np_node nft -f "$NP_TMP/ref.nft"
t1=$(date +%s%N)
ref_ms=$(( (t1 - t0) / 1000000 ))
np_node nft delete table inet npbench_ref

load_conns
up off false
off_pid=$pid off_ms=$ms off_batches=$batches
kill "$off_pid"; np_retry 100 sh -c "! kill -0 $off_pid 2>/dev/null"
load_conns
up on true
on_pid=$pid on_ms=$ms on_batches=$batches
line=$(grep -o "adoption: [0-9]* pods adopted in one nftables batch (batch [0-9]* ms, round [0-9]* ms)" "$NP_TMP/on.log")
adopted=$(sed -n 's/adoption: \([0-9]*\) pods.*/\1/p' <<<"$line")
batch=$(sed -n 's/.*(batch \([0-9]*\) ms.*/\1/p' <<<"$line")
round=$(sed -n 's/.*round \([0-9]*\) ms)/\1/p' <<<"$line")
marked=$(grep -o "adoption: [0-9]* open connections.*" "$NP_TMP/on.log" | head -n 1)
mark_ms=$(sed -n 's/.* in \([0-9]*\) ms$/\1/p' <<<"$marked")
np_log "adopt: $line; $marked; start-up $on_ms ms ($off_ms ms without adoption); batches $on_batches ($off_batches without)"
if [ "$adopted" != "$npods" ]; then
	bench_na "adopt $npods pods at start-up" "adopted '${adopted:-none}': $(tail -n 2 "$NP_TMP/on.log" | head -c 200)"
else
	bench_row "adopt $npods pods at start-up: their elements, one batch" "$batch ms" \
		"nft -f, same elements, one transaction: $ref_ms ms" "$(bench_div "$batch" "$ref_ms")" "-" "-"
	bench_row "adopt $npods pods at start-up: the round (route lookups, elements, attribution)" \
		"$round ms" "-" "-" "-" "-"
	bench_row "adopt $npods pods at start-up: their open connections marked ($conns open)" \
		"${mark_ms:-?} ms" "-" "-" "-" "-"
	b=$((on_batches - off_batches))
	bench_row "nftables batches to adopt $npods pods" "$b" \
		"start-up without adoption: $off_batches batches" "-" "1" "$(bench_cmp "$b" "<=" 1)"
	bench_row "start-up to recording, $npods pods adopted" "$on_ms ms" \
		"adopt_running_pods false: $off_ms ms" "$(bench_div "$on_ms" "$off_ms")" "-" "-"
	n=$(sqlite3 -batch -noheader "$NP_TMP/on.db" "SELECT count(*) FROM attachments WHERE detached_at=0 AND container_id LIKE 'adopted:%';" 2>/dev/null)
	[ "$n" = "$npods" ] || np_log "adopt: the store holds $n adopted attachments, not $npods"
fi

# Churn: adoption on (the daemon above), elsewhere only, then here too;
# then off.
cpu_remote=$(churn "$on_pid" 0)
gen 0
sleep 1
a0=$(grep -c "adopted: " "$NP_TMP/on.log")
cpu_on=$(churn "$on_pid")
gens=$(cat "$NP_TMP/churn.gens")
adoptions=$(( $(grep -c "adopted: " "$NP_TMP/on.log") - a0 ))
releases=$(grep -c "is no longer adopted" "$NP_TMP/on.log")
kill "$on_pid"; np_retry 100 sh -c "! kill -0 $on_pid 2>/dev/null"
gen 0
up off2 false
cpu_off=$(churn "$pid")
kill "$pid"
np_log "churn: $gens versions of the List in $churn_s s; CPU $cpu_on % with adoption ($adoptions adoptions, $releases releases), $cpu_remote % when only other nodes' pods change, $cpu_off % without adoption"
bench_row "daemon CPU, List of $((npods + others)) pods changing every 200 ms on other nodes only" \
	"$cpu_remote % of a core" "adoption off: $cpu_off %" "$(bench_div "$cpu_remote" "$cpu_off")" "-" "-"
bench_row "daemon CPU, the same with $step pods of this node replaced each time (adopted, let go, their connections marked)" \
	"$cpu_on % of a core" "adoption off: $cpu_off %" "$(bench_div "$cpu_on" "$cpu_off")" "-" "-"
