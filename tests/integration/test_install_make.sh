#!/bin/bash
# `make install DESTDIR=...` lays out what the README and the man pages
# promise: the three programs, the kubectl plugin name, the plugin's link
# on PATH, the default
# configuration (which the daemon accepts), the man pages (which format),
# and the systemd unit, whose ExecStart names the installed daemon.
# Everything goes to a temporary DESTDIR; nothing on the host changes.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${NP_BUILD:-$top/build}
dest=$(mktemp -d /tmp/netpol-record-make-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

make -s -C "$top" install BUILD="$build" DESTDIR="$dest" PREFIX=/usr/local \
	>"$dest.log" 2>&1 || { cat "$dest.log"; rm -f "$dest.log"; fail "make install failed"; }
rm -f "$dest.log"

for f in usr/local/bin/netpol-record usr/local/sbin/netpol-recorderd \
	opt/cni/bin/netpol-record-cni; do
	[ -x "$dest/$f" ] || fail "$f is not installed executable"
done
[ "$(readlink "$dest/usr/local/bin/kubectl-netpol_record")" = netpol-record ] ||
	fail "kubectl-netpol_record does not point to netpol-record"
cmp -s "$build/netpol-record-cni" "$dest/opt/cni/bin/netpol-record-cni" ||
	fail "the installed plugin is not the built one"
# `netpol-record-cni install` (the README's next command) finds the plugin
# on root's PATH through this link.
[ "$(readlink "$dest/usr/local/sbin/netpol-record-cni")" = /opt/cni/bin/netpol-record-cni ] ||
	fail "sbin/netpol-record-cni does not point to /opt/cni/bin/netpol-record-cni"

conf=$dest/etc/netpol-record/recorderd.yaml
[ -f "$conf" ] || fail "no default configuration"
"$dest/usr/local/sbin/netpol-recorderd" -n -c "$conf" >/dev/null ||
	fail "the installed daemon refuses the installed configuration"

for m in netpol-record netpol-recorderd netpol-record-cni; do
	page=$dest/usr/local/share/man/man8/$m.8
	[ -f "$page" ] || fail "man page $m.8 not installed"
	warn=$(groff -man -ww -z "$page" 2>&1 || true)
	[ -z "$warn" ] || fail "$m.8: $warn"
done

unit=$dest/lib/systemd/system/netpol-recorderd.service
[ -f "$unit" ] || fail "systemd unit not installed"
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[ -x "$dest$exe" ] || fail "the unit's ExecStart $exe is not the installed daemon"
cfg=$(sed -n 's/^ExecStart=.* -c \([^ ]*\).*/\1/p' "$unit")
[ -f "$dest$cfg" ] || fail "the unit's configuration $cfg is not installed"
grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN$' "$unit" ||
	fail "the unit does not limit the daemon to CAP_NET_ADMIN"
echo "make install: programs, kubectl plugin, plugin link, configuration, man pages, unit"
