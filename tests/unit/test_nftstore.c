/*
 * nftstore: stored attachments as elements, and every attached pod's
 * elements put back into a table that went missing; many attachments'
 * elements in one batch (nftrules_add_many). The restore tests talk
 * to the kernel's nf_tables in a network namespace of this test's own
 * (unshare(CLONE_NEWNET): root or CAP_SYS_ADMIN), so the host's ruleset is
 * never touched; without that privilege they are skipped and say so.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/store.h"
#include "nft/nftrules.h"
#include "nft/nftstore.h"
#include "tests/unit/ut_store.h"

static bool own_netns;

struct fixture {
	char dir[64];
	struct store *st;
	struct nftrules *nr;
	struct nftrules_conf nc;
};

/* An attachment of container cid with a host veth and one IPv4 and one
 * IPv6 address (198.18.0.0/15 and 2001:db8::/32 only). */
static void
put(struct store *st, const char *cid, const char *veth, const char *v4,
    const char *v6)
{
	struct store_attachment a;

	memset(&a, 0, sizeof(a));
	snprintf(a.container_id, sizeof(a.container_id), "%s", cid);
	snprintf(a.ifname, sizeof(a.ifname), "eth0");
	snprintf(a.host_veth, sizeof(a.host_veth), "%s", veth);
	if (v4 != NULL) {
		assert_int_equal(addr_parse(v4, &a.addrs[a.naddrs].addr), 0);
		a.addrs[a.naddrs++].prefix = 24;
	}
	if (v6 != NULL) {
		assert_int_equal(addr_parse(v6, &a.addrs[a.naddrs].addr), 0);
		a.addrs[a.naddrs++].prefix = 64;
	}
	assert_int_equal(store_attachment_put(st, &a, 100), 0);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[128];

	if (fx == NULL ||
	    ut_store_mkdtemp(fx->dir, sizeof(fx->dir), "test_nftstore") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/records.db", fx->dir);
	if (store_open(path, 0, &fx->st) != 0)
		return -1;
	put(fx->st, "pod-a", "vetha", "198.18.0.10", "2001:db8:1::10");
	put(fx->st, "pod-b", "vethb", "198.18.0.11", NULL);
	put(fx->st, "pod-c", "vethc", "198.18.0.12", NULL);
	/* c is gone: its elements must never come back. */
	if (store_attachment_detach(fx->st, "pod-c", "eth0", 200) != 0)
		return -1;
	nftrules_conf_init(&fx->nc);
	if (own_netns && nftrules_open(&fx->nr) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = 0;

	if (fx->nr != NULL && nftrules_destroy_table(fx->nr) != 0)
		ret = -1;
	nftrules_close(fx->nr);
	store_close(fx->st);
	if (ut_store_rmtree(fx->dir) != 0)
		ret = -1;
	free(fx);
	return ret;
}

/* What the kernel holds: "owner key" lines, counted per owner. */
struct seen {
	int a, b, c, other;
	bool a_v6, b_veth;
};

static int
seen_cb(const struct nftrules_elem *el, void *arg)
{
	struct seen *s = arg;
	char buf[ADDR_STRLEN];

	if (strcmp(el->owner, "pod-a/eth0") == 0) {
		s->a++;
		if (el->key.kind == NFTRULES_KEY_V6 &&
		    strcmp(addr_format(&el->key.addr, buf, sizeof(buf)),
		    "2001:db8:1::10") == 0)
			s->a_v6 = true;
	} else if (strcmp(el->owner, "pod-b/eth0") == 0) {
		s->b++;
		if (el->key.kind == NFTRULES_KEY_IFNAME &&
		    strcmp(el->key.ifname, "vethb") == 0)
			s->b_veth = true;
	} else if (strcmp(el->owner, "pod-c/eth0") == 0)
		s->c++;
	else
		s->other++;
	return 0;
}

static struct seen
kernel(struct fixture *fx)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(nftrules_list(fx->nr, seen_cb, &s), 0);
	return s;
}

struct failures {
	int n;
	int err;
	char last[STORE_ID_LEN + STORE_IFNAME_LEN + 1];
};

static void
fail_cb(const struct store_attachment *a, int err, void *arg)
{
	struct failures *f = arg;

	f->n++;
	f->err = err;
	snprintf(f->last, sizeof(f->last), "%s/%s", a->container_id,
	    a->ifname);
}

static void
test_elems(void **state)
{
	struct fixture *fx = *state;
	struct store_attachment a;
	struct nftrules_elems e;
	char buf[ADDR_STRLEN];

	assert_int_equal(store_attachment_get(fx->st, "pod-a", "eth0", &a), 0);
	assert_int_equal(nftstore_elems(&a, &e), 0);
	assert_string_equal(e.owner, "pod-a/eth0");
	assert_int_equal(e.nkeys, 3);
	assert_int_equal(e.keys[0].kind, NFTRULES_KEY_IFNAME);
	assert_string_equal(e.keys[0].ifname, "vetha");
	assert_int_equal(e.keys[1].kind, NFTRULES_KEY_V4);
	assert_string_equal(addr_format(&e.keys[1].addr, buf, sizeof(buf)),
	    "198.18.0.10");
	assert_int_equal(e.keys[2].kind, NFTRULES_KEY_V6);

	/* macvlan/ipvlan: no host veth, only the addresses. */
	a.host_veth[0] = '\0';
	assert_int_equal(nftstore_elems(&a, &e), 0);
	assert_int_equal(e.nkeys, 2);
	assert_int_equal(e.keys[0].kind, NFTRULES_KEY_V4);
}

/* The table is missing: every attached pod comes back, the detached one
 * does not, and the table is whole again. */
static void
test_restore_all(void **state)
{
	struct fixture *fx = *state;
	struct nftstore_count n = { -1, -1 };
	struct failures f = { 0 };
	struct seen s;

	if (!own_netns)
		skip();
	assert_int_equal(nftrules_table_exists(fx->nr), 0);
	assert_int_equal(nftstore_restore(fx->nr, &fx->nc, fx->st, NULL,
	    fail_cb, &f, &n), 0);
	assert_int_equal(n.done, 2);
	assert_int_equal(n.failed, 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(nftrules_table_exists(fx->nr), 1);
	assert_int_equal(nftrules_check_rules(fx->nr), 0);
	s = kernel(fx);
	assert_int_equal(s.a, 3);
	assert_true(s.a_v6);
	assert_int_equal(s.b, 2);
	assert_true(s.b_veth);
	assert_int_equal(s.c, 0);
	assert_int_equal(s.other, 0);

	/* Again, with everything there: the same elements, no copies. */
	assert_int_equal(nftstore_restore(fx->nr, &fx->nc, fx->st, NULL,
	    NULL, NULL, &n), 0);
	assert_int_equal(n.done, 2);
	s = kernel(fx);
	assert_int_equal(s.a + s.b + s.c + s.other, 5);
}

/* The plugin's ADD restores the others and adds its own pod itself. */
static void
test_restore_skip(void **state)
{
	struct fixture *fx = *state;
	struct store_attachment self;
	struct nftstore_count n;
	struct seen s;

	if (!own_netns)
		skip();
	assert_int_equal(store_attachment_get(fx->st, "pod-a", "eth0", &self),
	    0);
	assert_int_equal(nftstore_restore(fx->nr, &fx->nc, fx->st, &self,
	    NULL, NULL, &n), 0);
	assert_int_equal(n.done, 1);
	assert_int_equal(n.failed, 0);
	s = kernel(fx);
	assert_int_equal(s.a, 0);
	assert_int_equal(s.b, 2);
	assert_int_equal(s.c, 0);
}

/* Each attachment that cannot be restored is counted and reported, and
 * the walk goes on: a configuration nftrules refuses (two mark bits) fails
 * the creation of the missing table for every one of them. */
static void
test_restore_failures(void **state)
{
	struct fixture *fx = *state;
	struct nftrules_conf bad = fx->nc;
	struct nftstore_count n;
	struct failures f = { 0 };

	if (!own_netns)
		skip();
	bad.mark_bit = 0x3;
	assert_int_equal(nftstore_restore(fx->nr, &bad, fx->st, NULL, fail_cb,
	    &f, &n), 0);
	assert_int_equal(n.done, 0);
	assert_int_equal(n.failed, 2);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.err, -EINVAL);
	assert_string_equal(f.last, "pod-b/eth0");
	assert_int_equal(nftrules_table_exists(fx->nr), 0);
}


/* The owner of address ip in the kernel ("" none), via a lookup. */
static void
owner_of(struct nftrules *nr, const char *ip, char *out)
{
	struct nftrules_elem found[NFTRULES_MAX_KEYS];
	struct nftrules_elems e;
	struct addr a;

	assert_int_equal(addr_parse(ip, &a), 0);
	assert_int_equal(nftrules_elems_init(&e, "x", "y", NULL, &a, 1), 0);
	assert_int_equal(nftrules_lookup(nr, &e, found), 0);
	snprintf(out, NFTRULES_OWNER_LEN, "%s", found[0].present ?
	    found[0].owner : "");
}

/*
 * Many attachments in one batch (the daemon adopting a node's pods):
 * the table is made when missing, and a key that is there keeps its
 * owner (an adopted pod never takes a CNI attachment's address).
 */
static void
test_add_many(void **state)
{
	struct fixture *fx = *state;
	struct nftrules_elems e[300], cni;
	struct addr a[2];
	char owner[NFTRULES_OWNER_LEN];

	if (!own_netns)
		skip();
	assert_int_equal(nftrules_destroy_table(fx->nr), 0);
	for (int i = 0; i < 300; i++) {
		char ip[32], ip6[48], uid[32];

		snprintf(ip, sizeof(ip), "198.19.%d.%d", i / 250, i % 250 + 1);
		snprintf(ip6, sizeof(ip6), "2001:db8:19::%x", i + 1);
		snprintf(uid, sizeof(uid), "adopted:uid-%d", i);
		assert_int_equal(addr_parse(ip, &a[0]), 0);
		assert_int_equal(addr_parse(ip6, &a[1]), 0);
		assert_int_equal(nftrules_elems_init(&e[i], uid, "pod", NULL,
		    a, 2), 0);
	}
	/* A CNI pod holds the address of adoption 7 already. */
	assert_int_equal(addr_parse("198.19.0.8", &a[0]), 0);
	assert_int_equal(nftrules_elems_init(&cni, "cid-1", "eth0", NULL, a,
	    1), 0);
	assert_int_equal(nftrules_attach(fx->nr, &fx->nc, NULL, &cni), 0);
	assert_int_equal(nftrules_add_many(fx->nr, &fx->nc, e, 300), 0);
	owner_of(fx->nr, "198.19.0.8", owner);
	assert_string_equal(owner, "cid-1/eth0");
	owner_of(fx->nr, "198.19.1.50", owner);
	assert_string_equal(owner, "adopted:uid-299/pod");
	/* The table missing: made in the same batch. */
	assert_int_equal(nftrules_destroy_table(fx->nr), 0);
	assert_int_equal(nftrules_add_many(fx->nr, &fx->nc, e, 2), 0);
	assert_true(nftrules_created(fx->nr));
	owner_of(fx->nr, "198.19.0.2", owner);
	assert_string_equal(owner, "adopted:uid-1/pod");
	assert_int_equal(nftrules_add_many(fx->nr, &fx->nc, e, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_skip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_many, setup,
		    teardown),
	};

	/* A network namespace of our own, so that the table made here is
	 * nobody else's. */
	if (unshare(CLONE_NEWNET) == 0)
		own_netns = true;
	else
		fprintf(stderr, "test_nftstore: unshare(CLONE_NEWNET): %s: "
		    "the restore tests need root and are skipped\n",
		    strerror(errno));
	return cmocka_run_group_tests_name("nftstore", tests, NULL, NULL);
}
