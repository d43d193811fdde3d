#include "recorderd/rec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "recorderd/agg.h"
#include "recorderd/connid.h"
#include "recorderd/ct.h"
#include "recorderd/dns.h"
#include "recorderd/nflog.h"

#define REC_PENDING 8192		/* events waiting for a pod */
#define REC_PENDING_MAX_AGE 5		/* seconds */

struct pending {
	struct ct_event ev;
	int64_t since;
	int64_t held_ms;		/* one end known: held until (mono) */
};

struct rec {
	struct attrib *at;
	struct rec_sink sink;
	struct batch *cur;		/* filled now */
	struct batch *spare;		/* NULL while the sink has it */
	uint32_t mark;

	struct connid *ids;		/* the connections counted */
	int64_t read_ns;		/* when the next messages were read */
	struct pending pend[REC_PENDING];
	int npend;
	bool want_pods;

	struct batch_counts c;
	bool deferred;			/* a flush waits for the spare */
	bool drop_logged;		/* since a batch last came back */
};

int
rec_new(struct attrib *at, const struct rec_sink *sink, uint32_t mark,
    uint32_t max_flows, struct rec **out)
{
	struct rec *r;
	int ret;

	*out = NULL;
	if (mark == 0)
		return -EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->at = at;
	r->sink = *sink;
	r->mark = mark;
	if ((ret = connid_new(CONNID_BUCKETS, &r->ids)) < 0 ||
	    (ret = batch_new(max_flows, &r->cur)) < 0 ||
	    (ret = batch_new(max_flows, &r->spare)) < 0) {
		rec_free(r);
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
	batch_free(r->cur);
	batch_free(r->spare);
	connid_free(r->ids);
	free(r);
}

void
rec_set_mark(struct rec *r, uint32_t mark)
{
	r->mark = mark;
}

int
rec_set_meta(struct rec *r, const char *key, const char *value)
{
	return batch_add_meta(r->cur, key, value);
}

struct batch_counts *
rec_counts(struct rec *r)
{
	return &r->c;
}

int
rec_npending(const struct rec *r)
{
	return r->npend;
}

bool
rec_take_want_pods(struct rec *r)
{
	bool w = r->want_pods;

	r->want_pods = false;
	return w;
}

void
rec_ct_read_at(struct rec *r, int64_t now_ns)
{
	r->read_ns = now_ns;
}

void
rec_ct_drained(struct rec *r, int64_t since_ns)
{
	connid_drained(r->ids, since_ns);
}

void
rec_ct_lost(struct rec *r)
{
	connid_lost(r->ids);
}

void
rec_dump_begin(struct rec *r)
{
	connid_dump_begin(r->ids);
}

void
rec_dump_end(struct rec *r, bool clean)
{
	connid_dump_end(r->ids, clean);
}

int
rec_restore_counted(struct rec *r, const void *buf, size_t len)
{
	return connid_restore(r->ids, buf, len);
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
	if (agg_add(batch_agg(d->cur), &s->key, s->dns_name, now, count,
	    bytes, packets) == 0)
		return;
	/* The table is full before the interval ended: hand it over now
	 * and go on in the other one. If the writer still has that one
	 * (the store is busy or refuses writes), both are full. */
	if (rec_flush(d, now) == 0 && agg_add(batch_agg(d->cur), &s->key,
	    s->dns_name, now, count, bytes, packets) == 0)
		return;
	d->c.flows_dropped++;
	if (!d->drop_logged)
		log_warnx("store: both tables of %zu flows (max_flows) are "
		    "full while the store is busy or refuses writes: dropping "
		    "flow updates (counted in flows_dropped)",
		    agg_capacity(batch_agg(d->cur)));
	d->drop_logged = true;
}

/*
 * 0 recorded (or nothing to record), -EAGAIN no pod known yet,
 * -EINPROGRESS (only with hold) one end known and the other perhaps a
 * pod attached a moment ago.
 */
static int
record(struct rec *d, const struct ct_event *ev, int64_t now, bool hold)
{
	struct attrib_side sides[2];
	int n, ret;

	ret = hold ? attrib_event_hold(d->at, ev, sides, &n) :
	    attrib_event(d->at, ev, sides, &n);
	if (ret < 0) {
		/* The plugin may have written the attachment a moment
		 * ago: the event loop has the attachments read again. */
		if (ret == -EAGAIN || ret == -EINPROGRESS)
			d->want_pods = true;
		return ret;
	}
	for (int i = 0; i < n; i++)
		agg_put(d, &sides[i], ev, now);
	return 0;
}

/*
 * Wait for the pod. An event with one end known waits at most
 * REC_HOLD_MS: it is then recorded with what is known. With the queue
 * full it is recorded at once; an event with no end known is counted
 * in events_unattributed: nothing goes without a trace.
 */
static void
pend_push(struct rec *d, const struct ct_event *ev, int64_t now, int why)
{
	struct pending *p;

	if (d->npend == REC_PENDING) {
		if (why == -EINPROGRESS)
			(void)record(d, ev, now, false);
		else
			d->c.events_unattributed++;
		return;
	}
	p = &d->pend[d->npend++];
	p->ev = *ev;
	p->since = now;
	p->held_ms = why == -EINPROGRESS ? clock_mono_ms() + REC_HOLD_MS : 0;
}

void
rec_retry_pending(struct rec *d, int64_t now)
{
	int64_t ms = clock_mono_ms();
	int keep = 0, ret;
	bool want = d->want_pods;

	for (int i = 0; i < d->npend; i++) {
		struct pending *p = &d->pend[i];

		ret = record(d, &p->ev, now, p->held_ms > ms);
		/* No end known any more (its pod went): it waits as such,
		 * no longer on the hold's clock. */
		if (ret == -EAGAIN)
			p->held_ms = 0;
		if (ret == -EINPROGRESS ||
		    (ret == -EAGAIN && now - p->since < REC_PENDING_MAX_AGE))
			d->pend[keep++] = *p;
		else if (ret == -EAGAIN)
			d->c.events_unattributed++;
	}
	d->npend = keep;
	/* Still waiting: the next tick asks for the attachments again. */
	d->want_pods = want || keep > 0;
}

int
rec_hold_ms(const struct rec *d)
{
	int64_t first = INT64_MAX, ms;

	for (int i = 0; i < d->npend; i++)
		if (d->pend[i].held_ms != 0 && d->pend[i].held_ms < first)
			first = d->pend[i].held_ms;
	if (first == INT64_MAX)
		return -1;
	ms = first - clock_mono_ms();
	return ms < 0 ? 0 : (int)ms;
}

/*
 * A connection counts once: at its NEW event, or as a dump entry when
 * its NEW event was never read (connid.h says how that is known).
 */
static void
handle_ct(struct rec *d, const struct ct_event *ev, bool from_dump,
    int64_t now)
{
	int64_t read_ns = d->read_ns != 0 ? d->read_ns : now * 1000000000;
	struct ct_event open;
	int ret;

	/* The kernel filters already; a dump on an old kernel may not. */
	if (!ct_event_has_mark(ev, d->mark))
		return;
	if (from_dump) {
		d->c.dump_entries++;
		if (!connid_dump_entry(d->ids, ev, read_ns)) {
			/* Counted already; the dump lists it because it is
			 * still open. Its flow's last_seen moves to now, the
			 * count stays, so that retention and --since judge a
			 * long-lived connection by when it was last open, not
			 * by its start. A pod not known (any more) is not
			 * waited for. */
			open = *ev;
			open.type = CT_EV_UPDATE;
			(void)record(d, &open, now, false);
			return;
		}
	} else {
		d->c.events_seen++;
		/* Either order: the dump may be read before the NEW event
		 * that was queued for the same connection. */
		if (ev->type == CT_EV_NEW &&
		    !connid_event(d->ids, ev, read_ns))
			return;
	}
	if ((ret = record(d, ev, now, true)) < 0)
		pend_push(d, ev, now, ret);
}

void
rec_ct_open(struct rec *d, const struct ct_event *ev, int64_t now)
{
	int64_t read_ns = d->read_ns != 0 ? d->read_ns : now * 1000000000;
	struct ct_event e = *ev;
	int ret;

	/* An entry of a listing of the table, not an event. */
	d->c.dump_entries++;
	if (!connid_adopted(d->ids, ev, read_ns))
		return;
	e.type = CT_EV_NEW;	/* a connection, counted now */
	if ((ret = record(d, &e, now, true)) < 0)
		pend_push(d, &e, now, ret);
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
				if (e->error != 0) {
					log_warnx("conntrack dump: %s",
					    strerror(-e->error));
					connid_dump_end(d->ids, false);
				}
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

int
rec_flush(struct rec *d, int64_t now)
{
	struct batch *b = d->cur;
	void *snap;
	size_t snaplen;

	(void)now;
	if (d->spare == NULL) {
		/* The writer still has the last batch: keep aggregating
		 * here, hand over when it is back. */
		if (!d->deferred)
			d->c.flushes_deferred++;
		d->deferred = true;
		return -EBUSY;
	}
	/* Out of memory: what attrib could not move stays queued. */
	(void)attrib_collect(d->at, b);
	batch_counts_add(batch_counts(b), &d->c);
	memset(&d->c, 0, sizeof(d->c));
	d->deferred = false;
	if (batch_empty(b))
		return 0;
	/* What a restart must not count again, written in the transaction
	 * of these counts. Out of memory, the store keeps the last one: a
	 * restart then counts some open connections twice, never none. */
	if (connid_snapshot(d->ids, &snap, &snaplen) == 0)
		batch_set_counted(b, snap, snaplen);
	d->cur = d->spare;
	d->spare = NULL;
	d->sink.submit(d->sink.arg, b);
	return 0;
}

/*
 * Aggregation goes back to the table that came back, with what arrived
 * while it was out folded in: the second table is then only touched by
 * the flows of a write's duration, not by every flush interval in turn.
 */
void
rec_batch_back(struct rec *d, struct batch *b)
{
	batch_reset(b);
	if (batch_fold(b, d->cur) == 0) {
		d->spare = d->cur;
		d->cur = b;
	} else
		d->spare = b;
	d->drop_logged = false;
}

bool
rec_flush_pending(const struct rec *d)
{
	return d->deferred;
}

size_t
rec_nflows(const struct rec *d)
{
	return agg_count(batch_agg(d->cur));
}

void
rec_prune(struct rec *d, int64_t cutoff)
{
	batch_set_prune(d->cur, cutoff);
}
