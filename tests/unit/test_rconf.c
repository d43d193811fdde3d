/* rconf: the daemon's YAML configuration, parse then validate. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fdpass.h"
#include "lib/log.h"
#include "recorderd/rconf.h"

static int
parse(const char *y, struct rconf *c, char *err, size_t len)
{
	rconf_defaults(c);
	return rconf_parse_buf(y, strlen(y), c, err, len);
}

static void
test_default_file(void **state)
{
	struct rconf c, d;
	char err[256];

	(void)state;
	/* The shipped file says exactly the built-in defaults. */
	assert_int_equal(rconf_load_file("conf/recorderd.yaml", &c, err,
	    sizeof(err)), 0);
	rconf_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(rconf_validate(&c, err, sizeof(err)), 0);
	assert_string_equal(c.store, STORE_DEFAULT_PATH);
	assert_int_equal(c.flush_ms, 1000);
	assert_int_equal(c.refresh_ms, 600000);
	assert_int_equal(c.mark_bit, 0x00100000);
	assert_int_equal(c.nflog_group, 7301);
	assert_string_equal(c.release_socket, FDPASS_RELEASE_PATH);
}

static void
test_values(void **state)
{
	struct rconf c;
	char err[256];

	(void)state;
	assert_int_equal(parse(
	    "store: /tmp/x.db\n"
	    "flush_interval: 250ms\n"
	    "refresh_interval: 0\n"
	    "mark_bit: 0x4000\n"
	    "nflog: {group: 12, snaplen: 512}\n"
	    "receive_buffer:\n  initial: 212992\n  max: 1G\n"
	    "metadata:\n  source: file\n  file: /etc/pods.json\n"
	    "retention_days: 0\n"
	    "accounting: yes\n"
	    "log:\n  level: debug\n  file: ~\n"
	    "release_socket: /tmp/rel.sock\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.store, "/tmp/x.db");
	assert_int_equal(c.flush_ms, 250);
	assert_int_equal(c.refresh_ms, 0);	/* off */
	assert_int_equal(c.mark_bit, 0x4000);
	assert_int_equal(c.nflog_group, 12);
	assert_int_equal(c.nflog_snaplen, 512);
	assert_int_equal(c.rcvbuf_initial, 212992);
	assert_int_equal(c.rcvbuf_max, 1ull << 30);
	assert_int_equal(c.meta_source, RCONF_META_FILE);
	assert_string_equal(c.meta_file, "/etc/pods.json");
	assert_int_equal(c.retention_days, 0);
	assert_true(c.accounting);
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_string_equal(c.log_file, "");
	assert_string_equal(c.release_socket, "/tmp/rel.sock");
	assert_int_equal(rconf_validate(&c, err, sizeof(err)), 0);
	/* "" turns the hand-over off, and is valid. */
	assert_int_equal(parse("release_socket: \"\"\n", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.release_socket, "");
	assert_int_equal(rconf_validate(&c, err, sizeof(err)), 0);
	/* Empty document: all defaults. */
	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(parse("# nothing\n", &c, err, sizeof(err)), 0);
}

static void
test_errors_name_position(void **state)
{
	static const struct {
		const char *yaml, *err;
	} cases[] = {
		{ "flush_intervall: 1s\n", "1:1: unknown key flush_intervall" },
		{ "store: /a\nflush_interval: soon\n",
		  "2:17: flush_interval: expected a duration" },
		{ "nflog:\n  group: 70000\n",
		  "2:10: nflog.group: expected a number from 0 to 65535" },
		{ "nflog: 5\n", "1:8: nflog: expected a mapping" },
		{ "store:\n  path: /x\n", "2:3: store: expected a value" },
		{ "accounting: maybe\n", "1:13: accounting: expected true" },
		{ "log: {level: loud}\n", "1:14: log.level: expected error" },
		{ "store: [a, b]\n", "1:8: store: a list is not expected" },
		{ "store: /a\n  bad: indent\n", "2:6:" },
		{ "metadata: {source: etcd}\n", "1:20: metadata.source:" },
		{ "- a\n- b\n", "1:1: expected a mapping at the top level" },
		{ "a: &x 1\nstore: *x\n", "1:1: unknown key a" },
		{ "store: /a\n---\nstore: /b\n", "2:1: only one YAML document" },
	};
	struct rconf c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].yaml, &c, err, sizeof(err)),
		    -EINVAL);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i,
			    err, cases[i].err);
	}
}

static void
test_validate(void **state)
{
	static const struct {
		const char *yaml, *err;
	} cases[] = {
		{ "flush_interval: 1ms\n", "flush_interval" },
		{ "refresh_interval: 500ms\n", "refresh_interval" },
		{ "refresh_interval: 25h\n", "refresh_interval" },
		{ "mark_bit: 0\n", "mark_bit" },
		{ "mark_bit: 0x3\n", "mark_bit" },
		{ "nflog: {group: 0}\n", "nflog.group" },
		{ "receive_buffer: {initial: 8M, max: 1M}\n",
		  "receive_buffer.max" },
		{ "metadata: {source: file}\n", "metadata.file" },
		{ "metadata: {source: kubeconfig}\n", "metadata.kubeconfig" },
		{ "max_flows: 1\n", "max_flows" },
		{ "store: \"\"\n", "store" },
		/* sun_path holds 107 bytes and a NUL. */
		{ "release_socket: /run/netpol-record/0123456789012345678901"
		  "2345678901234567890123456789012345678901234567890123456789"
		  "0123456789012345678901234567890.sock\n", "release_socket" },
	};
	struct rconf c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].yaml, &c, err, sizeof(err)),
		    0);
		assert_int_equal(rconf_validate(&c, err, sizeof(err)),
		    -EINVAL);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got \"%s\"", i, err);
	}
}

static void
test_units_and_file_errors(void **state)
{
	uint32_t ms;
	uint64_t sz;
	struct rconf c;
	char err[256];

	(void)state;
	assert_int_equal(rconf_parse_duration_ms("2m", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(rconf_parse_duration_ms("1h", &ms), 0);
	assert_int_equal(rconf_parse_duration_ms("-1s", &ms), -EINVAL);
	assert_int_equal(rconf_parse_duration_ms("99999999h", &ms), -EINVAL);
	assert_int_equal(rconf_parse_size("64MiB", &sz), 0);
	assert_int_equal(sz, 64u << 20);
	assert_int_equal(rconf_parse_size("4k", &sz), 0);
	assert_int_equal(sz, 4096);
	assert_int_equal(rconf_parse_size("4X", &sz), -EINVAL);
	assert_int_equal(rconf_load_file("/nonexistent/r.yaml", &c, err,
	    sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/r.yaml"));
	assert_string_equal(rconf_meta_source_name(RCONF_META_IN_CLUSTER),
	    "in-cluster");
}

static void
test_absolute_paths(void **state)
{
	struct rconf c;
	char err[256];

	(void)state;
	assert_int_equal(parse("store: data/r.db\nlog: {file: /var/log/x}\n"
	    "metadata: {source: file, file: pods.json}\n", &c, err,
	    sizeof(err)), 0);
	rconf_absolute_paths(&c, "/srv/np");
	assert_string_equal(c.store, "/srv/np/data/r.db");
	assert_string_equal(c.meta_file, "/srv/np/pods.json");
	assert_string_equal(c.log_file, "/var/log/x");
	assert_string_equal(c.meta_kubeconfig, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_file),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors_name_position),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_units_and_file_errors),
		cmocka_unit_test(test_absolute_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
