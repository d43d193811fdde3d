/*
 * nftstore: stored attachments as elements; every attached pod's elements
 * put back from the store.
 */
#include "nft/nftstore.h"

#include <string.h>

int
nftstore_elems(const struct store_attachment *a, struct nftrules_elems *e)
{
	struct addr addrs[STORE_MAX_ADDRS];
	int i, n = a->naddrs < STORE_MAX_ADDRS ? a->naddrs : STORE_MAX_ADDRS;

	for (i = 0; i < n; i++)
		addrs[i] = a->addrs[i].addr;
	return nftrules_elems_init(e, a->container_id, a->ifname,
	    a->host_veth, addrs, n);
}

struct walk {
	struct nftrules *nr;
	const struct nftrules_conf *c;
	const struct store_attachment *skip;
	nftstore_fail_cb fail;
	void *arg;
	struct nftstore_count *count;
};

static int
restore_one(const struct store_attachment *a, void *arg)
{
	struct walk *w = arg;
	struct nftrules_elems e;
	int ret;

	if (w->skip != NULL &&
	    strcmp(a->container_id, w->skip->container_id) == 0 &&
	    strcmp(a->ifname, w->skip->ifname) == 0)
		return 0;
	if ((ret = nftstore_elems(a, &e)) == 0)
		ret = nftrules_attach(w->nr, w->c, NULL, &e);
	if (ret != 0) {
		w->count->failed++;
		if (w->fail != NULL)
			w->fail(a, ret, w->arg);
	} else
		w->count->done++;
	/* One pod that cannot be restored must not cost the others. */
	return 0;
}

int
nftstore_restore(struct nftrules *nr, const struct nftrules_conf *c,
    struct store *st, const struct store_attachment *skip,
    nftstore_fail_cb fail, void *arg, struct nftstore_count *count)
{
	struct walk w = {
		.nr = nr, .c = c, .skip = skip, .fail = fail, .arg = arg,
		.count = count,
	};

	count->done = 0;
	count->failed = 0;
	return store_attachment_foreach(st, true, restore_one, &w);
}
