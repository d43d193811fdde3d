/*
 * kobj: strict typed fields of API objects (see kobj.h).
 */
#include "cli/source/kobj.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/rfc3339.h"

/* The member key of o: 0 and *v, 1 when absent (or null) and optional,
 * -EINVAL when absent and required. */
static int
member(json_object *o, const char *key, bool required, json_object **v,
    const char *path, char *err, size_t errlen)
{
	if (json_object_object_get_ex(o, key, v) && *v != NULL)
		return 0;
	if (!required)
		return 1;
	snprintf(err, errlen, "%s%s: missing", path, key);
	return -EINVAL;
}

static int
wrong(const char *path, const char *key, const char *what, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "%s%s: not %s", path, key, what);
	return -EINVAL;
}

int
kobj_str(json_object *o, const char *key, bool required, const char **out,
    const char *path, char *err, size_t errlen)
{
	json_object *v;
	int r;

	if ((r = member(o, key, required, &v, path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	if (!json_object_is_type(v, json_type_string))
		return wrong(path, key, "a string", err, errlen);
	*out = json_object_get_string(v);
	if (required && **out == '\0')
		return wrong(path, key, "a non-empty string", err, errlen);
	return 0;
}

int
kobj_int(json_object *o, const char *key, bool required, int64_t min,
    int64_t max, int64_t *out, const char *path, char *err, size_t errlen)
{
	json_object *v;
	int64_t x;
	int r;

	if ((r = member(o, key, required, &v, path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "%s%s: not an integer", path, key);
		return -EINVAL;
	}
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

	if ((r = member(o, key, required, &v, path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	if (!json_object_is_type(v, json_type_boolean))
		return wrong(path, key, "true or false", err, errlen);
	*out = json_object_get_boolean(v);
	return 0;
}

int
kobj_obj(json_object *o, const char *key, bool required, json_object **out,
    const char *path, char *err, size_t errlen)
{
	json_object *v;
	int r;

	*out = NULL;
	if ((r = member(o, key, required, &v, path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	if (!json_object_is_type(v, json_type_object))
		return wrong(path, key, "an object", err, errlen);
	*out = v;
	return 0;
}

int
kobj_arr(json_object *o, const char *key, bool required, json_object **out,
    const char *path, char *err, size_t errlen)
{
	json_object *v;
	int r;

	*out = NULL;
	if ((r = member(o, key, required, &v, path, err, errlen)) != 0)
		return r > 0 ? 0 : r;
	if (!json_object_is_type(v, json_type_array))
		return wrong(path, key, "a list", err, errlen);
	*out = v;
	return 0;
}

int
kobj_time(json_object *o, const char *key, bool required, int64_t *out,
    const char *path, char *err, size_t errlen)
{
	const char *s = NULL;
	int r;

	if ((r = kobj_str(o, key, required, &s, path, err, errlen)) < 0 ||
	    s == NULL)
		return r;
	if (rfc3339_parse(s, out) < 0)
		return wrong(path, key, "an RFC 3339 time", err, errlen);
	return 0;
}

int
kobj_addr(json_object *o, const char *key, bool required, struct addr *out,
    const char *path, char *err, size_t errlen)
{
	const char *s = NULL;
	int r;

	if ((r = kobj_str(o, key, required, &s, path, err, errlen)) < 0 ||
	    s == NULL)
		return r;
	if (addr_parse(s, out) < 0)
		return wrong(path, key, "an IP address", err, errlen);
	return 0;
}
