/*
 * metasrc: where the daemon's Kubernetes metadata comes from, behind one
 * interface: a metadata List file (re-read when it changes) or the
 * Kubernetes API (list then watch of the resources in metasrc_resources[],
 * on a worker thread of its own, see kapi.h). Either way the result is one
 * struct kmeta owned by the metasrc and only touched from the thread that
 * calls metasrc_process().
 */
#ifndef NPR_METASRC_H
#define NPR_METASRC_H

#include <stdbool.h>

#include "recorderd/kapi.h"
#include "recorderd/meta/kmeta.h"

struct metasrc;

/* The resources the API source lists and watches, tagged with the
 * cache's kinds (enum kmeta_kind): what the ClusterRole grants. */
extern const struct kapi_resource metasrc_resources[];
extern const size_t metasrc_nresources;

struct metasrc_conf {
	const char *file;	/* metadata List file, or NULL */
	const char *kubeconfig;	/* kubeconfig path, or NULL */
	bool in_cluster;	/* service account + KUBERNETES_SERVICE_HOST */
	/* Optional, for tests: the service account directory (token,
	 * ca.crt, namespace); NULL means
	 * /var/run/secrets/kubernetes.io/serviceaccount. */
	const char *sa_dir;
};

/*
 * Open the source named by conf (exactly one of file, kubeconfig,
 * in_cluster). A file is read once now: a missing or bad file is not an
 * error here (it is logged, the cache starts empty and the file is tried
 * again by metasrc_process). The API client starts its worker thread; a
 * kubeconfig or service account that cannot be read is an error.
 * Returns 0, -EINVAL (bad conf), -ENOENT, -ENOMEM or another -errno; the
 * caller owns *out and frees it with metasrc_close().
 */
int metasrc_open(const struct metasrc_conf *conf, struct metasrc **out);
/* Stops the worker thread, if any, and frees everything. NULL is fine. */
void metasrc_close(struct metasrc *ms);

/* An fd to poll for POLLIN, or -1 when the caller should just call
 * metasrc_process() on its timer (about once a second). */
int metasrc_fd(const struct metasrc *ms);

/* Apply whatever arrived (file changed, watch events). Non-blocking.
 * Returns 0 or -errno; on error the cache keeps its last good state and
 * the reason is logged once. */
int metasrc_process(struct metasrc *ms);

/* The cache it maintains (borrowed). Only touched from the thread that
 * calls metasrc_process(). */
const struct kmeta *metasrc_cache(const struct metasrc *ms);

/* The workloads the cache saw go since the last call
 * (kmeta_take_gone). */
size_t metasrc_take_gone(struct metasrc *ms,
    void (*cb)(void *arg, const struct kmeta_gone *g), void *arg);

/* True once the cache holds a full first view (the file loaded, or every
 * kind listed once; a kind the API refuses with 403 or 404 counts as
 * listed, empty): until then, unknown pods may just be not seen yet. */
bool metasrc_synced(const struct metasrc *ms);

#endif
