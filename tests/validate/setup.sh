#!/bin/sh
# Install the npm packages of the validation tools, exactly as pinned in
# tests/validate/package-lock.json, into tests/validate/node_modules with
# `npm ci`. Nothing is installed globally. A second run with the same lock
# file does nothing (a stamp in node_modules holds the lock file's checksum).
# Node.js and npm come from install/deps.sh (Debian's nodejs and npm when
# the machine has no node).
#
# Usage: tests/validate/setup.sh   (exit 0 when ready, 1 with the reason)
set -eu
here=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "tests/validate/setup.sh: $tool not found: run install/deps.sh as root (it installs Debian's nodejs and npm)" >&2
		exit 1
	fi
done

stamp="$here/node_modules/.netpol-record-lock"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

# One installer at a time per checkout: npm ci removes node_modules first.
# flock(1) opens the lock file read-only; it is not changed.
exec 9<"$here/package-lock.json"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
cd "$here"
# --ignore-scripts: none of these packages needs an install script, and a
# test dependency has no business running one.
if ! npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; then
	echo "tests/validate/setup.sh: npm ci failed (see above): the npm registry must be reachable; package-lock.json pins every version" >&2
	exit 1
fi
echo "$want" >"$stamp"
