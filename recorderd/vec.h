/*
 * vec: a growable array of elements of one size, for the daemon's queues
 * (attribution's merges and assignments, a batch's rows).
 */
#ifndef NPR_VEC_H
#define NPR_VEC_H

#include <stddef.h>

struct vec {
	void *v;		/* n elements of the caller's type */
	size_t n, cap;
};

/* Room for one more element of size bytes at the end (n grows by one),
 * or NULL without memory (v unchanged). The pointer is valid until the
 * next push. */
void *vec_push(struct vec *v, size_t size);

/* Free the elements (not v); v is empty again. */
void vec_free(struct vec *v);

#endif
