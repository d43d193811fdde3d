/*
 * netpol-recorderd: records which pods talk to what, from conntrack
 * events and DNS answers, into the netpol-record store.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/status.h"
#include "lib/store.h"
#include "nft/nftrules.h"
#include "nft/nftstore.h"
#include "recorderd/rconf.h"
#include "recorderd/rd.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: netpol-recorderd [-dfn] [-c FILE] [--db PATH] "
	    "[--metadata FILE]\n"
	    "                        [--node-name NAME]\n"
	    "       netpol-recorderd --status [-c FILE] [--db PATH]\n"
	    "       netpol-recorderd --repair [-c FILE] [--db PATH]\n"
	    "  -c FILE          configuration (default %s)\n"
	    "  -d               more logging (debug)\n"
	    "  -f               stay in the foreground, log to stderr\n"
	    "  -n               check the configuration and exit\n"
	    "  --db PATH        store to use instead of the configured one\n"
	    "  --metadata FILE  Kubernetes List file as metadata source\n"
	    "  --node-name NAME this node's name in the Kubernetes API "
	    "(default: node_name,\n"
	    "                   then $NODE_NAME, then the host name)\n"
	    "  --status         print the recorder's counters and exit\n"
	    "  --repair         restore the nftables table: rules for this "
	    "configuration,\n"
	    "                   elements of every attached pod\n",
	    RCONF_DEFAULT_PATH);
}

static int
cmd_status(const struct rconf *c)
{
	struct store *st = NULL;
	char why[512];
	int ret;

	if ((ret = store_open(c->store, STORE_OPEN_READONLY |
	    STORE_OPEN_NOCREATE, &st)) < 0) {
		rd_store_explain(c->store, ret, why, sizeof(why));
		fprintf(stderr, "netpol-recorderd: %s\n", why);
		return 1;
	}
	ret = status_print(stdout, c->store, st);
	if (ret < 0)
		fprintf(stderr, "netpol-recorderd: store %s: %s\n", c->store,
		    store_errmsg(st));
	store_close(st);
	return ret < 0 ? 1 : 0;
}

static void
repair_failed(const struct store_attachment *a, int err, void *arg)
{
	(void)arg;
	log_warnx("repair %s/%s: %s", a->container_id, a->ifname,
	    strerror(-err));
}

static int
cmd_repair(const struct rconf *c)
{
	struct store *st = NULL;
	struct nftrules *nr = NULL;
	struct nftrules_conf nc;
	struct nftstore_count r = { 0 };
	int ret;

	nftrules_conf_init(&nc);
	nc.mark_bit = c->mark_bit;
	nc.nflog_group = c->nflog_group;
	nc.snaplen = (uint16_t)(c->nflog_snaplen > 65535 ? 65535 :
	    c->nflog_snaplen);
	if ((ret = store_open(c->store, STORE_OPEN_NOCREATE, &st)) < 0) {
		char why[512];

		rd_store_explain(c->store, ret, why, sizeof(why));
		log_warnx("%s", why);
		return 1;
	}
	if ((ret = nftrules_open(&nr)) < 0 ||
	    (ret = nftrules_ensure_table(nr, &nc)) < 0) {
		log_warnx("nftables: %s", strerror(-ret));
		goto out;
	}
	/* Rules made for another mark bit or group (a plugin with another
	 * markBit created the table): this configuration's, elements kept. */
	ret = nftrules_check_conf(nr, &nc, NULL);
	if ((ret == -ESTALE || ret == -ESRCH) &&
	    (ret = nftrules_rewrite_rules(nr, &nc)) == 0)
		printf("rewrote the rules of table inet %s for mark 0x%08x, "
		    "NFLOG group %u\n", NFTRULES_TABLE, nc.mark_bit,
		    nc.nflog_group);
	if (ret < 0) {
		log_warnx("nftables table inet %s: rules: %s", NFTRULES_TABLE,
		    strerror(-ret));
		goto out;
	}
	if ((ret = nftstore_restore(nr, &nc, st, NULL, repair_failed, NULL,
	    &r)) < 0)
		log_warnx("store %s: %s", c->store, store_errmsg(st));
	printf("repaired %d attachments, %d failed\n", r.done, r.failed);
out:
	nftrules_close(nr);
	store_close(st);
	return ret < 0 || r.failed > 0 ? 1 : 0;
}

/*
 * The daemon changes directory to / when it detaches: make a relative
 * path absolute first (the file need not exist yet). Returns a static
 * copy per slot, or path itself when it is absolute or too long.
 */
static const char *
absolute(const char *path, int slot)
{
	static char buf[4][PATH_MAX];
	char cwd[PATH_MAX];

	if (path == NULL || path[0] == '/' || path[0] == '\0' ||
	    getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", cwd,
	    path) >= sizeof(buf[slot]))
		return path;
	return buf[slot];
}

enum { OPT_DB = 256, OPT_META, OPT_NODE, OPT_STATUS, OPT_REPAIR };

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "metadata", required_argument, NULL, OPT_META },
		{ "node-name", required_argument, NULL, OPT_NODE },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char start_dir[PATH_MAX];
	struct rd_opts o;
	struct rconf c;
	char err[1024];
	const char *conf_path = NULL;
	bool check = false, status = false, repair = false, conf_given;
	int ch, verbose = 0, ret;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "c:dfhn", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			verbose++;
			break;
		case 'f':
			o.foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case OPT_DB:
			o.db_override = optarg;
			break;
		case OPT_META:
			o.meta_override = optarg;
			break;
		case OPT_NODE:
			o.node_name = optarg;
			break;
		case OPT_STATUS:
			status = true;
			break;
		case OPT_REPAIR:
			repair = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (getcwd(start_dir, sizeof(start_dir)) != NULL)
		o.start_dir = start_dir;
	conf_path = absolute(conf_path, 0);
	o.db_override = absolute(o.db_override, 1);
	o.meta_override = absolute(o.meta_override, 2);
	log_init("netpol-recorderd", LOG_LVL_INFO + verbose);

	/* The default file is optional; a file named with -c is not. */
	conf_given = conf_path != NULL;
	if (conf_path == NULL)
		conf_path = RCONF_DEFAULT_PATH;
	ret = rconf_load_file(conf_path, &c, err, sizeof(err));
	if (ret == -ENOENT && !conf_given) {
		rconf_defaults(&c);
		conf_path = NULL;
	} else if (ret < 0) {
		fprintf(stderr, "netpol-recorderd: %s\n", err);
		return 1;
	}
	rd_apply_overrides(&o, &c);
	rconf_absolute_paths(&c, NULL);
	if (rconf_validate(&c, err, sizeof(err)) < 0) {
		fprintf(stderr, "netpol-recorderd: %s%s%s\n",
		    conf_path ? conf_path : "", conf_path ? ": " : "", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (status)
		return cmd_status(&c);

	if (verbose == 0)
		log_setverbose(c.log_level);
	if (c.log_file[0] != '\0' && (ret = log_open_file(c.log_file)) < 0) {
		fprintf(stderr, "netpol-recorderd: log file %s: %s\n",
		    c.log_file, strerror(-ret));
		return 1;
	}
	if (repair)
		return cmd_repair(&c);
	o.conf_path = conf_path;
	ret = rd_run(&o, &c);
	log_close();
	return ret < 0 ? 1 : 0;
}
