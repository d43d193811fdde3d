/*
 * kapi_watch: one line of a Kubernetes watch stream, parsed (pure: for
 * the API client, its tests and its fuzzer).
 */
#ifndef NPR_KAPI_WATCH_H
#define NPR_KAPI_WATCH_H

#include <stddef.h>

struct json_object;

enum kapi_watch_type {
	KAPI_WATCH_ADDED,
	KAPI_WATCH_MODIFIED,
	KAPI_WATCH_DELETED,
	KAPI_WATCH_BOOKMARK,
	KAPI_WATCH_ERROR,
};

struct kapi_watch_event {
	enum kapi_watch_type type;
	struct json_object *obj;	/* owned by the caller */
	char rv[64];			/* object's resourceVersion, or "" */
	int code;			/* ERROR: the Status code (410) */
};

/* Parse one line of a watch stream. Returns 0 or -EINVAL (err set). */
int kapi_watch_parse(const char *line, size_t len, struct kapi_watch_event *ev,
    char *err, size_t errlen);

#endif
