#!/bin/bash
# Section 4: `netpol-record export` of one namespace and of all namespaces
# from a store of 10,000 workloads and 1,000,000 flows made by
# build/tools/bench_genstore (100 namespaces of 100 workloads; see its
# header for the shape). Each invocation is exec'd and timed by
# build/tools/bench_exec (stdout read to the end, as `> /dev/null` would
# discard it). Reference: the sqlite3 shell reading the same rows (the
# namespace's flows joined with their workloads and peers, unsorted): the
# floor any exporter pays to read them. Target: one namespace under 200 ms.
#   BENCH_EXPORT_WORKLOADS (10000; quick 3000), BENCH_EXPORT_FLOWS
#   (1000000; quick 300000),
#   BENCH_EXPORT_RUNS (9; quick 3), BENCH_EXPORT_ALL_RUNS (3; quick 1)
. "$(dirname "$0")/lib.sh"
bench_init export

nwl=${BENCH_EXPORT_WORKLOADS:-$(bench_quick 3000 10000)}
nflows=${BENCH_EXPORT_FLOWS:-$(bench_quick 300000 1000000)}
runs=${BENCH_EXPORT_RUNS:-$(bench_quick 3 9)}
allruns=${BENCH_EXPORT_ALL_RUNS:-$(bench_quick 1 3)}
ns=ns-042
cli=$NP_BUILD/netpol-record
what="$nwl workloads, $nflows flows"

gen=$(bench_tool bench_genstore) && bex=$(bench_tool bench_exec) || {
	bench_na "export one namespace ($what)" "bench tools are not built"
	exit 0
}
db=$NP_TMP/export.db
np_log "generating the store ($what)"
g=$("$gen" -o "$db" -w "$nwl" -f "$nflows") || {
	bench_na "export one namespace ($what)" "bench_genstore failed"
	exit 0
}
np_log "bench_genstore: $g"

q_ns="SELECT w.kind, w.name, w.selector, f.direction, f.peer_kind,
 p.namespace, p.kind, p.name, p.selector, f.peer_addr, f.protocol, f.port,
 f.orig_addr, f.orig_port, f.dns_name, f.first_seen, f.last_seen, f.count
 FROM flows f JOIN workloads w ON w.id = f.workload_id
 LEFT JOIN workloads p ON p.id = f.peer_workload_id"
# reference first (it also warms the page cache for both)
ref1=$("$bex" -n "$runs" -- /usr/bin/sqlite3 -readonly "$db" \
	"$q_ns WHERE w.namespace = '$ns';" 2>"$NP_TMP/ref.err")
refall=$("$bex" -n "$allruns" -- /usr/bin/sqlite3 -readonly "$db" \
	"$q_ns;" 2>>"$NP_TMP/ref.err")
np_log "sqlite3 one namespace: $ref1; all: $refall"
ref1_ms=$(bench_div "$(bench_kv median_us "$ref1")" 1000 %.1f)
refall_ms=$(bench_div "$(bench_kv median_us "$refall")" 1000 %.0f)

# Is export there? One untimed run, checked: a policy per workload.
if [ ! -x "$cli" ]; then
	bench_na "export one namespace ($what)" "build/netpol-record is not built" "$ref1_ms ms (sqlite3)"
	bench_na "export all namespaces ($what)" "build/netpol-record is not built" "$refall_ms ms (sqlite3)"
	exit 0
fi
"$cli" export --namespace "$ns" --db "$db" >"$NP_TMP/one.yaml" 2>"$NP_TMP/one.err"
rc=$?
npol=$(grep -c '^kind: NetworkPolicy' "$NP_TMP/one.yaml")
want=$(sqlite3 -readonly "$db" "SELECT count(*) FROM workloads WHERE namespace = '$ns'")
if [ "$rc" -ne 0 ] || [ "$npol" -eq 0 ]; then
	why="export exited $rc: $(head -n 1 "$NP_TMP/one.err" | head -c 160)"
	bench_na "export one namespace ($what)" "$why" "$ref1_ms ms (sqlite3)"
	bench_na "export all namespaces ($what)" "$why" "$refall_ms ms (sqlite3)"
	exit 0
fi
note=""
[ "$npol" -eq "$want" ] || note=" ($npol policies for $want workloads)"

one=$("$bex" -n "$runs" -- "$cli" export --namespace "$ns" --db "$db" 2>"$NP_TMP/one.err")
np_log "export one namespace: $one"
if [ "$(bench_kv fail "$one")" != 0 ]; then
	bench_na "export one namespace ($what)" "export failed: $(head -c 160 "$NP_TMP/one.err")" "$ref1_ms ms (sqlite3)"
else
	med=$(bench_div "$(bench_kv median_us "$one")" 1000 %.1f)
	bench_row "export one namespace, median of $runs ($what)$note" "$med ms" \
		"$ref1_ms ms (sqlite3)" "$(bench_div "$med" "$ref1_ms")" "< 200 ms" \
		"$(bench_cmp "$med" "<" 200)"
fi

all=$("$bex" -n "$allruns" -- "$cli" export --all-namespaces --db "$db" 2>"$NP_TMP/all.err")
np_log "export all namespaces: $all"
if [ "$(bench_kv fail "$all")" != 0 ]; then
	bench_na "export all namespaces ($what)" "export --all-namespaces failed: $(head -c 160 "$NP_TMP/all.err")" "$refall_ms ms (sqlite3)"
else
	med=$(bench_div "$(bench_kv median_us "$all")" 1000 %.0f)
	bench_row "export all namespaces, median of $allruns ($what)" "$med ms" \
		"$refall_ms ms (sqlite3)" "$(bench_div "$med" "$refall_ms")" "-" "-"
fi
