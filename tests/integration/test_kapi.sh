#!/bin/bash
# The Kubernetes API client end to end: build/tools/metasrc_dump runs the
# daemon's metadata source (recorderd/metasrc.c + kapi.c) against
# tests/tools/fake_apiserver.py, an HTTPS stand-in for kube-apiserver (no
# real one can run here), both on 127.0.0.1 inside the test's node netns.
# Checked from the cache state the tool writes: paginated lists, watch
# ADDED/MODIFIED/DELETED, bookmarks, a dropped stream then reconnect, an
# ERROR 410 then relist, 401 with a rotated token, a 100 MB list, an
# overlong watch line, a truncated list, and a server certificate that the
# configured CA did not sign.
set -eu
. "$(dirname "$0")/lib.sh"
np_setup kapi

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${NP_BUILD:-$TOP/build}
T=$NP_TMP
ST=$T/state
ERR=$T/dump.err
[ -x "$B/tools/metasrc_dump" ] || np_fail "build/tools/metasrc_dump missing (make check or make integration builds it)"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# ---- a throwaway CA and server certificate, and a CA that did not sign it
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$T/$1.key" -out "$T/$1.pem" -days 1 \
		-subj "/CN=netpol-record test $1" 2>/dev/null
}
mkca ca1
mkca ca2
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/srv.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca1.pem" -CAkey "$T/ca1.key" \
	-CAcreateserial -out "$T/srv.pem" -days 1 -extfile "$T/srv.ext" 2>/dev/null

# Tokens: the server re-reads its file on every request, so does the client.
echo "token-$NP_ID-one" >"$T/server.token"
echo "token-$NP_ID-one" >"$T/client.token"

np_bg node /usr/bin/python3 "$TOP/tests/tools/fake_apiserver.py" --cert "$T/srv.pem" \
	--key "$T/srv.key" --token-file "$T/server.token" \
	--fixture "$TOP/tests/fixtures/k8s/cluster.json" --extra-pods 1200 \
	--port-file "$T/port" >/dev/null
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || np_fail "fake apiserver did not start: $(cat "$T/bg.log")"
PORT=$(cat "$T/port")
URL="https://127.0.0.1:$PORT"

# certificate-authority and tokenFile relative to the kubeconfig's directory.
kubeconfig() { # $1 = file, $2 = certificate-authority line
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context: {cluster: fake, user: reader}
clusters:
- name: fake
  cluster:
    server: $URL/
    $2
users:
- name: reader
  user:
    tokenFile: client.token
EOF
}
kubeconfig "$T/kubeconfig" "certificate-authority: ca1.pem"

ctl() { # ctl NAME [JSON]
	np_node curl -sS --fail --cacert "$T/ca1.pem" -X POST \
		-H 'Content-Type: application/json' -d "${2:-{\}}" \
		"$URL/_test/$1" >/dev/null
}
requests() {
	np_node curl -sS --fail --cacert "$T/ca1.pem" "$URL/_test/requests"
}
# wait_for FILE REGEX [SECONDS]: until a line of FILE matches.
wait_for() {
	local i
	for i in $(seq $((${3:-20} * 10))); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	np_log "--- $1:"; tail -n 30 "$1" >&2 || true
	np_log "--- dump stderr:"; tail -n 30 "$ERR" >&2 || true
	np_fail "timed out waiting for /$2/ in $(basename "$1")"
}
wait_gone() {
	local i
	for i in $(seq $((${3:-20} * 10))); do
		[ -s "$1" ] && ! grep -qE -- "$2" "$1" && return 0
		sleep 0.1
	done
	np_fail "/$2/ still in $(basename "$1")"
}

np_log "start the client against $URL"
DUMP_PID=$(np_bg node sh -c 'exec "$1" -k "$2" -o "$3" -t 300 2>"$4"' _ \
	"$B/tools/metasrc_dump" "$T/kubeconfig" "$ST" "$ERR")

np_log "list: every kind, paginated (1214 pods at limit=500)"
wait_for "$ST" '^synced 1$'
grep -q '^counts pods=1214 owners=12 namespaces=2 nodes=1$' "$ST" ||
	np_fail "wrong counts: $(grep counts "$ST")"
grep -qF 'pod shop/web-7d4b9c8f5-abcde uid=uid-pod-web-1 node=node-a ips=198.18.1.11,2001:db8:1::11 workload=Deployment/web selector={"matchLabels":{"app":"web","tier":"front"}} ports=[{"name":"http","port":8080,"protocol":"TCP"}]' "$ST" ||
	np_fail "web pod not attributed: $(grep web-7d4 "$ST")"
grep -qF 'pod shop/backup-28577760-t5x9w uid=uid-pod-bk node=node-a ips=198.18.1.19 workload=CronJob/backup' "$ST" ||
	np_fail "job pod not attributed to its CronJob"
npages=$(requests | grep -o '"/api/v1/pods?limit=500&continue=[A-Za-z0-9_-]*"' | sort -u | wc -l)
[ "$npages" -eq 2 ] || np_fail "not two further pages of pods requested: $(requests)"
grep -q '/apis/batch/v1/cronjobs?watch=1&allowWatchBookmarks=true&resourceVersion=' <<<"$(requests)" ||
	np_fail "no cronjobs watch with bookmarks"

np_log "watch: ADDED, MODIFIED, DELETED"
pod() { # pod NAME IP APP
	printf '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"%s","namespace":"shop","uid":"uid-%s","labels":{"app":"%s"}},"spec":{"nodeName":"node-a"},"status":{"podIP":"%s"}}' "$1" "$1" "$3" "$2"
}
ctl event "{\"type\":\"ADDED\",\"object\":$(pod new-1 198.18.1.77 alpha)}"
wait_for "$ST" '^pod shop/new-1 uid=uid-new-1 node=node-a ips=198.18.1.77 workload=Pod/new-1 selector=\{"matchLabels":\{"app":"alpha"\}\}'
ctl event "{\"type\":\"MODIFIED\",\"object\":$(pod new-1 198.18.1.78 beta)}"
wait_for "$ST" '^pod shop/new-1 .*ips=198.18.1.78 .*"app":"beta"'
ctl event "{\"type\":\"DELETED\",\"object\":$(pod new-1 198.18.1.78 beta)}"
wait_gone "$ST" '^pod shop/new-1 '

np_log "bookmarks move the resourceVersion; a dropped stream resumes from it"
sleep 2.5	# at least one bookmark (every second) on every watch
rv_before=$(requests | grep -o 'pods?watch=1[^"]*resourceVersion=[0-9]*' | tail -n1 | grep -o '[0-9]*$')
ctl drop
ctl event "{\"type\":\"ADDED\",\"object\":$(pod after-drop 198.18.1.79 gamma)}"
wait_for "$ST" '^pod shop/after-drop ' 30
rv_after=$(requests | grep -o 'pods?watch=1[^"]*resourceVersion=[0-9]*' | tail -n1 | grep -o '[0-9]*$')
[ "$rv_after" -gt "$rv_before" ] ||
	np_fail "rewatch did not resume from a newer resourceVersion ($rv_before -> $rv_after)"
npods=$(requests | grep -o '"/api/v1/pods?limit=500"' | wc -l)
[ "$npods" -eq 1 ] || np_fail "a dropped watch caused a relist ($npods lists)"

np_log "ERROR 410 Gone: relist, which notices a delete the watch never saw"
np_node curl -sS --fail --cacert "$T/ca1.pem" -X POST -d '{"kind":"Pod","namespace":"shop","name":"debug"}' \
	"$URL/_test/silent_delete" >/dev/null
grep -q '^pod shop/debug ' "$ST" || np_fail "debug pod missing before the relist"
ctl expire
wait_gone "$ST" '^pod shop/debug ' 30
wait_for "$ERR" 'is gone \(410\), relisting'
npods=$(requests | grep -o '"/api/v1/pods?limit=500"' | wc -l)
[ "$npods" -ge 2 ] || np_fail "no relist of pods after 410"
grep -q '^pod shop/web-7d4b9c8f5-abcde ' "$ST" || np_fail "relist lost the web pod"

np_log "401: a rotated server token is refused until the client's file follows"
echo "token-$NP_ID-two" >"$T/server.token"
ctl drop	# watches reconnect, and must now authenticate again
wait_for "$ERR" 'HTTP 401 Unauthorized'
grep -q '^pod shop/web-7d4b9c8f5-abcde ' "$ST" || np_fail "cache lost state on 401"
echo "token-$NP_ID-two" >"$T/client.token"
ctl event "{\"type\":\"ADDED\",\"object\":$(pod after-401 198.18.1.80 delta)}"
wait_for "$ST" '^pod shop/after-401 ' 60

np_log "a 100 MB list is refused at the size limit; the cache keeps its state"
ctl mode '{"huge_list":"pods"}'
ctl expire
wait_for "$ERR" 'list pods: response larger than [0-9]+ bytes: refused' 60
grep -q '^pod shop/after-401 ' "$ST" || np_fail "cache lost state on a huge list"
grep -q '^counts pods=1215 ' "$ST" || np_fail "counts changed: $(grep counts "$ST")"

np_log "a truncated list is an error, not a partial cache"
ctl mode '{"huge_list":null,"truncate_list":"pods"}'
wait_for "$ERR" 'list pods: the response is not a List' 60
grep -q '^counts pods=1215 ' "$ST" || np_fail "counts changed: $(grep counts "$ST")"
ctl mode '{"truncate_list":null}'
wait_for "$ERR" 'listed pods at resourceVersion' 60

np_log "a watch line over the limit is refused; the watch resumes"
ctl mode '{"long_line":"pods"}'
wait_for "$ERR" 'watch pods: watch event longer than [0-9]+ bytes: refused' 30
ctl event "{\"type\":\"ADDED\",\"object\":$(pod after-long 198.18.1.81 eps)}"
wait_for "$ST" '^pod shop/after-long ' 60
grep -q '^pod bulk/long ' "$ST" && np_fail "the overlong object reached the cache"

np_log "SIGTERM: the client stops its worker in the middle of watches"
kill -TERM "$DUMP_PID"
for _ in $(seq 100); do kill -0 "$DUMP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DUMP_PID" 2>/dev/null && np_fail "metasrc_dump did not stop on SIGTERM"
grep -q 'Sanitizer' "$ERR" && np_fail "sanitizer report: $(grep -A5 Sanitizer "$ERR")"

np_log "certificate-authority-data works; a CA that did not sign the server is refused"
kubeconfig "$T/kc-data" "certificate-authority-data: $(base64 -w0 "$T/ca1.pem")"
np_node "$B/tools/metasrc_dump" -k "$T/kc-data" -o "$T/state-data" -t 4 2>"$T/data.err"
grep -q '^synced 1$' "$T/state-data" || np_fail "CA data: not synced: $(tail -n 5 "$T/data.err")"
kubeconfig "$T/kc-bad" "certificate-authority-data: $(base64 -w0 "$T/ca2.pem")"
nreq=$(requests | grep -o '"/' | wc -l)
np_node "$B/tools/metasrc_dump" -k "$T/kc-bad" -o "$T/state-bad" -t 3 2>"$T/bad.err"
grep -qi 'SSL peer certificate\|certificate problem\|unable to get local issuer' "$T/bad.err" ||
	np_fail "no certificate error: $(tail -n 5 "$T/bad.err")"
grep -q '^counts pods=0 ' "$T/state-bad" || np_fail "cache filled through an unverified server"
grep -q '^synced 0$' "$T/state-bad" || np_fail "synced through an unverified server"
[ "$(requests | grep -o '"/' | wc -l)" -eq "$nreq" ] ||
	np_fail "a request reached the server past a refused certificate"

np_log "in-cluster config: service account files and KUBERNETES_SERVICE_*"
mkdir -p "$T/sa"
cp "$T/ca1.pem" "$T/sa/ca.crt"
cp "$T/client.token" "$T/sa/token"
np_node env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$PORT" \
	"$B/tools/metasrc_dump" -i -s "$T/sa" -o "$T/state-ic" -t 4 2>"$T/ic.err"
grep -q '^synced 1$' "$T/state-ic" || np_fail "in-cluster: not synced: $(tail -n 5 "$T/ic.err")"

np_log "403 on one resource: logged, the others sync, and synced is reported"
ctl mode '{"forbid":"cronjobs"}'
np_node "$B/tools/metasrc_dump" -k "$T/kubeconfig" -o "$T/state-403" -t 4 2>"$T/403.err"
grep -q 'list cronjobs: HTTP 403 Forbidden (check the ClusterRole): cronjobs.batch is forbidden: User "[^"]*" cannot list resource "cronjobs" in API group "batch" at the cluster scope' "$T/403.err" ||
	np_fail "no 403 error: $(grep -v info: "$T/403.err" | tail -n 3)"
grep -q '^synced 1$' "$T/state-403" || np_fail "a forbidden resource held synced back"
grep -q '^pod shop/db-0 .*workload=StatefulSet/db' "$T/state-403" || np_fail "pods missing with cronjobs forbidden"
ctl mode '{"forbid":null}'

np_log "ok"
