#!/bin/bash
# netpol-recorderd operations: -n names the bad line; daemon mode; byte and
# packet counts with accounting on (nf_conntrack_acct turned on in the
# daemon's own netns only, never the host's); retention pruning; SIGHUP
# reload of a valid file; --repair restores the nftables elements of
# attached pods.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdops
rd="$NP_BUILD/netpol-recorderd"
# -n: a broken file is refused with file:line:column.
printf 'store: /tmp/x.db\nnflog:\n  group: lots\n' >"$NP_TMP/bad.yaml"
if out=$("$rd" -n -c "$NP_TMP/bad.yaml" 2>&1); then np_fail "-n accepted a bad file"; fi
case "$out" in *"$NP_TMP/bad.yaml:3:10: nflog.group"*) ;; *) np_fail "-n said: $out" ;; esac
"$rd" -n -c "$NP_TOP/conf/recorderd.yaml" | grep -q "configuration OK" || np_fail "default conf refused"
if "$rd" -c /nonexistent.yaml -n 2>/dev/null; then np_fail "missing -c file accepted"; fi
# A store that is no store: the daemon says what the file is and what to do.
echo "hello" >"$NP_TMP/notes.txt"
np_rd_conf "$NP_TMP/badstore.yaml" "store: $NP_TMP/notes.txt"
: >"$NP_RD_LOG"
if np_node timeout 10 "$rd" -f -c "$NP_TMP/badstore.yaml" 2>/dev/null; then
	np_fail "the daemon ran on a file that is not a store"
fi
grep -q "store $NP_TMP/notes.txt: is not a netpol-record store (not an SQLite database at all).*move this file away" "$NP_RD_LOG" ||
	{ cat "$NP_RD_LOG" >&2; np_fail "the daemon does not say what is wrong with its store"; }

host_acct=$(cat /proc/sys/net/netfilter/nf_conntrack_acct)
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=ops;K8S_POD_NAME=client"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=ops;K8S_POD_NAME=server"
b4=$(np_pod_ip b 4)
np_node sysctl -qw net.netfilter.nf_conntrack_acct=0
np_node sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
np_node sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close_wait=1
np_node sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_fin_wait=1
q() { sqlite3 -batch -noheader "$NP_DB" "$@"; }

# An old flow, to be pruned at start (retention 30 days). The plugin's
# ADDs above created the store.
old=$(( $(date +%s) - 40 * 86400 ))
q "INSERT INTO workloads (namespace, kind, name) VALUES ('ops','Pod','gone');
   INSERT INTO flows (workload_id, direction, peer_kind, peer_addr, protocol, port, first_seen, last_seen, count)
   SELECT id, 0, 1, '203.0.113.99', 6, 443, $old, $old, 1 FROM workloads WHERE name='gone';"

np_rd_conf "$NP_TMP/rd.yaml" "accounting: true" "retention_days: 30" \
	"log: {file: $NP_RD_LOG, level: info}"
: >"$NP_RD_LOG"
# Daemon mode: the command returns, the daemon keeps running.
np_node "$rd" -c "$NP_TMP/rd.yaml"
np_rd_wait
rd_pid=$(ip netns pids "$NP_NODE" | while read -r p; do
	case "$(cat /proc/"$p"/comm 2>/dev/null)" in netpol-recorde*) echo "$p" ;; esac; done | head -n1)
[ -n "$rd_pid" ] || np_fail "no daemon process in the node netns"
[ "$(np_node cat /proc/sys/net/netfilter/nf_conntrack_acct)" = 1 ] || np_fail "accounting not on in the node netns"
[ "$(cat /proc/sys/net/netfilter/nf_conntrack_acct)" = "$host_acct" ] || np_fail "the host's nf_conntrack_acct changed"
grep -q "pruned 1 flows" "$NP_RD_LOG" || np_fail "old flow not pruned"
[ "$(q "SELECT count(*) FROM flows WHERE peer_addr='203.0.113.99';")" = 0 ] || np_fail "old flow still there"

# Bytes and packets from DESTROY events.
np_bg b socat TCP4-LISTEN:5000,reuseaddr,fork SYSTEM:'head -c 100000 /dev/zero' >/dev/null
np_wait_port b 5000
np_in a socat -T3 - TCP4:"$b4":5000 </dev/null >/dev/null
# The entry would go away with its timeout, whenever the kernel's garbage
# collector gets to it (up to a minute when idle); deleting it now sends
# the same DESTROY event with the counters.
np_node conntrack -D -p tcp --dport 5000 >/dev/null 2>&1 || true
for _ in $(seq 60); do
	bytes=$(q "SELECT coalesce(max(bytes),0) FROM flows WHERE port=5000 AND direction=0;")
	[ "$bytes" -gt 0 ] && break
	sleep 0.1
done
pk=$(q "SELECT packets FROM flows WHERE port=5000 AND direction=0;")
np_log "accounting: $bytes bytes, $pk packets"
[ "$bytes" -gt 0 ] || tail "$NP_RD_LOG" >&2
[ "$bytes" -gt 100000 ] || np_fail "bytes $bytes, expected more than the 100000 sent"
[ "$pk" -gt 10 ] || np_fail "packets $pk"
[ "$(q "SELECT count FROM flows WHERE port=5000 AND direction=0;")" = 1 ] || np_fail "DESTROY counted as a connection"

# SIGHUP with a valid file: applied.
sed -i 's/level: info/level: debug/' "$NP_TMP/rd.yaml"
kill -HUP "$rd_pid"
for _ in $(seq 30); do grep -q "configuration reloaded" "$NP_RD_LOG" && break; sleep 0.1; done
grep -q "configuration reloaded" "$NP_RD_LOG" || np_fail "SIGHUP did not reload"

np_rd_stop "$rd_pid"

# Elements removed behind our back: the daemon says so at start, and
# --repair puts them back.
np_node nft flush set inet netpol_record pod_v4
set4=$(np_node nft list set inet netpol_record pod_v4)
case "$set4" in *"$b4 "*) np_fail "flush did not work" ;; esac
np_rd_start "$NP_TMP/rd.yaml"
grep -q "2 attached pods have addresses missing" "$NP_RD_LOG" \
	|| { cat "$NP_RD_LOG" >&2; np_fail "no warning about missing elements"; }
out=$(np_node "$rd" --repair -c "$NP_TMP/rd.yaml")
[ "$out" = "repaired 2 attachments, 0 failed" ] || np_fail "--repair said: $out"
set4=$(np_node nft list set inet netpol_record pod_v4)
case "$set4" in *"$b4 "*) ;; *) np_fail "--repair did not restore $b4" ;; esac
np_log "ops: -n, daemon mode, accounting, retention, reload, repair"
