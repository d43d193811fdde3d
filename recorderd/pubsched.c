/*
 * pubsched: the publisher's decisions (see pubsched.h).
 */
#include "recorderd/pubsched.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

enum pubsched_action
pubsched_decide(const struct pubsched_obj *o, const struct pubsched_now *n,
    int64_t now, const struct pubsched_conf *c)
{
	if (!n->exists)
		return o->known ? PUBSCHED_DELETE : PUBSCHED_NONE;
	if (now < o->retry_at)
		return PUBSCHED_NONE;
	if (!o->known)
		return PUBSCHED_APPLY;
	if (n->hash == o->hash)
		return PUBSCHED_NONE;
	if (n->max_row > o->max_row || n->meta_hash != o->meta_hash)
		return PUBSCHED_APPLY;
	return now - o->written_at >= c->refresh ? PUBSCHED_APPLY :
	    PUBSCHED_NONE;
}

static int64_t
budget_cap(unsigned per_hour)
{
	int64_t tokens = per_hour / 60;

	return (tokens > 1 ? tokens : 1) * PUBSCHED_TOKEN;
}

bool
pubsched_budget_take(struct pubsched_budget *b, unsigned per_hour,
    int64_t now_ms)
{
	int64_t cap = budget_cap(per_hour);

	if (!b->started) {
		b->credit = cap;
		b->at_ms = now_ms;
		b->started = true;
	} else if (now_ms > b->at_ms) {
		b->credit += (now_ms - b->at_ms) * (int64_t)per_hour;
		b->at_ms = now_ms;
	}
	/* A lowered budget (SIGHUP) holds at most its own minute. */
	if (b->credit > cap)
		b->credit = cap;
	if (b->credit < PUBSCHED_TOKEN)
		return false;
	b->credit -= PUBSCHED_TOKEN;
	return true;
}

bool
pubsched_pending(const struct pubsched_obj *o, const struct pubsched_now *n)
{
	if (!n->exists)
		return o->known;
	return !o->known || n->hash != o->hash;
}

enum pubsched_class
pubsched_classify(int err, long status, const char *message, bool deleting)
{
	if (err != 0)
		return PUBSCHED_DOWN;
	if (status >= 200 && status < 300)
		return PUBSCHED_OK;
	switch (status) {
	case 401:
		return PUBSCHED_UNAUTHORIZED;
	case 403:
		return PUBSCHED_FORBIDDEN;
	case 404:
		if (deleting)
			return PUBSCHED_OK;
		/* The resource itself (the CRD not installed) answers with
		 * this message; a missing namespace names it. */
		if (message == NULL || *message == '\0' ||
		    strstr(message, "could not find the requested resource"))
			return PUBSCHED_NO_CRD;
		return PUBSCHED_NO_NAMESPACE;
	case 413:
		return PUBSCHED_TOO_LARGE;
	case 429:
		return PUBSCHED_THROTTLED;
	case 400:
	case 415:
	case 422:
		return PUBSCHED_INVALID;
	default:
		break;
	}
	/* etcd's own bound on an object (1.5 MiB) comes back as a 500. */
	if (status == 500 && message != NULL &&
	    strstr(message, "request is too large") != NULL)
		return PUBSCHED_TOO_LARGE;
	return PUBSCHED_RETRY;
}

bool
pubsched_class_global(enum pubsched_class c)
{
	return c == PUBSCHED_DOWN || c == PUBSCHED_RETRY ||
	    c == PUBSCHED_UNAUTHORIZED ||
	    c == PUBSCHED_THROTTLED || c == PUBSCHED_NO_CRD ||
	    c == PUBSCHED_FORBIDDEN;
}

static const char *const state_names[] = {
	[PUBSCHED_STATE_OK] = "ok",
	[PUBSCHED_STATE_DOWN] = "down",
	[PUBSCHED_STATE_FAILING] = "failing",
	[PUBSCHED_STATE_THROTTLED] = "throttled",
	[PUBSCHED_STATE_UNAUTHORIZED] = "unauthorized",
	[PUBSCHED_STATE_NO_CRD] = "no-crd",
	[PUBSCHED_STATE_FORBIDDEN] = "forbidden",
};

const char *
pubsched_state_name(int state)
{
	if (state < 0 || state > PUBSCHED_STATE_FORBIDDEN)
		return "?";
	return state_names[state];
}

int64_t
pubsched_backoff_ms(int fails, bool slow, uint32_t rnd)
{
	int64_t d = slow ? PUBSCHED_SLOW_MIN_MS : PUBSCHED_BACKOFF_MIN_MS;
	int64_t max = slow ? PUBSCHED_SLOW_MAX_MS : PUBSCHED_BACKOFF_MAX_MS;

	for (int i = 1; i < fails && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* Jitter: a point of the upper half, so that 1,000 nodes back
	 * off from one outage at different times. */
	return d / 2 + (int64_t)(rnd % (uint32_t)(d / 2 + 1));
}

static int
state_of(enum pubsched_class c)
{
	switch (c) {
	case PUBSCHED_DOWN:
		return PUBSCHED_STATE_DOWN;
	case PUBSCHED_UNAUTHORIZED:
		return PUBSCHED_STATE_UNAUTHORIZED;
	case PUBSCHED_THROTTLED:
		return PUBSCHED_STATE_THROTTLED;
	case PUBSCHED_NO_CRD:
		return PUBSCHED_STATE_NO_CRD;
	case PUBSCHED_FORBIDDEN:
		return PUBSCHED_STATE_FORBIDDEN;
	case PUBSCHED_RETRY:
		return PUBSCHED_STATE_FAILING;
	default:
		return PUBSCHED_STATE_OK;
	}
}

bool
pubsched_health_update(struct pubsched_health *h, enum pubsched_class c,
    long retry_after_s, int64_t now_ms, uint32_t rnd)
{
	int old = h->state, st;
	int64_t d;
	bool slow;

	st = state_of(c);
	if (st == PUBSCHED_STATE_OK) {
		h->state = PUBSCHED_STATE_OK;
		h->fails = 0;
		h->next_ms = 0;
		return old != h->state;
	}
	h->state = st;
	h->fails++;
	slow = st == PUBSCHED_STATE_NO_CRD || st == PUBSCHED_STATE_FORBIDDEN;
	d = pubsched_backoff_ms(h->fails, slow, rnd);
	if (retry_after_s > 0) {
		if (retry_after_s > PUBSCHED_RETRY_AFTER_MAX_S)
			retry_after_s = PUBSCHED_RETRY_AFTER_MAX_S;
		if (d < retry_after_s * 1000)
			d = retry_after_s * 1000;
	}
	h->next_ms = now_ms + d;
	return old != h->state;
}

bool
pubsched_health_ready(const struct pubsched_health *h, int64_t now_ms)
{
	return now_ms >= h->next_ms;
}

/* The next pattern of the list at *p into buf; false at the end. */
static bool
next_pattern(const char **p, char *buf, size_t len)
{
	const char *s = *p, *e;
	size_t n;

	while (*s == ' ' || *s == ',')
		s++;
	if (*s == '\0')
		return false;
	for (e = s; *e != '\0' && *e != ','; e++)
		;
	n = (size_t)(e - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), s);
	*p = e;
	return true;
}

bool
pubsched_ns_selected(const char *patterns, const char *ns)
{
	const char *p = patterns != NULL ? patterns : "";
	char pat[256];
	bool any_include = false, included = false;

	while (next_pattern(&p, pat, sizeof(pat))) {
		if (pat[0] == '!') {
			if (fnmatch(pat + 1, ns, 0) == 0)
				return false;
			continue;
		}
		any_include = true;
		if (fnmatch(pat, ns, 0) == 0)
			included = true;
	}
	return !any_include || included;
}

bool
pubsched_ns_valid(const char *patterns, const char **why)
{
	const char *p = patterns, *s;
	char pat[256];

	while (next_pattern(&p, pat, sizeof(pat))) {
		s = pat[0] == '!' ? pat + 1 : pat;
		if (*s == '\0') {
			*why = "an empty pattern";
			return false;
		}
		for (; *s != '\0'; s++)
			if (!((*s >= 'a' && *s <= 'z') ||
			    (*s >= '0' && *s <= '9') || strchr("-*?[]!", *s))) {
				*why = "a pattern may hold a-z, 0-9, '-' and "
				    "the wildcards * ? [ ] (and a leading ! "
				    "to exclude)";
				return false;
			}
	}
	return true;
}
