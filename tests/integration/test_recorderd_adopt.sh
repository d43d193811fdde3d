#!/bin/bash
# Pods that were running before netpol-record (issue 16): created by the
# main plugin alone (bridge, then ptp), without netpol-record-cni in the
# chain, and placed on this node by a metadata List (with a pod on
# another node and a hostNetwork pod). netpol-recorderd, started with
# NODE_NAME, adopts them:
#  - a TCP connection opened before the daemon started, still open, is
#    recorded (its mark is set, the start-up dump lists it);
#  - new TCP and UDP between the adopted pods (IPv4 and IPv6), to an
#    external server, and a DNS lookup answered by dnsmasq are recorded
#    with the right workloads, ports and DNS name, and export writes the
#    same policies as the same scenario with the plugin in the chain;
#  - the other node's pod and the hostNetwork pod get no elements;
#  - a pod the List names only later is adopted then, and a connection
#    it opened before is recorded, once;
#  - removing a pod from the List removes its elements and closes its
#    attachment; a new pod attached through the plugin with the removed
#    pod's addresses is attributed to the new pod only.
# Each scenario runs in a node of its own (this script, run with the
# scenario's name); the comparison of the exports is done here.
set -euo pipefail
here=$(dirname "$0")

if [ $# -eq 0 ]; then
	. "$here/lib.sh"
	out=$(mktemp -d /tmp/netpol-record-adopt.XXXXXX)
	trap 'rm -rf "$out"' EXIT
	for kind in bridge ptp; do
		for mode in plugin adopt; do
			np_log "== $kind, $mode"
			bash "$0" "$kind" "$mode" "$out" ||
				np_fail "$kind with $mode failed"
		done
		diff -u "$out/$kind-plugin.yaml" "$out/$kind-adopt.yaml" >&2 ||
			np_fail "$kind: adopted pods export other policies than the same pods attached by the plugin"
		np_log "$kind: the export of adopted pods is the export with the plugin"
	done
	exit 0
fi

kind=$1 mode=$2 out=$3
. "$here/lib.sh"
np_setup "adopt-$kind-$mode"
node=node-a

# Pods as the main plugin attaches them; in mode plugin, with ours.
if [ "$mode" = plugin ]; then
	conf=$(np_conflist "$kind" '{"type":"netpol-record-cni","db":"'"$NP_DB"'"}')
else
	conf=$(np_conflist "$kind")
fi
args() { echo "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=$1;K8S_POD_UID=uid-$1"; }
# Conntrack already in use on the node, as kube-proxy's rules make it:
# the connection opened before the daemon is tracked from its start.
np_node nft -f - <<'NFT'
table inet np_kubeproxy {
	chain pre { type filter hook prerouting priority 0; policy accept; ct state new counter; }
}
NFT
np_pod web "$conf" "$(args web-5f6d-aaaaa)"
np_pod db "$conf" "$(args db-6c7b-bbbbb)"
np_ext api 203.0.113.10 2001:db8:ff::10
np_ext dns 203.0.113.53
w4=$(np_pod_ip web 4); w6=$(np_pod_ip web 6)
d4=$(np_pod_ip db 4); d6=$(np_pod_ip db 6)
net=${w4%.*}
other4=$net.250
hostip=203.0.113.254

start=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
meta="$NP_TMP/cluster.json"
# write_meta [db] [late]: the List, with the db pod or not, and the late
# pod or not.
write_meta() {
	local with=" $* "
	{
		echo '{"apiVersion":"v1","kind":"List","items":['
		echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"kubernetes.io/metadata.name":"shop"}}},'
		np_meta_deployment shop web 5f6d web-5f6d-aaaaa "$w4" "$w6" "$start"; echo ,
		if [[ $with == *" db "* ]]; then
			np_meta_deployment shop db 6c7b db-6c7b-bbbbb "$d4" "$d6" "$start"; echo ,
		fi
		if [[ $with == *" late "* ]]; then
			np_meta_deployment shop late 7a8b late-7a8b-ddddd "$l4" "$l6" "$start"; echo ,
		fi
		# The same Deployment has a pod on another node ...
		printf '%s\n' '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-5f6d-ccccc","namespace":"shop","uid":"uid-web-5f6d-ccccc","labels":{"app":"web","pod-template-hash":"5f6d"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5f6d","uid":"uid-rs-web","controller":true}]},"spec":{"nodeName":"node-b"},"status":{"phase":"Running","podIP":"'"$other4"'","podIPs":[{"ip":"'"$other4"'"}],"startTime":"'"$start"'"}},' 
		# ... and a hostNetwork pod of this node has the node's address.
		printf '%s\n' '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"agent-x","namespace":"shop","uid":"uid-agent-x","labels":{"app":"agent"}},"spec":{"nodeName":"node-a","hostNetwork":true},"status":{"phase":"Running","podIP":"'"$hostip"'","podIPs":[{"ip":"'"$hostip"'"}],"startTime":"'"$start"'"}}'
		echo ']}'
	} >"$meta.new"
	jq -e . "$meta.new" >/dev/null || np_fail "bad metadata JSON"
	mv "$meta.new" "$meta"
}
write_meta db

np_bg db socat TCP6-LISTEN:5432,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg db socat TCP4-LISTEN:5433,fork,reuseaddr SYSTEM:'sleep 60' >/dev/null
np_bg db socat UDP4-RECVFROM:5353,fork SYSTEM:'echo u' >/dev/null
np_bg api socat TCP6-LISTEN:443,fork,reuseaddr,ipv6only=0 SYSTEM:'echo api' >/dev/null
np_bg dns dnsmasq --no-daemon --no-resolv --no-hosts --port=53 \
	--address=/api.example.test/203.0.113.10 \
	--listen-address=203.0.113.53 --bind-interfaces >/dev/null 2>&1
np_wait_port db 5432
np_wait_port db 5433
np_wait_port db 5353 udp
np_wait_port api 443
np_wait_port dns 53

# Open before the daemon starts, and still open: web -> db:5433 (the
# server holds it for 60 s).
np_bg web sh -c "sleep 60 | socat - TCP4:$d4:5433" >/dev/null
open_conn() { np_node conntrack -L -p tcp --dport 5433 2>/dev/null | grep -q ESTABLISHED; }
np_retry 50 open_conn || np_fail "the connection opened before the daemon is not tracked"

conf_rd="$NP_TMP/rd.yaml"
# Refresh dumps every second: what adoption counted is not counted again.
np_rd_conf "$conf_rd" "metadata: {source: file, file: $meta}" "refresh_interval: 1s"
: >"$NP_RD_LOG"
NP_RD_PID=$(np_bg node env NODE_NAME=$node "$NP_BUILD/netpol-recorderd" -f -c "$conf_rd")
np_rd_wait "$NP_RD_PID"

q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$NP_DB" "$@"; }
elems() {	# elems SET: "element comment" lines
	np_node nft -j list set inet netpol_record "$1" | jq -r '.nftables[].set.elem // empty | .[] |
		if type == "object" then "\(.elem.val) \(.elem.comment)" else "\(.) -" end'
}
flows() {	# flows SQL-CONDITION: count of connections
	q "SELECT coalesce(sum(f.count),0) FROM flows f JOIN workloads w ON w.id=f.workload_id
	   LEFT JOIN workloads p ON p.id=f.peer_workload_id WHERE $1;"
}

if [ "$mode" = adopt ]; then
	grep -q "adoption: 2 pods adopted in one nftables batch" "$NP_RD_LOG" ||
		np_fail "the two pods were not adopted in one batch: $(cat "$NP_RD_LOG")"
	for ip in "$w4 adopted:uid-web-5f6d-aaaaa/pod" "$d4 adopted:uid-db-6c7b-bbbbb/pod"; do
		elems pod_v4 | grep -qx "$ip" || np_fail "pod_v4 lacks '$ip': $(elems pod_v4)"
	done
	elems pod_v6 | grep -qx "$w6 adopted:uid-web-5f6d-aaaaa/pod" || np_fail "pod_v6: $(elems pod_v6)"
	for ip in "$other4" "$hostip"; do
		elems pod_v4 | grep -q "^$ip " && np_fail "$ip (another node's pod, or a hostNetwork pod) has an element"
	done
	if [ "$kind" = ptp ]; then
		# A routed pod has a veth of its own: found by the route.
		elems pod_ifs | grep -q " adopted:uid-web-5f6d-aaaaa/pod$" ||
			np_fail "ptp: no pod_ifs element for web's veth: $(elems pod_ifs)"
	else
		[ -z "$(elems pod_ifs)" ] || np_fail "bridge: a pod_ifs element: $(elems pod_ifs)"
	fi
	[ "$(q "SELECT count(*) FROM attachments WHERE detached_at=0 AND container_id LIKE 'adopted:%' AND pod_namespace='shop';")" = 2 ] ||
		np_fail "attachments: $(q "SELECT container_id, pod_name FROM attachments;")"
fi
# The connection that was open before: recorded from the start-up dump.
early() { [ "$(flows "w.name='web' AND f.direction=0 AND p.name='db' AND f.port=5433 AND f.protocol=6")" = 1 ]; }
np_retry 50 early || np_fail "the connection opened before the daemon is not recorded"
[ "$(flows "w.name='db' AND f.direction=1 AND p.name='web' AND f.port=5433")" = 1 ] ||
	np_fail "the open connection lacks the server's side"

# New traffic.
np_in web socat -T3 - TCP4:"$d4":5432 </dev/null >/dev/null
np_in web socat -T3 - TCP6:["$d6"]:5432 </dev/null >/dev/null
echo x | np_in web socat -T1 - UDP4:"$d4":5353 >/dev/null || true
ip=$( (np_in web busybox nslookup api.example.test 203.0.113.53 || true) | awk '/^Address: /{a=$2} END{print a}')
[ "$ip" = 203.0.113.10 ] || np_fail "dnsmasq answered '$ip'"
np_in web socat -T3 - TCP4:203.0.113.10:443 </dev/null >/dev/null
np_in web socat -T3 - TCP6:[2001:db8:ff::10]:443 </dev/null >/dev/null
sleep 1

[ "$(flows "w.name='web' AND f.direction=0 AND p.name='db' AND f.port=5432 AND f.protocol=6")" = 2 ] ||
	np_fail "web -> db TCP: $(flows "w.name='web' AND f.direction=0 AND f.port=5432")"
[ "$(flows "w.name='db' AND f.direction=1 AND p.name='web' AND f.port=5353 AND f.protocol=17")" = 1 ] ||
	np_fail "db's UDP ingress from web is not recorded"
[ "$(q "SELECT count(*) FROM flows f JOIN workloads w ON w.id=f.workload_id WHERE w.name='web' AND f.direction=0 AND f.port=443 AND f.peer_addr='203.0.113.10' AND f.dns_name='api.example.test';")" = 1 ] ||
	np_fail "web -> api by name: $(q "SELECT peer_addr, port, dns_name FROM flows WHERE port=443;")"
[ "$(flows "w.name='web' AND f.direction=0 AND f.port=443 AND f.peer_addr='2001:db8:ff::10'")" = 1 ] ||
	np_fail "web -> api over IPv6 is not recorded"
[ "$(flows "w.name='web' AND f.direction=0 AND f.port=53 AND f.peer_addr='203.0.113.53'")" -ge 1 ] ||
	np_fail "the DNS query is not recorded"

# The export, without what differs from run to run (times, how long).
"$NP_BUILD/netpol-record" export --db "$NP_DB" -n shop >"$NP_TMP/export.yaml" 2>"$NP_TMP/export.err" ||
	np_fail "export: $(cat "$NP_TMP/export.err")"
grep -q "its pods were already running when recording started" "$NP_TMP/export.yaml" ||
	np_fail "the export does not warn that the pods predate the recording: $(cat "$NP_TMP/export.yaml")"
grep -v -e 'netpol-record/since:' -e 'netpol-record/until:' -e 'netpol-record/observed:' \
	-e 'netpol-record/warnings:' "$NP_TMP/export.yaml" >"$out/$kind-$mode.yaml"

if [ "$mode" = adopt ]; then
	# A pod the metadata learns of while the daemon runs (an API source
	# whose first list comes late, a pod started without the plugin):
	# adopted then, and its connection opened before is recorded.
	# (To the external server: nothing marked it when it opened. One to
	# a pod known then was marked by that pod's address, and recorded
	# then as that pod's ingress from the address.)
	np_pod late "$conf" "$(args late-7a8b-ddddd)"
	l4=$(np_pod_ip late 4); l6=$(np_pod_ip late 6)
	np_bg api socat TCP4-LISTEN:8444,fork,reuseaddr SYSTEM:'sleep 60' >/dev/null
	np_wait_port api 8444
	np_bg late sh -c "sleep 60 | socat - TCP4:203.0.113.10:8444" >/dev/null
	late_open() { np_node conntrack -L -p tcp --dport 8444 -s "$l4" 2>/dev/null | grep -q ESTABLISHED; }
	np_retry 50 late_open || np_fail "late's connection is not tracked"
	sleep 1
	write_meta db late
	late_rec() { [ "$(flows "w.name='late' AND f.direction=0 AND f.port=8444 AND f.peer_addr='203.0.113.10'")" = 1 ]; }
	np_retry 100 late_rec || np_fail "the connection the late pod opened before its adoption is not recorded: $(flows "w.name='late'") ($(grep -i adopt "$NP_RD_LOG" | tail -n 3))"
	# Counted once: the refresh dumps that list it do not count it again.
	sleep 2.5
	[ "$(flows "w.name='late' AND f.direction=0 AND f.port=8444")" = 1 ] ||
		np_fail "the late pod's open connection was counted more than once"

	# The db pod leaves the List: its elements go, its attachment closes.
	write_meta late
	gone() { ! elems pod_v4 | grep -q "^$d4 "; }
	np_retry 100 gone || np_fail "db's element is still there: $(elems pod_v4)"
	elems pod_v6 | grep -q "^$d6 " && np_fail "db's IPv6 element is still there"
	[ "$(q "SELECT count(*) FROM attachments WHERE container_id='adopted:uid-db-6c7b-bbbbb' AND detached_at != 0;")" = 1 ] ||
		np_fail "db's attachment is not closed: $(q "SELECT container_id, detached_at FROM attachments;")"
	grep -q "pod shop/db-6c7b-bbbbb (uid uid-db-6c7b-bbbbb) is no longer adopted: the pod is gone" "$NP_RD_LOG" ||
		np_fail "the daemon did not say why db was let go"
	# Its addresses go to a new pod, attached through the plugin.
	np_pod_del db
	with=$(np_conflist "$kind" '{"type":"netpol-record-cni","db":"'"$NP_DB"'"}')
	np_pod db2 "$with" "IgnoreUnknown=1;IP=$d4;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=db2;K8S_POD_UID=uid-db2"
	[ "$(np_pod_ip db2 4)" = "$d4" ] || np_fail "db2 did not get db's address"
	elems pod_v4 | grep -qx "$d4 $NP_ID-db2/eth0" || np_fail "db2's element: $(elems pod_v4)"
	# web still has db's MAC for the address: forget it.
	np_in web ip neigh flush to "$d4"
	np_bg db2 socat TCP6-LISTEN:5432,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
	np_wait_port db2 5432
	before=$(flows "w.name='db' AND f.direction=1")
	np_in web socat -T3 - TCP4:"$d4":5432 </dev/null >/dev/null
	sleep 1
	[ "$(flows "w.name='db2' AND f.direction=1 AND p.name='web' AND f.port=5432")" = 1 ] ||
		np_fail "the connection to db2 is not recorded as db2's: $(q "SELECT w.name, f.direction, f.port, f.count FROM flows f JOIN workloads w ON w.id=f.workload_id;")"
	[ "$(flows "w.name='web' AND f.direction=0 AND p.name='db2' AND f.port=5432")" = 1 ] ||
		np_fail "web's egress to db2 is not recorded with db2 as the peer"
	[ "$(flows "w.name='db' AND f.direction=1")" = "$before" ] ||
		np_fail "the removed adopted pod got traffic of the new one"
	np_rd_stop
	n=$(q "SELECT value FROM counters WHERE name='adoptions';")
	r=$(q "SELECT value FROM counters WHERE name='adoption_releases';")
	[ "$n" = 3 ] && [ "$r" = 1 ] || np_fail "counters: adoptions $n, adoption_releases $r"
	"$NP_BUILD/netpol-recorderd" --status --db "$NP_DB" | grep -q "3 attached (2 adopted)" ||
		np_fail "--status: $("$NP_BUILD/netpol-recorderd" --status --db "$NP_DB")"
	# The report says so too (the counters of the store it reads).
	rep=$("$NP_BUILD/netpol-record" report -n shop --db "$NP_DB" -o text)
	grep -q "^adopted: .* (3 adoptions, 1 released)" <<<"$rep" ||
		np_fail "report: no adoption line: $rep"
fi
np_log "$kind, $mode: recorded"
