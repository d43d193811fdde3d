/*
 * publish: the publisher thread (see publish.h).
 *
 * One pass: a snapshot of the store; the workloads to look at (all of
 * them in a full pass; otherwise those that gained flow rows, whose row
 * changed, whose object waits for a retry, or was last looked at a
 * refresh ago); each built and decided on (pubsched_decide); the
 * snapshot ends before any request is made, so that no read transaction
 * is held while the API answers. Then the requests, while the API takes
 * them: a failure of the API as a whole stops the pass (what remains is
 * pending, and looked at again first), and the next pass waits for the
 * back-off.
 */
#include "recorderd/publish.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/clock.h"
#include "lib/kapi_http.h"
#include "lib/log.h"
#include "lib/sort.h"
#include "lib/tpname.h"
#include "recorderd/profile.h"
#include "recorderd/pubsched.h"
#include "recorderd/pubstatus.h"
#include "recorderd/pubstore.h"
#include "recorderd/vec.h"

#define API "/apis/netpol-record.io/v1alpha1"
#define APPLY_QUERY "?fieldManager=" PROFILE_FIELD_MANAGER "&force=true"
#define MIN_OBJECT_BYTES (64u << 10)	/* the least a 413 halves to */
#define MAX_RESPONSE (4u << 20)		/* an answer: an object, a page */
#define LIST_LIMIT 500
/* Counts-only rewrites per pass, after the new entries: a pass stays
 * short (a new flow waits for the next pass), and refreshes spread over
 * the interval's passes instead of coming in one burst. */
#define REFRESH_PER_PASS 10

const struct publish_resource publish_resources[] = {
	{ "netpol-record.io", "trafficprofiles",
	    { "list", "create", "patch", "delete", NULL } },
	{ "netpol-record.io", "recorderstatuses",
	    { "create", "patch", NULL } },
};
const size_t publish_nresources = sizeof(publish_resources) /
    sizeof(publish_resources[0]);

/* What the publisher knows of one object. */
struct pobj {
	char ns[64];
	char name[TPNAME_OBJECT_MAX + 1];
	int64_t wl;			/* store id it was built from, 0 when
					 * only listed */
	uint64_t fp;			/* that workload's row fingerprint */
	struct pubsched_obj s;
	int64_t checked_at;		/* last built */
	size_t max_bytes;		/* lowered after 413 */
	bool pending;			/* changed, not written */
	bool retry;			/* a request for it failed */
	bool seen;			/* met in the current full pass */
	int logged;			/* class of the last logged failure */
};

/* A request a pass decided on. */
struct action {
	struct pobj *o;			/* NULL: deleted already */
	bool del;
	char *body;			/* apply: owned */
	size_t len;
	struct pubsched_now now;
	size_t entries, truncated;
	bool refresh;			/* counts only: after the others */
};

struct publish {
	struct kapi_conf kc;
	pthread_t th;
	bool started;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu. */
	struct publish_conf conf;
	bool conf_changed;
	int stop, final;		/* set under mu, read atomically */
	int64_t deadline_ms;		/* of the final pass */
	struct publish_stats stats;

	int cancel;			/* atomic: abandon the request */

	/* The thread's own. */
	struct publish_conf c;		/* the pass's copy */
	struct pubstore *ps;
	struct pobj **objs;
	size_t nobjs, cap;
	struct pubsched_health health;
	struct pubsched_budget budget;	/* counts-only rewrites */
	int64_t max_row;		/* flow rows seen up to */
	bool listed;			/* the node's objects were listed */
	int64_t next_full;		/* s */
	int64_t status_at;		/* s: last RecorderStatus write */
	uint64_t status_sig;		/* what it said beyond counters */
	bool status_due;
	uint32_t rnd;
	bool in_final;			/* this pass is the last one */
	int last_kind_logged;		/* -ENOTSUP once */
};

static bool
stopping(struct publish *p)
{
	return __atomic_load_n(&p->stop, __ATOMIC_RELAXED) != 0;
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static uint32_t
rnd(struct publish *p)
{
	/* xorshift32: jitter only. */
	p->rnd ^= p->rnd << 13;
	p->rnd ^= p->rnd >> 17;
	p->rnd ^= p->rnd << 5;
	return p->rnd;
}

/* ---- the objects --------------------------------------------------------- */

static struct pobj *
obj_find(struct publish *p, const char *ns, const char *name)
{
	for (size_t i = 0; i < p->nobjs; i++)
		if (strcmp(p->objs[i]->name, name) == 0 &&
		    strcmp(p->objs[i]->ns, ns) == 0)
			return p->objs[i];
	return NULL;
}

static struct pobj *
obj_add(struct publish *p, const char *ns, const char *name)
{
	struct pobj **n, *o;

	if (p->nobjs == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		if ((n = realloc(p->objs, cap * sizeof(*n))) == NULL)
			return NULL;
		p->objs = n;
		p->cap = cap;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	snprintf(o->ns, sizeof(o->ns), "%s", ns);
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->max_bytes = PROFILE_MAX_BYTES;
	p->objs[p->nobjs++] = o;
	return o;
}

static void
obj_remove(struct publish *p, struct pobj *o)
{
	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i] == o) {
			p->objs[i] = p->objs[--p->nobjs];
			free(o);
			return;
		}
}

/* ---- counters ------------------------------------------------------------ */

static void
count(struct publish *p, bool ok, const char *err)
{
	pthread_mutex_lock(&p->mu);
	if (ok) {
		p->stats.objects_written++;
		p->stats.last_success = now_s();
		p->stats.last_error[0] = '\0';
	} else {
		p->stats.failed++;
		/* Cut to the RecorderStatus's bound. */
		snprintf(p->stats.last_error, sizeof(p->stats.last_error),
		    "%.1023s", err);
	}
	p->stats.state = p->health.state;
	pthread_mutex_unlock(&p->mu);
}

static void
count_objects(struct publish *p)
{
	int64_t known = 0, pending = 0;

	for (size_t i = 0; i < p->nobjs; i++) {
		known += p->objs[i]->s.known;
		pending += p->objs[i]->pending;
	}
	pthread_mutex_lock(&p->mu);
	p->stats.objects = known;
	p->stats.pending = pending;
	p->stats.state = p->health.state;
	pthread_mutex_unlock(&p->mu);
}

/* ---- requests ------------------------------------------------------------ */

/* What an answer says, in a line for the log and lastError. */
static void
describe(enum pubsched_class c, const struct kapi_http_resp *r,
    const char *msg, const char *verb, const char *resource,
    const char *what, char *out, size_t len)
{
	switch (c) {
	case PUBSCHED_DOWN:
		snprintf(out, len, "the API server cannot be reached: %s",
		    r->error);
		break;
	case PUBSCHED_RETRY:
		snprintf(out, len, "the API server answers HTTP %ld%s%s",
		    r->status, msg[0] ? ": " : "", msg);
		break;
	case PUBSCHED_THROTTLED:
		snprintf(out, len, "throttled by the API server (HTTP 429): "
		    "waiting %ld s as Retry-After says", r->retry_after_s > 0 ?
		    r->retry_after_s : 1);
		break;
	case PUBSCHED_UNAUTHORIZED:
		snprintf(out, len, "the API server refused the credentials "
		    "(HTTP 401): the token is read again before every "
		    "attempt; check the service account token or the "
		    "kubeconfig's user");
		break;
	case PUBSCHED_NO_CRD:
		snprintf(out, len, "the API server does not serve %s."
		    "netpol-record.io (HTTP 404): the CRDs are not installed: "
		    "kubectl apply -f install/kubernetes/ (recording goes on; "
		    "publishing is tried again every few minutes)", resource);
		break;
	case PUBSCHED_FORBIDDEN:
		snprintf(out, len, "forbidden (HTTP 403): %s: the ClusterRole "
		    "netpol-recorderd must grant %s on %s in API group "
		    "netpol-record.io (install/kubernetes/20-clusterrole.yaml)",
		    msg, verb, resource);
		break;
	case PUBSCHED_TOO_LARGE:
		snprintf(out, len, "%s is too large for the API server "
		    "(HTTP %ld: %s): written again with fewer entries "
		    "(spec.truncated says how many)", what, r->status, msg);
		break;
	case PUBSCHED_INVALID:
		snprintf(out, len, "%s refused (HTTP %ld): %s: a bug of "
		    "netpol-recorderd, please report this line", what,
		    r->status, msg);
		break;
	case PUBSCHED_NO_NAMESPACE:
		snprintf(out, len, "%s: its namespace is gone (HTTP 404: %s)",
		    what, msg);
		break;
	default:
		out[0] = '\0';
		break;
	}
}

/*
 * One request. Its answer goes into the API's state (a change of state
 * is logged once); the class is returned, and *line says what failed.
 */
static enum pubsched_class
request(struct publish *p, const char *method, const char *path,
    const char *body, size_t len, const char *verb, const char *resource,
    const char *what, struct kapi_http_resp *r, char *line, size_t linelen)
{
	struct kapi_http_req rq = {
		.method = method,
		.path = path,
		.content_type = body != NULL ? "application/apply-patch+yaml" :
		    NULL,
		.body = body,
		.body_len = len,
		.timeout_ms = PUBLISH_REQUEST_MS,
		.max_response = MAX_RESPONSE,
		.user_agent = "netpol-recorderd/" PUBLISH_VERSION,
		.cancel = &p->cancel,
	};
	enum pubsched_class c;
	char msg[1024];
	int old = p->health.state, err;
	int64_t left;

	if (p->in_final) {
		left = p->deadline_ms - clock_mono_ms();
		if (left < 100)
			left = 100;
		if (left < rq.timeout_ms)
			rq.timeout_ms = left;
	}
	err = kapi_http_request(&p->kc, &rq, r);
	kapi_http_status_message(r->body, r->len, msg, sizeof(msg));
	c = pubsched_classify(err, r->status, msg, strcmp(method, "DELETE") ==
	    0);
	describe(c, r, msg, verb, resource, what, line, linelen);
	if (pubsched_health_update(&p->health, c, r->retry_after_s,
	    clock_mono_ms(), rnd(p))) {
		if (p->health.state == PUBSCHED_STATE_OK)
			log_info("publish: the API server takes our objects "
			    "again (it was %s)", pubsched_state_name(old));
		else
			log_warnx("publish: %s", line);
		p->status_due = true;
	}
	return c;
}

/* ---- listing what a previous run wrote ----------------------------------- */

static int64_t
parse_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

static void
take_listed(struct publish *p, json_object *item)
{
	json_object *m, *ns, *name, *spec, *pub;
	struct pobj *o;

	if (!json_object_object_get_ex(item, "metadata", &m) ||
	    !json_object_object_get_ex(m, "namespace", &ns) ||
	    !json_object_object_get_ex(m, "name", &name) ||
	    !json_object_object_get_ex(item, "spec", &spec))
		return;
	if ((o = obj_find(p, json_object_get_string(ns),
	    json_object_get_string(name))) == NULL &&
	    (o = obj_add(p, json_object_get_string(ns),
	    json_object_get_string(name))) == NULL)
		return;
	if (o->s.known)
		return;		/* we wrote it since */
	o->s.known = true;
	profile_hash_object(item, &o->s.hash, &o->s.meta_hash);
	pub = json_object_object_get(spec, "publishedAt");
	o->s.written_at = parse_time(json_object_get_string(pub));
}

/* The node's objects in the API (another run's), page by page. 0 when
 * listed, else the class of the failure. */
static enum pubsched_class
list_own(struct publish *p)
{
	char lv[TPNAME_LABEL_MAX + 1], path[1024], line[1536], cont[512] = "";
	struct kapi_http_resp r;
	enum pubsched_class c;
	json_object *doc, *items, *meta, *v;

	tpname_label(p->c.node, lv, sizeof(lv));
	do {
		snprintf(path, sizeof(path), API "/trafficprofiles?"
		    "labelSelector=netpol-record.io%%2Fnode%%3D%s&limit=%d%s%s",
		    lv, LIST_LIMIT, cont[0] ? "&continue=" : "", cont);
		c = request(p, "GET", path, NULL, 0, "list", "trafficprofiles",
		    "the node's profiles", &r, line, sizeof(line));
		if (c != PUBSCHED_OK) {
			if (!pubsched_class_global(c))
				log_warnx("publish: listing: %s", line);
			kapi_http_resp_clear(&r);
			return c;
		}
		cont[0] = '\0';
		if ((doc = json_tokener_parse(r.body != NULL ? r.body : "")) !=
		    NULL && json_object_object_get_ex(doc, "items", &items) &&
		    json_object_is_type(items, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(items);
			    i++)
				take_listed(p, json_object_array_get_idx(items,
				    i));
			if (json_object_object_get_ex(doc, "metadata", &meta) &&
			    json_object_object_get_ex(meta, "continue", &v) &&
			    json_object_get_string_len(v) > 0 &&
			    (size_t)json_object_get_string_len(v) <
			    sizeof(cont))
				snprintf(cont, sizeof(cont), "%s",
				    json_object_get_string(v));
		}
		json_object_put(doc);
		kapi_http_resp_clear(&r);
	} while (cont[0] != '\0' && !stopping(p));
	p->listed = true;
	log_info("publish: %zu objects of node %s found in the API",
	    p->nobjs, p->c.node);
	return PUBSCHED_OK;
}

/* ---- a pass -------------------------------------------------------------- */

/* Should workload w be looked at in this pass? */
static bool
wanted(struct publish *p, const struct pubstore_wl *w, bool full,
    int64_t now)
{
	char name[TPNAME_OBJECT_MAX + 1];
	struct pobj *o;

	if (full || pubstore_gained(p->ps, w->w.id))
		return true;
	tpname_profile(w->w.kind, w->w.name, p->c.node, name, sizeof(name));
	if ((o = obj_find(p, w->w.namespace_, name)) == NULL)
		return false;
	return o->fp != w->fp || o->retry || o->pending ||
	    now - o->checked_at >= p->c.refresh;
}

/* Build workload w's object and decide; an action is queued. */
static int
look_at(struct publish *p, const struct pubstore_wl *w,
    const struct pubstore_facts *fa, int64_t now, bool full,
    struct vec *acts)
{
	struct pubsched_conf sc = { p->c.interval, p->in_final ? 0 :
	    p->c.refresh };
	struct profile_facts pf = {
		.node = p->c.node,
		.recording_started = fa->recording_started,
		.events_lost = fa->events_lost,
		.published_at = now,
		.retention_cutoff = p->c.retention_days ? now -
		    (int64_t)p->c.retention_days * 86400 : 0,
		.max_entries = p->c.max_entries,
	};
	char name[TPNAME_OBJECT_MAX + 1];
	struct pubsched_now n = { 0 };
	struct profile prof = { 0 };
	const struct profile_dns *dns;
	const struct flow *flows;
	struct action *a;
	struct pobj *o;
	size_t nf, nd;
	int ret = 0;

	tpname_profile(w->w.kind, w->w.name, p->c.node, name, sizeof(name));
	o = obj_find(p, w->w.namespace_, name);
	n.exists = w->w.deleted_at == 0 &&
	    pubsched_ns_selected(p->c.namespaces, w->w.namespace_);
	if (n.exists && !profile_kind_ok(w->w.kind)) {
		if (p->last_kind_logged++ == 0)
			log_warnx("publish: %s %s/%s is of a kind the "
			    "TrafficProfile CRD does not list: not published",
			    w->w.kind, w->w.namespace_, w->w.name);
		n.exists = false;
	}
	if (n.exists) {
		if ((ret = pubstore_flows(p->ps, w->w.id, &flows, &nf,
		    &n.max_row)) < 0 ||
		    (ret = pubstore_dns(p->ps, w->w.id, &dns, &nd)) < 0)
			return ret;
		pf.max_bytes = o != NULL ? o->max_bytes : PROFILE_MAX_BYTES;
		ret = profile_build(&w->w, flows, nf, dns, nd,
		    pubstore_lookup(p->ps), &pf, &prof);
		if (ret == -ENOENT || ret == -ENOTSUP)
			n.exists = false;
		else if (ret < 0)
			return ret;
		ret = 0;
		n.hash = prof.hash;
		n.meta_hash = prof.meta_hash;
	}
	if (o == NULL && !n.exists)
		return 0;
	if (o == NULL && (o = obj_add(p, w->w.namespace_, name)) == NULL) {
		profile_clear(&prof);
		return -ENOMEM;
	}
	o->wl = w->w.id;
	o->fp = w->fp;
	o->checked_at = now;
	o->seen = o->seen || full;
	o->pending = pubsched_pending(&o->s, &n);
	switch (pubsched_decide(&o->s, &n, now, &sc)) {
	case PUBSCHED_APPLY:
	case PUBSCHED_DELETE:
		if ((a = vec_push(acts, sizeof(*a))) == NULL) {
			profile_clear(&prof);
			return -ENOMEM;
		}
		memset(a, 0, sizeof(*a));
		a->o = o;
		a->del = !n.exists;
		a->now = n;
		a->body = prof.body;
		a->len = prof.len;
		a->entries = prof.entries;
		a->truncated = prof.truncated;
		a->refresh = n.exists && o->s.known &&
		    n.max_row <= o->s.max_row && n.meta_hash == o->s.meta_hash;
		prof.body = NULL;
		break;
	default:
		break;
	}
	profile_clear(&prof);
	return ret;
}

/* New entries, new objects and deletes first; then refreshes, the one
 * written longest ago first (the budget may stop them). */
static int
action_cmp(const void *a, const void *b)
{
	const struct action *x = a, *y = b;

	if (x->refresh != y->refresh)
		return (int)x->refresh - (int)y->refresh;
	if (!x->refresh || x->o->s.written_at == y->o->s.written_at)
		return 0;
	return x->o->s.written_at < y->o->s.written_at ? -1 : 1;
}

/* The requests of a pass, while the API takes them. */
static void
act(struct publish *p, struct action *acts, size_t n, int64_t now)
{
	char path[512], what[384], line[1536];
	struct kapi_http_resp r;
	enum pubsched_class c;
	struct pobj *o;
	size_t refreshed = 0;

	sort_n(acts, n, sizeof(*acts), action_cmp);
	for (size_t i = 0; i < n; i++) {
		o = acts[i].o;
		/* The rest stays due (pending): the next passes take it. The
		 * last publish writes everything that changed. */
		if (acts[i].refresh && !p->in_final &&
		    (refreshed++ >= REFRESH_PER_PASS ||
		    !pubsched_budget_take(&p->budget, p->c.max_refreshes,
		    clock_mono_ms())))
			return;
		if (stopping(p) && !p->in_final)
			return;
		if (!pubsched_health_ready(&p->health, clock_mono_ms()) ||
		    (p->in_final && clock_mono_ms() >= p->deadline_ms))
			return;
		snprintf(what, sizeof(what), "TrafficProfile %s/%s", o->ns,
		    o->name);
		snprintf(path, sizeof(path), API "/namespaces/%s/"
		    "trafficprofiles/%s%s", o->ns, o->name, acts[i].del ? "" :
		    APPLY_QUERY);
		c = request(p, acts[i].del ? "DELETE" : "PATCH", path,
		    acts[i].body, acts[i].len, acts[i].del ? "delete" :
		    "patch (and create)", "trafficprofiles", what, &r, line,
		    sizeof(line));
		kapi_http_resp_clear(&r);
		if (c == PUBSCHED_OK) {
			count(p, true, NULL);
			if (acts[i].del) {
				log_info("publish: deleted %s", what);
				obj_remove(p, o);
				continue;
			}
			if (acts[i].truncated > 0 && !o->s.known)
				log_info("publish: %s: %zu entries, %zu left "
				    "out (publish.max_entries, 1 MiB)", what,
				    acts[i].entries, acts[i].truncated);
			o->s.known = true;
			o->s.hash = acts[i].now.hash;
			o->s.meta_hash = acts[i].now.meta_hash;
			o->s.max_row = acts[i].now.max_row;
			o->s.written_at = now;
			o->s.retry_at = 0;
			o->pending = o->retry = false;
			o->logged = 0;
			continue;
		}
		count(p, false, line);
		o->retry = true;
		switch (c) {
		case PUBSCHED_TOO_LARGE:
			o->max_bytes = o->max_bytes / 2 > MIN_OBJECT_BYTES ?
			    o->max_bytes / 2 : MIN_OBJECT_BYTES;
			break;
		case PUBSCHED_INVALID:
			/* Not again before it changes, or a refresh. */
			o->s.retry_at = now + p->c.refresh;
			break;
		case PUBSCHED_NO_NAMESPACE:
			/* Nothing to delete there; the store's flows of a
			 * namespace that went are kept until retention. */
			o->s.known = false;
			o->s.retry_at = now + p->c.refresh;
			break;
		default:
			/* The API as a whole: the rest waits. */
			return;
		}
		if (o->logged != (int)c + 1)
			log_warnx("publish: %s", line);
		o->logged = (int)c + 1;
	}
}

/* Objects that were listed or published and whose workload the store no
 * longer has (merged into its owner, or this run found none). */
static int
orphans(struct publish *p, bool full, int64_t now, struct vec *acts)
{
	struct action *a;
	struct pobj *o;

	for (size_t i = 0; i < p->nobjs; i++) {
		o = p->objs[i];
		if (!o->s.known || (full ? o->seen :
		    (o->wl == 0 || pubstore_find(p->ps, o->wl) != NULL)))
			continue;
		o->pending = true;
		o->checked_at = now;
		if ((a = vec_push(acts, sizeof(*a))) == NULL)
			return -ENOMEM;
		memset(a, 0, sizeof(*a));
		a->o = o;
		a->del = true;
	}
	return 0;
}

static void
status(struct publish *p, const struct pubstore_facts *fa, int64_t now,
    bool force)
{
	struct publish_stats st;
	struct pubstatus s;
	struct kapi_http_resp r;
	enum pubsched_class c;
	char path[512], line[1536], *body = NULL, sig[2048];
	uint64_t h = 0xcbf29ce484222325ULL;

	pthread_mutex_lock(&p->mu);
	st = p->stats;
	pthread_mutex_unlock(&p->mu);
	/* Written when what it says beyond its counters changed, and at
	 * least every refresh: counters move with every event, and a
	 * write per interval would double the node's requests. */
	snprintf(sig, sizeof(sig), "%s|%s|%lld|%lld|%u|%s|%lld", p->c.node,
	    fa->node_uid, (long long)p->c.interval, (long long)p->c.refresh,
	    p->c.max_entries, st.last_error, (long long)fa->recording_started);
	for (const char *t = sig; *t != '\0'; t++) {
		h ^= (unsigned char)*t;
		h *= 0x100000001b3ULL;
	}
	if (!force && !p->status_due && h == p->status_sig &&
	    now - p->status_at < p->c.refresh)
		return;
	memset(&s, 0, sizeof(s));
	s.node = p->c.node;
	s.node_uid = fa->node_uid;
	s.version = PUBLISH_VERSION;
	s.recording_started = fa->recording_started;
	s.data_end = fa->data_end;
	s.published_at = now;
	s.last_profile_write = st.last_success;
	s.interval = p->c.interval;
	s.refresh = p->c.refresh;
	s.max_entries = p->c.max_entries;
	s.events_seen = fa->events_seen;
	s.events_lost = fa->events_lost;
	s.pods_attached = fa->attached;
	s.pods_adopted = fa->adopted;
	s.objects_written = st.objects_written;
	s.publish_failed = st.failed;
	s.publish_pending = st.pending;
	s.last_error = st.last_error;
	s.store_counters = fa->counters;
	s.nstore_counters = fa->ncounters;
	if (pubstatus_build(&s, &body) < 0)
		return;
	snprintf(path, sizeof(path), API "/namespaces/" PUBSTATUS_NAMESPACE
	    "/recorderstatuses/%s" APPLY_QUERY, p->c.node);
	c = request(p, "PATCH", path, body, strlen(body),
	    "patch (and create)", "recorderstatuses", "RecorderStatus", &r,
	    line, sizeof(line));
	if (c == PUBSCHED_OK) {
		p->status_at = now;
		p->status_sig = h;
		p->status_due = false;
	} else if (!pubsched_class_global(c))
		log_warnx("publish: %s", line);
	kapi_http_resp_clear(&r);
	free(body);
}

static int
pass(struct publish *p, bool full)
{
	struct pubstore_facts fa;
	struct vec acts = { 0 };
	struct action *a;
	int64_t now = now_s();
	size_t nw;
	int ret;

	if ((ret = pubstore_begin(p->ps, &p->max_row, &fa)) < 0) {
		log_warnx("publish: reading the store: %s",
		    pubstore_errmsg(p->ps));
		return ret;
	}
	for (size_t i = 0; i < p->nobjs; i++)
		p->objs[i]->seen = false;
	nw = pubstore_nworkloads(p->ps);
	for (size_t i = 0; i < nw && ret == 0; i++) {
		const struct pubstore_wl *w = pubstore_workload(p->ps, i);

		if (wanted(p, w, full, now))
			ret = look_at(p, w, &fa, now, full, &acts);
	}
	if (ret == 0)
		ret = orphans(p, full, now, &acts);
	/* No read transaction while the API answers. */
	pubstore_end(p->ps);
	if (ret < 0)
		log_warnx("publish: building objects: %s", strerror(-ret));
	act(p, acts.v, acts.n, now);
	a = acts.v;
	for (size_t i = 0; i < acts.n; i++)
		free(a[i].body);
	vec_free(&acts);
	count_objects(p);
	if (pubsched_health_ready(&p->health, clock_mono_ms()))
		status(p, &fa, now, p->in_final);
	return ret;
}

/* ---- the thread ---------------------------------------------------------- */

static void
wait_until(struct publish *p, int64_t when_ms)
{
	struct timespec ts;
	int64_t d = when_ms - clock_mono_ms();

	if (d <= 0)
		return;
	clock_after_ms(&ts, d);
	(void)pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

/* The store, and the counters that go on from what it keeps. */
static bool
open_store(struct publish *p)
{
	int64_t written = 0, failed = 0;
	int ret;

	if ((ret = pubstore_open(p->c.store, &p->ps)) < 0 ||
	    (ret = pubstore_counters(p->ps, &written, &failed)) < 0) {
		log_warnx("publish: store %s: %s (trying again)", p->c.store,
		    strerror(-ret));
		pubstore_close(p->ps);
		p->ps = NULL;
		return false;
	}
	pthread_mutex_lock(&p->mu);
	p->stats.objects_written += written;
	p->stats.failed += failed;
	pthread_mutex_unlock(&p->mu);
	return true;
}

static void *
thread_main(void *arg)
{
	struct publish *p = arg;
	int64_t next = clock_mono_ms();
	bool full, listed;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && clock_mono_ms() < next)
			wait_until(p, next);
		if (p->stop && !p->final)
			break;
		/* A last pass starts after the stop was asked for: it then
		 * sees the store's last flush. */
		p->in_final = p->final != 0;
		if (p->conf_changed) {
			p->c = p->conf;
			p->conf_changed = false;
			p->next_full = 0;
		}
		pthread_mutex_unlock(&p->mu);
		full = p->in_final || now_s() >= p->next_full;
		if (!pubsched_health_ready(&p->health, clock_mono_ms()) &&
		    !p->in_final) {
			next = p->health.next_ms;
			pthread_mutex_lock(&p->mu);
			continue;
		}
		/* The store, on this thread (a reload starts the publisher
		 * on the event loop's, which never waits on SQLite). */
		if (p->ps == NULL && !open_store(p)) {
			next = clock_mono_ms() + p->c.interval * 1000;
			pthread_mutex_lock(&p->mu);
			if (p->in_final)
				break;
			continue;
		}
		listed = p->listed || p->in_final ||
		    list_own(p) == PUBSCHED_OK;
		if (listed || pubsched_health_ready(&p->health,
		    clock_mono_ms())) {
			if (pass(p, full || !p->listed) == 0 && full)
				p->next_full = now_s() + p->c.refresh;
			next = clock_mono_ms() + p->c.interval * 1000;
		} else
			next = p->health.next_ms;
		pthread_mutex_lock(&p->mu);
		if (p->in_final)
			break;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static bool
conf_ok(const struct publish_conf *c)
{
	return c->store[0] != '\0' && c->node[0] != '\0' && c->interval >= 1 &&
	    c->refresh >= c->interval && c->max_entries >= 1 &&
	    c->max_entries <= PROFILE_MAX_ENTRIES && c->max_refreshes >= 1;
}

/* Free p and all it holds (the thread is not running). */
static void
destroy(struct publish *p)
{
	for (size_t i = 0; i < p->nobjs; i++)
		free(p->objs[i]);
	free(p->objs);
	pubstore_close(p->ps);
	kapi_conf_clear(&p->kc);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

int
publish_start(const struct publish_conf *c, const struct kapi_conf *kc,
    struct publish **out)
{
	struct publish *p;
	int ret;

	*out = NULL;
	if (!conf_ok(c))
		return -EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->conf = p->c = *c;
	p->rnd = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^
	    0x9e3779b9u;
	if ((ret = kapi_conf_copy(&p->kc, kc)) < 0 ||
	    (ret = -pthread_create(&p->th, NULL, thread_main, p)) < 0) {
		destroy(p);
		return ret;
	}
	p->started = true;
	*out = p;
	return 0;
}

void
publish_set_conf(struct publish *p, const struct publish_conf *c)
{
	if (p == NULL || !conf_ok(c))
		return;
	pthread_mutex_lock(&p->mu);
	p->conf = *c;
	p->conf_changed = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
publish_get_stats(struct publish *p, struct publish_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->stats;
	pthread_mutex_unlock(&p->mu);
}

int
publish_stop(struct publish *p, bool final, int timeout_ms,
    struct publish_stats *stats)
{
	struct timespec ts;
	int ret = 0;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->deadline_ms = clock_mono_ms() + timeout_ms;
	__atomic_store_n(&p->final, final, __ATOMIC_RELAXED);
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	/* Not a last publish (a reload turned publishing off, on the event
	 * loop's thread): a request in flight is abandoned at once. */
	if (!final)
		__atomic_store_n(&p->cancel, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->started) {
		clock_after_ms(&ts, timeout_ms + 1000);
		if (pthread_timedjoin_np(p->th, NULL, &ts) != 0) {
			/* A request in flight: abandon it (within ~100 ms). */
			__atomic_store_n(&p->cancel, 1, __ATOMIC_RELAXED);
			pthread_join(p->th, NULL);
			ret = -ETIMEDOUT;
		}
	}
	if (stats != NULL)
		*stats = p->stats;
	destroy(p);
	return ret;
}
