#!/bin/bash
# The test API server itself (tests/tools/fake_apiserver.py), which the
# publisher's and the reader's tests stand on: it must behave as the
# Kubernetes API documents, or those tests prove nothing.
#
# Offline: the CRDs of install/kubernetes/ are structural and strict,
# every CEL rule has its Python mirror, their estimated CEL cost is well
# within the API server's limits; the example objects of
# tests/fixtures/k8s/ pass them, broken copies do not (crd_check.py).
# Over HTTPS on 127.0.0.1 (tests/tools/fakeapi_selftest.py): discovery,
# 404s, server-side apply creating then replacing, 415/422/400/413
# refusals with the API's wording, paging 2,500 objects, selectors,
# watch, DELETE, garbage collection, faults (409, 429, 5xx, 401, 403, a
# malformed list item), a CRD uninstalled then installed, stats. Here:
# a hung request, the server going down and coming back (control and
# signal), client certificates, a server started without our CRDs.
# No network namespace is needed: the server binds 127.0.0.1 only.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d /tmp/netpol-record-fakeapi.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

log "CRDs and example objects, offline"
"$PY" "$TOP/tests/tools/crd_check.py" \
	--crd "$TOP/tests/fixtures/k8s/kubescape-knownservers-crd.yaml" \
	"$TOP"/tests/fixtures/k8s/{trafficprofile,recorderstatus,knownserver,knownserver-kubescape}.yaml ||
	fail "the CRDs or the examples do not pass"
sed -e 's/^  entryCount: 8$/  entryCount: 7/' -e 's/protocol: ICMP$/protocol: ICMPX/' \
	"$TOP/tests/fixtures/k8s/trafficprofile.yaml" >"$T/bad.yaml"
out=$("$PY" "$TOP/tests/tools/crd_check.py" "$T/bad.yaml") && fail "a broken profile passed"
grep -q 'spec.egress\[3\].protocol: Unsupported value: "ICMPX"' <<<"$out" || fail "no enum error: $out"
grep -q 'spec: Invalid value: "object": entryCount must equal the number of peers of egress and ingress' <<<"$out" ||
	fail "no entryCount error: $out"
# A CRD with an untyped node, additionalProperties beside properties, and
# a CEL rule nobody mirrored is refused.
mkdir "$T/crds"
sed -e 's/^                node:$/                node: {}\n                nodeX:/' \
	-e '0,/^                    labels:$/s//                    labels:\n                      properties: {a: {type: string}}/' \
	-e 's/self.firstSeen <= self.lastSeen/self.firstSeen < self.lastSeen/' \
	"$TOP/install/kubernetes/01-crd-trafficprofiles.yaml" >"$T/crds/tp.yaml"
out=$("$PY" "$TOP/tests/tools/crd_check.py" --crd-dir "$T/crds") && fail "a loose CRD passed"
grep -q 'properties and additionalProperties together' <<<"$out" || fail "additionalProperties not seen: $out"
grep -q 'CEL rule without a Python mirror: self.firstSeen < self.lastSeen' <<<"$out" || fail "unmirrored rule not seen: $out"
# The CEL cost the API server estimates: the CRD is well within both
# limits (its header says how), and 1,000 groups a direction would not
# install (the per-peer rules run for groups x peers items).
"$PY" - "$TOP" <<'PYEOF' || fail "the CRD's CEL cost is not well within the API server's limits"
import sys
sys.path.insert(0, sys.argv[1] + "/tests/tools")
import fakeapi_schema as fs
crd, = fs.load_crds([sys.argv[1] + "/install/kubernetes/01-crd-trafficprofiles.yaml"])
costs = [c for _, _, c in fs.rule_costs(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])]
assert len(costs) >= 10 and None not in costs, costs
assert max(costs) <= fs.STATIC_COST_LIMIT // 4, max(costs)
assert sum(costs) <= fs.STATIC_CRD_COST_LIMIT // 10, sum(costs)
PYEOF
mkdir "$T/crds-cost"
sed -e 's/^                  maxItems: 100$/                  maxItems: 1000/' \
	"$TOP/install/kubernetes/01-crd-trafficprofiles.yaml" >"$T/crds-cost/tp.yaml"
out=$("$PY" "$TOP/tests/tools/crd_check.py" --crd-dir "$T/crds-cost") && fail "a CRD over the CEL cost limit passed"
grep -q 'spec.egress\[\*\].peers\[\*\]: estimated rule cost exceeds budget by factor of 1.5x' <<<"$out" ||
	fail "the cost of the egress peers' rule not seen: $out"

# The names the publisher and the reader must compute (README, Names).
"$PY" - "$TOP" <<'PYEOF' || fail "tests/fixtures/k8s/trafficprofile-names.json disagrees with the naming rule"
import json, sys
sys.path.insert(0, sys.argv[1] + "/tests/tools")
import fakeapi_schema as fs
cases = json.load(open(sys.argv[1] + "/tests/fixtures/k8s/trafficprofile-names.json"))["cases"]
assert len(cases) >= 5
for c in cases:
    assert fs.profile_name(c["kind"], c["name"], c["node"]) == c["objectName"], c
    assert fs.label_value(c["name"]) == c["workloadNameLabel"], c
    assert fs.label_value(c["node"]) == c["nodeLabel"], c
    assert fs.subdomain_ok(c["objectName"]) and len(c["nodeLabel"]) <= 63, c
PYEOF

log "certificates"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/ca.key" -out "$T/ca.pem" -days 1 -subj "/CN=fakeapi test ca" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$T/srv.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/srv.pem" -days 1 -extfile "$T/srv.ext" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/cli.key" -out "$T/cli.csr" -subj "/CN=admin-by-cert" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$T/cli.ext"
openssl x509 -req -in "$T/cli.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/cli.pem" -days 1 -extfile "$T/cli.ext" 2>/dev/null
TOKEN="tok-$$-$RANDOM"
printf '%s\nother-%s bob\n' "$TOKEN" "$TOKEN" >"$T/tokens"

# start NAME [ARG...]: a server; sets PID and URL.
start() {
	local name=$1
	shift
	rm -f "$T/$name.port"
	"$PY" "$TOP/tests/tools/fake_apiserver.py" --cert "$T/srv.pem" --key "$T/srv.key" \
		--token-file "$T/tokens" --port-file "$T/$name.port" "$@" \
		>"$T/$name.log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.1; done
	[ -s "$T/$name.port" ] || fail "server $name did not start: $(cat "$T/$name.log")"
	URL="https://127.0.0.1:$(cat "$T/$name.port")"
}
c() { curl -sS --cacert "$T/ca.pem" -H "Authorization: Bearer $TOKEN" "$@"; }
ctl() { curl -sS --fail --cacert "$T/ca.pem" -X POST -d "$2" "$URL/_test/$1" >/dev/null; }

start main --crd "$TOP/tests/fixtures/k8s/kubescape-knownservers-crd.yaml" \
	--client-ca "$T/ca.pem" --seed "$TOP/tests/fixtures/k8s/cluster.json"
MAIN_PID=$PID

log "HTTP checks"
"$PY" "$TOP/tests/tools/fakeapi_selftest.py" "$URL" "$T/ca.pem" "$TOKEN" ||
	fail "HTTP checks (server log: $(tail -n 20 "$T/main.log"))"

log "authentication: a second token names its user; a client certificate"
curl -sS --cacert "$T/ca.pem" --cert "$T/cli.pem" --key "$T/cli.key" \
	"$URL/apis/netpol-record.io/v1alpha1/knownservers" | grep -q '"kind": "KnownServerList"' ||
	fail "client certificate not accepted"
ctl mode '{"forbid": {"resource": "knownservers"}}'
curl -sS --cacert "$T/ca.pem" --cert "$T/cli.pem" --key "$T/cli.key" \
	"$URL/apis/netpol-record.io/v1alpha1/knownservers" |
	grep -q 'User \\"admin-by-cert\\" cannot list resource \\"knownservers\\"' ||
	fail "the certificate's CN is not the user"
curl -sS --cacert "$T/ca.pem" -H "Authorization: Bearer other-$TOKEN" \
	"$URL/apis/netpol-record.io/v1alpha1/knownservers" | grep -q 'User \\"bob\\"' ||
	fail "the token file's user name is not used"
ctl mode '{"forbid": null}'

log "hang: a request accepted and never answered, until the mode ends"
ctl mode '{"hang": {"resource": "trafficprofiles", "verb": "list"}}'
rc=0
c --max-time 2 -o /dev/null "$URL/apis/netpol-record.io/v1alpha1/trafficprofiles" 2>/dev/null || rc=$?
[ "$rc" -eq 28 ] || fail "a hung list did not time out in the client (curl exit $rc)"
c --max-time 5 -o /dev/null -w '%{http_code}' "$URL/apis/netpol-record.io/v1alpha1/recorderstatuses" |
	grep -q 200 || fail "hang on trafficprofiles held other resources"
ctl mode '{"hang": null}'
c --max-time 5 -o /dev/null -w '%{http_code}' "$URL/apis/netpol-record.io/v1alpha1/trafficprofiles" |
	grep -q 200 || fail "still hanging after the mode ended"

log "down for 2 s (the listening socket closed), then back on the same port"
ctl down '{"seconds": 2}'
sleep 0.5
rc=0
c --max-time 2 -o /dev/null "$URL/version" 2>/dev/null || rc=$?
[ "$rc" -eq 7 ] || fail "the server still answers while down (curl exit $rc)"
for _ in $(seq 50); do c --max-time 1 -o /dev/null "$URL/version" 2>/dev/null && break; sleep 0.1; done
c --max-time 2 "$URL/apis/netpol-record.io/v1alpha1/namespaces/netpol-record/recorderstatuses/node-a" |
	grep -q '"eventsSeen": 918273' || fail "not back, or the objects were lost"

log "down on SIGUSR1, back on SIGUSR2"
kill -USR1 "$MAIN_PID"
sleep 0.5
rc=0
c --max-time 2 -o /dev/null "$URL/version" 2>/dev/null || rc=$?
[ "$rc" -eq 7 ] || fail "SIGUSR1 did not take the server down (curl exit $rc)"
sleep 1
c --max-time 1 -o /dev/null "$URL/version" 2>/dev/null && fail "came back without SIGUSR2"
kill -USR2 "$MAIN_PID"
for _ in $(seq 50); do c --max-time 1 -o /dev/null "$URL/version" 2>/dev/null && break; sleep 0.1; done
c --max-time 2 -o /dev/null -w '%{http_code}' "$URL/version" | grep -q 200 || fail "not back after SIGUSR2"

log "413 checked by curl too (the body is read, then refused)"
head -c $((3 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'a' >"$T/big"
c -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$T/big" \
	"$URL/apis/netpol-record.io/v1alpha1/namespaces/shop/trafficprofiles/x?fieldManager=t" |
	grep -q '"code": 413' || fail "no 413 for a 3 MiB + 1 body"

log "a server without our CRDs: no group in discovery, 404 for the resources"
start bare --no-crds --fixture "$TOP/tests/fixtures/k8s/cluster.json"
c "$URL/apis" | grep -q 'netpol-record.io' && fail "--no-crds still serves our group"
c "$URL/apis" | grep -q '"apps"' || fail "--no-crds lost the built-in groups"
code=$(c -o "$T/out" -w '%{http_code}' "$URL/apis/netpol-record.io/v1alpha1/namespaces/shop/trafficprofiles")
[ "$code" = 404 ] && grep -q '"reason": "NotFound"' "$T/out" || fail "no 404 Status without the CRD: $code"
ctl crd '{"name": "trafficprofiles.netpol-record.io", "installed": true}'
code=$(c -o /dev/null -w '%{http_code}' "$URL/apis/netpol-record.io/v1alpha1/namespaces/shop/trafficprofiles")
[ "$code" = 200 ] || fail "the CRD installed at run time is not served: $code"

grep -q Traceback "$T/main.log" "$T/bare.log" && fail "server traceback: $(cat "$T/main.log" "$T/bare.log")"
log "ok"
