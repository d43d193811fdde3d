/*
 * kobj: strict typed fields of API objects (see kobj.h).
 */
#include "cli/source/kobj.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/rfc3339.h"

/* The member key of o, of type t (what: its name in a message): 0 and
 * *v; 1 when absent (or null) and optional; -EINVAL with err when absent
 * and required, or of another type. */
static int
typed(json_object *o, const char *key, bool required, json_type t,
    const char *what, json_object **v, const char *path, char *err,
    size_t errlen)
{
	if (!json_object_object_get_ex(o, key, v) || *v == NULL) {
		if (!required)
			return 1;
		snprintf(err, errlen, "%s%s: missing", path, key);
		return -EINVAL;
	}
	if (!json_object_is_type(*v, t)) {
		snprintf(err, errlen, "%s%s: not %s", path, key, what);
		return -EINVAL;
	}
	return 0;
}

int
kobj_str(json_object *o, const char *key, bool required, const char **out,
    const char *path, char *err, size_t errlen)
{
	json_object *v;
	int r;

	if ((r = typed(o, key, required, json_type_string, "a string", &v,
	    path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	*out = json_object_get_string(v);
	if (required && **out == '\0') {
		snprintf(err, errlen, "%s%s: not a non-empty string", path, key);
		return -EINVAL;
	}
	return 0;
}

int
kobj_int(json_object *o, const char *key, bool required, int64_t min,
    int64_t max, int64_t *out, const char *path, char *err, size_t errlen)
{
	json_object *v;
	int64_t x;
	int r;

	if ((r = typed(o, key, required, json_type_int, "an integer", &v, path,
	    err, errlen)) != 0)
		return r > 0 ? 0 : r;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno != 0 || x < min || x > max ||
	    (x == INT64_MAX && json_object_get_uint64(v) > INT64_MAX)) {
		snprintf(err, errlen, "%s%s: %s is not in %lld..%lld", path,
		    key, json_object_get_string(v), (long long)min,
		    (long long)max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int
kobj_bool(json_object *o, const char *key, bool required, bool *out,
    const char *path, char *err, size_t errlen)
{
	json_object *v;
	int r;

	if ((r = typed(o, key, required, json_type_boolean, "true or false",
	    &v, path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	*out = json_object_get_boolean(v);
	return 0;
}

/* An object or an array: *out NULL when absent and optional. */
static int
container(json_object *o, const char *key, bool required, json_type t,
    const char *what, json_object **out, const char *path, char *err,
    size_t errlen)
{
	int r = typed(o, key, required, t, what, out, path, err, errlen);

	if (r != 0)
		*out = NULL;
	return r > 0 ? 0 : r;
}

int
kobj_obj(json_object *o, const char *key, bool required, json_object **out,
    const char *path, char *err, size_t errlen)
{
	return container(o, key, required, json_type_object, "an object", out,
	    path, err, errlen);
}

int
kobj_arr(json_object *o, const char *key, bool required, json_object **out,
    const char *path, char *err, size_t errlen)
{
	return container(o, key, required, json_type_array, "a list", out,
	    path, err, errlen);
}

static int
parse_time(const char *s, void *out)
{
	return rfc3339_parse(s, out);
}

static int
parse_addr(const char *s, void *out)
{
	return addr_parse(s, out);
}

/* A string field that parse turns into *out (what: its name in a
 * message). */
static int
parsed(json_object *o, const char *key, bool required,
    int (*parse)(const char *, void *), void *out, const char *what,
    const char *path, char *err, size_t errlen)
{
	const char *s = NULL;
	int r;

	if ((r = kobj_str(o, key, required, &s, path, err, errlen)) < 0 ||
	    s == NULL)
		return r;
	if (parse(s, out) < 0) {
		snprintf(err, errlen, "%s%s: not %s", path, key, what);
		return -EINVAL;
	}
	return 0;
}

int
kobj_time(json_object *o, const char *key, bool required, int64_t *out,
    const char *path, char *err, size_t errlen)
{
	return parsed(o, key, required, parse_time, out, "an RFC 3339 time",
	    path, err, errlen);
}

int
kobj_addr(json_object *o, const char *key, bool required, struct addr *out,
    const char *path, char *err, size_t errlen)
{
	return parsed(o, key, required, parse_addr, out, "an IP address",
	    path, err, errlen);
}
