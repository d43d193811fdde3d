#!/bin/bash
# Every binary under valgrind, on a real node: netpol-record-cni (ADD,
# CHECK, DEL through the CNI chain: the conflist names a wrapper,
# netpol-record-cni-vg, that runs the plugin under valgrind), netpol-recorderd
# (-f with a metadata file, a short run with TCP, UDP and DNS traffic, then
# SIGTERM) and netpol-record (export, report -o html, check, status,
# known-servers import/list/delete). Each run must report no invalid access
# or use of uninitialised memory and no definite leak (--error-exitcode),
# and its valgrind log must say so. Traffic is small: valgrind is slow.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

command -v valgrind >/dev/null || np_fail "valgrind is not installed (install/deps.sh)"
# make asan runs this suite on sanitizer builds, which valgrind cannot run:
# the sanitizers do this test's job there, and the plain build runs it.
# (grep without -q: under pipefail, -q would end ldd early with SIGPIPE)
if ldd "$NP_BUILD/netpol-record-cni" | grep libasan >/dev/null; then
	echo "SKIP: $NP_BUILD is an AddressSanitizer build; valgrind runs on the plain build (make check)"
	exit 0
fi
np_setup fault_vg
vgdir="$NP_TMP/vg"
mkdir -p "$vgdir" "$NP_TMP/bin"
VG=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite --show-leak-kinds=definite
	--trace-children=no
	--suppressions="$NP_TOP/tests/integration/graphviz.supp")
# The plugin forks a child that only holds its netlink socket and _exits
# (cni/main.c): valgrind follows that fork (not exec: --trace-children=no),
# so the child writes its own log (%p) and is checked like the parent.
cat >"$NP_TMP/bin/netpol-record-cni-vg" <<SH
#!/bin/sh
exec ${VG[*]} --log-file=$vgdir/cni.%p.log "$NP_BUILD/netpol-record-cni" "\$@"
SH
chmod +x "$NP_TMP/bin/netpol-record-cni-vg"
# The harness finds plugins in the build directory and /usr/lib/cni; ours
# is in the test's own directory.
eval "orig_$(declare -f np_cni_plugin)"
np_cni_plugin() {
	if [ "$1" = netpol-record-cni-vg ]; then
		echo "$NP_TMP/bin/netpol-record-cni-vg"
	else
		orig_np_cni_plugin "$1"
	fi
}

# vg_ok NAME LOGS...: no error in the logs (valgrind prints nothing with -q
# when clean).
vg_ok() {
	local name=$1 f
	shift
	for f in "$@"; do
		[ -e "$f" ] || np_fail "$name: no valgrind log $f"
		if grep -Eq 'Invalid|uninitialised|definitely lost|ERROR SUMMARY: [1-9]' "$f"; then
			cat "$f" >&2
			np_fail "$name: valgrind reports errors ($f)"
		fi
	done
}

plugin='{"type":"netpol-record-cni-vg","db":"'"$NP_DB"'","failurePolicy":"fail"}'
br=$(np_conflist bridge "$plugin")
np_pod a "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=client-7d9f"
np_pod b "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=backend-1"
np_pod c "$br" "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=gone"
out=$(np_cni CHECK "$br" a "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=client-7d9f") ||
	np_fail "CHECK under valgrind failed: $out"
np_pod_del c
n=$(ls "$vgdir"/cni.*.log | wc -l)
[ "$n" -ge 5 ] || np_fail "expected at least 5 plugin runs under valgrind, found $n logs"
vg_ok netpol-record-cni "$vgdir"/cni.*.log
np_log "netpol-record-cni: $n processes (ADD x3, CHECK, DEL and their socket-holding children) clean under valgrind"

# The daemon, with a metadata file, DNS answers, TCP and UDP.
np_ext dns 203.0.113.53
np_bg dns dnsmasq --no-daemon --no-resolv --no-hosts --port=53 \
	--address=/api.example.test/203.0.113.10 \
	--listen-address=203.0.113.53 --bind-interfaces >/dev/null 2>&1
np_bg b socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg b socat UDP4-RECVFROM:5353,fork SYSTEM:'echo u' >/dev/null
np_wait_port dns 53 udp
np_wait_port b 8080
np_wait_port b 5353 udp
np_rd_conf "$NP_TMP/rd.yaml" "accounting: true"
# Started by hand: a shell keeps valgrind's exit code for the check below.
: >"$NP_RD_LOG"
vg_sh=$(np_bg node sh -c "${VG[*]} --log-file=$vgdir/rd.log '$NP_BUILD/netpol-recorderd' -f \
	-c '$NP_TMP/rd.yaml' --metadata '$NP_TOP/tests/fixtures/k8s/cluster.json' &
	echo \$! >'$NP_TMP/rd.pid'; wait \$!; echo \$? >'$NP_TMP/rd.rc'")
np_rd_wait -t 30 "$vg_sh"
b4=$(np_pod_ip b 4)
np_in a busybox nslookup api.example.test 203.0.113.53 >/dev/null || true
for i in 1 2 3; do
	np_in a socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
	np_in a socat -T3 - TCP6:["$(np_pod_ip b 6)"]:8080 </dev/null >/dev/null
	np_in a socat -T2 - UDP4:"$b4":5353 <<<x >/dev/null || true
done
flows() { [ "$(sqlite3 "$NP_DB" "SELECT count(*) FROM flows WHERE port IN (8080, 5353);")" -ge 4 ]; }
np_retry 100 flows || np_fail "no flows recorded by the daemon under valgrind"
sleep 1
kill -TERM "$(cat "$NP_TMP/rd.pid")"
rc_done() { [ -s "$NP_TMP/rd.rc" ]; }
np_retry 300 rc_done || np_fail "the daemon under valgrind did not exit after SIGTERM"
vg_ok netpol-recorderd "$vgdir/rd.log"
[ "$(cat "$NP_TMP/rd.rc")" = 0 ] || np_fail "netpol-recorderd under valgrind exited $(cat "$NP_TMP/rd.rc")"
grep -q "dns_answers\|api.example.test" <(sqlite3 "$NP_DB" "SELECT name FROM dns_answers;") ||
	np_log "note: no DNS answer recorded (busybox nslookup may have failed)"
np_log "netpol-recorderd: clean under valgrind"

# The CLI.
cat >"$NP_TMP/ks.yaml" <<YAML
apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
kind: KnownServer
metadata:
  name: test-api
spec:
- ipBlock: 203.0.113.0/24
  name: api
  server: api.example.test
YAML
i=0
cli() {	# cli EXPECTED_RC ARGS...: netpol-record under valgrind
	local want=$1 rc=0
	shift
	i=$((i + 1))
	"${VG[@]}" --log-file="$vgdir/cli.$i.log" "$NP_BUILD/netpol-record" "$@" \
		>"$NP_TMP/cli.$i.out" 2>"$NP_TMP/cli.$i.err" || rc=$?
	[ "$rc" = 99 ] && { cat "$vgdir/cli.$i.log" >&2; np_fail "netpol-record $*: valgrind errors"; }
	[ "$rc" = "$want" ] || { cat "$NP_TMP/cli.$i.err" >&2; np_fail "netpol-record $*: exit $rc, want $want"; }
	vg_ok "netpol-record $1" "$vgdir/cli.$i.log"
}
cli 0 known-servers import "$NP_TMP/ks.yaml" --db "$NP_DB"
cli 0 known-servers list --db "$NP_DB"
grep -q "api.example.test" "$NP_TMP/cli.$i.out" || np_fail "known-servers list: $(cat "$NP_TMP/cli.$i.out")"
cli 0 known-servers list --db "$NP_DB" -o yaml
cli 0 export --db "$NP_DB" -n shop
grep -q "kind: NetworkPolicy" "$NP_TMP/cli.$i.out" || np_fail "export printed no policy"
cp "$NP_TMP/cli.$i.out" "$NP_TMP/policies.yaml"
cli 0 export --db "$NP_DB" -A -o json
cli 0 report --db "$NP_DB" -A -o html --out "$NP_TMP/report.html"
grep -qi "<html" "$NP_TMP/report.html" || np_fail "report -o html wrote no HTML"
cli 0 report --db "$NP_DB" -A --policies "$NP_TMP/policies.yaml"
cli 0 check --db "$NP_DB" -n shop --policies "$NP_TMP/policies.yaml"
# A policy that denies: exit 1, still clean.
cat >"$NP_TMP/deny.yaml" <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
YAML
cli 1 check --db "$NP_DB" -n shop --policies "$NP_TMP/deny.yaml" -o json
cli 0 status --db "$NP_DB"
grep -q "events_seen" "$NP_TMP/cli.$i.out" || np_fail "status shows no counters"
cli 0 known-servers delete test-api --db "$NP_DB"
cli 0 known-servers list --db "$NP_DB"
grep -q "api.example.test" "$NP_TMP/cli.$i.out" && np_fail "known-servers delete left the entry"
cli 2 export --db "$NP_DB"	# usage error path
np_log "netpol-record: $i runs clean under valgrind"
