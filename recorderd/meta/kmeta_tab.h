/*
 * kmeta_tab: the metadata cache's storage: chained hash tables whose
 * links live inside the objects, shared reference-counted strings, and
 * the accounting of every byte the cache holds (struct kmem).
 */
#ifndef NPR_KMETA_TAB_H
#define NPR_KMETA_TAB_H

#include <stddef.h>
#include <stdint.h>

#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))

struct klink {
	struct klink *next;
	uint32_t hash;
};

struct ktab {
	struct klink **b;
	size_t nb;		/* power of two, or 0 */
	size_t count;
};

struct kstr {
	struct klink link;
	uint32_t refs;
	uint32_t len;
	char s[];
};

/* The cache's memory: its shared strings and the bytes it holds. */
struct kmem {
	struct ktab strs;
	size_t bytes;
};

/* "" for every empty string: not counted, never freed. */
extern char kmeta_str_empty[1];

void *kmeta_mem_alloc(struct kmem *mem, size_t n);
void kmeta_mem_free(struct kmem *mem, void *p);
uint32_t kmeta_hash(const void *data, size_t len, uint32_t seed);
uint32_t kmeta_hash_str(const char *s, uint32_t seed);
int kmeta_tab_insert(struct kmem *mem, struct ktab *t, struct klink *l,
    uint32_t hash);
void kmeta_tab_remove(struct ktab *t, struct klink *l);
struct klink *kmeta_tab_first(const struct ktab *t, uint32_t hash);
void kmeta_tab_free(struct kmem *mem, struct ktab *t);
const char *kmeta_str_get(struct kmem *mem, const char *s, size_t len);
const char *kmeta_str_dup(struct kmem *mem, const char *s);
void kmeta_str_put(struct kmem *mem, const char *s);

#endif
