/*
 * knownservers: the KnownServer set, longest-prefix matching, and
 * KnownServer documents read into a set.
 */
#include "cli/source/knownservers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/base/docs.h"
#include "lib/sort.h"

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
		sort_n(ks->idx, ks->n, sizeof(*ks->idx), idx_cmp);
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

/* ---- KnownServer documents ------------------------------------------------ */

#define KS_API_GROUP "spdx.softwarecomposition.kubescape.io/"
#define KS_API_VERSION KS_API_GROUP "v1beta1"
#define KS_OUR_GROUP "netpol-record.io/"
#define KS_OUR_VERSION KS_OUR_GROUP "v1alpha1"

struct ksparse {
	const char *fname;
	size_t docno;		/* from 1 */
	const char *source;	/* metadata.name once known */
	char *err;
	size_t errlen;
};

/* "fname: document N (KnownServer NAME): what", -EINVAL. */
static int __attribute__((format(printf, 2, 3)))
fail(struct ksparse *p, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (p->source != NULL)
		off = snprintf(p->err, p->errlen, "%s: document %zu "
		    "(KnownServer %s): ", p->fname, p->docno, p->source);
	else
		off = snprintf(p->err, p->errlen, "%s: document %zu: ",
		    p->fname, p->docno);
	if (off < 0 || (size_t)off >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A scalar field key of object o (what: the path to o, "spec[2]."): ""
 * when absent (an error when required) or null; an error when not a
 * scalar. */
static int
get_str(struct ksparse *p, json_object *o, const char *key, bool required,
    const char *what, const char **out)
{
	json_object *v = NULL;

	*out = "";
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (required)
			return fail(p, "missing field '%s%s'", what, key);
		return 0;
	}
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return fail(p, "%s%s must be a string", what, key);
	*out = json_object_get_string(v);
	if (required && **out == '\0')
		return fail(p, "%s%s is empty", what, key);
	return 0;
}

static int
parse_entry(struct ksparse *p, struct ks_set *into, json_object *item,
    size_t i)
{
	const char *cidr, *server, *name;
	struct addr_cidr c;
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "spec[%zu].", i);
	if (!json_object_is_type(item, json_type_object))
		return fail(p, "spec[%zu] must be a mapping with ipBlock, name "
		    "and server", i);
	if ((rc = get_str(p, item, "ipBlock", true, what, &cidr)) < 0 ||
	    (rc = get_str(p, item, "server", false, what, &server)) < 0 ||
	    (rc = get_str(p, item, "name", false, what, &name)) < 0)
		return rc;
	if (addr_cidr_parse(cidr, &c) < 0 || strchr(cidr, '/') == NULL)
		return fail(p, "%sipBlock: '%s' is not a CIDR (like "
		    "198.51.100.0/24 or 2001:db8::/48)", what, cidr);
	rc = ks_add(into, p->source, &c, server, name);
	if (rc < 0)
		snprintf(p->err, p->errlen, "%s: out of memory", p->fname);
	return rc;
}

static int
parse_doc(struct ksparse *p, struct ks_set *into, json_object *doc)
{
	const char *api, *kind, *source;
	json_object *meta, *spec;
	size_t i;
	int rc;

	if (!json_object_is_type(doc, json_type_object))
		return fail(p, "a KnownServer document must be a mapping");
	if ((rc = get_str(p, doc, "apiVersion", true, "", &api)) < 0 ||
	    (rc = get_str(p, doc, "kind", true, "", &kind)) < 0)
		return rc;
	if (strcmp(kind, "KnownServer") != 0)
		return fail(p, "kind is '%s', expected KnownServer", kind);
	if (strncmp(api, KS_API_GROUP, strlen(KS_API_GROUP)) != 0 &&
	    strncmp(api, KS_OUR_GROUP, strlen(KS_OUR_GROUP)) != 0)
		return fail(p, "apiVersion is '%s', expected %s or %s", api,
		    KS_API_VERSION, KS_OUR_VERSION);
	if (!json_object_object_get_ex(doc, "metadata", &meta) ||
	    meta == NULL)
		return fail(p, "missing field 'metadata'");
	if (!json_object_is_type(meta, json_type_object))
		return fail(p, "metadata must be a mapping");
	if ((rc = get_str(p, meta, "name", true, "metadata.", &source)) < 0)
		return rc;
	p->source = source;
	if (!json_object_object_get_ex(doc, "spec", &spec) || spec == NULL)
		return fail(p, "missing field 'spec'");
	if (!json_object_is_type(spec, json_type_array))
		return fail(p, "spec must be a list of {ipBlock, name, "
		    "server}");
	for (i = 0; i < json_object_array_length(spec); i++)
		if ((rc = parse_entry(p, into, json_object_array_get_idx(spec,
		    i), i)) < 0)
			return rc;
	return 0;
}

static void
copy_all(struct ks_set *dst, const struct ks_set *src, int *rc)
{
	const struct ks_entry *e;
	size_t i;

	for (i = 0; i < ks_count(src) && *rc == 0; i++) {
		e = ks_get(src, i);
		*rc = ks_add(dst, e->source, &e->cidr, e->server, e->name);
	}
}

/* Every KnownServer of docs into a scratch set, then into ks: an error
 * adds nothing. */
static int
add_docs(struct ks_set *ks, json_object *docs, const char *fname, char *err,
    size_t errlen)
{
	struct ksparse p = { .fname = fname, .err = err, .errlen = errlen };
	struct ks_set *tmp;
	json_object *doc;
	size_t i;
	int rc = 0;

	if ((tmp = ks_set_new()) == NULL)
		return -ENOMEM;
	for (i = 0; i < json_object_array_length(docs) && rc == 0; i++) {
		doc = json_object_array_get_idx(docs, i);
		p.docno = i + 1;
		p.source = NULL;
		if (doc != NULL)	/* an empty document */
			rc = parse_doc(&p, tmp, doc);
	}
	if (rc == 0)
		copy_all(ks, tmp, &rc);
	ks_set_free(tmp);
	return rc;
}

int
ks_parse_object(struct ks_set *ks, json_object *doc, const char *where,
    char *err, size_t errlen)
{
	json_object *docs = json_object_new_array();
	int rc;

	if (docs == NULL)
		return -ENOMEM;
	json_object_array_add(docs, json_object_get(doc));
	rc = add_docs(ks, docs, where, err, errlen);
	json_object_put(docs);
	return rc;
}

int
ks_parse_buf(struct ks_set *ks, const char *buf, size_t len,
    const char *fname, char *err, size_t errlen)
{
	json_object *docs;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if ((rc = docs_parse(buf, len, fname, &docs, err, errlen)) < 0)
		return rc;
	rc = add_docs(ks, docs, fname, err, errlen);
	json_object_put(docs);
	return rc;
}

int
ks_load_file(struct ks_set *ks, const char *path, char *err, size_t errlen)
{
	json_object *docs;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if ((rc = docs_read(path, &docs, err, errlen)) < 0)
		return rc;
	rc = add_docs(ks, docs, docs_name(path), err, errlen);
	json_object_put(docs);
	return rc;
}
