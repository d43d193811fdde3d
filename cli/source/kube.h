/*
 * kube: the CLI's connection to the Kubernetes API server, found as
 * kubectl finds it (lib/kapi_conf.h: --kubeconfig, KUBECONFIG,
 * ~/.kube/config, in-cluster; --context; exec credential plugins), and
 * the requests the cluster source and the commands make: GET, a list
 * read page by page, server-side apply. Every failure becomes a
 * sentence that says what is wrong and what to do (401, 403 with the
 * server's words naming verb and resource, timeouts, TLS); a 404 is
 * returned as -ENOENT for the caller to explain (a CRD not installed,
 * an object that does not exist). Nothing here prints.
 */
#ifndef NPR_CLI_SOURCE_KUBE_H
#define NPR_CLI_SOURCE_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/kapi_http.h"

#define KUBE_DEFAULT_TIMEOUT_MS 60000	/* a request, when not given */

struct kube_opts {
	const char *kubeconfig;	/* NULL: as kubectl (KUBECONFIG, ...) */
	const char *context;	/* NULL: the current-context */
	int64_t timeout_ms;	/* each request; 0: KUBE_DEFAULT_TIMEOUT_MS */
	int chunk;		/* items per list page; 0: all at once */
};

struct kube;

/*
 * Find the cluster and its credentials (no request is made yet). 0 and
 * *out (kube_close), or -errno with err (kapi_conf_find's).
 */
int kube_open(const struct kube_opts *o, struct kube **out, char *err,
    size_t errlen);
void kube_close(struct kube *k);

/* What is read, for people: "https://HOST:PORT (context X of FILE)". */
const char *kube_describe(const struct kube *k);

/*
 * GET path (with its query). 0 and *out (the answer, 2xx; free with
 * kapi_http_resp_clear), or -errno with err: -ENOENT a 404 (err says
 * which path: the caller knows what is missing), -EACCES 401, -EPERM
 * 403, -ETIMEDOUT, -ECONNREFUSED, -EPROTO, -EIO (another status). A 429
 * or 503 is retried after its Retry-After, within the timeout.
 */
int kube_get(struct kube *k, const char *path, struct kapi_http_resp *out,
    char *err, size_t errlen);

/* GET path as parsed JSON (a new reference in *out). Errors as
 * kube_get, and -EPROTO when the answer is not a JSON object. */
int kube_get_json(struct kube *k, const char *path, json_object **out,
    char *err, size_t errlen);

/*
 * List the collection at path (no query) with the label selector (NULL:
 * none), o->chunk items a page, following `continue`: item(o, arg) gets
 * each item parsed on its own (cli/source/jsplit.h: borrowed, freed after
 * the call, NULL when it is not JSON), so that only one item's tree is
 * in memory at a time; a non-zero return stops the walk and is returned
 * by kube_list. A continue token that expired (410) goes on with the
 * token the server gives (objects changed meanwhile may show up or not:
 * *inconsistent is set). 0 or -errno with err as kube_get.
 */
typedef int (*kube_item_cb)(json_object *item, void *arg);
int kube_list(struct kube *k, const char *path, const char *selector,
    kube_item_cb item, void *arg, bool *inconsistent, char *err,
    size_t errlen);

/*
 * One page of the collection at path: at most limit items (0: all) with
 * the label selector (NULL: none), without following `continue`: for a
 * question one object answers. Items and errors as kube_list.
 */
int kube_list_page(struct kube *k, const char *path, const char *selector,
    int limit, kube_item_cb item, void *arg, char *err, size_t errlen);

/*
 * Server-side apply of the JSON object body to path (the object's own
 * URL), as field manager manager, forcing conflicts. 0 and *created
 * (201, else 200), or -errno with err as kube_get (-EINVAL: 422 or
 * 400, with the server's message).
 */
int kube_apply(struct kube *k, const char *path, const char *body,
    const char *manager, bool *created, char *err, size_t errlen);

/* "%2F"-style escaping of a query value into buf; returns buf. */
char *kube_escape(const char *s, char *buf, size_t len);

#endif
