/*
 * kapi: the parts that need no server: watch lines, kubeconfig and
 * in-cluster configuration, token re-reading, the resource table.
 * tests/integration/test_kapi.sh runs the client against an HTTPS server.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "recorderd/meta/kmeta.h"
#include "recorderd/kapi.h"
#include "recorderd/metasrc.h"

static void
test_watch_parse(void **state)
{
	struct kapi_watch_event ev;
	char err[256];
	const char *l;

	(void)state;
	l = "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"a\",\"resourceVersion\":\"12\"}}}";
	assert_int_equal(kapi_watch_parse(l, strlen(l), &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.type, KAPI_WATCH_ADDED);
	assert_string_equal(ev.rv, "12");
	assert_non_null(ev.obj);
	json_object_put(ev.obj);

	l = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
	    "{\"resourceVersion\":\"99\"}}}";
	assert_int_equal(kapi_watch_parse(l, strlen(l), &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.type, KAPI_WATCH_BOOKMARK);
	assert_string_equal(ev.rv, "99");
	json_object_put(ev.obj);

	l = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
	    "\"reason\":\"Expired\"}}";
	assert_int_equal(kapi_watch_parse(l, strlen(l), &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.type, KAPI_WATCH_ERROR);
	assert_int_equal(ev.code, 410);
	json_object_put(ev.obj);

	l = "{\"type\":\"DELETED\",\"object\":{}}";
	assert_int_equal(kapi_watch_parse(l, strlen(l), &ev, err,
	    sizeof(err)), 0);
	assert_int_equal(ev.type, KAPI_WATCH_DELETED);
	assert_string_equal(ev.rv, "");
	json_object_put(ev.obj);
}

static void
expect_bad_line(const char *l, const char *msg)
{
	struct kapi_watch_event ev;
	char err[256] = "";

	assert_int_equal(kapi_watch_parse(l, strlen(l), &ev, err, sizeof(err)),
	    -EINVAL);
	assert_null(ev.obj);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, msg);
}

static void
test_watch_bad(void **state)
{
	(void)state;
	expect_bad_line("{\"type\":\"ADDED\",\"object\":{\"kind\":",
	    "not one JSON object");
	expect_bad_line("{\"type\":\"ADDED\",\"object\":{}}{}",
	    "not one JSON object");
	expect_bad_line("{\"type\":\"ADDED\",\"object\":[]}",
	    "without a type string and an object");
	expect_bad_line("{\"type\":7,\"object\":{}}",
	    "without a type string and an object");
	expect_bad_line("{\"type\":\"RENAMED\",\"object\":{}}",
	    "unknown watch event type");
	expect_bad_line("[]", "without a type");
}

static void
test_resources(void **state)
{
	bool seen[KMETA_NKINDS] = { 0 };
	size_t i;
	int k;

	(void)state;
	/* Every cached kind is listed and watched, exactly once. */
	assert_int_equal(metasrc_nresources, KMETA_NKINDS);
	for (i = 0; i < metasrc_nresources; i++) {
		k = metasrc_resources[i].kind;
		assert_true(k >= 0 && k < KMETA_NKINDS);
		assert_false(seen[k]);
		seen[k] = true;
		assert_string_equal(metasrc_resources[i].verbs[0], "list");
		assert_string_equal(metasrc_resources[i].verbs[1], "watch");
		assert_null(metasrc_resources[i].verbs[2]);
	}
}

static const char kc_head[] =
    "apiVersion: v1\nkind: Config\ncurrent-context: prod\n"
    "contexts:\n- name: dev\n  context: {cluster: dev, user: dev}\n"
    "- name: prod\n  context: {cluster: prod, user: admin}\n"
    "clusters:\n- name: dev\n  cluster: {server: 'https://dev:6443'}\n";

static int
kc(const char *tail, struct kapi_conf *c, char *err, size_t errlen)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", kc_head, tail);
	return kapi_conf_kubeconfig_buf(buf, strlen(buf), "/etc/kube", c, err,
	    errlen);
}

static void
test_kubeconfig(void **state)
{
	struct kapi_conf c;
	char err[256] = "";

	(void)state;
	/* base64 of "CA PEM\n" and friends. */
	assert_int_equal(kc("- name: prod\n  cluster:\n"
	    "    server: https://10.0.0.1:6443/\n"
	    "    certificate-authority-data: Q0EgUEVNCg==\n"
	    "users:\n- name: admin\n  user:\n"
	    "    client-certificate: certs/admin.crt\n"
	    "    client-key-data: S0VZCg==\n"
	    "    token: abc\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	assert_string_equal(c.ca_data, "CA PEM\n");
	assert_null(c.ca_file);
	assert_string_equal(c.cert_file, "/etc/kube/certs/admin.crt");
	assert_string_equal(c.key_data, "KEY\n");
	assert_string_equal(c.token, "abc");
	kapi_conf_clear(&c);

	assert_int_equal(kc("- name: prod\n  cluster:\n"
	    "    server: https://[2001:db8::1]:6443\n"
	    "    certificate-authority: /abs/ca.crt\n"
	    "users:\n- name: admin\n  user: {tokenFile: tok}\n", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.ca_file, "/abs/ca.crt");
	assert_string_equal(c.token_file, "/etc/kube/tok");
	kapi_conf_clear(&c);
}

static void
expect_kc_err(const char *tail, int rc, const char *msg)
{
	struct kapi_conf c;
	char err[256] = "";

	assert_int_equal(kc(tail, &c, err, sizeof(err)), rc);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, msg);
	assert_null(c.server);
}

static void
test_kubeconfig_bad(void **state)
{
	(void)state;
	expect_kc_err("", -EINVAL, "cluster of context \"prod\" not found");
	expect_kc_err("- name: prod\n  cluster: {server: 'http://x'}\n",
	    -EINVAL, "https:// URL");
	expect_kc_err("- name: prod\n  cluster: {server: 'https://x', "
	    "insecure-skip-tls-verify: true}\n", -ENOTSUP,
	    "insecure-skip-tls-verify");
	expect_kc_err("- name: prod\n  cluster: {server: 'https://x'}\n"
	    "users:\n- name: admin\n  user:\n    exec: {command: aws}\n",
	    -EINVAL, "exec.apiVersion: missing");
	expect_kc_err("- name: prod\n  cluster: {server: 'https://x'}\n"
	    "users:\n- name: admin\n  user:\n    exec: {command: aws, "
	    "apiVersion: client.authentication.k8s.io/v1}\n",
	    -EINVAL, "interactiveMode: required");
	expect_kc_err("- name: prod\n  cluster: {server: 'https://x'}\n"
	    "users:\n- name: admin\n  user:\n    auth-provider: "
	    "{name: gcp}\n", -ENOTSUP, "exec credential plugin");
	expect_kc_err("- name: prod\n  cluster: {server: 'https://x', "
	    "certificate-authority-data: '!!!'}\n", -EINVAL, "not base64");
	expect_kc_err("- name: prod\n  cluster: {server: 'https://x'}\n"
	    "users:\n- name: admin\n  user: {client-certificate: a.crt}\n",
	    -EINVAL, "needs its key");
	expect_kc_err("- name: prod\n  cluster: [\n", -EINVAL, "line ");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* kubectl's rules: --kubeconfig, KUBECONFIG (merged, the first of a name
 * wins), ~/.kube/config, the service account; --context. */
static void
test_find(void **state)
{
	char dir[] = "/tmp/kapi-find-XXXXXX", a[256], b[256], list[600];
	char home[300], desc[512], err[512], cmd[1024];
	struct kapi_conf_want w = { 0 };
	struct kapi_conf c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.yaml", dir);
	snprintf(b, sizeof(b), "%s/sub/b.yaml", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sub %s/home", dir, dir);
	assert_int_equal(system(cmd), 0);
	write_file(a, "current-context: one\n"
	    "contexts:\n- name: one\n  context: {cluster: c1, user: u1}\n"
	    "clusters:\n- name: c1\n  cluster: {server: 'https://one:6443'}\n"
	    "users:\n- name: u1\n  user: {tokenFile: tok}\n");
	write_file(b, "current-context: two\n"
	    "contexts:\n- name: two\n  context: {cluster: c2, user: u2}\n"
	    "- name: one\n  context: {cluster: c2, user: u2}\n"
	    "clusters:\n- name: c2\n  cluster: {server: 'https://two:6443', "
	    "certificate-authority: ca.pem}\n"
	    "- name: c1\n  cluster: {server: 'https://shadowed:6443'}\n"
	    "users:\n- name: u2\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: bin/plugin\n      interactiveMode: Never\n");
	snprintf(list, sizeof(list), "%s:%s/missing.yaml:%s", a, dir, b);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kapi_conf_find(&w, &c, desc, sizeof(desc), err,
	    sizeof(err)), 0);
	assert_string_equal(c.server, "https://one:6443");
	assert_string_equal(c.context, "one");
	snprintf(cmd, sizeof(cmd), "%s/tok", dir);
	assert_string_equal(c.token_file, cmd);
	assert_non_null(strstr(desc, "context one of "));
	kapi_conf_clear(&c);

	w.context = "two";
	assert_int_equal(kapi_conf_find(&w, &c, desc, sizeof(desc), err,
	    sizeof(err)), 0);
	assert_string_equal(c.server, "https://two:6443");
	snprintf(cmd, sizeof(cmd), "%s/sub/ca.pem", dir);
	assert_string_equal(c.ca_file, cmd);
	assert_non_null(c.exec);
	kapi_conf_clear(&c);

	w.context = "three";
	assert_int_equal(kapi_conf_find(&w, &c, desc, sizeof(desc), err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no context \"three\" (contexts: one, two)"));

	/* --kubeconfig: that file only. */
	w.kubeconfig = b;
	w.context = NULL;
	assert_int_equal(kapi_conf_find(&w, &c, desc, sizeof(desc), err,
	    sizeof(err)), 0);
	assert_string_equal(c.server, "https://two:6443");
	kapi_conf_clear(&c);

	/* Nothing at all. */
	w.kubeconfig = NULL;
	unsetenv("KUBECONFIG");
	snprintf(home, sizeof(home), "%s/home", dir);
	setenv("HOME", home, 1);
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kapi_conf_find(&w, &c, desc, sizeof(desc), err,
	    sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no kubeconfig"));
	assert_non_null(strstr(err, "--kubeconfig FILE"));
	/* ~/.kube/config */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/.kube && cp %s %s/.kube/config",
	    home, a, home);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kapi_conf_find(&w, &c, desc, sizeof(desc), err,
	    sizeof(err)), 0);
	assert_string_equal(c.server, "https://one:6443");
	kapi_conf_clear(&c);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_in_cluster(void **state)
{
	struct kapi_conf c;
	char dir[] = "/tmp/kapi-sa-XXXXXX", path[256], err[256];
	char *tok;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kapi_conf_in_cluster(dir, &c, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	/* No token file yet. */
	assert_int_equal(kapi_conf_in_cluster(dir, &c, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "token"));

	snprintf(path, sizeof(path), "%s/token", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("first\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(kapi_conf_in_cluster(dir, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	assert_string_equal(c.ca_file, path);
	tok = kapi_conf_token(&c);
	assert_string_equal(tok, "first");
	free(tok);

	/* Rotated: the next request sends the new token. */
	snprintf(path, sizeof(path), "%s/token", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("second", f);
	fclose(f);
	tok = kapi_conf_token(&c);
	assert_string_equal(tok, "second");
	free(tok);
	kapi_conf_clear(&c);

	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	unlink(path);
	rmdir(dir);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

/* Start and stop against a port nothing listens on: the worker reports
 * errors through the queue and stops cleanly. */
static void
test_start_stop(void **state)
{
	char server[] = "https://127.0.0.1:1";
	struct kapi_conf c = { .server = server, .backoff_min_ms = 50 };
	struct kapi *ka;
	struct kapi_event ev;
	int i, errors = 0;

	(void)state;
	assert_int_equal(kapi_start(&c, metasrc_resources, 0, &ka), -EINVAL);
	assert_int_equal(kapi_start(&c, metasrc_resources, metasrc_nresources,
	    &ka), 0);
	assert_true(kapi_fd(ka) >= 0);
	for (i = 0; i < 100 && errors == 0; i++) {
		while (kapi_next(ka, &ev) == 0) {
			if (ev.type == KAPI_EV_ERROR)
				errors++;
			json_object_put(ev.obj);
		}
		usleep(20000);
	}
	assert_true(errors > 0);
	kapi_stop(ka);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_parse),
		cmocka_unit_test(test_watch_bad),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_kubeconfig),
		cmocka_unit_test(test_kubeconfig_bad),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_start_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
