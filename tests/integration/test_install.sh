#!/bin/bash
# `netpol-record-cni install` / `uninstall` as a node operator runs them,
# against the CNI configurations flannel, Calico, Cilium (generic-veth
# chaining), kindnet, the bridge plugin and containerd (a single-plugin
# .conf) ship: install adds our entry and copies the binary, a second
# install changes nothing byte for byte, uninstall gives back the original
# bytes. A file that does not parse is left alone with a clear error.
# Everything happens in temporary directories: never /etc/cni or
# /opt/cni on this machine.
. "$(dirname "$0")/lib.sh"
np_setup install

cni=$NP_BUILD/netpol-record-cni
fixtures=$NP_TOP/tests/fixtures/conflists

"$cni" install --help >"$NP_TMP/help" 2>&1 ||
	np_fail "netpol-record-cni install --help failed (is cniinst_main wired into cni/main.c?): $(head -c 300 "$NP_TMP/help")"
grep -q 'usage: netpol-record-cni install' "$NP_TMP/help" ||
	np_fail "install --help does not print the installer's usage"

# snapshot DIR: every file's name, mode and checksum, sorted.
snapshot() {
	(cd "$1" && find . -type f -printf '%P %m ' -exec sha256sum {} \; | sort)
}

for f in "$fixtures"/*; do
	name=$(basename "$f")
	np_log "fixture $name"
	d=$NP_TMP/$name
	mkdir -p "$d/net.d" "$d/bin"
	cp "$f" "$d/net.d/"
	# A later file the runtime does not use, and an unrelated one.
	echo '{"cniVersion":"0.3.1","name":"other","plugins":[{"type":"ptp"}]}' \
		>"$d/net.d/99-other.conflist"
	echo notes >"$d/net.d/README"
	before=$(snapshot "$d/net.d")

	"$cni" install --conf-dir "$d/net.d" --bin-dir "$d/bin" \
		--db "$NP_DB" >"$d/out1" 2>&1 ||
		np_fail "$name: install failed: $(cat "$d/out1")"
	case "$name" in
	*.conflist) result=$d/net.d/$name ;;
	*) result=$d/net.d/${name%.*}.conflist
	   [ ! -e "$d/net.d/$name" ] || np_fail "$name: the .conf is still there"
	   grep -q converted "$d/out1" || np_fail "$name: no conversion reported" ;;
	esac
	[ -f "$result" ] || np_fail "$name: $result missing"
	jq -e --arg db "$NP_DB" '.plugins[-1] == {type: "netpol-record-cni", db: $db}' \
		"$result" >/dev/null || np_fail "$name: our entry is not last: $(cat "$result")"
	want=$(jq -r .cniVersion "$f")
	[ "$(jq -r .cniVersion "$result")" = "$want" ] ||
		np_fail "$name: cniVersion changed"
	# Every plugin that was there is still there, unchanged, in order.
	if jq -e 'has("plugins")' "$f" >/dev/null; then
		jq -e --slurpfile o "$f" '.plugins[:-1] == $o[0].plugins' "$result" \
			>/dev/null || np_fail "$name: other plugins changed"
		jq -e --slurpfile o "$f" 'del(.plugins) == ($o[0] | del(.plugins))' \
			"$result" >/dev/null || np_fail "$name: top-level keys changed"
	else
		jq -e --slurpfile o "$f" '.plugins[0] == ($o[0] | del(.cniVersion, .name))' \
			"$result" >/dev/null || np_fail "$name: converted plugin differs"
	fi
	cmp -s "$f" "$d/net.d/$name.netpol-record.bak" ||
		np_fail "$name: backup is not the original bytes"
	cmp -s "$cni" "$d/bin/netpol-record-cni" ||
		np_fail "$name: the plugin binary was not copied"
	[ "$(stat -c %a "$d/bin/netpol-record-cni")" = 755 ] ||
		np_fail "$name: plugin binary mode is not 0755"
	cmp -s "$d/net.d/99-other.conflist" - <<<'{"cniVersion":"0.3.1","name":"other","plugins":[{"type":"ptp"}]}' ||
		np_fail "$name: a non-primary file was changed"

	after1=$(snapshot "$d/net.d")
	"$cni" install --conf-dir "$d/net.d" --bin-dir "$d/bin" \
		--db "$NP_DB" >"$d/out2" 2>&1 ||
		np_fail "$name: second install failed: $(cat "$d/out2")"
	[ "$(snapshot "$d/net.d")" = "$after1" ] ||
		np_fail "$name: the second install changed something"
	grep -q 'already chains' "$d/out2" ||
		np_fail "$name: second install did not say it had nothing to do"

	"$cni" uninstall --conf-dir "$d/net.d" --bin-dir "$d/bin" \
		>"$d/out3" 2>&1 || np_fail "$name: uninstall failed: $(cat "$d/out3")"
	[ "$(snapshot "$d/net.d")" = "$before" ] ||
		np_fail "$name: after uninstall the directory differs from the original:
$(diff <(echo "$before") <(snapshot "$d/net.d"))"
	cmp -s "$f" "$d/net.d/$name" || np_fail "$name: not byte-identical after uninstall"
	# Uninstall again: nothing to do, still fine.
	"$cni" uninstall --conf-dir "$d/net.d" >/dev/null 2>&1 ||
		np_fail "$name: second uninstall failed"
	[ "$(snapshot "$d/net.d")" = "$before" ] || np_fail "$name: second uninstall changed files"
done

np_log "a primary file that does not parse"
d=$NP_TMP/broken
mkdir -p "$d/net.d" "$d/bin"
printf '{\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {"type": "flannel"},\n' \
	>"$d/net.d/00-broken.conflist"
cp "$fixtures/10-flannel.conflist" "$d/net.d/"
before=$(snapshot "$d/net.d")
rc=0
"$cni" install --conf-dir "$d/net.d" --bin-dir "$d/bin" >"$d/out" 2>"$d/err" || rc=$?
[ "$rc" -eq 1 ] || np_fail "install on a broken file exited $rc, want 1"
grep -q '00-broken.conflist: not valid JSON' "$d/err" ||
	np_fail "no clear error: $(cat "$d/err")"
[ "$(snapshot "$d/net.d")" = "$before" ] || np_fail "the broken file or its neighbour was changed"
np_log "error was: $(cat "$d/err")"

np_log "usage errors"
rc=0; "$cni" install --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || np_fail "unknown option exited $rc, want 2"
rc=0; "$cni" uninstall --db x >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || np_fail "install-only option to uninstall exited $rc, want 2"
rc=0; "$cni" install --conf-dir "$NP_TMP/10-flannel.conflist/net.d" --failure-policy maybe \
	2>"$NP_TMP/fp" >/dev/null || rc=$?
[ "$rc" -eq 1 ] && grep -q failurePolicy "$NP_TMP/fp" ||
	np_fail "a failurePolicy the plugin refuses was not refused: $(cat "$NP_TMP/fp")"
cmp -s "$fixtures/10-flannel.conflist" "$NP_TMP/10-flannel.conflist/net.d/10-flannel.conflist" ||
	np_fail "a refused option changed the file"

np_log "--dry-run prints the file and changes nothing"
d=$NP_TMP/dry
mkdir -p "$d/net.d" "$d/bin"
cp "$fixtures/10-containerd-net.conf" "$d/net.d/"
before=$(snapshot "$d/net.d")
"$cni" install --dry-run --conf-dir "$d/net.d" --bin-dir "$d/bin" \
	>"$d/preview" 2>"$d/notes" || np_fail "--dry-run failed: $(cat "$d/notes")"
[ "$(snapshot "$d/net.d")" = "$before" ] || np_fail "--dry-run changed the directory"
[ -z "$(ls -A "$d/bin")" ] || np_fail "--dry-run copied the binary"
grep -q 'would write .*10-containerd-net.conflist and remove' "$d/notes" ||
	np_fail "--dry-run did not say what it would do: $(cat "$d/notes")"
# It names the binary it would copy (not /proc/self/exe), also when run
# through a link.
real=$(readlink -f "$cni")
grep -qF "would copy $real to $d/bin/netpol-record-cni" "$d/notes" ||
	np_fail "--dry-run does not name the binary it would copy ($real): $(cat "$d/notes")"
! grep -q /proc/self "$d/notes" || np_fail "--dry-run names /proc/self: $(cat "$d/notes")"
ln -s "$cni" "$NP_TMP/cni-link"
rc=0; "$NP_TMP/cni-link" install --dry-run --conf-dir "$d/net.d" --bin-dir "$d/bin" \
	>/dev/null 2>"$d/notes-link" || rc=$?
[ "$rc" -eq 0 ] || np_fail "--dry-run through a link exited $rc: $(cat "$d/notes-link")"
grep -qF "would copy $real to" "$d/notes-link" ||
	np_fail "--dry-run through a link does not name $real: $(cat "$d/notes-link")"
"$cni" install --conf-dir "$d/net.d" --bin-dir "$d/bin" >/dev/null ||
	np_fail "install after --dry-run failed"
cmp -s "$d/preview" "$d/net.d/10-containerd-net.conflist" ||
	np_fail "--dry-run printed something else than install wrote"

np_log "concurrent installs: one entry, a valid file"
d=$NP_TMP/concurrent
mkdir -p "$d/net.d"
cp "$fixtures/10-calico.conflist" "$d/net.d/"
pids=()
for i in 1 2 3 4 5 6; do
	"$cni" install --conf-dir "$d/net.d" --no-copy --db "$NP_DB" \
		>"$d/out$i" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || np_fail "a concurrent install failed: $(cat "$d"/out*)"
done
jq -e '[.plugins[] | select(.type == "netpol-record-cni")] | length == 1' \
	"$d/net.d/10-calico.conflist" >/dev/null ||
	np_fail "concurrent installs did not leave exactly one entry"
[ "$(grep -l 'added netpol-record-cni' "$d"/out* | wc -l)" -eq 1 ] ||
	np_fail "more than one concurrent install wrote the file"
cmp -s "$fixtures/10-calico.conflist" "$d/net.d/10-calico.conflist.netpol-record.bak" ||
	np_fail "the backup is not the original after concurrent installs"

np_log "--watch puts the entry back after the network agent rewrites its file"
d=$NP_TMP/watch
mkdir -p "$d/net.d"
cp "$fixtures/10-flannel.conflist" "$d/net.d/"
np_bg node "$cni" install --conf-dir "$d/net.d" --no-copy --watch 1 \
	--db "$NP_DB" >/dev/null
ok=""
for _ in $(seq 50); do
	if jq -e '.plugins[-1].type == "netpol-record-cni"' \
		"$d/net.d/10-flannel.conflist" >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.2
done
[ -n "$ok" ] || np_fail "--watch did not install"
# flanneld restarts and writes its own file again.
cp "$fixtures/10-flannel.conflist" "$d/net.d/10-flannel.conflist.new"
mv "$d/net.d/10-flannel.conflist.new" "$d/net.d/10-flannel.conflist"
ok=""
for _ in $(seq 50); do
	if jq -e '.plugins[-1].type == "netpol-record-cni"' \
		"$d/net.d/10-flannel.conflist" >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.2
done
[ -n "$ok" ] || np_fail "--watch did not put the entry back within 10 s"

np_log "all installer checks passed"
