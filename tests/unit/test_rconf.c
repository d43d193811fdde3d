/* rconf: the daemon's YAML configuration, parse then validate, and
 * which keys a SIGHUP applies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fdpass.h"
#include "lib/log.h"
#include "recorderd/rconf.h"
#include "recorderd/rd.h"

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
		{ "publish: {interval: 500ms}\n", "publish.interval" },
		{ "publish: {interval: 1m, refresh: 30s}\n",
		  "publish.refresh" },
		{ "publish: {max_entries: 1001}\n", "publish.max_entries" },
		{ "publish: {max_entries: 0}\n", "publish.max_entries" },
		{ "publish: {max_refreshes_per_hour: 0}\n",
		    "publish.max_refreshes_per_hour" },
		{ "publish: {max_refreshes_per_hour: 36001}\n",
		    "publish.max_refreshes_per_hour" },
		{ "publish: {namespaces: [Shop]}\n", "publish.namespaces" },
		{ "publish: {enabled: true}\n", "publish.enabled: true needs" },
		{ "metadata: {source: file, file: /x}\n"
		  "publish: {enabled: true}\n", "publish.enabled" },
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

/* A value other than the default for every key, as YAML. */
static const struct {
	const char *key;
	const char *yaml;
	bool live;			/* what a reload must do with it */
} changes[] = {
	{ "store", "store: /tmp/other.db", false },
	{ "flush_interval", "flush_interval: 2s", true },
	{ "refresh_interval", "refresh_interval: 5m", true },
	{ "mark_bit", "mark_bit: 0x00200000", true },
	{ "nflog.group", "nflog: {group: 7302}", false },
	{ "nflog.snaplen", "nflog: {snaplen: 512}", false },
	{ "receive_buffer.initial", "receive_buffer: {initial: 96M}", true },
	{ "receive_buffer.max", "receive_buffer: {max: 256M}", true },
	{ "metadata.source", "metadata: {source: in-cluster}", false },
	{ "metadata.file", "metadata: {file: /tmp/pods.json}", false },
	{ "metadata.kubeconfig", "metadata: {kubeconfig: /tmp/kc}", false },
	{ "retention_days", "retention_days: 7", true },
	{ "accounting", "accounting: true", false },
	{ "max_flows", "max_flows: 1024", false },
	{ "dns_cache", "dns_cache: 1024", false },
	{ "log.file", "log: {file: /tmp/rd.log}", true },
	{ "log.level", "log: {level: debug}", true },
	{ "release_socket", "release_socket: /tmp/rel.sock", false },
	{ "node_name", "node_name: node-b", false },
	{ "adopt_running_pods", "adopt_running_pods: false", true },
	{ "publish.enabled", "publish: {enabled: false}", true },
	{ "publish.interval", "publish: {interval: 10s}", true },
	{ "publish.refresh", "publish: {refresh: 30m}", true },
	{ "publish.max_entries", "publish: {max_entries: 50}", true },
	{ "publish.max_refreshes_per_hour",
	    "publish: {max_refreshes_per_hour: 600}", true },
	{ "publish.namespaces", "publish: {namespaces: [shop]}", true },
};

struct seen {
	int calls;
	size_t key;
	bool live;
};

static void
on_change(void *arg, size_t key, bool live)
{
	struct seen *s = arg;

	s->calls++;
	s->key = key;
	s->live = live;
}

/*
 * Every key changed alone: the reload reports exactly that key, with the
 * class the table gives it; a live key's new value is taken, any other
 * key keeps the running value (a changed metadata.* or store is never
 * copied in silently), and nothing else moves.
 */
static void
test_reload_each_key(void **state)
{
	struct rconf run, loaded, out, want;
	char err[256];

	(void)state;
	assert_int_equal(rconf_nkeys(), sizeof(changes) / sizeof(changes[0]));
	for (size_t i = 0; i < rconf_nkeys(); i++) {
		const char *name = rconf_key_name(i);
		struct seen seen = { 0 };
		size_t c;

		for (c = 0; c < rconf_nkeys(); c++)
			if (strcmp(changes[c].key, name) == 0)
				break;
		if (c == rconf_nkeys())
			fail_msg("key %s: no change for it in this test", name);
		rconf_defaults(&run);
		assert_int_equal(parse(changes[c].yaml, &loaded, err,
		    sizeof(err)), 0);
		assert_int_equal(rconf_key_live(i), changes[c].live);
		assert_int_equal(rconf_reload(&run, &loaded, &out, on_change,
		    &seen), 1);
		assert_int_equal(seen.calls, 1);
		assert_int_equal(seen.key, i);
		assert_int_equal(seen.live, changes[c].live);
		want = changes[c].live ? loaded : run;
		if (memcmp(&out, &want, sizeof(out)) != 0)
			fail_msg("key %s: the reloaded configuration is not "
			    "the %s one", name, changes[c].live ? "new" :
			    "running");
	}
	/* Nothing changed: nothing reported. */
	rconf_defaults(&run);
	assert_int_equal(rconf_reload(&run, &run, &out, on_change, NULL), 0);
	assert_memory_equal(&out, &run, sizeof(out));
	/* Several at once: each one once. */
	{
		struct seen seen = { 0 };

		assert_int_equal(parse("mark_bit: 0x8\nmax_flows: 99\n"
		    "log: {level: warn}\n", &loaded, err, sizeof(err)), 0);
		assert_int_equal(rconf_reload(&run, &loaded, &out, on_change,
		    &seen), 3);
		assert_int_equal(seen.calls, 3);
		assert_int_equal(out.mark_bit, 0x8);
		assert_int_equal(out.max_flows, run.max_flows);
		assert_int_equal(out.log_level, LOG_LVL_WARN);
	}
	/* The daemon applies every live key and no other. */
	assert_int_equal(rd_reload_check(err, sizeof(err)), 0);
}

/*
 * publish: on by default only with the API as metadata source; durations;
 * namespaces as a YAML list or a string; errors name the position.
 */
static void
test_publish(void **state)
{
	struct rconf c;
	char err[256];

	(void)state;
	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_false(rconf_publishing(&c));
	assert_int_equal(parse("metadata: {source: in-cluster}\n", &c, err,
	    sizeof(err)), 0);
	assert_true(rconf_publishing(&c));
	assert_int_equal(parse("metadata: {source: kubeconfig, kubeconfig: "
	    "/k}\npublish: {enabled: no}\n", &c, err, sizeof(err)), 0);
	assert_false(rconf_publishing(&c));
	assert_int_equal(parse("metadata: {source: kubeconfig, kubeconfig: "
	    "/k}\npublish:\n  enabled: true\n  interval: 5s\n"
	    "  refresh: 2m\n  max_entries: 20\n  max_refreshes_per_hour: 300\n"
	    "  namespaces: [shop, \"team-*\", \"!kube-system\"]\n", &c,
	    err, sizeof(err)), 0);
	assert_true(rconf_publishing(&c));
	assert_int_equal(c.publish_interval_ms, 5000);
	assert_int_equal(c.publish_refresh_ms, 120000);
	assert_int_equal(c.publish_max_entries, 20);
	assert_int_equal(c.publish_max_refreshes, 300);
	assert_string_equal(c.publish_namespaces, "shop,team-*,!kube-system");
	assert_int_equal(rconf_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(parse("publish: {namespaces: \"a, b\"}\n", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.publish_namespaces, "a, b");
	assert_int_equal(parse("publish: {namespaces: []}\n", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.publish_namespaces, "");
	assert_int_equal(parse("publish:\n  namespaces: [[a]]\n", &c, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "2:15: publish.namespaces: expected a list "
	    "of patterns");
	assert_int_equal(parse("publish: {enabled: maybe}\n", &c, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected auto, true or false"));
}

/*
 * The node's name: the file's, or $NODE_NAME, or the host name lowered;
 * a name the API would refuse is an error naming the key.
 */
static void
test_node_name(void **state)
{
	struct rconf c;
	char err[256];

	(void)state;
	assert_int_equal(parse("node_name: node-a.example\n", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.node_name, "node-a.example");
	setenv("NODE_NAME", "from-env", 1);
	assert_int_equal(rconf_resolve_node_name(&c), 0);
	assert_string_equal(c.node_name, "node-a.example");	/* file wins */
	assert_int_equal(parse("node_name: \"\"\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.node_name, "");
	assert_int_equal(rconf_resolve_node_name(&c), 0);
	assert_string_equal(c.node_name, "from-env");
	unsetenv("NODE_NAME");
	c.node_name[0] = '\0';
	assert_int_equal(rconf_resolve_node_name(&c), 0);
	assert_true(rconf_valid_node_name(c.node_name) ||
	    strchr(c.node_name, '_') != NULL);	/* a host name as it is */
	for (const char *p = c.node_name; *p; p++)
		assert_false(*p >= 'A' && *p <= 'Z');

	assert_int_equal(parse("node_name: Node_A\n", &c, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "node name"));
	assert_false(rconf_valid_node_name("-a"));
	assert_false(rconf_valid_node_name("a."));
	assert_false(rconf_valid_node_name(""));
	assert_true(rconf_valid_node_name("ip-10-0-1-5.eu-west-1.compute.internal"));
	{
		char long_name[300];

		memset(long_name, 'a', sizeof(long_name));
		long_name[254] = '\0';
		assert_false(rconf_valid_node_name(long_name));
		long_name[253] = '\0';
		assert_true(rconf_valid_node_name(long_name));
	}
	/* A bad name from the environment is caught by validation. */
	rconf_defaults(&c);
	setenv("NODE_NAME", "Bad Name", 1);
	assert_int_equal(rconf_resolve_node_name(&c), 0);
	unsetenv("NODE_NAME");
	assert_int_equal(rconf_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "node_name"));
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
		cmocka_unit_test(test_reload_each_key),
		cmocka_unit_test(test_node_name),
		cmocka_unit_test(test_publish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
