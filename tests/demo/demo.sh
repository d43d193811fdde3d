#!/bin/bash
# make demo: the whole product on one node built from network namespaces.
#
# A "demo" namespace with a frontend Deployment (2 replicas) that calls the
# backend through a Service VIP (DNAT, standing in for kube-proxy), a backend
# Deployment that calls a db StatefulSet on 5432 and an external API by DNS
# name, a metrics DaemonSet pod scraping both, and a CronJob pod that runs
# once; CoreDNS (dnsmasq) in kube-system answers the names. Pods start
# through the real CNI chain (bridge + host-local + netpol-record-cni);
# netpol-recorderd records; then the CLI exports policies, reports and
# checks. Everything is removed at the end.
#
# DEMO_OUT (default demo-out/ at the top of the tree) receives the store the
# node recorded into (records.db), the KnownServers (imported into that
# store), the exported policies and the HTML report. The CLI commands are
# printed exactly as they run ("$ ..."), with paths relative to the
# directory the demo was started in when they are below it: run again from
# there, each gives the same output from what stays in DEMO_OUT.
# DEMO_ROUNDS (default 5) bounds the traffic.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/integration/lib.sh"

OUT=${DEMO_OUT:-$top/demo-out}
ROUNDS=${DEMO_ROUNDS:-5}
B=$NP_BUILD
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

STORE=$OUT/records.db
rm -f "$STORE" "$STORE-wal" "$STORE-shm" "$STORE-journal"

step() { printf '==> %s\n' "$*"; }
# A path as the printed commands give it: relative to where the demo was
# started when it is below it.
shown() {
	local rel
	case "$1" in
	"$PWD"/*/*) printf '%s\n' "${1#"$PWD"/}" ;;
	"$PWD"/*) rel=${1#"$PWD"/}; printf './%s\n' "$rel" ;;
	*) printf '%s\n' "$1" ;;
	esac
}
# run [> FILE] COMMAND ARG...: print the command as a shell would take it
# (arguments quoted where needed), then run it, stdout to FILE if given.
run() {
	local to=""
	if [ "$1" = ">" ]; then
		to=$2
		shift 2
	fi
	printf '$'
	printf ' %q' "$@"
	[ -z "$to" ] || printf ' > %q' "$to"
	printf '\n'
	if [ -n "$to" ]; then
		"$@" >"$to"
	else
		"$@"
	fi
}

step "building a node in network namespaces"
np_setup demo
np_log() { :; }	# the demo prints its own steps
CONF="$NP_TMP/recorderd.yaml"
META="$NP_TMP/metadata.json"
sed -e "s|^\\(\\s*\\)flush_interval:.*|\\1flush_interval: 500ms|" \
	-e "s|^release_socket:.*|release_socket: $NP_RELEASE|" \
	"$top/conf/recorderd.yaml" >"$CONF"
echo '{"apiVersion":"v1","kind":"List","items":[]}' >"$META"

step "starting netpol-recorderd in the node (store $(shown "$STORE"))"
RECORDERD=$(np_bg node "$B/netpol-recorderd" -f -c "$CONF" --db "$STORE" \
	--metadata "$META")
for _ in $(seq 50); do
	np_node nft list table inet netpol_record >/dev/null 2>&1 && break
	sleep 0.1
done

PLUGIN='{"type":"netpol-record-cni","db":"'"$STORE"'","logFile":"'"$NP_TMP/cni.log"'"}'
CONFLIST=$(np_conflist bridge "$PLUGIN")

# name namespace kind-of-owner
PODS="coredns-7db6d8ff4d-s5t6u:kube-system
frontend-6d8f7b9c5-abcde:demo
frontend-6d8f7b9c5-fghij:demo
backend-5c4b7d8f9-klmno:demo
db-0:demo
metrics-x7k2p:demo
report-29111220-q8w4z:demo"

step "starting 7 pods through the CNI chain bridge + host-local + netpol-record-cni"
declare -A IP UID_OF
for entry in $PODS; do
	name=${entry%%:*}
	ns=${entry#*:}
	uid=$(cat /proc/sys/kernel/random/uuid)
	UID_OF[$name]=$uid
	np_pod "$name" "$CONFLIST" \
		"IgnoreUnknown=1;K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=$name;K8S_POD_UID=$uid"
	IP[$name]=$(np_pod_ip "$name" 4)
done
GW=198.18.1.1

step "describing the pods as workloads (metadata file, as kubectl get -o json prints it)"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
meta_pod() { # name ns ownerKind ownerName labels-json ports-json
	jq -n --arg name "$1" --arg ns "$2" --arg ok "$3" --arg on "$4" \
		--argjson labels "$5" --argjson ports "$6" --arg ip "${IP[$1]}" \
		--arg uid "${UID_OF[$1]}" --arg now "$now" '{
		apiVersion: "v1", kind: "Pod",
		metadata: ({name: $name, namespace: $ns, uid: $uid, labels: $labels}
			+ (if $ok == "" then {} else {ownerReferences: [{apiVersion: "apps/v1",
				kind: $ok, name: $on, uid: ($on + "-uid"), controller: true}]} end)),
		spec: {nodeName: "demo-node", containers: [{name: "main", image: "busybox",
			ports: $ports}]},
		status: {phase: "Running", startTime: $now, podIP: $ip, podIPs: [{ip: $ip}]}}'
}
owner() { # apiVersion kind name ns selector-labels [ownerKind ownerName] [template-labels]
	jq -n --arg av "$1" --arg kind "$2" --arg name "$3" --arg ns "$4" \
		--argjson sel "$5" --arg ok "${6:-}" --arg on "${7:-}" \
		--argjson tl "${8:-null}" '{
		apiVersion: $av, kind: $kind,
		metadata: ({name: $name, namespace: $ns, uid: ($name + "-uid")}
			+ (if $ok == "" then {} else {ownerReferences: [{apiVersion: "batch/v1",
				kind: $ok, name: $on, uid: ($on + "-uid"), controller: true}]} end)),
		spec: {selector: {matchLabels: $sel},
			template: {metadata: {labels: ($tl // $sel)}}}}'
}
{
	jq -n '{apiVersion: "v1", kind: "Namespace", metadata: {name: "demo",
		labels: {"kubernetes.io/metadata.name": "demo"}}}'
	jq -n '{apiVersion: "v1", kind: "Namespace", metadata: {name: "kube-system",
		labels: {"kubernetes.io/metadata.name": "kube-system"}}}'
	jq -n --arg gw "$GW" '{apiVersion: "v1", kind: "Node", metadata: {name: "demo-node"},
		status: {addresses: [{type: "InternalIP", address: $gw}]}}'
	owner apps/v1 Deployment coredns kube-system '{"k8s-app":"kube-dns"}'
	owner apps/v1 ReplicaSet coredns-7db6d8ff4d kube-system '{"k8s-app":"kube-dns","pod-template-hash":"7db6d8ff4d"}' | jq '.metadata.ownerReferences=[{apiVersion:"apps/v1",kind:"Deployment",name:"coredns",uid:"coredns-uid",controller:true}]'
	owner apps/v1 Deployment frontend demo '{"app":"frontend"}'
	owner apps/v1 ReplicaSet frontend-6d8f7b9c5 demo '{"app":"frontend","pod-template-hash":"6d8f7b9c5"}' | jq '.metadata.ownerReferences=[{apiVersion:"apps/v1",kind:"Deployment",name:"frontend",uid:"frontend-uid",controller:true}]'
	owner apps/v1 Deployment backend demo '{"app":"backend"}'
	owner apps/v1 ReplicaSet backend-5c4b7d8f9 demo '{"app":"backend","pod-template-hash":"5c4b7d8f9"}' | jq '.metadata.ownerReferences=[{apiVersion:"apps/v1",kind:"Deployment",name:"backend",uid:"backend-uid",controller:true}]'
	owner apps/v1 StatefulSet db demo '{"app":"db"}'
	owner apps/v1 DaemonSet metrics demo '{"app":"metrics"}'
	owner batch/v1 CronJob report demo '{"app":"report"}' | jq '.spec={schedule:"*/5 * * * *",jobTemplate:{spec:{template:{metadata:{labels:{app:"report"}}}}}}'
	owner batch/v1 Job report-29111220 demo '{"batch.kubernetes.io/controller-uid":"report-29111220-uid"}' CronJob report '{"app":"report","batch.kubernetes.io/controller-uid":"report-29111220-uid","batch.kubernetes.io/job-name":"report-29111220","controller-uid":"report-29111220-uid","job-name":"report-29111220"}'
	meta_pod coredns-7db6d8ff4d-s5t6u kube-system ReplicaSet coredns-7db6d8ff4d '{"k8s-app":"kube-dns","pod-template-hash":"7db6d8ff4d"}' '[{"name":"dns","containerPort":53,"protocol":"UDP"},{"name":"dns-tcp","containerPort":53,"protocol":"TCP"}]'
	for p in frontend-6d8f7b9c5-abcde frontend-6d8f7b9c5-fghij; do
		meta_pod "$p" demo ReplicaSet frontend-6d8f7b9c5 '{"app":"frontend","pod-template-hash":"6d8f7b9c5"}' '[{"name":"metrics","containerPort":9090,"protocol":"TCP"}]'
	done
	meta_pod backend-5c4b7d8f9-klmno demo ReplicaSet backend-5c4b7d8f9 '{"app":"backend","pod-template-hash":"5c4b7d8f9"}' '[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}]'
	meta_pod db-0 demo StatefulSet db '{"app":"db","apps.kubernetes.io/pod-index":"0","controller-revision-hash":"db-6c9d7f","statefulset.kubernetes.io/pod-name":"db-0"}' '[{"name":"postgres","containerPort":5432,"protocol":"TCP"}]'
	meta_pod metrics-x7k2p demo DaemonSet metrics '{"app":"metrics","controller-revision-hash":"7f9c6d","pod-template-generation":"1"}' '[]'
	meta_pod report-29111220-q8w4z demo Job report-29111220 '{"app":"report","batch.kubernetes.io/controller-uid":"report-29111220-uid","batch.kubernetes.io/job-name":"report-29111220","controller-uid":"report-29111220-uid","job-name":"report-29111220"}' '[]' |
		jq '.metadata.ownerReferences[0].apiVersion="batch/v1"'
} | jq -s '{apiVersion: "v1", kind: "List", metadata: {resourceVersion: ""}, items: .}' >"$META.new"
mv "$META.new" "$META"

step "starting servers: coredns (dnsmasq), backend :8080 and :9090, db :5432, frontends :9090, external API 203.0.113.10:443"
np_ext api 203.0.113.10 2001:db8:ff::10
DNS=${IP[coredns-7db6d8ff4d-s5t6u]}
np_bg coredns-7db6d8ff4d-s5t6u dnsmasq --no-daemon --no-resolv --no-hosts \
	--user=root --port=53 --listen-address="$DNS" --bind-interfaces \
	--address=/api.example.test/203.0.113.10 --pid-file="$NP_TMP/dnsmasq.pid" >/dev/null
serve() { # pod port reply
	np_bg "$1" socat -T5 TCP4-LISTEN:"$2",fork,reuseaddr SYSTEM:"echo $3" >/dev/null
}
serve backend-5c4b7d8f9-klmno 8080 backend-ok
serve backend-5c4b7d8f9-klmno 9090 metrics-ok
serve db-0 5432 db-ok
serve frontend-6d8f7b9c5-abcde 9090 metrics-ok
serve frontend-6d8f7b9c5-fghij 9090 metrics-ok
np_bg api socat -T5 TCP4-LISTEN:443,fork,reuseaddr SYSTEM:'echo api-ok' >/dev/null
np_wait_port coredns-7db6d8ff4d-s5t6u 53 udp
np_wait_port backend-5c4b7d8f9-klmno 8080
np_wait_port db-0 5432
np_wait_port api 443

VIP=198.18.100.10
step "adding Service backend $VIP:80 -> ${IP[backend-5c4b7d8f9-klmno]}:8080 (DNAT, as kube-proxy does)"
np_node nft -f - <<EOF
table ip demo_kube_proxy {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP tcp dport 80 dnat to ${IP[backend-5c4b7d8f9-klmno]}:8080
	}
}
EOF
np_node ip route add "$VIP/32" dev npbr0

call() { # pod host port
	np_in "$1" socat -T3 - "TCP4:$2:$3" </dev/null >/dev/null 2>&1 ||
		echo "    (call $1 -> $2:$3 failed)" >&2
}

step "generating traffic for $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
	call frontend-6d8f7b9c5-abcde "$VIP" 80
	call frontend-6d8f7b9c5-fghij "$VIP" 80
	call backend-5c4b7d8f9-klmno "${IP[db-0]}" 5432
	api=$(np_in backend-5c4b7d8f9-klmno busybox nslookup api.example.test "$DNS" 2>/dev/null |
		awk '/^Address/ && $NF ~ /^203\./ {print $NF}' | tail -n 1) || true
	[ -n "$api" ] || { echo "    (DNS lookup failed)" >&2; api=203.0.113.10; }
	call backend-5c4b7d8f9-klmno "$api" 443
	call metrics-x7k2p "${IP[frontend-6d8f7b9c5-abcde]}" 9090
	call metrics-x7k2p "${IP[frontend-6d8f7b9c5-fghij]}" 9090
	call metrics-x7k2p "${IP[backend-5c4b7d8f9-klmno]}" 9090
	if [ "$round" = 1 ]; then
		step "the report CronJob's pod runs once, then goes away"
		call report-29111220-q8w4z "$VIP" 80
	fi
	sleep 0.2
done
np_pod_del report-29111220-q8w4z
sleep 1.5

step "stopping netpol-recorderd (it flushes what it holds)"
kill -TERM "$RECORDERD"
for _ in $(seq 100); do
	kill -0 "$RECORDERD" 2>/dev/null || break
	sleep 0.1
done

# From here on every command is printed as it runs, against what stays in
# the output directory: the store, the KnownServers imported into it, the
# policies exported from it.
CLI=$(shown "$B/netpol-record")
DB=$(shown "$STORE")
KS=$(shown "$OUT/known-servers.yaml")
POL=$(shown "$OUT/policies.yaml")
HTML=$(shown "$OUT/report.html")
step "the store stays in $DB; conf/known-servers.yaml names the external API's range"
run cp "$(shown "$top/conf/known-servers.yaml")" "$KS"
run "$CLI" known-servers import "$KS" --db "$DB"
step "netpol-record status"
run "$CLI" status --db "$DB"
step "netpol-record export (--min-observation 1s: the demo records for seconds, not the default 24h)"
run ">" "$POL" "$CLI" export --namespace demo --db "$DB" --min-observation 1s
run cat "$POL"
step "netpol-record report, as text and as HTML"
run "$CLI" report --namespace demo --db "$DB" --policies "$POL"
run "$CLI" report --namespace demo --db "$DB" --policies "$POL" -o html --out "$HTML"
step "netpol-record check (every recorded flow must be allowed)"
run "$CLI" check --namespace demo --db "$DB" --policies "$POL"
step "wrote $DB, $KS, $POL and $HTML"
step "removing the node, the pods and everything else the demo made"
