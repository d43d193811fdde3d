/*
 * knownservers: `netpol-record known-servers import|list|delete`, the
 * KnownServer entries a store keeps.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/base/prog.h"
#include "cli/cmd/cliopt.h"
#include "cli/cmd/cmds.h"
#include "cli/gen/yamlout.h"
#include "cli/source/knownservers.h"
#include "cli/source/kube.h"
#include "cli/source/store_source.h"
#include "lib/store.h"

static void
ks_usage(FILE *f)
{
	fprintf(f,
"usage: %s known-servers import FILE... [--db PATH | --cluster\n"
"           [--kubeconfig FILE] [--context NAME]]\n"
"       %s known-servers list [--db PATH] [-o text|yaml]\n"
"       %s known-servers delete NAME... [--db PATH]\n"
"\n"
"KnownServer documents (kind: KnownServer, apiVersion:\n"
"spdx.softwarecomposition.kubescape.io/v1beta1) name address ranges:\n"
"exports write a matching address as the KnownServer's CIDR and name it.\n"
"\n"
"  import  read FILEs (multi-document YAML) and keep their entries in the\n"
"          store, replacing entries of the same metadata.name. A file\n"
"          with any error (the file and where in it are printed) is not\n"
"          imported, and then nothing is: the exit code is 1. Each file\n"
"          is read up to 64 MiB ($NETPOL_RECORD_MAX_INPUT: 256M, 1G\n"
"          for more). With --cluster, create or update each as a\n"
"          KnownServer of the cluster (netpol-record.io/v1alpha1,\n"
"          server-side apply), which every --cluster export then uses\n"
"  list    print the stored entries (text: SOURCE CIDR SERVER NAME, or\n"
"          yaml: KnownServer documents that import reads back)\n"
"  delete  remove every entry of the KnownServer named NAME\n"
"\n"
"  --db PATH   the store (default $NETPOL_RECORD_DB or %s)\n"
"  --cluster, --kubeconfig FILE, --context NAME  import into the cluster\n"
"  -o FORMAT   list's output format\n", prog_name(), prog_name(),
	    prog_name(), STORE_DEFAULT_PATH);
}

static int
stored_cb(const struct store_known_server *s, void *arg)
{
	struct addr_cidr c;

	if (addr_cidr_parse(s->cidr, &c) < 0)
		return 0;	/* not ours to repair: skip it */
	return ks_add(arg, s->source, &c, s->server, s->name);
}

/* The store of o opened with flags, or a message saying why not. */
static struct store *
open_store(const struct cliopt *o, int flags)
{
	struct store *st = NULL;
	char err[512];
	int rc;

	if ((rc = store_open(o->dbs[0], flags, &st)) < 0) {
		store_source_explain(o->dbs[0], rc, err, sizeof(err));
		fprintf(stderr, "netpol-record known-servers: %s\n", err);
	}
	return st;
}

static int
do_import(struct store *st, struct ks_set *ks)
{
	struct store_known_server *rows = NULL;
	const struct ks_entry *e;
	const char *src;
	size_t s, i, n;
	int rc = 0;

	if ((rows = calloc(ks_count(ks) + 1, sizeof(*rows))) == NULL)
		return -ENOMEM;
	for (s = 0; s < ks_nsources(ks) && rc == 0; s++) {
		src = ks_source(ks, s);
		for (i = 0, n = 0; i < ks_count(ks); i++) {
			e = ks_get(ks, i);
			if (strcmp(e->source, src) != 0)
				continue;
			memset(&rows[n], 0, sizeof(rows[n]));
			snprintf(rows[n].source, sizeof(rows[n].source), "%s",
			    e->source);
			addr_cidr_format(&e->cidr, rows[n].cidr,
			    sizeof(rows[n].cidr));
			snprintf(rows[n].server, sizeof(rows[n].server), "%s",
			    e->server);
			snprintf(rows[n].name, sizeof(rows[n].name), "%s",
			    e->name);
			n++;
		}
		rc = store_known_servers_replace(st, src, rows, n);
	}
	free(rows);
	return rc;
}

/* The KnownServer document of source src in ks (apiVersion api): what
 * `list -o yaml` prints and `import --cluster` applies. */
static json_object *
ks_document(const struct ks_set *ks, const char *src, const char *api)
{
	json_object *doc, *meta, *spec, *item;
	const struct ks_entry *e;
	char cidr[ADDR_CIDR_STRLEN];
	size_t i;

	doc = json_object_new_object();
	json_object_object_add(doc, "apiVersion", json_object_new_string(api));
	json_object_object_add(doc, "kind",
	    json_object_new_string("KnownServer"));
	meta = json_object_new_object();
	json_object_object_add(meta, "name", json_object_new_string(src));
	json_object_object_add(doc, "metadata", meta);
	spec = json_object_new_array();
	for (i = 0; i < ks_count(ks); i++) {
		e = ks_get(ks, i);
		if (strcmp(e->source, src) != 0)
			continue;
		item = json_object_new_object();
		json_object_object_add(item, "ipBlock",
		    json_object_new_string(addr_cidr_format(&e->cidr, cidr,
		    sizeof(cidr))));
		json_object_object_add(item, "name",
		    json_object_new_string(e->name));
		json_object_object_add(item, "server",
		    json_object_new_string(e->server));
		json_object_array_add(spec, item);
	}
	json_object_object_add(doc, "spec", spec);
	return doc;
}

/* Apply every KnownServer of ks to the cluster as ours. */
static int
import_cluster(struct cliopt *o, const struct ks_set *ks)
{
	struct kube *k;
	json_object *doc;
	char err[1024], path[512];
	const char *src;
	bool created;
	size_t s;
	int rc;

	if ((rc = cliopt_kube(o, &k, err, sizeof(err))) < 0) {
		fprintf(stderr, "netpol-record known-servers: %s\n", err);
		return rc;
	}
	for (s = 0; s < ks_nsources(ks); s++) {
		src = ks_source(ks, s);
		if ((doc = ks_document(ks, src, "netpol-record.io/v1alpha1")) ==
		    NULL)
			return -ENOMEM;
		snprintf(path, sizeof(path),
		    "/apis/netpol-record.io/v1alpha1/knownservers/%s", src);
		rc = kube_apply(k, path, json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		    "netpol-record", &created, err, sizeof(err));
		json_object_put(doc);
		if (rc == -ENOENT)
			snprintf(err, sizeof(err), "the cluster %s serves no "
			    "KnownServers of netpol-record.io: their CRD is not "
			    "installed (kubectl apply -f install/kubernetes/)",
			    kube_describe(k));
		if (rc < 0) {
			fprintf(stderr, "netpol-record known-servers: "
			    "KnownServer %s: %s\n", src, err);
			return rc;
		}
		printf("KnownServer %s %s in %s\n", src, created ? "created" :
		    "updated", kube_describe(k));
	}
	return 0;
}

/* KnownServer documents, one per source, for `list -o yaml`. */
static int
print_yaml(const struct ks_set *ks)
{
	json_object **docs = NULL;
	size_t s, n = ks_nsources(ks);
	int rc;

	if (n > 0 && (docs = calloc(n, sizeof(*docs))) == NULL)
		return -ENOMEM;
	for (s = 0; s < n; s++)
		docs[s] = ks_document(ks, ks_source(ks, s),
		    "spdx.softwarecomposition.kubescape.io/v1beta1");
	rc = yamlout_write(stdout, docs, n);
	for (s = 0; s < n; s++)
		json_object_put(docs[s]);
	free(docs);
	return rc;
}

static void
print_text(const struct ks_set *ks)
{
	const struct ks_entry *e;
	char cidr[ADDR_CIDR_STRLEN];
	size_t i;

	printf("%-20s %-22s %-28s %s\n", "SOURCE", "CIDR", "SERVER", "NAME");
	for (i = 0; i < ks_count(ks); i++) {
		e = ks_get(ks, i);
		printf("%-20s %-22s %-28s %s\n", e->source,
		    addr_cidr_format(&e->cidr, cidr, sizeof(cidr)),
		    *e->server ? e->server : "-", *e->name ? e->name : "-");
	}
}

enum { KS_OPT_OUTPUT = 'o' };

int
cmd_known_servers(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLIOPT_SOURCE_LONGOPTS,
		{ "output", required_argument, NULL, KS_OPT_OUTPUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cliopt o;
	struct store *st = NULL;
	struct ks_set *ks = NULL;
	const char *verb, *format = "text";
	char err[512];
	int c, i, rc, ret = 1, nbad = 0;

	cliopt_init(&o);
	optind = 0;	/* GNU: a full re-initialisation */
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (c == 'h') {
			ks_usage(stdout);
			ret = 0;
			goto out;
		}
		if (c == KS_OPT_OUTPUT) {
			format = optarg;
			continue;
		}
		rc = cliopt_handle(&o, c, optarg, err, sizeof(err));
		if (rc == 1)
			continue;
		if (rc < 0)
			fprintf(stderr, "netpol-record known-servers: %s\n",
			    err);
		else
			ks_usage(stderr);
		ret = 2;
		goto out;
	}
	if (optind >= argc || cliopt_finish(&o, false, err, sizeof(err)) < 0) {
		ks_usage(stderr);
		ret = 2;
		goto out;
	}
	verb = argv[optind++];
	if (o.cluster && strcmp(verb, "import") != 0) {
		fprintf(stderr, "netpol-record known-servers: %s reads the "
		    "stores; in the cluster, kubectl get/delete "
		    "knownservers.netpol-record.io\n", verb);
		ret = 2;
		goto out;
	}
	if (!o.cluster && o.ndbs != 1) {
		fprintf(stderr, "netpol-record known-servers: one --db only\n");
		ret = 2;
		goto out;
	}
	if ((ks = ks_set_new()) == NULL)
		goto out;
	if (strcmp(verb, "import") == 0) {
		if (optind >= argc) {
			ks_usage(stderr);
			ret = 2;
			goto out;
		}
		/* Parse every file before touching the store. */
		for (i = optind; i < argc; i++) {
			if (ks_load_file(ks, argv[i], err, sizeof(err)) < 0) {
				fprintf(stderr, "%s\n", err);
				nbad++;
			}
		}
		if (nbad > 0) {
			fprintf(stderr, "netpol-record known-servers: nothing "
			    "imported (%d file%s with errors)\n", nbad,
			    nbad == 1 ? "" : "s");
			goto out;
		}
		if (o.cluster) {
			ret = import_cluster(&o, ks) < 0;
			goto out;
		}
		if ((st = open_store(&o, 0)) == NULL)
			goto out;
		if ((rc = do_import(st, ks)) < 0) {
			fprintf(stderr, "netpol-record known-servers: %s: %s\n",
			    o.dbs[0], store_errmsg(st));
			goto out;
		}
		printf("imported %zu entr%s from %zu KnownServer%s\n",
		    ks_count(ks), ks_count(ks) == 1 ? "y" : "ies",
		    ks_nsources(ks), ks_nsources(ks) == 1 ? "" : "s");
		ret = 0;
	} else if (strcmp(verb, "list") == 0) {
		if (strcmp(format, "text") != 0 && strcmp(format, "yaml") != 0) {
			fprintf(stderr, "netpol-record known-servers: -o takes "
			    "text or yaml\n");
			ret = 2;
			goto out;
		}
		if ((st = open_store(&o, STORE_OPEN_READONLY |
		    STORE_OPEN_NOCREATE)) == NULL)
			goto out;
		if ((rc = store_known_servers_foreach(st, stored_cb,
		    ks)) < 0) {
			fprintf(stderr, "netpol-record known-servers: %s: %s\n",
			    o.dbs[0], store_errmsg(st));
			goto out;
		}
		if (strcmp(format, "yaml") == 0)
			rc = print_yaml(ks);
		else
			print_text(ks);
		ret = rc < 0 ? 1 : 0;
	} else if (strcmp(verb, "delete") == 0) {
		if (optind >= argc) {
			ks_usage(stderr);
			ret = 2;
			goto out;
		}
		if ((st = open_store(&o, STORE_OPEN_NOCREATE)) == NULL)
			goto out;
		ret = 0;
		for (i = optind; i < argc; i++) {
			rc = store_known_servers_delete(st, argv[i]);
			if (rc == -ENOENT) {
				fprintf(stderr, "netpol-record known-servers: "
				    "no KnownServer named '%s'\n", argv[i]);
				ret = 1;
			} else if (rc < 0) {
				fprintf(stderr, "netpol-record known-servers: "
				    "%s: %s\n", o.dbs[0], store_errmsg(st));
				ret = 1;
			}
		}
	} else {
		fprintf(stderr, "netpol-record known-servers: unknown action "
		    "'%s'\n", verb);
		ks_usage(stderr);
		ret = 2;
	}
out:
	store_close(st);
	ks_set_free(ks);
	cliopt_free(&o);
	return ret;
}
