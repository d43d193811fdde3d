/*
 * table: the plugin's nftables table (nft/nftrules.h) as the daemon keeps
 * it: the rules must mark pod connections with the daemon's mark_bit and
 * send DNS answers to its NFLOG group, or nothing it listens for comes.
 *
 * On start, on a configuration reload and every TABLE_CHECK_S seconds the
 * rules are read back and compared with the daemon's configuration; rules
 * missing, or made for another configuration (a CNI plugin whose markBit
 * differs recreated the table, an earlier configuration of the daemon),
 * are rewritten in one batch with the elements kept, and that is logged
 * loudly. The daemon's configuration wins because the plugin only adds
 * elements to a table that exists: it writes rules only when it creates
 * the table. A deleted table is not recreated here (its elements are gone
 * with it): the next CNI ADD or --repair does that, and the check that
 * follows puts the daemon's rules in it.
 *
 * Runs on the event loop's thread; netlink only (one GETTABLE and a rule
 * dump per check), never the store.
 */
#ifndef NPR_TABLE_H
#define NPR_TABLE_H

#include <stdint.h>

#include "nft/nftrules.h"
#include "recorderd/pods.h"

#define TABLE_CHECK_S 5		/* seconds between checks */

struct table;

/*
 * Open a netfilter socket, create the table for c when it is missing
 * (so that the plugin's STATUS turns ready before the first pod), make
 * its rules c's and check that every pod of pods has its elements.
 * Failures are logged (the daemon still records what is marked); *out
 * is NULL only without memory or socket, and table_* take NULL.
 */
int table_open(const struct nftrules_conf *c, const struct pods *pods,
    struct table **out);
void table_close(struct table *t);

/*
 * A new configuration (reload): rewrite the rules for c now. Returns 0
 * (also when the table is gone: its next creation is checked), or the
 * -errno of the rewrite: the caller keeps the old configuration then.
 */
int table_set_conf(struct table *t, const struct nftrules_conf *c);

/* The periodic check: at most every TABLE_CHECK_S seconds of now. */
void table_watch(struct table *t, int64_t now, const struct pods *pods);

#endif
