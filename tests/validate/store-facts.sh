#!/bin/sh
# store-facts.sh DB...: what a netpol-record store knows that `netpol-record
# report -o json` (schema version 1) does not carry, as a NetpolRecordFlows
# file for evaluate.mjs to read after the report (--flows REPORT --flows
# FACTS): every name a pod resolved to an address (the report lists only
# the latest name of each flow), the pods' addresses and their container
# ports (for networks peers and named ports). Reads the stores with
# sqlite3 (read-only), writes JSON on stdout with jq.
set -eu
[ $# -ge 1 ] || { echo "usage: tests/validate/store-facts.sh DB..." >&2; exit 2; }
for db in "$@"; do
	[ -r "$db" ] || { echo "store-facts.sh: cannot read $db" >&2; exit 1; }
	names=$(sqlite3 -readonly -json "$db" "SELECT DISTINCT name, addr FROM dns_answers ORDER BY name, addr")
	workloads=$(sqlite3 -readonly -json "$db" "SELECT w.namespace, w.kind, w.name, w.ports,
		group_concat(DISTINCT a.addr) AS addrs FROM workloads w
		LEFT JOIN attachments t ON t.workload_id = w.id
		LEFT JOIN addresses a ON a.attachment_id = t.id
		GROUP BY w.id ORDER BY w.id")
	jq -n --argjson names "${names:-[]}" --argjson workloads "${workloads:-[]}" '{
		kind: "NetpolRecordFlows", version: 1,
		names: ($names | group_by(.name) | map({name: .[0].name, addresses: map(.addr)})),
		workloads: ($workloads | map({namespace, kind, name}
			+ (if .addrs then {addresses: (.addrs | split(","))} else {} end)
			+ (if .ports then {ports: (.ports | fromjson)} else {} end)))}'
done
