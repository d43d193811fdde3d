/* cliopt: the options the commands share. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cmd/cliopt.h"
#include "cli/source/source.h"

static void
test_handle_and_finish(void **state)
{
	struct cliopt o;
	struct source_query q;
	char err[256];

	(void)state;
	cliopt_init(&o);
	o.now = 1795341600;
	assert_int_equal(cliopt_handle(&o, CLIOPT_DB, "a.db", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, CLIOPT_DB, "b.db", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, 'n', "shop", err, sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, CLIOPT_SINCE, "2h", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, CLIOPT_UNTIL, "1h", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, 'w', "deployment/web", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, 'z', NULL, err, sizeof(err)), 0);
	assert_int_equal(cliopt_handle(&o, 'w', "web", err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "KIND/NAME"));
	assert_int_equal(cliopt_handle(&o, CLIOPT_SINCE, "soon", err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), 0);
	assert_int_equal(o.ndbs, 2);
	/* Kinds spelt out, whatever the case or kubectl short name. */
	assert_string_equal(o.kind, "Deployment");
	assert_string_equal(o.name, "web");
	assert_int_equal(cliopt_handle(&o, 'w', "deploy/web", err,
	    sizeof(err)), 1);
	assert_string_equal(o.kind, "Deployment");
	assert_string_equal(o.name, "web");
	assert_int_equal(cliopt_handle(&o, 'w', "STS/db-0", err,
	    sizeof(err)), 1);
	assert_string_equal(o.kind, "StatefulSet");
	assert_string_equal(o.name, "db-0");
	assert_int_equal(cliopt_handle(&o, 'w', "cj/backup", err,
	    sizeof(err)), 1);
	assert_string_equal(o.kind, "CronJob");
	assert_string_equal(o.name, "backup");
	assert_int_equal(cliopt_handle(&o, 'w', "Widget/x", err,
	    sizeof(err)), 1);
	assert_string_equal(o.kind, "Widget");
	assert_string_equal(o.name, "x");
	assert_int_equal(cliopt_handle(&o, 'w', "deployment/web", err,
	    sizeof(err)), 1);
	assert_string_equal(o.dbs[1], "b.db");
	cliopt_query(&o, &q);
	assert_string_equal(q.namespace_, "shop");
	assert_string_equal(q.kind, "Deployment");
	assert_string_equal(q.name, "web");
	assert_int_equal(q.since, 1795341600 - 7200);
	assert_int_equal(q.until, 1795341600 - 3600);
	assert_int_equal(q.direction, -1);
	/* Both scopes at once, since after until, no scope. */
	assert_int_equal(cliopt_handle(&o, 'A', NULL, err, sizeof(err)), 1);
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), -EINVAL);
	o.namespace_ = NULL;
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), 0);
	cliopt_query(&o, &q);
	assert_null(q.namespace_);
	o.all_namespaces = false;
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), -EINVAL);
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), 0);
	o.since = o.until + 1;
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), -EINVAL);
	cliopt_free(&o);

	/* The default store. */
	cliopt_init(&o);
	setenv("NETPOL_RECORD_DB", "/tmp/env.db", 1);
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), 0);
	assert_string_equal(o.dbs[0], "/tmp/env.db");
	cliopt_free(&o);
	unsetenv("NETPOL_RECORD_DB");
	cliopt_init(&o);
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), 0);
	assert_string_equal(o.dbs[0], STORE_DEFAULT_PATH);
	cliopt_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle_and_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
