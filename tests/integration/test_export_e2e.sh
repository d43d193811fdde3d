#!/bin/bash
# netpol-record export end to end: the real plugin and daemon record a node
# made of namespaces (pods known from a metadata List file, so they belong
# to Deployments with selectors); the export, evaluated with
# `netpol-record check` against the traffic that was recorded, allows every
# recorded flow; traffic recorded afterwards from another workload or to
# another port is denied.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup export_e2e
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
pod_args() { echo "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=$1;K8S_POD_UID=uid-$1"; }
np_pod client "$br" "$(pod_args client-5f6d-aaaaa)"
np_pod backend "$br" "$(pod_args backend-6c7b-bbbbb)"
np_pod intruder "$br" "$(pod_args intruder-7d8e-ccccc)"
np_ext api 203.0.113.10 2001:db8:ff::10
np_ext dns 203.0.113.53 2001:db8:ff::53
c4=$(np_pod_ip client 4); c6=$(np_pod_ip client 6)
b4=$(np_pod_ip backend 4); b6=$(np_pod_ip backend 6)
i4=$(np_pod_ip intruder 4); i6=$(np_pod_ip intruder 6)
np_log "client=$c4 backend=$b4 intruder=$i4"

# The metadata the daemon attributes pods with: Deployment -> ReplicaSet
# -> Pod, as the API server would list them.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
deploy() { np_meta_deployment shop "$1" "$2" "$3" "$4" "$5" "$now"; }
meta="$NP_TMP/cluster.json"
{
	echo '{"apiVersion":"v1","kind":"List","items":['
	echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"kubernetes.io/metadata.name":"shop"}}},'
	deploy client 5f6d client-5f6d-aaaaa "$c4" "$c6"; echo ,
	deploy backend 6c7b backend-6c7b-bbbbb "$b4" "$b6"; echo ,
	deploy intruder 7d8e intruder-7d8e-ccccc "$i4" "$i6"
	echo ']}'
} >"$meta"
jq -e . "$meta" >/dev/null || np_fail "bad metadata JSON"

conf="$NP_TMP/recorderd.yaml"
np_rd_conf "$conf" "metadata: {source: file, file: $meta}" \
	"log: {file: $NP_RD_LOG, level: debug}"
"$NP_BUILD/netpol-recorderd" -n -c "$conf" >/dev/null || np_fail "config check failed"
np_rd_start "$conf"
if grep -q "this build has none" "$NP_RD_LOG"; then
	np_fail "netpol-recorderd was linked without its metadata source: pods cannot be attributed to Deployments"
fi

np_bg backend socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg backend socat TCP6-LISTEN:9090,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg backend socat UDP4-RECVFROM:5353,fork SYSTEM:'echo u' >/dev/null
np_bg api socat TCP6-LISTEN:443,fork,reuseaddr,ipv6only=0 SYSTEM:'echo api' >/dev/null
np_bg dns dnsmasq --no-daemon --no-resolv --no-hosts --port=53 \
	--address=/api.example.test/203.0.113.10 \
	--listen-address=203.0.113.53 --bind-interfaces >/dev/null 2>&1
np_wait_port backend 8080
np_wait_port backend 9090
np_wait_port backend 5353 udp
np_wait_port api 443
np_wait_port dns 53

# A Service VIP: 198.18.100.10:80 -> backend:8080.
np_node nft -f - <<NFT
table ip svc_$NP_ID {
	chain pre { type nat hook prerouting priority dstnat; ip daddr 198.18.100.10 tcp dport 80 dnat to $b4:8080; }
}
NFT

# Phase 1: what the policies are learnt from.
np_in client socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
np_in client socat -T3 - TCP6:["$b6"]:8080 </dev/null >/dev/null
np_in client socat -T3 - TCP4:198.18.100.10:80 </dev/null >/dev/null
echo x | np_in client socat -T1 - UDP4:"$b4":5353 >/dev/null || true
ip=$( (np_in client busybox nslookup api.example.test 203.0.113.53 || true) | awk '/^Address: /{a=$2} END{print a}')
[ "$ip" = 203.0.113.10 ] || np_fail "dnsmasq answered '$ip'"
np_in client socat -T3 - TCP4:203.0.113.10:443 </dev/null >/dev/null
np_in client socat -T3 - TCP6:[2001:db8:ff::10]:443 </dev/null >/dev/null
sleep 1.5

rec="$NP_BUILD/netpol-record"
pol="$NP_TMP/policies.yaml"
"$rec" export --db "$NP_DB" -n shop >"$pol" 2>"$NP_TMP/export.err" || {
	cat "$NP_TMP/export.err" >&2; np_fail "export failed"; }
cat "$pol" >&2
grep -q 'name: deployment-client$' "$pol" || np_fail "no policy for the client Deployment"
grep -q 'name: deployment-backend$' "$pol" || np_fail "no policy for the backend Deployment"
# The Service's port 80 is not what the backend serves: 8080 is.
grep -q 'port: 80$' "$pol" && np_fail "the pre-DNAT port 80 was written"
grep -q 'cidr: 203.0.113.10/32' "$pol" || np_fail "no ipBlock for the external server"
grep -q 'cidr: 2001:db8:ff::10/128' "$pol" || np_fail "no IPv6 ipBlock"
grep -q 'cidr: 203.0.113.53/32' "$pol" || np_fail "no ipBlock for the DNS server"
# Every flow recorded so far is allowed.
"$rec" check --db "$NP_DB" -n shop --policies "$pol" >"$NP_TMP/check1.out" 2>&1 || {
	cat "$NP_TMP/check1.out" >&2; np_fail "check denies recorded traffic"; }

# With a KnownServer the external address becomes its network.
cat >"$NP_TMP/ks.yaml" <<YAML
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
kind: KnownServer
metadata:
  name: test-api
spec:
- ipBlock: 203.0.113.10/24
  name: api
  server: api.example.test
YAML
"$rec" known-servers import "$NP_TMP/ks.yaml" --db "$NP_DB" >/dev/null
"$rec" export --db "$NP_DB" -n shop -o generated >"$NP_TMP/gen.yaml" 2>/dev/null
grep -q 'cidr: 203.0.113.0/24' "$NP_TMP/gen.yaml" || np_fail "KnownServer not applied"
grep -q 'originalIP: "203.0.113.10"' "$NP_TMP/gen.yaml" || np_fail "no policyRef for the address"
grep -q 'dns: api.example.test' "$NP_TMP/gen.yaml" || np_fail "policyRef without the DNS name"

# Phase 2: another workload, and another port.
np_in intruder socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
np_in client socat -T3 - TCP4:"$b4":9090 </dev/null >/dev/null
sleep 1.5
set +e
"$rec" check --db "$NP_DB" -n shop --policies "$pol" >"$NP_TMP/check2.out" 2>&1
rc=$?
set -e
cat "$NP_TMP/check2.out" >&2
[ "$rc" = 1 ] || np_fail "check did not deny the new traffic (exit $rc)"
grep '^DENIED' "$NP_TMP/check2.out" >"$NP_TMP/denied"
grep -q 'intruder.*TCP/8080' "$NP_TMP/denied" || np_fail "the other workload was not denied"
grep -q 'TCP/9090' "$NP_TMP/denied" || np_fail "the other port was not denied"
if grep -v -e intruder -e 'TCP/9090' "$NP_TMP/denied"; then
	np_fail "check denied something that was recorded while learning"
fi
np_log "export: the policies allow what was recorded and nothing else"
