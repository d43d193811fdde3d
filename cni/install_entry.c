/*
 * install_entry.c: our plugin entry, and putting it into (and taking it
 * out of) a network configuration held in a buffer. See install.h for
 * the contract.
 */
#include "cni/install_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cniconf.h"

/* The keys of our entry, in the order they are written. */
static const struct entry_key {
	const char *key;
	size_t off;		/* of the value in struct cniinst_opts */
	bool number;
	const char *option;	/* for error messages */
} entry_keys[] = {
	{ "db", offsetof(struct cniinst_opts, db), false, "--db" },
	{ "logFile", offsetof(struct cniinst_opts, log_file), false,
	    "--log-file" },
	{ "logLevel", offsetof(struct cniinst_opts, log_level), false,
	    "--log-level" },
	{ "failurePolicy", offsetof(struct cniinst_opts, failure_policy),
	    false, "--failure-policy" },
	{ "markBit", offsetof(struct cniinst_opts, mark_bit), false,
	    "--mark-bit" },
	{ "nflogGroup", offsetof(struct cniinst_opts, nflog_group), true,
	    "--nflog-group" },
	{ "nflogSnaplen", offsetof(struct cniinst_opts, nflog_snaplen), true,
	    "--nflog-snaplen" },
	{ "releaseSocket", offsetof(struct cniinst_opts, release_socket),
	    false, "--release-socket" },
};

static bool
number_ok(const char *s)
{
	char *end;

	errno = 0;
	(void)strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0;
}

/* Our entry as an object, checked by the plugin's own config parser. */
static int
entry_object(const struct cniinst_opts *o, json_object **out, char *err,
    size_t errlen)
{
	static const struct cniinst_opts none;
	struct cni_conf conf;
	struct cni_err cerr;
	json_object *e = NULL, *probe = NULL;
	const char *text;
	size_t i;
	int ret = -ENOMEM;

	*out = NULL;
	if (o == NULL)
		o = &none;
	memset(&cerr, 0, sizeof(cerr));
	if ((e = json_object_new_object()) == NULL ||
	    json_object_object_add(e, "type",
	    json_object_new_string(CNIINST_TYPE)) != 0)
		goto out;
	for (i = 0; i < sizeof(entry_keys) / sizeof(entry_keys[0]); i++) {
		const char *val = *(const char *const *)(const void *)
		    ((const char *)o + entry_keys[i].off);
		json_object *v;

		if (val == NULL)
			continue;
		if (entry_keys[i].number && !number_ok(val)) {
			cniinst_seterr(err, errlen, "%s: not a number: %s",
			    entry_keys[i].option, val);
			ret = -EINVAL;
			goto out;
		}
		v = entry_keys[i].number ?
		    json_object_new_int64(strtoll(val, NULL, 10)) :
		    json_object_new_string(val);
		if (v == NULL || json_object_object_add(e, entry_keys[i].key,
		    v) != 0) {
			json_object_put(v);
			goto out;
		}
	}

	/* What the runtime will hand the plugin: our keys plus the
	 * injected name and cniVersion. */
	if ((probe = cniinst_copy_without(e, NULL, NULL)) == NULL ||
	    json_object_object_add(probe, "cniVersion",
	    json_object_new_string(CNI_VERSION_LATEST)) != 0 ||
	    json_object_object_add(probe, "name",
	    json_object_new_string("probe")) != 0)
		goto out;
	text = json_object_to_json_string_ext(probe, JSON_C_TO_STRING_PLAIN);
	memset(&conf, 0, sizeof(conf));
	if (cni_conf_parse(text, strlen(text), &conf, &cerr) != 0) {
		cniinst_seterr(err, errlen, "the plugin would refuse this "
		    "entry: %s", cerr.msg);
		ret = -EINVAL;
		goto out;
	}
	cni_conf_free(&conf);
	*out = e;
	e = NULL;
	ret = 0;
out:
	json_object_put(probe);
	json_object_put(e);
	return ret;
}

int
cniinst_entry(const struct cniinst_opts *o, char **out, char *err,
    size_t errlen)
{
	json_object *e;
	int ret;

	*out = NULL;
	if ((ret = entry_object(o, &e, err, errlen)) != 0)
		return ret;
	ret = cniinst_serialize(e, out);
	json_object_put(e);
	return ret;
}

/* The cniVersion must be one the plugin speaks: 0.3.0 (chaining) or
 * newer. */
static int
check_version(json_object *root, char *err, size_t errlen)
{
	const char *v = cniinst_get_string(root, "cniVersion");

	if (v == NULL) {
		cniinst_seterr(err, errlen, "no \"cniVersion\" string");
		return -EINVAL;
	}
	if (!cni_version_supported(v)) {
		cniinst_seterr(err, errlen,
		    "cniVersion %s is not one netpol-record-cni "
		    "speaks (0.3.0 to %s; chaining needs 0.3.0 or newer)", v,
		    CNI_VERSION_LATEST);
		return -EINVAL;
	}
	return 0;
}

int
cniinst_add_entry(const char *json, size_t len, const struct cniinst_opts *o,
    char **out, bool *converted, char *err, size_t errlen)
{
	json_object *root = NULL, *list = NULL, *entry = NULL, *plugins;
	bool conv = false, same;
	size_t i, n, first = SIZE_MAX, count = 0;
	int ret;

	*out = NULL;
	if (converted)
		*converted = false;
	if ((ret = cniinst_parse_object(json, len, &root, err, errlen)) != 0 ||
	    (ret = check_version(root, err, errlen)) != 0 ||
	    (ret = cniinst_normalize(root, &list, &conv, err, errlen)) != 0 ||
	    (ret = entry_object(o, &entry, err, errlen)) != 0)
		goto out;
	json_object_object_get_ex(list, "plugins", &plugins);
	n = json_object_array_length(plugins);
	for (i = 0; i < n; i++)
		if (cniinst_is_ours(json_object_array_get_idx(plugins, i))) {
			if (first == SIZE_MAX)
				first = i;
			count++;
		}
	if (first == 0) {
		cniinst_seterr(err, errlen,
		    "netpol-record-cni is the first plugin: it "
		    "must follow the plugin that creates the interface");
		ret = -EINVAL;
		goto out;
	}
	if (n == 0) {
		cniinst_seterr(err, errlen, "\"plugins\" is empty: no "
		    "network to chain after");
		ret = -EINVAL;
		goto out;
	}
	if (first == SIZE_MAX) {
		if (json_object_array_add(plugins, entry) != 0) {
			ret = -ENOMEM;
			goto out;
		}
		entry = NULL;
	} else {
		same = json_object_equal(json_object_array_get_idx(plugins,
		    first), entry);
		if (same && count == 1 && !conv) {
			ret = CNIINST_UNCHANGED;
			goto out;
		}
		/* Drop duplicates from the end, then replace the first. */
		for (i = n; i-- > first + 1;)
			if (cniinst_is_ours(json_object_array_get_idx(plugins,
			    i)))
				json_object_array_del_idx(plugins, i, 1);
		if (!same) {
			if (json_object_array_put_idx(plugins, first,
			    entry) != 0) {
				ret = -ENOMEM;
				goto out;
			}
			entry = NULL;
		}
	}
	if ((ret = cniinst_serialize(list, out)) == 0 && converted)
		*converted = conv;
out:
	json_object_put(entry);
	json_object_put(list);
	json_object_put(root);
	return ret;
}

int
cniinst_remove_entry(const char *json, size_t len, char **out, char *err,
    size_t errlen)
{
	json_object *root = NULL, *plugins;
	size_t i, n;
	bool removed = false;
	int ret;

	*out = NULL;
	if ((ret = cniinst_parse_object(json, len, &root, err, errlen)) != 0)
		goto out;
	if (!json_object_object_get_ex(root, "plugins", &plugins)) {
		if (cniinst_is_ours(root)) {
			cniinst_seterr(err, errlen,
			    "the whole configuration is "
			    "netpol-record-cni: not ours to remove");
			ret = -EINVAL;
		} else
			ret = CNIINST_UNCHANGED;
		goto out;
	}
	if (!json_object_is_type(plugins, json_type_array)) {
		cniinst_seterr(err, errlen, "\"plugins\" is not an array");
		ret = -EINVAL;
		goto out;
	}
	n = json_object_array_length(plugins);
	for (i = n; i-- > 0;)
		if (cniinst_is_ours(json_object_array_get_idx(plugins, i))) {
			json_object_array_del_idx(plugins, i, 1);
			removed = true;
		}
	ret = removed ? cniinst_serialize(root, out) : CNIINST_UNCHANGED;
out:
	json_object_put(root);
	return ret;
}

bool
cniinst_same_config(const char *a, size_t alen, const char *b, size_t blen)
{
	json_object *ra = NULL, *rb = NULL, *la = NULL, *lb = NULL;
	bool conv, same = false;

	if (cniinst_parse_object(a, alen, &ra, NULL, 0) == 0 &&
	    cniinst_parse_object(b, blen, &rb, NULL, 0) == 0 &&
	    cniinst_normalize(ra, &la, &conv, NULL, 0) == 0 &&
	    cniinst_normalize(rb, &lb, &conv, NULL, 0) == 0)
		same = json_object_equal(la, lb);
	json_object_put(la);
	json_object_put(lb);
	json_object_put(ra);
	json_object_put(rb);
	return same;
}

int
cniinst_has_entry(const char *json, size_t len)
{
	json_object *root, *plugins;
	size_t i, n;
	int ret = 0;

	if (cniinst_parse_object(json, len, &root, NULL, 0) != 0)
		return -EINVAL;
	if (json_object_object_get_ex(root, "plugins", &plugins) &&
	    json_object_is_type(plugins, json_type_array)) {
		n = json_object_array_length(plugins);
		for (i = 0; i < n && !ret; i++)
			ret = cniinst_is_ours(json_object_array_get_idx(plugins,
			    i));
	} else
		ret = cniinst_is_ours(root);
	json_object_put(root);
	return ret;
}
