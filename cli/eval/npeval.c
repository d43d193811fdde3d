/*
 * npeval: NetworkPolicy semantics (npeval_int.h tells how the work is
 * shared between the files of the family). This file holds the set:
 * adding documents (Lists, arrays, other kinds skipped, a later policy
 * replacing an earlier one of the same name), freeing, and the accessors.
 */
#include "cli/eval/npeval.h"
#include "cli/eval/npeval_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- freeing ----------------------------------------------------------- */

static void
sel_free(struct np_sel *s)
{
	size_t i, j;

	for (i = 0; i < s->nreq; i++) {
		free(s->req[i].key);
		for (j = 0; j < s->req[i].nvalues; j++)
			free(s->req[i].values[j]);
		free(s->req[i].values);
	}
	free(s->req);
	memset(s, 0, sizeof(*s));
}

static void
rule_free(struct np_rule *r)
{
	size_t i;

	for (i = 0; i < r->npeers; i++) {
		sel_free(&r->peers[i].pod);
		sel_free(&r->peers[i].ns);
		free(r->peers[i].except);
	}
	free(r->peers);
	for (i = 0; i < r->nports; i++)
		free(r->ports[i].name);
	free(r->ports);
}

static void
policy_free(struct np_policy *p)
{
	size_t d, i;

	free(p->name);
	free(p->ns);
	free(p->source);
	sel_free(&p->podsel);
	for (d = 0; d < 2; d++) {
		for (i = 0; i < p->nrules[d]; i++)
			rule_free(&p->rules[d][i]);
		free(p->rules[d]);
	}
	memset(p, 0, sizeof(*p));
}

int
npeval_set_new(struct npeval_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void
npeval_set_free(struct npeval_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		policy_free(&set->pol[i]);
	free(set->pol);
	json_object_put(set->nsmap);
	free(set);
}

/* ---- adding documents -------------------------------------------------- */

static int
set_push(struct npeval_set *set, struct np_policy **out)
{
	struct np_policy *np;
	size_t ncap;

	if (set->n == set->cap) {
		ncap = set->cap ? set->cap * 2 : 16;
		np = realloc(set->pol, ncap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		set->pol = np;
		set->cap = ncap;
	}
	*out = &set->pol[set->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static bool
is_list_kind(const char *kind)
{
	size_t n = strlen(kind);

	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

static int
add_any(struct npeval_set *set, json_object *o, const char *default_ns,
    const char *source, size_t *nskipped, char *err, size_t errlen)
{
	json_object *jk, *jv, *items;
	struct np_policy *p;
	const char *kind, *api;
	size_t i;
	int rc;

	if (o == NULL || json_object_is_type(o, json_type_null))
		return 0;	/* an empty YAML document */
	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++) {
			rc = add_any(set, json_object_array_get_idx(o, i),
			    default_ns, source, nskipped, err, errlen);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    (jk = npeval_get(o, "kind")) == NULL) {
		(*nskipped)++;
		return 0;
	}
	kind = npeval_jstr(jk);
	if (is_list_kind(kind) && (items = npeval_get(o, "items")) != NULL)
		return add_any(set, items, default_ns, source, nskipped, err,
		    errlen);
	/* Calico and others have kinds named NetworkPolicy with other
	 * semantics: only the Kubernetes one is evaluated. */
	jv = npeval_get(o, "apiVersion");
	api = jv ? npeval_jstr(jv) : "networking.k8s.io/v1";
	if (strcmp(kind, "NetworkPolicy") != 0 ||
	    strcmp(api, "networking.k8s.io/v1") != 0) {
		(*nskipped)++;
		return 0;
	}
	if ((rc = set_push(set, &p)) != 0)
		return rc;
	return npeval_compile_policy(o, default_ns, source, p, err, errlen);
}

/* A later policy with the namespace and name of an earlier one replaces
 * it, as a later `kubectl apply` would. */
static void
dedup(struct npeval_set *set)
{
	size_t i, j, w;

	for (i = 1; i < set->n; i++)
		for (j = 0; j < i; j++)
			if (set->pol[j].name != NULL &&
			    strcmp(set->pol[j].name, set->pol[i].name) == 0 &&
			    strcmp(set->pol[j].ns, set->pol[i].ns) == 0) {
				policy_free(&set->pol[j]);
				set->pol[j] = set->pol[i];
				memset(&set->pol[i], 0, sizeof(set->pol[i]));
				break;
			}
	for (i = w = 0; i < set->n; i++)
		if (set->pol[i].name != NULL)
			set->pol[w++] = set->pol[i];
	set->n = w;
}

int
npeval_set_add(struct npeval_set *set, json_object *obj,
    const char *default_ns, const char *source, size_t *nskipped,
    char *err, size_t errlen)
{
	size_t n0 = set->n, skipped = 0;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (default_ns == NULL)
		default_ns = "default";
	rc = add_any(set, obj, default_ns, source, &skipped, err, errlen);
	if (rc != 0) {
		if (rc == -ENOMEM && errlen > 0)
			snprintf(err, errlen, "out of memory");
		while (set->n > n0)
			policy_free(&set->pol[--set->n]);
		return rc;
	}
	if (nskipped != NULL)
		*nskipped += skipped;
	dedup(set);
	return 0;
}

void
npeval_set_namespaces(struct npeval_set *set, json_object *map)
{
	json_object_put(set->nsmap);
	set->nsmap = map != NULL ? json_object_get(map) : NULL;
}

size_t
npeval_set_count(const struct npeval_set *set)
{
	return set->n;
}

const char *
npeval_policy_name(const struct npeval_set *set, size_t i)
{
	return set->pol[i].name;
}

const char *
npeval_policy_namespace(const struct npeval_set *set, size_t i)
{
	return set->pol[i].ns;
}

const char *
npeval_policy_source(const struct npeval_set *set, size_t i)
{
	return set->pol[i].source;
}

bool
npeval_policy_has_dir(const struct npeval_set *set, size_t i, int dir)
{
	return set->pol[i].has_dir[dir];
}

void
npeval_policy_ipblocks(const struct npeval_set *set, size_t i,
    npeval_cidr_cb cb, void *arg)
{
	const struct np_policy *p = &set->pol[i];
	size_t d, j, k;

	for (d = 0; d < 2; d++)
		for (j = 0; j < p->nrules[d]; j++)
			for (k = 0; k < p->rules[d][j].npeers; k++)
				if (p->rules[d][j].peers[k].kind == PEER_IPBLOCK)
					cb(&p->rules[d][j].peers[k].cidr,
					    (int)d, arg);
}
