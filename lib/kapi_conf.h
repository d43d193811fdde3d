/*
 * kapi_conf: how to reach the Kubernetes API server: from the pod's
 * service account (in-cluster) or from a kubeconfig file (the current
 * context's cluster and user), with the limits of the API client.
 * Files only; no network. lib/kapi_http.h makes the requests with it
 * (the daemon's list/watch client, recorderd/kapi.h, copies it).
 */
#ifndef NPR_KAPI_CONF_H
#define NPR_KAPI_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/kapi_exec.h"

#define KAPI_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KAPI_MAX_RESPONSE (64u << 20)	/* one list page, bytes */
#define KAPI_MAX_LINE (8u << 20)	/* one watch event, bytes */
#define KAPI_PAGE_LIMIT 500		/* items per list page */
#define KAPI_WATCH_TIMEOUT 300		/* timeoutSeconds of a watch */
#define KAPI_BACKOFF_MIN_MS 500
#define KAPI_BACKOFF_MAX_MS 30000

struct kapi_conf {
	char *server;		/* "https://host:port", no trailing slash */
	char *context;		/* the kubeconfig context used, or NULL */
	char *ca_file;		/* PEM file, or NULL */
	char *ca_data;		/* PEM text, or NULL */
	char *token;		/* bearer token, or NULL */
	char *token_file;	/* re-read before each request, or NULL */
	char *cert_file, *key_file;	/* client certificate, or NULL */
	char *cert_data, *key_data;	/* PEM text, or NULL */
	struct kapi_exec *exec;	/* the user's exec credential plugin, or
				 * NULL; owned (its cached credential is
				 * shared by whoever uses this conf) */
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
 * client-certificate[-data], client-key[-data], or an exec credential
 * plugin: lib/kapi_exec.h); relative paths are relative to the
 * kubeconfig's directory. auth-provider users and
 * insecure-skip-tls-verify are refused (-ENOTSUP). Returns 0, -EINVAL
 * (with err), -ENOTSUP, -errno of reading the file, or -ENOMEM.
 */
int kapi_conf_kubeconfig(const char *path, struct kapi_conf *conf, char *err,
    size_t errlen);
int kapi_conf_kubeconfig_buf(const char *buf, size_t len, const char *dir,
    struct kapi_conf *conf, char *err, size_t errlen);
void kapi_conf_clear(struct kapi_conf *conf);

/* What kapi_conf_find looks for. */
struct kapi_conf_want {
	const char *kubeconfig;	/* this file only; NULL: as kubectl */
	const char *context;	/* NULL: the current-context */
	bool allow_terminal;	/* an exec plugin may use our terminal */
};

/*
 * Find the cluster as kubectl does: w->kubeconfig; else the files of
 * $KUBECONFIG (':'-separated, merged: the first current-context and the
 * first cluster, context and user of a name win; missing files skipped);
 * else ~/.kube/config when it exists; else the pod's service account
 * (kapi_conf_in_cluster). Then the context w->context, or the
 * current-context. desc gets where that came from ("context NAME of
 * FILE", "the pod's service account"). Returns 0, or -errno with err
 * saying what is wrong and what to do: -ENOENT (no kubeconfig anywhere
 * and not in a pod), -EINVAL (no such context, a malformed file),
 * -ENOTSUP, -errno of reading a file, -ENOMEM.
 */
int kapi_conf_find(const struct kapi_conf_want *w, struct kapi_conf *conf,
    char *desc, size_t desclen, char *err, size_t errlen);

/* A deep copy of src into *dst, with the limits left at 0 set to their
 * defaults. 0 or -ENOMEM (dst is then clear). */
int kapi_conf_copy(struct kapi_conf *dst, const struct kapi_conf *src);

/* The bearer token to send now: the exec plugin's (run when its credential
 * expired), else read afresh from token_file when set (it rotates), else
 * token; NULL when there is none. The caller frees it. */
char *kapi_conf_token(const struct kapi_conf *conf);

/*
 * The credential to send now: the exec plugin's (token, or client
 * certificate and key; the plugin runs when none is cached or it
 * expired), else the token as kapi_conf_token gives it (cert and key
 * come from conf then). 0, or the plugin's -errno with err
 * (kapi_exec_get). Clear *out with kapi_exec_cred_clear.
 */
int kapi_conf_credentials(const struct kapi_conf *conf,
    struct kapi_exec_cred *out, char *err, size_t errlen);
/* The server refused the credential (401): an exec plugin runs again
 * for the next request. A no-op for static credentials. */
void kapi_conf_invalidate(const struct kapi_conf *conf);

#endif
