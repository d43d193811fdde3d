/*
 * nftstore: the store's attachments as nftables elements.
 *
 * nftstore_elems says, in one place, which elements a stored attachment
 * has; the plugin's ADD, DEL, CHECK and GC use it. nftstore_restore puts
 * back the elements of every pod the store says is attached: when table
 * inet netpol_record goes missing (a node reboot, someone deleting it),
 * every pod's elements are gone at once and its connections are no longer
 * marked; the plugin's ADD that had to create the table again and
 * `netpol-recorderd --repair` both restore them with it.
 *
 * Nothing here prints: failures are counted and handed to the caller's
 * callback, and the caller logs.
 */
#ifndef NPR_NFTSTORE_H
#define NPR_NFTSTORE_H

#include "lib/store.h"
#include "nft/nftrules.h"

/*
 * The elements of a stored attachment: owner "<container id>/<ifname>",
 * its host veth (none for macvlan/ipvlan) and its addresses. 0, or the
 * error of nftrules_elems_init (-EINVAL for a host interface name that is
 * too long, -E2BIG).
 */
int nftstore_elems(const struct store_attachment *a,
    struct nftrules_elems *e);

/* What nftstore_restore did. */
struct nftstore_count {
	int done;	/* attachments whose elements are in the table */
	int failed;	/* attachments whose elements could not be added */
};

/* Called once per attachment that failed, with the -errno it failed
 * with; a and its strings are valid during the call only. */
typedef void (*nftstore_fail_cb)(const struct store_attachment *a,
    int err, void *arg);

/*
 * For each attachment still attached in st (in id order) except skip
 * (same container id and ifname; NULL skips none), add its elements to the
 * table with one nftrules_attach() batch each, creating the table with c
 * first when it is missing. An attachment that fails is counted in
 * *count, handed to fail (may be NULL) with arg, and the walk goes on.
 *
 * Returns 0, or the store's error when the walk itself stopped (-EBUSY,
 * -EIO, ...; store_errmsg(st) says more); *count then holds what was done
 * before. nr and st stay the caller's.
 */
int nftstore_restore(struct nftrules *nr, const struct nftrules_conf *c,
    struct store *st, const struct store_attachment *skip,
    nftstore_fail_cb fail, void *arg, struct nftstore_count *count);

#endif
