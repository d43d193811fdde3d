/*
 * kapi_watch: a watch stream's line to its type, object and
 * resourceVersion.
 */
#include "recorderd/kapi_watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

int
kapi_watch_parse(const char *line, size_t len, struct kapi_watch_event *ev,
    char *err, size_t errlen)
{
	static const char *const types[] = {
		[KAPI_WATCH_ADDED] = "ADDED",
		[KAPI_WATCH_MODIFIED] = "MODIFIED",
		[KAPI_WATCH_DELETED] = "DELETED",
		[KAPI_WATCH_BOOKMARK] = "BOOKMARK",
		[KAPI_WATCH_ERROR] = "ERROR",
	};
	struct json_object *root, *t, *o, *v;
	struct json_tokener *tok;
	const char *ts;
	size_t i;
	int r = -EINVAL;

	memset(ev, 0, sizeof(*ev));
	if ((tok = json_tokener_new()) == NULL)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, line, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) < len) {
		snprintf(err, errlen, "watch event is not one JSON object: %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "type", &t) ||
	    !json_object_is_type(t, json_type_string) ||
	    !json_object_object_get_ex(root, "object", &o) ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "watch event without a type string and "
		    "an object");
		goto out;
	}
	ts = json_object_get_string(t);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(ts, types[i]) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		snprintf(err, errlen, "unknown watch event type \"%.32s\"", ts);
		goto out;
	}
	ev->type = (enum kapi_watch_type)i;
	if (ev->type == KAPI_WATCH_ERROR && json_object_object_get_ex(o,
	    "code", &v))
		ev->code = json_object_get_int(v);
	if (json_object_object_get_ex(o, "metadata", &v) &&
	    json_object_object_get_ex(v, "resourceVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(ev->rv, sizeof(ev->rv), "%s", json_object_get_string(v));
	ev->obj = json_object_get(o);
	r = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}
