/*
 * attach: the attachments netpol-recorderd learns itself, besides those
 * it reads from the store.
 *
 *  - handed over: the CNI plugin's ADD and DEL (recorderd/release.h).
 *    The pod is attributed at once, before its first packet, and the
 *    daemon writes the record in its writer's transaction: the store's
 *    lock never holds up an ADD. A CNI ADD always wins its addresses:
 *    an adopted pod holding one is let go.
 *  - adopted: pods that were running before they were recorded, found in
 *    the metadata (recorderd/adopt.h decides which). Their addresses go
 *    into the table's sets in one batch, owned "adopted:<uid>/pod"; their
 *    connections already open get the mark bit (recorderd/ctmark.h), so
 *    that the next dump records them; an attachment record marked
 *    adopted is written. Kept true whenever the metadata or the
 *    attachments change: a pod gone, finished or readdressed is let go
 *    (elements removed, attachment closed).
 *  - recovered: elements in the table whose owner no attachment names
 *    (an ADD whose record was lost: the store locked while no daemon ran,
 *    a daemon killed before its writer wrote): the record is made from
 *    the elements (and the metadata, for the pod's identity).
 *
 * Each goes to attribution at once (attrib_announce, attrib_forget) and
 * to the store through the writer (writer_attach). Runs on the event
 * loop's thread: netlink (nftables, conntrack, a route lookup), never
 * the store.
 */
#ifndef NPR_ATTACH_H
#define NPR_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/attmsg.h"
#include "nft/nftrules.h"
#include "recorderd/attrib.h"
#include "recorderd/batch.h"
#include "recorderd/ctmark.h"
#include "recorderd/writer.h"

/* The least time between two adoption rounds (metadata may change many
 * times a second on a large cluster). */
#define ATTACH_ADOPT_MS 500
/* Between two looks for elements without an attachment. */
#define ATTACH_RECOVER_S 60

struct attach;

struct attach_conf {
	const char *node_name;		/* spec.nodeName of this node's pods */
	bool adopt;			/* adopt_running_pods */
	struct nftrules_conf nft;	/* the table's mark bit, NFLOG */
	/* Each connection an adopted pod had open (now marked), for the
	 * recorder (rec_ct_open); may be NULL. */
	ctmark_cb opened;
	void *opened_arg;
};

/*
 * Start: a netfilter socket of its own (without one, logged, it takes
 * what the plugin hands over but adopts and recovers nothing). at, w and
 * counts are borrowed (counts: where adoptions, adoption_releases and
 * attachments_recovered are added). 0 or -ENOMEM.
 */
int attach_new(const struct attach_conf *c, struct attrib *at,
    struct writer *w, struct batch_counts *counts, struct attach **out);
void attach_free(struct attach *k);

/* A configuration reload: adoption on or off, another mark bit. */
void attach_set_conf(struct attach *k, const struct attach_conf *c);

/* What the CNI plugin handed over, in the order it came. */
void attach_handed(struct attach *k, const struct attmsg *m, size_t n);

/* The metadata or the attachments changed: adopt again (not before
 * ATTACH_ADOPT_MS after the last round). */
void attach_changed(struct attach *k);

/* Milliseconds until an adoption round is due (0: now), or -1 when
 * nothing changed. */
int attach_adopt_due(const struct attach *k);

/*
 * Run the adoption round now (when the metadata is there: a source that
 * has not listed everything once waits). Returns how many pods were
 * adopted (their open connections marked and handed to conf's opened),
 * 0, or -errno of nftables.
 */
int attach_adopt(struct attach *k);

/*
 * Look for elements in the table whose owner no attachment names, and
 * make their attachments. Returns how many, or -errno of nftables.
 */
int attach_recover(struct attach *k);

#endif
