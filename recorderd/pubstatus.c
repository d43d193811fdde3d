/*
 * pubstatus: the RecorderStatus body (see pubstatus.h).
 */
#include "recorderd/pubstatus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/tpname.h"
#include "recorderd/profile.h"

static json_object *
i64(int64_t v)
{
	return json_object_new_int64(v > 0 ? v : 0);
}

static json_object *
metadata(const struct pubstatus *s)
{
	json_object *m = json_object_new_object(), *l;
	char lv[TPNAME_LABEL_MAX + 1];

	l = json_object_new_object();
	json_object_object_add(l, "app.kubernetes.io/managed-by",
	    json_object_new_string("netpol-record"));
	tpname_label(s->node, lv, sizeof(lv));
	json_object_object_add(l, "netpol-record.io/node",
	    json_object_new_string(lv));
	json_object_object_add(m, "labels", l);
	json_object_object_add(m, "name", json_object_new_string(s->node));
	json_object_object_add(m, "namespace",
	    json_object_new_string(PUBSTATUS_NAMESPACE));
	/* The Node owns it, so that it goes with the node; only with the
	 * uid the API gave (a made-up one is collected at once). */
	if (s->node_uid != NULL && s->node_uid[0] != '\0')
		json_object_object_add(m, "ownerReferences",
		    profile_owner_refs("v1", "Node", s->node, s->node_uid));
	return m;
}

static json_object *
counters(const struct pubstatus *s)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "eventsLost", i64(s->events_lost));
	json_object_object_add(c, "eventsSeen", i64(s->events_seen));
	json_object_object_add(c, "objectsWritten", i64(s->objects_written));
	json_object_object_add(c, "podsAdopted", i64(s->pods_adopted));
	json_object_object_add(c, "podsAttached", i64(s->pods_attached));
	json_object_object_add(c, "publishFailed", i64(s->publish_failed));
	json_object_object_add(c, "publishPending", i64(s->publish_pending));
	return c;
}

static json_object *
store_counters(const struct pubstatus *s)
{
	json_object *c = json_object_new_object();
	size_t i;

	for (i = 0; i < s->nstore_counters && i < PUBSTATUS_COUNTERS_MAX; i++)
		json_object_object_add(c, s->store_counters[i].name,
		    i64(s->store_counters[i].value));
	return c;
}

int
pubstatus_build(const struct pubstatus *s, char **body)
{
	json_object *o, *spec;
	char t[32], err[PUBSTATUS_LAST_ERROR_MAX + 1];
	int ret = 0;

	*body = NULL;
	if (s->node == NULL || s->node[0] == '\0')
		return -EINVAL;
	if ((o = json_object_new_object()) == NULL)
		return -ENOMEM;
	json_object_object_add(o, "apiVersion",
	    json_object_new_string(PROFILE_API_VERSION));
	json_object_object_add(o, "kind",
	    json_object_new_string("RecorderStatus"));
	json_object_object_add(o, "metadata", metadata(s));
	spec = json_object_new_object();
	json_object_object_add(spec, "counters", counters(s));
	if (s->data_end > 0)
		json_object_object_add(spec, "dataEnd", i64(s->data_end));
	if (s->last_error != NULL && s->last_error[0] != '\0') {
		snprintf(err, sizeof(err), "%s", s->last_error);
		json_object_object_add(spec, "lastError",
		    json_object_new_string(err));
	}
	if (s->last_profile_write > 0)
		json_object_object_add(spec, "lastProfileWrite",
		    json_object_new_string(profile_time(s->last_profile_write,
		    t, sizeof(t))));
	json_object_object_add(spec, "maxEntries", json_object_new_int(
	    (int)(s->max_entries >= 1 && s->max_entries <= 1000 ?
	    s->max_entries : 1000)));
	json_object_object_add(spec, "node", json_object_new_string(s->node));
	json_object_object_add(spec, "publishIntervalSeconds",
	    json_object_new_int64(s->interval > 0 ? s->interval : 1));
	json_object_object_add(spec, "publishRefreshSeconds",
	    json_object_new_int64(s->refresh > 0 ? s->refresh : 1));
	json_object_object_add(spec, "publishedAt", json_object_new_string(
	    profile_time(s->published_at, t, sizeof(t))));
	json_object_object_add(spec, "recordingStarted",
	    i64(s->recording_started));
	if (s->nstore_counters > 0)
		json_object_object_add(spec, "storeCounters",
		    store_counters(s));
	json_object_object_add(spec, "version", json_object_new_string(
	    s->version != NULL && s->version[0] != '\0' ? s->version : "0"));
	json_object_object_add(o, "spec", spec);
	if ((*body = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))) == NULL)
		ret = -ENOMEM;
	json_object_put(o);
	return ret;
}
