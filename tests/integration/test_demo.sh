#!/bin/bash
# make demo, checked: run the demo into a directory of our own, then read
# the store it kept and the policies it wrote, and assert the rules a user
# expects from the demo's traffic (post-DNAT ports, the DNS rule for UDP and
# TCP, the KnownServer CIDR, no per-pod labels in selectors). The demo
# itself fails when `netpol-record check` of its export does not exit 0.
# The demo is reproducible from what it prints: its export command, run
# again against the directory it leaves, gives the policies it printed,
# with no warning; the report names a store that is still there.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${NP_BUILD:-$top/build}
out=$(mktemp -d /tmp/netpol-record-demo-test.XXXXXX)
trap 'rm -rf "$out"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

DEMO_OUT=$out NP_BUILD=$B bash "$top/tests/demo/demo.sh" >"$out/demo.log" 2>&1 ||
	{ tail -n 40 "$out/demo.log"; fail "make demo failed"; }
grep -q "0 denied, 0 unresolved" "$out/demo.log" ||
	fail "the demo's check did not pass every flow"
[ -s "$out/report.html" ] || fail "no HTML report"
grep -q "^kind: NetworkPolicy" "$out/policies.yaml" || fail "no policies"

# The export command as the demo printed it ("$ ... > FILE"), run again
# without the redirection: the same policies as the demo printed after
# "$ cat FILE", and no warning (the KnownServers are in the saved store,
# the observation flag is printed).
line=$(grep -E '^\$ .* export .* > ' "$out/demo.log" | head -n 1)
[ -n "$line" ] || fail "the demo printed no export command"
cmd=${line#\$ }
file=${cmd##* > }
cmd=${cmd% > *}
[ "$file" = "$out/policies.yaml" ] || fail "the printed export writes $file, not $out/policies.yaml"
printed=$(awk -v c="\$ cat $file" '$0 == c {on = 1; next} on && /^(==>|\$ )/ {exit} on' "$out/demo.log")
[ -n "$printed" ] || fail "the demo did not print the policies after its export"
bash -c "$cmd" >"$out/rerun.yaml" 2>"$out/rerun.err" ||
	fail "the printed export failed: $cmd: $(cat "$out/rerun.err")"
[ "$(cat "$out/rerun.yaml")" = "$printed" ] ||
	{ diff <(echo "$printed") "$out/rerun.yaml" >&2 || true; fail "the printed export gives other policies than the demo printed: $cmd"; }
! grep -qi warn "$out/rerun.err" || fail "the printed export warns: $(cat "$out/rerun.err")"
grep -q "203.0.113.0/24" "$out/rerun.yaml" || fail "the printed export has no KnownServer CIDR"

# The reports name the store the demo leaves, and it is there.
store=$(sed -n 's/^stores: *//p' "$out/demo.log" | head -n 1)
[ "$store" = "$out/records.db" ] || fail "the text report names the store '$store', not $out/records.db"
grep -qF "<code>$store</code>" "$out/report.html" || fail "report.html does not name the store $store"
[ -f "$store" ] || fail "the store the reports name, $store, is gone"

J=$("$B/netpol-record" export -n demo --db "$out/records.db" --min-observation 1s -o json 2>/dev/null)
pol() { jq -c --arg n "$1" '[.items[]? // .] | map(select(.metadata.name == $n))[0]' <<<"$J"; }
has() { # policy jq-filter description
	local p
	p=$(pol "$1")
	[ "$p" != null ] || fail "no policy $1"
	jq -e "$2" <<<"$p" >/dev/null || { jq . <<<"$p" >&2; fail "$1: $3"; }
}

names=$(jq -r '[.items[]? // .] | map(.metadata.name) | sort | join(" ")' <<<"$J")
[ "$names" = "cronjob-report daemonset-metrics deployment-backend deployment-frontend statefulset-db" ] ||
	fail "policies are: $names"

has deployment-frontend '.spec.podSelector.matchLabels == {"app":"frontend"}' "selector"
has deployment-frontend '.spec.egress | any((.to | any(.podSelector.matchLabels.app == "backend")) and .ports == [{"port":8080,"protocol":"TCP"}])' \
	"egress to backend on the Service's targetPort 8080 (not 80)"
has deployment-frontend '.spec.ingress | any((.from | any(.podSelector.matchLabels.app == "metrics")) and .ports[0].port == 9090)' \
	"ingress from metrics on 9090"
has deployment-backend '.spec.ingress | any(.from | any(.podSelector.matchLabels.app == "frontend"))' "ingress from frontend"
has deployment-backend '.spec.ingress | any(.from | any(.podSelector.matchLabels.app == "report"))' "ingress from the CronJob"
has deployment-backend '.spec.egress | any((.to | any(.podSelector.matchLabels.app == "db")) and .ports == [{"port":5432,"protocol":"TCP"}])' \
	"egress to db 5432"
has deployment-backend '.spec.egress | any((.to | any(.ipBlock.cidr == "203.0.113.0/24")) and .ports[0].port == 443)' \
	"egress to the KnownServer CIDR on 443"
has deployment-backend '.spec.egress | any(.to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"] == "kube-system"
	and .to[0].podSelector.matchLabels["k8s-app"] == "kube-dns"
	and (.ports | any(.protocol == "UDP" and .port == 53)) and (.ports | any(.protocol == "TCP" and .port == 53)))' \
	"DNS egress for UDP and TCP 53"
has statefulset-db '.spec.podSelector.matchLabels == {"app":"db"}' "selector without per-pod labels"
has statefulset-db '.spec.ingress | any((.from | any(.podSelector.matchLabels.app == "backend")) and .ports[0].port == 5432)' "ingress from backend"
has statefulset-db '(.spec.egress // []) == [] and (.spec.policyTypes | index("Egress") != null)' "egress denied (none recorded)"
has daemonset-metrics '.spec.egress | any((.to | any(.podSelector.matchLabels.app == "frontend")) and .ports[0].port == 9090)' "scrapes frontend"
has cronjob-report '.spec.podSelector.matchLabels == {"app":"report"}' "CronJob selector from the template, no job-name/controller-uid"
echo "demo ok: $(grep -c '^kind: NetworkPolicy' "$out/policies.yaml") policies, check passed"
