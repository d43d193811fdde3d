#!/bin/bash
# netpol-record-cni chained after bridge and after ptp (host-local IPAM,
# dual-stack), invoked as a runtime does. ADD: the store knows the pods,
# the sets hold their veths and addresses with "<container id>/eth0"
# comments, new connections from and to pods carry the mark bit (conntrack
# shows it), DNS answers to pods reach the NFLOG group; a repeated ADD does
# not duplicate; CHECK passes, and fails once an element is gone; DEL
# leaves no element and no comment in `nft list ruleset`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
np_setup cni_chain

MARK=0x00100000
GROUP=7301
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail","logFile":"'"$NP_TMP/cni.log"'","logLevel":"debug"}'
br=$(np_conflist bridge "$plugin")
ptp=$(np_conflist ptp "$plugin")

np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart-0;K8S_POD_UID=uid-a;K8S_POD_INFRA_CONTAINER_ID=$NP_ID-a"
np_pod b "$br" "K8S_POD_NAME=dns-0;IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system"
np_pod c "$ptp" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=checkout-0"

# Our plugin alone, for pod NAME, with its chain's cached result as
# prevResult (a runtime retrying the last plugin of the chain).
ours() {
	local cmd=$1 name=$2
	jq -c --argjson p "$(cat "$NP_TMP/pods/$name.json")" \
		'. + {cniVersion: "1.0.0", name: "np", prevResult: $p}' <<<"$plugin" |
		np_node env CNI_COMMAND="$cmd" CNI_CONTAINERID="$NP_ID-$name" \
		CNI_NETNS="/run/netns/$(np_ns "$name")" CNI_IFNAME=eth0 \
		CNI_ARGS="${3:-}" "$NP_BUILD/netpol-record-cni"
}
sets() { np_node nft -j list set inet netpol_record "$1" | jq -c '[.nftables[].set.elem // empty | .[] | if type == "object" then {k: .elem.val, c: .elem.comment} else {k: ., c: null} end] | sort_by(.k)'; }

# 1. The store knows every pod, with identity from CNI_ARGS.
q() { sqlite3 "$NP_DB" "$1"; }
[ "$(q "select pod_namespace||'/'||pod_name||'/'||pod_uid from attachments where container_id='$NP_ID-a'")" = shop/cart-0/uid-a ] ||
	np_fail "store: pod a identity wrong: $(q 'select * from attachments')"
[ "$(q "select count(*) from attachments where detached_at=0")" = 3 ] || np_fail "store: not 3 attachments"
for p in a b c; do
	veth=$(q "select host_veth from attachments where container_id='$NP_ID-$p'")
	[ -n "$veth" ] || np_fail "store: pod $p has no host veth"
	# The recorded veth is the real peer of the pod's eth0.
	peer=$(np_in "$p" ip -j link show eth0 | jq -r '.[0].link_index')
	idx=$(np_node ip -j link show "$veth" | jq -r '.[0].ifindex')
	[ "$peer" = "$idx" ] || np_fail "pod $p: host veth $veth (index $idx) is not eth0's peer ($peer)"
	n=$(q "select count(*) from addresses a join attachments t on t.id=a.attachment_id where t.container_id='$NP_ID-$p' and valid_to=0")
	[ "$n" = 2 ] || np_fail "store: pod $p has $n open addresses, want 2 (dual-stack)"
done

# 2. Set elements, with owners.
a4=$(np_pod_ip a 4) a6=$(np_pod_ip a 6) b4=$(np_pod_ip b 4) b6=$(np_pod_ip b 6)
c4=$(np_pod_ip c 4) c6=$(np_pod_ip c 6)
v4=$(sets pod_v4)
for ip in "$a4" "$b4" "$c4"; do
	jq -e --arg ip "$ip" 'any(.[]; .k == $ip)' <<<"$v4" >/dev/null || np_fail "pod_v4 lacks $ip: $v4"
done
jq -e --arg o "$NP_ID-a/eth0" --arg ip "$a4" 'any(.[]; .k == $ip and .c == $o)' <<<"$v4" >/dev/null ||
	np_fail "pod_v4: $a4 not owned by $NP_ID-a/eth0: $v4"
v6=$(sets pod_v6)
[ "$(jq length <<<"$v6")" = 3 ] || np_fail "pod_v6 should hold 3 addresses: $v6"
ifs=$(sets pod_ifs)
[ "$(jq length <<<"$ifs")" = 3 ] || np_fail "pod_ifs should hold 3 veths: $ifs"
vc=$(q "select host_veth from attachments where container_id='$NP_ID-c'")
jq -e --arg v "$vc" 'any(.[]; .k == $v)' <<<"$ifs" >/dev/null || np_fail "pod_ifs lacks $vc"

# 3. A repeated ADD (a runtime retrying) replaces, never duplicates.
out=$(ours ADD a) || np_fail "repeated ADD failed: $out"
[ "$(sets pod_v4 | jq length)" = 3 ] || np_fail "repeated ADD duplicated pod_v4: $(sets pod_v4)"
[ "$(q "select count(*) from attachments")" = 3 ] || np_fail "repeated ADD duplicated the store row"
# ADD printed prevResult back in the request's version.
[ "$(jq -r .cniVersion <<<"$out")" = 1.0.0 ] || np_fail "ADD result version: $out"
jq -e '.ips | length == 2' <<<"$out" >/dev/null || np_fail "ADD result lost ips: $out"

# 4. CHECK passes.
out=$(np_cni CHECK "$br" a) || np_fail "CHECK failed on a healthy pod: $out"

# 5. Marks: pod->pod over the bridge (br_netfilter), v4 and v6, and over
# ptp (routed); a connection between two non-pods is not marked.
np_bg b socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg c socat TCP6-LISTEN:8081,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_wait_port b 8080
np_wait_port c 8081
np_node conntrack -F 2>/dev/null || true
[ "$(np_in a socat -T5 - TCP4:"$b4":8080 </dev/null)" = hi ] || np_fail "a->b v4"
[ "$(np_in a socat -T5 - TCP6:["$b6"]:8080 </dev/null)" = hi ] || np_fail "a->b v6"
[ "$(np_in a socat -T5 - TCP4:"$c4":8081 </dev/null)" = hi ] || np_fail "a->c v4"
[ "$(np_in c socat -T5 - TCP6:["$b6"]:8080 </dev/null)" = hi ] || np_fail "c->b v6"
marked=$(np_node conntrack -L -m $MARK/$MARK 2>/dev/null || true)
np_log "marked: $marked"
for pair in "$a4 $b4 8080" "$a6 $b6 8080" "$a4 $c4 8081" "$c6 $b6 8080"; do
	set -- $pair
	grep -q "src=$1 dst=$2 .*dport=$3 " <<<"$marked" ||
		np_fail "conntrack shows no marked flow $1 -> $2:$3"
done
# Other mark bits are preserved: a flow whose mark had other bits keeps them.
np_node nft add table inet nprtest
np_node nft add chain inet nprtest pre '{ type filter hook prerouting priority -150; }'
np_node nft add rule inet nprtest pre ct state new tcp dport 8080 ct mark set 0x5
[ "$(np_in a socat -T5 - TCP4:"$b4":8080 </dev/null)" = hi ] || np_fail "a->b v4 (2)"
grep -q "src=$a4 dst=$b4" <<<"$(np_node conntrack -L -m 0x00100005 2>/dev/null)" ||
	np_fail "mark bit OR: other mark bits were not kept: $(np_node conntrack -L 2>/dev/null)"
np_node nft delete table inet nprtest

# 6. DNS answers to pods reach the NFLOG group: dnsmasq in pod b (bridged
# to a, routed to c), UDP and TCP, IPv4 and IPv6.
nflog_out=$NP_TMP/nflog.out
pid=$(np_bg node sh -c "exec '$NP_BUILD/tools/nflog_listen' $GROUP >'$nflog_out'")
np_bg b dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$b4" --listen-address="$b6" -p 53 \
	--address=/shop.test/198.51.100.7 >/dev/null
np_wait_port b 53 udp
np_wait_port b 53 tcp
sleep 0.3
np_in a busybox nslookup -type=a shop.test "$b4" >/dev/null || np_fail "DNS a->b v4 failed"
np_in c busybox nslookup -type=a shop.test "$b6" >/dev/null || np_fail "DNS c->b v6 failed"
sleep 0.5
np_log "nflog: $(cat "$nflog_out")"
grep -q "^4 $b4 $a4 udp sport=53 " "$nflog_out" || np_fail "no UDP/IPv4 DNS answer $b4 -> $a4 in NFLOG group $GROUP"
grep -q "^6 $b6 $c6 udp sport=53 " "$nflog_out" || np_fail "no UDP/IPv6 DNS answer $b6 -> $c6 in NFLOG group $GROUP"
# The TCP rule: a TCP connection to port 53 gets its SYN-ACK logged.
np_in a socat -T2 - TCP4:"$b4":53 </dev/null >/dev/null 2>&1 || true
sleep 0.3
grep -q "^4 $b4 $a4 tcp sport=53 " "$nflog_out" || np_fail "no TCP/IPv4 port-53 answer in NFLOG group $GROUP"
# Nothing but answers to pods: queries from pods (dport 53) are not logged.
if grep -q "dport=53 " "$nflog_out"; then np_fail "a DNS query was logged"; fi

# 7. CHECK notices a missing element.
np_node nft delete element inet netpol_record pod_v4 "{ $a4 }"
if out=$(np_cni CHECK "$br" a); then np_fail "CHECK passed with an element missing"; fi
[ "$(jq -r .code <<<"$out")" -ge 100 ] || np_fail "CHECK error code: $out"
grep -q "$a4" <<<"$(jq -r .details <<<"$out")" || np_fail "CHECK does not name $a4: $out"
ours ADD a >/dev/null || np_fail "ADD to repair a"
out=$(np_cni CHECK "$br" a) || np_fail "CHECK after the repairing ADD: $out"
# ...and a missing rule.
h=$(np_node nft -a list chain inet netpol_record output | awk '/log group/ {print $NF; exit}')
np_node nft delete rule inet netpol_record output handle "$h"
if out=$(np_cni CHECK "$br" a); then np_fail "CHECK passed with a rule missing"; fi
grep -q "rules of table" <<<"$(jq -r .msg <<<"$out")" || np_fail "CHECK does not say rules are missing: $out"

# 8. DEL: nothing left, history kept; DEL twice and DEL without prevResult
# or netns succeed.
np_pod_del a
np_pod_del b
out=$(jq -c '. + {cniVersion:"1.0.0",name:"np-ptp"}' <<<"$plugin" |
	np_node env CNI_COMMAND=DEL CNI_CONTAINERID="$NP_ID-c" CNI_IFNAME=eth0 \
	"$NP_BUILD/netpol-record-cni") ||
	np_fail "DEL without prevResult and netns failed: $out"
[ -z "$out" ] || np_fail "DEL printed something: $out"
np_pod_del c
np_pod_del c 2>/dev/null || true
out=$(jq -c '. + {cniVersion:"1.0.0",name:"np-ptp"}' <<<"$plugin" | np_node env CNI_COMMAND=DEL \
	CNI_CONTAINERID="$NP_ID-c" CNI_IFNAME=eth0 "$NP_BUILD/netpol-record-cni") ||
	np_fail "second DEL failed: $out"
rules=$(np_node nft list ruleset)
for x in "$a4" "$b4" "$c4" "$a6" "$c6" "$NP_ID" comment; do
	if grep -qF -- "$x" <<<"$rules"; then np_fail "after DEL, ruleset still has $x: $rules"; fi
done
[ "$(q "select count(*) from attachments where detached_at=0")" = 0 ] || np_fail "store: attachments still attached"
[ "$(q "select count(*) from attachments")" = 3 ] || np_fail "store: history lost"
[ "$(q "select count(*) from addresses where valid_to=0")" = 0 ] || np_fail "store: addresses still open"
np_log "ok"
