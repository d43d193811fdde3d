#!/bin/bash
# The plugin hands its nftables socket to netpol-recorderd (releaseSocket /
# release_socket) instead of closing it on the pod's ADD path: with the
# daemon up, every ADD, CHECK and DEL gives its socket over and the daemon
# closes them once pod starts pause. With the daemon down, or a socket path
# that cannot be used, the plugin closes its own and pods still get their
# rules; the daemon still records.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup cni_release
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail"}'
br=$(np_conflist bridge "$plugin")
[ "$(jq -r '.plugins[1].releaseSocket' "$br")" = "$NP_RELEASE" ] ||
	np_fail "the harness did not give the plugin the run's release socket"
ctl() { np_node "$NP_BUILD/tools/nftrules_ctl" "$@"; }
elems_of() { ctl list | grep -c " $NP_ID-$1/eth0\$" || true; }
conf="$NP_TMP/rd.yaml"
np_rd_conf "$conf" "log: {file: $NP_RD_LOG, level: debug}"
# Sockets the daemon reports having closed for the plugin.
released() {
	awk '/released [0-9]+ nftables sockets of the CNI plugin/ {
		for (i = 1; i <= NF; i++) if ($i == "released") n += $(i + 1)
	} END { print n + 0 }' "$NP_RD_LOG"
}
# The daemon's NETLINK_NETFILTER sockets (protocol 12), by inode.
nfnl_sockets() {
	local inodes
	inodes=$(find "/proc/$NP_RD_PID/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/socket:\[\([0-9]*\)\]/\1/')
	awk -v list="$inodes" 'BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
		NR > 1 && $2 == 12 && ($NF in mine) { c++ } END { print c + 0 }' "/proc/$NP_RD_PID/net/netlink"
}

np_rd_start "$conf"
[ -S "$NP_RELEASE" ] || np_fail "the daemon made no socket at $NP_RELEASE"
[ "$(stat -c %a "$NP_RELEASE")" = 600 ] || np_fail "release socket mode $(stat -c %a "$NP_RELEASE"), want 600"
base=$(nfnl_sockets)

# ADD a, ADD b, CHECK a, DEL b: four plugin runs, four sockets handed over.
np_pod a "$br"
np_pod b "$br"
out=$(np_cni CHECK "$br" a) || np_fail "CHECK of pod a: $out"
np_pod_del b
released_is() { [ "$(released)" = "$1" ]; }
np_retry 100 released_is 4 ||
	np_fail "the daemon released $(released) plugin sockets, want 4: $(grep -i releas "$NP_RD_LOG" || true)"
[ "$(nfnl_sockets)" = "$base" ] ||
	np_fail "the daemon still holds $(($(nfnl_sockets) - base)) plugin sockets after the pause"
[ "$(elems_of a)" = 3 ] || np_fail "pod a: $(elems_of a) elements, want 3"
[ "$(elems_of b)" = 0 ] || np_fail "deleted pod b still has elements"
np_log "4 plugin sockets handed over and closed by the daemon"

# 30 ADDs at once, then 30 DELs, as a node starting many pods does: each
# succeeds, the sets are exactly right, and the daemon ends up holding no
# socket. (A hand-over that finds the daemon's queue full falls back to
# closing in a child, so the count released may be lower than 60.)
N=30
cni=$NP_BUILD/netpol-record-cni
v4_count() { np_node nft -j list set inet netpol_record pod_v4 | jq '[.nftables[].set.elem // empty | .[]] | length'; }
before=$(v4_count)
burst() {	# burst CMD: N plugins at once; prints how many failed
	local cmd=$1 i pids=() fails=0
	for ((i = 0; i < N; i++)); do
		jq -c --arg db "$NP_DB" --arg rel "$NP_RELEASE" --arg ip "198.19.7.$((i + 1))/16" '{
			cniVersion: "1.0.0", name: "np-bridge", type: "netpol-record-cni",
			db: $db, releaseSocket: $rel, failurePolicy: "fail",
			prevResult: (.ips |= [{address: $ip}])}' "$NP_TMP/pods/a.json" |
			np_node env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="burst-$i" \
				CNI_NETNS="/run/netns/$(np_ns a)" CNI_IFNAME=eth0 CNI_PATH="$NP_BUILD" \
				"$cni" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	echo "$fails"
}
r0=$(released)
[ "$(burst ADD)" = 0 ] || np_fail "concurrent ADDs failed with the daemon up"
[ "$(v4_count)" = $((before + N)) ] || np_fail "after $N concurrent ADDs pod_v4 holds $(v4_count), want $((before + N))"
[ "$(burst DEL)" = 0 ] || np_fail "concurrent DELs failed with the daemon up"
[ "$(v4_count)" = "$before" ] || np_fail "after $N concurrent DELs pod_v4 holds $(v4_count), want $before"
more() { [ "$(released)" -gt "$r0" ] && [ "$(nfnl_sockets)" = "$base" ]; }
np_retry 100 more ||
	np_fail "after the burst the daemon released $(($(released) - r0)) sockets and holds $(($(nfnl_sockets) - base))"
[ "$(released)" -le $((r0 + 2 * N)) ] || np_fail "the daemon released more sockets than plugins ran"
np_log "$N concurrent ADDs and DELs: $(($(released) - r0)) sockets handed over"

# The daemon stops: its socket file goes, the plugin closes its own.
np_rd_stop
[ ! -e "$NP_RELEASE" ] || np_fail "the release socket outlived the daemon"
np_pod c "$br"
[ "$(elems_of c)" = 3 ] || np_fail "pod c (daemon down): $(elems_of c) elements, want 3"
np_pod_del c
[ "$(elems_of c)" = 0 ] || np_fail "pod c (daemon down) still has elements after DEL"

# A path that is not a socket is left alone: the daemon warns and records.
echo keep >"$NP_RELEASE"
np_rd_start "$conf"
grep -q "release_socket $NP_RELEASE: File exists" "$NP_RD_LOG" ||
	np_fail "no warning about the unusable release_socket: $(cat "$NP_RD_LOG")"
[ "$(cat "$NP_RELEASE")" = keep ] || np_fail "the daemon replaced a file that is not a socket"
np_pod d "$br"
[ "$(elems_of d)" = 3 ] || np_fail "pod d: $(elems_of d) elements, want 3"
np_retry 50 bash -c "sqlite3 '$NP_DB' \"SELECT count(*) FROM attachments WHERE container_id='$NP_ID-d'\" | grep -qx 1" ||
	np_fail "pod d is not in the store"
np_rd_stop
rm -f "$NP_RELEASE"

# A second daemon on a live socket does not take it over.
np_rd_start "$conf"
second=$(np_bg node "$NP_BUILD/netpol-recorderd" -f -c "$conf" --db "$NP_TMP/second.db")
np_retry 50 grep -q "release_socket $NP_RELEASE: Address already in use" "$NP_RD_LOG" ||
	np_fail "the second daemon did not refuse the live socket: $(cat "$NP_RD_LOG")"
np_rd_stop "$second"
[ -S "$NP_RELEASE" ] || np_fail "the second daemon removed the first one's socket"
np_pod e "$br"
np_retry 100 released_is 1 ||
	np_fail "the first daemon no longer receives the plugin's socket"
np_rd_stop
np_log "fallbacks: daemon down, unusable path, second daemon"
