/*
 * table: checking and repairing the plugin's nftables table from the
 * daemon.
 */
#include "recorderd/table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/sort.h"

/* What the last look at the table found. */
enum { T_OK, T_GONE, T_RULES, T_STALE, T_UNKNOWN };

struct table {
	struct nftrules *nr;
	struct nftrules_conf conf;
	int state;
	int64_t last_check;
	bool repair_failed;		/* said once until it works */
};

struct kaddrs {
	struct addr *a;
	size_t n, cap;
};

static int
kaddr_cb(const struct nftrules_elem *el, void *arg)
{
	struct kaddrs *k = arg;

	if (el->key.kind == NFTRULES_KEY_IFNAME)
		return 0;
	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 256;
		struct addr *na = realloc(k->a, ncap * sizeof(*na));

		if (na == NULL)
			return -ENOMEM;
		k->a = na;
		k->cap = ncap;
	}
	k->a[k->n++] = el->key.addr;
	return 0;
}

/*
 * Compare the table's address sets with the attached pods: a pod whose
 * addresses are missing from the kernel (a node reboot, a flushed
 * ruleset, a deleted table) is not marked and would not be recorded. Say
 * so; --repair (or the next CNI ADD, when the whole table was gone) puts
 * them back.
 */
static void
check_elements(struct table *t, const struct pods *pods)
{
	struct kaddrs k = { 0 };
	int ret, missing = 0;

	if ((ret = nftrules_list(t->nr, kaddr_cb, &k)) < 0) {
		log_warnx("nftables table inet %s: %s", NFTRULES_TABLE,
		    strerror(-ret));
		goto out;
	}
	if (k.n > 1)	/* k.a is NULL on a node without pods */
		sort_n(k.a, k.n, sizeof(*k.a), addr_cmp_qsort);
	for (int i = 0; i < pods->n; i++)
		for (int j = 0; j < pods->pod[i].naddrs; j++)
			if (k.n == 0 || search_n(&pods->pod[i].addrs[j], k.a,
			    k.n, sizeof(struct addr), addr_cmp_qsort) == NULL) {
				missing++;
				break;
			}
	if (missing > 0)
		log_warnx("%d attached pods have addresses missing from table "
		    "inet %s: their connections are not recorded; run "
		    "netpol-recorderd --repair", missing, NFTRULES_TABLE);
out:
	free(k.a);
}

/*
 * The rules mark with another bit or log to another group than ours:
 * nothing we listen for arrives. Rewrite them (elements kept) and say
 * who is likely to blame: after the table was gone, the CNI ADD that
 * recreated it used the plugin's own markBit; otherwise an earlier
 * configuration (or someone) wrote them.
 */
static int
repair(struct table *t, int ret, const struct nftrules_conf *found,
    bool recreated)
{
	const struct nftrules_conf *c = &t->conf;

	/* Said already: try again quietly. */
	if (t->repair_failed) {
		if (nftrules_rewrite_rules(t->nr, c) < 0)
			return -EAGAIN;
		t->repair_failed = false;
		return 0;
	}
	if (ret == -ESTALE && recreated)
		log_warnx("nftables table inet %s was recreated by the CNI "
		    "plugin with markBit 0x%08x, nflogGroup %u, but "
		    "netpol-recorderd uses mark_bit 0x%08x, nflog.group %u: "
		    "the plugin's configuration (its conflist) disagrees with "
		    "the daemon's; rewriting the rules for the daemon's "
		    "(pods keep their elements). Set markBit \"0x%08x\" and "
		    "nflogGroup %u in the plugin's configuration "
		    "(netpol-record-cni install --mark-bit 0x%08x), or the "
		    "next table it creates disagrees again", NFTRULES_TABLE,
		    found->mark_bit, found->nflog_group, c->mark_bit,
		    c->nflog_group, c->mark_bit, c->nflog_group, c->mark_bit);
	else if (ret == -ESTALE)
		log_warnx("nftables table inet %s marks pod connections with "
		    "0x%08x and logs DNS answers to NFLOG group %u (snaplen "
		    "%u), but netpol-recorderd uses mark_bit 0x%08x, "
		    "nflog.group %u (snaplen %u): rewriting the rules for this "
		    "configuration (pods keep their elements). The CNI "
		    "plugin's markBit and nflogGroup must say the same, or a "
		    "table it recreates disagrees again", NFTRULES_TABLE,
		    found->mark_bit, found->nflog_group, found->snaplen,
		    c->mark_bit, c->nflog_group, c->snaplen);
	else
		log_warnx("nftables table inet %s has rules missing or "
		    "changed: pod connections are not all marked; rewriting "
		    "its rules (pods keep their elements)", NFTRULES_TABLE);
	if ((ret = nftrules_rewrite_rules(t->nr, c)) < 0) {
		log_warnx("nftables table inet %s: cannot rewrite its rules: "
		    "%s; connections are not recorded until it is fixed "
		    "(netpol-recorderd --repair)", NFTRULES_TABLE,
		    strerror(-ret));
		t->repair_failed = true;
		return ret;
	}
	log_info("nftables table inet %s: rules rewritten for mark 0x%08x, "
	    "NFLOG group %u", NFTRULES_TABLE, c->mark_bit, c->nflog_group);
	return 0;
}

/* Check now; rewrite rules that are not ours. Returns the new state. */
static int
check(struct table *t, const struct pods *pods, bool log_changes)
{
	struct nftrules_conf found;
	int ret, state, prev = t->state;

	ret = nftrules_check_conf(t->nr, &t->conf, &found);
	if ((ret == -ESRCH || ret == -ESTALE) &&
	    repair(t, ret, &found, prev == T_GONE) == 0)
		ret = 0;
	state = ret == 0 ? T_OK : ret == -ENOENT ? T_GONE :
	    ret == -ESRCH ? T_RULES : ret == -ESTALE ? T_STALE : T_UNKNOWN;
	t->state = state;
	if (state == prev || !log_changes)
		return state;
	switch (state) {
	case T_OK:
		log_info("nftables table inet %s is back", NFTRULES_TABLE);
		check_elements(t, pods);
		break;
	case T_GONE:
		log_warnx("nftables table inet %s was deleted: pod connections "
		    "are no longer marked nor recorded; the next CNI ADD or "
		    "netpol-recorderd --repair restores it", NFTRULES_TABLE);
		break;
	case T_RULES:
	case T_STALE:
		/* repair() said what and why. */
		break;
	default:
		log_warnx("nftables table inet %s: cannot check it: %s",
		    NFTRULES_TABLE, strerror(-ret));
		break;
	}
	return state;
}

int
table_open(const struct nftrules_conf *c, const struct pods *pods,
    struct table **out)
{
	struct table *t;
	int ret;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->conf = *c;
	t->state = T_UNKNOWN;
	if ((ret = nftrules_open(&t->nr)) < 0) {
		free(t);
		return ret;
	}
	*out = t;
	if ((ret = nftrules_ensure_table(t->nr, c)) < 0) {
		log_warnx("nftables table inet %s: %s", NFTRULES_TABLE,
		    strerror(-ret));
		return 0;
	}
	if (check(t, pods, false) == T_OK)
		check_elements(t, pods);
	return 0;
}

void
table_close(struct table *t)
{
	if (t == NULL)
		return;
	nftrules_close(t->nr);
	free(t);
}

int
table_set_conf(struct table *t, const struct nftrules_conf *c)
{
	struct nftrules_conf old;
	int ret;

	if (t == NULL)
		return -ENOTCONN;
	old = t->conf;
	t->conf = *c;
	if (memcmp(&old, c, sizeof(old)) == 0)
		return 0;
	ret = nftrules_rewrite_rules(t->nr, c);
	if (ret == -ENOENT)
		return 0;	/* checked when it is back */
	if (ret < 0) {
		t->conf = old;
		return ret;
	}
	t->state = T_OK;
	return 0;
}

void
table_watch(struct table *t, int64_t now, const struct pods *pods)
{
	if (t == NULL || now - t->last_check < TABLE_CHECK_S)
		return;
	t->last_check = now;
	(void)check(t, pods, true);
}
