/*
 * The YAML files in install/kubernetes: every document parses and is a well-formed
 * object; the ClusterRole grants exactly the resources and verbs of the
 * metadata client's table (metasrc_resources[], recorderd/metasrc.c) and
 * the publisher's (publish_resources[], recorderd/publish.c), nothing
 * more and nothing less; the binding, service account, DaemonSet and
 * ConfigMap refer to each other correctly; the recorder's configuration
 * in the ConfigMap passes the daemon's own parser and agrees with the
 * installer's plugin options (store path, mark bit, NFLOG group).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/ut_run.h"

#include <json-c/json.h>

#include "lib/fdpass.h"
#include "recorderd/meta/kmeta.h"
#include "lib/yamljson.h"
#include "nft/nftrules.h"
#include "recorderd/kapi.h"
#include "recorderd/metasrc.h"
#include "recorderd/publish.h"
#include "recorderd/rconf.h"

/* Every document of every file, in one array (owned). */
static json_object *docs;

static const char *
manifest_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int i;

	if (access("install/kubernetes", R_OK) == 0)
		return "install/kubernetes";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	for (i = 0; i < 3 && (slash = strrchr(exe, '/')) != NULL; i++)
		*slash = '\0';
	if ((size_t)snprintf(dir, sizeof(dir), "%s/install/kubernetes", exe) >=
	    sizeof(dir))
		return NULL;
	return dir;
}

static int
load_all(void **state)
{
	const char *dir = manifest_dir();
	struct dirent **ents;
	char path[PATH_MAX], err[256], *buf;
	json_object *arr;
	size_t len, j;
	int n, i, nfiles = 0;

	(void)state;
	docs = json_object_new_array();
	if (dir == NULL || (n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t l = strlen(name);

		if (l > 5 && strcmp(name + l - 5, ".yaml") == 0) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    name) >= sizeof(path))
				return -1;
			buf = ut_slurp(path, &len);
			assert_non_null(buf);
			if (yamljson_parse(buf, len, &arr, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "%s: %s\n", path, err);
				free(buf);
				return -1;
			}
			for (j = 0; j < json_object_array_length(arr); j++)
				json_object_array_add(docs, json_object_get(
				    json_object_array_get_idx(arr, j)));
			json_object_put(arr);
			free(buf);
			nfiles++;
		}
		free(ents[i]);
	}
	free(ents);
	return nfiles > 0 ? 0 : -1;
}

static int
free_all(void **state)
{
	(void)state;
	json_object_put(docs);
	return 0;
}

/* o at a dotted path ("spec.template.spec"), or NULL. */
static json_object *
at(json_object *o, const char *path)
{
	char key[128];
	const char *dot;
	size_t n;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (dot ? 1 : 0);
	}
	return o;
}

static const char *
str_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	return v && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* The one document of kind; fails when there is not exactly one. */
static json_object *
doc_of_kind(const char *kind)
{
	json_object *found = NULL, *d;
	size_t i;

	for (i = 0; i < json_object_array_length(docs); i++) {
		d = json_object_array_get_idx(docs, i);
		if (str_at(d, "kind") && strcmp(str_at(d, "kind"), kind) == 0) {
			if (found != NULL)
				fail_msg("more than one %s", kind);
			found = d;
		}
	}
	if (found == NULL)
		fail_msg("no %s in install/kubernetes", kind);
	return found;
}

/* A member whose name may contain dots (labels, ConfigMap keys). */
static const char *
str_key(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
array_has(json_object *arr, const char *s)
{
	size_t i;

	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr,
		    i)), s) == 0)
			return true;
	return false;
}

/* Label values are strings (yes, on, 1 unquoted would not be). */
static void
check_labels(json_object *labels)
{
	if (labels == NULL)
		return;
	json_object_object_foreach(labels, k, v)
		if (!json_object_is_type(v, json_type_string))
			fail_msg("label %s is not a string", k);
}

static void
test_every_document_is_an_object(void **state)
{
	static const char *const namespaced[] = {
		"ServiceAccount", "ConfigMap", "DaemonSet",
	};
	const char *ns, *kind;
	json_object *d;
	size_t i, k;

	(void)state;
	assert_true(json_object_array_length(docs) >= 6);
	ns = str_at(doc_of_kind("Namespace"), "metadata.name");
	assert_non_null(ns);
	for (i = 0; i < json_object_array_length(docs); i++) {
		d = json_object_array_get_idx(docs, i);
		if (!json_object_is_type(d, json_type_object))
			fail_msg("document %zu is not a mapping", i);
		kind = str_at(d, "kind");
		check_labels(at(d, "metadata.labels"));
		check_labels(at(d, "spec.template.metadata.labels"));
		if (str_at(d, "apiVersion") == NULL || kind == NULL ||
		    str_at(d, "metadata.name") == NULL)
			fail_msg("document %zu lacks apiVersion, kind or "
			    "metadata.name", i);
		for (k = 0; k < sizeof(namespaced) / sizeof(*namespaced); k++)
			if (strcmp(kind, namespaced[k]) == 0 &&
			    (str_at(d, "metadata.namespace") == NULL ||
			    strcmp(str_at(d, "metadata.namespace"), ns) != 0))
				fail_msg("%s %s is not in namespace %s", kind,
				    str_at(d, "metadata.name"), ns);
	}
}

/* "group/resource/verb" triples, sorted, one per line. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_clusterrole_matches_the_clients_table(void **state)
{
	json_object *rules, *r, *groups, *res, *verbs;
	char *granted[256], *needed[256], buf[256];
	size_t ng = 0, nn = 0, i, a, b, c;
	size_t gi = 0, ni = 0;
	bool ok = true;

	(void)state;
	/* What the code reads (the metadata client) and writes (the
	 * publisher). */
	for (i = 0; i < metasrc_nresources; i++)
		for (a = 0; metasrc_resources[i].verbs[a] != NULL; a++) {
			snprintf(buf, sizeof(buf), "%s/%s/%s",
			    metasrc_resources[i].group,
			    metasrc_resources[i].resource,
			    metasrc_resources[i].verbs[a]);
			assert_true(nn < 256);
			needed[nn++] = strdup(buf);
		}
	for (i = 0; i < publish_nresources; i++)
		for (a = 0; publish_resources[i].verbs[a] != NULL; a++) {
			snprintf(buf, sizeof(buf), "%s/%s/%s",
			    publish_resources[i].group,
			    publish_resources[i].resource,
			    publish_resources[i].verbs[a]);
			assert_true(nn < 256);
			needed[nn++] = strdup(buf);
		}
	assert_true(nn > 0);

	/* What the ClusterRole grants. */
	rules = at(doc_of_kind("ClusterRole"), "rules");
	assert_non_null(rules);
	for (i = 0; i < json_object_array_length(rules); i++) {
		r = json_object_array_get_idx(rules, i);
		if (at(r, "resourceNames") || at(r, "nonResourceURLs"))
			fail_msg("rule %zu: resourceNames / nonResourceURLs "
			    "are not expected", i);
		groups = at(r, "apiGroups");
		res = at(r, "resources");
		verbs = at(r, "verbs");
		assert_non_null(groups);
		assert_non_null(res);
		assert_non_null(verbs);
		for (a = 0; a < json_object_array_length(groups); a++)
			for (b = 0; b < json_object_array_length(res); b++)
				for (c = 0; c < json_object_array_length(verbs);
				    c++) {
					snprintf(buf, sizeof(buf), "%s/%s/%s",
					    json_object_get_string(
					    json_object_array_get_idx(groups,
					    a)),
					    json_object_get_string(
					    json_object_array_get_idx(res, b)),
					    json_object_get_string(
					    json_object_array_get_idx(verbs,
					    c)));
					if (strchr(buf, '*') != NULL)
						fail_msg("wildcard grant %s",
						    buf);
					assert_true(ng < 256);
					granted[ng++] = strdup(buf);
				}
	}
	qsort(granted, ng, sizeof(*granted), cmp_str);
	qsort(needed, nn, sizeof(*needed), cmp_str);
	/* Merge: report both directions before failing. */
	while (gi < ng || ni < nn) {
		int d = gi == ng ? 1 : ni == nn ? -1 :
		    strcmp(granted[gi], needed[ni]);

		if (d < 0) {
			fprintf(stderr, "ClusterRole grants %s, which neither "
			    "metasrc_resources[] nor publish_resources[] "
			    "uses\n", granted[gi++]);
			ok = false;
		} else if (d > 0) {
			fprintf(stderr, "the code (metasrc_resources[], "
			    "publish_resources[]) uses %s, which the "
			    "ClusterRole does not grant\n", needed[ni++]);
			ok = false;
		} else {
			gi++;
			ni++;
		}
	}
	for (i = 0; i < ng; i++)
		free(granted[i]);
	for (i = 0; i < nn; i++)
		free(needed[i]);
	assert_true(ok);
}

static void
test_binding_and_service_account(void **state)
{
	json_object *crb = doc_of_kind("ClusterRoleBinding"), *subs, *s;
	const char *role = str_at(doc_of_kind("ClusterRole"), "metadata.name");
	json_object *sa = doc_of_kind("ServiceAccount");
	json_object *ds = doc_of_kind("DaemonSet");
	bool found = false;
	size_t i;

	(void)state;
	assert_string_equal(str_at(crb, "roleRef.kind"), "ClusterRole");
	assert_string_equal(str_at(crb, "roleRef.apiGroup"),
	    "rbac.authorization.k8s.io");
	assert_string_equal(str_at(crb, "roleRef.name"), role);
	subs = at(crb, "subjects");
	assert_non_null(subs);
	for (i = 0; i < json_object_array_length(subs); i++) {
		s = json_object_array_get_idx(subs, i);
		if (strcmp(str_at(s, "kind"), "ServiceAccount") == 0 &&
		    strcmp(str_at(s, "name"), str_at(sa, "metadata.name")) ==
		    0 && strcmp(str_at(s, "namespace"), str_at(sa,
		    "metadata.namespace")) == 0)
			found = true;
	}
	assert_true(found);
	assert_string_equal(str_at(ds, "spec.template.spec.serviceAccountName"),
	    str_at(sa, "metadata.name"));
}

/* The container named name in list (containers or initContainers). */
static json_object *
container(json_object *pod, const char *list, const char *name)
{
	json_object *arr = at(pod, list), *c;
	size_t i;

	assert_non_null(arr);
	for (i = 0; i < json_object_array_length(arr); i++) {
		c = json_object_array_get_idx(arr, i);
		if (strcmp(str_at(c, "name"), name) == 0)
			return c;
	}
	fail_msg("no %s container %s", list, name);
	return NULL;
}

/* The value following flag in c's command, or NULL. */
static const char *
arg_of(json_object *c, const char *flag)
{
	json_object *cmd = at(c, "command");
	size_t i, n = json_object_array_length(cmd);

	for (i = 0; i + 1 < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(cmd,
		    i)), flag) == 0)
			return json_object_get_string(
			    json_object_array_get_idx(cmd, i + 1));
	return NULL;
}

/* The hostPath of the volume mounted at mountPath in c, or NULL. */
static const char *
host_path_at(json_object *pod, json_object *c, const char *mount_path,
    const char **volname)
{
	json_object *mounts = at(c, "volumeMounts"), *vols = at(pod,
	    "volumes"), *m, *v;
	size_t i, j;

	for (i = 0; mounts && i < json_object_array_length(mounts); i++) {
		m = json_object_array_get_idx(mounts, i);
		if (strcmp(str_at(m, "mountPath"), mount_path) != 0)
			continue;
		for (j = 0; j < json_object_array_length(vols); j++) {
			v = json_object_array_get_idx(vols, j);
			if (strcmp(str_at(v, "name"), str_at(m, "name")) == 0) {
				if (volname)
					*volname = str_at(v, "name");
				return str_at(v, "hostPath.path");
			}
		}
		fail_msg("mount %s names no volume", mount_path);
	}
	return NULL;
}

static void
check_caps(json_object *c, const char *const *allowed)
{
	json_object *add = at(c, "securityContext.capabilities.add");
	json_object *priv = at(c, "securityContext.privileged");
	size_t i, k;
	bool ok;

	if (priv && json_object_get_boolean(priv))
		fail_msg("container %s is privileged", str_at(c, "name"));
	assert_true(array_has(at(c, "securityContext.capabilities.drop"),
	    "ALL"));
	for (i = 0; add && i < json_object_array_length(add); i++) {
		const char *cap = json_object_get_string(
		    json_object_array_get_idx(add, i));

		ok = false;
		for (k = 0; allowed[k] != NULL; k++)
			ok = ok || strcmp(cap, allowed[k]) == 0;
		if (!ok)
			fail_msg("container %s adds capability %s",
			    str_at(c, "name"), cap);
	}
}

/* The API wants strings in command: an unquoted 30 in YAML is a number
 * and the DaemonSet would be refused. */
static void
check_command_strings(json_object *c)
{
	json_object *cmd = at(c, "command");
	size_t i;

	assert_non_null(cmd);
	for (i = 0; i < json_object_array_length(cmd); i++)
		if (!json_object_is_type(json_object_array_get_idx(cmd, i),
		    json_type_string))
			fail_msg("container %s: command[%zu] is not a string",
			    str_at(c, "name"), i);
}

static void
test_daemonset(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const netadmin[] = { "NET_ADMIN", NULL };
	json_object *ds = doc_of_kind("DaemonSet"), *pod, *init, *rd, *keep;
	json_object *sel, *labels, *v;
	const char *image;

	(void)state;
	pod = at(ds, "spec.template.spec");
	assert_non_null(pod);
	v = at(pod, "hostNetwork");
	assert_true(v && json_object_get_boolean(v));
	assert_null(at(pod, "hostPID"));

	/* The selector selects the template. */
	sel = at(ds, "spec.selector.matchLabels");
	labels = at(ds, "spec.template.metadata.labels");
	assert_non_null(sel);
	json_object_object_foreach(sel, k, val) {
		assert_non_null(str_key(labels, k));
		assert_string_equal(str_key(labels, k),
		    json_object_get_string(val));
	}

	init = container(pod, "initContainers", "install-cni");
	rd = container(pod, "containers", "recorderd");
	keep = container(pod, "containers", "cni-keeper");
	check_command_strings(init);
	check_command_strings(rd);
	check_command_strings(keep);
	image = str_at(rd, "image");
	assert_string_equal(str_at(init, "image"), image);
	assert_string_equal(str_at(keep, "image"), image);

	/* The installer: host CNI paths mounted where its flags say. */
	assert_true(array_has(at(init, "command"), "install"));
	assert_string_equal(host_path_at(pod, init, arg_of(init, "--conf-dir"),
	    NULL), "/etc/cni/net.d");
	assert_string_equal(host_path_at(pod, init, arg_of(init, "--bin-dir"),
	    NULL), "/opt/cni/bin");
	assert_string_equal(host_path_at(pod, keep, arg_of(keep, "--conf-dir"),
	    NULL), "/etc/cni/net.d");
	assert_true(array_has(at(keep, "command"), "--watch"));
	check_caps(init, none);
	check_caps(keep, none);
	check_caps(rd, netadmin);
	assert_true(array_has(at(rd, "securityContext.capabilities.add"),
	    "NET_ADMIN"));

	/* Both installers write the same entry, or they would fight. */
	{
		static const char *const flags[] = { "--db", "--log-file",
		    "--log-level", "--failure-policy", "--mark-bit",
		    "--nflog-group", "--nflog-snaplen" };
		size_t i;

		for (i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
			const char *a = arg_of(init, flags[i]);
			const char *b = arg_of(keep, flags[i]);

			if ((a == NULL) != (b == NULL) ||
			    (a && strcmp(a, b) != 0))
				fail_msg("install-cni and cni-keeper differ in "
				    "%s", flags[i]);
		}
	}
}

static void
test_configmap_is_a_valid_recorder_config(void **state)
{
	json_object *cm = doc_of_kind("ConfigMap"), *ds = doc_of_kind(
	    "DaemonSet"), *pod, *rd, *init, *vols, *v;
	const char *conf_path, *text, *file, *db, *mark, *group, *snap, *rel;
	const char *vol = NULL;
	char dir[PATH_MAX], err[256];
	struct rconf c;
	uint32_t want_mark;
	size_t i;
	bool mounted = false;

	(void)state;
	pod = at(ds, "spec.template.spec");
	rd = container(pod, "containers", "recorderd");
	init = container(pod, "initContainers", "install-cni");

	/* recorderd -c DIR/FILE: DIR is the ConfigMap's mount, FILE a key. */
	conf_path = arg_of(rd, "-c");
	assert_non_null(conf_path);
	file = strrchr(conf_path, '/');
	assert_non_null(file);
	snprintf(dir, sizeof(dir), "%.*s", (int)(file - conf_path), conf_path);
	file++;
	text = str_key(at(cm, "data"), file);
	if (text == NULL)
		fail_msg("ConfigMap has no key %s", file);
	host_path_at(pod, rd, dir, &vol);
	assert_non_null(vol);
	vols = at(pod, "volumes");
	for (i = 0; i < json_object_array_length(vols); i++) {
		v = json_object_array_get_idx(vols, i);
		if (strcmp(str_at(v, "name"), vol) == 0 &&
		    str_at(v, "configMap.name") != NULL &&
		    strcmp(str_at(v, "configMap.name"), str_at(cm,
		    "metadata.name")) == 0)
			mounted = true;
	}
	assert_true(mounted);

	/* The daemon's own parser and checks accept it. */
	rconf_defaults(&c);
	if (rconf_parse_buf(text, strlen(text), &c, err, sizeof(err)) != 0 ||
	    rconf_validate(&c, err, sizeof(err)) != 0)
		fail_msg("ConfigMap %s: %s", file, err);
	assert_int_equal(c.meta_source, RCONF_META_IN_CLUSTER);

	/* The store is on the host, where the plugin writes it too. */
	db = arg_of(init, "--db");
	assert_non_null(db);
	assert_string_equal(c.store, db);
	snprintf(dir, sizeof(dir), "%s", c.store);
	*strrchr(dir, '/') = '\0';
	assert_string_equal(host_path_at(pod, rd, dir, NULL), dir);

	/* The plugin, on the host, reaches the daemon's release socket. */
	rel = arg_of(init, "--release-socket");
	assert_string_equal(c.release_socket, rel ? rel : FDPASS_RELEASE_PATH);
	snprintf(dir, sizeof(dir), "%s", c.release_socket);
	*strrchr(dir, '/') = '\0';
	assert_string_equal(host_path_at(pod, rd, dir, NULL), dir);

	/* The plugin marks and logs what the daemon listens for. */
	mark = arg_of(init, "--mark-bit");
	want_mark = mark ? (uint32_t)strtoul(mark, NULL, 0) :
	    NFTRULES_DEFAULT_MARK_BIT;
	assert_int_equal(c.mark_bit, want_mark);
	group = arg_of(init, "--nflog-group");
	assert_int_equal(c.nflog_group, group ? atoi(group) :
	    NFTRULES_DEFAULT_NFLOG_GROUP);
	/* Whichever creates the node's table first sets the snaplen. */
	snap = arg_of(init, "--nflog-snaplen");
	assert_int_equal(c.nflog_snaplen, snap ? atoi(snap) :
	    NFTRULES_DEFAULT_SNAPLEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_document_is_an_object),
		cmocka_unit_test(test_clusterrole_matches_the_clients_table),
		cmocka_unit_test(test_binding_and_service_account),
		cmocka_unit_test(test_daemonset),
		cmocka_unit_test(test_configmap_is_a_valid_recorder_config),
	};

	return cmocka_run_group_tests(tests, load_all, free_all);
}
