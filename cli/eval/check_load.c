/*
 * check_load: policies and namespace labels from files (see check_load.h).
 */
#include "cli/eval/check_load.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/base/docs.h"

/* ---- loading policies -------------------------------------------------- */

int
check_load_policies_buf(struct npeval_set *set, const char *buf, size_t len,
    const char *name, const char *default_ns, size_t *nskipped, char *err,
    size_t errlen)
{
	json_object *docs = NULL;
	int rc;

	if ((rc = docs_parse(buf, len, name, &docs, err, errlen)) != 0)
		return rc;
	rc = npeval_set_add(set, docs, default_ns, name, nskipped, err,
	    errlen);
	json_object_put(docs);
	return rc;
}

static int
load_file(struct npeval_set *set, const char *path, const char *default_ns,
    size_t *nskipped, char *err, size_t errlen)
{
	json_object *docs = NULL;
	int rc;

	if ((rc = docs_read(path, &docs, err, errlen)) != 0)
		return rc;
	rc = npeval_set_add(set, docs, default_ns, docs_name(path), nskipped,
	    err, errlen);
	json_object_put(docs);
	return rc;
}

/* Namespace objects of o (a Namespace, a List, an array) into map. */
static int
add_namespaces(json_object *o, json_object *map, const char *name, char *err,
    size_t errlen)
{
	json_object *v, *md, *n, *labels;
	const char *kind;
	size_t i;
	int rc;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			if ((rc = add_namespaces(json_object_array_get_idx(o,
			    i), map, name, err, errlen)) != 0)
				return rc;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "kind", &v))
		return 0;
	kind = json_object_get_string(v);
	if (strcmp(kind, "List") == 0 || strcmp(kind, "NamespaceList") == 0)
		return json_object_object_get_ex(o, "items", &v) ?
		    add_namespaces(v, map, name, err, errlen) : 0;
	if (strcmp(kind, "Namespace") != 0)
		return 0;
	if (!json_object_object_get_ex(o, "metadata", &md) ||
	    !json_object_object_get_ex(md, "name", &n) ||
	    !json_object_is_type(n, json_type_string)) {
		snprintf(err, errlen, "%s: a Namespace without metadata.name",
		    name);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(md, "labels", &labels) ||
	    !json_object_is_type(labels, json_type_object))
		labels = NULL;
	json_object_object_add(map, json_object_get_string(n), labels ?
	    json_object_get(labels) : json_object_new_object());
	return 0;
}

int
check_load_namespaces(const char *path, json_object **map, char *err,
    size_t errlen)
{
	json_object *docs = NULL;
	int rc;

	if ((rc = docs_read(path, &docs, err, errlen)) != 0)
		return rc;
	if (*map == NULL && (*map = json_object_new_object()) == NULL) {
		json_object_put(docs);
		return -ENOMEM;
	}
	rc = add_namespaces(docs, *map, docs_name(path), err, errlen);
	json_object_put(docs);
	return rc;
}

static int
policy_file(const struct dirent *de)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	size_t i, n = strlen(de->d_name), e;

	if (de->d_name[0] == '.')
		return 0;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = strlen(exts[i]);
		if (n > e && strcasecmp(de->d_name + n - e, exts[i]) == 0)
			return 1;
	}
	return 0;
}

int
check_load_policies(struct npeval_set *set, const char *path,
    const char *default_ns, size_t *nskipped, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	struct stat sb;
	char *sub;
	int i, n, rc = 0;

	if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 ||
	    !S_ISDIR(sb.st_mode))
		return load_file(set, path, default_ns, nskipped, err, errlen);
	if ((n = scandir(path, &names, policy_file, alphasort)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			if (asprintf(&sub, "%s/%s", path, names[i]->d_name) < 0)
				rc = -ENOMEM;
			else {
				rc = load_file(set, sub, default_ns, nskipped,
				    err, errlen);
				free(sub);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
check_load_set(const char *const *paths, size_t npaths,
    const char *const *nsfiles, size_t nnsfiles, const char *default_ns,
    struct npeval_set **out, size_t *nskipped, char *err, size_t errlen)
{
	struct npeval_set *set = NULL;
	json_object *nsmap = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = npeval_set_new(&set)) != 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	for (i = 0; i < npaths && rc == 0; i++)
		rc = check_load_policies(set, paths[i], default_ns, nskipped,
		    err, errlen);
	for (i = 0; i < nnsfiles && rc == 0; i++)
		rc = check_load_namespaces(nsfiles[i], &nsmap, err, errlen);
	if (rc == 0)
		npeval_set_namespaces(set, nsmap);
	json_object_put(nsmap);
	if (rc != 0) {
		npeval_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}
