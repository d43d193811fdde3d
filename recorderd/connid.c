/*
 * connid: the counted connections, the floor below which they need no
 * looking up, and the snapshot a restart reads back (see connid.h).
 */
#include "recorderd/connid.h"

#include "lib/sort.h"
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CONNID_WAYS 16

/*
 * What a record's time is, in its two low bits (the time loses 3 ns):
 * the timestamp of a NEW event, the time a NEW event without one was
 * read, the start of a dump entry, or the time a dump entry without a
 * start was read.
 */
enum kind { K_EVENT = 0, K_READ = 1, K_START = 2, K_UNKNOWN = 3 };
#define KIND_MASK 3
#define DUMP_KINDS (1u << K_START | 1u << K_UNKNOWN)
#define ALL_KINDS 0xfu

/* tk is 0 in an empty slot: a time is never below 4 ns. */
struct slot {
	uint64_t key;
	int64_t tk;
};

struct connid {
	struct slot (*t)[CONNID_WAYS];	/* buckets */
	uint8_t *next;			/* per bucket, the slot to replace next */
	uint32_t mask;			/* buckets - 1 */
	int64_t watermark;		/* every NEW before it was read */
	int64_t lost_since;		/* INT64_MAX: nothing lost */
	int64_t down_since;		/* the previous run's floor */
	bool down_open;			/* the start-up dump has not settled it */
	bool dump_running;
	bool dump_dirty;		/* a loss while the dump ran */
};

int
connid_new(uint32_t buckets, struct connid **out)
{
	struct connid *c;

	*out = NULL;
	if (buckets == 0 || (buckets & (buckets - 1)) != 0)
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	/* calloc: the table is only touched as records come. */
	if ((c->t = calloc(buckets, sizeof(*c->t))) == NULL ||
	    (c->next = calloc(buckets, 1)) == NULL) {
		connid_free(c);
		return -ENOMEM;
	}
	c->mask = buckets - 1;
	c->lost_since = INT64_MAX;
	c->down_open = true;
	*out = c;
	return 0;
}

void
connid_free(struct connid *c)
{
	if (c == NULL)
		return;
	free(c->t);
	free(c->next);
	free(c);
}

/*
 * The conntrack id and a hash of the original tuple: the id alone is a
 * 32-bit hash in the kernel, so two of 60,000 open connections share one
 * about a third of the time (tests/integration/test_fault_sigkill.sh
 * caught it); with the tuple, two keys of distinct open connections
 * collide about once in 1e14.
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
	return (uint64_t)(ev->has_id ? ev->id : 0) << 32 | h;
}

static uint32_t
bucket(const struct connid *c, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & c->mask;
}

/* Times a record holds: from 4 ns (0 marks an empty slot) to about
 * 2116, so that spans never overflow. */
#define T_MIN 4
#define T_MAX (INT64_MAX / 2)

static bool
valid_time(int64_t t)
{
	return t >= T_MIN && t <= T_MAX;
}

static int64_t
tk_make(int64_t t, enum kind k)
{
	if (t < T_MIN)
		t = T_MIN;
	if (t > T_MAX)
		t = T_MAX;
	return (t & ~(int64_t)KIND_MASK) | (int64_t)k;
}

/* When the connection of a record (or of a query) may have started. */
static void
span(int64_t tk, int64_t *lo, int64_t *hi)
{
	int64_t t = tk & ~(int64_t)KIND_MASK;

	switch (tk & KIND_MASK) {
	case K_EVENT:
		*lo = t - CONNID_EVENT_GAP_NS;
		*hi = t + CONNID_EVENT_GAP_NS;
		break;
	case K_READ:
		/* Read after it was queued, so after the start (the gap
		 * allows for clocks of two CPUs). */
		*lo = t - CONNID_READ_LAG_NS;
		*hi = t + CONNID_EVENT_GAP_NS;
		break;
	case K_START:
		*lo = *hi = t;
		break;
	default:
		*lo = INT64_MIN;
		*hi = t;
		break;
	}
}

int64_t
connid_floor(const struct connid *c)
{
	int64_t f = c->watermark;

	if (c->lost_since < f)
		f = c->lost_since;
	if (c->down_open && c->down_since < f)
		f = c->down_since;
	return f;
}

/* A record wholly below the floor is never looked up again. */
static bool
dead(int64_t tk, int64_t floor)
{
	int64_t lo, hi;

	if (tk == 0)
		return true;
	span(tk, &lo, &hi);
	return hi < floor;
}

/* Is a record of key, of one of kinds, possibly the connection of tk? */
static bool
lookup(const struct connid *c, uint64_t key, int64_t tk, unsigned kinds)
{
	const struct slot *b = c->t[bucket(c, key)];
	int64_t lo, hi, rlo, rhi;

	span(tk, &lo, &hi);
	for (int w = 0; w < CONNID_WAYS; w++) {
		if (b[w].tk == 0 || b[w].key != key ||
		    !(kinds & 1u << (b[w].tk & KIND_MASK)))
			continue;
		span(b[w].tk, &rlo, &rhi);
		if (rlo <= hi && lo <= rhi)
			return true;
	}
	return false;
}

static void
insert(struct connid *c, uint64_t key, int64_t tk)
{
	uint32_t i = bucket(c, key);
	struct slot *b = c->t[i];
	int64_t floor = connid_floor(c);
	int w;

	for (w = 0; w < CONNID_WAYS; w++)
		if (dead(b[w].tk, floor))
			break;
	/* Sixteen live records in one bucket: the oldest goes (its
	 * connection may then be counted twice by a dump, never missed). */
	if (w == CONNID_WAYS)
		w = c->next[i]++ % CONNID_WAYS;
	b[w].key = key;
	b[w].tk = tk;
}

/* Counted unless a record of the kinds says so already; remembered. */
static bool
count_once(struct connid *c, uint64_t key, int64_t tk, unsigned kinds)
{
	if (lookup(c, key, tk, kinds))
		return false;
	insert(c, key, tk);
	return true;
}

bool
connid_event(struct connid *c, const struct ct_event *ev, int64_t read_ns)
{
	int64_t tk = ev->has_event_ts && valid_time(ev->event_ns) ?
	    tk_make(ev->event_ns, K_EVENT) : tk_make(read_ns, K_READ);

	/* Unless a dump listed it before this event was read. */
	return count_once(c, conn_key(ev), tk, DUMP_KINDS);
}

bool
connid_dump_entry(struct connid *c, const struct ct_event *ev,
    int64_t read_ns)
{
	uint64_t key = conn_key(ev);
	int64_t tk;

	if (ev->has_start && valid_time(ev->start_ns)) {
		tk = tk_make(ev->start_ns, K_START);
		if ((tk & ~(int64_t)KIND_MASK) < connid_floor(c) ||
		    lookup(c, key, tk, ALL_KINDS))
			return false;
	} else {
		/*
		 * No start (the connection is older than the timestamp
		 * extension, or the kernel has none): by the key alone, and
		 * counted only where nothing is known at all: a store
		 * recorded for the first time, or events lost in this run.
		 */
		tk = tk_make(read_ns, K_UNKNOWN);
		if (lookup(c, key, tk, ALL_KINDS) ||
		    !(c->lost_since != INT64_MAX ||
		    (c->down_open && c->down_since == 0)))
			return false;
	}
	insert(c, key, tk);
	return true;
}

bool
connid_adopted(struct connid *c, const struct ct_event *ev, int64_t read_ns)
{
	int64_t tk = ev->has_start && valid_time(ev->start_ns) ?
	    tk_make(ev->start_ns, K_START) : tk_make(read_ns, K_UNKNOWN);

	/* Whatever the floor: no NEW event of it was ever read. */
	return count_once(c, conn_key(ev), tk, ALL_KINDS);
}

void
connid_drained(struct connid *c, int64_t since_ns)
{
	if (!valid_time(since_ns))
		return;
	if (since_ns - CONNID_SLACK_NS > c->watermark)
		c->watermark = since_ns - CONNID_SLACK_NS;
}

void
connid_lost(struct connid *c)
{
	/* The events dropped were queued after the socket was last found
	 * empty: their connections started after the watermark. */
	if (c->watermark < c->lost_since)
		c->lost_since = c->watermark;
	if (c->dump_running)
		c->dump_dirty = true;
}

void
connid_dump_begin(struct connid *c)
{
	c->dump_running = true;
	c->dump_dirty = false;
}

void
connid_dump_end(struct connid *c, bool clean)
{
	if (!c->dump_running)
		return;
	if (clean && !c->dump_dirty) {
		c->lost_since = INT64_MAX;
		c->down_open = false;
	}
	c->dump_running = false;
}

/* ---- the snapshot ------------------------------------------------------- */

/*
 * "NPRC", version 1, the floor, the number of records, then each record
 * as its key and its time with kind, all big-endian.
 */
#define SNAP_MAGIC 0x4e505243u
#define SNAP_VERSION 1u
#define SNAP_HEAD 24
#define SNAP_REC 16

static void
put32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void
put64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static int
newest_first(const void *a, const void *b)
{
	int64_t x = ((const struct slot *)a)->tk & ~(int64_t)KIND_MASK;
	int64_t y = ((const struct slot *)b)->tk & ~(int64_t)KIND_MASK;

	return x < y ? 1 : x > y ? -1 : 0;
}

int
connid_snapshot(const struct connid *c, void **out, size_t *len)
{
	int64_t floor = connid_floor(c);
	struct slot *live = NULL;
	unsigned char *buf;
	size_t n = 0, cap = 0;

	*out = NULL;
	*len = 0;
	for (uint32_t i = 0; i <= c->mask; i++)
		for (int w = 0; w < CONNID_WAYS; w++) {
			const struct slot *s = &c->t[i][w];

			if (dead(s->tk, floor))
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 4096;
				struct slot *nl = realloc(live,
				    ncap * sizeof(*nl));

				if (nl == NULL) {
					free(live);
					return -ENOMEM;
				}
				live = nl;
				cap = ncap;
			}
			live[n++] = *s;
		}
	if (n > CONNID_SNAPSHOT_MAX) {
		sort_n(live, n, sizeof(*live), newest_first);
		n = CONNID_SNAPSHOT_MAX;
	}
	if ((buf = malloc(SNAP_HEAD + n * SNAP_REC)) == NULL) {
		free(live);
		return -ENOMEM;
	}
	put32(buf, SNAP_MAGIC);
	put32(buf + 4, SNAP_VERSION);
	put64(buf + 8, (uint64_t)floor);
	put32(buf + 16, (uint32_t)n);
	put32(buf + 20, 0);
	for (size_t i = 0; i < n; i++) {
		put64(buf + SNAP_HEAD + i * SNAP_REC, live[i].key);
		put64(buf + SNAP_HEAD + i * SNAP_REC + 8,
		    (uint64_t)live[i].tk);
	}
	free(live);
	*out = buf;
	*len = SNAP_HEAD + n * SNAP_REC;
	return 0;
}

int
connid_restore(struct connid *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int64_t floor;
	uint32_t n;

	if (buf == NULL || len < SNAP_HEAD || get32(p) != SNAP_MAGIC ||
	    get32(p + 4) != SNAP_VERSION)
		return -EINVAL;
	floor = (int64_t)get64(p + 8);
	n = get32(p + 16);
	if (floor < 0 || n > CONNID_SNAPSHOT_MAX ||
	    len != SNAP_HEAD + (size_t)n * SNAP_REC)
		return -EINVAL;
	c->down_since = floor;
	c->down_open = true;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t key = get64(p + SNAP_HEAD + i * SNAP_REC);
		int64_t tk = (int64_t)get64(p + SNAP_HEAD + i * SNAP_REC + 8);

		/* Not a time: skipped (the connection may be counted again,
		 * never missed). */
		if (valid_time(tk & ~(int64_t)KIND_MASK))
			insert(c, key, tk);
	}
	return 0;
}
