/*
 * cli: the `netpol-record-cni install` / `uninstall` subcommands
 * (cniinst_main): options, usage texts, the --watch loop.
 */
#include "cni/install/install.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * The file this program runs from, into buf: what install copies, named
 * as such in what it says. /proc/self/exe itself when the link cannot be
 * read or the file was replaced or removed since it started (the link
 * then ends in " (deleted)"; only /proc/self/exe still reads it).
 */
static const char *
self_path(char *buf, size_t len)
{
	static const char deleted[] = " (deleted)";
	ssize_t n = readlink(DEFAULT_PLUGIN, buf, len - 1);

	if (n <= 0 || (size_t)n >= len - 1)
		return DEFAULT_PLUGIN;
	buf[n] = '\0';
	if ((size_t)n >= sizeof(deleted) - 1 &&
	    strcmp(buf + n - (sizeof(deleted) - 1), deleted) == 0)
		return DEFAULT_PLUGIN;
	return buf;
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
	const char *plugin = NULL, *usage;
	char err[1024], self[4096], *end;
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
	if (plugin == NULL)
		plugin = self_path(self, sizeof(self));

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
