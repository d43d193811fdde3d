#!/bin/bash
# netpol-record report -o html, loaded by headless Chromium: one
# self-contained file (no fetches: the resolver is broken on purpose and
# the page's CSP forbids them), no console errors, the topology drawn by
# Graphviz with the denied flows in red, sortable and filterable tables
# that work, and a screenshot kept in $NP_BUILD/test-logs/report_html.png
# for a human. (test_report_browser.sh checks the drawing's geometry and
# the page's interaction on larger reports.)
# Also: -o json has the documented fields, text and markdown say the same.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
np_setup report-html

command -v chromium >/dev/null || np_fail "chromium is not installed (install/deps.sh)"
fix="$NP_TOP/tests/fixtures"
npr="$NP_BUILD/netpol-record"
sqlite3 "$NP_DB" <"$fix/report/shop.sql"
html="$NP_TMP/report.html"

"$npr" report --db "$NP_DB" -n shop --policies "$fix/policies/shop" \
	--pod-cidr 198.18.1.0/24 --service-cidr 10.96.0.0/12 \
	-o html --out "$html"
[ -s "$html" ] || np_fail "no report written"

np_log "self-contained: nothing refers to another file or host"
if grep -Eo '[[:space:]](src|href|action|xlink:href)="[^"#][^"]*"|url\([^)#]|@import' "$html"; then
	np_fail "the page refers to something outside itself"
fi
if grep -o 'https\?://[^"<]*' "$html" | grep -v '^http://www.w3.org/2000/svg$'; then
	np_fail "the page names a URL"
fi

chrome() {	# chrome OUT ARGS...: headless Chromium, log in OUT.log
	local out=$1 prof
	shift
	prof=$(mktemp -d "$NP_TMP/chrome.XXXXXX")
	timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--host-resolver-rules="MAP * ~NOTFOUND" \
		--user-data-dir="$prof" --enable-logging=stderr --v=0 \
		--window-size=1400,1000 "$@" >"$out" 2>"$out.log" ||
		np_fail "chromium failed: $(tail -5 "$out.log")"
}

np_log "the console catches errors (so that a clean log means something)"
sed 's|</body>|<script>no_such_function();</script></body>|' "$html" \
	>"$NP_TMP/broken.html"
chrome "$NP_TMP/broken.dom" --dump-dom "file://$NP_TMP/broken.html"
grep -q ':CONSOLE.*Uncaught ReferenceError' "$NP_TMP/broken.dom.log" ||
	np_fail "an injected error did not show in the log"

np_log "the report loads without console messages"
chrome "$NP_TMP/dom.html" --dump-dom "file://$html"
if grep -E ':CONSOLE|Uncaught|ERR_' "$NP_TMP/dom.html.log"; then
	np_fail "console messages while loading the report"
fi

np_log "the drawing: every workload and address, denied pairs in red"
dom="$NP_TMP/dom.html"
grep -q '<svg[^>]*id="topology"' "$dom" || np_fail "no topology svg"
# Graphviz's nodes, titled for people (no internal ids): the workloads,
# the KnownServer's address under its server, the others by class.
for t in 'shop/Deployment/api (Deployment)' \
	'shop/Deployment/frontend (Deployment)' \
	'shop/StatefulSet/db (StatefulSet)' \
	'kube-system/Deployment/coredns (Deployment)' \
	'pay.example.com: 203.0.113.10 (external)' \
	'198.51.100.7 (external)' '10.96.7.7 (internal)' \
	'203.0.113.200 (external)' 'nodes: 198.18.0.1 (node)'; do
	grep -qF "<title>$t</title>" "$dom" || np_fail "no box titled $t"
done
if grep -q '<title>[^<]*addr:' "$dom"; then
	np_fail "an internal id in a title"
fi
# api -> coredns, db, 198.51.100.7, pay.example.com; frontend ->
# pay.example.com (ICMP); db -> 10.96.7.7. The node's probe and the rest
# are allowed.
n=$(grep -c '<g id="e[0-9]*" class="edge denied">' "$dom")
[ "$n" -eq 6 ] || np_fail "$n red arrows, want 6"
grep -A2 '<g id="e[0-9]*" class="edge denied">' "$dom" |
	grep -qF '<title>shop/Deployment/api → shop/StatefulSet/db: TCP/5432' ||
	np_fail "api -> db is not red"
grep -A3 '<g id="e[0-9]*" class="edge denied">' "$dom" |
	grep -q 'stroke="#d32f2f"' || np_fail "denied arrows are not drawn red"
n=$(grep -c '<g id="e[0-9]*" class="edge allowed">' "$dom")
[ "$n" -eq 4 ] || np_fail "$n allowed arrows, want 4"
n=$(grep -c '<tr class="denied"' "$dom")
[ "$n" -eq 14 ] || np_fail "$n denied rows, want 7 in each of two tables"

np_log "tables sort and filter"
sed 's|</body>|<script>(function(){var t=document.getElementById("t-flows"),h=t.tHead.rows[0].cells,c=-1,i,r=[];for(i=0;i<h.length;i++)if(h[i].textContent==="Count")c=i;h[c].click();r.push(t.tBodies[0].rows[0].cells[c].textContent);h[c].click();r.push(t.tBodies[0].rows[0].cells[c].textContent);var f=document.querySelector("input.filter");f.value="pay.example";f.dispatchEvent(new Event("input"));var v=0;Array.prototype.forEach.call(t.tBodies[0].rows,function(x){if(x.style.display!=="none")v++;});r.push(v);document.body.setAttribute("data-selftest",r.join(","));})();</script></body>|' \
	"$html" >"$NP_TMP/selftest.html"
chrome "$NP_TMP/selftest.dom" --dump-dom "file://$NP_TMP/selftest.html"
grep -q 'data-selftest="2,1000,2"' "$NP_TMP/selftest.dom" ||
	np_fail "sorting/filtering: $(grep -o 'data-selftest="[^"]*"' "$NP_TMP/selftest.dom" || echo none) $(grep CONSOLE "$NP_TMP/selftest.dom.log")"

np_log "a screenshot"
mkdir -p "$NP_BUILD/test-logs"
shot="$NP_BUILD/test-logs/report_html.png"
rm -f "$shot"
chrome "$NP_TMP/shot.out" --screenshot="$shot" "file://$html"
[ "$(stat -c %s "$shot")" -gt 20000 ] || np_fail "the screenshot is (nearly) empty"
np_log "screenshot: $shot"

np_log "-o json: the documented fields"
"$npr" report --db "$NP_DB" -n shop --policies "$fix/policies/shop" \
	--pod-cidr 198.18.1.0/24 --service-cidr 10.96.0.0/12 -o json \
	>"$NP_TMP/report.json"
jq -e '.schemaVersion == 1 and .kind == "NetpolRecordReport" and
	.scope.namespace == "shop" and
	.window.since == "2026-11-18T11:06:40Z" and
	.window.recordingStarted == "2026-11-18T11:06:40Z" and
	.completeness.eventsLost == 12 and
	.summary.workloads == 3 and .summary.flows == 12 and
	.summary.denied == 7 and .summary.unselected == 0 and
	([.namespaces[].workloads[].id] ==
	  ["shop/Deployment/api", "shop/Deployment/frontend",
	   "shop/StatefulSet/db"]) and
	(.namespaces[0].workloads[1].egress[] |
	  select(.peer.id == "shop/Deployment/api") |
	  .service == {"address": "10.96.0.20", "port": 80} and
	  .port == 8080 and .verdict == "allowed") and
	(.namespaces[0].workloads[2].observation.predatesRecording == true) and
	([.addresses[] | {(.address): .class}] | add) ==
	  {"10.96.7.7": "internal", "198.18.0.1": "node",
	   "198.51.100.7": "external", "203.0.113.10": "external",
	   "203.0.113.200": "external"} and
	(.addresses[] | select(.address == "203.0.113.10") |
	  .knownServer.server == "pay.example.com" and
	  .knownServer.cidr == "203.0.113.0/25" and
	  .dnsNames == ["pay.example.com."] and .unnamed == false) and
	(.addresses[] | select(.address == "198.51.100.7") | .unnamed) and
	(.denied | length) == 7 and
	(.denied[] | select(.workload == "shop/Deployment/api" and
	  .peer.id == "shop/StatefulSet/db") | .allowRule ==
	  {"policy": "shop/deployment-api", "spec": {"egress": [{"to":
	   [{"podSelector": {"matchLabels": {"app": "db"}}}],
	   "ports": [{"port": 5432, "protocol": "TCP"}]}]}}) and
	([.denied[] | select(.protocol == "ICMP") | .allowRule] == [null])' \
	"$NP_TMP/report.json" >/dev/null ||
	np_fail "json report lacks documented fields"

np_log "text and markdown"
"$npr" report --db "$NP_DB" -n shop --policies "$fix/policies/shop" \
	>"$NP_TMP/report.txt"
grep -q '^DENIED     shop/Deployment/api egress to shop/StatefulSet/db TCP/5432' \
	"$NP_TMP/report.txt" || np_fail "text report lacks the denied flow"
grep -q 'via Service 10.96.0.20:80' "$NP_TMP/report.txt" ||
	np_fail "text report lacks the Service"
"$npr" report --db "$NP_DB" -n shop -o markdown --out "$NP_TMP/report.md"
grep -q '^# Network traffic report: namespace shop$' "$NP_TMP/report.md" ||
	np_fail "markdown title"
grep -q '^| egress | shop/Deployment/api | TCP/8080 | 10.96.0.20:80 | 120 |' \
	"$NP_TMP/report.md" || np_fail "markdown flow row"
if grep -q 'Recorded flows the policies would deny' "$NP_TMP/report.md"; then
	np_fail "markdown without --policies talks about denials"
fi
np_log "ok"
