/*
 * bench_kmeta: memory of the pod metadata cache (recorderd/meta/kmeta.h) for `make
 * bench` (tests/bench/, section 5).
 *
 *   bench_kmeta [-y] [-p PODS] [-N NAMESPACES] [-r PODS_PER_REPLICASET]
 *               [-w FILE]
 *
 * Builds in memory a Kubernetes List like `kubectl get pods,replicasets,
 * deployments,namespaces,nodes -A -o json` prints (PODS pods, default
 * 100,000, in NAMESPACES namespaces, default 100; Deployments with one
 * ReplicaSet each of PODS_PER_REPLICASET pods, default 20; every tenth
 * workload a StatefulSet; 100 nodes; pods with labels, a named port, an
 * ownerReference, two IPs), then measures kmeta_new + kmeta_load_list
 * (through kmeta_load_list_file of a memfd holding the List):
 *   heap_bytes    heap in use held by the cache after the load
 *                 (mallinfo2 uordblks + hblkhd, after minus before)
 *   rss_bytes     resident set growth after malloc_trim(0)
 *   peak_bytes    VmHWM during the load minus VmRSS before it (the
 *                 parse tree is transient)
 *   stats_bytes   the cache's own count (kmeta_get_stats)
 *   list_bytes    the size of the List text
 *   load_secs     the time of kmeta_load_list
 * and checks that every pod is found by IP and resolves to its workload.
 * -y writes the List as YAML instead, in the block style of `kubectl get
 * -o yaml` (keys of the List in kubectl's order: apiVersion, items, kind,
 * metadata). -w FILE also writes the List there. Output: one key=value
 * line (format=json or format=yaml first).
 */
#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/addr.h"
#include "recorderd/meta/kmeta.h"
#include "recorderd/meta/kmeta_load.h"
#include "lib/store.h"

struct sbuf {
	char *p;
	size_t len, cap;
};

/* printf into the growing buffer; exits on allocation failure. Declared
 * with the printf format attribute so that every call's literal format is
 * checked against its arguments (and vsnprintf's format below counts as
 * checked: -Wformat-nonliteral). */
static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			exit(1);
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 1;
		if ((b->p = realloc(b->p, b->cap)) == NULL) {
			fprintf(stderr, "bench_kmeta: out of memory\n");
			exit(1);
		}
	}
}

static long
status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void
pod_ip(long i, char *v4, size_t l4, char *v6, size_t l6)
{
	/* 198.18.0.0/15 holds 131,072 addresses. */
	snprintf(v4, l4, "198.%ld.%ld.%ld", 18 + ((i >> 16) & 1),
	    (i >> 8) & 255, i & 255);
	snprintf(v6, l6, "2001:db8:4::%lx:%lx", (i >> 16) & 0xffff,
	    i & 0xffff);
}

/* A string that YAML reads back as the same string without quotes. */
static int
yaml_plain_ok(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '/'))
			return 0;
	return strcasecmp(s, "true") != 0 && strcasecmp(s, "false") != 0 &&
	    strcasecmp(s, "null") != 0 && strcasecmp(s, "yes") != 0 &&
	    strcasecmp(s, "no") != 0 && strcasecmp(s, "on") != 0 &&
	    strcasecmp(s, "off") != 0;
}

static void
yaml_scalar(struct sbuf *b, struct json_object *v)
{
	const char *s;

	if (json_object_is_type(v, json_type_string) &&
	    yaml_plain_ok((s = json_object_get_string(v))))
		sb_printf(b, "%s\n", s);
	else	/* JSON's own text is a YAML flow scalar (or collection). */
		sb_printf(b, "%s\n", json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void yaml_value(struct sbuf *, struct json_object *, int);

/* An object's members at indent ind; the first one after a "- " when
 * inline (a sequence element). */
static void
yaml_object(struct sbuf *b, struct json_object *o, int ind, int inl)
{
	json_object_object_foreach(o, k, v) {
		sb_printf(b, "%*s%s:", inl ? 0 : ind, "", k);
		inl = 0;
		yaml_value(b, v, ind);
	}
}

/* The rest of a "key:" line and what is under it, as kubectl prints
 * it: nested mappings two spaces in, sequences at the key's indent. */
static void
yaml_value(struct sbuf *b, struct json_object *v, int ind)
{
	size_t i, n;

	if (json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) > 0) {
		sb_printf(b, "\n");
		yaml_object(b, v, ind + 2, 0);
	} else if (json_object_is_type(v, json_type_array) &&
	    (n = json_object_array_length(v)) > 0) {
		sb_printf(b, "\n");
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			sb_printf(b, "%*s- ", ind, "");
			if (json_object_is_type(e, json_type_object) &&
			    json_object_object_length(e) > 0)
				yaml_object(b, e, ind + 2, 1);
			else
				yaml_scalar(b, e);
		}
	} else {
		sb_printf(b, " ");
		yaml_scalar(b, v);
	}
}

/*
 * The JSON List in j (as built below) as kubectl's YAML: item by item,
 * each parsed alone, so that converting costs no more than one item.
 */
static void
list_to_yaml(const struct sbuf *j, struct sbuf *y)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *it;
	const char *p = strstr(j->p, "\"items\":[");
	size_t off;

	if (tok == NULL || p == NULL)
		exit(1);
	off = (size_t)(p - j->p) + 9;
	sb_printf(y, "apiVersion: v1\nitems:\n");
	while (j->p[off] != ']') {
		json_tokener_reset(tok);
		it = json_tokener_parse_ex(tok, j->p + off,
		    (int)(j->len - off));
		if (it == NULL) {
			fprintf(stderr, "bench_kmeta: bad item at %zu\n", off);
			exit(1);
		}
		off += json_tokener_get_parse_end(tok);
		sb_printf(y, "- ");
		yaml_object(y, it, 2, 1);
		json_object_put(it);
		if (j->p[off] == ',')
			off++;
	}
	sb_printf(y, "kind: List\nmetadata:\n  resourceVersion: \"\"\n");
	json_tokener_free(tok);
}

int
main(int argc, char **argv)
{
	long npods = 100000, nns = 100, per = 20, nwl, i, found = 0, named = 0;
	const char *wpath = NULL;
	struct sbuf b = { NULL, 0, 0 };
	struct kmeta *km = NULL;
	struct kmeta_stats ks;
	struct timespec t0, t1;
	size_t heap0, heap1;
	long rss0, rss1, hwm1;
	size_t listlen;
	char err[256], mpath[64];
	int ch, r, mfd, yaml = 0;

	while ((ch = getopt(argc, argv, "yp:N:r:w:")) != -1) {
		switch (ch) {
		case 'y': yaml = 1; break;
		case 'p': npods = atol(optarg); break;
		case 'N': nns = atol(optarg); break;
		case 'r': per = atol(optarg); break;
		case 'w': wpath = optarg; break;
		default:
			fprintf(stderr, "usage: bench_kmeta [-y] [-p PODS] "
			    "[-N NAMESPACES] [-r PODS_PER_RS] [-w FILE]\n");
			return 1;
		}
	}
	if (npods < 1 || npods > 131072 || nns < 1 || per < 1)
		return 1;
	nwl = (npods + per - 1) / per;

	sb_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"List\","
	    "\"metadata\":{\"resourceVersion\":\"\"},\"items\":[");
	for (i = 0; i < nns; i++)
		sb_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
		    "\"metadata\":{\"name\":\"ns-%03ld\",\"uid\":\"ns-uid-%ld\","
		    "\"labels\":{\"kubernetes.io/metadata.name\":\"ns-%03ld\","
		    "\"team\":\"t%ld\"}}},", i, i, i, i % 9);
	for (i = 0; i < 100; i++)
		sb_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Node\","
		    "\"metadata\":{\"name\":\"node-%03ld\",\"uid\":\"node-uid-%ld\","
		    "\"labels\":{\"kubernetes.io/hostname\":\"node-%03ld\"}},"
		    "\"status\":{\"addresses\":[{\"type\":\"InternalIP\","
		    "\"address\":\"203.0.113.%ld\"},{\"type\":\"Hostname\","
		    "\"address\":\"node-%03ld\"}]}},", i, i, i, i + 1, i);
	for (i = 0; i < nwl; i++) {
		long ns = i % nns;
		int sts = i % 10 == 9;

		if (sts) {
			sb_printf(&b, "{\"apiVersion\":\"apps/v1\","
			    "\"kind\":\"StatefulSet\",\"metadata\":{\"name\":"
			    "\"db-%ld\",\"namespace\":\"ns-%03ld\",\"uid\":"
			    "\"sts-uid-%ld\",\"labels\":{\"app\":\"db-%ld\"}},"
			    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":"
			    "\"db-%ld\"}},\"template\":{\"metadata\":{\"labels\":"
			    "{\"app\":\"db-%ld\"}}}}},", i, ns, i, i, i, i);
			continue;
		}
		sb_printf(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":"
		    "\"Deployment\",\"metadata\":{\"name\":\"app-%ld\","
		    "\"namespace\":\"ns-%03ld\",\"uid\":\"dep-uid-%ld\","
		    "\"labels\":{\"app\":\"app-%ld\"}},\"spec\":{\"selector\":"
		    "{\"matchLabels\":{\"app\":\"app-%ld\",\"tier\":\"web\"}},"
		    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"app-%ld\","
		    "\"tier\":\"web\"}}}}},", i, ns, i, i, i, i);
		sb_printf(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":"
		    "\"ReplicaSet\",\"metadata\":{\"name\":\"app-%ld-5d%06lx\","
		    "\"namespace\":\"ns-%03ld\",\"uid\":\"rs-uid-%ld\","
		    "\"labels\":{\"app\":\"app-%ld\",\"tier\":\"web\","
		    "\"pod-template-hash\":\"5d%06lx\"},\"ownerReferences\":[{"
		    "\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		    "\"name\":\"app-%ld\",\"uid\":\"dep-uid-%ld\","
		    "\"controller\":true,\"blockOwnerDeletion\":true}]},"
		    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":"
		    "\"app-%ld\",\"tier\":\"web\",\"pod-template-hash\":"
		    "\"5d%06lx\"}}}},", i, i, ns, i, i, i, i, i, i, i);
	}
	for (i = 0; i < npods; i++) {
		long w = i / per, ns = w % nns;
		char v4[32], v6[64];

		pod_ip(i, v4, sizeof(v4), v6, sizeof(v6));
		if (w % 10 == 9)
			sb_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
			    "\"metadata\":{\"name\":\"db-%ld-%ld\",\"namespace\":"
			    "\"ns-%03ld\",\"uid\":\"pod-uid-%08lx-4f1c-9a7e-"
			    "%012lx\",\"labels\":{\"app\":\"db-%ld\","
			    "\"controller-revision-hash\":\"db-%ld-7c9\","
			    "\"statefulset.kubernetes.io/pod-name\":\"db-%ld-%ld\"},"
			    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
			    "\"kind\":\"StatefulSet\",\"name\":\"db-%ld\",\"uid\":"
			    "\"sts-uid-%ld\",\"controller\":true,"
			    "\"blockOwnerDeletion\":true}]},",
			    w, i % per, ns, i, i, w, w, w, i % per, w, w);
		else
			sb_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
			    "\"metadata\":{\"name\":\"app-%ld-5d%06lx-%05lx\","
			    "\"namespace\":\"ns-%03ld\",\"uid\":\"pod-uid-%08lx-"
			    "4f1c-9a7e-%012lx\",\"labels\":{\"app\":\"app-%ld\","
			    "\"tier\":\"web\",\"pod-template-hash\":\"5d%06lx\"},"
			    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
			    "\"kind\":\"ReplicaSet\",\"name\":\"app-%ld-5d%06lx\","
			    "\"uid\":\"rs-uid-%ld\",\"controller\":true,"
			    "\"blockOwnerDeletion\":true}]},",
			    w, w, i, ns, i, i, w, w, w, w, w);
		sb_printf(&b, "\"spec\":{\"nodeName\":\"node-%03ld\","
		    "\"containers\":[{\"name\":\"main\",\"image\":"
		    "\"registry.example/app:1.%ld\",\"ports\":[{\"name\":\"http\","
		    "\"containerPort\":%ld,\"protocol\":\"TCP\"}]}]},"
		    "\"status\":{\"phase\":\"Running\",\"hostIP\":"
		    "\"203.0.113.%ld\",\"podIP\":\"%s\",\"podIPs\":[{\"ip\":"
		    "\"%s\"},{\"ip\":\"%s\"}],\"startTime\":"
		    "\"2026-11-20T10:%02ld:%02ldZ\"}}%s",
		    i % 100, w % 30, 8000 + w % 50, i % 100 + 1, v4, v4, v6,
		    (i / 60) % 60, i % 60, i + 1 < npods ? "," : "");
	}
	sb_printf(&b, "]}");
	if (yaml) {
		struct sbuf y = { NULL, 0, 0 };

		list_to_yaml(&b, &y);
		free(b.p);
		b = y;
	}
	if (wpath != NULL) {
		FILE *f = fopen(wpath, "w");

		if (f == NULL || fwrite(b.p, 1, b.len, f) != b.len ||
		    fclose(f) != 0) {
			fprintf(stderr, "bench_kmeta: %s: %s\n", wpath,
			    strerror(errno));
			return 1;
		}
	}

	/* The List goes to a memory file so that the baseline holds no copy
	 * of it; kmeta_load_list_file() reads it back and calls
	 * kmeta_load_list(), as the daemon does with --metadata FILE. */
	if ((mfd = memfd_create("bench_kmeta_list", 0)) < 0) {
		perror("memfd_create");
		return 1;
	}
	for (size_t off = 0; off < b.len;) {
		ssize_t n = write(mfd, b.p + off, b.len - off);

		if (n < 0) {
			perror("write");
			return 1;
		}
		off += (size_t)n;
	}
	listlen = b.len;
	free(b.p);
	b.p = NULL;
	snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", mfd);
	malloc_trim(0);
	/* Reset VmHWM to the current RSS (Linux >= 4.0), so that the peak is
	 * the load's and not the List building's. */
	{
		FILE *f = fopen("/proc/self/clear_refs", "w");

		if (f != NULL) {
			fputs("5", f);
			fclose(f);
		}
	}
	heap0 = heap_in_use();
	rss0 = status_kb("VmRSS");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((r = kmeta_new(&km)) != 0 ||
	    (r = kmeta_load_list_file(km, mpath, err, sizeof(err))) != 0) {
		fprintf(stderr, "bench_kmeta: load: %s (%s)\n", strerror(-r),
		    km != NULL ? err : "kmeta_new");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	hwm1 = status_kb("VmHWM");
	close(mfd);
	malloc_trim(0);
	heap1 = heap_in_use();
	rss1 = status_kb("VmRSS");
	kmeta_get_stats(km, &ks);

	/* The cache must hold what was loaded: every pod by IP, resolved to
	 * its workload. */
	for (i = 0; i < npods; i++) {
		char v4[32], v6[64];
		struct addr a;
		const struct kmeta_pod *p;
		struct store_workload wl;

		pod_ip(i, v4, sizeof(v4), v6, sizeof(v6));
		if (addr_parse(v4, &a) != 0 ||
		    (p = kmeta_pod_by_ip(km, &a)) == NULL)
			continue;
		found++;
		if (i % 97 != 0)
			continue;
		if (kmeta_pod_workload(km, p, &wl) == 0 &&
		    (strcmp(wl.kind, "Deployment") == 0 ||
		    strcmp(wl.kind, "StatefulSet") == 0))
			named++;
		store_workload_clear(&wl);
	}
	printf("format=%s pods=%ld found=%ld owners_checked=%ld owners_ok=%ld "
	    "heap_bytes=%zu rss_bytes=%ld peak_bytes=%ld stats_bytes=%zu "
	    "list_bytes=%zu load_secs=%.3f\n", yaml ? "yaml" : "json",
	    npods, found,
	    (npods + 96) / 97, named, heap1 - heap0, (rss1 - rss0) * 1024,
	    (hwm1 - rss0) * 1024, ks.bytes, listlen,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	kmeta_free(km);
	return found == npods && named == (npods + 96) / 97 ? 0 : 1;
}
