#!/bin/bash
# The nft/nftrules.h calls the daemon makes, driven by tests/tools/
# nftrules_ctl: ensure creates the table once (idempotent, never duplicate
# rules), list shows every element with its owner, check notices a missing
# rule, destroy removes everything and is idempotent. Then an ADD after the
# table was deleted by someone else recreates it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
np_setup cni_nftapi
ctl() { np_node "$NP_BUILD/tools/nftrules_ctl" "$@"; }

[ "$(ctl exists)" = 0 ] || np_fail "a fresh node has the table"
if ctl list 2>/dev/null; then np_fail "list without a table succeeded"; fi
ctl ensure || np_fail "ensure failed"
[ "$(ctl exists)" = 1 ] || np_fail "no table after ensure"
ctl ensure || np_fail "second ensure failed"
n=$(np_node nft list table inet netpol_record | grep -c 'ct mark set\|log group')
[ "$n" = 17 ] || np_fail "after two ensures: $n rules, want 17"
ctl check || np_fail "check fails on a fresh table"
[ -z "$(ctl list)" ] || np_fail "a fresh table has elements"

plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'","failurePolicy":"fail"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1"
a4=$(np_pod_ip a 4)
a6=$(np_pod_ip a 6)
veth=$(sqlite3 "$NP_DB" "select host_veth from attachments")
got=$(ctl list | sort)
want=$(printf '%s %s\n' "$a4" "$NP_ID-a/eth0" "$a6" "$NP_ID-a/eth0" "$veth" "$NP_ID-a/eth0" | sort)
[ "$got" = "$want" ] || np_fail "list: got '$got', want '$want'"

h=$(np_node nft -a list chain inet netpol_record prerouting | awk '/ct mark set/ {print $NF; exit}')
np_node nft delete rule inet netpol_record prerouting handle "$h"
if ctl check 2>/dev/null; then np_fail "check passed with a rule missing"; fi

# Someone deletes the table: the next ADD brings it back whole.
ctl destroy || np_fail "destroy failed"
[ "$(ctl exists)" = 0 ] || np_fail "table still there after destroy"
ctl destroy || np_fail "second destroy failed"
np_pod b "$br" "IgnoreUnknown=1"
ctl check || np_fail "the table an ADD recreated is not whole"
[ "$(ctl list | grep -c "$NP_ID-b/eth0")" = 3 ] || np_fail "pod b's elements missing: $(ctl list)"
np_log "ok"
