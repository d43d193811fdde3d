/*
 * kapi: a small Kubernetes API client for the metadata cache. List then
 * watch (resourceVersion, bookmarks, relist on 410 Gone, reconnect with
 * backoff) for every resource in kapi_resources[], on one worker thread
 * driving libcurl's multi interface. Results are handed over as events
 * through a queue; kapi_fd() is an eventfd that is readable while the
 * queue is not empty, so the daemon's event loop never blocks on HTTP.
 *
 * The configuration comes from the pod's service account (in-cluster) or
 * from a kubeconfig file. The token file is re-read before every request
 * (tokens are rotated).
 */
#ifndef NPR_KAPI_H
#define NPR_KAPI_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

#define KAPI_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KAPI_MAX_RESPONSE (64u << 20)	/* one list page, bytes */
#define KAPI_MAX_LINE (8u << 20)	/* one watch event, bytes */
#define KAPI_PAGE_LIMIT 500		/* items per list page */
#define KAPI_WATCH_TIMEOUT 300		/* timeoutSeconds of a watch */
#define KAPI_BACKOFF_MIN_MS 500
#define KAPI_BACKOFF_MAX_MS 30000

/* The resources the client reads and the verbs it uses on them: the
 * ClusterRole in install/ must grant exactly these. */
struct kapi_resource {
	int kind;		/* enum kmeta_kind */
	const char *group;	/* "" for the core group */
	const char *version;
	const char *resource;	/* plural */
	const char *verbs[3];	/* NULL-terminated */
};
extern const struct kapi_resource kapi_resources[];
extern const size_t kapi_nresources;

struct kapi_conf {
	char *server;		/* "https://host:port", no trailing slash */
	char *ca_file;		/* PEM file, or NULL */
	char *ca_data;		/* PEM text, or NULL */
	char *token;		/* bearer token, or NULL */
	char *token_file;	/* re-read before each request, or NULL */
	char *cert_file, *key_file;	/* client certificate, or NULL */
	char *cert_data, *key_data;	/* PEM text, or NULL */
	/* Limits (0 means the default above). */
	size_t max_response;
	size_t max_line;
	int page_limit;
	int watch_timeout;
	int backoff_min_ms, backoff_max_ms;
};

/*
 * Fill conf from the service account directory (NULL: KAPI_SA_DIR) and
 * KUBERNETES_SERVICE_HOST / _PORT. Returns 0, -ENOENT (not in a cluster:
 * err says what is missing) or -ENOMEM. Free with kapi_conf_clear().
 */
int kapi_conf_in_cluster(const char *sa_dir, struct kapi_conf *conf,
    char *err, size_t errlen);
/*
 * Fill conf from a kubeconfig (YAML): the current context's cluster
 * (server, certificate-authority[-data]) and user (token, tokenFile,
 * client-certificate[-data], client-key[-data]); relative paths are
 * relative to the kubeconfig's directory. exec and auth-provider users and
 * insecure-skip-tls-verify are refused (-ENOTSUP). Returns 0, -EINVAL
 * (with err), -ENOTSUP, -errno of reading the file, or -ENOMEM.
 */
int kapi_conf_kubeconfig(const char *path, struct kapi_conf *conf, char *err,
    size_t errlen);
int kapi_conf_kubeconfig_buf(const char *buf, size_t len, const char *dir,
    struct kapi_conf *conf, char *err, size_t errlen);
void kapi_conf_clear(struct kapi_conf *conf);
/* The bearer token to send now, read afresh from token_file when set (it
 * rotates), else token; NULL when there is none. The caller frees it. */
char *kapi_conf_token(const struct kapi_conf *conf);

enum kapi_event_type {
	KAPI_EV_SYNC_BEGIN,	/* a (re)list of kind starts */
	KAPI_EV_UPSERT,		/* obj listed, ADDED or MODIFIED */
	KAPI_EV_DELETE,		/* obj DELETED */
	KAPI_EV_SYNC_END,	/* the list of kind is complete */
	KAPI_EV_SYNC_ABORT,	/* the list of kind failed halfway */
	KAPI_EV_ERROR,		/* msg says what went wrong; will retry */
	KAPI_EV_UNAVAILABLE,	/* kind cannot be listed (403, 404): the
				 * cache will not hold it until a retry
				 * succeeds; sent after the ERROR */
	KAPI_EV_INFO,		/* msg: a state change worth a log line */
};

struct kapi_event {
	enum kapi_event_type type;
	int kind;			/* enum kmeta_kind */
	struct json_object *obj;	/* owned by the receiver, or NULL */
	char msg[256];
};

struct kapi;

/* Start the worker thread. conf is copied. Returns 0, -ENOMEM or the
 * -errno of creating the eventfd or the thread. */
int kapi_start(const struct kapi_conf *conf, struct kapi **out);
/* Stop the thread and free everything queued. NULL is fine. */
void kapi_stop(struct kapi *ka);
/* Readable (POLLIN) while events are queued. */
int kapi_fd(const struct kapi *ka);
/* Take the next event: 0, or -EAGAIN when the queue is empty. The caller
 * owns ev->obj (json_object_put). */
int kapi_next(struct kapi *ka, struct kapi_event *ev);

/* ---- the wire format (pure, for tests) --------------------------------- */

enum kapi_watch_type {
	KAPI_WATCH_ADDED,
	KAPI_WATCH_MODIFIED,
	KAPI_WATCH_DELETED,
	KAPI_WATCH_BOOKMARK,
	KAPI_WATCH_ERROR,
};

struct kapi_watch_event {
	enum kapi_watch_type type;
	struct json_object *obj;	/* owned by the caller */
	char rv[64];			/* object's resourceVersion, or "" */
	int code;			/* ERROR: the Status code (410) */
};

/* Parse one line of a watch stream. Returns 0 or -EINVAL (err set). */
int kapi_watch_parse(const char *line, size_t len, struct kapi_watch_event *ev,
    char *err, size_t errlen);

#endif
