#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/log.h"
#include "tests/unit/ut_run.h"

static char path[64];

static int
setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_log.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_close();
	unlink(path);
	return 0;
}

static void
test_levels_and_file(void **state)
{
	char *out;

	(void)state;
	log_init("test-log", LOG_LVL_INFO);
	assert_int_equal(log_open_file(path), 0);
	log_info("hello %d", 42);
	log_debug("hidden at info");
	errno = ENOENT;
	log_warn("opening %s", "x");
	log_setverbose(LOG_LVL_DEBUG);
	log_debug("now shown");
	out = ut_slurp(path, NULL);
	assert_non_null(out);
	assert_non_null(strstr(out, "test-log["));
	assert_non_null(strstr(out, "info: hello 42\n"));
	assert_null(strstr(out, "hidden at info"));
	assert_non_null(strstr(out,
	    "warn: opening x: No such file or directory\n"));
	assert_non_null(strstr(out, "debug: now shown\n"));
	free(out);
}

static void
test_level_parse(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("WARNING"), LOG_LVL_WARN);
	assert_int_equal(log_level_parse("error"), LOG_LVL_ERROR);
	assert_int_equal(log_level_parse("loud"), -EINVAL);
	assert_int_equal(log_level_parse(NULL), -EINVAL);
	assert_int_equal(log_open_file("/nonexistent-dir/x.log"), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels_and_file, setup,
		    teardown),
		cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
