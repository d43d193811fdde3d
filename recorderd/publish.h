/*
 * publish: the thread that publishes what this node recorded to the
 * Kubernetes API: one TrafficProfile per (workload, node) by server-side
 * apply, and the node's RecorderStatus (install/kubernetes/README.md).
 *
 * It reads the store on a read-only connection of its own
 * (recorderd/pubstore.h), builds objects with recorderd/profile.h and
 * decides with recorderd/pubsched.h; requests are lib/kapi_http.h's, with
 * the credentials of the metadata source (in-cluster or kubeconfig). The
 * event loop only starts it, passes a new configuration, reads its
 * counters (publish_get_stats: a mutex held for a copy) and stops it: it
 * never waits on the API, however long the API server is away.
 *
 * Every publish.interval it looks at what gained flows or changed, every
 * publish.refresh at everything; at start it lists the node's objects
 * (what another run wrote), so that objects of workloads gone from the
 * store are deleted and unchanged ones are not written again. See
 * recorderd/README.md, "Publishing".
 */
#ifndef NPR_PUBLISH_H
#define NPR_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/kapi_conf.h"
#include "lib/store.h"

/* netpol-recorderd's version, as the RecorderStatus says it. */
#define PUBLISH_VERSION "0.1.0"
#define PUBLISH_NS_LEN 512		/* publish.namespaces */
/* One request may take this long (a hung API server). */
#define PUBLISH_REQUEST_MS 20000

struct publish_conf {
	char store[STORE_PATH_LEN];
	char node[STORE_NAME_LEN];
	int64_t interval;		/* s */
	int64_t refresh;		/* s */
	unsigned max_entries;
	unsigned max_refreshes;		/* counts-only rewrites an hour */
	char namespaces[PUBLISH_NS_LEN];	/* patterns, "" all */
	uint32_t retention_days;	/* 0: keep all */
};

/* What the publisher did, for the store, --status and the logs. */
struct publish_stats {
	int64_t objects_written;	/* applies and deletes that succeeded
					 * (since the store's first) */
	int64_t failed;			/* attempts that failed */
	int64_t pending;		/* objects changed, not written yet */
	int64_t objects;		/* objects this node has in the API */
	int64_t last_success;		/* Unix s, 0 never */
	int state;			/* enum pubsched_state */
	char last_error[1024];		/* "" when the last write succeeded */
};

/*
 * The API resources the publisher uses, and how (the verbs RBAC checks:
 * a server-side apply is "patch", and "create" when the object does not
 * exist yet; the node's objects are listed once at start; nothing is
 * read by name): the ClusterRole must grant exactly these beside the
 * metadata client's (tests/unit/test_k8s_manifests.c).
 */
struct publish_resource {
	const char *group;
	const char *resource;
	const char *verbs[5];		/* NULL-terminated */
};
extern const struct publish_resource publish_resources[];
extern const size_t publish_nresources;

struct publish;

/*
 * Start the thread for c, talking to the API server of kc (copied).
 * *out is freed by publish_stop. 0, or -errno (-EINVAL: a bad c).
 */
int publish_start(const struct publish_conf *c, const struct kapi_conf *kc,
    struct publish **out);

/* A new configuration (a reload): taken at the next pass, which looks at
 * every object (max_entries or the namespaces may have changed). */
void publish_set_conf(struct publish *p, const struct publish_conf *c);

/* A copy of the counters. */
void publish_get_stats(struct publish *p, struct publish_stats *out);

/*
 * Stop the thread and free p. With final, it first publishes once more
 * whatever changed (refresh not waited for) and the RecorderStatus, as
 * far as it can within timeout_ms (the store's last flush must be
 * written before); without, a request in flight is abandoned at once (a
 * stop takes about 100 ms). *stats (may be NULL) gets the last counters.
 * Returns 0, or -ETIMEDOUT when the last publish did not finish in time
 * (a request in flight is abandoned). NULL is fine.
 */
int publish_stop(struct publish *p, bool final, int timeout_ms,
    struct publish_stats *stats);

#endif
