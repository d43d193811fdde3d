/*
 * attrib: who a conntrack event belongs to, decided in memory.
 *
 * Holds the pods attached on this node (a table read from the store by
 * the writer thread and handed over whole, recorderd/pods.h), their
 * workloads (recorderd/wltab.h: flow keys carry its handles), the node's
 * own addresses, the DNS answers each pod received, and the metadata
 * source (owners and labels, see recorderd/metasrc.h). attrib_event()
 * turns one event into at most two flow keys (the egress side of the
 * source pod, the ingress side of the destination pod). Nothing here
 * reads or writes the store: what the store must learn (workloads,
 * merges, which workload an attachment belongs to, DNS answers, nodes)
 * is queued and moved into the next flush by attrib_collect().
 *
 * Workloads: a pod that no metadata names yet is recorded as its own
 * workload (kind Pod, its namespace or "default", its name or the first
 * 12 characters of its container id); once metadata names its owner, the
 * pod is re-pointed to it in memory and the store merge of everything
 * recorded against the bare pod (store_workload_merge) is queued. A flow
 * is never dropped because metadata is late.
 */
#ifndef NPR_ATTRIB_H
#define NPR_ATTRIB_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/flow.h"
#include "recorderd/batch.h"
#include "recorderd/ct.h"
#include "recorderd/dns.h"
#include "recorderd/meta/kmeta.h"
#include "recorderd/pods.h"
#include "recorderd/wltab.h"

struct attrib;

struct attrib_conf {
	const char *meta_file;		/* metadata List file or NULL */
	const char *meta_kubeconfig;	/* kubeconfig or NULL */
	bool meta_in_cluster;
	uint32_t dns_cache;		/* entries */
	const char *node_name;		/* this node's (spec.nodeName), or
					 * NULL */
};

/* What one side of an event is recorded as. */
struct attrib_side {
	struct flow_key key;		/* workloads are wltab handles */
	const char *dns_name;		/* borrowed until the next call, or NULL */
};

/*
 * Create. Opens the metadata source when conf names one (a source that
 * cannot start is an error: -errno). No pods until attrib_set_pods().
 * *out freed with attrib_free().
 */
int attrib_new(const struct attrib_conf *conf, struct attrib **out);
void attrib_free(struct attrib *a);

/*
 * Take the attached pods over (pods is the attrib's from now on, freed
 * with it or with the next table). Pods seen before keep their workload;
 * new ones are resolved in memory (metadata owner, else the workload the
 * store already records them against, else the pod itself).
 */
void attrib_set_pods(struct attrib *a, struct pods *pods);

/* The store's table of pods held (borrowed), never NULL. */
const struct pods *attrib_pods(const struct attrib *a);

/*
 * An attachment the store does not have yet: announced by the CNI
 * plugin (its ADD), or made by the daemon (an adopted pod, one
 * recovered from the kernel's elements). It is attributed at once, and
 * wins its addresses over every attachment held; once a table that has
 * it is set (attrib_set_pods), the store's record takes over, with what
 * was learnt meanwhile (its workload, DNS answers). att is copied.
 * Announcing the same (container id, ifname) again replaces it.
 * 0 or -ENOMEM.
 */
int attrib_announce(struct attrib *a, const struct store_attachment *att);
/* The same for att[0..n), attribution's tables rebuilt once. */
int attrib_announce_many(struct attrib *a, const struct store_attachment *att,
    size_t n);

/*
 * The attachment (container id, ifname) is gone (CNI DEL, a released
 * adoption): its pod is not attributed any more, even while the store
 * table still has it (the detach may not be written yet).
 */
void attrib_forget(struct attrib *a, const char *container_id,
    const char *ifname);
/* The same for the keys of att[0..n), the tables rebuilt once. */
void attrib_forget_many(struct attrib *a, const struct store_attachment *att,
    size_t n);

/* The attachments attributed to now (the store's not forgotten, then
 * the announced ones), i from 0 to attrib_npods() - 1; borrowed until the
 * next change. */
const struct pods_pod *attrib_live(const struct attrib *a, int i);

/* The workloads, for what the handles in flow keys stand for. */
const struct wltab *attrib_wltab(const struct attrib *a);

/*
 * Attribute ev. Fills out[0..*n-1] (*n is 0, 1 or 2). Returns 0, or
 * -EAGAIN when neither end is a known local pod (the attachment may not
 * be read yet: retry once a newer pod table is set). Events with a
 * loopback end give 0 with *n = 0. Never touches the store.
 */
int attrib_event(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n);

/*
 * The same, except that an event with one end a known pod and the other
 * end an address that may be a pod of this node not known yet (the
 * metadata places it here, or it is in a known pod's network) gives
 * -EINPROGRESS: hold it until the attachments were read again, then
 * attribute it with attrib_event().
 */
int attrib_event_hold(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n);

/*
 * Remember the answers of a DNS response received by the pod holding
 * address dst. Returns the number of answers kept (0 when dst is not a
 * local pod).
 */
int attrib_dns(struct attrib *a, const struct addr *dst,
    const struct dns_answers *ans, int64_t now);

/*
 * Move everything queued for the store since the last call (workloads
 * added or changed, merges, attachments' workloads, DNS answers, nodes,
 * and attrib's counters) into b. Returns 0, or -ENOMEM with what did not
 * fit still queued for the next call.
 */
int attrib_collect(struct attrib *a, struct batch *b);

/* The metadata source's fd to poll, or -1. */
int attrib_meta_fd(const struct attrib *a);

/*
 * Apply metadata changes. A workload the metadata saw deleted (its
 * object, or a bare pod) is marked deleted in the workload table (the
 * next flush writes it: its TrafficProfiles go). Returns 1 when the
 * owners may have changed (call attrib_reattribute() when
 * attrib_reattribute_needed()), 0 when nothing changed, or -errno.
 */
int attrib_meta_process(struct attrib *a);

/*
 * Ask the metadata again what the attached pods' workloads are, and take
 * what changed of them (labels, selector, ports, uid) into the workload
 * table; a pod whose workload is another one now is left to
 * attrib_reattribute. Costs a metadata walk per pod: call it now and
 * then, not per change. Returns how many workloads changed, or -ENOMEM.
 */
int attrib_refresh_workloads(struct attrib *a);

/* The uid of node name as the metadata knows it (borrowed until the
 * next metadata change), NULL when unknown. */
const char *attrib_node_uid(const struct attrib *a, const char *name);

/* Is there a pod recorded as itself whose owner the metadata now knows? */
bool attrib_reattribute_needed(const struct attrib *a);

/* Re-point the pods still recorded as themselves to the owners the
 * metadata names, queueing the store merges. Returns 0 or -ENOMEM. */
int attrib_reattribute(struct attrib *a);

/* Number of pods held: the store's not forgotten, and the announced. */
int attrib_npods(const struct attrib *a);

/* The metadata cache (borrowed), or NULL without a source. */
const struct kmeta *attrib_meta(const struct attrib *a);

/* Is the metadata source configured but not yet available? */
bool attrib_meta_pending(const struct attrib *a);

/* For tests: add a node address (the node's own addresses are read at
 * start). */
void attrib_add_node_addr(struct attrib *a, const struct addr *ad);

#endif
