#!/bin/bash
# check end to end with the real plugin and daemon: record traffic in a
# node made of namespaces, export NetworkPolicies, `check` the export
# against what was recorded (exit 0), remove one rule, `check` again (exit
# 1 naming the flow that rule allowed, and nothing else). Then the HTML
# report of the live recording, with the broken policies, in headless
# Chromium: no console messages, the denied pair drawn in red.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

np_setup check_e2e
plugin='{"type":"netpol-record-cni","db":"'"$NP_DB"'"}'
br=$(np_conflist bridge "$plugin")
pod_args() { echo "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=$1;K8S_POD_UID=uid-$1"; }
np_pod client "$br" "$(pod_args client-5f6d-aaaaa)"
np_pod backend "$br" "$(pod_args backend-6c7b-bbbbb)"
np_ext api 203.0.113.10 2001:db8:ff::10
c4=$(np_pod_ip client 4); c6=$(np_pod_ip client 6)
b4=$(np_pod_ip backend 4); b6=$(np_pod_ip backend 6)
np_log "client=$c4 backend=$b4"

# Deployment -> ReplicaSet -> Pod, as the API server would list them.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
deploy() { np_meta_deployment shop "$1" "$2" "$3" "$4" "$5" "$now"; }
meta="$NP_TMP/cluster.json"
{
	echo '{"apiVersion":"v1","kind":"List","items":['
	echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"kubernetes.io/metadata.name":"shop"}}},'
	deploy client 5f6d client-5f6d-aaaaa "$c4" "$c6"; echo ,
	deploy backend 6c7b backend-6c7b-bbbbb "$b4" "$b6"
	echo ']}'
} >"$meta"

conf="$NP_TMP/recorderd.yaml"
np_rd_conf "$conf" "metadata: {source: file, file: $meta}" \
	"log: {file: $NP_RD_LOG, level: debug}"
np_rd_start "$conf"

np_bg backend socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=0 SYSTEM:'echo hi' >/dev/null
np_bg api socat TCP6-LISTEN:443,fork,reuseaddr,ipv6only=0 SYSTEM:'echo api' >/dev/null
np_wait_port backend 8080
np_wait_port api 443

np_log "recording: client -> backend:8080 (v4, v6), client -> api:443"
np_in client socat -T3 - TCP4:"$b4":8080 </dev/null >/dev/null
np_in client socat -T3 - TCP6:["$b6"]:8080 </dev/null >/dev/null
np_in client socat -T3 - TCP4:203.0.113.10:443 </dev/null >/dev/null
# Wait (bounded) until the daemon has flushed both kinds of flow.
rec="$NP_BUILD/netpol-record"
for _ in $(seq 50); do
	n=$("$rec" report --db "$NP_DB" -n shop -o json 2>/dev/null |
		jq '[.namespaces[].workloads[].egress[]] | length' 2>/dev/null ||
		echo 0)
	[ "${n:-0}" -ge 2 ] && break
	sleep 0.2
done

np_log "export, then check the export against the recording: exit 0"
pol="$NP_TMP/policies.json"
"$rec" export --db "$NP_DB" -n shop -o json >"$pol" 2>"$NP_TMP/export.err" ||
	{ cat "$NP_TMP/export.err" >&2; np_fail "export failed"; }
set +e
"$rec" check --db "$NP_DB" -n shop --policies "$pol" >"$NP_TMP/check1.out" 2>&1
rc=$?
set -e
cat "$NP_TMP/check1.out" >&2
[ "$rc" -eq 0 ] || np_fail "check of the export: exit $rc, want 0"
grep -q ' 0 denied, 0 unresolved$' "$NP_TMP/check1.out" ||
	np_fail "check of the export: unexpected summary"

np_log "remove the backend's ingress rule for the client: exit 1, that flow"
jq '(if .kind == "List" then .items[] else . end
	| select(.metadata.name == "deployment-backend") | .spec.ingress) |=
	map(select([.from[]?.podSelector.matchLabels.app] | index("client") | not))' \
	"$pol" >"$NP_TMP/broken.json"
cmp -s "$pol" "$NP_TMP/broken.json" && np_fail "jq removed nothing"
set +e
"$rec" check --db "$NP_DB" -n shop --policies "$NP_TMP/broken.json" \
	>"$NP_TMP/check2.out" 2>&1
rc=$?
set -e
cat "$NP_TMP/check2.out" >&2
[ "$rc" -eq 1 ] || np_fail "check without the rule: exit $rc, want 1"
grep -q '^DENIED  *shop/Deployment/backend ingress from shop/Deployment/client TCP/8080 ' \
	"$NP_TMP/check2.out" || np_fail "the client -> backend flow is not named"
grep -q 'ingress policies selecting it: shop/deployment-backend$' \
	"$NP_TMP/check2.out" || np_fail "the backend's policy is not named"
[ "$(grep -c '^DENIED' "$NP_TMP/check2.out")" -eq 1 ] ||
	np_fail "more than the one flow denied"

np_log "the HTML report of the recording shows the denied pair in red"
html="$NP_TMP/report.html"
"$rec" report --db "$NP_DB" -n shop --policies "$NP_TMP/broken.json" \
	--pod-cidr 198.18.1.0/24 -o html --out "$html"
if command -v chromium >/dev/null; then
	prof=$(mktemp -d "$NP_TMP/chrome.XXXXXX")
	timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$prof" \
		--enable-logging=stderr --v=0 --window-size=1400,1000 \
		--dump-dom "file://$html" >"$NP_TMP/dom.html" 2>"$NP_TMP/chrome.log" ||
		np_fail "chromium failed"
	if grep -E ':CONSOLE|Uncaught' "$NP_TMP/chrome.log"; then
		np_fail "console messages in the live report"
	fi
	dom="$NP_TMP/dom.html"
else
	np_log "chromium missing: checking the file itself"
	dom="$html"
fi
# Graphviz's edges and nodes, with the report's titles.
grep -A1 '<g id="e[0-9]*" class="edge denied">' "$dom" |
	grep -qF '<title>shop/Deployment/client → shop/Deployment/backend:' ||
	np_fail "client -> backend is not drawn in red"
[ "$(grep -c '<g id="e[0-9]*" class="edge denied">' "$dom")" -eq 1 ] ||
	np_fail "other arrows drawn red"
grep -A1 '<g id="n[0-9]*" class="node [^"]*">' "$dom" |
	grep -q '<title>[^<]*203\.0\.113\.10' ||
	np_fail "the external server is not drawn"
np_log "ok"
