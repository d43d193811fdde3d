#!/bin/bash
# The metadata file source: build/tools/metasrc_dump runs recorderd's
# metasrc on a kubectl-style List file and writes the cache's state. The
# file is reloaded when it changes; a broken file is reported with
# line:column and the cache keeps its last good state; YAML works as JSON.
set -eu
. "$(dirname "$0")/lib.sh"
np_setup kmeta-file

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${NP_BUILD:-$TOP/build}
T=$NP_TMP
ST=$T/state
ERR=$T/dump.err
F=$T/metadata.json
[ -x "$B/tools/metasrc_dump" ] || np_fail "build/tools/metasrc_dump missing (make check or make integration builds it)"

wait_for() { # wait_for FILE REGEX: until a line matches (bounded)
	local i
	for i in $(seq 200); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	tail -n 20 "$1" >&2 || true
	np_fail "timed out waiting for /$2/ in $(basename "$1")"
}

# Replace the file the way an editor or kubectl > file.tmp && mv does.
put() { cat >"$F.tmp" && mv "$F.tmp" "$F"; }

cp "$TOP/tests/fixtures/k8s/cluster.json" "$F"
np_bg node sh -c 'exec "$1" -f "$2" -o "$3" -t 120 2>"$4"' _ \
	"$B/tools/metasrc_dump" "$F" "$ST" "$ERR" >/dev/null

np_log "initial load"
wait_for "$ST" '^synced 1$'
grep -q '^counts pods=14 owners=12 namespaces=2 nodes=1$' "$ST" ||
	np_fail "counts: $(grep counts "$ST")"
grep -qF 'pod shop/db-0 uid=uid-pod-db-0 node=node-a ips=198.18.1.17 workload=StatefulSet/db selector={"matchLabels":{"app":"db"}}' "$ST" ||
	np_fail "db-0 not attributed"

np_log "a change to the file is picked up"
jq '.items += [{"apiVersion":"v1","kind":"Pod","metadata":{"name":"late","namespace":"shop","uid":"uid-late","labels":{"app":"late"}},"status":{"podIP":"198.18.1.90"}}]' \
	"$TOP/tests/fixtures/k8s/cluster.json" | put
wait_for "$ST" '^pod shop/late uid=uid-late .*ips=198.18.1.90 workload=Pod/late'

np_log "a broken file: error with line and column, last good state kept"
head -c 2000 "$TOP/tests/fixtures/k8s/cluster.json" | put
wait_for "$ERR" "metadata file $F: line [0-9]+, column [0-9]+: unexpected end of JSON text .* \(keeping the last good state\)"
sleep 1.5	# a few polls: the bad file must not be applied
grep -q '^pod shop/late ' "$ST" || np_fail "last good state lost"
grep -q '^counts pods=15 ' "$ST" || np_fail "counts changed: $(grep counts "$ST")"
nerr=$(grep -c 'unexpected end of JSON' "$ERR")
[ "$nerr" -eq 1 ] || np_fail "the same bad file was reported $nerr times"

np_log "wrong types are refused the same way"
jq '.items[0].metadata.name = 42' "$TOP/tests/fixtures/k8s/cluster.json" | put
wait_for "$ERR" 'items\[0\]: Namespace: metadata.name: expected a string'
grep -q '^pod shop/late ' "$ST" || np_fail "last good state lost"

np_log "YAML replaces it once valid"
put <"$TOP/tests/fixtures/k8s/cluster.yaml"
wait_for "$ST" '^counts pods=14 owners=12 namespaces=2 nodes=1$'
grep -q '^pod shop/late ' "$ST" && np_fail "pod from the old file still cached"
grep -qF 'pod shop/backup-28577760-t5x9w uid=uid-pod-bk node=node-a ips=198.18.1.19 workload=CronJob/backup' "$ST" ||
	np_fail "YAML: job pod not attributed"

np_log "the file removed: logged, state kept"
rm -f "$F"
wait_for "$ERR" "metadata file $F: No such file or directory \(keeping the last good state\)"
grep -q '^counts pods=14 ' "$ST" || np_fail "state lost when the file went away"
np_log "ok"
