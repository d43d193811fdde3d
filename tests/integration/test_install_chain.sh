#!/bin/bash
# The installer end to end on a node built from namespaces: a bridge +
# host-local network is the node's only configuration; `netpol-record-cni
# install` chains our plugin after it, a pod started through the installed
# configuration is recorded (attachment in the store, nft table on the
# node), and after `uninstall` the file is the original again and a new pod
# is no longer recorded.
. "$(dirname "$0")/lib.sh"
np_setup install-chain

cni=$NP_BUILD/netpol-record-cni
conf=$NP_TMP/etc-cni
bin=$NP_TMP/opt-cni-bin
mkdir -p "$conf" "$bin"

src=$(np_conflist bridge)
cp "$src" "$conf/10-bridge.conflist"
cp "$src" "$NP_TMP/original.conflist"

"$cni" install --conf-dir "$conf" --bin-dir "$bin" --db "$NP_DB" \
	--log-file "$NP_TMP/cni.log" ||
	np_fail "install failed"
jq -e '.plugins | map(.type) == ["bridge", "netpol-record-cni"]' \
	"$conf/10-bridge.conflist" >/dev/null ||
	np_fail "unexpected chain: $(jq -c '.plugins | map(.type)' "$conf/10-bridge.conflist")"

attached() {
	sqlite3 "$NP_DB" "SELECT count(*) FROM attachments WHERE container_id = '$NP_ID-$1';" 2>/dev/null || echo 0
}

np_pod a "$conf/10-bridge.conflist"
[ "$(attached a)" = 1 ] || np_fail "pod a, started through the installed chain, is not in the store"
np_node nft list table inet netpol_record >/dev/null ||
	np_fail "no netpol_record table on the node after the ADD"
np_pod_del a

"$cni" uninstall --conf-dir "$conf" --bin-dir "$bin" || np_fail "uninstall failed"
cmp -s "$NP_TMP/original.conflist" "$conf/10-bridge.conflist" ||
	np_fail "the conflist is not byte-identical to the original after uninstall"
np_pod b "$conf/10-bridge.conflist"
[ "$(attached b)" = 0 ] || np_fail "pod b was recorded although the plugin was uninstalled"
np_pod_del b
np_log "install, record, uninstall: ok"
