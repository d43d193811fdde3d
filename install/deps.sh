#!/bin/sh
# Install the Debian packages netpol-record needs. Idempotent: packages
# already installed are skipped, `apt-get update` runs only when something
# cannot be found in the package lists, and nothing at all happens (no root
# needed) when everything is there.
#
# Usage: install/deps.sh [--check] [SET...]
#   --check  list what is missing and exit 1, install nothing
#   SET      which packages (default: build test):
#     build  compile and link the three programs (make, make install)
#     test   run make check, make demo, make asan, make bench (with
#            Node.js and npm for tests/validate, and kubectl when the
#            machine has none)
#     fuzz   make fuzz (clang with libFuzzer)
#     fresh  make fresh-check (builds a Debian root with debootstrap)
# The Makefile calls it with the sets each target needs.
set -eu

BUILD_PKGS="gcc make pkg-config
libmnl-dev libnftnl-dev libnetfilter-conntrack-dev
libjson-c-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev
libgraphviz-dev"
TEST_PKGS="libcmocka-dev
sqlite3 nftables conntrack iproute2 procps psmisc util-linux
containernetworking-plugins podman runc busybox-static uidmap
dnsmasq-base socat iperf3 openssl curl jq python3 python3-yaml python3-jsonschema
ulogd2 ulogd2-sqlite3 chromium groff-base man-db valgrind
graphviz fonts-liberation"
FUZZ_PKGS="clang libclang-rt-dev"
FRESH_PKGS="debootstrap git ca-certificates util-linux"

check=0
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
[ $# -gt 0 ] || set -- build test
want=""
for set in "$@"; do
	case "$set" in
	build) want="$want $BUILD_PKGS" ;;
	test) want="$want $TEST_PKGS" ;;
	fuzz) want="$want $FUZZ_PKGS" ;;
	fresh) want="$want $FRESH_PKGS" ;;
	*)
		echo "install/deps.sh: unknown set '$set': use build, test, fuzz or fresh" >&2
		exit 2
		;;
	esac
done

# One dpkg-query for all of them; a package dpkg never heard of prints
# nothing, so every package not listed as installed is missing.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $want 2>/dev/null |
	awk '$NF == "installed" { sub(/:.*/, "", $1); print $1 }')
missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! printf '%s\n' "$installed" | grep -qx "$p"; then
		missing="$missing $p"
	fi
done
case " $* " in
*" test "*)
	# Node.js and npm for the test tooling of tests/validate (its npm
	# packages are pinned by its package-lock.json and installed by its
	# setup.sh). Debian's packages only when the machine has no node or
	# npm at all: a nodejs from elsewhere (NodeSource's ships npm
	# inside) is left alone.
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	# kubectl, for the tests of `kubectl netpol-record` through its plugin
	# mechanism: Debian's kubernetes-client only when the machine has
	# no kubectl (one from the Kubernetes or Google Cloud packages owns
	# /usr/bin/kubectl too, and is left alone).
	command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
	;;
esac

if [ -z "$missing" ]; then
	exit 0
fi
if [ "$check" = 1 ]; then
	echo "missing:$missing"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install/deps.sh: these Debian packages are missing:$missing" >&2
	echo "install/deps.sh: run it as root to install them: sudo sh install/deps.sh $*" >&2
	exit 1
fi
echo "install/deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when a package cannot be found in them.
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
