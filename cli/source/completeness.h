/*
 * completeness: the notes a source adds to the index (index_add_note)
 * about one node whose recording it holds: a store is one node's, the
 * cluster holds every publishing node's. Both sources say them with the
 * same words, so that the same recording gives the same warnings.
 *
 * A node's notes go to the namespaces it recorded traffic of in the
 * query (it fed flows the index keeps: compl_saw) and, for a publisher
 * that stopped publishing, to the namespaces it published profiles of
 * (compl_present).
 */
#ifndef NPR_CLI_SOURCE_COMPLETENESS_H
#define NPR_CLI_SOURCE_COMPLETENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct index_builder;

struct compl_node {
	char *name;		/* the node; owned; NULL when unknown */
	char *where;		/* what to call it then ("store n1.db");
				 * owned */
	int64_t events_lost;	/* events its recorder lost, or 0 */
	/* A publisher's (the cluster's): 0 when not known. */
	int64_t published_at;	/* its last publish */
	int64_t refresh;	/* its publish.refresh, seconds */
	bool stale;		/* published_at older than 2 x refresh */
	/* Namespaces, owned, unsorted, unique. */
	char **saw, **present;
	size_t nsaw, npresent;
};

/* Record that n fed flows of namespace ns that the index keeps (saw) or
 * holds data of ns at all (present). 0 or -ENOMEM. */
int compl_saw(struct compl_node *n, const char *ns);
int compl_present(struct compl_node *n, const char *ns);

/* Add n's notes to b: events lost (to the namespaces it saw), stopped
 * publishing (to those present). 0 or -ENOMEM. */
int compl_notes(const struct compl_node *n, struct index_builder *b);

void compl_node_clear(struct compl_node *n);

#endif
