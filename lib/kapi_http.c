/*
 * kapi_http: HTTPS to the API server with libcurl's easy interface.
 */
#include "lib/kapi_http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

struct kapi_http_session {
	CURLSH *sh;
};

int
kapi_http_session_new(struct kapi_http_session **out)
{
	struct kapi_http_session *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sh = curl_share_init()) == NULL) {
		free(s);
		return -ENOMEM;
	}
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	*out = s;
	return 0;
}

void
kapi_http_session_free(struct kapi_http_session *s)
{
	if (s == NULL)
		return;
	curl_share_cleanup(s->sh);
	free(s);
}

/* A PEM blob for libcurl (copied by it). */
static void
set_blob(CURL *easy, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {
		.data = (void *)(uintptr_t)pem,
		.len = strlen(pem),
		.flags = CURL_BLOB_COPY,
	};

	curl_easy_setopt(easy, opt, &blob);
}

int
kapi_http_setup(CURL *easy, const struct kapi_conf *c, const char *url,
    const char *user_agent, const char *extra, struct curl_slist **hdrs,
    char *err, size_t errlen)
{
	struct kapi_exec_cred cr;
	struct curl_slist *h = NULL, *n;
	char *auth = NULL;
	int r;

	*hdrs = NULL;
	if ((r = kapi_conf_credentials(c, &cr, err, errlen)) < 0)
		return r;
	r = -ENOMEM;
	snprintf(err, errlen, "out of memory");
	if ((h = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		goto out;
	if (cr.token != NULL) {
		if (asprintf(&auth, "Authorization: Bearer %s", cr.token) < 0) {
			auth = NULL;
			goto out;
		}
		if ((n = curl_slist_append(h, auth)) == NULL)
			goto out;
		h = n;
	}
	if (extra != NULL) {
		if ((n = curl_slist_append(h, extra)) == NULL)
			goto out;
		h = n;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	/* The cluster's CA only: never the system store. */
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	if (c->ca_data != NULL) {
		set_blob(easy, CURLOPT_CAINFO_BLOB, c->ca_data);
		curl_easy_setopt(easy, CURLOPT_CAINFO, NULL);
	} else if (c->ca_file != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	/* An exec plugin's client certificate comes before the
	 * kubeconfig's. */
	if (cr.cert != NULL && cr.key != NULL) {
		set_blob(easy, CURLOPT_SSLCERT_BLOB, cr.cert);
		set_blob(easy, CURLOPT_SSLKEY_BLOB, cr.key);
	} else {
		if (c->cert_data != NULL)
			set_blob(easy, CURLOPT_SSLCERT_BLOB, c->cert_data);
		else if (c->cert_file != NULL)
			curl_easy_setopt(easy, CURLOPT_SSLCERT, c->cert_file);
		if (c->key_data != NULL)
			set_blob(easy, CURLOPT_SSLKEY_BLOB, c->key_data);
		else if (c->key_file != NULL)
			curl_easy_setopt(easy, CURLOPT_SSLKEY, c->key_file);
	}
	*hdrs = h;
	h = NULL;
	r = 0;
	err[0] = '\0';
out:
	curl_slist_free_all(h);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	kapi_exec_cred_clear(&cr);
	return r;
}

struct sink {
	struct kapi_http_resp *r;
	size_t cap, max;
	bool too_big;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	char *nb;

	if (s->r->len + n > s->max) {
		s->too_big = true;
		return 0;	/* libcurl ends the transfer: CURLE_WRITE_ERROR */
	}
	if (s->r->len + n + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap : 16384;

		while (ncap < s->r->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(s->r->body, ncap)) == NULL)
			return 0;
		s->r->body = nb;
		s->cap = ncap;
	}
	memcpy(s->r->body + s->r->len, data, n);
	s->r->len += n;
	s->r->body[s->r->len] = '\0';
	return n;
}

/* libcurl calls this about every 100 ms of a transfer, waiting or
 * not: a non-zero return abandons it. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return __atomic_load_n((const int *)arg, __ATOMIC_RELAXED) != 0;
}

static int
curl_errno(CURLcode rc, bool too_big)
{
	if (too_big)
		return -EFBIG;
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_WEIRD_SERVER_REPLY:
		return -EPROTO;
	default:
		return -EIO;
	}
}

/* Retry-After as seconds (the API server sends a number), -1 without. */
static long
retry_after(CURL *easy)
{
	struct curl_header *h = NULL;
	char *end;
	long v;

	if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1,
	    &h) != CURLHE_OK || h == NULL)
		return -1;
	v = strtol(h->value, &end, 10);
	return end != h->value && v >= 0 ? v : -1;
}

static int
request_once(const struct kapi_conf *c, const struct kapi_http_req *rq,
    struct kapi_http_resp *out)
{
	struct sink s = { .r = out };
	struct curl_slist *hdrs = NULL;
	char *url = NULL, ctype[160] = "";
	CURL *easy = NULL;
	CURLcode rc;
	int r = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->retry_after_s = -1;
	s.max = rq->max_response ? rq->max_response : c->max_response ?
	    c->max_response : KAPI_MAX_RESPONSE;
	if (rq->content_type != NULL)
		snprintf(ctype, sizeof(ctype), "Content-Type: %s",
		    rq->content_type);
	if ((easy = curl_easy_init()) == NULL ||
	    asprintf(&url, "%s%s", c->server, rq->path) < 0) {
		url = NULL;
		snprintf(out->error, sizeof(out->error), "out of memory");
		goto out;
	}
	if ((r = kapi_http_setup(easy, c, url, rq->user_agent ?
	    rq->user_agent : "netpol-record", ctype[0] ? ctype : NULL,
	    &hdrs, out->error, sizeof(out->error))) < 0) {
		/* No credential (the exec plugin's message is in error). */
		if (r != -ENOMEM)
			r = -EACCES;
		goto out;
	}
	if (rq->session != NULL)
		curl_easy_setopt(easy, CURLOPT_SHARE, rq->session->sh);
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->body != NULL) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "GET") == 0)
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ?
	    rq->timeout_ms : 60000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &s);
	if (rq->cancel != NULL) {
		curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(easy, CURLOPT_XFERINFODATA,
		    (void *)(uintptr_t)rq->cancel);
		curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	}
	rc = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc != CURLE_OK) {
		r = curl_errno(rc, s.too_big);
		if (s.too_big)
			snprintf(out->error, sizeof(out->error), "the answer "
			    "is larger than %zu bytes", s.max);
		else
			snprintf(out->error, sizeof(out->error), "%s",
			    curl_easy_strerror(rc));
		goto out;
	}
	out->retry_after_s = retry_after(easy);
	r = 0;
out:
	if (r < 0) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(easy);
	free(url);
	return r;
}

int
kapi_http_request(const struct kapi_conf *c, const struct kapi_http_req *rq,
    struct kapi_http_resp *out)
{
	int r = request_once(c, rq, out);

	/* An exec plugin's credential refused: as client-go does, run the
	 * plugin again and retry once. */
	if (r == 0 && out->status == 401 && c->exec != NULL) {
		kapi_http_resp_clear(out);
		kapi_conf_invalidate(c);
		r = request_once(c, rq, out);
	}
	return r;
}

void
kapi_http_resp_clear(struct kapi_http_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

void
kapi_http_status_message(const char *body, size_t len, char *out,
    size_t outlen)
{
	struct json_tokener *tok;
	json_object *o = NULL, *kind, *m;

	*out = '\0';
	if (body == NULL || len == 0 || (tok = json_tokener_new()) == NULL)
		return;
	o = json_tokener_parse_ex(tok, body, (int)(len > 1 << 20 ?
	    1 << 20 : len));
	json_tokener_free(tok);
	if (o != NULL && json_object_object_get_ex(o, "kind", &kind) &&
	    strcmp(json_object_get_string(kind), "Status") == 0 &&
	    json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(out, outlen, "%s", json_object_get_string(m));
	json_object_put(o);
}
