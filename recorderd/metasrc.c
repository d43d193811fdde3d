/*
 * metasrc: the metadata file (polled on the daemon's timer, reloaded when
 * its inode, size or mtime changes) or the API client's events, applied
 * to one struct kmeta on the caller's thread.
 */
#include "recorderd/metasrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "lib/log.h"
#include "recorderd/kapi.h"
#include "recorderd/meta/kmeta_load.h"

/* Events applied per metasrc_process() call: a big relist is spread over
 * several turns of the daemon's loop (the eventfd stays readable). */
#define METASRC_BATCH 4096

/* Every resource the cache reads from the API, and how (tagged with the
 * cache's kind): the ClusterRole must grant exactly these (install/ is
 * checked against this table). */
const struct kapi_resource metasrc_resources[] = {
	{ KMETA_POD, "", "v1", "pods", { "list", "watch", NULL } },
	{ KMETA_NAMESPACE, "", "v1", "namespaces", { "list", "watch", NULL } },
	{ KMETA_NODE, "", "v1", "nodes", { "list", "watch", NULL } },
	{ KMETA_REPLICATIONCONTROLLER, "", "v1", "replicationcontrollers",
	    { "list", "watch", NULL } },
	{ KMETA_REPLICASET, "apps", "v1", "replicasets",
	    { "list", "watch", NULL } },
	{ KMETA_DEPLOYMENT, "apps", "v1", "deployments",
	    { "list", "watch", NULL } },
	{ KMETA_STATEFULSET, "apps", "v1", "statefulsets",
	    { "list", "watch", NULL } },
	{ KMETA_DAEMONSET, "apps", "v1", "daemonsets",
	    { "list", "watch", NULL } },
	{ KMETA_JOB, "batch", "v1", "jobs", { "list", "watch", NULL } },
	{ KMETA_CRONJOB, "batch", "v1", "cronjobs", { "list", "watch", NULL } },
};
const size_t metasrc_nresources = sizeof(metasrc_resources) /
    sizeof(metasrc_resources[0]);

struct metasrc {
	struct kmeta *km;
	char *file;
	bool have_stat;
	struct stat st;		/* of the file last tried */
	bool file_ok;
	struct kapi *ka;
	uint32_t synced_mask;	/* kinds listed at least once */
	uint32_t want_mask;
};

static bool
stat_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev ||
	    a->st_size != b->st_size ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

/* Reload the file when it changed since the last attempt. A bad file is
 * reported once per change; the cache keeps its last good state. */
static int
file_poll(struct metasrc *ms)
{
	struct kmeta_stats ks;
	struct stat st;
	char err[768];
	int r;

	if (stat(ms->file, &st) != 0) {
		r = -errno;
		if (!ms->have_stat || ms->st.st_ino != 0) {
			log_warnx("metadata file %s: %s%s", ms->file,
			    strerror(-r), ms->file_ok ?
			    " (keeping the last good state)" : "");
			memset(&ms->st, 0, sizeof(ms->st));
			ms->have_stat = true;
		}
		return r;
	}
	if (ms->have_stat && !stat_changed(&st, &ms->st))
		return ms->file_ok ? 0 : -EINVAL;
	ms->st = st;
	ms->have_stat = true;
	if ((r = kmeta_load_list_file(ms->km, ms->file, err, sizeof(err)))
	    != 0) {
		log_warnx("metadata file %s%s", err, ms->file_ok ?
		    " (keeping the last good state)" : "");
		/* Only a parse error waits for the next change; a transient
		 * read error is retried on the next call. */
		if (r != -EINVAL && r != -EFBIG)
			ms->have_stat = false;
		return r;
	}
	ms->file_ok = true;
	kmeta_get_stats(ms->km, &ks);
	log_info("metadata file %s loaded: %zu pods, %zu owners, "
	    "%zu namespaces, %zu nodes", ms->file, ks.pods, ks.owners,
	    ks.namespaces, ks.nodes);
	return 0;
}

static void
api_event(struct metasrc *ms, struct kapi_event *ev)
{
	char err[512];
	const char *name = kmeta_kind_name(ev->kind);

	switch (ev->type) {
	case KAPI_EV_SYNC_BEGIN:
		kmeta_sync_begin(ms->km, ev->kind);
		break;
	case KAPI_EV_UPSERT:
	case KAPI_EV_DELETE:
		if (kmeta_apply(ms->km, ev->kind, ev->type == KAPI_EV_DELETE,
		    ev->obj, err, sizeof(err)) != 0)
			log_warnx("kubernetes: %s skipped: %s", name, err);
		break;
	case KAPI_EV_SYNC_END:
		kmeta_sync_end(ms->km, ev->kind);
		if (ev->kind >= 0 && ev->kind < 32)
			ms->synced_mask |= 1u << ev->kind;
		break;
	case KAPI_EV_SYNC_ABORT:
		kmeta_sync_abort(ms->km, ev->kind);
		break;
	case KAPI_EV_UNAVAILABLE:
		/* Waiting for a kind we may not read would hold the
		 * recorder back for ever: count it as synced (empty). */
		if (ev->kind >= 0 && ev->kind < 32)
			ms->synced_mask |= 1u << ev->kind;
		break;
	case KAPI_EV_ERROR:
		log_warnx("kubernetes: %s (retrying; the cache keeps its last "
		    "good state)", ev->msg);
		break;
	case KAPI_EV_INFO:
		log_info("kubernetes: %s", ev->msg);
		break;
	}
}

static int
api_open(struct metasrc *ms, const struct metasrc_conf *conf)
{
	struct kapi_conf kc;
	char err[512];
	size_t i;
	int r;

	if (conf->kubeconfig != NULL)
		r = kapi_conf_kubeconfig(conf->kubeconfig, &kc, err,
		    sizeof(err));
	else
		r = kapi_conf_in_cluster(conf->sa_dir, &kc, err, sizeof(err));
	if (r != 0) {
		log_warnx("kubernetes: %s", err);
		return r;
	}
	r = kapi_start(&kc, metasrc_resources, metasrc_nresources, &ms->ka);
	if (r != 0)
		log_warnx("kubernetes: cannot start the API client: %s",
		    strerror(-r));
	else
		log_info("kubernetes: watching %s", kc.server);
	kapi_conf_clear(&kc);
	for (i = 0; i < metasrc_nresources; i++)
		ms->want_mask |= 1u << metasrc_resources[i].kind;
	return r;
}

int
metasrc_open(const struct metasrc_conf *conf, struct metasrc **out)
{
	struct metasrc *ms;
	int r, n;

	*out = NULL;
	n = (conf->file != NULL) + (conf->kubeconfig != NULL) +
	    conf->in_cluster;
	if (n != 1)
		return -EINVAL;
	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return -ENOMEM;
	if ((r = kmeta_new(&ms->km)) != 0)
		goto fail;
	if (conf->file != NULL) {
		if ((ms->file = strdup(conf->file)) == NULL) {
			r = -ENOMEM;
			goto fail;
		}
		(void)file_poll(ms);
	} else if ((r = api_open(ms, conf)) != 0)
		goto fail;
	*out = ms;
	return 0;
fail:
	metasrc_close(ms);
	return r;
}

void
metasrc_close(struct metasrc *ms)
{
	if (ms == NULL)
		return;
	kapi_stop(ms->ka);
	kmeta_free(ms->km);
	free(ms->file);
	free(ms);
}

int
metasrc_fd(const struct metasrc *ms)
{
	return ms->ka != NULL ? kapi_fd(ms->ka) : -1;
}

int
metasrc_process(struct metasrc *ms)
{
	struct kapi_event ev;
	int i;

	if (ms->file != NULL)
		return file_poll(ms);
	for (i = 0; i < METASRC_BATCH && kapi_next(ms->ka, &ev) == 0; i++) {
		api_event(ms, &ev);
		json_object_put(ev.obj);
	}
	return 0;
}

const struct kmeta *
metasrc_cache(const struct metasrc *ms)
{
	return ms->km;
}

size_t
metasrc_take_gone(struct metasrc *ms,
    void (*cb)(void *arg, const struct kmeta_gone *g), void *arg)
{
	return kmeta_take_gone(ms->km, cb, arg);
}

bool
metasrc_synced(const struct metasrc *ms)
{
	if (ms->file != NULL)
		return ms->file_ok;
	return (ms->synced_mask & ms->want_mask) == ms->want_mask;
}
