/*
 * kmeta_mem: the memory the metadata cache holds for N pods, for
 * `make bench`.
 *
 *   kmeta_mem [-n PODS] [-f LIST_FILE]
 *
 * Without -f it builds a cluster shaped like a real one: 100 namespaces,
 * one Deployment + ReplicaSet per 20 pods, pods with 63-character names,
 * real-looking UUIDs, dual-stack IPs, five labels and a named port; the
 * objects go through kmeta_apply() as the API client's events do. It
 * prints one line:
 *   pods=N cache_bytes=B bytes_per_pod=P rss_delta_bytes=R
 * cache_bytes is the cache's own accounting (malloc_usable_size of every
 * block it holds); rss_delta_bytes is the process RSS growth, which also
 * counts allocator overhead. Exits 1 when the cache does not hold N pods.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "recorderd/meta/kmeta.h"
#include "recorderd/meta/kmeta_load.h"

static long
rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static int
apply(struct kmeta *km, int kind, const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	char err[256];
	int r;

	if (o == NULL)
		return -EINVAL;
	r = kmeta_apply(km, kind, false, o, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "kmeta_mem: %s\n", err);
	json_object_put(o);
	return r;
}

static int
build(struct kmeta *km, int n)
{
	char buf[4096], ns[64], app[64], rs[96];
	int i, w, nw = (n + 19) / 20;

	for (w = 0; w < nw; w++) {
		snprintf(ns, sizeof(ns), "team-%03d", w % 100);
		snprintf(app, sizeof(app), "service-%05d", w);
		snprintf(rs, sizeof(rs), "%s-6d8f9c7b5d", app);
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s\","
		    "\"namespace\":\"%s\",\"uid\":\"d%07x-1111-4222-8333-"
		    "444455556666\"},\"spec\":{\"selector\":{\"matchLabels\":"
		    "{\"app\":\"%s\"}}}}", app, ns, w, app);
		if (apply(km, KMETA_DEPLOYMENT, buf) != 0)
			return -1;
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s\","
		    "\"namespace\":\"%s\",\"uid\":\"r%07x-1111-4222-8333-"
		    "444455556666\",\"ownerReferences\":[{\"kind\":"
		    "\"Deployment\",\"name\":\"%s\",\"controller\":true}]},"
		    "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"%s\","
		    "\"pod-template-hash\":\"6d8f9c7b5d\"}}}}", rs, ns, w, app,
		    app);
		if (apply(km, KMETA_REPLICASET, buf) != 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		w = i / 20;
		snprintf(ns, sizeof(ns), "team-%03d", w % 100);
		snprintf(app, sizeof(app), "service-%05d", w);
		snprintf(rs, sizeof(rs), "%s-6d8f9c7b5d", app);
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":"
		    "\"%s-%s-%05d\",\"namespace\":\"%s\",\"uid\":"
		    "\"%08x-7c3e-4f0a-9b1d-%012x\",\"labels\":{\"app\":\"%s\","
		    "\"app.kubernetes.io/name\":\"%s\",\"app.kubernetes.io/"
		    "part-of\":\"shop\",\"version\":\"v1\",\"pod-template-hash\":"
		    "\"6d8f9c7b5d\"},\"ownerReferences\":[{\"apiVersion\":"
		    "\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"%s\","
		    "\"controller\":true}]},\"spec\":{\"nodeName\":"
		    "\"node-%03d.cluster.example.internal\",\"containers\":[{"
		    "\"name\":\"main\",\"ports\":[{\"name\":\"http\","
		    "\"containerPort\":8080}]}]},\"status\":{\"phase\":"
		    "\"Running\",\"startTime\":\"2024-05-01T10:00:00Z\","
		    "\"podIPs\":[{\"ip\":\"10.%d.%d.%d\"},{\"ip\":"
		    "\"fd00::%x:%x\"}]}}", rs, "abcdefghijklmnopqrstuvwxyz01",
		    i % 100000, ns, i, i, app, app, rs, i % 500,
		    (i >> 16) & 255, (i >> 8) & 255, i & 255, i >> 16,
		    i & 0xffff);
		if (apply(km, KMETA_POD, buf) != 0)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct kmeta *km;
	struct kmeta_stats st;
	const char *file = NULL;
	char err[512];
	long before, after;
	int c, n = 100000;

	while ((c = getopt(argc, argv, "n:f:")) != -1) {
		switch (c) {
		case 'n': n = atoi(optarg); break;
		case 'f': file = optarg; break;
		default:
			fprintf(stderr, "usage: kmeta_mem [-n PODS] "
			    "[-f LIST_FILE]\n");
			return 2;
		}
	}
	before = rss_bytes();
	if (kmeta_new(&km) != 0)
		return 1;
	if (file != NULL) {
		if (kmeta_load_list_file(km, file, err, sizeof(err)) != 0) {
			fprintf(stderr, "kmeta_mem: %s\n", err);
			return 1;
		}
	} else if (build(km, n) != 0)
		return 1;
	after = rss_bytes();
	kmeta_get_stats(km, &st);
	printf("pods=%zu cache_bytes=%zu bytes_per_pod=%zu "
	    "rss_delta_bytes=%ld\n", st.pods, st.bytes,
	    st.pods ? st.bytes / st.pods : 0, after - before);
	c = file == NULL && st.pods != (size_t)n;
	kmeta_free(km);
	return c;
}
