#!/bin/bash
# The cluster source (cli/source/cluster_source.c) against the test API
# server over TLS (tests/tools/fake_apiserver.py, in the test's node
# netns), fed with the objects a publisher would write for the stores of
# the golden cases: tests/tools/store2tp.py is a fixture generator (the
# documented mapping, stores -> TrafficProfiles), not the publisher; the
# three-node proof with real recorders is test_cluster_export.sh.
#
#  1. every golden case that reads stores (export in every format, check,
#     report in every format) gives from the cluster what it gives from
#     the stores, byte for byte, apart from the lines that name the source;
#  2. KnownServer objects (ours, applied by known-servers import
#     --cluster, and Kubescape's, found by discovery) widen addresses
#     as the same documents given as a file;
#  3. 2,500 profiles listed 500 a page give what one page gives;
#  4. errors a user can act on: 401, 403 (verb and resource), the CRD not
#     installed, a server that hangs (--request-timeout), a malformed
#     object (named, skipped, counted), no kubeconfig, a namespace with no
#     profiles (did you mean, and which recorders publish), --db with
#     --cluster;
#  5. a node that stopped publishing: the completeness warning in the
#     policies, the report and status --cluster;
#  6. exec credential plugins (a token, a client certificate) and
#     `kubectl netpol-record` through kubectl's plugin mechanism, with the
#     cluster as its default source;
#  7. a peer in another namespace described by its own profile (one
#     request for it, none for the peers described inline), and one that
#     none describes (no profile; its namespace forbidden): the warning,
#     and no rule for it.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lapi.sh"
np_setup clsrc

TOP=$NP_TOP
B=${NP_BUILD:-$TOP/build}
T=$NP_TMP
G=$TOP/tests/fixtures/golden
NPR=$B/netpol-record
[ -x "$NPR" ] || np_fail "build/netpol-record missing (run make)"
command -v sqlite3 >/dev/null || np_fail "sqlite3 is not installed"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset KUBECONFIG NETPOL_RECORD_DB

np_lapi_start --crd "$TOP/tests/fixtures/k8s/kubescape-knownservers-crd.yaml"
KC=$T/kubeconfig
np_lapi_kubeconfig "$KC"

# npr ARGS...: the CLI in the node (where the server is), in $T/g.
npr() { (cd "$T/g" && np_node env HOME="$T/home" "$NPR" "$@"); }
mkdir -p "$T/home" "$T/g"

# ---- the stores of the golden cases -----------------------------------------
# Each gets a node name (the publisher names its node; a store without one
# would be "the store X (node unknown)" in its notes). Workloads recorded
# without a single flow are dropped from the copies: no publisher writes a
# profile without entries (the CRD wants at least one), so the cluster
# does not know them, and their deny-all policies are the one documented
# difference (install/kubernetes/README.md).
for sql in "$G"/stores/*.sql; do
	b=$(basename "$sql" .sql)
	sqlite3 "$T/g/$b.db" <"$sql"
	sqlite3 "$T/g/$b.db" "INSERT OR REPLACE INTO meta VALUES ('node_name', 'n-$(echo "$b" | tr _ -)');
		DELETE FROM workloads WHERE id NOT IN (SELECT workload_id FROM flows)
		AND id NOT IN (SELECT peer_workload_id FROM flows WHERE peer_kind = 0);"
done
ln -s "$G" "$T/g/golden"
ln -s "$TOP/tests/fixtures" "$T/g/fixtures"

# Masks the report's generation time and the lines that name the source:
# "stores:"/"cluster:" (text), the Cluster row (markdown), the header's
# stores or cluster (HTML), "stores" and "cluster" (JSON).
norm() {
	sed -E -e 's/^( *"generatedAt": )"[0-9T:Z-]+"/\1"(now)"/' \
		-e 's/ generated [0-9T:Z-]+ &middot;/ generated (now) \&middot;/' \
		-e '/^(stores|cluster): /d' -e '/^\| Cluster \|/d' \
		-e 's/&middot; (stores|cluster) <code>.*<\/code><\/div><\/header>/\&middot; SOURCE<\/div><\/header>/' \
		-e '/^  "stores": \[/,/^  \],?$/d' -e '/^  "cluster": /d' "$1"
}

np_log "1. the golden cases from the cluster equal those from the stores"
loaded="" n=0
while read -r name rest; do
	case "$name" in ''|'#'*) continue ;; esac
	case "$rest" in *--db*) ;; *) continue ;; esac
	case "$rest" in known-servers*|status*) continue ;; esac
	eval "args=($rest)"
	dbs=() cargs=() i=0
	while [ "$i" -lt "${#args[@]}" ]; do
		if [ "${args[$i]}" = --db ]; then
			dbs+=("$T/g/${args[$((i + 1))]}")
			i=$((i + 2))
			continue
		fi
		cargs+=("${args[$i]}")
		i=$((i + 1))
	done
	if [ "${dbs[*]}" != "$loaded" ]; then
		np_lapi_reset
		/usr/bin/python3 "$TOP/tests/tools/store2tp.py" "${dbs[@]}" >"$T/seed.json"
		np_lapi_load "$T/seed.json"
		loaded="${dbs[*]}"
	fi
	set +e
	npr "${args[@]}" >"$T/s.out" 2>"$T/s.err"
	src=$?
	npr "${cargs[@]}" --kubeconfig "$KC" >"$T/c.out" 2>"$T/c.err"
	crc=$?
	set -e
	grep -q "^netpol-record [a-z]*: read the cluster $NP_LAPI_URL (context test of $KC): " "$T/c.err" ||
		[ "$crc" -ne 0 ] || np_fail "$name: stderr does not name the cluster: $(head -n 3 "$T/c.err")"
	grep -v ": read the cluster " "$T/c.err" >"$T/c.err2" || true
	norm "$T/s.out" >"$T/s.n"
	norm "$T/c.out" >"$T/c.n"
	if [ "$src" -ne "$crc" ] || ! cmp -s "$T/s.n" "$T/c.n" ||
		! cmp -s "$T/s.err" "$T/c.err2"; then
		diff "$T/s.n" "$T/c.n" | head -n 20 >&2 || true
		diff "$T/s.err" "$T/c.err2" | head -n 10 >&2 || true
		np_fail "$name: the cluster's output differs from the stores' (exit $src vs $crc)"
	fi
	n=$((n + 1))
done <"$G/cases"
[ "$n" -ge 80 ] || np_fail "only $n golden cases compared"
np_log "   $n cases identical"
# The report says which source it read.
npr report --kubeconfig "$KC" -n shop -o json >"$T/r.json" 2>/dev/null
grep -q "^  \"cluster\": \"$NP_LAPI_URL (context test of $KC)\",$" "$T/r.json" ||
	np_fail "the report JSON does not name the cluster"
npr report --kubeconfig "$KC" -n shop >"$T/r.txt" 2>/dev/null
grep -q "^cluster:     $NP_LAPI_URL" "$T/r.txt" || np_fail "the text report does not name the cluster"

np_log "2. KnownServers of the cluster widen addresses like a file"
# unit_node1 holds pay.example.com at 198.51.100.23; the store's own
# KnownServers are left out of the objects, so only ours apply.
np_lapi_reset
/usr/bin/python3 "$TOP/tests/tools/store2tp.py" --no-known-servers "$T/g/unit_node1.db" >"$T/seed.json"
np_lapi_load "$T/seed.json"
sqlite3 "$T/g/unit_node1.db" "DELETE FROM known_servers"
KS=$TOP/tests/fixtures/k8s/knownserver.yaml
npr export --db unit_node1.db -n shop --known-servers "$KS" >"$T/ks.file" 2>/dev/null
npr export --kubeconfig "$KC" -n shop >"$T/ks.none" 2>/dev/null
! cmp -s "$T/ks.file" "$T/ks.none" || np_fail "the KnownServer file changes nothing: a test that cannot fail"
grep -q 'cidr: 198.51.100.0/24' "$T/ks.file" || np_fail "the file did not widen 198.51.100.23"
npr known-servers import --kubeconfig "$KC" "$KS" >"$T/imp.out" ||
	np_fail "known-servers import --cluster failed"
grep -q "^KnownServer payments created in $NP_LAPI_URL" "$T/imp.out" || np_fail "import said: $(cat "$T/imp.out")"
np_lapi_get /apis/netpol-record.io/v1alpha1/knownservers/payments | grep -q '"manager": "netpol-record"' ||
	np_fail "the KnownServer was not applied by our field manager"
npr known-servers import --kubeconfig "$KC" "$KS" | grep -q "^KnownServer payments updated" ||
	np_fail "a second import is not an update"
npr export --kubeconfig "$KC" -n shop >"$T/ks.ours" 2>/dev/null
cmp -s "$T/ks.file" "$T/ks.ours" || { diff "$T/ks.file" "$T/ks.ours" >&2; np_fail "ours does not widen as the file does"; }
# Kubescape's (found by discovery) instead of ours.
np_lapi_reset
np_lapi_load "$T/seed.json"
sed 's/^apiVersion: .*/apiVersion: spdx.softwarecomposition.kubescape.io\/v1beta1/' "$KS" |
	/usr/bin/python3 -c 'import json, sys, yaml
print(json.dumps({"items": [d for d in yaml.safe_load_all(sys.stdin) if d]}))' >"$T/ksk.json"
np_lapi_load "$T/ksk.json"
npr export --kubeconfig "$KC" -n shop >"$T/ks.kubescape" 2>/dev/null
cmp -s "$T/ks.file" "$T/ks.kubescape" || { diff "$T/ks.file" "$T/ks.kubescape" >&2; np_fail "Kubescape's does not widen as the file does"; }

np_log "3. paging: 2,500 profiles, 500 a page, equal one page"
np_lapi_reset
/usr/bin/python3 - "$T/bulk.json" "$TOP" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[2] + "/tests/tools")
import fakeapi_schema as fs
items = []
for i in range(2500):
    node = "node-%d" % (i % 3)
    name = "app-%04d" % (i // 3)
    peer = "app-%04d" % ((i // 3 + 1) % 834)
    items.append({"apiVersion": "netpol-record.io/v1alpha1",
        "kind": "TrafficProfile",
        "metadata": {"name": fs.profile_name("Deployment", name, node),
                     "namespace": "bulk",
                     "labels": {"netpol-record.io/workload-kind": "Deployment",
                                "netpol-record.io/workload-name": name,
                                "netpol-record.io/node": node}},
        "spec": {"workload": {"kind": "Deployment", "name": name,
                              "selector": {"matchLabels": {"app": name}},
                              "hostNetwork": False, "startedAt": 1700000000},
                 "node": node, "recordingStarted": 1700000000,
                 "publishedAt": "2030-01-01T00:00:00Z",
                 "lastSeen": "2023-11-14T22:13:20Z", "eventsLost": 0,
                 "truncated": 0, "entryCount": 2,
                 "egress": [
                     {"protocol": "TCP", "port": 8080, "peers": [
                         {"workload": "Deployment/" + peer,
                          "firstSeen": 1700000000 + i,
                          "lastSeen": 1700001000 + i, "count": 1 + i % 7}]},
                     {"protocol": "UDP", "port": 53, "peers": [
                         {"address": "198.51.100.%d" % (i % 200 + 1),
                          "firstSeen": 1700000000, "lastSeen": 1700000100,
                          "count": 3}]}]}})
json.dump({"apiVersion": "v1", "kind": "List", "items": items},
          open(sys.argv[1], "w"))
EOF
np_lapi_load "$T/bulk.json" novalidate
np_lapi_ctl stats '{"reset": true}'
npr export --kubeconfig "$KC" -n bulk --chunk-size 500 >"$T/p500.yaml" 2>"$T/p500.err"
pages=$(np_lapi_get /_test/requests | grep -o '/namespaces/bulk/trafficprofiles?limit=500[^"]*' | wc -l)
[ "$pages" -eq 5 ] || np_fail "2,500 profiles in $pages requests of 500, not 5"
np_lapi_get /_test/requests | grep -q 'trafficprofiles?limit=500&continue=' || np_fail "no continue token followed"
npr export --kubeconfig "$KC" -n bulk --chunk-size 0 >"$T/p0.yaml" 2>/dev/null
cmp -s "$T/p500.yaml" "$T/p0.yaml" || np_fail "paged and unpaged exports differ"
[ "$(grep -c '^kind: NetworkPolicy' "$T/p0.yaml")" -eq 834 ] || np_fail "not 834 policies from 2,500 profiles"
grep -q 'read the cluster .*: 2500 TrafficProfiles from 3 nodes' "$T/p500.err" || np_fail "summary: $(head -n 1 "$T/p500.err")"
# The peers are the namespace's own workloads, listed whole: not one
# request more for their details.
[ "$(np_lapi_get /_test/requests | grep -c 'trafficprofiles?limit=1&')" -eq 0 ] ||
	np_fail "peers of a namespace listed whole were asked for again"
grep -q 'peer' "$T/p500.err" && np_fail "the bulk's peers are not all described: $(head -n 1 "$T/p500.err")"

np_log "4. errors a user can act on"
np_lapi_reset
/usr/bin/python3 "$TOP/tests/tools/store2tp.py" "$T/g/e2e_export.db" >"$T/seed.json"
np_lapi_load "$T/seed.json"
expect_err() { # expect_err RC REGEX CLI-ARGS...
	local want=$1 re=$2 rc
	shift 2
	set +e
	npr "$@" >"$T/e.out" 2>"$T/e.err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || np_fail "$*: exit $rc, not $want: $(cat "$T/e.err")"
	grep -qE -- "$re" "$T/e.err" || np_fail "$*: stderr lacks /$re/: $(cat "$T/e.err")"
}
np_lapi_ctl mode '{"unauthorized": {"count": 1}}'
expect_err 1 'refused the credentials of context test \(401 Unauthorized\): log in again' export --kubeconfig "$KC" -n shop
np_lapi_ctl mode '{"unauthorized": null, "forbid": {"resource": "trafficprofiles", "user": "jane"}}'
expect_err 1 'User "jane" cannot list resource "trafficprofiles" in API group "netpol-record.io" in the namespace "shop" \(403 Forbidden\): ask a cluster admin' export --kubeconfig "$KC" -n shop
np_lapi_ctl mode '{"forbid": null, "hang": {"resource": "trafficprofiles"}}'
t0=$(date +%s)
expect_err 2 'did not answer within 2s: is the cluster reachable' check --kubeconfig "$KC" -n shop --policies "$G/policies/e2e_export.yaml" --request-timeout 2s
[ $(($(date +%s) - t0)) -lt 10 ] || np_fail "--request-timeout 2s took $(($(date +%s) - t0)) s"
np_lapi_ctl mode '{"hang": null, "malformed": {"resource": "trafficprofiles", "how": "egress", "index": 1}}'
expect_err 0 '1 malformed, skipped \(shop/deployment-client-n-e2e-export: spec.egress: not a list\)' export --kubeconfig "$KC" -n shop
grep -q "warning: the TrafficProfile shop/deployment-client-n-e2e-export cannot be read" "$T/e.err" ||
	np_fail "the skipped object is not named in the policies' warnings"
# client is now described by nothing (the others name it only): no
# policy of its own, and its traffic with backend is in no rule.
grep -q "warning: the peer Deployment/client of namespace shop has no details: no TrafficProfile of it is among those of namespace shop" "$T/e.err" ||
	np_fail "the peer without details is not said: $(cat "$T/e.err")"
[ "$(grep -c '^kind: NetworkPolicy' "$T/e.out")" -eq 2 ] || np_fail "the other profiles were not exported"
grep -q '^  name: deployment-client$' "$T/e.out" && np_fail "a policy for a workload nothing describes"
np_lapi_ctl mode '{"malformed": {"resource": "trafficprofiles", "how": "notobject", "index": 0}}'
expect_err 0 '1 malformed, skipped \(\(no name\): not an object\)' report --kubeconfig "$KC" -n shop -o json
grep -q 'a TrafficProfile\|the TrafficProfile (no name) cannot be read' "$T/e.out" || np_fail "the report does not say an object was skipped"
np_lapi_ctl mode '{"malformed": null}'
np_lapi_ctl crd '{"name": "trafficprofiles.netpol-record.io", "installed": false}'
expect_err 2 'serves no TrafficProfiles: their CRD is not installed. `kubectl apply -f install/kubernetes/`' report --kubeconfig "$KC" -A
np_lapi_ctl crd '{"name": "trafficprofiles.netpol-record.io", "installed": true}'
np_lapi_load "$T/seed.json"
expect_err 1 "namespace 'shpo': no recorder has published traffic of it \(no TrafficProfile in it\); did you mean 'shop'\?.* 1 recorder publishes: n-e2e-export" export --kubeconfig "$KC" -n shpo
np_lapi_reset
np_lapi_load "$T/seed.json"
np_lapi_ctl crd '{"name": "recorderstatuses.netpol-record.io", "installed": false}'
np_lapi_ctl crd '{"name": "recorderstatuses.netpol-record.io", "installed": true}'
expect_err 1 "namespace 'other': .*No recorder publishes to this cluster \(no RecorderStatus in namespace netpol-record\): is netpol-recorderd running" export --kubeconfig "$KC" -n other
expect_err 1 "no kubeconfig: --kubeconfig and KUBECONFIG are not given, $T/home/.kube/config does not exist.*Give --kubeconfig FILE" export --cluster -n shop
expect_err 1 "no context \"prod\" \(contexts: test\)" export --kubeconfig "$KC" --context prod -n shop
expect_err 2 'read either stores \(--db\) or the cluster' export --db e2e_export.db --cluster -n shop

np_log "5. a node that stopped publishing"
np_lapi_reset
now=$(date +%s)
# n-unit-node2 published last 3,000 s ago with a refresh of 600 s.
/usr/bin/python3 "$TOP/tests/tools/store2tp.py" "$T/g/unit_node1.db" >"$T/fresh.json"
/usr/bin/python3 "$TOP/tests/tools/store2tp.py" --now "$now" --age 3000 --refresh 600 "$T/g/unit_node2.db" >"$T/old.json"
np_lapi_load "$T/fresh.json"
np_lapi_load "$T/old.json"
npr export --kubeconfig "$KC" -n shop >"$T/st.yaml" 2>"$T/st.err"
grep -q "netpol-record/warnings: .*node n-unit-node2 has not published since [0-9T:Z-]*, more than twice its refresh interval (10m): is its recorder running" "$T/st.yaml" ||
	np_fail "no completeness warning in the policies: $(grep warnings "$T/st.yaml")"
grep -q "warning: node n-unit-node2 has not published since" "$T/st.err" || np_fail "no completeness warning on stderr"
grep -c "n-unit-node1 has not published" "$T/st.yaml" >/dev/null && np_fail "the fresh node is called stale"
npr report --kubeconfig "$KC" -n shop -o json >"$T/st.json" 2>/dev/null
grep -q '"shop: node n-unit-node2 has not published since' "$T/st.json" || np_fail "no completeness warning in the report"
set +e
npr status --kubeconfig "$KC" >"$T/status.out" 2>"$T/status.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || np_fail "status --cluster with a stale node: exit $rc, not 1"
grep -qE '^n-unit-node1 +0\.2\.0 +[0-9T:Z-]+ +[0-9a-z]+ ' "$T/status.out" || np_fail "status: $(cat "$T/status.out")"
grep -qE '^n-unit-node2 +0\.2\.0 +[0-9T:Z-]+ +STALE ' "$T/status.out" || np_fail "status does not say STALE: $(cat "$T/status.out")"
grep -q "1 node stopped publishing" "$T/status.err" || np_fail "status stderr: $(cat "$T/status.err")"

np_log "6. exec credential plugins, and kubectl netpol-record"
np_lapi_reset
/usr/bin/python3 "$TOP/tests/tools/store2tp.py" "$T/g/e2e_export.db" >"$T/seed.json"
np_lapi_load "$T/seed.json"
npr export --db e2e_export.db -n shop >"$T/want.yaml" 2>/dev/null
echo "tok-exec exec-user" >>"$NP_LAPI_TOKENS"
cat >"$T/plugin-token" <<EOF
#!/bin/sh
# A credential plugin: counts its runs, never reads a terminal.
echo run >>"$T/plugin-runs"
[ "\$(printf %s "\$KUBERNETES_EXEC_INFO" | grep -c '"interactive":false')" = 1 ] || exit 3
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}' "\$TOKEN"
EOF
chmod +x "$T/plugin-token"
np_lapi_kubeconfig "$T/kc-exec" "{exec: {apiVersion: client.authentication.k8s.io/v1, command: $T/plugin-token, interactiveMode: Never, env: [{name: TOKEN, value: tok-exec}]}}"
npr export --kubeconfig "$T/kc-exec" -n shop >"$T/exec.yaml" 2>/dev/null || np_fail "export with an exec token plugin failed"
cmp -s "$T/want.yaml" "$T/exec.yaml" || np_fail "the exec plugin's export differs"
# One run for the whole command: cached until its expiry.
[ "$(wc -l <"$T/plugin-runs")" -eq 1 ] || np_fail "the plugin ran $(wc -l <"$T/plugin-runs") times for one command"
grep -q 'UNAUTHORIZED' <(np_lapi_get /_test/requests) && np_fail "a request went out without the plugin's token"
# A client certificate from the plugin (the server's client CA signed it).
np_lapi_client_cert exec-cert-user "$T/cert"
cat >"$T/plugin-cert" <<EOF
#!/usr/bin/python3
import json
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
    "kind": "ExecCredential", "status": {
    "clientCertificateData": open("$T/cert.pem").read(),
    "clientKeyData": open("$T/cert.key").read()}}))
EOF
chmod +x "$T/plugin-cert"
np_lapi_kubeconfig "$T/kc-cert" "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: $T/plugin-cert}}"
npr export --kubeconfig "$T/kc-cert" -n shop >"$T/cert.yaml" 2>"$T/cert.err" || np_fail "export with a client certificate from a plugin failed: $(cat "$T/cert.err")"
cmp -s "$T/want.yaml" "$T/cert.yaml" || np_fail "the client-certificate export differs"
# A plugin that fails is named, with what to do.
np_lapi_kubeconfig "$T/kc-bad" "{exec: {apiVersion: client.authentication.k8s.io/v1, command: no-such-login-plugin, interactiveMode: Never, installHint: 'install no-such-login-plugin from your provider'}}"
expect_err 1 "plugin 'no-such-login-plugin' of the kubeconfig cannot be run: .*install no-such-login-plugin from your provider" export --kubeconfig "$T/kc-bad" -n shop

# kubectl finds kubectl-netpol_record on PATH; without --db the plugin
# reads the cluster of KUBECONFIG.
mkdir -p "$T/bin"
ln -s "$NPR" "$T/bin/kubectl-netpol_record"
kctl() { (cd "$T/g" && np_node env HOME="$T/home" PATH="$T/bin:$PATH" KUBECONFIG="$KC" kubectl "$@"); }
kctl netpol-record export -n shop >"$T/kubectl.yaml" 2>"$T/kubectl.err" || np_fail "kubectl netpol-record export failed: $(cat "$T/kubectl.err")"
cmp -s "$T/want.yaml" "$T/kubectl.yaml" || np_fail "kubectl netpol-record export differs from export --db"
grep -q "^netpol-record export: read the cluster $NP_LAPI_URL (context test of $KC)" "$T/kubectl.err" || np_fail "the plugin does not say it read the cluster"
kctl netpol-record status >"$T/kstatus.out" 2>&1 || np_fail "kubectl netpol-record status: $(cat "$T/kstatus.out")"
grep -qE '^n-e2e-export +0\.2\.0 ' "$T/kstatus.out" || np_fail "kubectl netpol-record status: $(cat "$T/kstatus.out")"
# With --db, or NETPOL_RECORD_DB, it reads the store, as netpol-record
# does on a node.
kctl netpol-record export --db e2e_export.db -n shop >"$T/kdb.yaml" 2>/dev/null
cmp -s "$T/want.yaml" "$T/kdb.yaml" || np_fail "kubectl netpol-record --db differs"
(cd "$T/g" && np_node env HOME="$T/home" PATH="$T/bin:$PATH" KUBECONFIG=/nonexistent \
	NETPOL_RECORD_DB=e2e_export.db kubectl netpol-record export -n shop) \
	>"$T/kenv.yaml" 2>"$T/kenv.err" || np_fail "NETPOL_RECORD_DB with the plugin: $(cat "$T/kenv.err")"
cmp -s "$T/want.yaml" "$T/kenv.yaml" || np_fail "kubectl netpol-record with NETPOL_RECORD_DB differs"
grep -q "read the cluster" "$T/kenv.err" && np_fail "the plugin read the cluster though NETPOL_RECORD_DB names a store"

np_log "7. peers described by their own profiles; a peer none describes"
# unit_node1: shop/checkout talks to shop/cart and shop/frontend (each has
# a profile of its own that describes it), to payments/gateway (another
# namespace: described where it is named, though it has a profile), to
# kube-system/coredns (no profile of its own) and to a hostNetwork
# DaemonSet of monitoring. Kubescape's KnownServers of 2. go first (a
# stores' export without them is the reference).
np_lapi_reset
for i in false true; do
	np_lapi_ctl crd "{\"name\": \"knownservers.spdx.softwarecomposition.kubescape.io\", \"installed\": $i}"
done
/usr/bin/python3 "$TOP/tests/tools/store2tp.py" "$T/g/unit_node1.db" >"$T/pd.json"
/usr/bin/python3 - "$T/pd.json" <<'EOF' || np_fail "store2tp did not describe the peers as the publisher would"
import json, sys
items = json.load(open(sys.argv[1]))["items"]
co = [o for o in items if o["kind"] == "TrafficProfile" and
      o["spec"]["workload"]["name"] == "checkout"][0]["spec"]
inline = {(p["namespace"], p["name"]) for p in co.get("peerWorkloads", [])}
refs = {p.get("workload") for g in co["egress"] + co["ingress"]
        for p in g["peers"]}
assert inline == {("kube-system", "coredns"), ("payments", "gateway"),
                  ("monitoring", "node-exporter")}, inline
assert {"payments/Deployment/gateway", "Deployment/cart",
        "Deployment/frontend", "kube-system/Deployment/coredns"} <= refs, refs
assert any(o["kind"] == "TrafficProfile" and
           o["spec"]["workload"]["name"] == "cart" for o in items)
EOF
np_lapi_load "$T/pd.json"
np_lapi_ctl stats '{"reset": true}'
# The namespace: everything is in its own listing, no request more.
npr export --db unit_node1.db -n shop >"$T/pd.want" 2>"$T/pd.want.err"
npr export --kubeconfig "$KC" -n shop >"$T/pd.out" 2>"$T/pd.err" || np_fail "export: $(cat "$T/pd.err")"
cmp -s "$T/pd.want" "$T/pd.out" || { diff "$T/pd.want" "$T/pd.out" >&2; np_fail "the peers' details differ from the store's"; }
grep -q 'kubernetes.io/metadata.name: payments' "$T/pd.out" || np_fail "no rule for payments/gateway: a test that cannot fail"
np_lapi_get /_test/requests >"$T/pd.req"
peer_reqs() { jq '[.[] | select(test("trafficprofiles[?]limit=1&"))] | length' "$1"; }
[ "$(peer_reqs "$T/pd.req")" -eq 0 ] || np_fail "requests for peers though the namespace was listed: $(grep 'limit=1&' "$T/pd.req")"
# One workload: its profiles alone are listed; its two peers of shop are
# asked for by their labels, once each.
npr export --db unit_node1.db -n shop -w deploy/checkout >"$T/pw.want" 2>/dev/null
np_lapi_ctl stats '{"reset": true}'
npr export --kubeconfig "$KC" -n shop -w deploy/checkout >"$T/pw.out" 2>"$T/pw.err" || np_fail "export -w: $(cat "$T/pw.err")"
cmp -s "$T/pw.want" "$T/pw.out" || { diff "$T/pw.want" "$T/pw.out" >&2; np_fail "export -w: the peers' details from their own profiles differ from the store's"; }
grep -q 'app: cart' "$T/pw.out" || np_fail "no rule for shop/cart: a test that cannot fail"
np_lapi_get /_test/requests >"$T/pw.req"
[ "$(peer_reqs "$T/pw.req")" -eq 2 ] || np_fail "not two requests for the peers: $(grep 'limit=1&' "$T/pw.req")"
grep -q '/namespaces/shop/trafficprofiles?limit=1&labelSelector=netpol-record.io%2Fworkload-kind%3DDeployment%2Cnetpol-record.io%2Fworkload-name%3Dcart"' "$T/pw.req" ||
	np_fail "shop/cart was not asked for by its labels: $(grep 'limit=1&' "$T/pw.req")"
grep -q 'read the cluster .*; 2 peers described by their own profiles' "$T/pw.err" || np_fail "summary: $(head -n 1 "$T/pw.err")"
# cart's profile gone: a warning where it is talked to, and no rule that
# would allow every pod of shop.
np_lapi_reset
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["items"] = [o for o in d["items"] if o["kind"] != "TrafficProfile" or
              o["spec"]["workload"]["name"] != "cart"]
json.dump(d, sys.stdout)' "$T/pd.json" >"$T/pm.json"
np_lapi_load "$T/pm.json"
npr export --kubeconfig "$KC" -n shop -w deploy/checkout >"$T/pm.out" 2>"$T/pm.err" || np_fail "export without the peer's profile: $(cat "$T/pm.err")"
grep -q "^netpol-record export: shop/deployment-checkout: warning: the peer Deployment/cart of namespace shop has no details: no recorder has published a TrafficProfile of it (is netpol-recorderd running on the nodes of its pods?). Its selector is unknown, so the traffic with it is left out of the policies (listed as not expressible) rather than allowed to every pod of namespace shop$" "$T/pm.err" ||
	np_fail "the missing peer is not said: $(cat "$T/pm.err")"
grep -q "netpol-record/not-expressible: .*to shop/Deployment/cart TCP/8080 (its pods'' labels are unknown: no TrafficProfile of it was read)" "$T/pm.out" ||
	np_fail "the missing peer's traffic is not listed as not expressible: $(grep not-expressible "$T/pm.out")"
grep -q 'app: cart' "$T/pm.out" && np_fail "a rule for a peer whose pods are unknown"
grep -q 'read the cluster .*; 1 peer without details (see the warnings)' "$T/pm.err" || np_fail "summary: $(head -n 1 "$T/pm.err")"
echo "PASS"
