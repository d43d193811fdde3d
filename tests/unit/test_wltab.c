/*
 * wltab: the daemon's workloads in memory: interned by identity, stable
 * handles, attributes merged as the store merges them, and the dirty
 * list that says what the next flush must write.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "recorderd/wltab.h"

static void
wl(struct store_workload *w, const char *ns, const char *kind,
    const char *name)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->namespace_, sizeof(w->namespace_), "%s", ns);
	snprintf(w->kind, sizeof(w->kind), "%s", kind);
	snprintf(w->name, sizeof(w->name), "%s", name);
}

struct taken {
	int n;
	int64_t h[8];
	int stop_at;			/* return 1 at this call, 0 never */
};

static int
take_cb(void *arg, int64_t handle, const struct wltab_entry *e)
{
	struct taken *t = arg;

	(void)e;
	if (t->stop_at != 0 && t->n + 1 == t->stop_at)
		return 1;
	t->h[t->n++] = handle;
	return 0;
}

static void
test_intern_and_attributes(void **state)
{
	struct wltab *t;
	struct store_workload w;
	const struct wltab_entry *e;
	int64_t a, b, c;
	char sel[] = "{\"matchLabels\":{\"app\":\"web\"}}";

	(void)state;
	assert_int_equal(wltab_new(&t), 0);
	wl(&w, "shop", "Deployment", "web");
	w.selector_json = sel;
	w.started_at = 200;
	assert_int_equal(wltab_put(t, &w, &a), 0);
	assert_true(a > 0);
	/* The caller's strings are copied. */
	memset(sel, 'x', 4);
	wl(&w, "shop", "Pod", "web-0");
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_true(b != a);
	wl(&w, "other", "Deployment", "web");
	assert_int_equal(wltab_put(t, &w, &c), 0);
	assert_true(c != a && c != b);
	assert_int_equal(wltab_count(t), 3);
	assert_int_equal(wltab_find(t, "shop", "Deployment", "web"), a);
	assert_int_equal(wltab_find(t, "shop", "Deployment", "nope"), 0);
	assert_true(wltab_is_pod(t, b));
	assert_false(wltab_is_pod(t, a));
	assert_null(wltab_get(t, 0));
	assert_null(wltab_get(t, 99));
	e = wltab_get(t, a);
	assert_string_equal(e->namespace_, "shop");
	assert_string_equal(e->selector_json,
	    "{\"matchLabels\":{\"app\":\"web\"}}");
	assert_null(e->labels_json);
	assert_int_equal(e->started_at, 200);
	/* Again: the same handle; NULL JSON keeps what is held, the
	 * earliest start wins, host_network is replaced. */
	wl(&w, "shop", "Deployment", "web");
	w.labels_json = (char *)"{\"app\":\"web\"}";
	w.started_at = 100;
	w.host_network = true;
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_int_equal(b, a);
	e = wltab_get(t, a);
	assert_non_null(e->selector_json);
	assert_string_equal(e->labels_json, "{\"app\":\"web\"}");
	assert_int_equal(e->started_at, 100);
	assert_true(e->host_network);
	w.started_at = 300;
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_int_equal(wltab_get(t, a)->started_at, 100);
	/* A uid: "" keeps it; deleted stays until another uid comes. */
	wl(&w, "shop", "Deployment", "web");
	snprintf(w.uid, sizeof(w.uid), "u-1");
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_string_equal(wltab_get(t, a)->uid, "u-1");
	assert_string_equal(wltab_get(t, c)->uid, "");
	wltab_set_deleted(t, a, 500);
	wltab_set_deleted(t, a, 600);
	assert_int_equal(wltab_get(t, a)->deleted_at, 500);
	w.uid[0] = '\0';
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_int_equal(wltab_get(t, a)->deleted_at, 500);
	snprintf(w.uid, sizeof(w.uid), "u-1");
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_int_equal(wltab_get(t, a)->deleted_at, 500);
	snprintf(w.uid, sizeof(w.uid), "u-2");
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_int_equal(wltab_get(t, a)->deleted_at, 0);
	assert_string_equal(wltab_get(t, a)->uid, "u-2");
	/* Empty names are refused. */
	wl(&w, "", "Pod", "x");
	assert_int_equal(wltab_put(t, &w, &b), -EINVAL);
	assert_int_equal(b, 0);
	wltab_free(t);
	wltab_free(NULL);
}

static void
test_dirty(void **state)
{
	struct wltab *t;
	struct store_workload w;
	struct taken tk = { 0 };
	int64_t a, b, h;

	(void)state;
	assert_int_equal(wltab_new(&t), 0);
	wl(&w, "ns", "Pod", "a");
	assert_int_equal(wltab_put(t, &w, &a), 0);
	wl(&w, "ns", "Pod", "b");
	assert_int_equal(wltab_put(t, &w, &b), 0);
	assert_int_equal(wltab_ndirty(t), 2);
	/* A callback that stops leaves the rest dirty. */
	tk.stop_at = 2;
	assert_int_equal(wltab_take_dirty(t, take_cb, &tk), 1);
	assert_int_equal(tk.n, 1);
	assert_int_equal(tk.h[0], a);
	assert_int_equal(wltab_ndirty(t), 1);
	memset(&tk, 0, sizeof(tk));
	assert_int_equal(wltab_take_dirty(t, take_cb, &tk), 0);
	assert_int_equal(tk.n, 1);
	assert_int_equal(tk.h[0], b);
	assert_int_equal(wltab_ndirty(t), 0);
	/* The same again: nothing changed, nothing to write. */
	wl(&w, "ns", "Pod", "a");
	assert_int_equal(wltab_put(t, &w, &h), 0);
	assert_int_equal(wltab_ndirty(t), 0);
	/* A change, once however often. */
	w.labels_json = (char *)"{\"x\":\"1\"}";
	assert_int_equal(wltab_put(t, &w, &h), 0);
	assert_int_equal(wltab_put(t, &w, &h), 0);
	assert_int_equal(wltab_ndirty(t), 1);
	wltab_touch(t, b);
	wltab_touch(t, b);
	assert_int_equal(wltab_ndirty(t), 2);
	memset(&tk, 0, sizeof(tk));
	assert_int_equal(wltab_take_dirty(t, take_cb, &tk), 0);
	assert_int_equal(tk.n, 2);
	/* Merged away: put again, it is written again. */
	wltab_retire(t, b);
	wl(&w, "ns", "Pod", "b");
	assert_int_equal(wltab_put(t, &w, &h), 0);
	assert_int_equal(h, b);
	assert_int_equal(wltab_ndirty(t), 1);
	wltab_free(t);
}

/* Thousands of workloads: the index grows, handles stay. */
static void
test_many(void **state)
{
	struct wltab *t;
	struct store_workload w;
	char name[32];
	int64_t h;

	(void)state;
	assert_int_equal(wltab_new(&t), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		wl(&w, "ns", "Deployment", name);
		assert_int_equal(wltab_put(t, &w, &h), 0);
		assert_int_equal(h, i + 1);
	}
	for (int i = 0; i < 5000; i += 97) {
		snprintf(name, sizeof(name), "w%d", i);
		assert_int_equal(wltab_find(t, "ns", "Deployment", name), i + 1);
		assert_string_equal(wltab_get(t, i + 1)->name, name);
	}
	assert_int_equal(wltab_count(t), 5000);
	wltab_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern_and_attributes),
		cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
