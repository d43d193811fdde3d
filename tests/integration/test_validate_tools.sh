#!/bin/bash
# The validation tooling of tests/validate (issue 19), tested on itself so
# that the exporters of -o cilium, -o clusternetworkpolicy and -o
# neighborhood only have to call it:
# - setup.sh installs the npm packages package-lock.json pins (npm ci);
# - the tooling's unit tests (node --test);
# - validate.mjs accepts every document of tests/fixtures/validate/good and
#   rejects every one of bad/ with exactly the messages its "# expect:"
#   lines list;
# - evaluate.mjs gives the reference policies of each format the verdicts
#   demo-flows.json expects, denies a namespace never talked to, and fails
#   each evaluate/ variant as its header says;
# - the exporter as it is, on the store demo.sql: what -o yaml, json,
#   generated and neighbors write validates, and the NetworkPolicies allow
#   every recorded flow of the store's own report.
# No network namespace is needed: nothing here touches the network but
# npm ci, which reaches the npm registry.
. "$(dirname "$0")/lib.sh"

V=$NP_TOP/tests/validate
FIX=$NP_TOP/tests/fixtures/validate
CLI=$NP_BUILD/netpol-record
TMP=$(mktemp -d /tmp/netpol-record-validate-tools.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

run() {	# run CMD...: stdout+stderr to $TMP/out, status in rc
	set +e
	"$@" >"$TMP/out" 2>&1
	rc=$?
	set -e
}

np_log "setup: npm ci of the pinned packages"
sh "$V/setup.sh" || np_fail "tests/validate/setup.sh failed (see above)"
[ -f "$V/node_modules/@kubernetes-models/cilium/package.json" ] ||
	np_fail "setup.sh did not install @kubernetes-models/cilium"
np_log "node $(node --version), npm $(npm --version)"

np_log "the tooling's unit tests"
run node --test "$V"/test/*.test.mjs
[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "node --test failed"; }
grep -q '^# fail 0$' "$TMP/out" || { cat "$TMP/out"; np_fail "no '# fail 0' line"; }

np_log "validate.mjs: every good document is valid"
run node "$V/validate.mjs" "$FIX"/good/*
[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "good documents rejected"; }
grep -q '^validate: 27 objects checked: 0 invalid$' "$TMP/out" ||
	np_fail "summary: $(cat "$TMP/out")"
run sh -c "cat '$FIX/good/cilium.yaml' | node '$V/validate.mjs' --quiet -"
[ "$rc" -eq 0 ] && [ ! -s "$TMP/out" ] || np_fail "stdin: exit $rc: $(cat "$TMP/out")"

# check_expected FILE: every '# expect: TEXT' line of FILE is a substring
# of some line of $TMP/out.
check_expected() {
	local e
	while IFS= read -r e; do
		grep -qF -- "$e" "$TMP/out" ||
			np_fail "$(basename "$1"): no line says: $e
got: $(cat "$TMP/out")"
	done < <(sed -n 's/^# expect: //p' "$1")
}

np_log "validate.mjs: every bad document is rejected with its messages"
n=0
for f in "$FIX"/bad/*; do
	run node "$V/validate.mjs" --quiet "$f"
	[ "$rc" -eq 1 ] || np_fail "$(basename "$f"): exit $rc, want 1: $(cat "$TMP/out")"
	want=$(grep -c '^# expect: ' "$f")
	[ "$want" -ge 1 ] || np_fail "$(basename "$f") has no '# expect:' line"
	got=$(grep -c . "$TMP/out")
	[ "$got" -eq "$want" ] ||
		np_fail "$(basename "$f"): $got problems, want $want: $(cat "$TMP/out")"
	grep -qvF -- "$f: doc " "$TMP/out" && np_fail "$(basename "$f"): a line does not start with FILE: doc N: $(cat "$TMP/out")"
	check_expected "$f"
	n=$((n + 1))
done
[ "$n" -ge 40 ] || np_fail "only $n bad documents"
run node "$V/validate.mjs" --allow-unknown "$FIX/bad/unknown-kind.yaml"
[ "$rc" -eq 0 ] && grep -q '0 objects checked, 1 of unknown kinds skipped: 0 invalid' "$TMP/out" ||
	np_fail "--allow-unknown: exit $rc: $(cat "$TMP/out")"
run node "$V/validate.mjs"
[ "$rc" -eq 2 ] || np_fail "no FILE: exit $rc, want 2"

np_log "evaluate.mjs: the reference policies get the expected verdicts"
flows=$FIX/demo-flows.json
for fmt in networkpolicy:13:25 cilium:15:23 clusternetworkpolicy:17:21; do
	IFS=: read -r name allowed denied <<<"$fmt"
	run node "$V/evaluate.mjs" --flows "$flows" --policies "$FIX/good/$name.yaml" \
		--probe-namespace intruder
	[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "$name: exit $rc"; }
	grep -qx "evaluate ($name, [0-9]* policies): 38 flows: $allowed allowed and $denied denied as expected, 0 not as expected, 0 unresolved; 0 names never resolved" \
		"$TMP/out" || np_fail "$name summary: $(cat "$TMP/out")"
	# -o json says the same.
	run node "$V/evaluate.mjs" --flows "$flows" --policies "$FIX/good/$name.yaml" -o json
	jq -e --argjson a "$allowed" '.ok and .summary.allowedAsExpected == $a and
		([.flows[] | select(.verdict == "denied")] | length) > 0' "$TMP/out" >/dev/null ||
		np_fail "$name -o json: $(head -c 600 "$TMP/out")"
done

np_log "evaluate.mjs --expect-denied: a namespace never talked to"
jq -n '{kind: "NetpolRecordFlows", version: 1,
	namespaces: [{name: "demo"}, {name: "intruder"}],
	workloads: [
		{namespace: "demo", kind: "Deployment", name: "backend", labels: {app: "backend"}, ports: [{name: "http", port: 8080}]},
		{namespace: "intruder", kind: "Deployment", name: "scanner", labels: {app: "scanner"}, ports: []}],
	flows: [
		{from: "intruder/Deployment/scanner", to: "demo/Deployment/backend", protocol: "TCP", port: 8080},
		{from: "demo/Deployment/backend", to: "intruder/Deployment/scanner", protocol: "TCP", port: 443}]}' \
	>"$TMP/intruder.json"
for name in networkpolicy cilium clusternetworkpolicy; do
	# These flows resolve no name: the name check is for recorded flows.
	run node "$V/evaluate.mjs" --flows "$TMP/intruder.json" --policies "$FIX/good/$name.yaml" --expect-denied --no-name-check
	[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "$name: intruder not denied"; }
	run node "$V/evaluate.mjs" --flows "$TMP/intruder.json" --policies "$FIX/good/$name.yaml" --no-name-check
	[ "$rc" -eq 1 ] && grep -q '^DENIED (expected allowed) intruder/Deployment/scanner -> demo/Deployment/backend TCP/8080' "$TMP/out" ||
		np_fail "$name: a denied flow expected allowed is not reported: $(cat "$TMP/out")"
done

np_log "evaluate.mjs: each variant of evaluate/ fails or passes as its header says"
for f in "$FIX"/evaluate/*.yaml; do
	base=$(sed -n 's/^# base: //p' "$f")
	args=$(sed -n 's/^# args: //p' "$f")
	want_rc=$(sed -n 's/^# exit: //p' "$f")
	want_n=$(sed -n 's/^# problems: //p' "$f")
	# shellcheck disable=SC2086
	run node "$V/evaluate.mjs" --flows "$flows" --policies "$FIX/$base" --policies "$f" $args
	[ "$rc" = "$want_rc" ] || { cat "$TMP/out"; np_fail "$(basename "$f"): exit $rc, want $want_rc"; }
	got=$(grep -cE '^(DENIED|ALLOWED|UNRESOLVED|NAME NEVER RESOLVED)' "$TMP/out" || true)
	[ "$got" = "$want_n" ] || { cat "$TMP/out"; np_fail "$(basename "$f"): $got failing lines, want $want_n"; }
	check_expected "$f"
done

np_log "the exporter on demo.sql: its output validates, its policies allow its flows"
[ -x "$CLI" ] || np_fail "$CLI missing: run make all first"
db=$TMP/records.db
sqlite3 "$db" <"$FIX/demo.sql"
for o in yaml json generated neighbors; do
	"$CLI" export -n demo --db "$db" --min-observation 1s -o "$o" >"$TMP/export.$o" 2>"$TMP/export.err" ||
		np_fail "export -o $o failed: $(cat "$TMP/export.err")"
	run node "$V/validate.mjs" "$TMP/export.$o"
	[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "export -o $o does not validate"; }
	grep -q '^validate: 4 objects checked: 0 invalid$' "$TMP/out" || np_fail "export -o $o: $(cat "$TMP/out")"
done
"$CLI" report -A --db "$db" --pod-cidr 198.18.1.0/24 --service-cidr 198.18.100.0/24 -o json \
	>"$TMP/report.json" || np_fail "report -o json failed"
sh "$V/store-facts.sh" "$db" >"$TMP/facts.json" || np_fail "store-facts.sh failed"
jq -e '.names | map(.name) | index("static.example.test.") != null' "$TMP/facts.json" >/dev/null ||
	np_fail "store-facts.sh lost a name: $(cat "$TMP/facts.json")"
for p in "$TMP/export.yaml:networkpolicy" "$TMP/export.generated:networkpolicy" \
	"$FIX/good/cilium.yaml:cilium" "$FIX/good/clusternetworkpolicy.yaml:clusternetworkpolicy"; do
	IFS=: read -r file fmt <<<"$p"
	skip=""
	# ICMP cannot be written in a NetworkPolicy nor in v0.2.0 protocols.
	[ "$fmt" = cilium ] || skip="--skip-protocol ICMP --skip-protocol ICMPv6"
	# shellcheck disable=SC2086
	run node "$V/evaluate.mjs" --flows "$TMP/report.json" --flows "$TMP/facts.json" \
		--policies "$file" --format "$fmt" --probe-namespace intruder $skip
	[ "$rc" -eq 0 ] || { cat "$TMP/out"; np_fail "$(basename "$file") ($fmt) against the report of demo.sql: exit $rc"; }
	grep -q ' 0 not as expected, 0 unresolved; 0 names never resolved' "$TMP/out" ||
		np_fail "$(basename "$file"): $(cat "$TMP/out")"
done
np_log "ok"
