# shellcheck shell=bash
#
# The node-in-namespaces harness for integration tests.
#
# A test sources this file, calls np_setup, and gets a Kubernetes-like node
# built from network namespaces: a node netns (routing, conntrack, the CNI
# chain and netpol-recorderd run there), pod netns attached to it by Debian's
# bridge or ptp CNI plugins with host-local IPAM, and "external" hosts in
# 203.0.113.0/24 / 2001:db8:ff::/64 routed through the node. Every name
# carries a per-run id; an EXIT trap removes every namespace, process and
# temporary file, on success and on failure. Nothing on the host changes:
# no host links, routes, rules or sysctls are touched (sysctls are set only
# inside the test's own namespaces).
#
# Functions (see each one's comment): np_setup, np_conflist, np_pod,
# np_pod_del, np_cni, np_pod_ip, np_ext (np_ext_via), np_ns, np_in, np_node, np_bg,
# np_wait_port, np_retry, np_log, np_fail, np_meta_deployment; for
# netpol-recorderd on the node:
#   np_rd_conf FILE [YAML ...]  # write a recorderd config: store $NP_DB,
#                          # release_socket $NP_RELEASE, flush_interval
#                          # 200ms, log {file: $NP_RD_LOG}, then the given
#                          # top-level YAML (one key or more per argument); a
#                          # key given replaces its default, e.g.
#                          # "log: {file: $NP_RD_LOG, level: debug}"
#   np_rd_start CONF [ARG ...] # empty $NP_RD_LOG, start netpol-recorderd -f
#                          # -c CONF ARG... in the node (np_bg), set
#                          # $NP_RD_PID, wait for it as np_rd_wait does
#   np_rd_wait [-t SECONDS] [PID] # wait (10 s unless -t) until $NP_RD_LOG
#                          # says "recording:"; fail (printing the log) on
#                          # timeout or as soon as PID has exited
#   np_rd_stop [-t SECS] [PID] # SIGTERM to PID (default $NP_RD_PID), wait
#                          # (10 s unless -t) until it is gone, fail if
#                          # it is not (a publishing daemon's last flush
#                          # and last publish take up to 10 s each)
#   np_rd_wait_log PATTERN N # wait (15 s) until $NP_RD_LOG has N lines
#                          # matching PATTERN; fail, printing the log, if not
#   np_settle TRIES SAME SECS CMD... # until CMD prints the same SAME times
#                          # in a row (a count that stopped moving)
# for load and marks:
#   np_udp_sink NAME       # NAME drops UDP to ports 20000-65535 at input
#   np_count_new SRC DST   # the node counts new UDP and TCP connections
#   np_new_counts          # ... prints "UDP TCP" counted so far
#   np_udp_mark NAME ADDR PORT SPORT  # a new UDP flow; prints its ct mark
#   np_pods_neigh NAME...  # each pod knows every other's MAC (permanent
#                          # neighbour entries): many pods on one bridge
#                          # all resolving at once overflow the host's
#                          # backlog with ARP broadcasts, and datagrams
#                          # waiting for an answer are dropped
# and for the store:
#   np_store_lock DB SECS  # another process holds DB's write lock (BEGIN
#                          # IMMEDIATE) for SECS s in the background; returns
#                          # once it is held, prints a file that gets
#                          # "locked T" and "released T" lines (Unix s)
# Special starts (SIGKILL, a second daemon, valgrind or nsenter wrappers)
# stay in their tests; they can still use np_rd_conf, np_rd_wait and
# np_rd_stop.
#
# Several nodes (a cluster), after np_setup:
#   np_cluster N           # N node netns ($NP_ID-n1 .. -nN) joined by a
#                          # fabric netns ($NP_ID-lan): node I is
#                          # 198.18.0.(10+I) on the fabric's bridge, its
#                          # pods in 198.18.(10+I).0/24 (bridge conflists;
#                          # 2001:db8:(10+I)::/64 too, not routed between
#                          # nodes), every node routes the others' pod
#                          # networks; the fabric (198.18.0.1) routes to
#                          # externals; makes node 1 current
#   np_use_node I          # make node I current: np_node, np_ns node,
#                          # np_pod, np_conflist, np_cni, np_rd_conf,
#                          # np_rd_start/_stop/_wait(_log) act on it, with
#                          # its own $NP_DB, $NP_RELEASE, $NP_RD_LOG,
#                          # $NP_RD_PID (each node's kept while another is
#                          # current); $NP_NODE_IDX is I
#   np_cluster_ext NAME ADDR4  # an external host routed by the fabric,
#                          # reachable from every node's pods
# and the test API server (tests/tools/fake_apiserver.py) for them:
#   np_api_start [ARG ...] # in the fabric on 198.18.0.1 over TLS with a
#                          # fresh CA; sets $NP_API (its URL), writes
#                          # $NP_TMP/api/kubeconfig (token file, CA) for
#                          # the daemons; ARGs go to the server
#   np_api METHOD PATH [JSON]  # a request (token sent); prints the body
#   np_pub_pods N / np_pub_owners N  # N one-pod Deployments w00.. of
#                          # shop on the current node, their metadata in
#                          # the API server (NP_PUB_IP[wNN]); all owners
#                          # known in the store? (publisher tests, bench)
#   np_api_ctl NAME [JSON] # POST /_test/NAME (faults, load, stats, ...)
#   np_api_pki DIR ADDR    # a CA and a server certificate for IP ADDR in
#                          # DIR (ca.pem, srv.pem, srv.key), as both
#                          # np_api_start and lapi.sh's loopback server use

set -euo pipefail

NP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NP_BUILD=${NP_BUILD:-$NP_TOP/build}
NP_CNI_BIN=${NP_CNI_BIN:-/usr/lib/cni}
NP_ID=""
NP_TMP=""
NP_NODE=""
NP_DB=""
NP_RELEASE=""
NP_RD_LOG=""
NP_RD_PID=""
NP_NAMESPACES=()
NP_PIDS=()

np_log() {
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

np_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# np_meta_deployment NS NAME HASH POD IP4 IP6 START: a Deployment NAME, its
# ReplicaSet NAME-HASH and its Pod POD (addresses IP4 and IP6, started at
# START, serving "http" on 8080) as the API server lists them: three JSON
# objects separated by commas, for the items of a metadata List file.
np_meta_deployment() {
	local ns=$1 name=$2 hash=$3 pod=$4 ip4=$5 ip6=$6 start=$7
	cat <<JSON
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"$name","namespace":"$ns","uid":"uid-dep-$name","labels":{"app":"$name"}},
 "spec":{"selector":{"matchLabels":{"app":"$name"}},"template":{"metadata":{"labels":{"app":"$name"}}}}},
{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"$name-$hash","namespace":"$ns","uid":"uid-rs-$name",
 "labels":{"app":"$name","pod-template-hash":"$hash"},
 "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"$name","uid":"uid-dep-$name","controller":true}]},
 "spec":{"selector":{"matchLabels":{"app":"$name","pod-template-hash":"$hash"}}}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$pod","namespace":"$ns","uid":"uid-$pod",
 "labels":{"app":"$name","pod-template-hash":"$hash"},
 "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"$name-$hash","uid":"uid-rs-$name","controller":true}]},
 "spec":{"nodeName":"node-a","containers":[{"name":"main","image":"x","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}]},
 "status":{"phase":"Running","podIP":"$ip4","podIPs":[{"ip":"$ip4"},{"ip":"$ip6"}],"startTime":"$start"}}
JSON
}

# np_pub_pods N: on the current node, N pods w00 .. (each the one pod of
# Deployment wNN of namespace shop: three labels, a UDP port 20000
# named "data"), attached by the bridge plugin + netpol-record-cni; their
# metadata, and Node node-1's, loaded into the test API server
# (np_api_start first). Sets NP_PUB_IP[wNN] to each pod's IPv4 address.
declare -A NP_PUB_IP=()
np_pub_pods() {
	local n=$1 i w br items="" labels
	br=$(np_conflist bridge '{"type":"netpol-record-cni","db":"'"$NP_DB"'"}')
	for ((i = 0; i < n; i++)); do
		w=$(printf 'w%02d' "$i")
		np_pod "$w" "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=$w-5d9c-x;K8S_POD_UID=uid-pod-$w" >/dev/null 2>&1
		NP_PUB_IP[$w]=$(np_pod_ip "$w" 4)
		labels='"app":"'"$w"'","app.kubernetes.io/name":"'"$w"'","app.kubernetes.io/part-of":"shop"'
		items="$items${items:+,}"'{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"'"$w"'","namespace":"shop","uid":"uid-dep-'"$w"'"},"spec":{"selector":{"matchLabels":{"app":"'"$w"'"}}}},
{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"'"$w"'-5d9c","namespace":"shop","uid":"uid-rs-'"$w"'","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"'"$w"'","uid":"uid-dep-'"$w"'","controller":true}]},"spec":{"selector":{"matchLabels":{"app":"'"$w"'","pod-template-hash":"5d9c"}}}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"'"$w"'-5d9c-x","namespace":"shop","uid":"uid-pod-'"$w"'","labels":{'"$labels"',"pod-template-hash":"5d9c"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"'"$w"'-5d9c","uid":"uid-rs-'"$w"'","controller":true}]},"spec":{"nodeName":"node-1","containers":[{"name":"main","image":"x","ports":[{"name":"data","containerPort":20000,"protocol":"UDP"}]}]},"status":{"phase":"Running","podIP":"'"${NP_PUB_IP[$w]}"'","startTime":"2026-01-01T00:00:00Z"}}'
	done
	items="$items"',{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","uid":"uid-node-1"},"status":{"addresses":[{"type":"InternalIP","address":"198.18.0.11"}]}}'
	np_api_ctl load "{\"items\":[$items]}"
}

# np_pub_owners N: is every one of N Deployments' pods attached with its
# owner known in the current node's store? (for np_retry)
np_pub_owners() {
	[ "$(sqlite3 -cmd ".timeout 2000" "$NP_DB" "SELECT count(*) FROM attachments a JOIN workloads w ON w.id = a.workload_id WHERE w.kind = 'Deployment' AND w.uid != ''")" -ge "$1" ]
}

# np_setup NAME: make the run id, the temp dir and the node namespace.
np_setup() {
	local name=${1:-test}
	# Short: netns names have no hard limit, but the id also names links.
	NP_ID="np$(printf '%04x' $$)$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
	NP_TMP=$(mktemp -d "/tmp/netpol-record-$name-$NP_ID.XXXXXX")
	mkdir -p "$NP_TMP/pods" "$NP_TMP/net.d" "$NP_TMP/ipam"
	NP_DB="$NP_TMP/records.db"
	# The node's release socket (recorderd's release_socket, the plugin's
	# releaseSocket): the default under /run would be shared by every
	# test run on this host.
	NP_RELEASE="$NP_TMP/release.sock"
	# netpol-recorderd's log file (np_rd_conf, np_rd_start, np_rd_wait).
	NP_RD_LOG="$NP_TMP/rd.log"
	export NP_ID NP_TMP NP_DB NP_RELEASE NP_RD_LOG
	trap np_cleanup EXIT
	trap 'exit 130' INT TERM
	NP_NODE="$NP_ID-node"
	np_netns_add "$NP_NODE"
	ip -n "$NP_NODE" link set lo up
	np_node sysctl -qw net.ipv4.ip_forward=1
	np_node sysctl -qw net.ipv6.conf.all.forwarding=1
	np_node sysctl -qw net.ipv6.conf.all.accept_dad=0
	np_node sysctl -qw net.ipv6.conf.default.accept_dad=0
	export NP_NODE
	np_log "node $NP_NODE (tmp $NP_TMP)"
}

np_netns_add() {
	ip netns add "$1"
	NP_NAMESPACES+=("$1")
}

# Remove everything this run made. Runs from the EXIT trap.
np_cleanup() {
	local rc=$? ns pid i
	set +e
	trap - EXIT
	# np_bg is often called in $(...), a subshell: its pids are in a file.
	if [ -n "$NP_TMP" ] && [ -f "$NP_TMP/pids" ]; then
		mapfile -t -O "${#NP_PIDS[@]}" NP_PIDS <"$NP_TMP/pids"
	fi
	for pid in "${NP_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	# Anything still running inside our namespaces (daemons, servers).
	for ns in "${NP_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for pid in "${NP_PIDS[@]}"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	# Pods and external hosts first, the node last.
	for ((i = ${#NP_NAMESPACES[@]} - 1; i >= 0; i--)); do
		ip netns del "${NP_NAMESPACES[$i]}" 2>/dev/null
	done
	if [ -n "$NP_TMP" ] && [ -d "$NP_TMP" ]; then
		if [ "${NP_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "${NP_KEEP_ON_FAIL:-0}" = 1 ]; }; then
			echo "kept $NP_TMP" >&2
		else
			rm -rf "$NP_TMP"
		fi
	fi
	exit "$rc"
}

np_node() {
	ip netns exec "$NP_NODE" "$@"
}

# np_ns NAME: the netns of pod or external host NAME ("node" for the node).
np_ns() {
	case "$1" in
	node) echo "$NP_NODE" ;;
	*) echo "$NP_ID-$1" ;;
	esac
}

np_in() {
	local ns
	ns=$(np_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# np_conflist KIND [PLUGIN_JSON ...]: write a conflist for the bridge or ptp
# plugin with host-local dual-stack IPAM and the given plugins chained after
# it; print its path.
np_conflist() {
	local kind=$1 main v4 v6 f plugins
	shift
	case "$kind" in
	bridge)
		v4=198.18.1.0/24 v6=2001:db8:1::/64
		if [ -n "${NP_NODE_IDX:-}" ]; then
			v4=198.18.$((10 + NP_NODE_IDX)).0/24
			v6=2001:db8:$((10 + NP_NODE_IDX))::/64
		fi
		main='{"type":"bridge","bridge":"npbr0","isGateway":true,"ipMasq":false,"hairpinMode":true}'
		;;
	ptp)
		v4=198.18.2.0/24 v6=2001:db8:2::/64
		main='{"type":"ptp","ipMasq":false}'
		;;
	*) np_fail "np_conflist: unknown kind $kind" ;;
	esac
	f="$NP_TMP/net.d/$kind.conflist"
	[ -z "${NP_NODE_IDX:-}" ] || f="$NP_NODE_DIR/net.d/$kind.conflist"
	# Our plugin gets the run's release socket unless the test set one.
	plugins=$(printf '%s\n' "$@" | jq -s -c --arg rel "$NP_RELEASE" 'map(
		if .type == "netpol-record-cni" and (has("releaseSocket") | not)
		then . + {releaseSocket: $rel} else . end)')
	[ $# -gt 0 ] || plugins='[]'
	jq -n --arg name "np-$kind" --arg v4 "$v4" --arg v6 "$v6" \
		--arg dir "${NP_NODE_DIR:-$NP_TMP}/ipam" --argjson main "$main" \
		--argjson rest "$plugins" '{
		cniVersion: "1.0.0", name: $name,
		plugins: ([$main + {ipam: {type: "host-local", dataDir: $dir,
			ranges: [[{subnet: $v4}], [{subnet: $v6}]],
			routes: [{dst: "0.0.0.0/0"}, {dst: "::/0"}]}}] + $rest)
	}' >"$f"
	echo "$f"
}

# np_cni CMD CONFLIST NAME [CNI_ARGS]: run the chain as a runtime does for
# pod NAME (container id "$NP_ID-NAME", ifname eth0): each plugin gets the
# network's name and cniVersion injected and, for ADD, the previous
# plugin's result as prevResult; DEL and CHECK get the cached ADD result.
# DEL runs the chain in reverse. Prints the last plugin's stdout and returns
# the exit code of the first plugin that failed.
np_cni() {
	local cmd=$1 conf=$2 name=$3 args=${4:-} n i order cfg type out rc
	local version netname prev="" cached="$NP_TMP/pods/$name.json"
	local netns="/run/netns/$(np_ns "$name")"
	version=$(jq -r .cniVersion "$conf")
	netname=$(jq -r .name "$conf")
	n=$(jq '.plugins | length' "$conf")
	if [ "$cmd" = DEL ]; then
		order=$(seq $((n - 1)) -1 0)
	else
		order=$(seq 0 $((n - 1)))
	fi
	if [ "$cmd" != ADD ] && [ -s "$cached" ]; then
		prev=$(cat "$cached")
	fi
	out=""
	for i in $order; do
		cfg=$(jq -c --argjson i "$i" --arg v "$version" --arg n "$netname" \
			'.plugins[$i] + {cniVersion: $v, name: $n}' "$conf")
		if [ -n "$prev" ]; then
			cfg=$(jq -c --argjson p "$prev" '. + {prevResult: $p}' <<<"$cfg")
		fi
		type=$(jq -r .type <<<"$cfg")
		rc=0
		out=$(printf '%s' "$cfg" | np_node env CNI_COMMAND="$cmd" \
			CNI_CONTAINERID="$NP_ID-$name" CNI_NETNS="$netns" \
			CNI_IFNAME=eth0 CNI_ARGS="$args" \
			CNI_PATH="$NP_BUILD:$NP_CNI_BIN" \
			"$(np_cni_plugin "$type")") || rc=$?
		if [ "$rc" -ne 0 ]; then
			printf '%s\n' "$out"
			return "$rc"
		fi
		if [ "$cmd" = ADD ]; then
			prev=$out
		fi
	done
	printf '%s\n' "$out"
}

np_cni_plugin() {
	if [ -x "$NP_BUILD/$1" ]; then
		echo "$NP_BUILD/$1"
	elif [ -x "$NP_CNI_BIN/$1" ]; then
		echo "$NP_CNI_BIN/$1"
	else
		np_fail "no CNI plugin $1 in $NP_BUILD or $NP_CNI_BIN"
	fi
}

# np_pod NAME CONFLIST [CNI_ARGS]: a pod netns attached by the chain's ADD.
np_pod() {
	local name=$1 conf=$2 args=${3:-} ns out
	ns=$(np_ns "$name")
	np_netns_add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	out=$(np_cni ADD "$conf" "$name" "$args") ||
		np_fail "CNI ADD for pod $name failed: $out"
	printf '%s\n' "$out" >"$NP_TMP/pods/$name.json"
	echo "$conf" >"$NP_TMP/pods/$name.conf"
	np_log "pod $name: $(np_pod_ip "$name" 4) $(np_pod_ip "$name" 6)"
}

# np_pod_del NAME [CNI_ARGS]: the chain's DEL, then the pod netns goes.
np_pod_del() {
	local name=$1 args=${2:-} conf out
	conf=$(cat "$NP_TMP/pods/$name.conf")
	out=$(np_cni DEL "$conf" "$name" "$args") ||
		np_fail "CNI DEL for pod $name failed: $out"
	ip netns del "$(np_ns "$name")"
	rm -f "$NP_TMP/pods/$name.json"
}

# np_pod_ip NAME [4|6]: the pod's address from its ADD result.
np_pod_ip() {
	local sel
	case "${2:-4}" in
	4) sel='test("\\.")' ;;
	6) sel='test(":")' ;;
	*) np_fail "np_pod_ip: family must be 4 or 6" ;;
	esac
	jq -r ".ips[].address | select($sel) | split(\"/\")[0]" \
		"$NP_TMP/pods/$1.json" | head -n 1
}

# np_ext NAME ADDR4 [ADDR6]: an external host routed through the node.
# The node side of its link holds 203.0.113.254/32 and 2001:db8:ff::fffe/128
# as the host's gateway; the node routes ADDR4/ADDR6 to the link. The node
# itself has no default route.
np_ext() {
	np_ext_via "$NP_NODE" "$@"
	np_log "external $1: $2 ${3:-}"
}

# np_ext_via ROUTER NAME ADDR4 [ADDR6]: np_ext routed by netns ROUTER.
np_ext_via() {
	local router=$1 name=$2 a4=$3 a6=${4:-} ns link
	ns=$(np_ns "$name")
	link="x${name:0:12}"
	np_netns_add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip -n "$router" link add "$link" type veth peer name eth0 netns "$ns"
	ip -n "$router" link set "$link" up
	ip -n "$ns" link set eth0 up
	ip -n "$router" addr add 203.0.113.254/32 dev "$link"
	ip -n "$router" route add "$a4/32" dev "$link"
	ip -n "$ns" addr add "$a4/24" dev eth0
	ip -n "$ns" route add default via 203.0.113.254 dev eth0
	if [ -n "$a6" ]; then
		ip -n "$router" addr add 2001:db8:ff::fffe/128 dev "$link" nodad
		ip -n "$router" -6 route add "$a6/128" dev "$link"
		ip -n "$ns" addr add "$a6/64" dev eth0 nodad
		ip -n "$ns" -6 route add 2001:db8:ff::fffe/128 dev eth0
		ip -n "$ns" -6 route add default via 2001:db8:ff::fffe dev eth0
	fi
}

# np_bg NAME cmd...: run cmd in the background in NAME's netns ("node" for
# the node); it is killed at cleanup. Prints its pid.
np_bg() {
	local ns
	ns=$(np_ns "$1")
	shift
	ip netns exec "$ns" "$@" >>"$NP_TMP/bg.log" 2>&1 &
	echo "$!" >>"$NP_TMP/pids"
	echo "$!"
}

# np_wait_port NAME PORT [tcp|udp]: wait up to 10 s for a listener.
np_wait_port() {
	local name=$1 port=$2 proto=${3:-tcp} i flag=-tlnH
	[ "$proto" = udp ] && flag=-ulnH
	for i in $(seq 100); do
		if [ -n "$(np_in "$name" ss "$flag" "sport = :$port")" ]; then
			return 0
		fi
		sleep 0.1
	done
	np_fail "nothing listens on $proto/$port in $name"
}

# np_retry N CMD...: run CMD up to N times, 0.1 s apart, until it succeeds.
np_retry() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# np_rd_conf FILE [YAML ...]: write a netpol-recorderd configuration to
# FILE: the run's store ($NP_DB), release socket ($NP_RELEASE), a 200 ms
# flush interval and the log in $NP_RD_LOG (level info), followed by each
# YAML argument as top-level lines. A top-level key the arguments set is
# not written from the defaults (a key given twice would be ambiguous), so
# "store: /elsewhere.db" or "log: {file: $NP_RD_LOG, level: debug}"
# replace theirs. np_rd_start and np_rd_wait read $NP_RD_LOG: a
# replacement log: must keep that file.
np_rd_conf() {
	local f=$1 extra key
	shift
	extra=$(printf '%s\n' "$@")
	{
		for key in store release_socket flush_interval log; do
			if [ $# -gt 0 ] && grep -q "^$key:" <<<"$extra"; then
				continue
			fi
			case "$key" in
			store) echo "store: $NP_DB" ;;
			release_socket) echo "release_socket: $NP_RELEASE" ;;
			flush_interval) echo "flush_interval: 200ms" ;;
			log) echo "log: {file: $NP_RD_LOG}" ;;
			esac
		done
		[ $# -eq 0 ] || printf '%s\n' "$extra"
	} >"$f"
}

# np_rd_start CONF [ARG ...]: start "netpol-recorderd -f -c CONF ARG..."
# in the node netns (np_bg: killed at cleanup) with an empty $NP_RD_LOG,
# set NP_RD_PID to its pid and wait until it records (np_rd_wait). Call
# it directly, not in $(...): it sets NP_RD_PID and its failure must end
# the test.
np_rd_start() {
	local conf=$1
	shift
	: >"$NP_RD_LOG"
	NP_RD_PID=$(np_bg node "$NP_BUILD/netpol-recorderd" -f -c "$conf" "$@")
	np_rd_wait "$NP_RD_PID"
}

# np_rd_wait [-t SECONDS] [PID]: wait (up to SECONDS, 10 by default) until
# netpol-recorderd logs "recording:" to $NP_RD_LOG, its last start-up
# line. Fails, printing the log and the end of the background output, on
# timeout, or at once when PID (the daemon or its wrapper) has exited.
np_rd_wait() {
	local secs=10 pid i
	if [ "${1:-}" = -t ]; then
		secs=$2
		shift 2
	fi
	pid=${1:-}
	for ((i = 0; i < secs * 10; i++)); do
		if grep -q "recording:" "$NP_RD_LOG" 2>/dev/null; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			# It may have logged and exited between the two tests.
			grep -q "recording:" "$NP_RD_LOG" 2>/dev/null && return 0
			break
		fi
		sleep 0.1
	done
	cat "$NP_RD_LOG" >&2 2>/dev/null || true
	tail -n 20 "$NP_TMP/bg.log" >&2 2>/dev/null || true
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		np_fail "netpol-recorderd (pid $pid) exited before it recorded"
	fi
	np_fail "netpol-recorderd did not start within $secs s (no \"recording:\" in $NP_RD_LOG)"
}

# np_rd_stop [-t SECS] [PID]: SIGTERM to PID (default $NP_RD_PID), then
# wait up to SECS (10) until it has exited; fails if it is already gone or
# does not stop.
# PID must not be a child of the calling shell (np_bg in $(...) is not):
# an unreaped child would look alive.
np_rd_stop() {
	local secs=10 pid i
	if [ "${1:-}" = -t ]; then
		secs=$2
		shift 2
	fi
	pid=${1:-$NP_RD_PID}
	[ -n "$pid" ] || np_fail "np_rd_stop: no pid (np_rd_start sets NP_RD_PID)"
	kill -TERM "$pid" || np_fail "netpol-recorderd (pid $pid) was not running"
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	np_fail "netpol-recorderd (pid $pid) did not stop within $secs s of SIGTERM"
}

# np_rd_wait_log PATTERN N: wait up to 15 s until netpol-recorderd's log
# ($NP_RD_LOG) holds N lines matching PATTERN (grep); fail, printing the
# log, when it does not.
np_rd_wait_log() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(grep -c "$1" "$NP_RD_LOG" || true)" -ge "$2" ] && return 0
		sleep 0.1
	done
	cat "$NP_RD_LOG" >&2
	np_fail "the daemon did not log '$1' (x$2) within 15 s"
}

# np_settle TRIES SAME SECS CMD...: run CMD every SECS seconds until it
# has printed the same SAME times in a row (a count in the store that
# stopped moving): 0, or 1 after TRIES runs.
np_settle() {
	local tries=$1 want=$2 secs=$3 prev="" cur same=0 i
	shift 3
	for ((i = 0; i < tries; i++)); do
		cur=$("$@")
		if [ "$i" -gt 0 ] && [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -lt "$want" ] || return 0
		else
			same=0
		fi
		prev=$cur
		sleep "$secs"
	done
	return 1
}

# np_store_lock DB SECS: hold the store's write lock from another process
# for SECS seconds, as an administrator's sqlite3 shell, a slow fsync or
# another writer would: python3's sqlite3 module runs BEGIN IMMEDIATE,
# sleeps, then COMMITs. Runs in the background (killed at cleanup) and
# returns once the lock is held (10 s at most); prints the path of a
# file that gets "locked <unix time>" and, at the end, "released <unix
# time>" (with milliseconds).
np_store_lock() {
	local db=$1 secs=$2 out i
	out=$(mktemp "$NP_TMP/lock.XXXXXX")
	python3 - "$db" "$secs" >"$out" 2>&1 <<-'EOF' &
	import sqlite3, sys, time
	c = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
	c.execute("BEGIN IMMEDIATE")
	print("locked %.3f" % time.time(), flush=True)
	time.sleep(float(sys.argv[2]))
	c.execute("COMMIT")
	print("released %.3f" % time.time(), flush=True)
	EOF
	echo "$!" >>"$NP_TMP/pids"
	for ((i = 0; i < 100; i++)); do
		grep -q '^locked ' "$out" && { echo "$out"; return 0; }
		sleep 0.1
	done
	cat "$out" >&2
	np_fail "np_store_lock: $db not locked within 10 s"
}

# np_udp_sink NAME: pod NAME drops UDP datagrams to ports 20000-65535 at
# input (a table of its own in its netns), so that a load of new flows
# gets no ICMP errors back.
np_udp_sink() {
	np_in "$1" nft -f - <<-'EOF'
	table inet np_sink {
		chain input {
			type filter hook input priority 0; policy accept;
			udp dport 20000-65535 drop
		}
	}
	EOF
}

# np_pods_neigh NAME...: see the header (IPv4, same bridge).
np_pods_neigh() {
	local p q
	local -A mac=() ip4=()
	for p in "$@"; do
		mac[$p]=$(np_in "$p" cat /sys/class/net/eth0/address)
		ip4[$p]=$(np_pod_ip "$p" 4)
	done
	for p in "$@"; do
		for q in "$@"; do
			[ "$p" = "$q" ] ||
				echo "neigh replace ${ip4[$q]} lladdr ${mac[$q]} dev eth0 nud permanent"
		done | ip -n "$(np_ns "$p")" -batch -
	done
}

# np_count_new SRC DST: the node counts the new UDP and TCP connections
# from address SRC to DST with a `ct state new counter` rule per protocol
# (priority 0: after the plugin's mark at -90), independently of any
# listener; np_new_counts prints "UDP TCP" so far.
np_count_new() {
	np_node nft -f - <<-EOF
	table inet np_count {
		chain c {
			type filter hook prerouting priority 0; policy accept;
			ip saddr $1 ip daddr $2 meta l4proto udp ct state new counter
			ip saddr $1 ip daddr $2 meta l4proto tcp ct state new counter
		}
	}
	EOF
}

np_new_counts() {
	np_node nft -j list chain inet np_count c |
		jq -r '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | "\(.[0]) \(.[1])"'
}

# np_udp_mark NAME ADDR PORT SPORT: a new UDP flow from pod NAME to
# ADDR:PORT from source port SPORT; prints the conntrack mark the node
# shows for it (decimal; 0 when unmarked, or not tracked at all: a node
# netns without any table using conntrack does not track).
np_udp_mark() {
	local m
	np_in "$1" socat -u - UDP4:"$2":"$3",sourceport="$4" <<<x
	m=$(np_node conntrack -L -p udp --orig-port-src "$4" 2>/dev/null |
		grep -o 'mark=[0-9]*' | head -n 1 | cut -d= -f2 || true)
	echo "${m:-0}"
}

# ---- several nodes ------------------------------------------------------------

NP_NODE_IDX=""
NP_NODE_DIR=""
NP_FABRIC=""
NP_NODES=()
NP_RD_PIDS=()
NP_API=""

# np_cluster N: see the header. The run's default node netns stays (and
# is removed at cleanup) but is not one of the cluster's nodes.
np_cluster() {
	local n=$1 i j lan
	NP_FABRIC="$NP_ID-lan"
	np_netns_add "$NP_FABRIC"
	ip -n "$NP_FABRIC" link set lo up
	ip -n "$NP_FABRIC" link add lan0 type bridge
	ip -n "$NP_FABRIC" link set lan0 up
	ip -n "$NP_FABRIC" addr add 198.18.0.1/24 dev lan0
	ip netns exec "$NP_FABRIC" sysctl -qw net.ipv4.ip_forward=1
	for ((i = 1; i <= n; i++)); do
		NP_NODES[$i]="$NP_ID-n$i"
		np_netns_add "${NP_NODES[$i]}"
		mkdir -p "$NP_TMP/n$i/net.d" "$NP_TMP/n$i/ipam"
		ip -n "${NP_NODES[$i]}" link set lo up
		for s in net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0; do
			ip netns exec "${NP_NODES[$i]}" sysctl -qw "$s"
		done
		lan="l$i-${NP_ID:2:8}"
		ip -n "$NP_FABRIC" link add "$lan" type veth peer name lan0 \
			netns "${NP_NODES[$i]}"
		ip -n "$NP_FABRIC" link set "$lan" master lan0 up
		ip -n "${NP_NODES[$i]}" link set lan0 up
		ip -n "${NP_NODES[$i]}" addr add "198.18.0.$((10 + i))/24" dev lan0
		ip -n "${NP_NODES[$i]}" route add default via 198.18.0.1
		ip -n "$NP_FABRIC" route add "198.18.$((10 + i)).0/24" \
			via "198.18.0.$((10 + i))"
	done
	for ((i = 1; i <= n; i++)); do
		for ((j = 1; j <= n; j++)); do
			[ "$i" -ne "$j" ] || continue
			ip -n "${NP_NODES[$i]}" route add "198.18.$((10 + j)).0/24" \
				via "198.18.0.$((10 + j))"
		done
	done
	np_log "cluster of $n nodes, fabric $NP_FABRIC"
	np_use_node 1
}

# np_use_node I: see the header.
np_use_node() {
	local i=$1
	[ -n "${NP_NODES[$i]:-}" ] || np_fail "np_use_node: no node $i (np_cluster)"
	if [ -n "$NP_NODE_IDX" ]; then
		NP_RD_PIDS[$NP_NODE_IDX]=$NP_RD_PID
	fi
	NP_NODE_IDX=$i
	NP_NODE=${NP_NODES[$i]}
	NP_NODE_DIR="$NP_TMP/n$i"
	NP_DB="$NP_NODE_DIR/records.db"
	NP_RELEASE="$NP_NODE_DIR/release.sock"
	NP_RD_LOG="$NP_NODE_DIR/rd.log"
	NP_RD_PID=${NP_RD_PIDS[$i]:-}
	export NP_NODE NP_DB NP_RELEASE NP_RD_LOG NP_NODE_IDX NP_NODE_DIR
}

# np_cluster_ext NAME ADDR4: see the header.
np_cluster_ext() {
	np_ext_via "$NP_FABRIC" "$@"
	np_log "external $1: $2 (behind the fabric)"
}

# np_api_pki DIR ADDR: a CA (DIR/ca.pem, ca.key) and a certificate of
# the test API server for IP ADDR signed by it (DIR/srv.pem, srv.key).
np_api_pki() {
	local d=$1 a=$2
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 1 \
		-subj "/CN=netpol-record test CA $NP_ID" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/srv.key" -out "$d/srv.csr" -subj "/CN=$a" \
		2>/dev/null
	printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$a" >"$d/srv.ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/srv.pem" -days 1 -extfile "$d/srv.ext" \
		2>/dev/null
}

# np_api_start [ARG ...]: see the header.
np_api_start() {
	local d="$NP_TMP/api" i
	np_api_pki "$d" 198.18.0.1
	echo "token-$NP_ID" >"$d/token"
	ip netns exec "$NP_FABRIC" /usr/bin/python3 \
		"$NP_TOP/tests/tools/fake_apiserver.py" --cert "$d/srv.pem" \
		--key "$d/srv.key" --token-file "$d/token" --listen 198.18.0.1 \
		--port-file "$d/port" "$@" >>"$d/server.log" 2>&1 &
	echo "$!" >>"$NP_TMP/pids"
	for ((i = 0; i < 100; i++)); do
		[ -s "$d/port" ] && break
		sleep 0.1
	done
	[ -s "$d/port" ] || np_fail "the test API server did not start: $(cat "$d/server.log")"
	NP_API="https://198.18.0.1:$(cat "$d/port")"
	cat >"$d/kubeconfig" <<-EOF
	apiVersion: v1
	kind: Config
	current-context: test
	contexts:
	- name: test
	  context: {cluster: fake, user: recorder}
	clusters:
	- name: fake
	  cluster: {server: "$NP_API", certificate-authority: ca.pem}
	users:
	- name: recorder
	  user: {tokenFile: token}
	EOF
	export NP_API
	np_log "test API server $NP_API"
}

# np_api METHOD PATH [JSON]: see the header. Fails on a transport error
# only (any HTTP status is printed as the body says).
np_api() {
	local d="$NP_TMP/api" body=()
	[ $# -lt 3 ] || body=(-H 'Content-Type: application/json' -d "$3")
	ip netns exec "$NP_FABRIC" curl -sS --max-time 20 --cacert "$d/ca.pem" \
		-H "Authorization: Bearer $(cat "$d/token")" -X "$1" \
		"${body[@]}" "$NP_API$2"
}

# np_api_ctl NAME [JSON]: see the header.
np_api_ctl() {
	local out
	out=$(ip netns exec "$NP_FABRIC" curl -sS --max-time 20 --fail-with-body \
		--cacert "$NP_TMP/api/ca.pem" -X POST \
		-H 'Content-Type: application/json' -d "${2:-{\}}" \
		"$NP_API/_test/$1") ||
		np_fail "test API server control $1 failed: $out"
}
