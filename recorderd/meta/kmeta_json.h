/*
 * kmeta_json: reading Kubernetes API objects for the metadata cache:
 * typed fields by dotted path, labels, selectors, times, named ports,
 * addresses; errors that name the field.
 */
#ifndef NPR_KMETA_JSON_H
#define NPR_KMETA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/addr.h"
#include "lib/store.h"
#include "recorderd/meta/kmeta_kind.h"
#include "recorderd/meta/kmeta_tab.h"

/* Where parse errors go (err may be NULL). */
struct kmeta_err {
	char *buf;
	size_t len;
};

/* The metadata fields every object has (borrowed from the JSON). */
struct kmeta_meta {
	const char *ns, *name, *uid;
	const char *owner_kind, *owner_name;
	const char *owner_uid;		/* of the owner reference, "" none */
	struct json_object *labels;
};

/* Errors: -EINVAL with the message in e. */
int kmeta_err_set(struct kmeta_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct json_object *kmeta_json_path(struct json_object *o, const char *path);
int kmeta_json_str(struct json_object *o, const char *path, const char **out,
    struct kmeta_err *e, const char *what);
int kmeta_json_type(struct json_object *o, const char *path, json_type t,
    struct json_object **out, struct kmeta_err *e, const char *what);
int kmeta_json_labels(struct json_object *src, bool clean,
    struct json_object **out, struct kmeta_err *e, const char *what);
const char *kmeta_json_text(struct json_object *o);
int kmeta_json_selector(struct kmem *mem, struct json_object *obj,
    enum sel_from how, const char **out, bool *found, struct kmeta_err *e,
    const char *what);
int64_t kmeta_json_time(const char *s);
int kmeta_json_meta(struct json_object *obj, struct kmeta_meta *m,
    bool namespaced, struct kmeta_err *e, const char *what);
int kmeta_json_ports(struct json_object *pod, struct json_object **out,
    struct kmeta_err *e, const char *what);
int kmeta_json_ips(struct json_object *obj, const char *arrpath,
    const char *key, const char *single, struct addr *ips, int *nips,
    struct kmeta_err *e, const char *what);

#endif
