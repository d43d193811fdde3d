#!/bin/bash
# netpol-record-cni under pressure and abuse: 50 concurrent ADDs then 50
# concurrent DELs leave the sets and the store exactly right; bad input gets
# the spec's error code, only JSON on stdout, and changes nothing (with
# failurePolicy ignore, ADD still passes prevResult through where it can;
# an interface name with a newline cannot forge a line of the log);
# STATUS says not-ready without the table or the store; GC removes exactly
# what is not in cni.dev/valid-attachments.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
np_setup cni_robust

N=50
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail","logFile":"'"$NP_TMP/cni.log"'"}'
br=$(np_conflist bridge "$plugin")
cni=$NP_BUILD/netpol-record-cni
q() { sqlite3 "$NP_DB" "$1"; }
count() { np_node nft -j list set inet netpol_record "$1" | jq '[.nftables[].set.elem // empty | .[]] | length'; }
owners() { np_node nft -j list set inet netpol_record "$1" | jq -r '.nftables[].set.elem // empty | .[] | if type == "object" then .elem.comment else empty end' | sort; }
# run CMD [ENV=...] <stdin: the plugin in the node netns, stdout captured.
run() { local cmd=$1; shift; np_node env -i PATH="$PATH" CNI_COMMAND="$cmd" "$@" "$cni"; }

# ---- STATUS before anything exists: not ready (50). ---------------------
status='{"cniVersion":"1.1.0","name":"np","type":"netpol-record-cni","db":"'"$NP_DB"'"}'
rc=0; out=$(run STATUS <<<"$status") || rc=$?
[ "$rc" = 1 ] && [ "$(jq .code <<<"$out")" = 50 ] || np_fail "STATUS without table: rc=$rc $out"

# ---- 50 concurrent ADDs. --------------------------------------------------
for i in $(seq $N); do
	ns=$(np_ns "p$i")
	np_netns_add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
done
np_log "$N concurrent ADDs"
pids=()
for i in $(seq $N); do
	( out=$(np_cni ADD "$br" "p$i" "IgnoreUnknown=1;K8S_POD_NAMESPACE=load;K8S_POD_NAME=p$i") &&
		printf '%s\n' "$out" >"$NP_TMP/pods/p$i.json" ) &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
[ "$fails" = 0 ] || np_fail "$fails of $N concurrent ADDs failed: $(tail -5 "$NP_TMP/cni.log" 2>/dev/null)"
[ "$(count pod_v4)" = $N ] || np_fail "pod_v4 has $(count pod_v4) elements, want $N"
[ "$(count pod_v6)" = $N ] || np_fail "pod_v6 has $(count pod_v6) elements, want $N"
[ "$(count pod_ifs)" = $N ] || np_fail "pod_ifs has $(count pod_ifs) elements, want $N"
want=$(for i in $(seq $N); do echo "$NP_ID-p$i/eth0"; done | sort)
[ "$(owners pod_v4)" = "$want" ] || np_fail "pod_v4 owners are not exactly the $N pods"
[ "$(owners pod_ifs)" = "$want" ] || np_fail "pod_ifs owners are not exactly the $N pods"
[ "$(q "select count(*) from attachments where detached_at=0 and pod_namespace='load'")" = $N ] ||
	np_fail "store: $(q 'select count(*) from attachments where detached_at=0') attached, want $N"
# Every element matches what the store says about its pod.
for i in 1 17 50; do
	ip=$(jq -r '.ips[0].address | split("/")[0]' "$NP_TMP/pods/p$i.json")
	got=$(np_node nft -j list set inet netpol_record pod_v4 | jq -r --arg ip "$ip" '.nftables[].set.elem // empty | .[] | select(.elem.val == $ip) | .elem.comment')
	[ "$got" = "$NP_ID-p$i/eth0" ] || np_fail "pod p$i's $ip owned by '$got'"
	[ "$(q "select count(*) from addresses a join attachments t on t.id=a.attachment_id where t.container_id='$NP_ID-p$i' and a.addr='$ip' and a.valid_to=0")" = 1 ] ||
		np_fail "store lacks $ip for p$i"
done
rules_before=$(np_node nft list ruleset)
# Still a constant number of rules.
[ "$(grep -c 'ct mark set' <<<"$rules_before")" = 9 ] || np_fail "rule count grew with pods"

# ---- STATUS ready now; not ready when the store cannot be opened. -------
out=$(run STATUS <<<"$status") || np_fail "STATUS with table: $out"
[ -z "$out" ] || np_fail "STATUS printed: $out"
rc=0; out=$(run STATUS <<<"${status/$NP_DB//proc/nope/x.db}") || rc=$?
[ "$rc" = 1 ] && [ "$(jq .code <<<"$out")" = 50 ] || np_fail "STATUS with a bad store: rc=$rc $out"

# ---- Bad input changes nothing. ------------------------------------------
snap() { np_node nft list ruleset; q "select container_id, ifname, detached_at from attachments order by id"; q "select count(*) from addresses"; }
before=$(snap)
prev=$(cat "$NP_TMP/pods/p1.json")
good=$(jq -c --argjson p "$prev" '. + {cniVersion:"1.0.0",name:"np",prevResult:$p}' <<<"$plugin")
good_ignore=$(jq -c '.failurePolicy = "ignore"' <<<"$good")
envs=(CNI_CONTAINERID=new-ctr CNI_IFNAME=eth0 CNI_NETNS=/run/netns/$(np_ns p1))
expect() { # expect CODE DESCRIPTION -- env... <stdin
	local code=$1 what=$2 rc=0 out
	shift 3
	out=$(run ADD "$@") || rc=$?
	[ "$rc" = 1 ] || np_fail "$what: exit $rc, want 1: $out"
	[ "$(jq -c .code <<<"$out")" = "$code" ] || np_fail "$what: want code $code: $out"
	[ "$(jq -s length <<<"$out")" = 1 ] || np_fail "$what: stdout is not one JSON object: $out"
}
expect 6 "empty stdin" -- "${envs[@]}" </dev/null
expect 6 "not JSON" -- "${envs[@]}" <<<"this is not json"
expect 7 "prevResult of the wrong shape" -- "${envs[@]}" <<<"$(jq -c '.prevResult.ips = {"address": 1}' <<<"$good")"
expect 7 "ADD without prevResult" -- "${envs[@]}" <<<"$(jq -c 'del(.prevResult)' <<<"$good")"
expect 1 "unknown cniVersion" -- "${envs[@]}" <<<"$(jq -c '.cniVersion = "0.2.7"' <<<"$good")"
expect 4 "missing CNI_CONTAINERID" -- CNI_IFNAME=eth0 CNI_NETNS=/run/netns/$(np_ns p1) <<<"$good"
expect 4 "netns that does not exist" -- CNI_CONTAINERID=new-ctr CNI_IFNAME=eth0 CNI_NETNS=/run/netns/$NP_ID-nope <<<"$good"
# 10 MB on stdin: refused without reading it all (the writer sees EPIPE).
big=$NP_TMP/big.json
{ printf '{"cniVersion":"1.0.0","pad":"'; head -c 10000000 /dev/zero | tr '\0' x; printf '"}'; } >"$big"
expect 6 "10 MB stdin" -- "${envs[@]}" <"$big"
rm -f "$big"
# With failurePolicy ignore, ADD passes prevResult through when it has one.
for bad in "CNI_NETNS=/run/netns/$NP_ID-nope" "CNI_CONTAINERID="; do
	out=$(run ADD CNI_CONTAINERID=new-ctr CNI_IFNAME=eth0 "$bad" <<<"$good_ignore") ||
		np_fail "ignore policy, $bad: ADD failed: $out"
	[ "$(jq -c .ips <<<"$out")" = "$(jq -c .ips <<<"$prev")" ] || np_fail "ignore policy: prevResult not passed through: $out"
	[ "$(jq -r .cniVersion <<<"$out")" = 1.0.0 ] || np_fail "ignore policy: wrong cniVersion: $out"
done
# An interface name and a container id with a newline, the id with a
# forged log line after it: one line each in the plugin's log, escaped.
forged="2026-01-01T00:00:00.000Z netpol-record-cni[1] info: FORGED-$NP_ID"
out=$(run ADD "CNI_CONTAINERID=new-ctr
$forged" "CNI_IFNAME=eth0
X" "CNI_NETNS=/run/netns/$NP_ID-nope" <<<"$good_ignore") ||
	np_fail "ignore policy, names with a newline: ADD failed: $out"
grep -qF "new-ctr\\n$forged/eth0\\nX: " "$NP_TMP/cni.log" ||
	np_fail "the plugin's log lacks the escaped names: $(tail -n 3 "$NP_TMP/cni.log")"
if grep -q "^$forged" "$NP_TMP/cni.log" || grep -q "^X" "$NP_TMP/cni.log"; then
	np_fail "a name forged a line of the plugin's log: $(tail -n 3 "$NP_TMP/cni.log")"
fi
after=$(snap)
[ "$before" = "$after" ] || np_fail "bad input changed the ruleset or the store: $(diff <(echo "$before") <(echo "$after"))"

# ---- 50 concurrent DELs. -------------------------------------------------
np_log "$N concurrent DELs"
pids=()
for i in $(seq $N); do
	np_cni DEL "$br" "p$i" >/dev/null &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
[ "$fails" = 0 ] || np_fail "$fails of $N concurrent DELs failed"
for s in pod_v4 pod_v6 pod_ifs; do
	[ "$(count $s)" = 0 ] || np_fail "$s not empty after DEL: $(owners $s)"
done
[ "$(q "select count(*) from attachments where detached_at=0")" = 0 ] || np_fail "store: attachments left attached"
[ "$(q "select count(*) from attachments where detached_at>0")" = $N ] || np_fail "store: detached history wrong"
if grep -q comment <<<"$(np_node nft list ruleset)"; then np_fail "a comment is left in the ruleset"; fi

# ---- GC. ------------------------------------------------------------------
np_pod g1 "$br" "IgnoreUnknown=1"
np_pod g2 "$br" "IgnoreUnknown=1"
np_pod g3 "$br" "IgnoreUnknown=1"
# A stale element only the kernel knows (a lost store), and one that is
# not ours (no comment).
np_node nft add element inet netpol_record pod_v4 '{ 198.18.1.250 comment "ghost-ctr/eth0" }'
np_node nft add element inet netpol_record pod_v4 '{ 198.18.1.251 }'
gc=$(jq -nc --arg db "$NP_DB" --arg a "$NP_ID-g1" --arg b "$NP_ID-g2" '{cniVersion:"1.1.0",name:"np-bridge",
	type:"netpol-record-cni",db:$db,failurePolicy:"fail",
	"cni.dev/valid-attachments":[{containerID:$a,ifname:"eth0"},{containerID:$b,ifname:"eth0"}]}')
out=$(run GC <<<"$gc") || np_fail "GC failed: $out"
[ "$(owners pod_v4 | grep -c .)" = 2 ] || np_fail "GC left: $(owners pod_v4)"
if grep -q "$NP_ID-g3" <<<"$(owners pod_v4)"; then np_fail "GC kept g3"; fi
if grep -q "$NP_ID-g3" <<<"$(owners pod_ifs)"; then np_fail "GC kept g3's veth"; fi
if grep -q ghost <<<"$(owners pod_v4)"; then np_fail "GC kept the kernel-only stale element"; fi
grep -q 198.18.1.251 <<<"$(np_node nft list set inet netpol_record pod_v4)" || np_fail "GC removed an element that is not ours"
[ "$(q "select count(*) from attachments where detached_at=0")" = 2 ] || np_fail "GC: store not in line"
[ "$(q "select detached_at>0 from attachments where container_id='$NP_ID-g3'")" = 1 ] || np_fail "GC: g3 not detached"
# GC without the list is refused rather than removing everything.
rc=0; out=$(run GC <<<"$status") || rc=$?
[ "$rc" = 1 ] && [ "$(jq .code <<<"$out")" = 7 ] || np_fail "GC without valid-attachments: rc=$rc $out"
[ "$(owners pod_v4 | grep -c .)" = 2 ] || np_fail "refused GC removed something"
np_log "ok"
