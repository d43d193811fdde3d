#!/bin/bash
# Every export format (issue 19) on two recorded stores, checked with the
# tooling of tests/validate (libraries other people maintain):
# - tests/fixtures/validate/demo.sql (the demo namespace plus IPv6, SCTP,
#   ICMP, two names of one address, an address reached without a lookup)
#   and the store the demo recorded (tests/fixtures/golden/stores);
# - to each, answers no export may use: a name resolved to an address
#   never reached, and a name only another workload resolved;
# - every format, with and without --include-nodes, all namespaces:
#   every document validates; two exports are byte-identical; the names
#   above appear nowhere;
# - NetworkPolicy (yaml, generated), cilium and clusternetworkpolicy
#   allow every recorded flow of the store's own report (ICMP skipped
#   where the format cannot say it) and deny a namespace never talked to
#   (--probe-namespace), no name in toFQDNs/domainNames was never
#   resolved; the ClusterNetworkPolicy baseline denies a namespace never
#   talked to, both ways;
# - the Cilium export writes the two names of one address, the reference
#   documents' choices hold (toFQDNs, DNS rule, icmps, domainNames).
# No network namespace is needed: the stores are SQL dumps.
. "$(dirname "$0")/lib.sh"

V=$NP_TOP/tests/validate
FIX=$NP_TOP/tests/fixtures
CLI=$NP_BUILD/netpol-record
TMP=$(mktemp -d /tmp/netpol-record-export-formats.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FORMATS="yaml json generated neighbors cilium clusternetworkpolicy neighborhood"

run() {	# run CMD...: stdout+stderr to $TMP/out, status in rc
	set +e
	"$@" >"$TMP/out" 2>&1
	rc=$?
	set -e
}

[ -x "$CLI" ] || np_fail "$CLI missing: run make all first"
sh "$V/setup.sh" >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log"; np_fail "tests/validate/setup.sh failed"; }

# load NAME SQL: the store $TMP/NAME.db, with the answers no export may
# use added to the pods of two workloads.
load() {
	local db=$TMP/$1.db a b
	sqlite3 "$db" <"$2"
	a=$(sqlite3 "$db" "SELECT a.id FROM attachments a JOIN workloads w ON w.id = a.workload_id
		WHERE w.namespace = 'demo' AND w.name = 'backend'")
	b=$(sqlite3 "$db" "SELECT a.id FROM attachments a JOIN workloads w ON w.id = a.workload_id
		WHERE w.namespace = 'demo' AND w.name = 'db'")
	[ -n "$a" ] && [ -n "$b" ] || np_fail "$1: no pod of demo/backend or demo/db"
	sqlite3 "$db" "INSERT INTO dns_answers (attachment_id, name, addr, ttl, first_seen, last_seen)
		VALUES ($a, 'unreached.example.test.', '203.0.113.199', 60, 1795001000, 1795002000),
		       ($b, 'dbonly.example.test.', '203.0.113.10', 60, 1795001000, 1795002000)"
}

load validate "$FIX/validate/demo.sql"
load golden "$FIX/golden/stores/demo.sql"

for store in validate golden; do
	db=$TMP/$store.db
	np_log "$store: the store's flows (report, facts)"
	"$CLI" report -A --db "$db" --pod-cidr 198.18.1.0/24 --pod-cidr 2001:db8:1::/64 \
		--service-cidr 198.18.100.0/24 -o json >"$TMP/report.json" 2>"$TMP/err" ||
		np_fail "$store: report failed: $(cat "$TMP/err")"
	sh "$V/store-facts.sh" "$db" >"$TMP/facts.json" || np_fail "$store: store-facts.sh failed"
	for nodes in "" --include-nodes; do
		for fmt in $FORMATS; do
			what="$store: -o $fmt ${nodes:-(nodes left out)}"
			out=$TMP/$store.$fmt${nodes:+.nodes}
			# shellcheck disable=SC2086
			"$CLI" export -A --db "$db" -o "$fmt" $nodes >"$out" 2>"$TMP/err" ||
				np_fail "$what: export failed: $(cat "$TMP/err")"
			[ -s "$out" ] || np_fail "$what: nothing written"
			# shellcheck disable=SC2086
			"$CLI" export -A --db "$db" -o "$fmt" $nodes >"$out.again" 2>/dev/null
			cmp -s "$out" "$out.again" || np_fail "$what: two exports differ"
			run node "$V/validate.mjs" "$out"
			[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "$what does not validate"; }
			grep -q '^validate: [1-9][0-9]* objects checked: 0 invalid$' "$TMP/out" ||
				np_fail "$what: $(cat "$TMP/out")"
			! grep -qE 'unreached\.example|dbonly\.example' "$out" ||
				np_fail "$what writes a name the workload never resolved to an address it reached"
		done
		np_log "$store ${nodes:-(nodes left out)}: every recorded flow allowed, a namespace never talked to denied"
		for p in yaml:networkpolicy generated:networkpolicy cilium:cilium \
			clusternetworkpolicy:clusternetworkpolicy; do
			IFS=: read -r fmt sem <<<"$p"
			skip=""
			[ "$sem" = cilium ] || skip="--skip-protocol ICMP --skip-protocol ICMPv6"
			# shellcheck disable=SC2086
			run node "$V/evaluate.mjs" --flows "$TMP/report.json" --flows "$TMP/facts.json" \
				--policies "$TMP/$store.$fmt${nodes:+.nodes}" --format "$sem" \
				--probe-namespace intruder $skip
			[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "$store -o $fmt $nodes: exit $rc"; }
			grep -qE ' [1-9][0-9]* allowed and [1-9][0-9]* denied as expected, 0 not as expected, 0 unresolved; 0 names never resolved' "$TMP/out" ||
				np_fail "$store -o $fmt $nodes: $(cat "$TMP/out")"
		done
	done
done

np_log "the ClusterNetworkPolicy baseline denies a namespace never talked to, both ways"
jq -n '{kind: "NetpolRecordFlows", version: 1,
	namespaces: [{name: "demo"}, {name: "intruder"}],
	workloads: [
		{namespace: "demo", kind: "Deployment", name: "backend", labels: {app: "backend"}},
		{namespace: "demo", kind: "StatefulSet", name: "db", labels: {app: "db"}},
		{namespace: "intruder", kind: "Deployment", name: "scanner", labels: {app: "scanner"}}],
	flows: [
		{from: "intruder/Deployment/scanner", to: "demo/Deployment/backend", protocol: "TCP", port: 8080},
		{from: "intruder/Deployment/scanner", to: "demo/StatefulSet/db", protocol: "TCP", port: 5432},
		{from: "demo/Deployment/backend", to: "intruder/Deployment/scanner", protocol: "TCP", port: 443},
		{from: "demo/StatefulSet/db", to: "intruder/Deployment/scanner", protocol: "UDP", port: 53}]}' \
	>"$TMP/intruder.json"
for store in validate golden; do
	run node "$V/evaluate.mjs" --flows "$TMP/intruder.json" \
		--policies "$TMP/$store.clusternetworkpolicy" --expect-denied --no-name-check
	[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "$store: the baseline lets intruder in or out"; }
	grep -q ' 4 denied as expected, 0 not as expected' "$TMP/out" || np_fail "$store: $(cat "$TMP/out")"
	# What denies it is the baseline's Deny, not the absence of a rule.
	run node "$V/evaluate.mjs" --flows "$TMP/intruder.json" \
		--policies "$TMP/$store.clusternetworkpolicy" --expect-denied --no-name-check -v
	grep -q 'Deny by ClusterNetworkPolicy namespace-demo (Baseline' "$TMP/out" ||
		np_fail "$store: not denied by the baseline: $(cat "$TMP/out")"
done

np_log "a baseline is per namespace: -w is refused with what to do"
run "$CLI" export -n demo --db "$TMP/validate.db" -w deploy/backend -o clusternetworkpolicy
[ "$rc" -eq 2 ] && grep -q 'writes one baseline per namespace, from the traffic of all its workloads: drop -w' "$TMP/out" ||
	np_fail "-w with -o clusternetworkpolicy: exit $rc: $(cat "$TMP/out")"

np_log "the reference documents' choices: both names of one address, the DNS rule, icmps, domainNames"
c=$TMP/validate.cilium
cnp=$TMP/validate.clusternetworkpolicy
nh=$TMP/validate.neighborhood
grep -q 'matchName: assets.example.test$' "$c" && grep -q 'matchName: static.example.test$' "$c" ||
	np_fail "cilium: both names of 203.0.113.20 are not in toFQDNs"
grep -q "matchPattern: '\*'" "$c" || np_fail "cilium: no DNS rule"
grep -q 'family: IPv6' "$c" || np_fail "cilium: no icmps for ICMPv6"
grep -q 'toCIDR:' "$c" && grep -q '198.51.100.50/32' "$c" || np_fail "cilium: the address without a lookup is not a CIDR"
grep -qx '      - static.example.test' "$cnp" || np_fail "clusternetworkpolicy: static.example.test not in domainNames"
grep -q 'tier: Baseline' "$cnp" || np_fail "clusternetworkpolicy: not the Baseline tier"
grep -q 'not-expressible: ICMP egress to 203.0.113.10; ICMPv6 egress to 2001:db8:ff::10' "$cnp" ||
	np_fail "clusternetworkpolicy: ICMP is not listed as not expressible"
grep -q '      - static.example.test.$' "$nh" || np_fail "neighborhood: dnsNames lacks static.example.test."
np_log "ok"
