/*
 * The node installer: the JSON core on buffers, and install / uninstall
 * on temporary directories holding the configuration files flannel,
 * Calico, Cilium (generic-veth chaining), kindnet, the bridge plugin and
 * containerd (a single-plugin .conf) ship.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cni/cniconf.h"
#include "cni/install/install.h"
#include "recorderd/rconf.h"
#include "tests/unit/ut_run.h"
#include "tests/unit/ut_store.h"

static const char *const vendor_files[] = {
	"10-flannel.conflist",
	"10-calico.conflist",
	"05-cilium.conflist",
	"10-kindnet.conflist",
	"10-bridge.conflist",
	"10-containerd-net.conf",
};

struct env {
	char root[PATH_MAX];
	char conf[PATH_MAX];
	char bin[PATH_MAX];
	char plugin[PATH_MAX];
};

/* ---- helpers ------------------------------------------------------------ */

static void
spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *
pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

/* The fixture directory: from the source tree top (where tests/run runs
 * us), or relative to this binary (build/tests/test_cniinst). */
static const char *
fixture_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0] != '\0')
		return dir;
	if (access("tests/fixtures/conflists", R_OK) == 0) {
		snprintf(dir, sizeof(dir), "tests/fixtures/conflists");
		return dir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	for (int i = 0; i < 3 && (slash = strrchr(exe, '/')) != NULL; i++)
		*slash = '\0';
	pathf(dir, "%s/tests/fixtures/conflists", exe);
	return dir;
}

static char *
fixture(const char *name, size_t *len)
{
	char p[PATH_MAX];
	char *s = ut_slurp(pathf(p, "%s/%s", fixture_dir(), name), len);

	assert_non_null(s);
	return s;
}

static void
put_fixture(struct env *e, const char *name)
{
	char p[PATH_MAX];
	size_t len;
	char *s = fixture(name, &len);

	spit(pathf(p, "%s/%s", e->conf, name), s, len);
	free(s);
}

/* The sorted names in dir, joined by spaces. */
static char *
listing(const char *dir)
{
	struct dirent **ents;
	char *out = calloc(1, 8192);
	int n, i;

	assert_non_null(out);
	n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0) {
			strcat(out, ents[i]->d_name);
			strcat(out, " ");
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char p[PATH_MAX];

	if (e == NULL)
		return -1;
	if (ut_store_mkdtemp(e->root, sizeof(e->root), "test_cniinst") != 0)
		return -1;
	pathf(e->conf, "%s/net.d", e->root);
	pathf(e->bin, "%s/bin", e->root);
	pathf(e->plugin, "%s/plugin-src", e->root);
	if (mkdir(e->conf, 0755) != 0 || mkdir(e->bin, 0755) != 0)
		return -1;
	spit(e->plugin, "\177ELF fake plugin\n", 17);
	(void)p;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	assert_int_equal(ut_store_rmtree(e->root), 0);
	free(e);
	return 0;
}

static json_object *
parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static json_object *
member(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static int nnotes;

static void
count_note(void *arg, const char *line)
{
	(void)arg;
	(void)line;
	nnotes++;
}

/* ---- the JSON core ------------------------------------------------------ */

static void
test_format_is_stable(void **state)
{
	static const char in[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
	    "\"plugins\":[{\"type\":\"bridge\",\"mtu\":1.50,\"big\":"
	    "18446744073709551615,\"path\":\"/a/b\",\"u\":\"\\u00e9\\t\","
	    "\"e\":{},\"l\":[]}]}";
	static const char want[] =
	    "{\n"
	    "  \"cniVersion\": \"1.0.0\",\n"
	    "  \"name\": \"n\",\n"
	    "  \"plugins\": [\n"
	    "    {\n"
	    "      \"type\": \"bridge\",\n"
	    "      \"mtu\": 1.50,\n"
	    "      \"big\": 18446744073709551615,\n"
	    "      \"path\": \"/a/b\",\n"
	    "      \"u\": \"\xc3\xa9\\t\",\n"
	    "      \"e\": {},\n"
	    "      \"l\": []\n"
	    "    },\n"
	    "    {\n"
	    "      \"type\": \"netpol-record-cni\",\n"
	    "      \"db\": \"/var/lib/x/records.db\"\n"
	    "    }\n"
	    "  ]\n"
	    "}\n";
	struct cniinst_opts o = { .db = "/var/lib/x/records.db" };
	char *out, err[256];
	bool conv = true;

	(void)state;
	assert_int_equal(cniinst_add_entry(in, strlen(in), &o, &out, &conv,
	    err, sizeof(err)), 0);
	assert_false(conv);
	assert_string_equal(out, want);
	free(out);
}

static void
test_entry_options(void **state)
{
	struct cniinst_opts o = {
		.db = "/d.db", .log_file = "/l.log", .log_level = "debug",
		.failure_policy = "fail", .mark_bit = "0x00200000",
		.nflog_group = "7302", .nflog_snaplen = "1500",
		.release_socket = "/run/np/release.sock",
	};
	json_object *e;
	char *out, err[256];

	(void)state;
	assert_int_equal(cniinst_entry(&o, &out, err, sizeof(err)), 0);
	e = parse(out);
	assert_string_equal(json_object_get_string(member(e, "type")),
	    "netpol-record-cni");
	assert_string_equal(json_object_get_string(member(e, "db")), "/d.db");
	assert_string_equal(json_object_get_string(member(e, "logFile")),
	    "/l.log");
	assert_string_equal(json_object_get_string(member(e, "logLevel")),
	    "debug");
	assert_string_equal(json_object_get_string(member(e,
	    "failurePolicy")), "fail");
	assert_string_equal(json_object_get_string(member(e, "markBit")),
	    "0x00200000");
	assert_true(json_object_is_type(member(e, "nflogGroup"),
	    json_type_int));
	assert_int_equal(json_object_get_int(member(e, "nflogGroup")), 7302);
	assert_int_equal(json_object_get_int(member(e, "nflogSnaplen")), 1500);
	assert_string_equal(json_object_get_string(member(e,
	    "releaseSocket")), "/run/np/release.sock");
	json_object_put(e);
	free(out);

	/* No options: the type alone. */
	assert_int_equal(cniinst_entry(NULL, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "{\n  \"type\": \"netpol-record-cni\"\n}\n");
	free(out);
}

static void
test_entry_options_the_plugin_refuses(void **state)
{
	static const struct {
		struct cniinst_opts o;
		const char *word;
	} bad[] = {
		{ { .failure_policy = "maybe" }, "failurePolicy" },
		{ { .mark_bit = "0x3" }, "markBit" },
		{ { .nflog_group = "abc" }, "--nflog-group" },
		{ { .nflog_group = "70000" }, "nflogGroup" },
		{ { .nflog_snaplen = "10" }, "nflogSnaplen" },
		{ { .log_level = "loud" }, "" },
		/* Longer than a socket path can be. */
		{ { .release_socket = "/run/netpol-record/0123456789012345678"
		    "901234567890123456789012345678901234567890123456789012345"
		    "6789012345678901234567890123456789.sock" },
		  "releaseSocket" },
	};
	char *out, err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cniinst_entry(&bad[i].o, &out, err,
		    sizeof(err)), -EINVAL);
		assert_null(out);
		assert_non_null(strstr(err, bad[i].word));
	}
}

static void
test_add_to_each_vendor_list(void **state)
{
	struct cniinst_opts o = { .db = "/var/lib/netpol-record/records.db" };
	json_object *orig, *got, *op, *gp;
	char *in, *out, *again, err[256];
	size_t i, j, len, n;
	bool conv;

	(void)state;
	for (i = 0; i < sizeof(vendor_files) / sizeof(vendor_files[0]); i++) {
		in = fixture(vendor_files[i], &len);
		assert_int_equal(cniinst_add_entry(in, len, &o, &out, &conv,
		    err, sizeof(err)), 0);
		assert_int_equal(conv, strstr(vendor_files[i], ".conflist") ==
		    NULL);
		orig = parse(in);
		got = parse(out);
		/* cniVersion and name kept; every plugin as it was; ours
		 * last. */
		assert_string_equal(json_object_get_string(member(got,
		    "cniVersion")), json_object_get_string(member(orig,
		    "cniVersion")));
		assert_string_equal(json_object_get_string(member(got, "name")),
		    json_object_get_string(member(orig, "name")));
		gp = member(got, "plugins");
		n = json_object_array_length(gp);
		if (conv) {
			assert_int_equal(n, 2);
			assert_string_equal(json_object_get_string(member(
			    json_object_array_get_idx(gp, 0), "type")),
			    "bridge");
			assert_false(json_object_object_get_ex(
			    json_object_array_get_idx(gp, 0), "cniVersion",
			    NULL));
		} else {
			op = member(orig, "plugins");
			assert_int_equal(n, json_object_array_length(op) + 1);
			for (j = 0; j + 1 < n; j++)
				assert_true(json_object_equal(
				    json_object_array_get_idx(op, j),
				    json_object_array_get_idx(gp, j)));
			/* Nothing else at the top level changed. */
			assert_int_equal(json_object_object_length(orig),
			    json_object_object_length(got));
		}
		assert_string_equal(json_object_get_string(member(
		    json_object_array_get_idx(gp, n - 1), "type")),
		    "netpol-record-cni");
		/* Again: unchanged. */
		assert_int_equal(cniinst_add_entry(out, strlen(out), &o,
		    &again, NULL, err, sizeof(err)), CNIINST_UNCHANGED);
		assert_null(again);
		/* Removing it gives back the same network. */
		assert_int_equal(cniinst_remove_entry(out, strlen(out), &again,
		    err, sizeof(err)), 0);
		assert_true(cniinst_same_config(in, len, again,
		    strlen(again)));
		assert_int_equal(cniinst_has_entry(again, strlen(again)), 0);
		assert_int_equal(cniinst_has_entry(out, strlen(out)), 1);
		free(again);
		json_object_put(orig);
		json_object_put(got);
		free(out);
		free(in);
	}
}

static void
test_add_updates_in_place_and_dedups(void **state)
{
	static const char in[] = "{\"cniVersion\":\"0.4.0\",\"name\":\"n\","
	    "\"plugins\":[{\"type\":\"ptp\"},{\"type\":\"netpol-record-cni\","
	    "\"db\":\"/old.db\"},{\"type\":\"portmap\"},"
	    "{\"type\":\"netpol-record-cni\"}]}";
	struct cniinst_opts o = { .db = "/new.db" };
	json_object *got, *p;
	char *out, err[256];

	(void)state;
	assert_int_equal(cniinst_add_entry(in, strlen(in), &o, &out, NULL,
	    err, sizeof(err)), 0);
	got = parse(out);
	p = member(got, "plugins");
	assert_int_equal(json_object_array_length(p), 3);
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(p, 1), "db")), "/new.db");
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(p, 2), "type")), "portmap");
	json_object_put(got);
	free(out);

	/* Same entry but a duplicate: still a change (the duplicate goes). */
	o.db = "/old.db";
	assert_int_equal(cniinst_add_entry(in, strlen(in), &o, &out, NULL,
	    err, sizeof(err)), 0);
	got = parse(out);
	assert_int_equal(json_object_array_length(member(got, "plugins")), 3);
	json_object_put(got);
	free(out);
}

static void
test_add_refuses_what_it_cannot_chain(void **state)
{
	static const struct {
		const char *in;
		const char *word;
	} bad[] = {
		{ "", "JSON" },
		{ "{\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"a\"},]}",
		    "JSON" },
		{ "{\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"a\"}]} x",
		    "JSON" },
		{ "{\"cniVersion\":\"0.3.1\",\"plugins\":[", "line 1" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"cniVersion\":\"0.3.1\",\"name\":\"n\"}",
		    "not a CNI network configuration" },
		{ "{\"name\":\"n\",\"type\":\"bridge\"}", "cniVersion" },
		{ "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"bridge\"}",
		    "0.2.0" },
		{ "{\"cniVersion\":\"9.9.9\",\"plugins\":[{\"type\":\"a\"}]}",
		    "9.9.9" },
		{ "{\"cniVersion\":\"1.0.0\",\"plugins\":{}}", "not an array" },
		{ "{\"cniVersion\":\"1.0.0\",\"plugins\":[1]}", "plugins[0]" },
		{ "{\"cniVersion\":\"1.0.0\",\"plugins\":[]}", "empty" },
		{ "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":"
		    "\"netpol-record-cni\"}]}", "first plugin" },
	};
	char *out, err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cniinst_add_entry(bad[i].in,
		    strlen(bad[i].in), NULL, &out, NULL, err, sizeof(err)),
		    -EINVAL);
		assert_null(out);
		if (strstr(err, bad[i].word) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    bad[i].word);
	}
}

static void
test_remove_entry(void **state)
{
	static const char none[] = "{\"cniVersion\":\"1.0.0\",\"plugins\":"
	    "[{\"type\":\"bridge\"}]}";
	static const char single[] = "{\"cniVersion\":\"1.0.0\",\"type\":"
	    "\"bridge\"}";
	char *out, err[256];

	(void)state;
	assert_int_equal(cniinst_remove_entry(none, strlen(none), &out, err,
	    sizeof(err)), CNIINST_UNCHANGED);
	assert_null(out);
	assert_int_equal(cniinst_remove_entry(single, strlen(single), &out,
	    err, sizeof(err)), CNIINST_UNCHANGED);
	assert_int_equal(cniinst_remove_entry("{", 1, &out, err, sizeof(err)),
	    -EINVAL);
	assert_false(cniinst_same_config("{", 1, none, strlen(none)));
	/* A .conf is the same network as the list it converts to. */
	assert_true(cniinst_same_config(none, strlen(none), single,
	    strlen(single)));
	assert_false(cniinst_same_config(none, strlen(none), "{\"cniVersion\":"
	    "\"1.0.0\",\"type\":\"bridge\",\"mtu\":1400}", 49));
}

/* ---- install / uninstall on directories -------------------------------- */

static void
check_no_temp_files(const char *dir)
{
	char *l = listing(dir);

	if (strstr(l, ".tmp.") != NULL)
		fail_msg("temporary file left in %s: %s", dir, l);
	free(l);
}

static void
test_vendor_install_twice_then_uninstall(void **state)
{
	struct env *e = *state;
	struct cniinst_opts o = { .db = "/var/lib/netpol-record/records.db",
	    .note = count_note };
	char p[PATH_MAX], bak[PATH_MAX], conv[PATH_MAX], err[512];
	char *orig, *first, *second, *after, *list0, *list1, *bin;
	size_t i, olen, len;
	struct stat st;
	bool isconf;

	for (i = 0; i < sizeof(vendor_files) / sizeof(vendor_files[0]); i++) {
		const char *name = vendor_files[i];

		assert_int_equal(ut_store_rmtree(e->conf), 0);
		assert_int_equal(mkdir(e->conf, 0755), 0);
		put_fixture(e, name);
		/* A later file and a stray note are never touched. */
		spit(pathf(p, "%s/99-zz.conflist", e->conf), "{}", 2);
		spit(pathf(p, "%s/README", e->conf), "x", 1);
		list0 = listing(e->conf);
		isconf = strstr(name, ".conflist") == NULL;
		orig = ut_slurp(pathf(p, "%s/%s", e->conf, name), &olen);

		err[0] = '\0';
		if (cniinst_install(e->conf, e->bin, e->plugin, &o, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", name, err);
		pathf(bak, "%s/%s%s", e->conf, name, CNIINST_BAK_SUFFIX);
		if (isconf) {
			pathf(conv, "%s/%.*s.conflist", e->conf,
			    (int)(strlen(name) - 5), name);
			assert_int_equal(access(p, F_OK), -1);
			first = ut_slurp(conv, &len);
		} else {
			pathf(conv, "%s", p);
			first = ut_slurp(p, &len);
		}
		assert_non_null(first);
		assert_int_equal(cniinst_has_entry(first, len), 1);
		/* The backup holds the original bytes. */
		after = ut_slurp(bak, &len);
		assert_non_null(after);
		assert_int_equal(len, olen);
		assert_memory_equal(after, orig, olen);
		free(after);
		/* The plugin is in the bin dir, executable. */
		bin = ut_slurp(pathf(p, "%s/netpol-record-cni", e->bin), &len);
		assert_non_null(bin);
		assert_string_equal(bin, "\177ELF fake plugin\n");
		free(bin);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0755);
		after = ut_slurp(pathf(p, "%s/99-zz.conflist", e->conf), NULL);
		assert_string_equal(after, "{}");
		free(after);

		/* Twice: nothing changes, byte for byte. */
		list1 = listing(e->conf);
		assert_int_equal(cniinst_install(e->conf, e->bin, e->plugin,
		    &o, err, sizeof(err)), 0);
		second = ut_slurp(conv, NULL);
		assert_string_equal(first, second);
		after = listing(e->conf);
		assert_string_equal(after, list1);
		free(after);
		free(list1);
		check_no_temp_files(e->conf);
		check_no_temp_files(e->bin);

		/* Uninstall: the original bytes, under the original name,
		 * and nothing else left. */
		if (cniinst_uninstall(e->conf, e->bin, &o, err,
		    sizeof(err)) != 0)
			fail_msg("%s: uninstall: %s", name, err);
		after = ut_slurp(pathf(p, "%s/%s", e->conf, name), &len);
		assert_non_null(after);
		assert_int_equal(len, olen);
		assert_memory_equal(after, orig, olen);
		free(after);
		after = listing(e->conf);
		assert_string_equal(after, list0);
		free(after);
		/* The binary stays unless asked. */
		assert_int_equal(access(pathf(p, "%s/netpol-record-cni",
		    e->bin), X_OK), 0);

		free(first);
		free(second);
		free(orig);
		free(list0);
	}
}

static void
test_unparseable_primary_is_left_alone(void **state)
{
	struct env *e = *state;
	static const char broken[] = "{\n  \"cniVersion\": \"0.3.1\",\n"
	    "  \"plugins\": [\n    {\"type\": \"flannel\"},\n";
	char p[PATH_MAX], err[512], *after, *l0, *l1;

	spit(pathf(p, "%s/00-broken.conflist", e->conf), broken,
	    strlen(broken));
	put_fixture(e, "10-flannel.conflist");
	l0 = listing(e->conf);
	err[0] = '\0';
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "00-broken.conflist"));
	assert_non_null(strstr(err, "not valid JSON"));
	assert_non_null(strstr(err, "unchanged"));
	after = ut_slurp(p, NULL);
	assert_string_equal(after, broken);
	free(after);
	l1 = listing(e->conf);
	assert_string_equal(l0, l1);
	free(l0);
	free(l1);

	/* uninstall skips it and succeeds. */
	assert_int_equal(cniinst_uninstall(e->conf, NULL, NULL, err,
	    sizeof(err)), 0);
	after = ut_slurp(p, NULL);
	assert_string_equal(after, broken);
	free(after);
}

static void
test_primary_is_first_in_byte_order(void **state)
{
	struct env *e = *state;
	static const char a[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"a\","
	    "\"plugins\":[{\"type\":\"bridge\"}]}";
	static const char b[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"b\","
	    "\"plugins\":[{\"type\":\"ptp\"}]}";
	char p[PATH_MAX], err[512], *s;

	/* "10-A" < "10-a" in byte order; backups and other suffixes are not
	 * configurations; a directory named like one is skipped. */
	assert_int_equal(mkdir(pathf(p, "%s/00-dir.conflist", e->conf),
	    0755), 0);
	spit(pathf(p, "%s/00-x.conflist.netpol-record.bak", e->conf), "{", 1);
	spit(pathf(p, "%s/00-y.conflist.disabled", e->conf), "{", 1);
	spit(pathf(p, "%s/10-a.conflist", e->conf), b, strlen(b));
	spit(pathf(p, "%s/10-A.json", e->conf), a, strlen(a));
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), 0);
	s = ut_slurp(pathf(p, "%s/10-a.conflist", e->conf), NULL);
	assert_string_equal(s, b);
	free(s);
	/* 10-A.json held a list: edited in place, not renamed. */
	s = ut_slurp(pathf(p, "%s/10-A.json", e->conf), NULL);
	assert_int_equal(cniinst_has_entry(s, strlen(s)), 1);
	free(s);
}

static char preview_path[PATH_MAX];
static char *preview_text;

static void
keep_preview(void *arg, const char *path, const char *text)
{
	(void)arg;
	snprintf(preview_path, sizeof(preview_path), "%s", path);
	free(preview_text);
	preview_text = strdup(text);
}

/* --dry-run: nothing changes; the preview is what install then writes. */
static void
test_dry_run(void **state)
{
	struct env *e = *state;
	struct cniinst_opts o = { .dry_run = true, .preview = keep_preview,
	    .note = count_note, .db = "/x.db" };
	char p[PATH_MAX], err[512], *l0, *l1, *s;

	put_fixture(e, "10-containerd-net.conf");
	l0 = listing(e->conf);
	nnotes = 0;
	assert_int_equal(cniinst_install(e->conf, e->bin, e->plugin, &o, err,
	    sizeof(err)), 0);
	assert_true(nnotes >= 2);
	l1 = listing(e->conf);
	assert_string_equal(l0, l1);
	free(l1);
	l1 = listing(e->bin);
	assert_string_equal(l1, "");
	free(l1);
	assert_string_equal(preview_path, pathf(p,
	    "%s/10-containerd-net.conflist", e->conf));
	o.dry_run = false;
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o, err,
	    sizeof(err)), 0);
	s = ut_slurp(p, NULL);
	assert_non_null(s);
	assert_string_equal(s, preview_text);
	free(s);
	free(l0);
	free(preview_text);
	preview_text = NULL;
}

/* A run that died between mkstemp and rename left a temporary file:
 * the next run (holding the lock) removes it; nothing else is touched. */
static void
test_stale_temporary_file_removed(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX], q[PATH_MAX], err[512], *l;

	put_fixture(e, "10-flannel.conflist");
	spit(pathf(p, "%s/.10-flannel.conflist.netpol-record.tmp.Ab12Cd",
	    e->conf), "{", 1);
	spit(pathf(q, "%s/.hidden-note", e->conf), "x", 1);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(access(q, F_OK), 0);
	l = listing(e->conf);
	assert_string_equal(l, ".hidden-note 10-flannel.conflist "
	    "10-flannel.conflist.netpol-record.bak ");
	free(l);
}

static void
test_no_configuration(void **state)
{
	struct env *e = *state;
	char err[512], p[PATH_MAX];

	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no CNI network configuration"));
	assert_int_equal(cniinst_install(pathf(p, "%s/nope", e->root), NULL,
	    NULL, NULL, err, sizeof(err)), -ENOENT);
	/* uninstall of nothing is fine */
	assert_int_equal(cniinst_uninstall(e->conf, NULL, NULL, err,
	    sizeof(err)), 0);
}

static void
test_conf_and_conflist_both_present(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX], err[512], *s;
	size_t len;

	put_fixture(e, "10-containerd-net.conf");
	spit(pathf(p, "%s/10-containerd-net.conflist", e->conf), "{}", 2);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "both"));
	s = ut_slurp(pathf(p, "%s/10-containerd-net.conf", e->conf), &len);
	assert_int_equal(cniinst_has_entry(s, len), 0);
	free(s);
	assert_int_equal(access(pathf(p, "%s/10-containerd-net.conf%s",
	    e->conf, CNIINST_BAK_SUFFIX), F_OK), -1);
}

static void
test_conversion_must_stay_first(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX], err[512];

	/* "10-containerd-net.confa.conf" sorts between .conf and .conflist. */
	put_fixture(e, "10-containerd-net.conf");
	spit(pathf(p, "%s/10-containerd-net.confa.conf", e->conf), "{}", 2);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "would not be the first"));
	assert_int_equal(access(pathf(p, "%s/10-containerd-net.conf",
	    e->conf), F_OK), 0);
}

static void
test_symlink_primary_refused(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX], t[PATH_MAX], err[512];

	put_fixture(e, "10-flannel.conflist");
	assert_int_equal(symlink(pathf(t, "%s/10-flannel.conflist", e->conf),
	    pathf(p, "%s/01-link.conflist", e->conf)), 0);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
}

static void
test_reinstall_with_new_options_keeps_original_backup(void **state)
{
	struct env *e = *state;
	struct cniinst_opts o1 = { .db = "/one.db" }, o2 = { .db = "/two.db" };
	char p[PATH_MAX], err[512], *orig, *s;
	size_t olen, len;
	json_object *j, *pl;

	put_fixture(e, "10-calico.conflist");
	orig = ut_slurp(pathf(p, "%s/10-calico.conflist", e->conf), &olen);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o1, err,
	    sizeof(err)), 0);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o2, err,
	    sizeof(err)), 0);
	s = ut_slurp(p, &len);
	j = parse(s);
	pl = member(j, "plugins");
	assert_int_equal(json_object_array_length(pl), 4);
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(pl, 3), "db")), "/two.db");
	json_object_put(j);
	free(s);
	assert_int_equal(cniinst_uninstall(e->conf, NULL, NULL, err,
	    sizeof(err)), 0);
	s = ut_slurp(p, &len);
	assert_int_equal(len, olen);
	assert_memory_equal(s, orig, olen);
	free(s);
	free(orig);
}

static void
test_vendor_rewrite_then_reinstall(void **state)
{
	struct env *e = *state;
	static const char rewritten[] = "{\"name\":\"cbr0\",\"cniVersion\":"
	    "\"0.3.1\",\"plugins\":[{\"type\":\"flannel\",\"delegate\":"
	    "{\"hairpinMode\":false}}]}\n";
	char p[PATH_MAX], err[512], *s;
	size_t len;

	put_fixture(e, "10-flannel.conflist");
	pathf(p, "%s/10-flannel.conflist", e->conf);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), 0);
	/* The network agent restarts and writes its file anew: our entry
	 * is gone; the next install adds it and backs up the new bytes. */
	spit(p, rewritten, strlen(rewritten));
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), 0);
	s = ut_slurp(p, &len);
	assert_int_equal(cniinst_has_entry(s, len), 1);
	free(s);
	assert_int_equal(cniinst_uninstall(e->conf, NULL, NULL, err,
	    sizeof(err)), 0);
	s = ut_slurp(p, NULL);
	assert_string_equal(s, rewritten);
	free(s);
}

static void
test_uninstall_after_edit_keeps_backup(void **state)
{
	struct env *e = *state;
	struct cniinst_opts o = { .note = count_note };
	char p[PATH_MAX], bak[PATH_MAX], err[512], *s;
	json_object *j, *pl;
	size_t len;

	put_fixture(e, "10-bridge.conflist");
	pathf(p, "%s/10-bridge.conflist", e->conf);
	pathf(bak, "%s%s", p, CNIINST_BAK_SUFFIX);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, NULL, err,
	    sizeof(err)), 0);
	/* Someone adds a plugin by hand after us. */
	s = ut_slurp(p, &len);
	j = parse(s);
	free(s);
	json_object_array_add(member(j, "plugins"),
	    parse("{\"type\":\"bandwidth\"}"));
	s = strdup(json_object_to_json_string(j));
	json_object_put(j);
	spit(p, s, strlen(s));
	free(s);

	nnotes = 0;
	assert_int_equal(cniinst_uninstall(e->conf, NULL, &o, err,
	    sizeof(err)), 0);
	assert_true(nnotes >= 2);
	s = ut_slurp(p, &len);
	assert_int_equal(cniinst_has_entry(s, len), 0);
	j = parse(s);
	pl = member(j, "plugins");
	assert_int_equal(json_object_array_length(pl), 5);
	assert_string_equal(json_object_get_string(member(
	    json_object_array_get_idx(pl, 4), "type")), "bandwidth");
	json_object_put(j);
	free(s);
	assert_int_equal(access(bak, F_OK), 0);
}

static void
test_file_mode_kept_and_remove_bin(void **state)
{
	struct env *e = *state;
	struct cniinst_opts o = { .remove_bin = true };
	char p[PATH_MAX], err[512];
	struct stat st;

	put_fixture(e, "10-kindnet.conflist");
	pathf(p, "%s/10-kindnet.conflist", e->conf);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(cniinst_install(e->conf, e->bin, e->plugin, NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(cniinst_uninstall(e->conf, e->bin, &o, err,
	    sizeof(err)), 0);
	assert_int_equal(access(pathf(p, "%s/netpol-record-cni", e->bin),
	    F_OK), -1);
}

static void
test_bin_copy_replaces_old_binary(void **state)
{
	struct env *e = *state;
	char p[PATH_MAX], err[512], *s;

	put_fixture(e, "10-flannel.conflist");
	spit(pathf(p, "%s/netpol-record-cni", e->bin), "old", 3);
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(cniinst_install(e->conf, e->bin, e->plugin, NULL,
	    err, sizeof(err)), 0);
	s = ut_slurp(p, NULL);
	assert_string_equal(s, "\177ELF fake plugin\n");
	free(s);
	/* A missing source is an error before any configuration changes. */
	assert_int_equal(cniinst_install(e->conf, e->bin, "/nonexistent/x",
	    NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x"));
}

/* What the plugin makes of an example's entry (defaults included) must
 * be what conf/recorderd.yaml listens for and writes to. */
static void
check_matches_recorderd(const char *top, json_object *ours, const char *name)
{
	struct cni_conf cc;
	struct cni_err cerr;
	struct rconf rc;
	json_object *probe;
	char p[PATH_MAX], err[256];
	const char *text;

	rconf_defaults(&rc);
	if (rconf_load_file(pathf(p, "%s/recorderd.yaml", top), &rc, err,
	    sizeof(err)) != 0)
		fail_msg("conf/recorderd.yaml: %s", err);
	probe = json_object_new_object();
	json_object_object_foreach(ours, k, v)
		json_object_object_add(probe, k, json_object_get(v));
	json_object_object_add(probe, "cniVersion",
	    json_object_new_string("1.0.0"));
	json_object_object_add(probe, "name", json_object_new_string("x"));
	text = json_object_to_json_string(probe);
	memset(&cc, 0, sizeof(cc));
	if (cni_conf_parse(text, strlen(text), &cc, &cerr) != 0)
		fail_msg("conf/%s: the plugin refuses its entry: %s", name,
		    cerr.msg);
	if (strcmp(cc.release_socket, rc.release_socket) != 0)
		fail_msg("conf/%s and conf/recorderd.yaml disagree: "
		    "releaseSocket %s, release_socket %s", name,
		    cc.release_socket, rc.release_socket);
	if (strcmp(cc.db, rc.store) != 0 || cc.nft.mark_bit != rc.mark_bit ||
	    cc.nft.nflog_group != rc.nflog_group ||
	    cc.nft.snaplen != rc.nflog_snaplen)
		fail_msg("conf/%s and conf/recorderd.yaml disagree: db %s/%s, "
		    "mark 0x%x/0x%x, group %u/%u, snaplen %u/%u", name, cc.db,
		    rc.store, cc.nft.mark_bit, rc.mark_bit, cc.nft.nflog_group,
		    rc.nflog_group, cc.nft.snaplen, rc.nflog_snaplen);
	cni_conf_free(&cc);
	json_object_put(probe);
}

/* The example conflists in conf/: each chains our plugin last, with options the plugin
 * accepts, exactly as `install` with the same options would write it. */
static void
test_conf_examples(void **state)
{
	char top[PATH_MAX], p[PATH_MAX], err[256], *s, *out;
	struct dirent **ents;
	json_object *j, *pl, *ours, *v;
	struct cniinst_opts o;
	int n, i, seen = 0;
	size_t len;

	(void)state;
	pathf(top, "%s/../../../conf", fixture_dir());
	n = scandir(top, &ents, NULL, alphasort);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (strlen(name) > 9 && strcmp(name + strlen(name) - 9,
		    ".conflist") == 0) {
			s = ut_slurp(pathf(p, "%s/%s", top, name), &len);
			assert_non_null(s);
			assert_int_equal(cniinst_has_entry(s, len), 1);
			j = parse(s);
			pl = member(j, "plugins");
			ours = json_object_array_get_idx(pl,
			    json_object_array_length(pl) - 1);
			assert_string_equal(json_object_get_string(member(ours,
			    "type")), "netpol-record-cni");
			memset(&o, 0, sizeof(o));
#define OPT(field, key) \
	if (json_object_object_get_ex(ours, key, &v)) \
		o.field = json_object_get_string(v)
			OPT(db, "db");
			OPT(log_file, "logFile");
			OPT(log_level, "logLevel");
			OPT(failure_policy, "failurePolicy");
			OPT(mark_bit, "markBit");
			OPT(nflog_group, "nflogGroup");
			OPT(nflog_snaplen, "nflogSnaplen");
			OPT(release_socket, "releaseSocket");
#undef OPT
			check_matches_recorderd(top, ours, name);
			err[0] = '\0';
			if (cniinst_add_entry(s, len, &o, &out, NULL, err,
			    sizeof(err)) != CNIINST_UNCHANGED)
				fail_msg("conf/%s: %s", name, err[0] ? err :
				    "install would change it");
			json_object_put(j);
			free(s);
			seen++;
		}
		free(ents[i]);
	}
	free(ents);
	assert_true(seen >= 2);
}

/* Multus is the primary file; the operator names the cluster network's
 * file instead. */
static void
test_conf_file_option(void **state)
{
	struct env *e = *state;
	static const char multus[] = "{\"cniVersion\":\"0.3.1\",\"name\":"
	    "\"multus-cni-network\",\"type\":\"multus\",\"kubeconfig\":"
	    "\"/etc/cni/net.d/multus.d/multus.kubeconfig\",\"delegates\":"
	    "[{\"cniVersion\":\"0.3.1\",\"name\":\"k8s-pod-network\","
	    "\"plugins\":[{\"type\":\"calico\"}]}]}\n";
	struct cniinst_opts o = { .conf_file = "10-calico.conflist" };
	char p[PATH_MAX], err[512], *s;
	size_t len;

	spit(pathf(p, "%s/00-multus.conf", e->conf), multus, strlen(multus));
	put_fixture(e, "10-calico.conflist");
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o, err,
	    sizeof(err)), 0);
	s = ut_slurp(p, NULL);
	assert_string_equal(s, multus);
	free(s);
	s = ut_slurp(pathf(p, "%s/10-calico.conflist", e->conf), &len);
	assert_int_equal(cniinst_has_entry(s, len), 1);
	free(s);
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o, err,
	    sizeof(err)), 0);

	o.conf_file = "../10-calico.conflist";
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o, err,
	    sizeof(err)), -EINVAL);
	o.conf_file = "10-calico.conflist.netpol-record.bak";
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o, err,
	    sizeof(err)), -EINVAL);
	o.conf_file = "20-none.conflist";
	assert_int_equal(cniinst_install(e->conf, NULL, NULL, &o, err,
	    sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "20-none.conflist"));

	/* uninstall finds it without being told. */
	assert_int_equal(cniinst_uninstall(e->conf, NULL, NULL, err,
	    sizeof(err)), 0);
	s = ut_slurp(pathf(p, "%s/10-calico.conflist", e->conf), &len);
	assert_int_equal(cniinst_has_entry(s, len), 0);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_is_stable),
		cmocka_unit_test(test_entry_options),
		cmocka_unit_test(test_entry_options_the_plugin_refuses),
		cmocka_unit_test(test_add_to_each_vendor_list),
		cmocka_unit_test(test_add_updates_in_place_and_dedups),
		cmocka_unit_test(test_add_refuses_what_it_cannot_chain),
		cmocka_unit_test(test_remove_entry),
		cmocka_unit_test(test_conf_examples),
		cmocka_unit_test_setup_teardown(
		    test_vendor_install_twice_then_uninstall, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unparseable_primary_is_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_primary_is_first_in_byte_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_configuration, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_stale_temporary_file_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_conf_and_conflist_both_present, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_conversion_must_stay_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_primary_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reinstall_with_new_options_keeps_original_backup,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_vendor_rewrite_then_reinstall, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_uninstall_after_edit_keeps_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_mode_kept_and_remove_bin, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bin_copy_replaces_old_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_file_option, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
