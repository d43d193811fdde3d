#!/bin/bash
# The installer's output read by a real runtime: podman (CNI backend, runc,
# a busybox-static rootfs) in the node's network namespace, with a
# configuration directory of the test's own holding a single-plugin .conf.
# `install` converts it into a .conflist chaining netpol-record-cni;
# podman (libcni) loads it, the container gets its address and is
# recorded in the store, and its removal runs DEL. `uninstall` brings the
# .conf back byte for byte. Then the same with a .conflist: recorded while
# installed, not recorded after uninstall. (Podman's CNI backend reads only
# *.conflist files: a .conf is invisible to it until converted.)
#
# As every podman CNI run, libcni keeps its result cache in /var/lib/cni
# (an entry per container, removed again by DEL); nothing else outside the
# test's directories is written.
. "$(dirname "$0")/lib.sh"
np_setup install-podman

cni=$NP_BUILD/netpol-record-cni
conf=$NP_TMP/net.d.podman
bin=$NP_TMP/cni-bin
rootfs=$NP_TMP/rootfs
# podman refuses a run root longer than 50 characters.
rr=/tmp/npr-$NP_ID
mkdir -p "$conf" "$bin" "$rootfs/bin" "$NP_TMP/storage" "$NP_TMP/ptmp" "$rr"
podman_cleanup() {
	local rc=$? m
	set +e
	# Nothing should be mounted under the test's directories (vfs storage,
	# --rootfs); unmount whatever is, or the temp dir cannot go.
	for m in $(awk -v t="$NP_TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$rr"
	# np_cleanup takes the exit status from $?.
	(exit "$rc")
	np_cleanup
}
trap podman_cleanup EXIT

cp /bin/busybox "$rootfs/bin/busybox"
cat >"$conf/10-nprec.conf" <<EOF2
{
	"cniVersion": "0.4.0",
	"name": "nprec-$NP_ID",
	"type": "bridge",
	"bridge": "nprbr0",
	"isGateway": true,
	"ipMasq": false,
	"ipam": {
		"type": "host-local",
		"dataDir": "$NP_TMP/ipam",
		"ranges": [[{"subnet": "198.18.3.0/24"}]],
		"routes": [{"dst": "0.0.0.0/0"}]
	}
}
EOF2
cp "$conf/10-nprec.conf" "$NP_TMP/original.conf"

# No ulimits of its own (podman would set some above the hard limits), no
# systemd, no journald.
cat >"$NP_TMP/containers.conf" <<EOF2
[containers]
default_ulimits = []
[network]
network_backend = "cni"
cni_plugin_dirs = ["$bin", "/usr/lib/cni"]
network_config_dir = "$conf"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF2
export CONTAINERS_CONF=$NP_TMP/containers.conf
pod() {
	nsenter --net="/run/netns/$NP_NODE" podman --root "$NP_TMP/storage" \
		--runroot "$rr" --tmpdir "$NP_TMP/ptmp" --storage-driver vfs "$@"
}
recorded() {
	sqlite3 "$NP_DB" "SELECT count(*) FROM attachments WHERE pod_name = '$1';" \
		2>/dev/null || echo 0
}

"$cni" install --conf-dir "$conf" --bin-dir "$bin" --db "$NP_DB" ||
	np_fail "install failed"
[ -f "$conf/10-nprec.conflist" ] && [ ! -e "$conf/10-nprec.conf" ] ||
	np_fail "the .conf was not converted: $(ls "$conf")"

c1=np-c1-$NP_ID
out=$(pod run --rm --name "$c1" --network "nprec-$NP_ID" --rootfs "$rootfs" \
	/bin/busybox ip -4 -o addr show eth0 2>&1) ||
	np_fail "podman run through the installed configuration failed: $out"
grep -q 'inet 198.18.3.' <<<"$out" || np_fail "no address from the chain: $out"
[ "$(recorded "$c1")" = 1 ] || np_fail "container $c1 was not recorded"
detached=$(sqlite3 "$NP_DB" "SELECT detached_at FROM attachments WHERE pod_name = '$c1';")
[ "${detached:-0}" -gt 0 ] || np_fail "podman's DEL did not reach the plugin"
np_log "podman ran $c1 through the converted conflist; recorded and detached"

"$cni" uninstall --conf-dir "$conf" --bin-dir "$bin" || np_fail "uninstall failed"
cmp -s "$NP_TMP/original.conf" "$conf/10-nprec.conf" ||
	np_fail "the .conf is not byte-identical after uninstall"
[ ! -e "$conf/10-nprec.conflist" ] || np_fail "the .conflist is still there"

np_log "the same with a .conflist"
rm -f "$conf"/*
jq --arg n "nprec2-$NP_ID" '{cniVersion: .cniVersion, name: $n,
	plugins: [del(.cniVersion, .name)]}' "$NP_TMP/original.conf" \
	>"$conf/10-nprec2.conflist"
cp "$conf/10-nprec2.conflist" "$NP_TMP/original.conflist"
"$cni" install --conf-dir "$conf" --no-copy --db "$NP_DB" || np_fail "install failed"
c2=np-c2-$NP_ID
out=$(pod run --rm --name "$c2" --network "nprec2-$NP_ID" --rootfs "$rootfs" \
	/bin/busybox true 2>&1) || np_fail "podman run failed: $out"
[ "$(recorded "$c2")" = 1 ] || np_fail "container $c2 was not recorded"
"$cni" uninstall --conf-dir "$conf" || np_fail "uninstall failed"
cmp -s "$NP_TMP/original.conflist" "$conf/10-nprec2.conflist" ||
	np_fail "the .conflist is not byte-identical after uninstall"
c3=np-c3-$NP_ID
out=$(pod run --rm --name "$c3" --network "nprec2-$NP_ID" --rootfs "$rootfs" \
	/bin/busybox true 2>&1) || np_fail "podman run after uninstall failed: $out"
[ "$(recorded "$c3")" = 0 ] || np_fail "container $c3 was recorded after uninstall"
np_log "after uninstall: the original file, podman runs, nothing recorded"
