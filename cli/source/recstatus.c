/*
 * recstatus: a RecorderStatus read (see recstatus.h).
 */
#include "cli/source/recstatus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/source/kobj.h"

int
recstatus_parse(json_object *item, struct recstatus *s, char *err,
    size_t errlen)
{
	json_object *spec, *c;
	const char *p = "spec.counters.";
	int rc;

	memset(s, 0, sizeof(*s));
	if (!json_object_is_type(item, json_type_object)) {
		snprintf(err, errlen, "not an object");
		return -EINVAL;
	}
	if ((rc = kobj_obj(item, "spec", true, &spec, "", err, errlen)) < 0 ||
	    (rc = kobj_str(spec, "node", true, &s->node, "spec.", err,
	    errlen)) < 0 ||
	    (rc = kobj_str(spec, "version", true, &s->version, "spec.", err,
	    errlen)) < 0 ||
	    (rc = kobj_int(spec, "recordingStarted", true, 0, INT64_MAX,
	    &s->recording_started, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_time(spec, "publishedAt", true, &s->published_at,
	    "spec.", err, errlen)) < 0 ||
	    (rc = kobj_time(spec, "lastProfileWrite", false,
	    &s->last_profile_write, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_int(spec, "publishIntervalSeconds", true, 1, INT64_MAX,
	    &s->interval, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_int(spec, "publishRefreshSeconds", true, 1, INT64_MAX,
	    &s->refresh, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_str(spec, "lastError", false, &s->last_error, "spec.",
	    err, errlen)) < 0 ||
	    (rc = kobj_obj(spec, "counters", true, &c, "spec.", err,
	    errlen)) < 0 ||
	    (rc = kobj_int(c, "eventsSeen", true, 0, INT64_MAX,
	    &s->events_seen, p, err, errlen)) < 0 ||
	    (rc = kobj_int(c, "eventsLost", true, 0, INT64_MAX,
	    &s->events_lost, p, err, errlen)) < 0 ||
	    (rc = kobj_int(c, "podsAttached", true, 0, INT64_MAX,
	    &s->pods_attached, p, err, errlen)) < 0 ||
	    (rc = kobj_int(c, "podsAdopted", true, 0, INT64_MAX,
	    &s->pods_adopted, p, err, errlen)) < 0 ||
	    (rc = kobj_int(c, "objectsWritten", true, 0, INT64_MAX,
	    &s->objects_written, p, err, errlen)) < 0 ||
	    (rc = kobj_int(c, "publishFailed", true, 0, INT64_MAX,
	    &s->publish_failed, p, err, errlen)) < 0 ||
	    (rc = kobj_int(c, "publishPending", true, 0, INT64_MAX,
	    &s->publish_pending, p, err, errlen)) < 0 ||
	    (rc = kobj_int(spec, "dataEnd", false, 0, INT64_MAX, &s->data_end,
	    "spec.", err, errlen)) < 0 ||
	    (rc = kobj_obj(spec, "storeCounters", false, &s->store_counters,
	    "spec.", err, errlen)) < 0)
		return rc;
	return 0;
}

bool
recstatus_stale(const struct recstatus *s, int64_t now)
{
	return s->published_at > 0 && now - s->published_at > 2 * s->refresh;
}

int
recstatus_set_add(json_object *item, void *arg)
{
	struct recstatus_set *s = arg;
	json_object **no;
	struct recstatus *nv;
	char err[256];

	if ((no = realloc(s->objs, (s->n + 1) * sizeof(*no))) == NULL)
		return -ENOMEM;
	s->objs = no;
	if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	s->v = nv;
	if (recstatus_parse(item, &s->v[s->n], err, sizeof(err)) < 0) {
		if (s->bad++ == 0)
			snprintf(s->first_bad, sizeof(s->first_bad), "%s", err);
		return 0;
	}
	s->objs[s->n++] = json_object_get(item);
	return 0;
}

const struct recstatus *
recstatus_set_find(const struct recstatus_set *s, const char *node)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].node, node) == 0)
			return &s->v[i];
	return NULL;
}

void
recstatus_set_clear(struct recstatus_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		json_object_put(s->objs[i]);
	free(s->objs);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
