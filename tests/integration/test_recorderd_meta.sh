#!/bin/bash
# netpol-recorderd with a metadata file (--metadata): pods are recorded
# against their owners (Deployment, StatefulSet); a pod the file does not
# know yet is recorded as itself, and when the file is updated to name its
# owner, what was recorded moves to the owner. A remote pod named by the
# file is a workload peer; a node address is a node peer.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdmeta
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=checkout-5c8d-abcde;K8S_POD_UID=uid-a"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart-0;K8S_POD_UID=uid-b"
np_ext peer 203.0.113.20 2001:db8:ff::20
np_ext nodeb 203.0.113.30
a4=$(np_pod_ip a 4); b4=$(np_pod_ip b 4)

pod() {	# pod NAME UID IP OWNERKIND OWNERNAME [NODE]
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"shop","uid":"%s","labels":{"app":"%s"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"%s","name":"%s","uid":"o-%s","controller":true}]},"spec":{"nodeName":"%s"},"status":{"phase":"Running","podIP":"%s","podIPs":[{"ip":"%s"}]}}' \
		"$1" "$2" "${5%%-*}" "$4" "$5" "$5" "${6:-node-a}" "$3" "$3"
}
owners='{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"checkout-5c8d","namespace":"shop","uid":"o-checkout-5c8d","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"checkout","uid":"d-1","controller":true}]},"spec":{"selector":{"matchLabels":{"app":"checkout"}}}},
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"checkout","namespace":"shop","uid":"d-1"},"spec":{"selector":{"matchLabels":{"app":"checkout"}}}},
{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"api-77","namespace":"shop","uid":"o-api-77","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","uid":"d-2","controller":true}]},"spec":{"selector":{"matchLabels":{"app":"api"}}}},
{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-b","uid":"n-b"},"status":{"addresses":[{"type":"InternalIP","address":"203.0.113.30"}]}}'
meta="$NP_TMP/cluster.json"
# First: a is known (Deployment checkout), b is not; a remote pod of
# Deployment api lives at 203.0.113.20 on another node.
printf '{"apiVersion":"v1","kind":"List","items":[%s,%s,%s]}\n' \
	"$(pod checkout-5c8d-abcde uid-a "$a4" ReplicaSet checkout-5c8d)" \
	"$(pod api-77-xyz uid-r 203.0.113.20 ReplicaSet api-77 node-b)" "$owners" >"$meta.new"
mv "$meta.new" "$meta"

# --db and --metadata override the file's store (that cannot be opened).
np_rd_conf "$NP_TMP/rd.yaml" "store: /nonexistent/overridden.db"
np_rd_start "$NP_TMP/rd.yaml" --db "$NP_DB" --metadata "$meta"

np_bg b socat TCP4-LISTEN:6379,fork,reuseaddr SYSTEM:'echo ok' >/dev/null
np_bg peer socat TCP4-LISTEN:8443,fork,reuseaddr SYSTEM:'echo ok' >/dev/null
np_bg nodeb socat TCP4-LISTEN:10250,fork,reuseaddr SYSTEM:'echo ok' >/dev/null
np_wait_port b 6379; np_wait_port peer 8443; np_wait_port nodeb 10250
np_in a socat -T3 - TCP4:"$b4":6379 </dev/null >/dev/null
np_in a socat -T3 - TCP4:203.0.113.20:8443 </dev/null >/dev/null
np_in a socat -T3 - TCP4:203.0.113.30:10250 </dev/null >/dev/null
sleep 1

q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
flows() {
	q "SELECT w.kind||'/'||w.name, CASE f.direction WHEN 0 THEN 'egress' ELSE 'ingress' END,
	  CASE f.peer_kind WHEN 0 THEN (SELECT kind||'/'||name FROM workloads WHERE id=f.peer_workload_id)
	  WHEN 2 THEN 'node:'||f.peer_addr ELSE f.peer_addr END, f.port, f.count
	  FROM flows f JOIN workloads w ON w.id=f.workload_id ORDER BY 1,2,3,4;"
}
got=$(flows)
want="Deployment/checkout|egress|Deployment/api|8443|1
Deployment/checkout|egress|Pod/cart-0|6379|1
Deployment/checkout|egress|node:203.0.113.30|10250|1
Pod/cart-0|ingress|Deployment/checkout|6379|1"
if [ "$got" != "$want" ]; then
	printf 'got:\n%s\nwant:\n%s\n' "$got" "$want" >&2
	tail -n 20 "$NP_RD_LOG" >&2
	np_fail "flows before the owner of cart-0 is known"
fi

# The file learns cart-0's owner (StatefulSet cart): re-read while
# running, and the records move.
printf '{"apiVersion":"v1","kind":"List","items":[%s,%s,%s,%s,%s]}\n' \
	"$(pod checkout-5c8d-abcde uid-a "$a4" ReplicaSet checkout-5c8d)" \
	"$(pod cart-0 uid-b "$b4" StatefulSet cart)" \
	"$(pod api-77-xyz uid-r 203.0.113.20 ReplicaSet api-77 node-b)" \
	'{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"cart","namespace":"shop","uid":"o-cart"},"spec":{"selector":{"matchLabels":{"app":"cart"}}}}' \
	"$owners" >"$meta.new"
mv "$meta.new" "$meta"
for _ in $(seq 50); do
	q "SELECT 1 FROM workloads WHERE kind='StatefulSet' AND name='cart';" | grep -q 1 && break
	sleep 0.1
done
np_in a socat -T3 - TCP4:"$b4":6379 </dev/null >/dev/null
sleep 1
got=$(flows)
want="Deployment/checkout|egress|Deployment/api|8443|1
Deployment/checkout|egress|StatefulSet/cart|6379|2
Deployment/checkout|egress|node:203.0.113.30|10250|1
StatefulSet/cart|ingress|Deployment/checkout|6379|2"
if [ "$got" != "$want" ]; then
	printf 'got:\n%s\nwant:\n%s\n' "$got" "$want" >&2
	tail -n 20 "$NP_RD_LOG" >&2
	np_fail "flows after the owner became known"
fi
[ "$(q "SELECT count(*) FROM workloads WHERE kind='Pod' AND name='cart-0';")" = 0 ] \
	|| np_fail "the bare-pod workload of cart-0 is still there"
sel=$(q "SELECT selector FROM workloads WHERE kind='Deployment' AND name='checkout';")
case "$sel" in *'"app":"checkout"'*) ;; *) np_fail "selector of checkout: $sel" ;; esac
np_log "metadata: owners recorded, late owner merged"
