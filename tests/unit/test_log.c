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

/*
 * Control characters of what a message carries are escaped: an interface
 * name with a newline and a forged line after it stays one line; long
 * messages are written whole.
 */
static void
test_control_characters(void **state)
{
	char *out, *big;
	size_t lines = 0;

	(void)state;
	log_init("test-log", LOG_LVL_INFO);
	assert_int_equal(log_open_file(path), 0);
	log_warnx("interface %s: invalid", "eth0\n2026-01-01T00:00:00.000Z "
	    "netpol-record-cni[1] info: FORGED");
	log_info("tab\there, cr\r, bell\a, del\x7f, utf-8 \xc3\xa9");
	big = malloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	big[4000] = '\n';
	log_info("%s", big);
	out = ut_slurp(path, NULL);
	assert_non_null(out);
	for (char *p = out; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3);
	assert_non_null(strstr(out, "warn: interface eth0\\n2026-01-01T00:00:"
	    "00.000Z netpol-record-cni[1] info: FORGED: invalid\n"));
	assert_non_null(strstr(out, "info: tab\\there, cr\\r, bell\\x07, "
	    "del\\x7f, utf-8 \xc3\xa9\n"));
	assert_non_null(strstr(out, "aaaa\\naaaa"));
	assert_int_equal(strlen(strstr(out, "info: aaa")), strlen("info: ") +
	    4999 + 1 + 1);
	free(big);
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
		cmocka_unit_test_setup_teardown(test_control_characters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_levels_and_file, setup,
		    teardown),
		cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
