/*
 * pubsched: the publisher's decisions, as pure functions of what it
 * knows (no I/O, no clock, no randomness of its own: the caller passes
 * now and a random number), so that every rule is tested alone.
 *
 *  - per object: write it now, delete it, or wait (pubsched_decide);
 *  - per answer: what an HTTP answer or a transport error means
 *    (pubsched_classify);
 *  - for the API as a whole: a state that changes only when the kind of
 *    failure changes (the publisher logs each change once, not each
 *    attempt), and the back-off with jitter before the next attempt
 *    (pubsched_health_update);
 *  - which namespaces are published (pubsched_ns_selected).
 */
#ifndef NPR_PUBSCHED_H
#define NPR_PUBSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Back-off bounds (ms): transient failures, and the slow ones (CRD not
 * installed, RBAC missing) that wait for an administrator. */
#define PUBSCHED_BACKOFF_MIN_MS 1000
#define PUBSCHED_BACKOFF_MAX_MS (5 * 60 * 1000)
#define PUBSCHED_SLOW_MIN_MS (30 * 1000)
#define PUBSCHED_SLOW_MAX_MS (10 * 60 * 1000)
/* A Retry-After longer than this is taken as this. */
#define PUBSCHED_RETRY_AFTER_MAX_S 600

struct pubsched_conf {
	int64_t interval;		/* s: new entries are written within */
	int64_t refresh;		/* s: other changes at most so often */
};

/* What the publisher remembers of one object. */
struct pubsched_obj {
	bool known;			/* the API has it (written, listed) */
	uint64_t hash, meta_hash;	/* of what the API has */
	int64_t written_at;		/* s, when it was written (or listed
					 * with); 0 never */
	int64_t max_row;		/* the workload's highest flow row when
					 * it was written */
	int64_t retry_at;		/* s: after a failure of this object
					 * alone (too large, invalid) */
};

/* What the store says of it now. */
struct pubsched_now {
	bool exists;			/* it has entries, its namespace is
					 * published, the workload exists */
	uint64_t hash, meta_hash;	/* of the object built now */
	int64_t max_row;		/* the workload's highest flow row */
};

enum pubsched_action {
	PUBSCHED_NONE,			/* nothing to do (now) */
	PUBSCHED_APPLY,			/* write it */
	PUBSCHED_DELETE,		/* delete it */
};

/*
 * The rule: an object that should not exist and is known goes; one the
 * API does not have is written; one that gained flows (a row id higher
 * than when written) or whose workload or owner changed is written now
 * (within the interval: the caller checks every interval); any other
 * change waits until refresh seconds after the last write; no change, no
 * write. An object whose last attempt failed on its own waits until its
 * retry_at.
 */
enum pubsched_action pubsched_decide(const struct pubsched_obj *o,
    const struct pubsched_now *n, int64_t now, const struct pubsched_conf *c);

/*
 * The node's budget for counts-only rewrites (publish.max_refreshes_per_
 * hour): a token bucket that gains per_hour tokens an hour, holds at most
 * a minute's worth (at least one), and starts full. A rewrite that only
 * moves counts and last-seen takes a token or waits; new entries, new
 * objects and deletes never wait for one. With steady traffic on every
 * workload, refresh seconds apart per object is then the least, and
 * objects x 3600 / per_hour seconds the most, between two rewrites of one
 * object.
 */
struct pubsched_budget {
	int64_t credit;			/* tokens x PUBSCHED_TOKEN */
	int64_t at_ms;			/* monotonic ms it was counted at */
	bool started;			/* false: full, at_ms not set */
};
#define PUBSCHED_TOKEN 3600000		/* credit of one token: per_hour
					 * is gained every ms */

/* Take a token at now_ms (false: none left; nothing taken). */
bool pubsched_budget_take(struct pubsched_budget *b, unsigned per_hour,
    int64_t now_ms);

/* Changed and not written yet (the publishPending counter). */
bool pubsched_pending(const struct pubsched_obj *o,
    const struct pubsched_now *n);

/* What an answer means. */
enum pubsched_class {
	PUBSCHED_OK,			/* written, deleted, already gone */
	PUBSCHED_DOWN,			/* no answer (connect, TLS, timeout) */
	PUBSCHED_RETRY,			/* 5xx, 409: back off and retry */
	PUBSCHED_UNAUTHORIZED,		/* 401: the token is re-read, retried */
	PUBSCHED_THROTTLED,		/* 429: wait Retry-After */
	PUBSCHED_NO_CRD,		/* 404 of the resource: no CRD */
	PUBSCHED_FORBIDDEN,		/* 403: an RBAC rule is missing */
	PUBSCHED_TOO_LARGE,		/* 413 / etcd's limit: this object */
	PUBSCHED_INVALID,		/* 400, 415, 422: this object, a bug */
	PUBSCHED_NO_NAMESPACE,		/* 404 for the namespace: it is gone */
};

/*
 * err: 0 when the server answered (status, and the Status message), else
 * the transport's -errno. deleting: a DELETE, for which 404 is success.
 */
enum pubsched_class pubsched_classify(int err, long status,
    const char *message, bool deleting);

/* Classes that say something of the API as a whole (the others are of
 * one object, and the API answered). */
bool pubsched_class_global(enum pubsched_class c);

/* The API's state as the publisher logs it. */
enum pubsched_state {
	PUBSCHED_STATE_OK = 0,
	PUBSCHED_STATE_DOWN,		/* no answer (connect, TLS, timeout) */
	PUBSCHED_STATE_FAILING,		/* 5xx, 409 */
	PUBSCHED_STATE_THROTTLED,	/* 429 */
	PUBSCHED_STATE_UNAUTHORIZED,	/* 401 */
	PUBSCHED_STATE_NO_CRD,
	PUBSCHED_STATE_FORBIDDEN,
};

struct pubsched_health {
	int state;			/* enum pubsched_state */
	int fails;			/* consecutive failed attempts */
	int64_t next_ms;		/* no request before (monotonic ms) */
};

/* Short names of the states ("ok", "down", ...). */
const char *pubsched_state_name(int state);

/*
 * Take the answer of an attempt at now_ms into h: success clears the
 * back-off; a global failure sets next_ms to now + the back-off (doubling
 * from PUBSCHED_BACKOFF_MIN_MS, or PUBSCHED_SLOW_MIN_MS for a missing CRD
 * or RBAC rule, up to their maximum; with jitter: a random point of its
 * upper half, from rnd), never before Retry-After. Per-object classes
 * count as the API answering. Returns true when the state changed.
 */
bool pubsched_health_update(struct pubsched_health *h, enum pubsched_class c,
    long retry_after_s, int64_t now_ms, uint32_t rnd);

/* May a request be made at now_ms? */
bool pubsched_health_ready(const struct pubsched_health *h, int64_t now_ms);

/* The back-off before attempt fails + 1 (fails >= 1), with jitter. */
int64_t pubsched_backoff_ms(int fails, bool slow, uint32_t rnd);

/*
 * Is namespace ns published under patterns: a comma-separated list of
 * shell patterns (fnmatch), those with a leading '!' excluding. "" (or
 * only exclusions): every namespace not excluded; otherwise ns must
 * match an including pattern and no excluding one.
 */
bool pubsched_ns_selected(const char *patterns, const char *ns);

/* Is patterns a valid list (each a non-empty pattern of the characters
 * of a namespace name and * ? [ ] !)? Sets *why when not. */
bool pubsched_ns_valid(const char *patterns, const char **why);

#endif
