/*
 * test_kapi_exec: the exec credential plugin of a kubeconfig user
 * (lib/kapi_exec.c): what a plugin prints, parsed; and real plugins (shell
 * scripts this test writes) run with their args, env and
 * KUBERNETES_EXEC_INFO, their credential cached until it expires or is
 * invalidated, interactiveMode kept (a pseudo-terminal stands for the
 * user's), and every way a plugin fails said.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lib/kapi_exec.h"
#include "lib/rfc3339.h"
#include "tests/unit/ut_run.h"

#define V1 "client.authentication.k8s.io/v1"
#define V1BETA1 "client.authentication.k8s.io/v1beta1"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kapi-exec-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- parsing --------------------------------------------------------------- */

static void
expect_parse_err(const char *json, const char *api, const char *msg)
{
	struct kapi_exec_cred c;
	char err[256] = "";

	assert_int_equal(kapi_exec_parse(json, strlen(json), api, &c, err,
	    sizeof(err)), -EINVAL);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, msg);
	assert_null(c.token);
}

static void
test_parse(void **state)
{
	struct kapi_exec_cred c;
	char err[256];
	const char *tok = "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"t0k\",\"expirationTimestamp\":"
	    "\"2030-01-02T03:04:05Z\"}}";
	const char *crt = "{\"apiVersion\":\"" V1BETA1 "\",\"kind\":"
	    "\"ExecCredential\",\"status\":{\"clientCertificateData\":"
	    "\"-----BEGIN CERTIFICATE-----\\nX\\n\",\"clientKeyData\":\"K\"}}";
	int64_t t;

	(void)state;
	assert_int_equal(kapi_exec_parse(tok, strlen(tok), V1, &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.token, "t0k");
	assert_int_equal(rfc3339_parse("2030-01-02T03:04:05Z", &t), 0);
	assert_int_equal(c.expires, t);
	assert_null(c.cert);
	kapi_exec_cred_clear(&c);
	assert_int_equal(kapi_exec_parse(crt, strlen(crt), V1BETA1, &c, err,
	    sizeof(err)), 0);
	assert_null(c.token);
	assert_string_equal(c.cert, "-----BEGIN CERTIFICATE-----\nX\n");
	assert_string_equal(c.key, "K");
	assert_int_equal(c.expires, 0);
	kapi_exec_cred_clear(&c);

	expect_parse_err(tok, V1BETA1, "not an ExecCredential of " V1BETA1);
	expect_parse_err("token", V1, "did not print an ExecCredential");
	expect_parse_err("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\"}",
	    V1, "has no status");
	expect_parse_err("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{}}", V1, "neither a token");
	expect_parse_err("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"x\",\"clientKeyData\":\"k\"}}", V1,
	    "clientKeyData without clientCertificateData");
	expect_parse_err("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"x\",\"expirationTimestamp\":\"soon\"}}", V1,
	    "'soon' is not an RFC 3339 time");
}

/* ---- running plugins --------------------------------------------------------- */

/* Write an executable script dir/name. */
static void
script(const char *name, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* A kapi_exec from the YAML-ish JSON of a kubeconfig's exec mapping. */
static struct kapi_exec *
plugin(const char *json, int want, const char *msg)
{
	struct kapi_exec *x = NULL;
	json_object *o = json_tokener_parse(json);
	char err[256] = "";

	assert_non_null(o);
	assert_int_equal(kapi_exec_new(o, dir, "https://127.0.0.1:6443",
	    "-----BEGIN CERTIFICATE-----\nCA\n", &x, err, sizeof(err)), want);
	if (msg != NULL && strstr(err, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, msg);
	json_object_put(o);
	return x;
}

static char *
file_of(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return ut_slurp(path, NULL);
}

/* The plugin records its args, FOO, its standard input, whether it leads
 * its own session, and KUBERNETES_EXEC_INFO; counts its runs; prints a
 * token. */
static const char recorder[] =
    "d=$(dirname \"$0\")\n"
    "echo run >>\"$d/runs\"\n"
    "printf '%s|' \"$@\" >\"$d/args\"\n"
    "printf '%s' \"$FOO\" >\"$d/foo\"\n"
    "printf '%s' \"$KUBERNETES_EXEC_INFO\" >\"$d/info\"\n"
    "set -- $(cat /proc/$$/stat)\n"
    "[ \"$6\" = \"$$\" ] && echo leader >\"$d/sid\" || echo member >\"$d/sid\"\n"
    "IFS= read -r line || line=EOF\n"
    "printf '%s' \"$line\" >\"$d/stdin\"\n"
    "printf '{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"tok-%s\",\"expirationTimestamp\":"
    "\"2030-01-01T00:00:00Z\"}}' \"$API\" \"$(wc -l <\"$d/runs\")\"\n";

static void
expect_token(struct kapi_exec *x, int64_t now, const char *token)
{
	struct kapi_exec_cred c;
	char err[512] = "";

	if (kapi_exec_get(x, now, &c, err, sizeof(err)) != 0)
		fail_msg("kapi_exec_get: %s", err);
	assert_string_equal(c.token, token);
	kapi_exec_cred_clear(&c);
}

static void
test_run_and_cache(void **state)
{
	struct kapi_exec *x, *y;
	int64_t exp;
	char *s;
	json_object *info, *spec, *cl, *v;

	(void)state;
	script("plug.sh", recorder);
	x = plugin("{\"apiVersion\":\"" V1 "\",\"command\":\"./plug.sh\","
	    "\"args\":[\"get-token\",\"--cluster\",\"a b\"],"
	    "\"env\":[{\"name\":\"FOO\",\"value\":\"bar\"},"
	    "{\"name\":\"API\",\"value\":\"" V1 "\"}],"
	    "\"interactiveMode\":\"Never\",\"provideClusterInfo\":true}", 0,
	    NULL);
	assert_int_equal(rfc3339_parse("2030-01-01T00:00:00Z", &exp), 0);
	expect_token(x, exp - 100, "tok-1");
	/* Cached until it expires. */
	expect_token(x, exp - 1, "tok-1");
	assert_int_equal(kapi_exec_runs(x), 1);
	expect_token(x, exp, "tok-2");
	/* Refused by the server: run again. */
	kapi_exec_invalidate(x);
	expect_token(x, exp - 100, "tok-3");
	assert_int_equal(kapi_exec_runs(x), 3);

	s = file_of("args");
	assert_string_equal(s, "get-token|--cluster|a b|");
	free(s);
	s = file_of("foo");
	assert_string_equal(s, "bar");
	free(s);
	/* Never: no terminal, /dev/null as input, a session of its own. */
	s = file_of("stdin");
	assert_string_equal(s, "EOF");
	free(s);
	s = file_of("sid");
	assert_string_equal(s, "leader\n");
	free(s);
	s = file_of("info");
	assert_non_null(info = json_tokener_parse(s));
	free(s);
	assert_true(json_object_object_get_ex(info, "apiVersion", &v));
	assert_string_equal(json_object_get_string(v), V1);
	assert_true(json_object_object_get_ex(info, "spec", &spec));
	assert_true(json_object_object_get_ex(spec, "interactive", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(spec, "cluster", &cl));
	assert_true(json_object_object_get_ex(cl, "server", &v));
	assert_string_equal(json_object_get_string(v), "https://127.0.0.1:6443");
	assert_true(json_object_object_get_ex(cl, "certificate-authority-data",
	    &v));
	/* base64 of the CA's PEM */
	assert_string_equal(json_object_get_string(v),
	    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==");
	json_object_put(info);

	/* A copy has the configuration, not the credential. */
	assert_int_equal(kapi_exec_dup(x, &y), 0);
	expect_token(y, exp - 100, "tok-4");
	kapi_exec_free(y);
	kapi_exec_free(x);
}

/* IfAvailable with our standard input a terminal: the plugin gets it and
 * is told it may talk; Never with the same terminal: it does not. */
static void
test_interactive(void **state)
{
	struct kapi_exec *x;
	int master, slave, saved;
	char *s, *oldpath, path[4096];

	(void)state;
	script("ask.sh", recorder);
	assert_true((master = posix_openpt(O_RDWR | O_NOCTTY)) >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_true((slave = open(ptsname(master), O_RDWR | O_NOCTTY)) >= 0);
	assert_true((saved = dup(STDIN_FILENO)) >= 0);
	assert_int_equal(dup2(slave, STDIN_FILENO), STDIN_FILENO);
	/* What the user types. */
	assert_int_equal(write(master, "hunter2\n", 8), 8);

	x = plugin("{\"apiVersion\":\"" V1BETA1 "\",\"command\":\"ask.sh\","
	    "\"env\":[{\"name\":\"API\",\"value\":\"" V1BETA1 "\"}]}", 0, NULL);
	/* v1beta1 without interactiveMode is IfAvailable; it needs the
	 * caller's permission too (the daemon never gives it). */
	kapi_exec_allow_terminal(x, true);
	/* A bare name is looked up in PATH. */
	assert_non_null(oldpath = strdup(getenv("PATH")));
	snprintf(path, sizeof(path), "%s:%s", dir, oldpath);
	setenv("PATH", path, 1);
	expect_token(x, 0, "tok-1");
	setenv("PATH", oldpath, 1);
	free(oldpath);
	s = file_of("stdin");
	assert_string_equal(s, "hunter2");
	free(s);
	s = file_of("info");
	assert_non_null(strstr(s, "\"interactive\":true"));
	free(s);
	s = file_of("sid");
	assert_string_equal(s, "member\n");
	free(s);
	kapi_exec_free(x);

	assert_int_equal(write(master, "hunter3\n", 8), 8);
	x = plugin("{\"apiVersion\":\"" V1 "\",\"command\":\"./ask.sh\","
	    "\"interactiveMode\":\"Never\",\"env\":[{\"name\":\"API\","
	    "\"value\":\"" V1 "\"}]}", 0, NULL);
	kapi_exec_allow_terminal(x, true);
	expect_token(x, 0, "tok-2");
	s = file_of("stdin");
	assert_string_equal(s, "EOF");
	free(s);
	s = file_of("info");
	assert_non_null(strstr(s, "\"interactive\":false"));
	free(s);
	kapi_exec_free(x);

	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	close(slave);
	close(master);
}

static void
expect_get_err(struct kapi_exec *x, int rc, const char *msg)
{
	struct kapi_exec_cred c;
	char err[512] = "";

	assert_int_equal(kapi_exec_get(x, 0, &c, err, sizeof(err)), rc);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, msg);
	assert_null(c.token);
	kapi_exec_free(x);
}

static void
test_failures(void **state)
{
	int saved, null;

	(void)state;
	plugin("{\"apiVersion\":\"client.authentication.k8s.io/v1alpha1\","
	    "\"command\":\"x\"}", -EINVAL, "is not supported");
	plugin("{\"apiVersion\":\"" V1 "\",\"command\":\"x\","
	    "\"interactiveMode\":\"Sometimes\"}", -EINVAL, "'Sometimes'");
	plugin("{\"apiVersion\":\"" V1 "\",\"interactiveMode\":\"Never\"}",
	    -EINVAL, "exec.command");
	plugin("{\"apiVersion\":\"" V1 "\",\"command\":\"x\",\"interactiveMode\":"
	    "\"Never\",\"env\":[{\"name\":\"A\"}]}", -EINVAL, "exec.env[0]");

	expect_get_err(plugin("{\"apiVersion\":\"" V1 "\",\"command\":"
	    "\"no-such-plugin-xyz\",\"interactiveMode\":\"Never\","
	    "\"installHint\":\"install it with: apt install xyz\"}", 0, NULL),
	    -ENOENT, "install it with: apt install xyz");
	script("fail.sh", "echo 'login expired' >&2; exit 3\n");
	expect_get_err(plugin("{\"apiVersion\":\"" V1 "\",\"command\":"
	    "\"./fail.sh\",\"interactiveMode\":\"Never\"}", 0, NULL), -EACCES,
	    "exited with status 3");
	script("junk.sh", "echo hello\n");
	expect_get_err(plugin("{\"apiVersion\":\"" V1 "\",\"command\":"
	    "\"./junk.sh\",\"interactiveMode\":\"Never\"}", 0, NULL), -EINVAL,
	    "did not print an ExecCredential");
	/* Always, and our input is no terminal. */
	assert_true((saved = dup(STDIN_FILENO)) >= 0);
	assert_true((null = open("/dev/null", O_RDONLY)) >= 0);
	assert_int_equal(dup2(null, STDIN_FILENO), STDIN_FILENO);
	expect_get_err(plugin("{\"apiVersion\":\"" V1 "\",\"command\":"
	    "\"./junk.sh\",\"interactiveMode\":\"Always\"}", 0, NULL), -ENOTTY,
	    "needs a terminal");
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	close(null);
}

/* A client certificate instead of a token. */
static void
test_client_cert(void **state)
{
	struct kapi_exec_cred c;
	struct kapi_exec *x;
	char err[256];

	(void)state;
	script("cert.sh", "printf '{\"apiVersion\":\"" V1 "\",\"kind\":"
	    "\"ExecCredential\",\"status\":{\"clientCertificateData\":\"CERT\","
	    "\"clientKeyData\":\"KEY\"}}'\n");
	x = plugin("{\"apiVersion\":\"" V1 "\",\"command\":\"./cert.sh\","
	    "\"interactiveMode\":\"IfAvailable\"}", 0, NULL);
	assert_int_equal(kapi_exec_get(x, 0, &c, err, sizeof(err)), 0);
	assert_null(c.token);
	assert_string_equal(c.cert, "CERT");
	assert_string_equal(c.key, "KEY");
	kapi_exec_cred_clear(&c);
	/* No expiry: kept until invalidated. */
	assert_int_equal(kapi_exec_get(x, 1LL << 40, &c, err, sizeof(err)), 0);
	kapi_exec_cred_clear(&c);
	assert_int_equal(kapi_exec_runs(x), 1);
	kapi_exec_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_run_and_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_interactive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_cert, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
