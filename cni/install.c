/*
 * install: netpol-record-cni into a node's CNI configuration
 * (cniinst_install). See install.h for the contract and install_int.h for
 * how the installer is split into files.
 */
#include "cni/install.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni/install_int.h"

/* Copy the plugin binary into bin_dir, unless it is already there. */
static int
copy_plugin(const char *bin_dir, const char *src,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char path[4096], *data = NULL, *cur = NULL;
	size_t len, curlen;
	struct stat st, cst;
	int ret;

	if ((ret = cniinst_read_file(src, 256u << 20, &data, &len, &st,
	    true)) != 0) {
		cniinst_seterr(err, errlen, "plugin binary %s: %s", src,
		    strerror(-ret));
		goto out;
	}
	if ((ret = cniinst_path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		cniinst_seterr(err, errlen, "%s: path too long", bin_dir);
		goto out;
	}
	if (cniinst_read_file(path, 256u << 20, &cur, &curlen, &cst,
	    false) == 0 && curlen == len && memcmp(cur, data, len) == 0 &&
	    (cst.st_mode & 07777) == 0755) {
		if (o == NULL || !o->changes_only)
			cniinst_note(o, "%s is up to date", path);
		goto out;
	}
	if ((ret = cniinst_write_atomic(bin_dir, CNIINST_TYPE, data, len, 0755,
	    (uid_t)-1, (gid_t)-1)) != 0) {
		cniinst_seterr(err, errlen, "writing %s: %s", path,
		    strerror(-ret));
		goto out;
	}
	cniinst_note(o, "installed %s", path);
out:
	free(data);
	free(cur);
	return ret;
}

/* "X.conf" -> "X.conflist" (also for X.json). */
static int
list_name(const char *name, char *buf, size_t len)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot ? (size_t)(dot - name) : strlen(name);

	if ((size_t)snprintf(buf, len, "%.*s.conflist", (int)stem, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Keep a copy of the bytes being replaced: name + CNIINST_BAK_SUFFIX. */
static int
write_backup(const char *dir, const char *name, const char *data,
    size_t len, const struct stat *st)
{
	char bak[4096];

	if ((size_t)snprintf(bak, sizeof(bak), "%s%s", name,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak))
		return -ENAMETOOLONG;
	return cniinst_write_atomic(dir, bak, data, len, st->st_mode,
	    st->st_uid, st->st_gid);
}

/* The file to edit: the primary configuration (names[0]), or the one the
 * operator named with --conf-file. */
static int
pick_file(const char *conf_dir, char **names, size_t n,
    const struct cniinst_opts *o, size_t *k, char *err, size_t errlen)
{
	*k = 0;
	if (o == NULL || o->conf_file == NULL)
		return 0;
	if (strchr(o->conf_file, '/') != NULL ||
	    !cniinst_is_config_name(o->conf_file)) {
		cniinst_seterr(err, errlen, "%s: not a *.conf, *.conflist "
		    "or *.json file name", o->conf_file);
		return -EINVAL;
	}
	for (*k = 0; *k < n && strcmp(names[*k], o->conf_file) != 0; (*k)++)
		;
	if (*k == n) {
		cniinst_seterr(err, errlen, "%s/%s: no such configuration",
		    conf_dir, o->conf_file);
		return -ENOENT;
	}
	return 0;
}

/*
 * The name a converted names[k] (X.conf) gets: X.conflist, which must not
 * exist yet and, for the primary file, must still be the first: nothing
 * may sort between X.conf and X.conflist. (A file named with --conf-file
 * is the operator's choice, wherever it sorts.)
 */
static int
conversion_name(const char *conf_dir, char **names, size_t n, size_t k,
    const struct cniinst_opts *o, char *newname, size_t len, char *err,
    size_t errlen)
{
	bool named = o != NULL && o->conf_file != NULL;
	size_t i;
	int ret;

	if ((ret = list_name(names[k], newname, len)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (i == k)
			continue;
		if (strcmp(names[i], newname) == 0) {
			cniinst_seterr(err, errlen, "%s: both %s and %s "
			    "exist; left unchanged", conf_dir, names[k],
			    newname);
			return -EEXIST;
		}
		if (!named && i > k && strcmp(names[i], newname) < 0) {
			cniinst_seterr(err, errlen,
			    "%s: %s would not be the first "
			    "configuration (%s sorts before it); left "
			    "unchanged", conf_dir, newname, names[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int
cniinst_install(const char *conf_dir, const char *bin_dir,
    const char *plugin_src, const struct cniinst_opts *o, char *err,
    size_t errlen)
{
	char **names = NULL, path[4096], newname[4096], *data = NULL;
	char *out = NULL, e[512];
	const char *primary, *target;
	size_t n = 0, len, k;
	struct stat st;
	bool converted, update, dry;
	int lock = -1, ret;

	/* Options the plugin would refuse fail before anything changes. */
	if ((ret = cniinst_entry(o, &out, err, errlen)) != 0)
		return ret;
	free(out);
	out = NULL;
	dry = o != NULL && o->dry_run;
	if (bin_dir != NULL && plugin_src != NULL) {
		if (dry)
			cniinst_note(o, "would copy %s to %s/%s", plugin_src,
			    bin_dir, CNIINST_TYPE);
		else if ((ret = copy_plugin(bin_dir, plugin_src, o, err,
		    errlen)) != 0)
			return ret;
	}
	if ((lock = cniinst_lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = cniinst_list_configs(conf_dir, !dry, &names, &n, err,
	    errlen)) != 0)
		goto out;
	if (n == 0) {
		cniinst_seterr(err, errlen,
		    "no CNI network configuration (*.conf, "
		    "*.conflist, *.json) in %s: the cluster network must be "
		    "installed first", conf_dir);
		ret = -ENOENT;
		goto out;
	}
	if ((ret = pick_file(conf_dir, names, n, o, &k, err, errlen)) != 0)
		goto out;
	primary = names[k];
	if ((ret = cniinst_path_join(path, sizeof(path), conf_dir,
	    primary)) != 0) {
		cniinst_seterr(err, errlen, "%s: path too long", conf_dir);
		goto out;
	}
	if ((ret = cniinst_read_file(path, CNIINST_FILE_MAX, &data, &len, &st,
	    false)) != 0) {
		cniinst_seterr(err, errlen, "%s: %s", path, ret == -ELOOP ?
		    "a symbolic link (not replaced by a file; copy what it "
		    "points to in its place)" :
		    ret == -EINVAL ? "not a regular file" : strerror(-ret));
		goto out;
	}
	ret = cniinst_add_entry(data, len, o, &out, &converted, e, sizeof(e));
	if (ret == CNIINST_UNCHANGED) {
		if (o == NULL || !o->changes_only)
			cniinst_note(o, "%s already chains netpol-record-cni",
			    path);
		ret = 0;
		goto out;
	}
	if (ret != 0) {
		cniinst_seterr(err, errlen, "%s: %s; left unchanged", path, e);
		goto out;
	}

	target = primary;
	if (converted && !cniinst_has_suffix(primary, ".conflist")) {
		if ((ret = conversion_name(conf_dir, names, n, k, o, newname,
		    sizeof(newname), err, errlen)) != 0)
			goto out;
		target = newname;
	}

	update = cniinst_has_entry(data, len) == 1;
	if (dry) {
		cniinst_note(o, "would write %s/%s%s%s", conf_dir, target,
		    target != primary ? " and remove " : "",
		    target != primary ? path : "");
		if (o->preview != NULL) {
			char tpath[4096];

			if (cniinst_path_join(tpath, sizeof(tpath), conf_dir,
			    target) == 0)
				o->preview(o->note_arg, tpath, out);
		}
		goto out;
	}
	/* The backup holds the file as it was before we were added; an
	 * update of our own entry keeps the older backup. */
	if (!update &&
	    (ret = write_backup(conf_dir, primary, data, len, &st)) != 0) {
		cniinst_seterr(err, errlen, "%s%s: %s", path,
		    CNIINST_BAK_SUFFIX, strerror(-ret));
		goto out;
	}
	if ((ret = cniinst_write_atomic(conf_dir, target, out, strlen(out),
	    st.st_mode, st.st_uid, st.st_gid)) != 0) {
		cniinst_seterr(err, errlen, "writing %s/%s: %s", conf_dir,
		    target, strerror(-ret));
		goto out;
	}
	if (target != primary) {
		/* Only now that X.conflist is in place: the runtime never
		 * sees an empty directory. */
		if (unlink(path) != 0) {
			ret = -errno;
			cniinst_seterr(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		cniinst_fsync_dir(conf_dir);
		cniinst_note(o,
		    "converted %s into %s/%s with netpol-record-cni "
		    "(backup %s%s)", path, conf_dir, target, path,
		    CNIINST_BAK_SUFFIX);
	} else if (update)
		cniinst_note(o, "updated the netpol-record-cni entry in %s",
		    path);
	else
		cniinst_note(o, "added netpol-record-cni to %s (backup %s%s)",
		    path, path, CNIINST_BAK_SUFFIX);
out:
	free(out);
	free(data);
	cniinst_free_names(names, n);
	cniinst_unlock_dir(lock);
	return ret;
}
