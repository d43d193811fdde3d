#!/bin/bash
# A real runtime: podman 4 with its CNI backend and runc, a busybox-static
# rootfs (--rootfs, no image), and a conflist of the test's own that chains
# netpol-record-cni after bridge + host-local, run inside the node netns.
# `podman run` succeeds, the attachment is in the store (podman passes only
# K8S_POD_NAME), its elements are in the sets; after the container is
# removed its elements are gone and the store says detached. Podman calls
# VERSION (with CNI_NETNS=dummy) before ADD and DEL.
#
# Podman gets its own --root/--runroot/CONTAINERS_CONF under $NP_TMP, so
# none of the host's podman state is touched. `nsenter --net` rather than
# `ip netns exec`: the latter remounts /sys, which hides the cgroups runc
# needs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v podman >/dev/null || np_fail "podman is not installed (install/deps.sh)"
np_setup cni_podman

net="np-$NP_ID"
confdir=$NP_TMP/podman-net.d
rootfs=$NP_TMP/rootfs
# podman refuses a runroot longer than 50 characters: a short dir of its
# own, removed at the end.
pmdir=/tmp/npr-$NP_ID
mkdir -p "$confdir" "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" \
	"$rootfs/dev" "$rootfs/tmp" "$pmdir/root" "$pmdir/run"
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh sleep ip cat true; do ln -s busybox "$rootfs/bin/$a"; done

# A tracing wrapper records each command podman sends our plugin.
bindir=$NP_TMP/cni-bin
mkdir -p "$bindir"
for p in bridge host-local loopback; do ln -s "$NP_CNI_BIN/$p" "$bindir/$p"; done
cat >"$bindir/netpol-record-cni" <<WRAP
#!/bin/sh
echo "\$CNI_COMMAND netns=\$CNI_NETNS args=\$CNI_ARGS" >>"$NP_TMP/calls.log"
tee "$NP_TMP/stdin-\$CNI_COMMAND.json" | "$NP_BUILD/netpol-record-cni"
WRAP
chmod +x "$bindir/netpol-record-cni"

cat >"$confdir/$net.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$net",
  "plugins": [
    { "type": "bridge", "bridge": "npbr$$", "isGateway": true, "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "$NP_TMP/ipam",
        "ranges": [[{"subnet": "198.18.3.0/24"}], [{"subnet": "2001:db8:3::/64"}]],
        "routes": [{"dst": "0.0.0.0/0"}] } },
    { "type": "netpol-record-cni", "db": "$NP_DB", "failurePolicy": "fail",
      "logFile": "$NP_TMP/cni.log", "logLevel": "debug" }
  ]
}
JSON
# Ulimits at or below the hard limits (without CAP_SYS_RESOURCE runc cannot
# set podman's defaults of 1048576 open files and 4194304 processes).
cat >"$NP_TMP/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "bridge"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$NP_TMP/events.log"
tmp_dir = "$NP_TMP/podman-tmp"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$bindir"]
network_config_dir = "$confdir"
default_network = "$net"
CONF

pm() {
	CONTAINERS_CONF=$NP_TMP/containers.conf nsenter --net="/run/netns/$NP_NODE" \
		podman --root "$pmdir/root" --runroot "$pmdir/run" \
		--storage-driver vfs "$@"
}
# Whatever happens, the container goes before the harness removes the node.
cleanup_podman() {
	pm rm -f -t 0 -a >/dev/null 2>&1 || true
	# vfs layers and runc state live under $pmdir; podman may keep
	# mounts of its own there, released here.
	umount -R "$pmdir/root" 2>/dev/null || true
	umount -R "$pmdir/run" 2>/dev/null || true
	rm -rf "$pmdir"
}
# np_cleanup takes the exit status from $?: keep the test's.
trap 'rc=$?; set +e; cleanup_podman; (exit $rc); np_cleanup' EXIT

name=box-$NP_ID
pm run -d --name "$name" --network "$net" --rootfs "$rootfs" /bin/sleep 60 >"$NP_TMP/run.out" 2>"$NP_TMP/run.err" ||
	np_fail "podman run failed: $(cat "$NP_TMP/run.err") / $(cat "$NP_TMP/cni.log" 2>/dev/null)"
cid=$(pm inspect -f '{{.Id}}' "$name")
np_log "container $cid"

q() { sqlite3 "$NP_DB" "$1"; }
row=$(q "select pod_name, ifname, host_veth, detached_at from attachments where container_id='$cid'")
np_log "store: $row"
IFS='|' read -r pname ifname veth detached <<<"$row"
[ "$pname" = "$name" ] || np_fail "store: pod name '$pname', want $name (K8S_POD_NAME from podman)"
[ "$ifname" = eth0 ] || np_fail "store: ifname '$ifname'"
[ -n "$veth" ] || np_fail "store: no host veth"
[ "$detached" = 0 ] || np_fail "store: detached already"
np_node ip link show "$veth" >/dev/null || np_fail "host veth $veth is not in the node"
ip4=$(q "select a.addr from addresses a join attachments t on t.id=a.attachment_id where t.container_id='$cid' and a.addr like '198.18.3.%'")
[ -n "$ip4" ] || np_fail "store: no IPv4 address"
inside=$(pm exec "$name" ip -4 -o addr show eth0)
grep -q "$ip4/" <<<"$inside" || np_fail "the container's eth0 ($inside) does not have $ip4"
rules=$(np_node nft list ruleset)
grep -q "$ip4 comment \"$cid/eth0\"" <<<"$rules" || np_fail "pod_v4 lacks $ip4 owned by $cid/eth0: $rules"
grep -q "\"$veth\" comment \"$cid/eth0\"" <<<"$rules" || np_fail "pod_ifs lacks $veth"

# VERSION came first, with podman's dummy netns; ADD got only K8S_POD_NAME.
np_log "calls: $(tr '\n' ';' <"$NP_TMP/calls.log")"
head -n 1 "$NP_TMP/calls.log" | grep -q '^VERSION netns=dummy' || np_fail "podman did not call VERSION first"
grep -q "^ADD .*K8S_POD_NAME=$name" "$NP_TMP/calls.log" || np_fail "no ADD with K8S_POD_NAME"

pm rm -f -t 0 "$name" >/dev/null
grep -q '^DEL ' "$NP_TMP/calls.log" || np_fail "podman did not call DEL"
grep -B1 '^DEL ' "$NP_TMP/calls.log" | head -n 1 | grep -q '^VERSION ' ||
	np_fail "podman did not call VERSION before DEL: $(cat "$NP_TMP/calls.log")"
rules=$(np_node nft list ruleset)
if grep -qe "$ip4" -e "$cid" -e "$veth" <<<"$rules"; then np_fail "after rm, the ruleset still has the container: $rules"; fi
[ "$(q "select detached_at > 0 from attachments where container_id='$cid'")" = 1 ] || np_fail "store: not detached after rm"

# An ADD that fails after ours (a plugin later in the chain): podman then
# runs DEL down the chain with no prevResult, and our DEL must still find
# and remove what our ADD added, from the store by (container id, ifname).
cat >"$bindir/np-fail" <<'FAIL'
#!/bin/sh
cat >/dev/null
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}' ;;
ADD) echo '{"cniVersion":"1.0.0","code":999,"msg":"np-fail fails on purpose"}'; exit 1 ;;
*) ;;
esac
FAIL
chmod +x "$bindir/np-fail"
net2="np2-$NP_ID"
jq --arg n "$net2" --arg br "npbq$$" --arg dir "$NP_TMP/ipam2" \
	'.name = $n | .plugins[0].bridge = $br | .plugins[0].ipam.dataDir = $dir |
	 .plugins[0].ipam.ranges = [[{subnet: "198.18.4.0/24"}]] | .plugins += [{type: "np-fail"}]' \
	"$confdir/$net.conflist" >"$confdir/$net2.conflist"
: >"$NP_TMP/calls.log"
if pm run -d --name "bad-$NP_ID" --network "$net2" --rootfs "$rootfs" /bin/sleep 60 >/dev/null 2>"$NP_TMP/run2.err"; then
	np_fail "podman run with a failing chain succeeded"
fi
np_log "calls: $(tr '\n' ';' <"$NP_TMP/calls.log")"
grep -q '^ADD ' "$NP_TMP/calls.log" || np_fail "our ADD was not called in the failing chain"
grep -q '^DEL ' "$NP_TMP/calls.log" || np_fail "podman did not call DEL after the failed ADD"
if jq -e 'has("prevResult")' "$NP_TMP/stdin-DEL.json" >/dev/null; then
	np_log "note: podman passed a prevResult to this DEL"
fi
bad=$(q "select container_id, detached_at from attachments where pod_name='bad-$NP_ID'")
np_log "store: $bad"
[ -n "$bad" ] || np_fail "the failed container's ADD left no record"
[ "${bad##*|}" != 0 ] || np_fail "the failed container is still attached in the store"
rules=$(np_node nft list ruleset)
if grep -qe '198\.18\.4\.' -e "${bad%%|*}" <<<"$rules"; then np_fail "the failed container's elements are left: $rules"; fi
pm rm -f -t 0 "bad-$NP_ID" >/dev/null 2>&1 || true
np_log "ok"
