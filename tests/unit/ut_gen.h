/*
 * ut_gen: an export format run on an index for unit tests, and json-c
 * trees read by JSON pointer ("/spec/egress/0/toFQDNs").
 *
 * Not a test program (see ut_store.h): linked into every unit test.
 */
#ifndef UT_GEN_H
#define UT_GEN_H

#include <stddef.h>

#include <json-c/json.h>

#include "cli/gen/gen.h"

struct ut_world;

/* A test's recorded world and its index (see ut_world.h). */
struct ut_gen_fx {
	struct ut_world *w;
	struct index *idx;
};

/* A new fixture with an empty world (its index is the test's to load);
 * fails the test on ENOMEM. */
struct ut_gen_fx *ut_gen_fx_new(void);
/* cmocka teardown of a struct ut_gen_fx in *state. */
int ut_gen_teardown(void **state);

/*
 * The document format fmt writes for workload ns/kind/name of idx (which
 * must be loaded), with its notes in *r (free with
 * policygen_result_clear). Fails the test when the format fails.
 */
json_object *ut_gen_workload(const char *fmt, const struct index *idx,
    const char *ns, const char *kind, const char *name,
    const struct policygen_opts *o, struct policygen_result *r);
/* The documents (an array) of a per-namespace format for namespace ns. */
json_object *ut_gen_namespace(const char *fmt, const struct index *idx,
    const char *ns, const struct policygen_opts *o,
    struct policygen_result *r);

/* The value at a JSON pointer (printf format), NULL when there is none. */
json_object *ut_jget(json_object *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Its string, NULL when there is none. */
const char *ut_jstr(json_object *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Its length (array or object), 0 when there is none. */
size_t ut_jlen(json_object *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The tree as YAML (malloc'd), to print or search. */
char *ut_yaml(json_object *o);

#endif
