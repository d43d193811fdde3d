/*
 * vec: doubling from 16 elements.
 */
#include "recorderd/vec.h"

#include <stdlib.h>

void *
vec_push(struct vec *v, size_t size)
{
	void *nv;
	size_t ncap;

	if (v->n == v->cap) {
		ncap = v->cap ? v->cap * 2 : 16;
		if ((nv = realloc(v->v, ncap * size)) == NULL)
			return NULL;
		v->v = nv;
		v->cap = ncap;
	}
	return (char *)v->v + size * v->n++;
}

void
vec_free(struct vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}
