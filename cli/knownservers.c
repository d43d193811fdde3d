/*
 * knownservers: the KnownServer set, longest-prefix matching, and the
 * `netpol-record known-servers import|list|delete` command.
 */
#include "cli/knownservers.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliopt.h"
#include "cli/cmds.h"
#include "cli/yamlout.h"

/* The entries of one (family, prefix length), for lookups. */
struct ks_len {
	uint8_t family, prefix;
	size_t first, n;	/* range in ks_set.idx */
};

struct ks_set {
	struct ks_entry *e;
	size_t n, cap;
	char **sources;		/* distinct, sorted */
	size_t nsources;
	/* Lookup index, rebuilt by the first ks_match after a change:
	 * entry numbers sorted by (family, prefix descending, network,
	 * entry order), and the (family, prefix) groups in that order. */
	size_t *idx;
	struct ks_len *lens;
	size_t nlens;
	bool dirty;
};

struct ks_set *
ks_set_new(void)
{
	return calloc(1, sizeof(struct ks_set));
}

void
ks_set_free(struct ks_set *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->e[i].source);
		free(ks->e[i].server);
		free(ks->e[i].name);
	}
	for (i = 0; i < ks->nsources; i++)
		free(ks->sources[i]);
	free(ks->sources);
	free(ks->e);
	free(ks->idx);
	free(ks->lens);
	free(ks);
}

static int
entry_cmp(const struct ks_entry *a, const struct ks_entry *b)
{
	int c;

	if ((c = addr_cmp(&a->cidr.addr, &b->cidr.addr)) != 0)
		return c;
	if (a->cidr.prefix != b->cidr.prefix)
		return a->cidr.prefix < b->cidr.prefix ? -1 : 1;
	if ((c = strcmp(a->source, b->source)) != 0)
		return c;
	if ((c = strcmp(a->server, b->server)) != 0)
		return c;
	return strcmp(a->name, b->name);
}

static int
add_source(struct ks_set *ks, const char *source)
{
	size_t lo = 0, hi = ks->nsources, mid;
	char **n, *s;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(ks->sources[mid], source);
		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if ((s = strdup(source)) == NULL)
		return -ENOMEM;
	n = realloc(ks->sources, (ks->nsources + 1) * sizeof(*n));
	if (n == NULL) {
		free(s);
		return -ENOMEM;
	}
	ks->sources = n;
	memmove(n + lo + 1, n + lo, (ks->nsources - lo) * sizeof(*n));
	n[lo] = s;
	ks->nsources++;
	return 0;
}

int
ks_add(struct ks_set *ks, const char *source, const struct addr_cidr *cidr,
    const char *server, const char *name)
{
	struct ks_entry e = { .cidr = *cidr }, *ne;
	size_t lo = 0, hi = ks->n, mid, ncap;
	int c;

	e.source = strdup(source ? source : "");
	e.server = strdup(server ? server : "");
	e.name = strdup(name ? name : "");
	if (e.source == NULL || e.server == NULL || e.name == NULL)
		goto nomem;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = entry_cmp(&ks->e[mid], &e);
		if (c == 0) {	/* the same entry twice: keep one */
			free(e.source);
			free(e.server);
			free(e.name);
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ks->n == ks->cap) {
		ncap = ks->cap ? ks->cap * 2 : 16;
		if ((ne = realloc(ks->e, ncap * sizeof(*ne))) == NULL)
			goto nomem;
		ks->e = ne;
		ks->cap = ncap;
	}
	if (add_source(ks, e.source) < 0)
		goto nomem;
	memmove(ks->e + lo + 1, ks->e + lo, (ks->n - lo) * sizeof(*ks->e));
	ks->e[lo] = e;
	ks->n++;
	ks->dirty = true;
	return 0;
nomem:
	free(e.source);
	free(e.server);
	free(e.name);
	return -ENOMEM;
}

static int
load_cb(const struct store_known_server *s, void *arg)
{
	struct addr_cidr c;

	if (addr_cidr_parse(s->cidr, &c) < 0)
		return 0;	/* not ours to repair: skip it */
	return ks_add(arg, s->source, &c, s->server, s->name);
}

int
ks_load_store(struct ks_set *ks, struct store *st)
{
	return store_known_servers_foreach(st, load_cb, ks);
}

size_t
ks_count(const struct ks_set *ks)
{
	return ks ? ks->n : 0;
}

const struct ks_entry *
ks_get(const struct ks_set *ks, size_t i)
{
	return ks != NULL && i < ks->n ? &ks->e[i] : NULL;
}

static const struct ks_set *sort_ks;	/* for idx_cmp; single-threaded */

static int
idx_cmp(const void *a, const void *b)
{
	const struct ks_entry *x = &sort_ks->e[*(const size_t *)a],
	    *y = &sort_ks->e[*(const size_t *)b];
	int c;

	if (x->cidr.addr.family != y->cidr.addr.family)
		return x->cidr.addr.family < y->cidr.addr.family ? -1 : 1;
	if (x->cidr.prefix != y->cidr.prefix)
		return x->cidr.prefix > y->cidr.prefix ? -1 : 1;
	if ((c = addr_cmp(&x->cidr.addr, &y->cidr.addr)) != 0)
		return c;
	/* Equal networks keep the entries' own order. */
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
build_index(struct ks_set *ks)
{
	const struct ks_entry *e;
	size_t i;

	free(ks->idx);
	free(ks->lens);
	ks->nlens = 0;
	ks->idx = malloc((ks->n + 1) * sizeof(*ks->idx));
	ks->lens = malloc((ks->n + 1) * sizeof(*ks->lens));
	if (ks->idx == NULL || ks->lens == NULL)
		return -ENOMEM;
	for (i = 0; i < ks->n; i++)
		ks->idx[i] = i;
	sort_ks = ks;
	if (ks->n > 1)
		qsort(ks->idx, ks->n, sizeof(*ks->idx), idx_cmp);
	sort_ks = NULL;
	for (i = 0; i < ks->n; i++) {
		e = &ks->e[ks->idx[i]];
		if (ks->nlens == 0 ||
		    ks->lens[ks->nlens - 1].family != e->cidr.addr.family ||
		    ks->lens[ks->nlens - 1].prefix != e->cidr.prefix) {
			ks->lens[ks->nlens].family = e->cidr.addr.family;
			ks->lens[ks->nlens].prefix = e->cidr.prefix;
			ks->lens[ks->nlens].first = i;
			ks->lens[ks->nlens++].n = 0;
		}
		ks->lens[ks->nlens - 1].n++;
	}
	ks->dirty = false;
	return 0;
}

/* Clear the host bits of c->addr beyond c->prefix. */
static void
mask_cidr(struct addr_cidr *c)
{
	size_t len = addr_len(&c->addr), i;
	unsigned bits = c->prefix;

	for (i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		c->addr.bytes[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

/* Linear scan: the reference, and the fallback without memory. */
static const struct ks_entry *
match_scan(const struct ks_set *ks, const struct addr *a)
{
	const struct ks_entry *best = NULL;
	size_t i;

	/* Entries are in (cidr, source, ...) order, so the first of the
	 * longest prefixes found is also the first in that order. */
	for (i = 0; i < ks->n; i++) {
		if (!addr_cidr_contains(&ks->e[i].cidr, a))
			continue;
		if (best == NULL || ks->e[i].cidr.prefix > best->cidr.prefix)
			best = &ks->e[i];
	}
	return best;
}

const struct ks_entry *
ks_match(const struct ks_set *ks, const struct addr *a)
{
	struct ks_set *mks = (struct ks_set *)(uintptr_t)ks;
	const struct ks_len *l;
	const struct ks_entry *e;
	struct addr_cidr net;
	size_t i, lo, hi, mid;
	int c;

	if (ks == NULL || ks->n == 0)
		return NULL;
	/* The index is a cache: building it does not change what the set
	 * holds, hence the cast. */
	if (ks->dirty && build_index(mks) < 0)
		return match_scan(ks, a);
	/* Longest prefix first: mask the address to each length present
	 * and look for that network among the entries of that length. */
	for (i = 0; i < ks->nlens; i++) {
		l = &ks->lens[i];
		if (l->family != a->family)
			continue;
		net.addr = *a;
		net.prefix = l->prefix;
		mask_cidr(&net);
		lo = l->first;
		hi = l->first + l->n;
		while (lo < hi) {	/* the first entry >= net */
			mid = (lo + hi) / 2;
			e = &ks->e[ks->idx[mid]];
			c = addr_cmp(&e->cidr.addr, &net.addr);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < l->first + l->n &&
		    addr_equal(&ks->e[ks->idx[lo]].cidr.addr, &net.addr))
			return &ks->e[ks->idx[lo]];
	}
	return NULL;
}

size_t
ks_nsources(const struct ks_set *ks)
{
	return ks ? ks->nsources : 0;
}

const char *
ks_source(const struct ks_set *ks, size_t i)
{
	return ks != NULL && i < ks->nsources ? ks->sources[i] : NULL;
}

/* ---- the command -------------------------------------------------------- */

static void
ks_usage(FILE *f)
{
	fprintf(f,
"usage: netpol-record known-servers import FILE... [--db PATH]\n"
"       netpol-record known-servers list [--db PATH] [-o text|yaml]\n"
"       netpol-record known-servers delete NAME... [--db PATH]\n"
"\n"
"KnownServer documents (kind: KnownServer, apiVersion:\n"
"spdx.softwarecomposition.kubescape.io/v1beta1) name address ranges:\n"
"exports write a matching address as the KnownServer's CIDR and name it.\n"
"\n"
"  import  read FILEs (multi-document YAML) and keep their entries in the\n"
"          store, replacing entries of the same metadata.name. A file\n"
"          with any error (file:line:column is printed) is not imported,\n"
"          and then nothing is: the exit code is 1.\n"
"  list    print the stored entries (text: SOURCE CIDR SERVER NAME, or\n"
"          yaml: KnownServer documents that import reads back)\n"
"  delete  remove every entry of the KnownServer named NAME\n"
"\n"
"  --db PATH   the store (default $NETPOL_RECORD_DB or %s)\n"
"  -o FORMAT   list's output format\n", STORE_DEFAULT_PATH);
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

/* KnownServer documents, one per source, for `list -o yaml`. */
static int
print_yaml(const struct ks_set *ks)
{
	json_object **docs = NULL, *doc, *meta, *spec, *item;
	const struct ks_entry *e;
	char cidr[ADDR_CIDR_STRLEN];
	size_t s, i, n = ks_nsources(ks);
	int rc;

	if (n > 0 && (docs = calloc(n, sizeof(*docs))) == NULL)
		return -ENOMEM;
	for (s = 0; s < n; s++) {
		doc = docs[s] = json_object_new_object();
		json_object_object_add(doc, "apiVersion",
		    json_object_new_string(
		    "spdx.softwarecomposition.kubescape.io/v1beta1"));
		json_object_object_add(doc, "kind",
		    json_object_new_string("KnownServer"));
		meta = json_object_new_object();
		json_object_object_add(meta, "name",
		    json_object_new_string(ks_source(ks, s)));
		json_object_object_add(doc, "metadata", meta);
		spec = json_object_new_array();
		for (i = 0; i < ks_count(ks); i++) {
			e = ks_get(ks, i);
			if (strcmp(e->source, ks_source(ks, s)) != 0)
				continue;
			item = json_object_new_object();
			json_object_object_add(item, "ipBlock",
			    json_object_new_string(addr_cidr_format(&e->cidr,
			    cidr, sizeof(cidr))));
			json_object_object_add(item, "name",
			    json_object_new_string(e->name));
			json_object_object_add(item, "server",
			    json_object_new_string(e->server));
			json_object_array_add(spec, item);
		}
		json_object_object_add(doc, "spec", spec);
	}
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
		{ "db", required_argument, NULL, CLIOPT_DB },
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
	if (o.ndbs != 1) {
		fprintf(stderr, "netpol-record known-servers: one --db only\n");
		ret = 2;
		goto out;
	}
	verb = argv[optind++];
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
		if ((rc = store_open(o.dbs[0], 0, &st)) < 0 ||
		    (rc = do_import(st, ks)) < 0) {
			fprintf(stderr, "netpol-record known-servers: %s: %s\n",
			    o.dbs[0], st ? store_errmsg(st) : strerror(-rc));
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
		if ((rc = store_open(o.dbs[0], STORE_OPEN_READONLY |
		    STORE_OPEN_NOCREATE, &st)) < 0 ||
		    (rc = ks_load_store(ks, st)) < 0) {
			fprintf(stderr, "netpol-record known-servers: %s: %s\n",
			    o.dbs[0], st ? store_errmsg(st) : strerror(-rc));
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
		if ((rc = store_open(o.dbs[0], STORE_OPEN_NOCREATE, &st)) < 0) {
			fprintf(stderr, "netpol-record known-servers: %s: %s\n",
			    o.dbs[0], strerror(-rc));
			goto out;
		}
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
