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
	int64_t att_id;
	char container_id[STORE_ID_LEN];
	char ns[STORE_NAME_LEN];	/* "" when the runtime gave none */
	char name[STORE_NAME_LEN];
	char uid[STORE_ID_LEN];
	int naddrs;
	struct addr addrs[STORE_MAX_ADDRS];
	/* The workload the attachment is recorded against (from an earlier
	 * run, or this one), when it has one (wl.id != 0; strings owned). */
	struct store_workload wl;
};

struct pods {
	struct pods_pod *pod;		/* in attachment id order */
	int n;
};

/* Read every attachment still attached, with its workload. *out is
 * freed with pods_free(). Returns 0 or -errno of the store. */
int pods_load(struct store *st, struct pods **out);
void pods_free(struct pods *p);

#endif
