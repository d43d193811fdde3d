#!/bin/bash
# make fresh-check: the README's two commands on a fresh machine.
#
# Builds a Debian 12 root with `debootstrap --variant=minbase bookworm`
# (Debian's default mirror) plus only gcc, make, libc6-dev, git, python3 and
# ca-certificates, clones the commit under test (HEAD: uncommitted changes
# are not in it) into /root/netpol-record, and runs there, in order and
# exactly as the README says, `make demo` then `make check`. Both must pass:
# that proves every package the build, the demo and the tests need is in
# install/deps.sh, and that both commands work the first time, on a machine
# that has never seen the -dev packages.
#
# The root runs in its own mount and PID namespaces (unshare), as the
# namespace's root (pivot_root): /proc, /sys, the host's cgroup tree
# (podman's runc needs it), /dev with a private /dev/shm and a private /run
# are mounted there only, and every mount and process goes away when the
# namespace's first process exits, also on failure or timeout. Network namespaces the tests make share the host's
# kernel, as on the host; the tests remove them. The root uses the host's
# network with the host's resolv.conf and locally added CA certificates
# (/usr/local/share/ca-certificates). No service starts inside the root
# (policy-rc.d), as in any chroot.
#
# The bare base root (after debootstrap and the six packages, before the
# clone) is cached as a tarball in FRESH_CACHE_DIR (default
# /var/cache/netpol-record) and rebuilt when it is older than
# FRESH_CACHE_DAYS (default 7) or when the package list changes.
# FRESH_NO_CACHE=1 neither reads nor writes the cache. FRESH_TIME_LIMIT
# (seconds, default 3000) bounds the two commands. The root is made under
# FRESH_TMPDIR (default /var/tmp) and removed at the end, also on failure.
#
# Needs root, debootstrap (install/deps.sh fresh) and access to Debian's
# archive.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

SUITE=bookworm
BASE_PKGS="gcc make libc6-dev git python3 ca-certificates"
# What the root runs, as the README says it.
COMMANDS=("make demo" "make check")
CACHE_DIR=${FRESH_CACHE_DIR:-/var/cache/netpol-record}
CACHE_DAYS=${FRESH_CACHE_DAYS:-7}
NO_CACHE=${FRESH_NO_CACHE:-0}
TIME_LIMIT=${FRESH_TIME_LIMIT:-3000}
TMP_PARENT=${FRESH_TMPDIR:-/var/tmp}
SRC=/root/netpol-record	# the clone, inside the root

say() { printf '==> fresh-check: %s\n' "$*"; }
die() { printf 'fresh-check: %s\n' "$*" >&2; exit 1; }

# --inside ROOT: the part that runs in the new mount and PID namespaces.
# Mounts what the tests need, makes ROOT the namespace's root (pivot_root,
# not chroot: `nsenter -m` and `ip netns exec` then stay in it, as on a
# real machine), and runs the commands there. It stays PID 1 of the
# namespace, which reaps the processes orphaned in it (a test waits for a
# daemon it killed to be gone; an unreaped zombie never is). Everything
# mounted here vanishes with the namespace.
if [ "${1:-}" = --inside ]; then
	root=$2
	# The outer part waits until no process of this namespace is left.
	readlink /proc/self/ns/pid >"$root/../pidns"
	# pivot_root needs the new root to be a mount point.
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
	mount --rbind /dev "$root/dev"
	mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"
	mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$root/run"
	# The root uses the host's network, and sees it as the host does:
	# apt and the tests resolve names with the host's resolv.conf, and
	# trust the certificate authorities the host added itself (e.g. a
	# proxy's that inspects TLS; npm in test_validate_tools needs it).
	cat /etc/resolv.conf >"$root/etc/resolv.conf"
	local_ca=0
	if [ -n "$(find /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null | head -n 1)" ]; then
		cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
		local_ca=1
	fi
	mkdir "$root/.old-root"
	cd "$root"
	pivot_root . .old-root
	# From here on every program comes from the new root.
	cd /
	umount -l /.old-root
	rmdir /.old-root
	[ "$local_ca" = 0 ] || update-ca-certificates >/dev/null
	script="set -e; cd $SRC"
	for c in "${COMMANDS[@]}"; do
		script="$script; echo '==> fresh-check: $c'; start=\$(date +%s); $c"
		script="$script; echo \"==> fresh-check: $c passed in \$((\$(date +%s) - start)) s\""
	done
	# A login's environment and nothing of ours (no MAKEFLAGS from the
	# make that called us); CI=true (warnings are errors) passes through.
	# Not exec: this shell stays PID 1.
	rc=0
	timeout -k 30 "$TIME_LIMIT" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root TERM="${TERM:-dumb}" ${CI:+CI="$CI"} \
		/bin/bash -c "$script" </dev/null || rc=$?
	exit "$rc"
fi

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts): run it as root"
command -v debootstrap >/dev/null ||
	die "debootstrap is not installed: run sh install/deps.sh fresh (make fresh-check does)"
rev=$(git -C "$top" rev-parse HEAD) || die "$top is not a git checkout: fresh-check clones HEAD"
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not tested, the root gets HEAD ($rev)"
fi

work=""
inner=""
cleanup() {
	local rc=$? i
	set +e
	if [ -n "$inner" ]; then
		# Interrupted while the commands run. unshare ignores SIGTERM
		# while it waits for its child; SIGKILL it, and --kill-child
		# gives its child, the namespace's PID 1, SIGKILL too, upon
		# which the kernel kills every process of the namespace.
		kill -KILL "$inner" 2>/dev/null
		wait "$inner" 2>/dev/null
	fi
	if [ -n "$work" ] && [ -d "$work" ]; then
		if [ -s "$work/pidns" ]; then
			ns=$(cat "$work/pidns")
			for i in $(seq 300); do
				busy=$(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/pid' \
					-lname "$ns" 2>/dev/null | head -n 1)
				[ -z "$busy" ] && break
				sleep 0.1
			done
		fi
		# The mounts were made in the namespace only; should one be
		# visible here, leave the tree rather than delete through it.
		if findmnt -rn -o TARGET | grep -q "^$work/"; then
			echo "fresh-check: something is still mounted under $work: left in place" >&2
		else
			rm -rf --one-file-system "$work"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$TMP_PARENT"
work=$(mktemp -d "$TMP_PARENT/netpol-record-fresh.XXXXXX")
root=$work/root
mkdir "$root"

# The cache's name changes with what goes into the base root.
key=$(printf '%s %s %s\n' "$SUITE" minbase "$BASE_PKGS" | sha256sum | cut -c1-12)
cache=$CACHE_DIR/fresh-$SUITE-minbase-$key.tar.gz
t0=$(date +%s)
if [ "$NO_CACHE" != 1 ] && [ -f "$cache" ] &&
	[ -n "$(find "$cache" -mtime -"$CACHE_DAYS" 2>/dev/null)" ]; then
	say "base root from the cache $cache"
	tar -xzpf "$cache" --numeric-owner -C "$root"
else
	say "debootstrap --variant=minbase $SUITE (Debian's default mirror), plus: $BASE_PKGS"
	debootstrap --variant=minbase --include="${BASE_PKGS// /,}" "$SUITE" "$root" \
		>"$work/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
	# No service starts from a package's install script in a chroot.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	rm -f "$root"/var/cache/apt/archives/*.deb
	if [ "$NO_CACHE" != 1 ]; then
		mkdir -p "$CACHE_DIR"
		rm -f "$CACHE_DIR"/fresh-"$SUITE"-minbase-*.tar.gz
		tar -czpf "$cache.tmp" --numeric-owner -C "$root" . && mv "$cache.tmp" "$cache" ||
			{ rm -f "$cache.tmp"; say "note: could not write the cache $cache"; }
	fi
fi
say "base root ready in $(($(date +%s) - t0)) s"

git clone -q --no-checkout "$top" "$root$SRC"
git -C "$root$SRC" checkout -q --detach "$rev"
say "cloned $rev into the root's $SRC"

t1=$(date +%s)
status=0
unshare --mount --propagation private --pid --fork \
	--kill-child -- bash "$here/fresh-check.sh" --inside "$root" &
inner=$!
wait "$inner" || status=$?
inner=""
if [ "$status" -eq 124 ]; then
	die "the commands took longer than FRESH_TIME_LIMIT=$TIME_LIMIT s"
fi
[ "$status" -eq 0 ] || die "failed in the fresh root (exit $status; output above)"
all=$(printf '%s, then ' "${COMMANDS[@]}")
say "${all%, then }: passed in the fresh root in $(($(date +%s) - t1)) s (total $(($(date +%s) - t0)) s)"
