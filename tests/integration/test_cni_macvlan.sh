#!/bin/bash
# macvlan has no host veth: netpol-record-cni must not take the macvlan's
# parent (its IFLA_LINK) for one. The pod is recorded with its addresses
# only, pod_ifs stays empty, and DEL removes the addresses.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
np_setup cni_macvlan

np_node ip link add npmaster type veth peer name npmpeer
np_node ip link set npmpeer up
np_node ip link set npmaster up
conf=$NP_TMP/net.d/macvlan.conflist
jq -n --arg dir "$NP_TMP/ipam" --arg db "$NP_DB" '{
	cniVersion: "0.4.0", name: "np-macvlan",
	plugins: [
		{type: "macvlan", master: "npmaster", mode: "bridge",
		 ipam: {type: "host-local", dataDir: $dir,
			ranges: [[{subnet: "198.18.5.0/24"}], [{subnet: "2001:db8:5::/64"}]]}},
		{type: "netpol-record-cni", db: $db, failurePolicy: "fail"}]}' >"$conf"
np_pod m "$conf" "IgnoreUnknown=1;K8S_POD_NAMESPACE=edge;K8S_POD_NAME=m-0"
q() { sqlite3 "$NP_DB" "$1"; }
row=$(q "select host_veth, host_ifindex from attachments where container_id='$NP_ID-m'")
[ "$row" = "|0" ] || np_fail "macvlan pod recorded with a host interface: '$row'"
m4=$(np_pod_ip m 4)
m6=$(np_pod_ip m 6)
rules=$(np_node nft list ruleset)
grep -q "$m4 comment \"$NP_ID-m/eth0\"" <<<"$rules" || np_fail "pod_v4 lacks $m4: $rules"
grep -q "$m6 comment \"$NP_ID-m/eth0\"" <<<"$rules" || np_fail "pod_v6 lacks $m6: $rules"
if grep -q npmaster <<<"$rules"; then np_fail "the macvlan parent went into pod_ifs: $rules"; fi
out=$(np_cni CHECK "$conf" m) || np_fail "CHECK failed: $out"
np_pod_del m
rules=$(np_node nft list ruleset)
if grep -qe "$m4" -e "$NP_ID" <<<"$rules"; then np_fail "DEL left elements: $rules"; fi
np_log "ok"
