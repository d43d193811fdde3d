/*
 * pods: the pods attached on this node as the store has them (the CNI
 * plugin writes an attachment per ADD), with the workload the store
 * already records each one against. Read by the writer thread, which
 * owns a store connection, and handed to the event loop whole: the loop
 * never reads the store (recorderd/attrib.h takes the table over).
 */
#ifndef NPR_PODS_H
#define NPR_PODS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/store.h"

struct pods_pod {
	/* The store's id; negative for an attachment the daemon holds
	 * before the store has it (recorderd/attrib.h, attrib_announce). */
	int64_t att_id;
	char container_id[STORE_ID_LEN];
	char ifname[STORE_IFNAME_LEN];
	char ns[STORE_NAME_LEN];	/* "" when the runtime gave none */
	char name[STORE_NAME_LEN];
	char uid[STORE_ID_LEN];
	bool adopted;			/* by the daemon, not the CNI plugin */
	char host_veth[STORE_IFNAME_LEN];
	int naddrs;
	struct addr addrs[STORE_MAX_ADDRS];
	uint8_t prefix[STORE_MAX_ADDRS];	/* of the pod's network */
	/* The workload the attachment is recorded against (from an earlier
	 * run, or this one), when it has one (wl.id != 0; strings owned). */
	struct store_workload wl;
};

struct pods {
	struct pods_pod *pod;		/* in attachment id order */
	int n;
	int cap;			/* entries allocated */
};

/* Read every attachment still attached, with its workload. *out is
 * freed with pods_free(). Returns 0 or -errno of the store. */
int pods_load(struct store *st, struct pods **out);
void pods_free(struct pods *p);

/* Fill p from attachment sa (its id, identity and addresses; no
 * workload: p->wl is cleared). */
void pods_from_attachment(struct pods_pod *p,
    const struct store_attachment *sa);

/* Append a copy of p, without its workload (p->wl is not copied), to
 * *t, growing it. 0 or -ENOMEM. */
int pods_append(struct pods *t, const struct pods_pod *p);

/* Remove entry i of t (its strings freed), keeping the order. */
void pods_remove(struct pods *t, int i);

#endif
