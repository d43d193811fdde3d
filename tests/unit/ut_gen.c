/*
 * ut_gen: an export format run on an index, and json pointers (see
 * ut_gen.h).
 */
#include "tests/unit/ut_gen.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json_pointer.h>

#include "cli/gen/yamlout.h"
#include "tests/unit/ut_world.h"

struct ut_gen_fx *
ut_gen_fx_new(void)
{
	struct ut_gen_fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_non_null(fx->w = ut_world_new());
	return fx;
}

int
ut_gen_teardown(void **state)
{
	struct ut_gen_fx *fx = *state;

	index_free(fx->idx);
	ut_world_free(fx->w);
	free(fx);
	return 0;
}

json_object *
ut_gen_workload(const char *fmt, const struct index *idx, const char *ns,
    const char *kind, const char *name, const struct policygen_opts *o,
    struct policygen_result *r)
{
	const struct gen_format *f = gen_format_find(fmt);
	const struct index_workload *wl;
	json_object *doc = NULL;

	assert_non_null(f);
	assert_non_null(f->build);
	wl = index_find_workload(idx, ns, kind, name);
	if (wl == NULL)
		fail_msg("no workload %s/%s/%s in the index", ns, kind, name);
	memset(r, 0, sizeof(*r));
	assert_int_equal(f->build(idx, wl, o, r, &doc), 0);
	assert_non_null(doc);
	return doc;
}

json_object *
ut_gen_namespace(const char *fmt, const struct index *idx, const char *ns,
    const struct policygen_opts *o, struct policygen_result *r)
{
	const struct gen_format *f = gen_format_find(fmt);
	json_object *docs = json_object_new_array();

	assert_non_null(f);
	assert_non_null(f->build_namespace);
	memset(r, 0, sizeof(*r));
	assert_int_equal(f->build_namespace(idx, ns, o, r, docs), 0);
	return docs;
}

static json_object *
vget(json_object *o, const char *fmt, va_list ap)
{
	json_object *res = NULL;
	char path[512];

	vsnprintf(path, sizeof(path), fmt, ap);
	if (json_pointer_get(o, path, &res) < 0)
		return NULL;
	return res;
}

json_object *
ut_jget(json_object *o, const char *fmt, ...)
{
	json_object *res;
	va_list ap;

	va_start(ap, fmt);
	res = vget(o, fmt, ap);
	va_end(ap);
	return res;
}

const char *
ut_jstr(json_object *o, const char *fmt, ...)
{
	json_object *res;
	va_list ap;

	va_start(ap, fmt);
	res = vget(o, fmt, ap);
	va_end(ap);
	return res != NULL && json_object_is_type(res, json_type_string) ?
	    json_object_get_string(res) : NULL;
}

size_t
ut_jlen(json_object *o, const char *fmt, ...)
{
	json_object *res;
	va_list ap;

	va_start(ap, fmt);
	res = vget(o, fmt, ap);
	va_end(ap);
	if (res != NULL && json_object_is_type(res, json_type_array))
		return json_object_array_length(res);
	if (res != NULL && json_object_is_type(res, json_type_object))
		return (size_t)json_object_object_length(res);
	return 0;
}

char *
ut_yaml(json_object *o)
{
	char *y = NULL;
	size_t len;

	assert_int_equal(yamlout_to_buf(&o, 1, &y, &len), 0);
	return y;
}
