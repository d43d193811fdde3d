/*
 * nftrules: the node's audit-only nftables table, built with libnftnl and
 * sent with libmnl (no nft command, no libnftables).
 *
 *   table inet netpol_record {
 *     set pod_v4  { type ipv4_addr; }      pod addresses
 *     set pod_v6  { type ipv6_addr; }
 *     set pod_ifs { type ifname; }         host-side veths of pods
 *     chain prerouting { type filter hook prerouting priority -90; ... }
 *     chain output     { type filter hook output priority -90; ... }
 *   }
 *
 * A constant number of rules; pods are set elements. Every element carries
 * its owner "<container id>/<ifname>" as an nftables comment (element
 * userdata), so CHECK, GC and --repair can work from the kernel's view.
 * nft/README.md says why each hook and priority.
 *
 * Two layers:
 *  - builders (pure): nftrules_build_*() write netlink messages into a
 *    caller's mnl_nlmsg_batch and touch no socket; tests parse them back;
 *  - netlink (one socket, one batch per change): nftrules_open(),
 *    nftrules_attach(), nftrules_detach(), nftrules_lookup(),
 *    nftrules_list(), nftrules_ensure_table(), nftrules_destroy_table().
 *
 * All functions return 0 or -errno (as the kernel reported it: -ENOENT
 * when the table or a set is missing, -EEXIST, -EPERM without
 * CAP_NET_ADMIN, -EOPNOTSUPP on kernels without nf_tables). Nothing here
 * prints or exits.
 */
#ifndef NPR_NFTRULES_H
#define NPR_NFTRULES_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "lib/addr.h"

#define NFTRULES_TABLE		"netpol_record"
#define NFTRULES_SET_V4		"pod_v4"
#define NFTRULES_SET_V6		"pod_v6"
#define NFTRULES_SET_IFS	"pod_ifs"
#define NFTRULES_CHAIN_PRE	"prerouting"
#define NFTRULES_CHAIN_OUT	"output"
#define NFTRULES_PRIORITY	(-90)

#define NFTRULES_DEFAULT_MARK_BIT	0x00100000u
#define NFTRULES_DEFAULT_NFLOG_GROUP	7301
#define NFTRULES_DEFAULT_SNAPLEN	1500

/* Owner comment "<container id>/<ifname>", truncated to fit what nft
 * prints as a comment (NFTNL_UDATA_COMMENT_MAXLEN, 128 with the NUL). */
#define NFTRULES_OWNER_LEN	128
/* Keys per attachment: one host ifname and up to 8 addresses. */
#define NFTRULES_MAX_KEYS	9
/* Buffer a caller gives nftrules_build_*() for one whole batch (the
 * create batch is about 3 KiB; mnl batches need twice their limit). */
#define NFTRULES_BATCH_LIMIT	16384
#define NFTRULES_BATCH_BUFSIZE	(2 * NFTRULES_BATCH_LIMIT)

/* NFT_MSG_DESTROYSETELEM (Linux >= 6.3): delete, and no error when the
 * element is already gone. Older uapi headers lack it. */
#ifndef NFT_MSG_DESTROYSETELEM
#define NFT_MSG_DESTROYSETELEM 30
#endif

struct nftrules_conf {
	uint32_t mark_bit;	/* exactly one bit set */
	uint16_t nflog_group;
	uint16_t snaplen;	/* bytes of a DNS answer copied to NFLOG */
};

enum nftrules_kind {
	NFTRULES_KEY_IFNAME = 0,	/* set pod_ifs */
	NFTRULES_KEY_V4 = 1,		/* set pod_v4 */
	NFTRULES_KEY_V6 = 2,		/* set pod_v6 */
};

struct nftrules_key {
	uint8_t kind;			/* enum nftrules_kind */
	struct addr addr;		/* V4, V6 */
	char ifname[IFNAMSIZ];		/* IFNAME */
};

/* One attachment's elements. */
struct nftrules_elems {
	char owner[NFTRULES_OWNER_LEN];
	int nkeys;
	struct nftrules_key keys[NFTRULES_MAX_KEYS];
};

/* One element as the kernel holds it (nftrules_list, nftrules_lookup). */
struct nftrules_elem {
	struct nftrules_key key;
	char owner[NFTRULES_OWNER_LEN];	/* "" when it has no comment */
	bool present;			/* nftrules_lookup: found */
};

/* Defaults: mark bit 0x00100000, group 7301, snaplen 1500. */
void nftrules_conf_init(struct nftrules_conf *c);
/* 0 when c is usable (a single mark bit, snaplen > 0), else -EINVAL. */
int nftrules_conf_check(const struct nftrules_conf *c);

/* "<container_id>/<ifname>" into buf (NFTRULES_OWNER_LEN), truncated. */
void nftrules_owner_format(char *buf, const char *container_id,
    const char *ifname);

/*
 * Fill *e with owner(container_id, ifname), the host interface (NULL or ""
 * for none) and n addresses (IPv4 and IPv6 mixed, loopback and unset ones
 * skipped, duplicates dropped). -E2BIG when they do not fit.
 */
int nftrules_elems_init(struct nftrules_elems *e, const char *container_id,
    const char *ifname, const char *host_ifname, const struct addr *addrs,
    int n);

/* ---- builders: pure, into a caller's batch --------------------------- */

/*
 * Start a batch in buf (NFTRULES_BATCH_BUFSIZE bytes) and write BATCH_BEGIN.
 * *seq is the next sequence number and is advanced for every message.
 * The caller frees the returned batch with mnl_nlmsg_batch_stop(); NULL
 * when out of memory.
 */
struct mnl_nlmsg_batch *nftrules_batch_start(void *buf, uint32_t *seq);
/* The same in a buffer of 2 * limit bytes. */
struct mnl_nlmsg_batch *nftrules_batch_start_size(void *buf, size_t limit,
    uint32_t *seq);
/* Bytes of batch one attachment's elements take at most (with the
 * messages' headers), for sizing nftrules_add_many()'s. */
#define NFTRULES_ELEMS_MAX_BYTES 2048
/* Write BATCH_END. -ENOSPC if the batch overflowed. */
int nftrules_batch_finish(struct mnl_nlmsg_batch *b, uint32_t *seq);

/*
 * The table (NLM_F_CREATE|NLM_F_EXCL: -EEXIST in the kernel when it is
 * already there), its three sets, two base chains and all rules.
 * -EINVAL on a bad conf, -ENOMEM, -ENOSPC when b is full.
 */
int nftrules_build_create(struct mnl_nlmsg_batch *b, uint32_t *seq,
    const struct nftrules_conf *c);

/*
 * Rewrite the rules for c, keeping everything else: the sets and chains
 * (NLM_F_CREATE without EXCL: the ones there stay, with their elements;
 * missing ones are made), a flush of both chains, then every rule for c.
 * For a table that exists; in one batch, so packets see the old rules or
 * the new ones, never none. Errors as nftrules_build_create().
 */
int nftrules_build_rewrite(struct mnl_nlmsg_batch *b, uint32_t *seq,
    const struct nftrules_conf *c);

/*
 * The elements of e, one message per set that has keys: msg_type
 * NFT_MSG_NEWSETELEM (added with e->owner as comment; an existing key is
 * kept as is) or NFT_MSG_DESTROYSETELEM (removed; absent keys are fine).
 */
int nftrules_build_elems(struct mnl_nlmsg_batch *b, uint32_t *seq,
    int msg_type, const struct nftrules_elems *e);

/* Parse a NEWSETELEM message (a dump reply) and call cb per element. */
typedef int (*nftrules_elem_cb)(const struct nftrules_elem *el, void *arg);
int nftrules_parse_elems(const struct nlmsghdr *nlh, nftrules_elem_cb cb,
    void *arg);

/* What one rule of the table does, as read back from a NEWRULE message
 * (a dump reply): what the check of the table compares with a conf. */
struct nftrules_rule_info {
	char chain[32];
	bool marks;			/* sets the ct mark ... */
	uint32_t mark_bit;		/* ... with this bit */
	bool logs;			/* sends to NFLOG ... */
	uint16_t group;			/* ... this group */
	uint32_t snaplen;		/* ... copying this much */
};

/* Read one rule back. -ENOENT for a rule of another table, -EBADMSG. */
int nftrules_parse_rule(const struct nlmsghdr *nlh,
    struct nftrules_rule_info *out);

/* How many rules of chain mark (*marks) and log (*logs); returns the
 * sum, as nftrules_expected_rules(). */
int nftrules_expected_marks(const char *chain, int *marks, int *logs);

/* ---- netlink ----------------------------------------------------------- */

struct nftrules;

/* One NETLINK_NETFILTER socket in the caller's current netns. */
int nftrules_open(struct nftrules **out);
void nftrules_close(struct nftrules *nr);

/* The socket's file descriptor (borrowed), e.g. to dup() it so that its
 * release happens elsewhere: see cni/main.c. */
int nftrules_fd(const struct nftrules *nr);

/* 1 when the table exists, 0 when not, or -errno. */
int nftrules_table_exists(struct nftrules *nr);

/* Create table, sets, chains and rules when the table is missing (a
 * concurrent creator winning the race is fine). The daemon calls this on
 * start so that STATUS turns ready. */
int nftrules_ensure_table(struct nftrules *nr, const struct nftrules_conf *c);

/* Remove the table and everything in it; 0 when there was none. */
int nftrules_destroy_table(struct nftrules *nr);

/*
 * One atomic batch: remove old's elements (may be NULL: the previous
 * attachment of a repeated ADD), remove then add add's keys (the newest
 * attachment owns an address), creating the table first when missing.
 */
int nftrules_attach(struct nftrules *nr, const struct nftrules_conf *c,
    const struct nftrules_elems *old, const struct nftrules_elems *add);

/*
 * Add the elements of n attachments in one batch, creating the table
 * first when it is missing. A key that is already there is kept as it is,
 * with its owner: nothing is taken from another attachment (the daemon
 * adopting running pods never takes an address the CNI plugin added).
 * 0, -ENOMEM, or the kernel's -errno.
 */
int nftrules_add_many(struct nftrules *nr, const struct nftrules_conf *c,
    const struct nftrules_elems *e, size_t n);

/*
 * Whether the last nftrules_attach() or nftrules_ensure_table() on nr
 * created the table (it was missing: a node reboot, or someone deleted
 * it). The caller then knows that every other attachment's elements are
 * missing too.
 */
bool nftrules_created(const struct nftrules *nr);

/*
 * Remove e's keys whose element in the kernel is owned by e->owner (or has
 * no owner); keys that another attachment owns now are left alone. 0 when
 * the table is missing or nothing is left.
 */
int nftrules_detach(struct nftrules *nr, const struct nftrules_elems *e);

/*
 * Look up each of e's keys in the kernel: out[i] (e->nkeys entries) tells
 * whether key i is present and its owner. -ENOENT when the table is gone.
 */
int nftrules_lookup(struct nftrules *nr, const struct nftrules_elems *e,
    struct nftrules_elem *out);

/* How many rules nftrules_build_create() puts in chain (a chain name). */
int nftrules_expected_rules(const char *chain);

/*
 * Check that both base chains exist and hold the expected number of rules.
 * 0 when they do, -ESRCH when a chain or a rule is missing (or extra),
 * -ENOENT without table.
 */
int nftrules_check_rules(struct nftrules *nr);

/*
 * Check that the rules are those c makes: the expected number in each
 * chain (else -ESRCH, as nftrules_check_rules), every mark rule setting
 * c->mark_bit and every log rule sending to c->nflog_group with
 * c->snaplen (else -ESTALE: the rules were made for another
 * configuration, e.g. by a plugin whose markBit differs, or by an
 * earlier configuration of the daemon). -ENOENT without table. *found
 * (may be NULL) gets what the rules do (the first bit, group and snaplen
 * that differ from c's, else c's).
 */
int nftrules_check_conf(struct nftrules *nr, const struct nftrules_conf *c,
    struct nftrules_conf *found);

/*
 * Replace the rules with those c makes, keeping the sets, the elements
 * and the chains (nftrules_build_rewrite, one batch). -ENOENT when the
 * table is missing (it is not created here).
 */
int nftrules_rewrite_rules(struct nftrules *nr, const struct nftrules_conf *c);

/* Dump every element of the three sets, calling cb for each. A non-zero
 * return from cb stops the walk and is returned. -ENOENT without table. */
int nftrules_list(struct nftrules *nr, nftrules_elem_cb cb, void *arg);

#endif
