/*
 * tpread: TrafficProfile objects (install/kubernetes/README.md, "Reading
 * entries back into flows") fed into the index builder as the store
 * source feeds a store's rows: the profile's workload and the peer
 * workloads it names, one flow per peer item of spec.egress and
 * spec.ingress (a DNS peer: one per address, with the name), the node
 * addresses met, the namespace and the node's recording start. Nodes'
 * profiles of the same workload are merged by the index with
 * flow_merge(), as several stores are; the same connection seen as
 * egress on the client's node and ingress on the server's is two flows
 * of different subjects, never added together.
 *
 * A peer workload is named by reference ("Kind/name" in the object's
 * namespace, "namespace/Kind/name"), described only when the profile
 * lists it in spec.peerWorkloads (a peer no profile of its own
 * describes); the others get their details from their own profiles'
 * spec.workload: tp_reader_peers asks for one profile of each after the
 * scope's are read, and notes the peers none describes.
 *
 * Strict in what an item must be, lenient in skipping: an item that is
 * not an object, lacks a required field or has one of the wrong type is
 * skipped whole (nothing of it is fed), counted, and named with the
 * reason in a note of its namespace; never a crash. What the profiles
 * say is missing (entries left out for publish.max_entries, addresses of
 * a DNS name beyond 64) becomes notes of their workload.
 *
 * Pure: no I/O; items come in parsed, one at a time (the cluster source
 * splits list responses with cli/source/jsplit.h; so does the fuzz
 * target).
 */
#ifndef NPR_CLI_SOURCE_TPREAD_H
#define NPR_CLI_SOURCE_TPREAD_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/source/completeness.h"

struct index_builder;
struct source;
struct source_query;

/* What the profiles say of one node. */
struct tp_node {
	struct compl_node c;		/* name; namespaces it fed flows of
					 * (saw) and has profiles in (present) */
	int64_t recording_started;	/* the earliest of its profiles' */
	int64_t events_lost;		/* the largest of its profiles' */
	int64_t last_seen;		/* the latest lastSeen of its entries */
	size_t profiles;
};

struct tp_reader;

/* A reader feeding b for query q (both borrowed). 0 or -ENOMEM. */
int tp_reader_new(struct index_builder *b, const struct source_query *q,
    struct tp_reader **out);
void tp_reader_free(struct tp_reader *r);

/* One TrafficProfile (an item of a list: cli/source/jsplit.h; NULL: one
 * that was not JSON). 0 (fed, or skipped and noted) or -ENOMEM. */
int tp_reader_item(struct tp_reader *r, json_object *item);

/* Counts so far. */
size_t tp_reader_read(const struct tp_reader *r);	/* profiles fed */
size_t tp_reader_skipped(const struct tp_reader *r);	/* malformed */
/* The first skipped item, "ns/name: reason", or "" (for messages). */
const char *tp_reader_first_skipped(const struct tp_reader *r);

/*
 * How tp_reader_peers asks for a TrafficProfile of workload (ns, kind,
 * name): 0 and *item (a new reference, the reader puts it; NULL when
 * there is none, with why a clause saying so when more is known than
 * "none was found": "reading TrafficProfiles in namespace X is
 * forbidden"), or -errno to stop (the caller says why).
 */
typedef int (*tp_fetch_fn)(void *arg, const char *ns, const char *kind,
    const char *name, json_object **item, char *why, size_t whylen);

/*
 * After the scope's profiles: every workload the kept flows name as
 * their peer that no profile described (index_undescribed) is looked up
 * once with fetch (NULL: nowhere), and only the spec.workload of the
 * profile found is fed (its flows are the peer's, not the query's). Each
 * peer still without details gets a note in the namespaces of the
 * subjects that talk to it: which peer, why, and that its traffic is
 * left out of the policies rather than allowed to every pod of its
 * namespace (index_workload.described). 0, -ENOMEM or fetch's error.
 */
int tp_reader_peers(struct tp_reader *r, tp_fetch_fn fetch, void *arg);
/* Peers tp_reader_peers described, and those it could not. */
size_t tp_reader_peers_described(const struct tp_reader *r);
size_t tp_reader_peers_missing(const struct tp_reader *r);

/* The nodes met, in the order met; borrowed (the reader owns them). */
size_t tp_reader_nnodes(const struct tp_reader *r);
struct tp_node *tp_reader_node(struct tp_reader *r, size_t i);
/* The node named name, added when new; NULL on ENOMEM. */
struct tp_node *tp_reader_node_named(struct tp_reader *r, const char *name);

/*
 * A source (cli/source/source.h) of n list responses (pages[i], lens[i]
 * bytes; borrowed: they must outlive it) read as the cluster source reads
 * the API server's, item by item: the reader without a server, for tests
 * and the fuzzer. Peers are described only by the profiles of the pages
 * (tp_reader_peers without fetch). Its load fails (-EINVAL with err) on
 * a page that is no list. 0 or -ENOMEM.
 */
int tp_list_source_new(const char *const *pages, const size_t *lens,
    size_t n, struct source **out);

#endif
