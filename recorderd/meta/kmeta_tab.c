/*
 * kmeta_tab: the cache's hash tables (chained, links inside the objects),
 * its shared reference-counted strings and its memory accounting.
 */
#include "recorderd/meta/kmeta_tab.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

char kmeta_str_empty[1];

void *
kmeta_mem_alloc(struct kmem *mem, size_t n)
{
	void *p = calloc(1, n);

	if (p != NULL)
		mem->bytes += malloc_usable_size(p);
	return p;
}

void
kmeta_mem_free(struct kmem *mem, void *p)
{
	if (p == NULL)
		return;
	mem->bytes -= malloc_usable_size(p);
	free(p);
}

uint32_t
kmeta_hash(const void *data, size_t len, uint32_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t
kmeta_hash_str(const char *s, uint32_t seed)
{
	return kmeta_hash(s, strlen(s), seed);
}

/* ---- hash tables -------------------------------------------------------- */

static int
tab_grow(struct kmem *mem, struct ktab *t)
{
	size_t nb = t->nb == 0 ? 64 : t->nb * 2, i;
	struct klink **b, *l, *n;

	if ((b = kmeta_mem_alloc(mem, nb * sizeof(*b))) == NULL)
		return -ENOMEM;
	for (i = 0; i < t->nb; i++) {
		for (l = t->b[i]; l != NULL; l = n) {
			n = l->next;
			l->next = b[l->hash & (nb - 1)];
			b[l->hash & (nb - 1)] = l;
		}
	}
	kmeta_mem_free(mem, t->b);
	t->b = b;
	t->nb = nb;
	return 0;
}

int
kmeta_tab_insert(struct kmem *mem, struct ktab *t, struct klink *l,
    uint32_t hash)
{
	int r;

	if (t->count >= t->nb && (r = tab_grow(mem, t)) != 0)
		return r;
	l->hash = hash;
	l->next = t->b[hash & (t->nb - 1)];
	t->b[hash & (t->nb - 1)] = l;
	t->count++;
	return 0;
}

void
kmeta_tab_remove(struct ktab *t, struct klink *l)
{
	struct klink **pp;

	if (t->nb == 0)
		return;
	for (pp = &t->b[l->hash & (t->nb - 1)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			t->count--;
			return;
		}
	}
}

struct klink *
kmeta_tab_first(const struct ktab *t, uint32_t hash)
{
	return t->nb == 0 ? NULL : t->b[hash & (t->nb - 1)];
}

void
kmeta_tab_free(struct kmem *mem, struct ktab *t)
{
	kmeta_mem_free(mem, t->b);
	memset(t, 0, sizeof(*t));
}

/* ---- shared strings ------------------------------------------------------ */

const char *
kmeta_str_get(struct kmem *mem, const char *s, size_t len)
{
	uint32_t h;
	struct klink *l;
	struct kstr *k;

	if (len == 0)
		return kmeta_str_empty;
	h = kmeta_hash(s, len, 0);
	for (l = kmeta_tab_first(&mem->strs, h); l != NULL; l = l->next) {
		k = container_of(l, struct kstr, link);
		if (l->hash == h && k->len == len && memcmp(k->s, s,
		    len) == 0) {
			k->refs++;
			return k->s;
		}
	}
	if ((k = kmeta_mem_alloc(mem, sizeof(*k) + len + 1)) == NULL)
		return NULL;
	k->refs = 1;
	k->len = (uint32_t)len;
	memcpy(k->s, s, len);
	if (kmeta_tab_insert(mem, &mem->strs, &k->link, h) != 0) {
		kmeta_mem_free(mem, k);
		return NULL;
	}
	return k->s;
}

const char *
kmeta_str_dup(struct kmem *mem, const char *s)
{
	return kmeta_str_get(mem, s, strlen(s));
}

void
kmeta_str_put(struct kmem *mem, const char *s)
{
	struct kstr *k;

	if (s == NULL || s == kmeta_str_empty)
		return;
	k = container_of(s, struct kstr, s);
	if (--k->refs > 0)
		return;
	kmeta_tab_remove(&mem->strs, &k->link);
	kmeta_mem_free(mem, k);
}
