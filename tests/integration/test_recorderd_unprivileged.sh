#!/bin/bash
# netpol-recorderd without CAP_NET_ADMIN (not root, or root without the
# capability) cannot read conntrack events, NFLOG or keep the nftables
# table: it must stop at once with exit status 1 and say what it needs
# and where, instead of a bare "Operation not permitted".
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup rdpriv
chmod 0755 "$NP_TMP"
mkdir -m 0777 "$NP_TMP/unpriv"
db="$NP_TMP/unpriv/records.db"
rd=$NP_BUILD/netpol-recorderd

check() {	# check WHAT CMD...: exit 1 and the message, within 10 s
	local what=$1 out rc=0
	shift
	out=$(np_node timeout 10 "$@" -f --db "$db" -c /dev/null 2>&1) || rc=$?
	np_log "$what: exit $rc: $out"
	[ "$rc" = 1 ] || np_fail "$what: exit status $rc, want 1"
	grep -q "needs CAP_NET_ADMIN (run it as root) in the node's network namespace" <<<"$out" ||
		np_fail "$what: the message does not say what it needs: $out"
	grep -q "Operation not permitted" <<<"$out" &&
		np_fail "$what: a bare 'Operation not permitted' is still printed: $out"
	return 0
}

# -c /dev/null: an empty configuration (every default).
check "as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups "$rd"
check "as root without CAP_NET_ADMIN" setpriv --inh-caps=-net_admin \
	--bounding-set=-net_admin "$rd"
[ ! -e "$db" ] || np_fail "a store was created before the check"
np_log "without CAP_NET_ADMIN: exit 1 with what to do"
