/*
 * cniconf and plugin: the plugin's stdin, CNI_ARGS, prevResult shapes
 * (bridge, ptp, macvlan in every cniVersion, from tests/fixtures/cni/) and
 * the error JSON of plugin_run() for bad input. Nothing here needs root:
 * the bad-input paths fail before any socket or store is opened.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/ut_run.h"

#include <json-c/json.h>

#include "cni/cniconf.h"
#include "cni/plugin.h"
#include "lib/log.h"

#define FIXTURES "tests/fixtures/cni/"

static const char *const versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0",
	"1.1.0" };

static int
parse_str(const char *s, struct cni_conf *c, struct cni_err *err)
{
	return cni_conf_parse(s, strlen(s), c, err);
}

static void
test_conf_defaults(void **state)
{
	struct cni_conf c;
	struct cni_err err;

	(void)state;
	assert_int_equal(parse_str("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
	    "\"type\":\"netpol-record-cni\",\"somethingElse\":[1,2]}", &c,
	    &err), 0);
	assert_string_equal(c.version, "1.0.0");
	assert_string_equal(c.name, "n");
	assert_string_equal(c.db, "/var/lib/netpol-record/records.db");
	assert_string_equal(c.log_file, "");
	assert_int_equal(c.log_level, LOG_LVL_WARN);
	assert_int_equal(c.policy, CNI_POLICY_IGNORE);
	assert_int_equal(c.nft.mark_bit, 0x00100000);
	assert_int_equal(c.nft.nflog_group, 7301);
	assert_string_equal(c.release_socket,
	    "/run/netpol-record/release.sock");
	assert_null(c.prev);
	assert_false(c.has_valid);
	cni_conf_free(&c);
}

static void
test_conf_all_keys(void **state)
{
	struct cni_conf c;
	struct cni_err err;

	(void)state;
	assert_int_equal(parse_str("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
	    "\"db\":\"/tmp/r.db\",\"logFile\":\"/tmp/l\",\"logLevel\":\"debug\","
	    "\"failurePolicy\":\"fail\",\"markBit\":\"0x4000\","
	    "\"nflogGroup\":12,\"nflogSnaplen\":600,\"releaseSocket\":\"\","
	    "\"runtimeConfig\":{\"io.kubernetes.cri.pod-annotations\":"
	    "{\"io.kubernetes.pod.namespace\":\"shop\","
	    "\"io.kubernetes.pod.name\":\"cart-0\",\"other\":\"x\"}},"
	    "\"cni.dev/valid-attachments\":[{\"containerID\":\"a\","
	    "\"ifname\":\"eth0\"},{\"containerID\":\"b\",\"ifname\":\"net1\"}],"
	    "\"prevResult\":{\"ips\":[]}}", &c, &err), 0);
	assert_string_equal(c.db, "/tmp/r.db");
	assert_string_equal(c.log_file, "/tmp/l");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.policy, CNI_POLICY_FAIL);
	assert_int_equal(c.nft.mark_bit, 0x4000);
	assert_int_equal(c.nft.nflog_group, 12);
	assert_int_equal(c.nft.snaplen, 600);
	assert_string_equal(c.release_socket, "");	/* "" = off */
	assert_string_equal(c.ann_namespace, "shop");
	assert_string_equal(c.ann_name, "cart-0");
	assert_string_equal(c.ann_uid, "");
	assert_true(c.has_valid);
	assert_int_equal(c.nvalid, 2);
	assert_string_equal(c.valid[1].container_id, "b");
	assert_string_equal(c.valid[1].ifname, "net1");
	assert_non_null(c.prev);
	cni_conf_free(&c);
}

static void
test_conf_mark_bit(void **state)
{
	static const struct {
		const char *json;
		uint32_t want;	/* 0: must fail */
	} cases[] = {
		{ "1048576", 0x100000 },
		{ "\"0x00100000\"", 0x100000 },
		{ "\"1048576\"", 0x100000 },
		{ "\"0X80000000\"", 0x80000000 },
		{ "1", 1 },
		{ "0", 0 },
		{ "3", 0 },
		{ "-1", 0 },
		{ "4294967296", 0 },
		{ "\"0x3\"", 0 },
		{ "\"abc\"", 0 },
		{ "\"\"", 0 },
		{ "\"-0x10\"", 0 },
		{ "1.5", 0 },
		{ "true", 0 },
	};
	struct cni_conf c;
	struct cni_err err;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"cniVersion\":\"1.0.0\","
		    "\"markBit\":%s}", cases[i].json);
		if (cases[i].want == 0) {
			assert_int_equal(parse_str(buf, &c, &err), -EINVAL);
			assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
			continue;
		}
		assert_int_equal(parse_str(buf, &c, &err), 0);
		assert_int_equal(c.nft.mark_bit, cases[i].want);
		cni_conf_free(&c);
	}
}

static void
test_conf_errors(void **state)
{
	static const struct {
		const char *json;
		int code;
	} cases[] = {
		{ "", CNI_ERR_DECODE },
		{ "   ", CNI_ERR_DECODE },
		{ "not json", CNI_ERR_DECODE },
		{ "{\"cniVersion\":", CNI_ERR_DECODE },
		{ "{} {}", CNI_ERR_DECODE },
		{ "[1,2]", CNI_ERR_DECODE },
		{ "\"str\"", CNI_ERR_DECODE },
		{ "{\"cniVersion\":\"0.2.0\"}", CNI_ERR_INCOMPATIBLE_VERSION },
		{ "{\"cniVersion\":\"9.9.9\"}", CNI_ERR_INCOMPATIBLE_VERSION },
		{ "{\"cniVersion\":1}", CNI_ERR_INVALID_CONFIG },
		{ "{\"failurePolicy\":\"maybe\"}", CNI_ERR_INVALID_CONFIG },
		{ "{\"failurePolicy\":1}", CNI_ERR_INVALID_CONFIG },
		{ "{\"logLevel\":\"loud\"}", CNI_ERR_INVALID_CONFIG },
		{ "{\"nflogGroup\":70000}", CNI_ERR_INVALID_CONFIG },
		{ "{\"nflogGroup\":\"7\"}", CNI_ERR_INVALID_CONFIG },
		{ "{\"db\":[]}", CNI_ERR_INVALID_CONFIG },
		{ "{\"releaseSocket\":7}", CNI_ERR_INVALID_CONFIG },
		{ "{\"releaseSocket\":\"/run/netpol-record/0123456789012345"
		  "678901234567890123456789012345678901234567890123456789012"
		  "345678901234567890123456789012345678901234567.sock\"}",
		  CNI_ERR_INVALID_CONFIG },
		{ "{\"cni.dev/valid-attachments\":{}}", CNI_ERR_INVALID_CONFIG },
		{ "{\"cni.dev/valid-attachments\":[{\"containerID\":\"a\"}]}",
		  CNI_ERR_INVALID_CONFIG },
		{ "{\"runtimeConfig\":{\"io.kubernetes.cri.pod-annotations\":"
		  "[]}}", CNI_ERR_INVALID_CONFIG },
	};
	struct cni_conf c;
	struct cni_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_str(cases[i].json, &c, &err), -EINVAL);
		assert_int_equal(err.code, cases[i].code);
		assert_true(err.msg[0] != '\0');
		assert_null(c.root);
	}
}

static void
test_conf_too_big(void **state)
{
	struct cni_conf c;
	struct cni_err err;
	size_t len = CNI_STDIN_MAX + 1;
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	buf[0] = '{';
	buf[len - 1] = '}';
	assert_int_equal(cni_conf_parse(buf, len, &c, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	/* The same document at the limit is fine. */
	buf[len - 2] = '}';
	assert_int_equal(cni_conf_parse(buf, len - 1, &c, &err), 0);
	cni_conf_free(&c);
	free(buf);
}

static void
test_args(void **state)
{
	struct cni_args a;
	char big[400];

	(void)state;
	assert_int_equal(cni_args_parse(NULL, &a), 0);
	assert_string_equal(a.pod_name, "");
	assert_int_equal(cni_args_parse("", &a), 0);
	assert_int_equal(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;"
	    "K8S_POD_NAME=cart-0;K8S_POD_INFRA_CONTAINER_ID=abc;"
	    "K8S_POD_UID=1234-5678", &a), 0);
	assert_string_equal(a.pod_namespace, "shop");
	assert_string_equal(a.pod_name, "cart-0");
	assert_string_equal(a.pod_uid, "1234-5678");
	assert_string_equal(a.infra_container_id, "abc");
	/* Any order, unknown keys skipped, empty values, stray ';'. */
	assert_int_equal(cni_args_parse("K8S_POD_NAME=web;FOO=bar=baz;;"
	    "K8S_POD_NAMESPACE=;", &a), 0);
	assert_string_equal(a.pod_name, "web");
	assert_string_equal(a.pod_namespace, "");
	/* podman passes only the name. */
	assert_int_equal(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAME=box",
	    &a), 0);
	assert_string_equal(a.pod_name, "box");
	assert_string_equal(a.pod_uid, "");
	/* A key is a prefix of no other. */
	assert_int_equal(cni_args_parse("K8S_POD_NAMEX=1;K8S_POD=2", &a), 0);
	assert_string_equal(a.pod_name, "");
	assert_int_equal(cni_args_parse("K8S_POD_NAME", &a), -EINVAL);
	assert_int_equal(cni_args_parse("=x", &a), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "K8S_POD_UID=", 12);
	assert_int_equal(cni_args_parse(big, &a), -ENAMETOOLONG);
}

static void
check_prev(const char *shape, const char *version)
{
	struct cni_conf c;
	struct cni_err err;
	struct cni_prev p;
	char path[128], text[ADDR_STRLEN];
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), FIXTURES "%s-%s.json", shape, version);
	buf = ut_slurp(path, &len);
	assert_non_null(buf);
	assert_int_equal(cni_conf_parse(buf, len, &c, &err), 0);
	assert_string_equal(c.version, version);
	assert_non_null(c.prev);
	assert_int_equal(cni_prev_parse(c.prev, &p, &err), 0);
	if (strcmp(shape, "bridge") == 0) {
		assert_int_equal(p.naddrs, 2);
		assert_string_equal(addr_format(&p.addrs[0], text,
		    sizeof(text)), "198.18.1.5");
		assert_int_equal(p.prefixes[0], 24);
		assert_string_equal(addr_format(&p.addrs[1], text,
		    sizeof(text)), "2001:db8:1::5");
		assert_int_equal(p.prefixes[1], 64);
		/* The bridge lists itself and the veth without sandbox. */
		assert_int_equal(p.nhost, 2);
		assert_string_equal(p.host_ifs[0], "cni0");
		assert_string_equal(p.host_ifs[1], "veth1a2b3c4d");
	} else if (strcmp(shape, "ptp") == 0) {
		assert_int_equal(p.naddrs, 2);
		assert_string_equal(addr_format(&p.addrs[0], text,
		    sizeof(text)), "198.18.2.7");
		assert_int_equal(p.nhost, 1);
		assert_string_equal(p.host_ifs[0], "veth9f8e7d6c");
	} else {
		/* macvlan: no host side at all. */
		assert_int_equal(p.naddrs, 1);
		assert_int_equal(p.nhost, 0);
	}
	cni_conf_free(&c);
	free(buf);
}

static void
test_prev_shapes(void **state)
{
	static const char *const shapes[] = { "bridge", "ptp", "macvlan" };
	size_t i, j;

	(void)state;
	for (i = 0; i < 3; i++)
		for (j = 0; j < sizeof(versions) / sizeof(versions[0]); j++)
			check_prev(shapes[i], versions[j]);
}

static void
test_prev_bad_shapes(void **state)
{
	static const char *const bad[] = {
		"[]",
		"\"x\"",
		"{\"ips\":{}}",
		"{\"ips\":[1]}",
		"{\"ips\":[{}]}",
		"{\"ips\":[{\"address\":5}]}",
		"{\"ips\":[{\"address\":\"198.18.1.5\"}]}",
		"{\"ips\":[{\"address\":\"198.18.1.5/33\"}]}",
		"{\"ips\":[{\"address\":\"198.18.1.500/24\"}]}",
		"{\"ips\":[{\"address\":\"198.18.1.5/24\",\"version\":\"6\"}]}",
		"{\"interfaces\":\"eth0\"}",
		"{\"interfaces\":[{\"mac\":\"x\"}]}",
		"{\"interfaces\":[{\"name\":\"a\",\"sandbox\":1}]}",
	};
	json_object *o;
	struct cni_prev p;
	struct cni_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_tokener_parse(bad[i]);
		assert_non_null(o);
		memset(&err, 0, sizeof(err));
		assert_int_equal(cni_prev_parse(o, &p, &err), -EINVAL);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
		json_object_put(o);
	}
	assert_int_equal(cni_prev_parse(NULL, &p, &err), -EINVAL);
	/* An empty result (no ips, no interfaces) is a valid shape. */
	o = json_tokener_parse("{\"cniVersion\":\"1.0.0\"}");
	assert_int_equal(cni_prev_parse(o, &p, &err), 0);
	assert_int_equal(p.naddrs, 0);
	json_object_put(o);
}

static void
test_version_cmp(void **state)
{
	(void)state;
	assert_true(cni_version_cmp("0.3.1", "0.4.0") < 0);
	assert_true(cni_version_cmp("1.1.0", "1.0.0") > 0);
	assert_int_equal(cni_version_cmp("1.0.0", "1.0.0"), 0);
	assert_true(cni_version_supported("0.3.0"));
	assert_false(cni_version_supported("0.2.0"));
	assert_false(cni_version_supported(NULL));
}

static void
test_err_json(void **state)
{
	struct cni_err err = { 0 };
	json_object *o, *v;
	char *s;

	(void)state;
	cni_err_set(&err, CNI_ERR_DECODE, "line \"1\"", "bad %s", "json");
	s = cni_err_json("0.4.0", &err);
	assert_non_null(s);
	assert_int_equal(s[strlen(s) - 1], '\n');
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "code", &v));
	assert_int_equal(json_object_get_int(v), 6);
	assert_true(json_object_object_get_ex(o, "msg", &v));
	assert_string_equal(json_object_get_string(v), "bad json");
	assert_true(json_object_object_get_ex(o, "details", &v));
	assert_string_equal(json_object_get_string(v), "line \"1\"");
	assert_true(json_object_object_get_ex(o, "cniVersion", &v));
	assert_string_equal(json_object_get_string(v), "0.4.0");
	json_object_put(o);
	free(s);
	/* An unknown version falls back to ours; no details, no key. */
	cni_err_set(&err, CNI_ERR_INVALID_ENV, NULL, "x");
	s = cni_err_json("7.0.0", &err);
	o = json_tokener_parse(s);
	assert_true(json_object_object_get_ex(o, "cniVersion", &v));
	assert_string_equal(json_object_get_string(v), "1.1.0");
	assert_false(json_object_object_get_ex(o, "details", &v));
	json_object_put(o);
	free(s);
}

/* ---- plugin_run on bad input ------------------------------------------ */

static int
run(const struct plugin_env *env, const char *in, size_t len, char **out)
{
	size_t olen = 0;
	FILE *f = open_memstream(out, &olen);
	int rc;

	assert_non_null(f);
	rc = plugin_run(env, in, len, f);
	fclose(f);
	return rc;
}

/* One JSON object on stdout, and nothing else. */
static json_object *
one_object(const char *out)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;
	size_t end;

	o = json_tokener_parse_ex(tok, out, (int)strlen(out));
	assert_non_null(o);
	end = json_tokener_get_parse_end(tok);
	/* Nothing after the object but its newline. */
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_true(end >= strlen(out) - 1);
	json_tokener_free(tok);
	return o;
}

static int
code_of(const char *out)
{
	json_object *o = one_object(out), *v;
	int code;

	assert_true(json_object_object_get_ex(o, "code", &v));
	code = json_object_get_int(v);
	assert_true(json_object_object_get_ex(o, "msg", &v));
	json_object_put(o);
	return code;
}

static void
test_plugin_bad_input(void **state)
{
	struct plugin_env env = { .command = "ADD", .container_id = "c1",
	    .netns = "/nonexistent/netns", .ifname = "eth0" };
	char *out = NULL;
	const char *cfg;
	size_t len;
	int i;

	(void)state;
	/* Empty stdin, not JSON, unknown version: always errors. */
	assert_int_equal(run(&env, "", 0, &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_DECODE);
	free(out);
	assert_int_equal(run(&env, "{nope", 5, &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_DECODE);
	free(out);
	cfg = "{\"cniVersion\":\"5.0.0\",\"prevResult\":{}}";
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INCOMPATIBLE_VERSION);
	free(out);
	/* ADD without prevResult; prevResult of the wrong shape. */
	cfg = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}";
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INVALID_CONFIG);
	free(out);
	cfg = "{\"cniVersion\":\"1.0.0\",\"prevResult\":{\"ips\":\"x\"}}";
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INVALID_CONFIG);
	free(out);
	/* Missing CNI_COMMAND, unknown command. */
	env.command = NULL;
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INVALID_ENV);
	free(out);
	env.command = "FROB";
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INVALID_ENV);
	free(out);
	/* CHECK needs 0.4.0, STATUS and GC 1.1.0. */
	env.command = "CHECK";
	cfg = "{\"cniVersion\":\"0.3.1\",\"prevResult\":{}}";
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INCOMPATIBLE_VERSION);
	free(out);
	env.command = "STATUS";
	cfg = "{\"cniVersion\":\"1.0.0\"}";
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 1);
	assert_int_equal(code_of(out), CNI_ERR_INCOMPATIBLE_VERSION);
	free(out);

	/* A netns that does not exist: code 4 with failurePolicy fail... */
	env.command = "ADD";
	for (i = 0; i < 2; i++) {
		char path[64];
		const char *policy = i == 0 ? "fail" : "ignore";
		json_object *o, *v;
		char *doc, *fixture;

		snprintf(path, sizeof(path), FIXTURES "bridge-0.4.0.json");
		fixture = ut_slurp(path, &len);
		assert_non_null(fixture);
		o = json_tokener_parse(fixture);
		json_object_object_add(o, "failurePolicy",
		    json_object_new_string(policy));
		json_object_object_add(o, "db",
		    json_object_new_string("/nonexistent/dir/records.db"));
		doc = strdup(json_object_to_json_string(o));
		json_object_put(o);
		if (i == 0) {
			assert_int_equal(run(&env, doc, strlen(doc), &out), 1);
			assert_int_equal(code_of(out), CNI_ERR_INVALID_ENV);
		} else {
			/* ...and with ignore, prevResult passes through in
			 * the request's version. */
			assert_int_equal(run(&env, doc, strlen(doc), &out), 0);
			o = one_object(out);
			assert_true(json_object_object_get_ex(o, "cniVersion",
			    &v));
			assert_string_equal(json_object_get_string(v), "0.4.0");
			assert_true(json_object_object_get_ex(o, "ips", &v));
			assert_int_equal(json_object_array_length(v), 2);
			assert_false(json_object_object_get_ex(o, "code", &v));
			json_object_put(o);
		}
		free(out);
		free(doc);
		free(fixture);
	}
}

static void
test_plugin_version(void **state)
{
	struct plugin_env env = { .command = "VERSION", .netns = "dummy" };
	json_object *o, *v;
	char *out = NULL;
	const char *cfg = "{\"cniVersion\":\"0.4.0\"}";

	(void)state;
	assert_int_equal(run(&env, cfg, strlen(cfg), &out), 0);
	o = one_object(out);
	assert_true(json_object_object_get_ex(o, "cniVersion", &v));
	assert_string_equal(json_object_get_string(v), "0.4.0");
	assert_true(json_object_object_get_ex(o, "supportedVersions", &v));
	assert_int_equal(json_object_array_length(v), 5);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(v, 4)), "1.1.0");
	json_object_put(o);
	free(out);
	/* Whatever stdin holds, VERSION answers. */
	assert_int_equal(run(&env, "", 0, &out), 0);
	o = one_object(out);
	assert_true(json_object_object_get_ex(o, "cniVersion", &v));
	assert_string_equal(json_object_get_string(v), "1.1.0");
	json_object_put(o);
	free(out);
}

static int
setup(void **state)
{
	(void)state;
	/* Keep the expected warnings of bad input out of the test output. */
	log_init("test_cniconf", LOG_LVL_ERROR);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_all_keys),
		cmocka_unit_test(test_conf_mark_bit),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_too_big),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_prev_shapes),
		cmocka_unit_test(test_prev_bad_shapes),
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_err_json),
		cmocka_unit_test(test_plugin_bad_input),
		cmocka_unit_test(test_plugin_version),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
