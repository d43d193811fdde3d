/*
 * install: netpol-record-cni into (and out of) a node's CNI configuration.
 * See install.h for the contract and install_int.h for how the installer
 * is split into files; what is still here is cniinst_install, then the
 * command line.
 */
#include "cni/install.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
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

/* ---- command line ------------------------------------------------------- */

#define DEFAULT_CONF_DIR	"/etc/cni/net.d"
#define DEFAULT_BIN_DIR		"/opt/cni/bin"
#define DEFAULT_PLUGIN		"/proc/self/exe"

static const char install_usage[] =
"usage: netpol-record-cni install [options]\n"
"Add netpol-record-cni to this node's CNI configuration: copy the plugin\n"
"into the bin directory and append it to the primary network\n"
"configuration (the first *.conf, *.conflist or *.json file in byte\n"
"order, as container runtimes pick it). A single-plugin .conf becomes a\n"
".conflist. The replaced file is kept as FILE.netpol-record.bak. Running\n"
"it again changes nothing.\n"
"\n"
"  --conf-dir DIR        CNI configuration directory (/etc/cni/net.d)\n"
"  --bin-dir DIR         CNI plugin directory (/opt/cni/bin)\n"
"  --plugin PATH         the binary to copy (this program)\n"
"  --no-copy             do not copy the binary, only edit the configuration\n"
"  --dry-run             change nothing: print the file install would write\n"
"  --conf-file NAME      edit CONF-DIR/NAME instead of the primary file (e.g.\n"
"                        the cluster network's file when Multus is primary)\n"
"  --db PATH             plugin setting \"db\": the store\n"
"  --log-file PATH       plugin setting \"logFile\"\n"
"  --log-level LEVEL     plugin setting \"logLevel\" (error, warn, info,\n"
"                        debug)\n"
"  --failure-policy P    plugin setting \"failurePolicy\" (ignore, fail)\n"
"  --mark-bit BIT        plugin setting \"markBit\" (e.g. 0x00100000)\n"
"  --nflog-group N       plugin setting \"nflogGroup\"\n"
"  --nflog-snaplen N     plugin setting \"nflogSnaplen\"\n"
"  --release-socket PATH plugin setting \"releaseSocket\": where\n"
"                        netpol-recorderd takes the plugin's nftables socket\n"
"                        over (its release_socket; \"\" = off)\n"
"  --watch SECONDS       stay running and repeat the install every SECONDS\n"
"                        (network agents that rewrite their file on restart\n"
"                        drop our entry; this puts it back)\n"
"  -h, --help            this text\n"
"Exit status: 0 done (or nothing to do), 1 failed (nothing was changed in\n"
"the file that could not be handled), 2 usage error.\n";

static const char uninstall_usage[] =
"usage: netpol-record-cni uninstall [options]\n"
"Remove netpol-record-cni from every CNI configuration file that has it.\n"
"A file whose backup (FILE.netpol-record.bak) holds the same network is\n"
"restored byte for byte, including a .conf that install had converted.\n"
"\n"
"  --conf-dir DIR        CNI configuration directory (/etc/cni/net.d)\n"
"  --bin-dir DIR         CNI plugin directory (/opt/cni/bin)\n"
"  --remove-bin          also remove BIN-DIR/netpol-record-cni\n"
"  -h, --help            this text\n"
"Exit status: 0 done (or nothing to do), 1 failed, 2 usage error.\n";

enum {
	OPT_CONF_DIR = 256, OPT_BIN_DIR, OPT_PLUGIN, OPT_NO_COPY, OPT_DB,
	OPT_LOG_FILE, OPT_LOG_LEVEL, OPT_FAILURE, OPT_MARK, OPT_NFLOG_GROUP,
	OPT_NFLOG_SNAPLEN, OPT_RELEASE, OPT_WATCH, OPT_REMOVE_BIN, OPT_CONF_FILE,
	OPT_DRY_RUN,
};

/* Notes go to stdout, or to stderr under --dry-run (arg non-NULL), where
 * stdout carries the file that would be written. */
static void
print_note(void *arg, const char *line)
{
	FILE *f = arg != NULL ? stderr : stdout;

	fprintf(f, "netpol-record-cni: %s\n", line);
	fflush(f);
}

static void
print_preview(void *arg, const char *path, const char *text)
{
	(void)arg;
	(void)path;
	fputs(text, stdout);
	fflush(stdout);
}

static int
usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("netpol-record-cni: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

int
cniinst_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "conf-dir", required_argument, NULL, OPT_CONF_DIR },
		{ "bin-dir", required_argument, NULL, OPT_BIN_DIR },
		{ "plugin", required_argument, NULL, OPT_PLUGIN },
		{ "no-copy", no_argument, NULL, OPT_NO_COPY },
		{ "conf-file", required_argument, NULL, OPT_CONF_FILE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "db", required_argument, NULL, OPT_DB },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "failure-policy", required_argument, NULL, OPT_FAILURE },
		{ "mark-bit", required_argument, NULL, OPT_MARK },
		{ "nflog-group", required_argument, NULL, OPT_NFLOG_GROUP },
		{ "nflog-snaplen", required_argument, NULL, OPT_NFLOG_SNAPLEN },
		{ "release-socket", required_argument, NULL, OPT_RELEASE },
		{ "watch", required_argument, NULL, OPT_WATCH },
		{ "remove-bin", no_argument, NULL, OPT_REMOVE_BIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cniinst_opts o;
	const char *conf_dir = DEFAULT_CONF_DIR, *bin_dir = DEFAULT_BIN_DIR;
	const char *plugin = DEFAULT_PLUGIN, *usage;
	char err[1024], *end;
	bool install, copy = true;
	long watch = 0;
	int c, ret, li = 0;

	if (argc < 1 || argv[0] == NULL)
		return 2;
	install = strcmp(argv[0], "install") == 0;
	if (!install && strcmp(argv[0], "uninstall") != 0)
		return usage_error(install_usage, "unknown command %s", argv[0]);
	usage = install ? install_usage : uninstall_usage;
	memset(&o, 0, sizeof(o));
	o.note = print_note;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		/* Options of the other subcommand are usage errors. */
		if (!install && c != OPT_CONF_DIR && c != OPT_BIN_DIR &&
		    c != OPT_REMOVE_BIN && c != 'h' && c != '?' && c != ':')
			return usage_error(usage, "--%s: not an uninstall "
			    "option", longopts[li].name);
		switch (c) {
		case OPT_CONF_DIR: conf_dir = optarg; break;
		case OPT_BIN_DIR: bin_dir = optarg; break;
		case OPT_PLUGIN: plugin = optarg; break;
		case OPT_NO_COPY: copy = false; break;
		case OPT_CONF_FILE: o.conf_file = optarg; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_DB: o.db = optarg; break;
		case OPT_LOG_FILE: o.log_file = optarg; break;
		case OPT_LOG_LEVEL: o.log_level = optarg; break;
		case OPT_FAILURE: o.failure_policy = optarg; break;
		case OPT_MARK: o.mark_bit = optarg; break;
		case OPT_NFLOG_GROUP: o.nflog_group = optarg; break;
		case OPT_NFLOG_SNAPLEN: o.nflog_snaplen = optarg; break;
		case OPT_RELEASE: o.release_socket = optarg; break;
		case OPT_REMOVE_BIN:
			if (install)
				return usage_error(usage, "%s: not an install "
				    "option", "--remove-bin");
			o.remove_bin = true;
			break;
		case OPT_WATCH:
			watch = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || watch < 1 ||
			    watch > 86400)
				return usage_error(usage, "--watch %s: seconds "
				    "from 1 to 86400", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return usage_error(usage, "bad option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument %s",
		    argv[optind]);
	if (o.dry_run && watch != 0)
		return usage_error(usage, "%s", "--dry-run and --watch exclude "
		    "each other");
	if (o.dry_run) {
		o.note_arg = stderr;
		o.preview = print_preview;
	}

	err[0] = '\0';
	if (!install) {
		ret = cniinst_uninstall(conf_dir, bin_dir, &o, err,
		    sizeof(err));
		if (ret != 0)
			fprintf(stderr, "netpol-record-cni: uninstall: %s\n",
			    err);
		return ret == 0 ? 0 : 1;
	}
	ret = cniinst_install(conf_dir, bin_dir, copy ? plugin : NULL, &o,
	    err, sizeof(err));
	if (ret != 0)
		fprintf(stderr, "netpol-record-cni: install: %s\n", err);
	if (watch == 0)
		return ret == 0 ? 0 : 1;
	/* Keep the entry there; only changes are reported. */
	o.changes_only = true;
	for (;;) {
		sleep((unsigned)watch);
		err[0] = '\0';
		ret = cniinst_install(conf_dir, NULL, NULL, &o, err,
		    sizeof(err));
		if (ret != 0)
			fprintf(stderr, "netpol-record-cni: install: %s\n",
			    err);
	}
}
