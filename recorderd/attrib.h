/*
 * attrib: who a conntrack event belongs to.
 *
 * Holds in memory the pods attached on this node (from the store's
 * attachments, which the CNI plugin writes), their workloads, the node's
 * own addresses, the DNS answers each pod received, and the metadata
 * source (owners and labels, see recorderd/metasrc.h). attrib_event()
 * turns one event into at most two flow keys (the egress side of the
 * source pod, the ingress side of the destination pod).
 *
 * Workloads: a pod that no metadata names yet is recorded as its own
 * workload (kind Pod, its namespace or "default", its name or the first
 * 12 characters of its container id); once metadata names its owner,
 * everything recorded is moved with store_workload_merge(). A flow is
 * never dropped because metadata is late.
 */
#ifndef NPR_ATTRIB_H
#define NPR_ATTRIB_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/store.h"
#include "recorderd/agg.h"
#include "recorderd/ct.h"
#include "recorderd/dns.h"

struct attrib;

struct attrib_conf {
	const char *meta_file;		/* metadata List file or NULL */
	const char *meta_kubeconfig;	/* kubeconfig or NULL */
	bool meta_in_cluster;
	uint32_t dns_cache;		/* entries */
};

/* What one side of an event is recorded as. */
struct attrib_side {
	struct flow_key key;
	const char *dns_name;		/* borrowed until the next call, or NULL */
};

/*
 * Create with the store st (borrowed, must outlive the attrib). Opens the
 * metadata source when conf names one (a source that cannot start is an
 * error: -errno). Loads the attachments. *out freed with attrib_free().
 */
int attrib_new(struct store *st, const struct attrib_conf *conf,
    struct attrib **out);
void attrib_free(struct attrib *a);

/* Re-read the attachments when the store changed since the last read, or
 * always when force. Returns 1 when reloaded, 0 when not, or -errno. */
int attrib_reload(struct attrib *a, bool force);

/*
 * Our own writes move the store's data_version too. Call
 * attrib_version_fresh() before writing: true when nobody else changed
 * the store since our last read of the attachments. If it was fresh, call
 * attrib_note_own_write() after writing, so that our writes alone do not
 * cause a reload; if it was not, the next attrib_reload() reads again.
 */
bool attrib_version_fresh(struct attrib *a);
void attrib_note_own_write(struct attrib *a);

/*
 * Attribute ev. Fills out[0..*n-1] (*n is 0, 1 or 2). Returns 0, or
 * -EAGAIN when neither end is a known local pod (the attachment may not
 * be read yet: retry after attrib_reload), or -errno from the store.
 * Events with a loopback end give 0 with *n = 0.
 */
int attrib_event(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n);

/*
 * Remember the answers of a DNS response received by the pod holding
 * address dst. Returns the number of answers kept (0 when dst is not a
 * local pod).
 */
int attrib_dns(struct attrib *a, const struct addr *dst,
    const struct dns_answers *ans, int64_t now);

/* Write the DNS answers remembered since the last call. */
int attrib_dns_flush(struct attrib *a);

/* The metadata source's fd to poll, or -1. */
int attrib_meta_fd(const struct attrib *a);

/*
 * Apply metadata changes. Returns 1 when the owners may have changed:
 * the caller must first flush its aggregates (they hold workload ids)
 * and then call attrib_reattribute(). 0 when nothing changed, or -errno.
 */
int attrib_meta_process(struct attrib *a);

/* Is there a pod recorded as itself whose owner the metadata now knows? */
bool attrib_reattribute_needed(const struct attrib *a);

/* Resolve again the workloads of pods still recorded as themselves,
 * merging in the store what was recorded. Returns 0 or -errno. */
int attrib_reattribute(struct attrib *a);

/* Number of pods held (for logs and tests). */
int attrib_npods(const struct attrib *a);

/* Is the metadata source configured but not yet available? */
bool attrib_meta_pending(const struct attrib *a);

/* For tests: add a node address (the node's own addresses are read at
 * start). */
void attrib_add_node_addr(struct attrib *a, const struct addr *ad);

#endif
