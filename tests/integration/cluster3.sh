# shellcheck shell=bash
#
# cluster3.sh: a three-node cluster recorded by three netpol-recorderd and
# published to one test API server, for tests to assert on. Source it
# after tests/integration/lib.sh and np_setup; it does not run anything
# by itself:
#
#   c3_up [YAML ...]   the nodes, the API server (started with the
#                      arguments in the array C3_API_ARGS; objects: Namespaces,
#                      Nodes, Deployments and their ReplicaSets, a
#                      StatefulSet, Pods), the pods attached by the bridge
#                      plugin + netpol-record-cni, a Service (DNAT on every
#                      node), dnsmasq and an external server, and a daemon
#                      per node (NODE_NAME=node-I, metadata and publishing
#                      through the API server; YAML arguments are added to
#                      every daemon's configuration, e.g. "publish:
#                      {interval: 2s, refresh: 5s}"); returns once every
#                      daemon knows its pods' owners
#   c3_traffic         the connections below, each once (call it again for
#                      more); returns once every node flushed them
#   c3_stop            SIGTERM to every daemon (each flushes, then
#                      publishes what changed once more) and wait for them:
#                      afterwards the three stores and the API server hold
#                      the same data; they stay up for the caller
#   c3_fail MESSAGE    np_fail, after each node's publish lines and the
#                      profiles' names (what to look at first)
#   c3_profiles        every TrafficProfile the API server holds, as a
#                      JSON list (items)
#   c3_check [--running]  tests/tools/tp_check.py on each node: the API
#                      server's objects of node-I equal the flows of its
#                      store (groups and their peers, workloads, the peer
#                      workloads described, counters) and its
#                      RecorderStatus's dataEnd is the store's (not with
#                      --running: a running node's status is rewritten
#                      every publish.refresh, not with each flush); a test
#                      that changes node I's publish.namespaces sets
#                      C3_NAMESPACES[I] to them (comma-separated);
#                      returns 1 (tp_check printed why) when they differ
#
# The cluster (namespace shop unless said):
#   node-1: client (Deployment client), web-1 (Deployment web)
#   node-2: web-2 (Deployment web), api-1 (Deployment api)
#   node-3: db-0 (StatefulSet db), tool (Deployment tool, namespace other)
#   Service 198.18.100.10:80 -> api-1:8080 (DNAT on every node)
#   dns 203.0.113.53 (dnsmasq: pay.example.com and cdn.example.com ->
#   203.0.113.80)
#   ext 203.0.113.80 (an external server, TCP 443)
# Connections (c3_traffic): client -> web-1:8080 (same node), client ->
# web-2:8080 (across nodes), client -> the Service (DNAT to api-1 on
# node-2), client resolves cdn.example.com, then pay.example.com and
# connects to it (a DNS name, and two names answered for its address), api-1 -> db-0:5432, tool -> 203.0.113.80:443 (an address),
# tool -> web-1 (ICMP), node-2 -> web-1:8080 (a node peer), and node-1 ->
# web-1:8080 (the node's own address).
#
# Variables after c3_up: C3_DB[I] (node I's store), C3_LOG[I] (its log),
# C3_IP[pod] (pod addresses); $NP_API, $NP_TMP/api/kubeconfig (lib.sh).
# The API server listens on 198.18.0.1 in the fabric netns: run a client
# there, e.g. ip netns exec "$NP_FABRIC" netpol-record ... with
# KUBECONFIG=$NP_TMP/api/kubeconfig (its CA and token file are beside
# it), or use np_api. A byte-identical check of the cluster reader runs
# c3_up, c3_traffic, c3_stop, then compares
#   netpol-record export --db "${C3_DB[1]}" --db "${C3_DB[2]}" --db "${C3_DB[3]}" -n shop
# with the same export read from the API server.

declare -A C3_IP=()
C3_DB=()
C3_LOG=()
C3_NAMESPACES=()
C3_API_ARGS=("${C3_API_ARGS[@]}")

# The pods: name node namespace owner-kind owner-name app port-name port.
C3_PODS=(
	"client 1 shop Deployment client client - 0"
	"web-1 1 shop Deployment web web http 8080"
	"web-2 2 shop Deployment web web http 8080"
	"api-1 2 shop Deployment api api http 8080"
	"db-0 3 shop StatefulSet db db pg 5432"
	"tool 3 other Deployment tool tool - 0"
)

# The API object of a pod (name as the API knows it: <workload>-<hash>-<x>
# for a Deployment's, db-0 for the StatefulSet's).
c3_pod_json() {
	local name=$1 node=$2 ns=$3 okind=$4 oname=$5 app=$6 pname=$7 port=$8
	local ip=${C3_IP[$name]} owner ref ports=""
	if [ "$okind" = Deployment ]; then
		owner="ReplicaSet"
		ref="$oname-5d9c"
	else
		owner=$okind
		ref=$oname
	fi
	[ "$port" = 0 ] || ports=',"ports":[{"name":"'$pname'","containerPort":'$port',"protocol":"TCP"}]'
	cat <<JSON
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$(c3_api_name "$name")","namespace":"$ns",
 "uid":"uid-pod-$name","labels":{"app":"$app","pod-template-hash":"5d9c"},
 "ownerReferences":[{"apiVersion":"apps/v1","kind":"$owner","name":"$ref","uid":"uid-$(echo "$owner" | tr 'A-Z' 'a-z')-$oname","controller":true}]},
 "spec":{"nodeName":"node-$node","containers":[{"name":"main","image":"x"$ports}]},
 "status":{"phase":"Running","podIP":"$ip","podIPs":[{"ip":"$ip"}],"startTime":"2026-01-01T00:00:00Z"}}
JSON
}

# The name the API gives pod NAME of the table.
c3_api_name() {
	case "$1" in
	db-0) echo db-0 ;;
	*) echo "${1%-[0-9]}-5d9c-${1//[^a-z0-9]/}" | cut -c1-40 ;;
	esac
}

# c3_workload_json NS KIND NAME: the workload object itself (a
# Deployment, the StatefulSet), e.g. for a DELETED event.
c3_workload_json() {
	local ns=$1 kind=$2 name=$3
	if [ "$kind" = Deployment ]; then
		cat <<JSON
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"$name","namespace":"$ns","uid":"uid-deployment-$name"},
 "spec":{"selector":{"matchLabels":{"app":"$name"}},"template":{"metadata":{"labels":{"app":"$name"}}}}}
JSON
	else
		cat <<JSON
{"apiVersion":"apps/v1","kind":"$kind","metadata":{"name":"$name","namespace":"$ns","uid":"uid-$(echo "$kind" | tr 'A-Z' 'a-z')-$name"},
 "spec":{"selector":{"matchLabels":{"app":"$name"}}}}
JSON
	fi
}

# c3_owner_json NS KIND NAME: the workload and, for a Deployment, its
# ReplicaSet (comma-separated, for a List's items).
c3_owner_json() {
	local ns=$1 kind=$2 name=$3
	c3_workload_json "$ns" "$kind" "$name"
	if [ "$kind" = Deployment ]; then
		cat <<JSON
,{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"$name-5d9c","namespace":"$ns","uid":"uid-replicaset-$name",
 "labels":{"app":"$name","pod-template-hash":"5d9c"},
 "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"$name","uid":"uid-deployment-$name","controller":true}]},
 "spec":{"selector":{"matchLabels":{"app":"$name","pod-template-hash":"5d9c"}}}}
JSON
	fi
}

c3_up() {
	local i p name node ns okind oname app pname port plugin br items
	local conf want
	np_cluster 3
	np_api_start "${C3_API_ARGS[@]}"
	for ((i = 1; i <= 3; i++)); do
		np_use_node "$i"
		C3_DB[$i]=$NP_DB
		C3_LOG[$i]=$NP_RD_LOG
		plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
		br=$(np_conflist bridge "$plugin")
		for p in "${C3_PODS[@]}"; do
			read -r name node ns okind oname app pname port <<<"$p"
			[ "$node" = "$i" ] || continue
			np_pod "$name" "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=$(c3_api_name "$name");K8S_POD_UID=uid-pod-$name"
			C3_IP[$name]=$(np_pod_ip "$name" 4)
		done
	done
	# What the API server knows: namespaces, nodes, owners, pods.
	items='{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","uid":"uid-ns-shop"}},
{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other","uid":"uid-ns-other"}}'
	for ((i = 1; i <= 3; i++)); do
		items="$items,"'{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-'$i'","uid":"uid-node-'$i'"},"status":{"addresses":[{"type":"InternalIP","address":"198.18.0.'$((10 + i))'"}]}}'
	done
	items="$items,$(c3_owner_json shop Deployment client),$(c3_owner_json shop Deployment web)"
	items="$items,$(c3_owner_json shop Deployment api),$(c3_owner_json shop StatefulSet db)"
	items="$items,$(c3_owner_json other Deployment tool)"
	for p in "${C3_PODS[@]}"; do
		read -r name node ns okind oname app pname port <<<"$p"
		items="$items,$(c3_pod_json "$name" "$node" "$ns" "$okind" "$oname" "$app" "$pname" "$port")"
	done
	np_api_ctl load "{\"items\":[$items]}"

	# Servers, DNS, the external server, the Service on every node.
	np_cluster_ext dns 203.0.113.53
	np_cluster_ext ext 203.0.113.80
	np_bg dns dnsmasq --no-daemon --no-resolv --no-hosts --port=53 \
		--address=/pay.example.com/203.0.113.80 \
		--address=/cdn.example.com/203.0.113.80 \
		--listen-address=203.0.113.53 --bind-interfaces >/dev/null 2>&1
	np_bg ext socat TCP4-LISTEN:443,fork,reuseaddr SYSTEM:'echo ext' >/dev/null
	for name in web-1 web-2 api-1; do
		np_bg "$name" socat TCP4-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hi' >/dev/null
	done
	np_bg db-0 socat TCP4-LISTEN:5432,fork,reuseaddr SYSTEM:'echo pg' >/dev/null
	for name in web-1 web-2 api-1; do np_wait_port "$name" 8080; done
	np_wait_port db-0 5432
	np_wait_port ext 443
	np_wait_port dns 53 udp
	for ((i = 1; i <= 3; i++)); do
		np_use_node "$i"
		np_node nft -f - <<-NFT
		table ip c3svc {
			chain pre { type nat hook prerouting priority dstnat; ip daddr 198.18.100.10 tcp dport 80 dnat to ${C3_IP[api-1]}:8080; }
		}
		NFT
	done

	# A daemon per node.
	for ((i = 1; i <= 3; i++)); do
		np_use_node "$i"
		conf="$NP_NODE_DIR/recorderd.yaml"
		np_rd_conf "$conf" "node_name: node-$i" \
			"metadata: {source: kubeconfig, kubeconfig: $NP_TMP/api/kubeconfig}" \
			"$@"
		"$NP_BUILD/netpol-recorderd" -n -c "$conf" >/dev/null ||
			np_fail "node $i: configuration refused"
		np_rd_start "$conf"
	done
	# Every daemon knows its pods' owners (written with a flush).
	for ((i = 1; i <= 3; i++)); do
		want=0
		for p in "${C3_PODS[@]}"; do
			read -r name node _ <<<"$p"
			[ "$node" != "$i" ] || want=$((want + 1))
		done
		np_retry 300 c3_owners_known "$i" "$want" ||
			c3_fail "node $i: the pods' owners are not in the store: $(sqlite3 "${C3_DB[$i]}" 'SELECT kind, name FROM workloads' 2>&1)"
	done
	np_use_node 1
	np_log "cluster3: up"
}

# c3_owners_known I N: node I's store has its N pods against their owners.
c3_owners_known() {
	local n
	n=$(sqlite3 -cmd ".timeout 2000" "${C3_DB[$1]}" "SELECT count(*) FROM
		attachments a JOIN workloads w ON w.id = a.workload_id
		WHERE a.detached_at = 0 AND w.kind != 'Pod' AND w.uid != ''" 2>/dev/null)
	[ "${n:-0}" -ge "$2" ]
}

c3_traffic() {
	local ip i before
	local -a b=()
	for ((i = 1; i <= 3; i++)); do
		b[$i]=$(sqlite3 -cmd ".timeout 2000" "${C3_DB[$i]}" \
			"SELECT coalesce(sum(count), 0) FROM flows")
	done
	np_in client socat -T3 - TCP4:"${C3_IP[web-1]}":8080 </dev/null >/dev/null
	np_in client socat -T3 - TCP4:"${C3_IP[web-2]}":8080 </dev/null >/dev/null
	np_in client socat -T3 - TCP4:198.18.100.10:80 </dev/null >/dev/null
	np_in client busybox nslookup cdn.example.com 203.0.113.53 >/dev/null 2>&1 || true
	ip=$( (np_in client busybox nslookup pay.example.com 203.0.113.53 || true) |
		awk '/^Address: /{a=$2} END{print a}')
	[ "$ip" = 203.0.113.80 ] || np_fail "dnsmasq answered '$ip'"
	np_in client socat -T3 - TCP4:203.0.113.80:443 </dev/null >/dev/null
	np_in api-1 socat -T3 - TCP4:"${C3_IP[db-0]}":5432 </dev/null >/dev/null
	np_in tool socat -T3 - TCP4:203.0.113.80:443 </dev/null >/dev/null
	np_in tool busybox ping -c1 -W2 "${C3_IP[web-1]}" >/dev/null
	ip netns exec "${NP_NODES[2]}" socat -T3 - TCP4:"${C3_IP[web-1]}":8080 </dev/null >/dev/null
	ip netns exec "${NP_NODES[1]}" socat -T3 - TCP4:"${C3_IP[web-1]}":8080 </dev/null >/dev/null
	# Every node's store took its share (both sides of each connection
	# are counted once per node that saw them).
	for ((i = 1; i <= 3; i++)); do
		before=${b[$i]}
		np_retry 100 c3_grew "$i" "$before" ||
			np_fail "node $i: no flows stored after the traffic"
	done
	sleep 0.5	# the last flush interval
}

c3_grew() {
	local now
	now=$(sqlite3 -cmd ".timeout 2000" "${C3_DB[$1]}" \
		"SELECT coalesce(sum(count), 0) FROM flows" 2>/dev/null)
	[ "${now:-0}" -gt "$2" ]
}

c3_stop() {
	local i
	for ((i = 1; i <= 3; i++)); do
		np_use_node "$i"
		np_rd_stop -t 25
		grep -q "netpol-recorderd\|signal" "$NP_RD_LOG" || true
	done
	np_use_node 1
}

# c3_fail MESSAGE: fail, with what each node's daemon said about
# publishing and the names of the profiles the API server holds.
c3_fail() {
	local i
	for ((i = 1; i <= 3; i++)); do
		[ -n "${C3_LOG[$i]:-}" ] || continue
		echo "--- node-$i: ${C3_LOG[$i]} (publish, warnings, last 15)" >&2
		grep -E 'publish|warn|error' "${C3_LOG[$i]}" | tail -n 15 >&2 || true
	done
	echo "--- profiles: $(c3_profiles 2>/dev/null | jq -c '[.items[].metadata.name]' 2>/dev/null)" >&2
	np_fail "$@"
}

c3_profiles() {
	np_api GET "/apis/netpol-record.io/v1alpha1/trafficprofiles"
}

c3_check() {
	local i status=() ns
	for ((i = 1; i <= 3; i++)); do
		[ "${1:-}" = --running ] || status=(--status "$NP_TMP/n$i/status.json")
		ns=()
		[ -z "${C3_NAMESPACES[$i]:-}" ] || ns=(--namespaces "${C3_NAMESPACES[$i]}")
		np_api GET "/apis/netpol-record.io/v1alpha1/trafficprofiles?labelSelector=netpol-record.io%2Fnode%3Dnode-$i" \
			>"$NP_TMP/n$i/profiles.json"
		np_api GET "/apis/netpol-record.io/v1alpha1/namespaces/netpol-record/recorderstatuses/node-$i" \
			>"$NP_TMP/n$i/status.json"
		python3 "$NP_TOP/tests/tools/tp_check.py" --db "${C3_DB[$i]}" \
			--node "node-$i" --profiles "$NP_TMP/n$i/profiles.json" \
			"${status[@]}" "${ns[@]}" || return 1
	done
}
