#!/bin/bash
# netpol-recorderd end to end, in a node made of namespaces, with the real
# plugin: pods talk TCP and UDP to each other (IPv4 and IPv6), through a
# DNAT rule standing in for a Service VIP, and to an "external" server by
# a name that dnsmasq answers (UDP and TCP). Then the store holds exactly
# the expected flows, and nothing for host-only traffic.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup recorderd
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=client-7d9f;K8S_POD_UID=uid-a"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=backend-1;K8S_POD_UID=uid-b"
# A pod of another network (ptp: routed by the node, not bridged).
ptp=$(np_conflist ptp "$plugin")
np_pod c "$ptp" "IgnoreUnknown=1;K8S_POD_NAMESPACE=batch;K8S_POD_NAME=worker"
np_ext api 203.0.113.10 2001:db8:ff::10
np_ext dns 203.0.113.53 2001:db8:ff::53

a4=$(np_pod_ip a 4); a6=$(np_pod_ip a 6)
b4=$(np_pod_ip b 4); b6=$(np_pod_ip b 6)
np_log "a=$a4 $a6 b=$b4 $b6"

# The daemon, in the node netns, foreground.
conf="$NP_TMP/recorderd.yaml"
np_rd_conf "$conf" "log: {file: $NP_RD_LOG, level: debug}"
"$NP_BUILD/netpol-recorderd" -n -c "$conf" >/dev/null || np_fail "config check failed"
np_rd_start "$conf"

# Servers.
np_bg b socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg b socat UDP4-RECVFROM:5353,fork SYSTEM:'echo u' >/dev/null
np_bg api socat TCP6-LISTEN:443,fork,reuseaddr,ipv6only=0 SYSTEM:'echo api' >/dev/null
np_bg dns dnsmasq --no-daemon --no-resolv --no-hosts --port=53 \
	--address=/api.example.test/203.0.113.10 \
	--address=/api6.example.test/2001:db8:ff::10 \
	--listen-address=203.0.113.53 --listen-address=2001:db8:ff::53 \
	--bind-interfaces >/dev/null 2>&1
np_wait_port b 8080
np_wait_port b 5353 udp
np_wait_port api 443
np_wait_port dns 53

# A Service VIP: 198.18.100.10:80 -> b:8080 (DNAT in the node netns).
np_node nft -f - <<NFT
table ip svc {
	chain pre { type nat hook prerouting priority dstnat; ip daddr 198.18.100.10 tcp dport 80 dnat to $b4:8080; }
}
NFT

# Traffic.
np_in a socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
np_in a socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
np_in a socat -T3 - TCP6:["$b6"]:8080 </dev/null >/dev/null
echo x | np_in a socat -T1 - UDP4:"$b4":5353 >/dev/null || true
np_in a socat -T3 - TCP4:198.18.100.10:80 </dev/null >/dev/null
# ICMP and ICMPv6, SCTP (an INIT is enough for conntrack), a routed pod.
np_in a busybox ping -c1 -W2 "$b4" >/dev/null
np_in a busybox ping6 -c1 -W2 "$b6" >/dev/null
np_in a "$NP_BUILD/tools/sctpinit" "$b4" 40000 3868
np_in a "$NP_BUILD/tools/sctpinit" "$b6" 40001 3868
np_in c socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
# DNS over UDP then TCP, then connect to what the answer said.
ip=$( (np_in a busybox nslookup api.example.test 203.0.113.53 || true) | awk '/^Address: /{a=$2} END{print a}')
[ "$ip" = 203.0.113.10 ] || np_fail "dnsmasq answered '$ip'"
np_in a socat -T3 - TCP4:203.0.113.10:443 </dev/null >/dev/null
np_in a python3 - <<'PY'
import socket, struct
q = b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + \
    b'\x04api6\x07example\x04test\x00' + b'\x00\x1c\x00\x01'
s = socket.create_connection(('203.0.113.53', 53), timeout=3)
s.sendall(struct.pack('!H', len(q)) + q)
s.recv(4096)
s.close()
PY
np_in a socat -T3 - TCP6:[2001:db8:ff::10]:443 </dev/null >/dev/null
# Host-only traffic: the node itself talks to the external server.
np_node socat -T3 - TCP4:203.0.113.10:443 </dev/null >/dev/null

sleep 1.5
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }
flows=$(q "SELECT w.namespace||'/'||w.kind||'/'||w.name, CASE f.direction WHEN 0 THEN 'egress' ELSE 'ingress' END,
  CASE f.peer_kind WHEN 0 THEN (SELECT namespace||'/'||name FROM workloads WHERE id=f.peer_workload_id) ELSE f.peer_addr END,
  f.protocol, f.port, f.orig_addr, f.orig_port, f.dns_name, f.count
  FROM flows f JOIN workloads w ON w.id=f.workload_id ORDER BY 1,2,3,4,5,6;")
expected="batch/Pod/worker|egress|shop/backend-1|6|8080||0||1
shop/Pod/backend-1|ingress|batch/worker|6|8080||0||1
shop/Pod/backend-1|ingress|shop/client-7d9f|1|0||0||1
shop/Pod/backend-1|ingress|shop/client-7d9f|6|8080||0||3
shop/Pod/backend-1|ingress|shop/client-7d9f|6|8080|198.18.100.10|80||1
shop/Pod/backend-1|ingress|shop/client-7d9f|17|5353||0||1
shop/Pod/backend-1|ingress|shop/client-7d9f|58|0||0||1
shop/Pod/backend-1|ingress|shop/client-7d9f|132|3868||0||2
shop/Pod/client-7d9f|egress|2001:db8:ff::10|6|443||0|api6.example.test|1
shop/Pod/client-7d9f|egress|203.0.113.10|6|443||0|api.example.test|1
shop/Pod/client-7d9f|egress|203.0.113.53|6|53||0||1
shop/Pod/client-7d9f|egress|203.0.113.53|17|53||0||1
shop/Pod/client-7d9f|egress|shop/backend-1|1|0||0||1
shop/Pod/client-7d9f|egress|shop/backend-1|6|8080||0||3
shop/Pod/client-7d9f|egress|shop/backend-1|6|8080|198.18.100.10|80||1
shop/Pod/client-7d9f|egress|shop/backend-1|17|5353||0||1
shop/Pod/client-7d9f|egress|shop/backend-1|58|0||0||1
shop/Pod/client-7d9f|egress|shop/backend-1|132|3868||0||2"
if [ "$flows" != "$expected" ]; then
	np_log "recorded flows:"; printf '%s\n' "$flows" >&2
	np_log "expected:"; printf '%s\n' "$expected" >&2
	tail -n 30 "$NP_RD_LOG" >&2
	np_fail "the store does not hold exactly the expected flows"
fi
# The attachments point at the workloads they were recorded as.
n=$(q "SELECT count(*) FROM attachments a JOIN workloads w ON w.id=a.workload_id WHERE w.kind='Pod' AND w.namespace='shop';")
[ "$n" = 2 ] || np_fail "attachments not linked to their workloads ($n)"
[ "$(q "SELECT w.namespace||'/'||w.name FROM attachments a JOIN workloads w ON w.id=a.workload_id WHERE a.pod_name='worker';")" = batch/worker ] \
	|| np_fail "the ptp pod's attachment is not linked to its workload"
# Counters, as --status shows them: 14 marked connections, nothing lost.
status=$("$NP_BUILD/netpol-recorderd" --status --db "$NP_DB")
printf '%s\n' "$status" >&2
echo "$status" | grep -Eq '^ *events_seen +14 ' || np_fail "events_seen is not 14"
echo "$status" | grep -Eq '^ *events_lost ' && np_fail "events were lost"
echo "$status" | grep -Eq '^ *dns_answers +2 ' || np_fail "dns_answers is not 2"

# SIGHUP with a broken file keeps the running config; SIGTERM flushes.
cp "$conf" "$conf.good"
echo "flush_interval: [" >>"$conf"
kill -HUP "$NP_RD_PID"
sleep 0.5
grep -q "reload refused" "$NP_RD_LOG" || np_fail "bad config not refused"
kill -0 "$NP_RD_PID" || np_fail "daemon died on a bad reload"
np_in a socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
np_rd_stop
n=$(q "SELECT count FROM flows f JOIN workloads w ON w.id=f.workload_id WHERE w.name='client-7d9f' AND f.port=8080 AND f.orig_addr='' AND f.protocol=6;")
[ "$n" = 4 ] || np_fail "the connection before SIGTERM was not flushed (count $n)"
q "PRAGMA integrity_check;" | grep -qx ok || np_fail "integrity_check"
np_log "recorderd: all flows as expected"
