#!/bin/sh
# Install every build, run and test dependency of netpol-record from
# Debian packages. Idempotent: packages already installed are skipped and
# `apt-get update` runs only when something is missing.
#
# Usage: install/deps.sh [--check]   (--check: list what is missing, exit 1)
set -eu

PKGS="gcc make pkg-config git
libmnl-dev libnftnl-dev libnetfilter-conntrack-dev
libjson-c-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev libcmocka-dev
sqlite3 nftables conntrack iproute2 procps psmisc util-linux
containernetworking-plugins podman runc busybox-static uidmap
dnsmasq-base socat iperf3 openssl curl jq python3 python3-yaml python3-jsonschema
ulogd2 ulogd2-sqlite3 chromium groff-base valgrind
libgraphviz-dev graphviz fonts-liberation"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# Node.js and npm for the test tooling of tests/validate (its npm packages
# are pinned by its package-lock.json and installed by its setup.sh).
# Debian's packages only when the machine has no node or npm at all: a
# nodejs from elsewhere (NodeSource's ships npm inside) is left alone.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -z "$missing" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "missing:$missing"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install/deps.sh: need root to install:$missing" >&2
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
