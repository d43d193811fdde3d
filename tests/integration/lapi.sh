# shellcheck shell=bash
#
# lapi.sh: the test API server (tests/tools/fake_apiserver.py, documented
# in tests/tools/README.md) over TLS on the loopback of the test's one
# node netns, with the certificates (a client CA too, for exec plugins
# that return certificates) and the kubeconfigs its clients need: for
# tests of an API client that need no cluster of nodes (the cluster
# reader's). Source it after lib.sh, after np_setup; everything lives in
# $NP_TMP/lapi and goes with it.
#
#   np_lapi_start [ARG...]      # a CA and a server certificate for
#                              # 127.0.0.1, a client CA (--client-ca), a
#                              # token file ("tok-admin admin"); starts the
#                              # server with ARG... in the node and waits
#                              # for it; sets NP_LAPI_URL, NP_LAPI_CA,
#                              # NP_LAPI_TOKENS
#   np_lapi_kubeconfig FILE [USER_JSON]
#                              # a kubeconfig (context "test") for
#                              # $NP_LAPI_URL; its user is USER_JSON (a flow
#                              # mapping, default {token: tok-admin})
#   np_lapi_client_cert CN PREFIX  # PREFIX.pem and PREFIX.key: a client
#                              # certificate of user CN the server accepts
#   np_lapi_ctl NAME [JSON]     # POST /_test/NAME (a test control)
#   np_lapi_get PATH            # GET PATH as tok-admin; prints the body
#   np_lapi_load FILE [novalidate]  # /_test/load the items of a List in
#                              # FILE, validated against the CRDs unless
#                              # novalidate (the bench's million entries)
#   np_lapi_reset               # delete every TrafficProfile,
#                              # RecorderStatus and KnownServer of ours

np_lapi_start() {
	local d=$NP_TMP/lapi i
	np_api_pki "$d" 127.0.0.1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/client-ca.key" -out "$d/client-ca.pem" \
		-days 1 -subj "/CN=netpol-record test client CA" 2>/dev/null
	echo "tok-admin admin" >"$d/tokens"
	NP_LAPI_CA=$d/ca.pem
	NP_LAPI_TOKENS=$d/tokens
	rm -f "$d/port"
	np_bg node /usr/bin/python3 "$NP_TOP/tests/tools/fake_apiserver.py" \
		--cert "$d/srv.pem" --key "$d/srv.key" --token-file "$d/tokens" \
		--client-ca "$d/client-ca.pem" --port-file "$d/port" "$@" \
		>/dev/null
	for i in $(seq 300); do [ -s "$d/port" ] && break; sleep 0.1; done
	[ -s "$d/port" ] || np_fail "the test API server did not start: $(tail -n 20 "$NP_TMP/bg.log")"
	NP_LAPI_URL="https://127.0.0.1:$(cat "$d/port")"
	export NP_LAPI_URL NP_LAPI_CA NP_LAPI_TOKENS
}

np_lapi_kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context: {cluster: fake, user: reader}
clusters:
- name: fake
  cluster: {server: "$NP_LAPI_URL", certificate-authority: "$NP_LAPI_CA"}
users:
- name: reader
  user: ${2:-{token: tok-admin\}}
EOF
}

np_lapi_client_cert() {
	local d=$NP_TMP/lapi
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$2.key" -out "$2.csr" -subj "/CN=$1" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$2.ext"
	openssl x509 -req -in "$2.csr" -CA "$d/client-ca.pem" \
		-CAkey "$d/client-ca.key" -CAcreateserial -out "$2.pem" -days 1 \
		-extfile "$2.ext" 2>/dev/null
}

np_lapi_ctl() {
	np_node curl -sS --fail --cacert "$NP_LAPI_CA" -X POST \
		-H 'Content-Type: application/json' -d "${2:-{\}}" \
		"$NP_LAPI_URL/_test/$1" >/dev/null
}

np_lapi_get() {
	np_node curl -sS --fail --cacert "$NP_LAPI_CA" \
		-H "Authorization: Bearer tok-admin" "$NP_LAPI_URL$1"
}

np_lapi_load() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
json.dump({"items": d["items"], "validate": sys.argv[2] != "novalidate"},
          sys.stdout)' "$1" "${2:-}" >"$1.load"
	np_node curl -sS --fail --cacert "$NP_LAPI_CA" -X POST \
		-H 'Content-Type: application/json' --data-binary "@$1.load" \
		"$NP_LAPI_URL/_test/load" >/dev/null
}

np_lapi_reset() {
	local r
	for r in trafficprofiles recorderstatuses knownservers; do
		np_lapi_ctl crd "{\"name\": \"$r.netpol-record.io\", \"installed\": false}"
		np_lapi_ctl crd "{\"name\": \"$r.netpol-record.io\", \"installed\": true}"
	done
}
