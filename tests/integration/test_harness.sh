#!/bin/bash
# The harness itself: a node with two bridge pods, a ptp pod and an external
# host; TCP (IPv4 and IPv6) and UDP flow between them; afterwards nothing of
# the run is left: no namespace with its id, and the host's links and
# ruleset exactly as before.
set -euo pipefail
here=$(dirname "$0")
idfile=$(mktemp)
trap 'rm -f "$idfile"' EXIT

# Other tests may create and remove their own namespaces meanwhile, so the
# namespace check is by this run's id; links and ruleset live in the host
# netns, which no test touches, and must be identical.
host_state() {
	ip -o link show | awk -F': ' '{print $2}' | sort
	nft list ruleset 2>/dev/null || true
}
before=$(host_state)

(
	. "$here/lib.sh"
	np_setup harness
	echo "$NP_ID" >"$idfile"
	br=$(np_conflist bridge)
	ptp=$(np_conflist ptp)
	np_pod a "$br"
	np_pod b "$br"
	np_pod c "$ptp"
	np_ext api 203.0.113.10 2001:db8:ff::10

	b4=$(np_pod_ip b 4)
	b6=$(np_pod_ip b 6)
	c4=$(np_pod_ip c 4)
	case "$b4" in 198.18.1.*) ;; *) np_fail "pod b got $b4, not 198.18.1.0/24" ;; esac
	case "$c4" in 198.18.2.*) ;; *) np_fail "pod c got $c4, not 198.18.2.0/24" ;; esac

	np_bg b socat -T5 TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hello-from-b' >/dev/null
	np_bg c socat -T5 UDP4-RECVFROM:5353,fork SYSTEM:'echo udp-from-c' >/dev/null
	np_bg api socat -T5 TCP4-LISTEN:443,fork,reuseaddr SYSTEM:'echo hello-from-api' >/dev/null
	np_wait_port b 8080
	np_wait_port c 5353 udp
	np_wait_port api 443

	got=$(np_in a socat -T5 - TCP4:"$b4":8080 </dev/null)
	[ "$got" = hello-from-b ] || np_fail "TCP a->b over IPv4: got '$got'"
	got=$(np_in a socat -T5 - TCP6:["$b6"]:8080 </dev/null)
	[ "$got" = hello-from-b ] || np_fail "TCP a->b over IPv6: got '$got'"
	# UDP may lose the first datagram while neighbours are resolved on a
	# loaded machine: up to three tries, as any UDP client would.
	udp_ok() { [ "$(echo ping | np_in a socat -T2 - UDP4:"$c4":5353)" = udp-from-c ]; }
	np_retry 3 udp_ok || np_fail "UDP a->c (bridge to ptp, routed): no answer in 3 tries"
	got=$(np_in c socat -T5 - TCP4:203.0.113.10:443 </dev/null)
	[ "$got" = hello-from-api ] || np_fail "TCP c->external: got '$got'"
	# The node has no default route: nothing leaves it.
	if [ -n "$(np_node ip route show default)" ]; then
		np_fail "the node namespace has a default route"
	fi
	np_pod_del a
	[ ! -e "/run/netns/$(np_ns a)" ] || np_fail "pod a's netns survived DEL"

	# The netpol-recorderd helpers: a key given replaces its default (once
	# in the file), the others stay; a daemon that cannot start and a stop
	# of a daemon already gone fail the test.
	# (The daemon makes the store's directory: under a regular file it
	# cannot.)
	rd=$NP_TMP/rd.yaml
	touch "$NP_TMP/file"
	np_rd_conf "$rd" "store: $NP_TMP/file/rd.db" "flush_interval: 1s"
	[ "$(grep -c -e '^store:' -e '^flush_interval:' "$rd")" = 2 ] &&
		grep -qx "store: $NP_TMP/file/rd.db" "$rd" &&
		grep -qx 'flush_interval: 1s' "$rd" &&
		grep -qx "release_socket: $NP_RELEASE" "$rd" &&
		grep -qx "log: {file: $NP_RD_LOG}" "$rd" ||
		np_fail "np_rd_conf wrote: $(cat "$rd")"
	if (np_rd_start "$rd") 2>/dev/null; then
		np_fail "np_rd_start succeeded with a store that cannot be opened"
	fi
	np_rd_conf "$rd"
	np_rd_start "$rd"
	grep -q "recording: node [^,]*, store $NP_DB," "$NP_RD_LOG" ||
		np_fail "the daemon does not record into \$NP_DB: $(cat "$NP_RD_LOG")"
	np_rd_stop
	! kill -0 "$NP_RD_PID" 2>/dev/null || np_fail "np_rd_stop returned before the daemon exited"
	if (np_rd_stop) 2>/dev/null; then
		np_fail "np_rd_stop succeeded on a daemon already gone"
	fi
	np_log "harness ok"
)

after=$(host_state)
id=$(cat "$idfile")
[ -n "$id" ] || { echo "FAIL: the harness gave no run id" >&2; exit 1; }
if grep -q "$id" <<<"$(ip netns list)"; then
	ip netns list | grep "$id" >&2
	echo "FAIL: namespaces of run $id are left" >&2
	exit 1
fi
if [ "$before" != "$after" ]; then
	diff <(echo "$before") <(echo "$after") >&2 || true
	echo "FAIL: the host's links or ruleset changed" >&2
	exit 1
fi
if ls -d /tmp/netpol-record-harness-"$id".* 2>/dev/null; then
	echo "FAIL: the run's temporary directory is left" >&2
	exit 1
fi
echo "host unchanged, nothing of run $id left"
