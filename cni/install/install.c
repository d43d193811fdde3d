/*
 * install: netpol-record-cni into a node's CNI configuration and out of it
 * again (cniinst_install, cniinst_uninstall): the file side of the
 * installer. See install.h for the contract.
 *
 * The configuration directory is read the way runtimes read it (the
 * configuration files in byte order) under an flock of the directory;
 * every file is replaced atomically (lib/file.h) and the bytes it replaces
 * are kept as FILE.netpol-record.bak, which uninstall puts back. What the
 * files say is changed by conflist.c, through install.h.
 */
#include "cni/install/install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/sort.h"

/* ---- the configuration directory -------------------------------------- */

/* Report one line through o->note (nothing when o or o->note is NULL). */
static void
note(const struct cniinst_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(const struct cniinst_opts *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (o == NULL || o->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->note(o->note_arg, line);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The names runtimes read (libcni's ConfFiles with .conf, .conflist,
 * .json). */
static bool
is_config_name(const char *name)
{
	return has_suffix(name, ".conf") ||
	    has_suffix(name, ".conflist") ||
	    has_suffix(name, ".json");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The configuration files in dir, sorted by bytes (Go's sort.Strings,
 * which is how runtimes order them). Directories are skipped, as libcni
 * does; anything else with a matching name is listed. With clean (and
 * the directory locked), stale temporary files of ours are removed. */
static int
list_configs(const char *dir, bool clean, char ***out, size_t *nout,
    char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **tmp;
	size_t n = 0, cap = 0;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		/* A temporary file of ours left by a run that died: the
		 * caller holds the directory's lock, so no run of ours is
		 * writing it now. */
		if (de->d_name[0] == '.' &&
		    strstr(de->d_name, FILE_TMP_MARK) != NULL) {
			if (clean)
				(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (!is_config_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((tmp = realloc(names, cap * sizeof(*names))) ==
			    NULL) {
				ret = -ENOMEM;
				goto out;
			}
			names = tmp;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 1)
		sort_n(names, n, sizeof(*names), cmp_names);
	*out = names;
	*nout = n;
	names = NULL;
out:
	if (names)
		free_names(names, n);
	closedir(d);
	return ret;
}

static int
path_join(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Replace dir/name atomically (file_write_atomic). */
static int
write_in(const char *dir, const char *name, const char *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid)
{
	char path[4096];
	int ret;

	if ((ret = path_join(path, sizeof(path), dir, name)) != 0)
		return ret;
	return file_write_atomic(path, data, len, mode, uid, gid);
}

/* A whole regular file, not through a symbolic link unless follow,
 * NUL-terminated, at most max bytes, with its stat (the mode and owner a
 * replacement keeps). -ELOOP for a symbolic link, -EINVAL for anything
 * but a regular file (a FIFO is not waited on), -EFBIG, another -errno. */
static int
read_regular(const char *path, size_t max, char **out, size_t *len,
    struct stat *st, bool follow)
{
	int fd, ret;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    (follow ? 0 : O_NOFOLLOW))) < 0)
		return -errno;
	if (fstat(fd, st) != 0)
		ret = -errno;
	else if (!S_ISREG(st->st_mode))
		ret = -EINVAL;
	else
		ret = file_read_fd(fd, max, out, len);
	close(fd);
	return ret;
}

/* Hold an exclusive flock on the directory itself, so that two
 * installers (or an install and an uninstall) do not interleave. */
static int
lock_dir(const char *dir, char *err, size_t errlen)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fd = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return fd;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "locking %s: %s", dir,
			    strerror(errno));
			close(fd);
			return -EIO;
		}
	return fd;
}

static void
unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- install ------------------------------------------------------------ */

/* Copy the plugin binary into bin_dir, unless it is already there. */
static int
copy_plugin(const char *bin_dir, const char *src,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char path[4096], *data = NULL, *cur = NULL;
	size_t len, curlen;
	struct stat st, cst;
	int ret;

	if ((ret = read_regular(src, 256u << 20, &data, &len, &st,
	    true)) != 0) {
		snprintf(err, errlen, "plugin binary %s: %s", src,
		    strerror(-ret));
		goto out;
	}
	if ((ret = path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		snprintf(err, errlen, "%s: path too long", bin_dir);
		goto out;
	}
	if (read_regular(path, 256u << 20, &cur, &curlen, &cst,
	    false) == 0 && curlen == len && memcmp(cur, data, len) == 0 &&
	    (cst.st_mode & 07777) == 0755) {
		if (o == NULL || !o->changes_only)
			note(o, "%s is up to date", path);
		goto out;
	}
	if ((ret = write_in(bin_dir, CNIINST_TYPE, data, len, 0755,
	    (uid_t)-1, (gid_t)-1)) != 0) {
		snprintf(err, errlen, "writing %s: %s", path,
		    strerror(-ret));
		goto out;
	}
	note(o, "installed %s", path);
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
	return write_in(dir, bak, data, len, st->st_mode,
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
	    !is_config_name(o->conf_file)) {
		snprintf(err, errlen, "%s: not a *.conf, *.conflist "
		    "or *.json file name", o->conf_file);
		return -EINVAL;
	}
	for (*k = 0; *k < n && strcmp(names[*k], o->conf_file) != 0; (*k)++)
		;
	if (*k == n) {
		snprintf(err, errlen, "%s/%s: no such configuration",
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
			snprintf(err, errlen, "%s: both %s and %s "
			    "exist; left unchanged", conf_dir, names[k],
			    newname);
			return -EEXIST;
		}
		if (!named && i > k && strcmp(names[i], newname) < 0) {
			snprintf(err, errlen,
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
			note(o, "would copy %s to %s/%s", plugin_src,
			    bin_dir, CNIINST_TYPE);
		else if ((ret = copy_plugin(bin_dir, plugin_src, o, err,
		    errlen)) != 0)
			return ret;
	}
	if ((lock = lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = list_configs(conf_dir, !dry, &names, &n, err,
	    errlen)) != 0)
		goto out;
	if (n == 0) {
		snprintf(err, errlen,
		    "no CNI network configuration (*.conf, "
		    "*.conflist, *.json) in %s: the cluster network must be "
		    "installed first", conf_dir);
		ret = -ENOENT;
		goto out;
	}
	if ((ret = pick_file(conf_dir, names, n, o, &k, err, errlen)) != 0)
		goto out;
	primary = names[k];
	if ((ret = path_join(path, sizeof(path), conf_dir,
	    primary)) != 0) {
		snprintf(err, errlen, "%s: path too long", conf_dir);
		goto out;
	}
	if ((ret = read_regular(path, CNIINST_FILE_MAX, &data, &len, &st,
	    false)) != 0) {
		snprintf(err, errlen, "%s: %s", path, ret == -ELOOP ?
		    "a symbolic link (not replaced by a file; copy what it "
		    "points to in its place)" :
		    ret == -EINVAL ? "not a regular file" : strerror(-ret));
		goto out;
	}
	ret = cniinst_add_entry(data, len, o, &out, &converted, e, sizeof(e));
	if (ret == CNIINST_UNCHANGED) {
		if (o == NULL || !o->changes_only)
			note(o, "%s already chains netpol-record-cni",
			    path);
		ret = 0;
		goto out;
	}
	if (ret != 0) {
		snprintf(err, errlen, "%s: %s; left unchanged", path, e);
		goto out;
	}

	target = primary;
	if (converted && !has_suffix(primary, ".conflist")) {
		if ((ret = conversion_name(conf_dir, names, n, k, o, newname,
		    sizeof(newname), err, errlen)) != 0)
			goto out;
		target = newname;
	}

	update = cniinst_has_entry(data, len) == 1;
	if (dry) {
		note(o, "would write %s/%s%s%s", conf_dir, target,
		    target != primary ? " and remove " : "",
		    target != primary ? path : "");
		if (o->preview != NULL) {
			char tpath[4096];

			if (path_join(tpath, sizeof(tpath), conf_dir,
			    target) == 0)
				o->preview(o->note_arg, tpath, out);
		}
		goto out;
	}
	/* The backup holds the file as it was before we were added; an
	 * update of our own entry keeps the older backup. */
	if (!update &&
	    (ret = write_backup(conf_dir, primary, data, len, &st)) != 0) {
		snprintf(err, errlen, "%s%s: %s", path,
		    CNIINST_BAK_SUFFIX, strerror(-ret));
		goto out;
	}
	if ((ret = write_in(conf_dir, target, out, strlen(out),
	    st.st_mode, st.st_uid, st.st_gid)) != 0) {
		snprintf(err, errlen, "writing %s/%s: %s", conf_dir,
		    target, strerror(-ret));
		goto out;
	}
	if (target != primary) {
		/* Only now that X.conflist is in place: the runtime never
		 * sees an empty directory. */
		if (unlink(path) != 0) {
			ret = -errno;
			snprintf(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		file_fsync_dir(conf_dir);
		note(o,
		    "converted %s into %s/%s with netpol-record-cni "
		    "(backup %s%s)", path, conf_dir, target, path,
		    CNIINST_BAK_SUFFIX);
	} else if (update)
		note(o, "updated the netpol-record-cni entry in %s",
		    path);
	else
		note(o, "added netpol-record-cni to %s (backup %s%s)",
		    path, path, CNIINST_BAK_SUFFIX);
out:
	free(out);
	free(data);
	free_names(names, n);
	unlock_dir(lock);
	return ret;
}

/* ---- uninstall ---------------------------------------------------------- */

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

	if (!has_suffix(name, ".conflist"))
		return false;
	stem = strlen(name) - strlen(".conflist");
	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(orig, len, "%.*s%s", (int)stem, name,
		    exts[i]) >= len ||
		    path_join(path, sizeof(path), dir, orig) != 0)
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
			snprintf(err, errlen, "%s/%s: %s", dir, name, e);
		goto out;
	}
	conv = converted_from(dir, name, orig, sizeof(orig));
	if (!conv)
		snprintf(orig, sizeof(orig), "%s", name);
	if ((size_t)snprintf(bak, sizeof(bak), "%s/%s%s", dir, orig,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak) ||
	    path_join(path, sizeof(path), dir, name) != 0) {
		ret = -ENAMETOOLONG;
		snprintf(err, errlen, "%s: path too long", dir);
		goto out;
	}
	if (read_regular(bak, CNIINST_FILE_MAX, &bdata, &blen, &bst,
	    false) == 0 && cniinst_same_config(bdata, blen, out, strlen(out))) {
		/* The backup is this network without us: put its bytes
		 * back, the original .conf first when we had converted it. */
		if ((ret = write_in(dir, orig, bdata, blen,
		    bst.st_mode, bst.st_uid, bst.st_gid)) != 0) {
			snprintf(err, errlen, "writing %s/%s: %s", dir,
			    orig, strerror(-ret));
			goto out;
		}
		if (conv && unlink(path) != 0) {
			ret = -errno;
			snprintf(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		unlink(bak);
		file_fsync_dir(dir);
		if (conv)
			note(o, "restored %s/%s and removed %s", dir,
			    orig, path);
		else
			note(o, "restored %s from its backup", path);
		goto out;
	}
	if ((ret = write_in(dir, name, out, strlen(out),
	    st->st_mode, st->st_uid, st->st_gid)) != 0) {
		snprintf(err, errlen, "writing %s: %s", path,
		    strerror(-ret));
		goto out;
	}
	note(o, "removed netpol-record-cni from %s%s%s", path,
	    bdata ? "; kept " : "", bdata ? bak : "");
	if (bdata)
		note(o,
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

	if ((ret = path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		snprintf(err, errlen, "%s: path too long", bin_dir);
		return ret;
	}
	if (unlink(path) == 0) {
		note(o, "removed %s", path);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	ret = -errno;
	snprintf(err, errlen, "removing %s: %s", path, strerror(errno));
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

	if ((lock = lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = list_configs(conf_dir, true, &names, &n, err,
	    errlen)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (path_join(path, sizeof(path), conf_dir,
		    names[i]) != 0 ||
		    read_regular(path, CNIINST_FILE_MAX, &data, &len, &st,
		    false) != 0)
			continue;
		if ((r = cniinst_has_entry(data, len)) < 0)
			note(o, "%s does not parse: skipped", path);
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
		note(o,
		    "no configuration in %s chains netpol-record-cni",
		    conf_dir);
	if (o != NULL && o->remove_bin && bin_dir != NULL &&
	    (r = remove_plugin(bin_dir, o, err, errlen)) != 0 && ret == 0)
		ret = r;
out:
	free_names(names, n);
	unlock_dir(lock);
	return ret;
}
