#!/bin/bash
# netpol-record check against a recorded store (tests/fixtures/report/
# shop.sql): the complete policies pass (exit 0); without the api -> db
# rule the flow is named and the exit status is 1; bad input is exit 2 with
# a message naming file and line; -o json says the same for machines.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
np_setup check-cli

fix="$NP_TOP/tests/fixtures"
npr="$NP_BUILD/netpol-record"
sqlite3 "$NP_DB" <"$fix/report/shop.sql"

run() {	# run CMD...: stdout to $NP_TMP/out, stderr to err, status in rc
	set +e
	"$@" >"$NP_TMP/out" 2>"$NP_TMP/err"
	rc=$?
	set -e
}

np_log "complete policies: nothing denied"
run "$npr" check --db "$NP_DB" -n shop \
	--policies "$fix/report/policies-complete.yaml"
[ "$rc" -eq 0 ] || { cat "$NP_TMP/out" "$NP_TMP/err"; np_fail "exit $rc, want 0"; }
grep -q '^12 recorded flows checked against 4 NetworkPolicies: 0 denied, 0 unresolved$' \
	"$NP_TMP/out" || np_fail "summary line: $(cat "$NP_TMP/out")"
grep -q '^note: 1 allowed flow: from a node: ' "$NP_TMP/out" ||
	np_fail "the kubelet probe allowed by the platform is not noted"

np_log "one rule removed: that flow is denied and named"
mkdir -p "$NP_TMP/pol"
sed '/# BEGIN api-to-db/,/# END api-to-db/d' \
	"$fix/report/policies-complete.yaml" >"$NP_TMP/pol/shop.yaml"
run "$npr" check --db "$NP_DB" -n shop --policies "$NP_TMP/pol"
[ "$rc" -eq 1 ] || { cat "$NP_TMP/out" "$NP_TMP/err"; np_fail "exit $rc, want 1"; }
grep -q '^DENIED  *shop/Deployment/api egress to shop/StatefulSet/db TCP/5432  last seen 2026-11-21T21:53:20Z  count 40$' \
	"$NP_TMP/out" || np_fail "denied flow not named: $(cat "$NP_TMP/out")"
grep -q 'egress policies selecting it: shop/default-deny, shop/api$' \
	"$NP_TMP/out" || np_fail "selecting policies not named"
[ "$(grep -c '^DENIED' "$NP_TMP/out")" -eq 1 ] || np_fail "more than one denial"

np_log "the same as JSON, and from standard input"
run "$npr" check --db "$NP_DB" -n shop --policies - -o json \
	<"$NP_TMP/pol/shop.yaml"
[ "$rc" -eq 1 ] || np_fail "json: exit $rc, want 1"
jq -e '.denied == 1 and .unresolved == 0 and (.items | length) == 1 and
	.items[0].workload == "shop/Deployment/api" and
	.items[0].direction == "egress" and
	.items[0].peer.id == "shop/StatefulSet/db" and
	.items[0].protocol == "TCP" and .items[0].port == 5432 and
	.items[0].count == 40 and
	.items[0].policies == ["shop/default-deny", "shop/api"]' \
	"$NP_TMP/out" >/dev/null || np_fail "json: $(cat "$NP_TMP/out")"

np_log "the ingress side: the db no longer admits the api"
sed 's/{app: api}   # db-from-api/{app: not-api}/' \
	"$fix/report/policies-complete.yaml" >"$NP_TMP/pol/shop.yaml"
run "$npr" check --db "$NP_DB" -n shop --policies "$NP_TMP/pol/shop.yaml"
[ "$rc" -eq 1 ] || np_fail "ingress: exit $rc, want 1"
grep -q '^DENIED  *shop/StatefulSet/db ingress from shop/Deployment/api TCP/5432' \
	"$NP_TMP/out" || np_fail "ingress denial: $(cat "$NP_TMP/out")"

np_log "a namespaceSelector on a label the store does not know: unresolved"
sed 's/- namespaceSelector: {}$/- namespaceSelector: {matchLabels: {tier: platform}}/' \
	"$fix/report/policies-complete.yaml" >"$NP_TMP/pol/shop.yaml"
grep -q 'tier: platform' "$NP_TMP/pol/shop.yaml" || np_fail "sed changed nothing"
run "$npr" check --db "$NP_DB" -n shop --policies "$NP_TMP/pol/shop.yaml"
[ "$rc" -eq 0 ] || np_fail "unresolved only: exit $rc, want 0"
grep -q '^UNRESOLVED shop/Deployment/api egress to kube-system/Deployment/coredns UDP/53 ' \
	"$NP_TMP/out" || np_fail "unresolved flow not listed: $(cat "$NP_TMP/out")"
grep -q 'note: a namespaceSelector on labels other than kubernetes.io/metadata.name' \
	"$NP_TMP/out" || np_fail "no note on the namespace labels"
run "$npr" check --db "$NP_DB" -n shop --policies "$NP_TMP/pol/shop.yaml" --strict
[ "$rc" -eq 1 ] || np_fail "--strict with an unresolved flow: exit $rc, want 1"
run "$npr" check --db "$NP_DB" -n shop --policies "$NP_TMP/pol/shop.yaml" \
	--namespace-labels "$fix/policies/namespaces.yaml" --strict
[ "$rc" -eq 0 ] || np_fail "with namespace labels: exit $rc, want 0: $(cat "$NP_TMP/out")"
grep -q ' 0 denied, 0 unresolved$' "$NP_TMP/out" || np_fail "labels did not decide it"

np_log "all namespaces: kube-system has no policy, nothing more denied"
run "$npr" check --db "$NP_DB" -A \
	--policies "$fix/report/policies-complete.yaml"
[ "$rc" -eq 0 ] || np_fail "-A: exit $rc, want 0: $(cat "$NP_TMP/out")"

np_log "input errors are exit 2 with file:line:column"
printf 'kind: NetworkPolicy\nmetadata: {name: x\n' >"$NP_TMP/bad.yaml"
run "$npr" check --db "$NP_DB" -n shop --policies "$NP_TMP/bad.yaml"
[ "$rc" -eq 2 ] || np_fail "bad YAML: exit $rc, want 2"
grep -q "$NP_TMP/bad.yaml:[0-9]*:[0-9]*: " "$NP_TMP/err" ||
	np_fail "bad YAML message: $(cat "$NP_TMP/err")"
run "$npr" check --db "$NP_DB" -n shop \
	--policies "$fix/policies/bad/invalid.yaml"
[ "$rc" -eq 2 ] || np_fail "invalid policy: exit $rc, want 2"
grep -q 'NetworkPolicy shop/invalid: spec.ingress\[0\].from\[0\]: ipBlock cannot be combined' \
	"$NP_TMP/err" || np_fail "invalid policy message: $(cat "$NP_TMP/err")"
run "$npr" check --db "$NP_DB" -n shop
[ "$rc" -eq 2 ] || np_fail "no --policies: exit $rc, want 2"
run "$npr" check --db "$NP_DB" -n nowhere \
	--policies "$fix/report/policies-complete.yaml"
[ "$rc" -eq 2 ] || np_fail "unknown namespace: exit $rc, want 2"
grep -q "nowhere" "$NP_TMP/err" || np_fail "unknown namespace not named"
run "$npr" check --db "$NP_TMP/missing.db" -n shop \
	--policies "$fix/report/policies-complete.yaml"
[ "$rc" -eq 2 ] || np_fail "missing store: exit $rc, want 2"

np_log "ok"
