#include "recorderd/rec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>

#include "lib/log.h"
#include "recorderd/agg.h"
#include "recorderd/ct.h"
#include "recorderd/dns.h"
#include "recorderd/nflog.h"

#define REC_RECENT (1 << 16)		/* buckets of ct ids seen */
#define REC_WAYS 16			/* ids per bucket */
#define REC_PENDING 1024		/* events waiting for a pod */
#define REC_PENDING_MAX_AGE 5		/* seconds */

struct pending {
	struct ct_event ev;
	int64_t since;
};

struct rec {
	struct store *st;
	struct attrib *at;
	struct agg *agg;
	uint32_t mark;

	uint64_t recent[REC_RECENT][REC_WAYS];
	uint8_t recent_next[REC_RECENT];
	struct pending pend[REC_PENDING];
	int npend;

	struct rec_counts c;
	int64_t last_store_error;
	int64_t flush_failed_at;	/* last failed flow write, 0 none */
	bool drop_logged;		/* since the store last worked */
};

int
rec_new(struct store *st, struct attrib *at, uint32_t mark,
    uint32_t max_flows, struct rec **out)
{
	struct rec *r;
	int ret;

	*out = NULL;
	if (mark == 0)
		return -EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->st = st;
	r->at = at;
	r->mark = mark;
	if ((ret = agg_new(max_flows, &r->agg)) < 0) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void
rec_free(struct rec *r)
{
	if (r == NULL)
		return;
	agg_free(r->agg);
	free(r);
}

void
rec_set_mark(struct rec *r, uint32_t mark)
{
	r->mark = mark;
}

struct rec_counts *
rec_counts(struct rec *r)
{
	return &r->c;
}

int
rec_npending(const struct rec *r)
{
	return r->npend;
}

/*
 * The connections already counted, so that a connection both announced
 * by NEW and listed by a resync dump is counted once. A connection is
 * known by its conntrack id and a hash of its original tuple: the id
 * alone is a 32-bit hash in the kernel, so two of 60,000 open
 * connections share one about a third of the time (the second was never
 * counted: tests/integration/test_fault_sigkill.sh caught it), and a new
 * connection, once the table had filled, matched a stale id of its
 * bucket once in 16,384 (8 ids per bucket, 15 bits of bucket index:
 * 8 x 2^-17) and was not counted.
 * With 64-bit keys both are negligible (~1e-14 per connection).
 *
 * A fixed set-associative table: 65,536 buckets of 16 keys (8 MiB,
 * touched only as connections come). When a bucket overflows it forgets
 * its oldest key, and that connection may then be counted twice, never
 * missed; repeated resync dumps walk the same keys in the same order, so
 * an overflowing bucket re-counts on every dump (8 ids in 32,768 buckets
 * counted 235 of 60,000 connections twice over six dumps, test_rec.c).
 * With 16 keys per bucket the expected number of overflowing buckets is
 * about 3e-12 at 54,000 open connections and 0.07 at 262,144 (the
 * default nf_conntrack_max).
 */
static uint64_t
conn_key(const struct ct_event *ev)
{
	const struct ct_tuple *t = &ev->orig;
	size_t alen = ev->family == AF_INET6 ? 16 : 4;
	uint32_t h = 2166136261u;	/* FNV-1a */
	uint8_t tail[8];

	tail[0] = ev->family;
	tail[1] = ev->proto;
	tail[2] = (uint8_t)(t->sport >> 8);
	tail[3] = (uint8_t)t->sport;
	tail[4] = (uint8_t)(t->dport >> 8);
	tail[5] = (uint8_t)t->dport;
	tail[6] = (uint8_t)(t->icmp_id >> 8);
	tail[7] = (uint8_t)t->icmp_id;
	for (size_t i = 0; i < alen; i++)
		h = (h ^ t->src.bytes[i]) * 16777619u;
	for (size_t i = 0; i < alen; i++)
		h = (h ^ t->dst.bytes[i]) * 16777619u;
	for (size_t i = 0; i < sizeof(tail); i++)
		h = (h ^ tail[i]) * 16777619u;
	return (uint64_t)ev->id << 32 | h;
}

/* key is never 0 (the id is not): 0 marks an empty slot. */
static bool
recent_seen(struct rec *r, uint64_t key, bool add)
{
	uint32_t b = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 48) &
	    (REC_RECENT - 1);

	for (int w = 0; w < REC_WAYS; w++)
		if (r->recent[b][w] == key)
			return true;
	if (add)
		r->recent[b][r->recent_next[b]++ % REC_WAYS] = key;
	return false;
}

static void
agg_put(struct rec *d, const struct attrib_side *s, const struct ct_event *ev,
    int64_t now)
{
	/* A connection counts once: at its NEW event or as a dump entry
	 * (made NEW by rec_ct_buf); updates and DESTROY only add to it. */
	uint64_t count = ev->type == CT_EV_NEW ? 1 : 0;
	uint64_t bytes = 0, packets = 0;

	if (ev->type == CT_EV_DESTROY && ev->has_counters) {
		bytes = ev->orig_bytes + ev->reply_bytes;
		packets = ev->orig_packets + ev->reply_packets;
	}
	if (agg_add(d->agg, &s->key, s->dns_name, now, count, bytes,
	    packets) == -ENOSPC) {
		/* The table is full before the interval ended: write now
		 * rather than lose the flow (but not on every event while
		 * the store keeps failing: the timer retries). */
		if (now != d->flush_failed_at)
			(void)rec_flush(d, now);
		if (agg_add(d->agg, &s->key, s->dns_name, now, count, bytes,
		    packets) < 0) {
			d->c.flows_dropped++;	/* the store refuses writes */
			if (!d->drop_logged)
				log_warnx("store: the %zu flows kept in memory "
				    "(max_flows) fill the table and the store "
				    "refuses writes: dropping flow updates "
				    "(counted in flows_dropped)",
				    agg_capacity(d->agg));
			d->drop_logged = true;
		}
	}
}

/* 0 recorded (or nothing to record), -EAGAIN no pod known yet. */
static int
record(struct rec *d, const struct ct_event *ev, int64_t now)
{
	struct attrib_side sides[2];
	int n, ret;

	ret = attrib_event(d->at, ev, sides, &n);
	if (ret == -EAGAIN && attrib_reload(d->at, false) > 0)
		ret = attrib_event(d->at, ev, sides, &n);
	if (ret < 0)
		return ret;
	for (int i = 0; i < n; i++)
		agg_put(d, &sides[i], ev, now);
	return 0;
}

static void
pend_push(struct rec *d, const struct ct_event *ev, int64_t now)
{
	if (d->npend == REC_PENDING) {
		d->c.events_unattributed++;
		return;
	}
	d->pend[d->npend].ev = *ev;
	d->pend[d->npend].since = now;
	d->npend++;
}

void
rec_retry_pending(struct rec *d, int64_t now)
{
	int keep = 0;

	if (d->npend == 0)
		return;
	(void)attrib_reload(d->at, true);
	for (int i = 0; i < d->npend; i++) {
		if (record(d, &d->pend[i].ev, now) != -EAGAIN)
			continue;
		if (now - d->pend[i].since < REC_PENDING_MAX_AGE)
			d->pend[keep++] = d->pend[i];
		else
			d->c.events_unattributed++;
	}
	d->npend = keep;
}

static void
handle_ct(struct rec *d, const struct ct_event *ev, bool from_dump,
    int64_t now)
{
	struct ct_event open;

	/* The kernel filters already; a dump on an old kernel may not. */
	if (!ct_event_has_mark(ev, d->mark))
		return;
	d->c.events_seen++;
	/* Either order: the dump may be read before the NEW event that
	 * was queued for the same connection. */
	if (ev->has_id && ev->id != 0 && ev->type == CT_EV_NEW &&
	    recent_seen(d, conn_key(ev), true)) {
		/* Counted already; a dump lists it because it is still
		 * open. Its flow's last_seen moves to now, the count stays,
		 * so that retention and --since judge a long-lived
		 * connection by when it was last open, not by its start.
		 * A pod not known (any more) is not waited for. */
		if (from_dump) {
			open = *ev;
			open.type = CT_EV_UPDATE;
			(void)record(d, &open, now);
		}
		return;
	}
	if (record(d, ev, now) == -EAGAIN)
		pend_push(d, ev, now);
}

int
rec_ct_buf(struct rec *d, const void *buf, size_t len, bool from_dump,
    int64_t now, bool *done)
{
	const struct nlmsghdr *nlh = buf;
	struct ct_event ev;
	int n = (int)len, entries = 0;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type == NLMSG_DONE) {
			*done = true;
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (from_dump) {
				if (e->error != 0)
					log_warnx("conntrack dump: %s",
					    strerror(-e->error));
				*done = true;
			}
			continue;
		}
		switch (ct_event_parse(nlh, (size_t)n, &ev)) {
		case 0:
			if (from_dump)
				ev.type = CT_EV_NEW;	/* a connection */
			entries++;
			handle_ct(d, &ev, from_dump, now);
			break;
		case -ENOMSG:
			break;
		default:
			d->c.parse_errors++;
			break;
		}
	}
	return entries;
}

/* ---- DNS ---------------------------------------------------------------- */

static void
handle_dns_payload(struct rec *d, const struct nflog_l4 *l4, int64_t now)
{
	struct dns_answers ans;
	size_t off = 0, used;
	int kept;

	if (l4->sport != 53)
		return;
	if (l4->proto == IPPROTO_UDP) {
		if (dns_parse(l4->data, l4->len, &ans) == 0 &&
		    (kept = attrib_dns(d->at, &l4->dst, &ans, now)) > 0)
			d->c.dns_answers += kept;
		return;
	}
	/* TCP: a segment may hold several length-prefixed messages. A
	 * message split over segments is read from its first segment as
	 * far as it goes. */
	for (int i = 0; i < 16 && off + 2 <= l4->len; i++) {
		if (dns_parse_tcp(l4->data + off, l4->len - off, &ans,
		    &used) == 0 &&
		    (kept = attrib_dns(d->at, &l4->dst, &ans, now)) > 0)
			d->c.dns_answers += kept;
		if (used == 0)
			break;
		off += used;
	}
}

void
rec_nflog_buf(struct rec *d, const void *buf, size_t len, uint16_t group,
    int64_t now)
{
	const struct nlmsghdr *nlh = buf;
	struct nflog_pkt pkt;
	struct nflog_l4 l4;
	int n = (int)len;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nflog_msg_parse(nlh, (size_t)n, &pkt) < 0)
			continue;
		if (pkt.group != group)
			continue;
		if (nflog_l4_parse(pkt.payload, pkt.payload_len, &l4) < 0)
			continue;
		handle_dns_payload(d, &l4, now);
	}
}

struct counter_def {
	const char *name;
	size_t off;
};

static const struct counter_def counter_defs[] = {
	{ "events_seen", offsetof(struct rec_counts, events_seen) },
	{ "flows_written", offsetof(struct rec_counts, flows_written) },
	{ "events_lost", offsetof(struct rec_counts, events_lost) },
	{ "resyncs", offsetof(struct rec_counts, resyncs) },
	{ "enobufs", offsetof(struct rec_counts, enobufs) },
	{ "dns_answers", offsetof(struct rec_counts, dns_answers) },
	{ "dns_lost", offsetof(struct rec_counts, dns_lost) },
	{ "flows_dropped", offsetof(struct rec_counts, flows_dropped) },
	{ "events_unattributed", offsetof(struct rec_counts,
	    events_unattributed) },
	{ "parse_errors", offsetof(struct rec_counts, parse_errors) },
};

static void
store_error(struct rec *d, const char *what, int ret)
{
	int64_t now = (int64_t)time(NULL);

	/* Once a minute is enough for a disk that stays full. */
	if (now - d->last_store_error < 60)
		return;
	d->last_store_error = now;
	/* A full disk is the likely one: name it as the operator will
	 * search for it. */
	log_warnx("store: %s: %s%s (%s); kept in memory (at most %zu flows,"
	    " max_flows), retrying", what, strerror(-ret),
	    ret == -ENOSPC ? " (ENOSPC: the store's filesystem is full)" : "",
	    store_errmsg(d->st), agg_capacity(d->agg));
}

int
rec_flush(struct rec *d, int64_t now)
{
	const struct flow *flows;
	size_t n;
	int ret;
	bool fresh = attrib_version_fresh(d->at);

	flows = agg_flows(d->agg, &n);
	if (n > 0) {
		if ((ret = store_flows_write(d->st, flows, n)) < 0) {
			d->flush_failed_at = now;
			store_error(d, "writing flows", ret);
			return ret;
		}
		if (d->flush_failed_at != 0) {
			log_info("store: writing again: %zu flows kept in "
			    "memory written", n);
			d->last_store_error = 0;	/* log the next fault */
			d->drop_logged = false;
		}
		d->flush_failed_at = 0;
		d->c.flows_written += (int64_t)n;
		agg_reset(d->agg);
	}
	if ((ret = attrib_dns_flush(d->at)) < 0)
		store_error(d, "writing DNS answers", ret);
	for (size_t i = 0; i < sizeof(counter_defs) / sizeof(counter_defs[0]);
	    i++) {
		int64_t *v = (int64_t *)(void *)((char *)&d->c +
		    counter_defs[i].off);

		if (*v == 0)
			continue;
		if ((ret = store_counter_add(d->st, counter_defs[i].name,
		    *v)) < 0) {
			store_error(d, "writing counters", ret);
			break;
		}
		*v = 0;
	}
	if (fresh)
		attrib_note_own_write(d->at);
	return 0;
}

