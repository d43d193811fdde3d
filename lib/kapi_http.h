/*
 * kapi_http: one request to the Kubernetes API server, over HTTPS with
 * the cluster's CA only, authenticated as lib/kapi_conf says (bearer
 * token read afresh, or a client certificate).
 *
 * Two users: kapi_http_setup() prepares a libcurl easy handle for a
 * caller that drives its own transfers (the daemon's list/watch client,
 * recorderd/kapi_req.c); kapi_http_request() does one whole request
 * synchronously (the publisher's thread, the CLI). Nothing here prints.
 */
#ifndef NPR_KAPI_HTTP_H
#define NPR_KAPI_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "lib/kapi_conf.h"

/*
 * Set on easy (reset by the caller first) the URL, TLS (peer and host
 * verified against the configuration's CA, never the system store),
 * client certificate, timeouts and the headers: Accept, the bearer
 * token (read now, or the exec plugin's: kapi_conf_credentials), and
 * extra (may be NULL; not copied, a "Content-Type: ..." line for
 * instance). *hdrs gets the header list, which the caller frees with
 * curl_slist_free_all() after the transfer. Returns 0, -ENOMEM, or the
 * exec plugin's -errno with err saying why it gave no credential.
 */
int kapi_http_setup(CURL *easy, const struct kapi_conf *c, const char *url,
    const char *user_agent, const char *extra, struct curl_slist **hdrs,
    char *err, size_t errlen);

/*
 * Connections kept open between the requests of one thread (libcurl's
 * connection cache and TLS sessions, shared): a client that makes many
 * requests to one server in a row sets kapi_http_req.session, and pays
 * one TCP and TLS handshake instead of one per request. Not for several
 * threads at once.
 */
struct kapi_http_session;

int kapi_http_session_new(struct kapi_http_session **out);
void kapi_http_session_free(struct kapi_http_session *s);

struct kapi_http_req {
	const char *method;		/* "GET", "PATCH", "DELETE", "POST" */
	const char *path;		/* "/apis/..." with its query string */
	const char *content_type;	/* of body, or NULL */
	const char *body;		/* NULL: none */
	size_t body_len;
	long timeout_ms;		/* the whole request; 0: 60 s */
	size_t max_response;		/* 0: the configuration's limit */
	const char *user_agent;		/* NULL: "netpol-record" */
	/* Another thread sets *cancel (read atomically; may be NULL) to
	 * abandon the request: it then ends within about 100 ms with
	 * -ECANCELED. */
	const int *cancel;
	struct kapi_http_session *session;	/* NULL: a connection of its
						 * own */
};

struct kapi_http_resp {
	long status;			/* HTTP status, 0 when none came */
	char *body;			/* NUL-terminated, owned; may be NULL */
	size_t len;
	long retry_after_s;		/* Retry-After in seconds, -1 none */
	char error[256];		/* transport error text, "" when the
					 * server answered */
};

/*
 * Send rq to the server of c and wait for the answer (at most
 * rq->timeout_ms). A 401 to an exec plugin's credential runs the plugin
 * again and retries once. Returns 0 when the server answered, whatever
 * its status (out->status says); -EACCES when the exec plugin gave no
 * credential (out->error says why); -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH,
 * -EPROTO (TLS, a malformed answer), -EFBIG (the answer is larger than
 * the limit), -ECANCELED (rq->cancel) or -ENOMEM with out->error saying
 * what. Free out with
 * kapi_http_resp_clear().
 */
int kapi_http_request(const struct kapi_conf *c,
    const struct kapi_http_req *rq, struct kapi_http_resp *out);
void kapi_http_resp_clear(struct kapi_http_resp *r);

/*
 * The message of a Kubernetes Status body ("trafficprofiles... is
 * forbidden: ..."), copied into out; "" when body is not a Status.
 */
void kapi_http_status_message(const char *body, size_t len, char *out,
    size_t outlen);

#endif
