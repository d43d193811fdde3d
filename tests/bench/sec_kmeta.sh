#!/bin/bash
# Section 5: memory of the pod metadata cache (recorderd/meta/kmeta) for 100,000 pods
# with owners, measured in-process by build/tools/bench_kmeta (see its
# header). Reference: the size of the Kubernetes List text it was loaded
# from. Target: under 100 MB. Then the same List as YAML (`kubectl -o yaml`
# layout, bench_kmeta -y): its peak while loading, streamed item by item
# like the JSON one.
#   BENCH_KMETA_PODS (100000)
. "$(dirname "$0")/lib.sh"
bench_init kmeta

pods=${BENCH_KMETA_PODS:-100000}
tool=$(bench_tool bench_kmeta) || { bench_na "pod cache, $pods pods" "build/tools/bench_kmeta is not built"; exit 0; }

out=$("$tool" -p "$pods" 2>"$NP_TMP/kmeta.err")
rc=$?
np_log "bench_kmeta: $out"
if [ -z "$out" ] || { [ "$rc" -ne 0 ] && [ "$(bench_kv found "$out")" != "$pods" ]; }; then
	bench_na "pod cache, $pods pods" "kmeta load failed: $(head -c 200 "$NP_TMP/kmeta.err")"
	exit 0
fi
heap=$(bench_kv heap_bytes "$out")
rss=$(bench_kv rss_bytes "$out")
peak=$(bench_kv peak_bytes "$out")
list=$(bench_kv list_bytes "$out")
found=$(bench_kv found "$out")
mb() { bench_fmt "$(bench_div "$1" 1048576 %.1f)" "%s MiB"; }
note=""
if [ "$rc" -ne 0 ]; then
	note=" (lookups failed: $found of $pods pods found by IP, owners $(bench_kv owners_ok "$out")/$(bench_kv owners_checked "$out"))"
fi
v=$(bench_cmp "$heap" "<" 104857600)
[ "$rc" -eq 0 ] || v="MISSED$note"
bench_row "pod cache heap, $pods pods (vs List text)" "$(mb "$heap")" "$(mb "$list")" \
	"$(bench_div "$heap" "$list")" "< 100 MiB" "$v"
bench_row "pod cache RSS growth after load, $pods pods" "$(mb "$rss")" "$(mb "$list")" \
	"$(bench_div "$rss" "$list")" "< 100 MiB" "$(bench_cmp "$rss" "<" 104857600)"
bench_row "bytes per pod (heap / pods)" "$(bench_div "$heap" "$pods" %.0f)" "$(bench_div "$list" "$pods" %.0f) (List text)" \
	"$(bench_div "$heap" "$list")" "-" "-"
bench_row "peak RSS while loading the List" "$(mb "$peak")" "$(mb "$list")" \
	"$(bench_div "$peak" "$list")" "-" "-"
bench_row "load time of the List" "$(bench_kv load_secs "$out") s" "-" "-" "-" "-"

# The same List as YAML: the load's peak and time, beside the JSON rows.
yout=$("$tool" -y -p "$pods" 2>"$NP_TMP/kmeta_yaml.err")
yrc=$?
np_log "bench_kmeta -y: $yout"
if [ -z "$yout" ] || { [ "$yrc" -ne 0 ] && [ "$(bench_kv found "$yout")" != "$pods" ]; }; then
	bench_na "peak RSS while loading the List (YAML)" "kmeta load failed: $(head -c 200 "$NP_TMP/kmeta_yaml.err")"
	exit 0
fi
ypeak=$(bench_kv peak_bytes "$yout")
ylist=$(bench_kv list_bytes "$yout")
bench_row "peak RSS while loading the List (YAML)" "$(mb "$ypeak")" "$(mb "$ylist")" \
	"$(bench_div "$ypeak" "$ylist")" "-" "-"
bench_row "load time of the List (YAML)" "$(bench_kv load_secs "$yout") s" "-" "-" "-" "-"
