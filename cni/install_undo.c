/*
 * install_undo.c: netpol-record-cni out of a node's CNI configuration
 * (cniinst_uninstall), putting back the files install had backed up.
 */
#include "cni/install_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Was dir/name (X.conflist) made by converting X.conf or X.json? Then
 * that file is gone and its backup is there: *orig gets its name.
 */
static bool
converted_from(const char *dir, const char *name, char *orig, size_t len)
{
	static const char *const exts[] = { ".conf", ".json" };
	char path[4096];
	struct stat st;
	size_t i, stem;

	if (!cniinst_has_suffix(name, ".conflist"))
		return false;
	stem = strlen(name) - strlen(".conflist");
	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(orig, len, "%.*s%s", (int)stem, name,
		    exts[i]) >= len ||
		    cniinst_path_join(path, sizeof(path), dir, orig) != 0)
			continue;
		if (lstat(path, &st) == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, orig,
		    CNIINST_BAK_SUFFIX) < sizeof(path) &&
		    lstat(path, &st) == 0)
			return true;
	}
	return false;
}

/* Take our entry out of dir/name. */
static int
uninstall_one(const char *dir, const char *name, const char *data,
    size_t len, const struct stat *st, const struct cniinst_opts *o,
    char *err, size_t errlen)
{
	char orig[4096], bak[4096], path[4096], *out = NULL, *bdata = NULL;
	char e[512];
	size_t blen;
	struct stat bst;
	bool conv;
	int ret;

	if ((ret = cniinst_remove_entry(data, len, &out, e, sizeof(e))) != 0) {
		if (ret == CNIINST_UNCHANGED)
			ret = 0;
		else
			cniinst_seterr(err, errlen, "%s/%s: %s", dir, name, e);
		goto out;
	}
	conv = converted_from(dir, name, orig, sizeof(orig));
	if (!conv)
		snprintf(orig, sizeof(orig), "%s", name);
	if ((size_t)snprintf(bak, sizeof(bak), "%s/%s%s", dir, orig,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak) ||
	    cniinst_path_join(path, sizeof(path), dir, name) != 0) {
		ret = -ENAMETOOLONG;
		cniinst_seterr(err, errlen, "%s: path too long", dir);
		goto out;
	}
	if (cniinst_read_file(bak, CNIINST_FILE_MAX, &bdata, &blen, &bst,
	    false) == 0 && cniinst_same_config(bdata, blen, out, strlen(out))) {
		/* The backup is this network without us: put its bytes
		 * back, the original .conf first when we had converted it. */
		if ((ret = cniinst_write_atomic(dir, orig, bdata, blen,
		    bst.st_mode, bst.st_uid, bst.st_gid)) != 0) {
			cniinst_seterr(err, errlen, "writing %s/%s: %s", dir,
			    orig, strerror(-ret));
			goto out;
		}
		if (conv && unlink(path) != 0) {
			ret = -errno;
			cniinst_seterr(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		unlink(bak);
		cniinst_fsync_dir(dir);
		if (conv)
			cniinst_note(o, "restored %s/%s and removed %s", dir,
			    orig, path);
		else
			cniinst_note(o, "restored %s from its backup", path);
		goto out;
	}
	if ((ret = cniinst_write_atomic(dir, name, out, strlen(out),
	    st->st_mode, st->st_uid, st->st_gid)) != 0) {
		cniinst_seterr(err, errlen, "writing %s: %s", path,
		    strerror(-ret));
		goto out;
	}
	cniinst_note(o, "removed netpol-record-cni from %s%s%s", path,
	    bdata ? "; kept " : "", bdata ? bak : "");
	if (bdata)
		cniinst_note(o,
		    "%s differs from %s without netpol-record-cni (changed "
		    "since install?): not restored", bak, path);
out:
	free(bdata);
	free(out);
	return ret;
}

static int
remove_plugin(const char *bin_dir, const struct cniinst_opts *o, char *err,
    size_t errlen)
{
	char path[4096];
	int ret;

	if ((ret = cniinst_path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		cniinst_seterr(err, errlen, "%s: path too long", bin_dir);
		return ret;
	}
	if (unlink(path) == 0) {
		cniinst_note(o, "removed %s", path);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	ret = -errno;
	cniinst_seterr(err, errlen, "removing %s: %s", path, strerror(errno));
	return ret;
}

int
cniinst_uninstall(const char *conf_dir, const char *bin_dir,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char **names = NULL, path[4096], *data;
	size_t n = 0, len, i;
	struct stat st;
	int lock, ret, r, found = 0;

	if ((lock = cniinst_lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = cniinst_list_configs(conf_dir, true, &names, &n, err,
	    errlen)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (cniinst_path_join(path, sizeof(path), conf_dir,
		    names[i]) != 0 ||
		    cniinst_read_file(path, CNIINST_FILE_MAX, &data, &len, &st,
		    false) != 0)
			continue;
		if ((r = cniinst_has_entry(data, len)) < 0)
			cniinst_note(o, "%s does not parse: skipped", path);
		else if (r > 0) {
			found++;
			r = uninstall_one(conf_dir, names[i], data, len, &st,
			    o, err, errlen);
			if (r != 0 && ret == 0)
				ret = r;
		}
		free(data);
	}
	if (found == 0)
		cniinst_note(o,
		    "no configuration in %s chains netpol-record-cni",
		    conf_dir);
	if (o != NULL && o->remove_bin && bin_dir != NULL &&
	    (r = remove_plugin(bin_dir, o, err, errlen)) != 0 && ret == 0)
		ret = r;
out:
	cniinst_free_names(names, n);
	cniinst_unlock_dir(lock);
	return ret;
}
