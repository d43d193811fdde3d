/*
 * kmeta_json: reading Kubernetes API objects: typed fields with errors
 * that name the field, labels, cleaned selectors, times, ports, IPs.
 */
#include "recorderd/meta/kmeta_json.h"

#include "lib/sort.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
kmeta_err_set(struct kmeta_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e->buf != NULL && e->len > 0) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Follow a dotted path of object keys; NULL when any step is missing or
 * null. */
struct json_object *
kmeta_json_path(struct json_object *o, const char *path)
{
	char key[64];
	const char *p = path, *dot;
	size_t n;

	while (o != NULL && *p != '\0') {
		if (!json_object_is_type(o, json_type_object))
			return NULL;
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p += n + (dot != NULL);
	}
	return o;
}

/* A string at path: 0 with *out (borrowed) or NULL when absent, -EINVAL
 * when present with another type. */
int
kmeta_json_str(struct json_object *o, const char *path, const char **out,
    struct kmeta_err *e, const char *what)
{
	struct json_object *v = kmeta_json_path(o, path);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return kmeta_err_set(e, "%s: %s: expected a string", what,
		    path);
	*out = json_object_get_string(v);
	return 0;
}

int
kmeta_json_type(struct json_object *o, const char *path, json_type t,
    struct json_object **out, struct kmeta_err *e, const char *what)
{
	struct json_object *v = kmeta_json_path(o, path);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, t))
		return kmeta_err_set(e, "%s: %s: expected %s", what, path,
		    t == json_type_object ? "an object" :
		    t == json_type_array ? "an array" :
		    t == json_type_boolean ? "a boolean" : "a number");
	*out = v;
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A new JSON object with the string labels of src, keys sorted, per-pod
 * labels dropped when clean. -EINVAL when a value is not a string.
 */
int
kmeta_json_labels(struct json_object *src, bool clean, struct json_object **out,
    struct kmeta_err *e, const char *what)
{
	struct json_object *dst = NULL;
	const char **keys = NULL;
	size_t n = 0, i;
	int r = 0;

	*out = NULL;
	if ((dst = json_object_new_object()) == NULL)
		return -ENOMEM;
	if (src == NULL)
		goto done;
	if (!json_object_is_type(src, json_type_object)) {
		r = kmeta_err_set(e, "%s: labels: expected an object", what);
		goto fail;
	}
	if ((keys = calloc(json_object_object_length(src) + 1,
	    sizeof(*keys))) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	json_object_object_foreach(src, k, v) {
		if (!json_object_is_type(v, json_type_string)) {
			r = kmeta_err_set(e, "%s: label %s: expected a string",
			    what, k);
			goto fail;
		}
		if (!clean || !kmeta_label_is_per_pod(k))
			keys[n++] = k;
	}
	if (n > 1)
		sort_n(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++) {
		struct json_object *lv = json_object_object_get(src, keys[i]);

		if (json_object_object_add(dst, keys[i],
		    json_object_get(lv)) != 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
done:
	free(keys);
	*out = dst;
	return 0;
fail:
	free(keys);
	json_object_put(dst);
	return r;
}

const char *
kmeta_json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * The cleaned LabelSelector JSON from matchLabels (a map) and
 * matchExpressions (an array, may be NULL) into a shared string; "" when
 * nothing stable is left.
 */
static int
selector_make(struct kmem *mem, struct json_object *labels,
    struct json_object *exprs, const char **out, struct kmeta_err *e,
    const char *what)
{
	struct json_object *sel = NULL, *ml = NULL, *me = NULL, *x, *key;
	size_t i, n;
	int r;

	*out = kmeta_str_empty;
	if ((r = kmeta_json_labels(labels, true, &ml, e, what)) != 0)
		return r;
	if ((me = json_object_new_array()) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	n = exprs != NULL ? json_object_array_length(exprs) : 0;
	for (i = 0; i < n; i++) {
		x = json_object_array_get_idx(exprs, i);
		if (!json_object_is_type(x, json_type_object) ||
		    !json_object_object_get_ex(x, "key", &key) ||
		    !json_object_is_type(key, json_type_string)) {
			r = kmeta_err_set(e,
			    "%s: matchExpressions[%zu]: expected "
			    "an object with a string key", what, i);
			goto out;
		}
		if (kmeta_label_is_per_pod(json_object_get_string(key)))
			continue;
		if (json_object_array_add(me, json_object_get(x)) != 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (json_object_object_length(ml) == 0 &&
	    json_object_array_length(me) == 0)
		goto out;
	if ((sel = json_object_new_object()) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (json_object_object_length(ml) > 0) {
		json_object_object_add(sel, "matchLabels", ml);
		ml = NULL;
	}
	if (json_object_array_length(me) > 0) {
		json_object_object_add(sel, "matchExpressions", me);
		me = NULL;
	}
	if ((*out = kmeta_str_dup(mem, kmeta_json_text(sel))) == NULL) {
		*out = kmeta_str_empty;
		r = -ENOMEM;
	}
out:
	json_object_put(sel);
	json_object_put(ml);
	json_object_put(me);
	return r;
}

int
kmeta_json_selector(struct kmem *mem, struct json_object *obj,
    enum sel_from how,
    const char **out, bool *found, struct kmeta_err *e, const char *what)
{
	struct json_object *sel = NULL, *ml = NULL, *me = NULL;
	int r;

	*found = false;
	*out = kmeta_str_empty;
	switch (how) {
	case SEL_NONE:
		return 0;
	case SEL_LABEL_SELECTOR:
		if ((r = kmeta_json_type(obj, "spec.selector",
		    json_type_object, &sel, e,
		    what)) != 0)
			return r;
		if (sel == NULL)
			return 0;
		if ((r = kmeta_json_type(sel, "matchLabels", json_type_object,
		    &ml, e,
		    what)) != 0 ||
		    (r = kmeta_json_type(sel, "matchExpressions",
		    json_type_array, &me,
		    e, what)) != 0)
			return r;
		break;
	case SEL_MAP:
		if ((r = kmeta_json_type(obj, "spec.selector",
		    json_type_object, &ml, e,
		    what)) != 0)
			return r;
		if (ml == NULL)
			return 0;
		break;
	case SEL_TEMPLATE:
		if ((r = kmeta_json_type(obj, "spec.template.metadata.labels",
		    json_type_object, &ml, e, what)) != 0)
			return r;
		break;
	case SEL_JOB_TEMPLATE:
		if ((r = kmeta_json_type(obj,
		    "spec.jobTemplate.spec.template.metadata.labels",
		    json_type_object, &ml, e, what)) != 0)
			return r;
		break;
	}
	*found = true;
	return selector_make(mem, ml, me, out, e, what);
}

/* ---- parsing objects ---------------------------------------------------- */

/* RFC 3339 "2024-05-01T10:00:00Z" (fraction and offset allowed). */
int64_t
kmeta_json_time(const char *s)
{
	struct tm tm;
	const char *p;
	int64_t t;
	int sign, hh, mm;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	t = (int64_t)timegm(&tm);
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2)
			t -= sign * (hh * 3600 + mm * 60);
	}
	return t;
}

int
kmeta_json_meta(struct json_object *obj, struct kmeta_meta *m, bool namespaced,
    struct kmeta_err *e, const char *what)
{
	struct json_object *refs, *ref, *first = NULL, *v;
	const char *k, *n;
	size_t i, len;
	int r;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(obj, json_type_object))
		return kmeta_err_set(e, "%s: expected an object", what);
	if ((r = kmeta_json_str(obj, "metadata.name", &m->name, e,
	    what)) != 0 ||
	    (r = kmeta_json_str(obj, "metadata.namespace", &m->ns, e,
	    what)) != 0 ||
	    (r = kmeta_json_str(obj, "metadata.uid", &m->uid, e, what)) != 0 ||
	    (r = kmeta_json_type(obj, "metadata.labels", json_type_object,
	    &m->labels, e,
	    what)) != 0 ||
	    (r = kmeta_json_type(obj, "metadata.ownerReferences",
	    json_type_array, &refs,
	    e, what)) != 0)
		return r;
	if (m->name == NULL || *m->name == '\0')
		return kmeta_err_set(e, "%s: metadata.name is missing", what);
	if (m->ns == NULL)
		m->ns = namespaced ? "default" : "";
	if (m->uid == NULL)
		m->uid = "";
	len = refs != NULL ? json_object_array_length(refs) : 0;
	/* The controller reference; else the first reference of a kind we
	 * know as an owner (hand-written files often omit controller). */
	for (i = 0; i < len; i++) {
		ref = json_object_array_get_idx(refs, i);
		if ((r = kmeta_json_str(ref, "kind", &k, e, what)) != 0 ||
		    (r = kmeta_json_str(ref, "name", &n, e, what)) != 0)
			return r;
		if (k == NULL || n == NULL)
			return kmeta_err_set(e,
			    "%s: ownerReferences[%zu]: kind and "
			    "name are required", what, i);
		if (json_object_object_get_ex(ref, "controller", &v) &&
		    json_object_get_boolean(v)) {
			first = ref;
			break;
		}
		if (first == NULL && kmeta_kind_parse(k) >= 0 &&
		    kmeta_kind_rules[kmeta_kind_parse(k)].owner)
			first = ref;
	}
	if (first != NULL) {
		kmeta_json_str(first, "kind", &m->owner_kind, e, what);
		kmeta_json_str(first, "name", &m->owner_name, e, what);
		kmeta_json_str(first, "uid", &m->owner_uid, e, what);
	}
	if (m->owner_uid == NULL)
		m->owner_uid = "";
	return 0;
}

int
kmeta_json_ports(struct json_object *pod, struct json_object **out,
    struct kmeta_err *e, const char *what)
{
	struct json_object *cs, *ports, *c, *p, *v, *arr, *o;
	const char *name, *proto;
	size_t i, j;
	int r;

	*out = NULL;
	if ((r = kmeta_json_type(pod, "spec.containers", json_type_array, &cs,
	    e,
	    what)) != 0)
		return r;
	if ((arr = json_object_new_array()) == NULL)
		return -ENOMEM;
	for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
		c = json_object_array_get_idx(cs, i);
		if ((r = kmeta_json_type(c, "ports", json_type_array, &ports, e,
		    what)) != 0)
			goto fail;
		for (j = 0; ports != NULL &&
		    j < json_object_array_length(ports); j++) {
			p = json_object_array_get_idx(ports, j);
			if ((r = kmeta_json_str(p, "name", &name, e,
			    what)) != 0 ||
			    (r = kmeta_json_str(p, "protocol", &proto, e,
			    what)) != 0 ||
			    (r = kmeta_json_type(p, "containerPort",
			    json_type_int, &v,
			    e, what)) != 0)
				goto fail;
			if (name == NULL || v == NULL)
				continue;
			if ((o = json_object_new_object()) == NULL) {
				r = -ENOMEM;
				goto fail;
			}
			json_object_object_add(o, "name",
			    json_object_new_string(name));
			json_object_object_add(o, "port",
			    json_object_new_int(json_object_get_int(v)));
			json_object_object_add(o, "protocol",
			    json_object_new_string(proto != NULL ? proto :
			    "TCP"));
			json_object_array_add(arr, o);
		}
	}
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return r;
}

int
kmeta_json_ips(struct json_object *obj, const char *arrpath, const char *key,
    const char *single, struct addr *ips, int *nips, struct kmeta_err *e,
    const char *what)
{
	struct json_object *arr, *x;
	const char *s, *type;
	struct addr a;
	size_t i;
	int r, j;

	*nips = 0;
	if ((r = kmeta_json_type(obj, arrpath, json_type_array, &arr, e,
	    what)) != 0)
		return r;
	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		x = json_object_array_get_idx(arr, i);
		if ((r = kmeta_json_str(x, key, &s, e, what)) != 0)
			return r;
		if (strcmp(key, "address") == 0) {
			/* Node addresses: IPs only, not Hostname. */
			if ((r = kmeta_json_str(x, "type", &type, e,
			    what)) != 0)
				return r;
			if (type != NULL && strcmp(type, "InternalIP") != 0 &&
			    strcmp(type, "ExternalIP") != 0)
				continue;
		}
		if (s == NULL || addr_parse(s, &a) != 0)
			continue;
		for (j = 0; j < *nips; j++)
			if (addr_equal(&ips[j], &a))
				break;
		if (j == *nips && *nips < STORE_MAX_ADDRS)
			ips[(*nips)++] = a;
	}
	if (*nips == 0 && single != NULL) {
		if ((r = kmeta_json_str(obj, single, &s, e, what)) != 0)
			return r;
		if (s != NULL && addr_parse(s, &a) == 0)
			ips[(*nips)++] = a;
	}
	return 0;
}
