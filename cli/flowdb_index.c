/*
 * flowdb_index: id -> workload and name -> workload hash maps (see
 * flowdb_index.h).
 */
#include "cli/flowdb_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
str_hash(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

int
flowdb_idmap_put(struct flowdb_idmap *m, int64_t id,
    struct flowdb_workload *w)
{
	size_t i, ncap;
	struct flowdb_idmap nm;

	if ((m->n + 1) * 2 > m->cap) {
		ncap = m->cap ? m->cap * 2 : 64;
		nm.keys = calloc(ncap, sizeof(*nm.keys));
		nm.vals = calloc(ncap, sizeof(*nm.vals));
		if (nm.keys == NULL || nm.vals == NULL) {
			free(nm.keys);
			free(nm.vals);
			return -ENOMEM;
		}
		nm.cap = ncap;
		nm.n = 0;
		for (i = 0; i < m->cap; i++)
			if (m->keys[i] != 0)
				flowdb_idmap_put(&nm, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	for (i = mix64((uint64_t)id) & (m->cap - 1); m->keys[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id) {
			m->vals[i] = w;
			return 0;
		}
	m->keys[i] = id;
	m->vals[i] = w;
	m->n++;
	return 0;
}

struct flowdb_workload *
flowdb_idmap_get(const struct flowdb_idmap *m, int64_t id)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = mix64((uint64_t)id) & (m->cap - 1); m->keys[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id)
			return m->vals[i];
	return NULL;
}

void
flowdb_idmap_free(struct flowdb_idmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t
wl_hash(const char *ns, const char *kind, const char *name)
{
	return str_hash(str_hash(str_hash(0xcbf29ce484222325ULL, ns), kind),
	    name);
}

struct flowdb_workload **
flowdb_namemap_slot(const struct flowdb_namemap *m, const char *ns,
    const char *kind, const char *name)
{
	struct flowdb_workload *w;
	size_t i;

	for (i = wl_hash(ns, kind, name) & (m->cap - 1);
	    (w = m->slots[i]) != NULL; i = (i + 1) & (m->cap - 1))
		if (strcmp(w->name, name) == 0 &&
		    strcmp(w->namespace_, ns) == 0 &&
		    strcmp(w->kind, kind) == 0)
			break;
	return &m->slots[i];
}

int
flowdb_namemap_put(struct flowdb_namemap *m, struct flowdb_workload *w)
{
	struct flowdb_namemap nm;
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		nm.cap = m->cap ? m->cap * 2 : 64;
		nm.n = 0;
		if ((nm.slots = calloc(nm.cap, sizeof(*nm.slots))) == NULL)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->slots[i] != NULL)
				flowdb_namemap_put(&nm, m->slots[i]);
		free(m->slots);
		*m = nm;
	}
	*flowdb_namemap_slot(m, w->namespace_, w->kind, w->name) = w;
	m->n++;
	return 0;
}
