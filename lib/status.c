/*
 * status: a store's contents and counters as text (see status.h).
 */
#include "lib/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "lib/store.h"

/* RFC 3339 UTC, or "@SECONDS" when out of range. */
static const char *
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

/* What the recorder's publisher did, when it ever ran. */
static void
print_publishing(FILE *f, struct store *st)
{
	static const struct {
		const char *key, *label;
		bool time;
	} lines[] = {
		{ STORE_META_PUBLISH_STATE, "state", false },
		{ STORE_META_PUBLISH_OBJECTS, "objects in the API", false },
		{ STORE_META_PUBLISH_WRITTEN, "objects written", false },
		{ STORE_META_PUBLISH_FAILED, "failed attempts", false },
		{ STORE_META_PUBLISH_PENDING, "pending", false },
		{ STORE_META_PUBLISH_LAST_SUCCESS, "last success", true },
		{ STORE_META_PUBLISH_LAST_ERROR, "last error", false },
	};
	char buf[1100], when[40];
	bool any = false;
	long long t;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (store_meta_get(st, lines[i].key, buf, sizeof(buf)) < 0 ||
		    buf[0] == '\0')
			continue;
		if (!any)
			fprintf(f, "publishing\n");
		any = true;
		t = strtoll(buf, NULL, 10);
		fprintf(f, "  %-18s %s\n", lines[i].label, lines[i].time ?
		    (t > 0 ? fmt_time((int64_t)t, when, sizeof(when)) :
		    "never") : buf);
	}
}

static int
counter_cb(const char *name, int64_t value, int64_t updated_at, void *arg)
{
	char t[32];

	fprintf(arg, "  %-24s %12lld  (updated %s)\n", name, (long long)value,
	    updated_at ? fmt_time(updated_at, t, sizeof(t)) : "-");
	return 0;
}

int
status_print(FILE *f, const char *path, struct store *st)
{
	struct store_totals n;
	char buf[128], when[40], *end;
	long long t;
	int rc;

	fprintf(f, "store %s\n", path);
	if (store_meta_get(st, "recording_started", buf, sizeof(buf)) == 0) {
		/* The daemon stores Unix seconds; older stores may hold
		 * text. */
		t = strtoll(buf, &end, 10);
		fprintf(f, "  recording started  %s\n", *end == '\0' &&
		    end != buf ? fmt_time((int64_t)t, when, sizeof(when)) :
		    buf);
	}
	if (store_meta_get(st, "node_name", buf, sizeof(buf)) == 0)
		fprintf(f, "  node               %s\n", buf);
	if ((rc = store_read_totals(st, &n)) < 0)
		return rc;
	/* Adopted pods (running before they were recorded) are said when
	 * there are any. */
	fprintf(f, "  attachments        %lld attached", (long long)n.attached);
	if (n.adopted > 0)
		fprintf(f, " (%lld adopted)", (long long)n.adopted);
	fprintf(f, ", %lld detached\n", (long long)n.detached);
	fprintf(f, "  workloads          %lld\n", (long long)n.workloads);
	fprintf(f, "  namespaces         %lld\n", (long long)n.namespaces);
	fprintf(f, "  flows              %lld\n", (long long)n.flows);
	fprintf(f, "  known servers      %lld\n", (long long)n.known_servers);
	print_publishing(f, st);
	fprintf(f, "counters\n");
	return store_counter_foreach(st, counter_cb, f);
}
