#!/bin/bash
# An address handed out again after a DEL that never came: pod a's netns
# vanishes without CNI DEL, IPAM gives its address to pod b. b's ADD must
# take the element over (b's owner comment), so that a later DEL of b
# removes it, and a GC naming only b keeps it.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup cni_stale
conf=$(np_conflist bridge '{"type":"netpol-record-cni","db":"'"$NP_DB"'"}')
owner_of() { # set addr
	np_node nft -j list set inet netpol_record "$1" |
		jq -r --arg a "$2" '.nftables[].set.elem // empty | .[] |
			select(type == "object" and .elem.val == $a) | .elem.comment'
}

np_pod a "$conf" "IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=a"
ip=$(np_pod_ip a 4)
[ "$(owner_of pod_v4 "$ip")" = "$NP_ID-a/eth0" ] || np_fail "a does not own $ip"

# a dies without DEL: its netns goes, IPAM forgets the lease.
ip netns del "$(np_ns a)"
rm -f "$NP_TMP/ipam/np-bridge/$ip"
prev=$(echo "$ip" | awk -F. '{printf "%s.%s.%s.%d", $1, $2, $3, $4 - 1}')
echo "$prev" >"$NP_TMP/ipam/np-bridge/last_reserved_ip.0"

np_pod b "$conf" "IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=b"
[ "$(np_pod_ip b 4)" = "$ip" ] || np_fail "IPAM did not hand $ip out again (got $(np_pod_ip b 4))"
got=$(owner_of pod_v4 "$ip")
[ "$got" = "$NP_ID-b/eth0" ] || np_fail "$ip is still owned by '$got', not b"

# GC naming only b: a's stale record is detached, b keeps the element
# that a's record still lists.
gc=$(jq -nc --arg db "$NP_DB" --arg b "$NP_ID-b" '{cniVersion: "1.1.0",
	name: "np-bridge", type: "netpol-record-cni", db: $db,
	failurePolicy: "fail",
	"cni.dev/valid-attachments": [{containerID: $b, ifname: "eth0"}]}')
out=$(np_node env -i PATH="$PATH" CNI_COMMAND=GC CNI_PATH="$NP_BUILD" \
	"$NP_BUILD/netpol-record-cni" <<<"$gc") || np_fail "GC failed: $out"
got=$(owner_of pod_v4 "$ip")
[ "$got" = "$NP_ID-b/eth0" ] || np_fail "after GC, $ip is owned by '$got', not b"
[ "$(sqlite3 "$NP_DB" "SELECT detached_at > 0 FROM attachments WHERE container_id = '$NP_ID-a'")" = 1 ] ||
	np_fail "GC left a's stale attachment attached"

np_pod_del b
[ -z "$(owner_of pod_v4 "$ip")" ] || np_fail "$ip left in pod_v4 after b's DEL"
np_log "stale owner replaced; DEL removed it"
