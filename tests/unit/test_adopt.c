/*
 * adopt: the adoption decision from metadata and attachment fixtures:
 * which pods are adopted (this node's, own network, running, with
 * addresses, not attached by CNI, no address held by CNI or claimed
 * twice), and which adopted pods are let go and why (gone, finished,
 * readdressed, an address taken by a CNI ADD, attached by CNI,
 * adoption off); a recreated pod (new uid) is a new pod.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "recorderd/adopt.h"

#define NODE "node-a"

static struct adopt_pod
pod(const char *name, const char *uid, const char *node, const char *ip4,
    const char *ip6)
{
	struct adopt_pod p;

	memset(&p, 0, sizeof(p));
	p.namespace_ = "shop";
	p.name = name;
	p.uid = uid;
	p.node = node;
	if (ip4 != NULL)
		assert_int_equal(addr_parse(ip4, &p.addrs[p.naddrs++]), 0);
	if (ip6 != NULL)
		assert_int_equal(addr_parse(ip6, &p.addrs[p.naddrs++]), 0);
	return p;
}

/* Attachments keep their addresses here (adopt_att borrows them). */
static struct addr att_addrs[16][STORE_MAX_ADDRS];

static struct adopt_att
att(int slot, const char *uid, bool adopted, const char *ip4,
    const char *ip6)
{
	struct adopt_att a = { .uid = uid, .adopted = adopted };

	if (ip4 != NULL)
		assert_int_equal(addr_parse(ip4, &att_addrs[slot][a.naddrs++]),
		    0);
	if (ip6 != NULL)
		assert_int_equal(addr_parse(ip6, &att_addrs[slot][a.naddrs++]),
		    0);
	a.addrs = att_addrs[slot];
	return a;
}

static bool
adopts(const struct adopt_plan *p, size_t pod)
{
	for (size_t i = 0; i < p->nadopt; i++)
		if (p->adopt[i] == pod)
			return true;
	return false;
}

/* Why attachment att is let go, or -1. */
static int
released(const struct adopt_plan *p, size_t att)
{
	for (size_t i = 0; i < p->nrelease; i++)
		if (p->release[i].att == att)
			return p->release[i].why;
	return -1;
}

static void
test_which_pods(void **state)
{
	struct adopt_pod pods[8];
	struct adopt_att atts[2];
	struct adopt_plan plan;

	(void)state;
	pods[0] = pod("web-1", "u-web-1", NODE, "198.18.1.10",
	    "2001:db8:1::10");
	pods[1] = pod("other-node", "u-other", "node-b", "198.18.9.10", NULL);
	pods[2] = pod("hostnet", "u-host", NODE, "198.51.100.1", NULL);
	pods[2].host_network = true;
	pods[3] = pod("done", "u-done", NODE, "198.18.1.11", NULL);
	pods[3].terminated = true;
	pods[4] = pod("pending", "u-pending", NODE, NULL, NULL);
	pods[5] = pod("cni-pod", "u-cni", NODE, "198.18.1.12", NULL);
	pods[6] = pod("ip-reused", "u-stale", NODE, "198.18.1.13", NULL);
	pods[7] = pod("unscheduled", "u-unsched", "", "198.18.1.14", NULL);
	/* CNI attached u-cni; another CNI pod holds 198.18.1.13. */
	atts[0] = att(0, "u-cni", false, "198.18.1.12", NULL);
	atts[1] = att(1, "", false, "198.18.1.13", NULL);
	assert_int_equal(adopt_decide(NODE, true, pods, 8, atts, 2, &plan), 0);
	assert_int_equal(plan.nadopt, 1);
	assert_true(adopts(&plan, 0));
	assert_int_equal(plan.nrelease, 0);
	/* The pod whose address a CNI attachment holds is left out. */
	assert_int_equal(plan.skipped, 1);
	adopt_plan_free(&plan);

	/* Off: nothing adopted. */
	assert_int_equal(adopt_decide(NODE, false, pods, 8, atts, 2, &plan),
	    0);
	assert_int_equal(plan.nadopt, 0);
	adopt_plan_free(&plan);
}

static void
test_claimed_twice(void **state)
{
	struct adopt_pod pods[3];
	struct adopt_att atts[1];
	struct adopt_plan plan;

	(void)state;
	/* Metadata lags: two running pods claim one address. Neither is
	 * adopted until it settles; the third is. */
	pods[0] = pod("a", "u-a", NODE, "198.18.1.20", NULL);
	pods[1] = pod("b", "u-b", NODE, "198.18.1.20", NULL);
	pods[2] = pod("c", "u-c", NODE, "198.18.1.21", NULL);
	assert_int_equal(adopt_decide(NODE, true, pods, 3, NULL, 0, &plan), 0);
	assert_int_equal(plan.nadopt, 1);
	assert_true(adopts(&plan, 2));
	assert_int_equal(plan.skipped, 2);
	adopt_plan_free(&plan);

	/* An adoption kept holds its address against a newcomer. */
	atts[0] = att(0, "u-a", true, "198.18.1.20", NULL);
	assert_int_equal(adopt_decide(NODE, true, pods, 3, atts, 1, &plan), 0);
	assert_int_equal(plan.nrelease, 0);
	assert_int_equal(plan.nadopt, 1);
	assert_true(adopts(&plan, 2));
	adopt_plan_free(&plan);
}

static void
test_kept_true(void **state)
{
	struct adopt_pod pods[5];
	struct adopt_att atts[8];
	struct adopt_plan plan;

	(void)state;
	pods[0] = pod("kept", "u-kept", NODE, "198.18.1.30", "2001:db8:1::30");
	pods[1] = pod("finished", "u-fin", NODE, "198.18.1.31", NULL);
	pods[1].terminated = true;
	pods[2] = pod("moved", "u-moved", NODE, "198.18.1.35", NULL);
	pods[3] = pod("cni-now", "u-cni-now", NODE, "198.18.1.33", NULL);
	/* Recreated under the same name: a new uid, a new pod. */
	pods[4] = pod("gone", "u-gone-2", NODE, "198.18.1.36", NULL);

	atts[0] = att(0, "u-kept", true, "198.18.1.30", "2001:db8:1::30");
	atts[1] = att(1, "u-fin", true, "198.18.1.31", NULL);
	atts[2] = att(2, "u-moved", true, "198.18.1.32", NULL);
	atts[3] = att(3, "u-cni-now", true, "198.18.1.33", NULL);
	atts[4] = att(4, "u-cni-now", false, "198.18.1.33", NULL);
	atts[5] = att(5, "u-gone", true, "198.18.1.34", NULL);
	/* A CNI ADD brought an adopted pod's address (an IP reused). */
	atts[6] = att(6, "u-taken", true, "198.18.1.40", NULL);
	atts[7] = att(7, "u-new", false, "198.18.1.40", NULL);
	assert_int_equal(adopt_decide(NODE, true, pods, 5, atts, 8, &plan), 0);
	assert_int_equal(released(&plan, 0), -1);
	assert_int_equal(released(&plan, 1), ADOPT_FINISHED);
	/* Readdressed: let go, and adopted again with its new address. */
	assert_int_equal(released(&plan, 2), ADOPT_READDRESSED);
	assert_true(adopts(&plan, 2));
	assert_int_equal(released(&plan, 3), ADOPT_ATTACHED);
	assert_int_equal(released(&plan, 4), -1);	/* not adopted */
	assert_int_equal(released(&plan, 5), ADOPT_GONE);
	assert_int_equal(released(&plan, 6), ADOPT_GONE);
	assert_int_equal(plan.nrelease, 5);
	/* The recreated pod is new: adopted under its new uid. */
	assert_true(adopts(&plan, 4));
	assert_false(adopts(&plan, 0));		/* already */
	assert_false(adopts(&plan, 1));		/* finished */
	assert_false(adopts(&plan, 3));		/* CNI has it */
	assert_int_equal(plan.nadopt, 2);
	adopt_plan_free(&plan);

	/* Still in the metadata but a CNI ADD took its address. */
	pods[0] = pod("taken", "u-taken", NODE, "198.18.1.40", NULL);
	assert_int_equal(adopt_decide(NODE, true, pods, 1, &atts[6], 2,
	    &plan), 0);
	assert_int_equal(released(&plan, 0), ADOPT_TAKEN);
	assert_int_equal(plan.nadopt, 0);
	adopt_plan_free(&plan);

	/* Adoption turned off: every adopted pod goes. */
	assert_int_equal(adopt_decide(NODE, false, pods, 5, atts, 8, &plan),
	    0);
	assert_int_equal(plan.nrelease, 6);
	for (size_t i = 0; i < plan.nrelease; i++)
		assert_int_equal(plan.release[i].why, ADOPT_OFF);
	adopt_plan_free(&plan);
	assert_string_equal(adopt_why_name(ADOPT_TAKEN),
	    "a pod attached by the CNI plugin holds its address");
	assert_string_equal(adopt_why_name(99), "?");
}

static void
test_moved_or_host_network(void **state)
{
	struct adopt_pod pods[2];
	struct adopt_att atts[2];
	struct adopt_plan plan;

	(void)state;
	pods[0] = pod("a", "u-a", "node-b", "198.18.1.50", NULL);
	pods[1] = pod("b", "u-b", NODE, "198.18.1.51", NULL);
	pods[1].host_network = true;
	atts[0] = att(0, "u-a", true, "198.18.1.50", NULL);
	atts[1] = att(1, "u-b", true, "198.18.1.51", NULL);
	assert_int_equal(adopt_decide(NODE, true, pods, 2, atts, 2, &plan), 0);
	assert_int_equal(released(&plan, 0), ADOPT_MOVED);
	assert_int_equal(released(&plan, 1), ADOPT_MOVED);
	assert_int_equal(plan.nadopt, 0);
	adopt_plan_free(&plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_which_pods),
		cmocka_unit_test(test_claimed_twice),
		cmocka_unit_test(test_kept_true),
		cmocka_unit_test(test_moved_or_host_network),
	};

	return cmocka_run_group_tests_name("adopt", tests, NULL, NULL);
}
