#include "recorderd/rd.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <libmnl/libmnl.h>

#include "lib/clock.h"
#include "lib/kapi_conf.h"
#include "lib/log.h"
#include "lib/store.h"
#include "nft/nftrules.h"
#include "recorderd/attach.h"
#include "recorderd/attrib.h"
#include "recorderd/ct.h"
#include "recorderd/ctsock.h"
#include "recorderd/pods.h"
#include "recorderd/publish.h"
#include "recorderd/pubsched.h"
#include "recorderd/pubstore.h"
#include "recorderd/rec.h"
#include "recorderd/release.h"
#include "recorderd/table.h"
#include "recorderd/writer.h"

#define RD_NMSG 64			/* datagrams per recvmmsg */
#define RD_MSGBUF (16 * 1024)		/* bytes per datagram buffer */
#define RD_DUMP_SEQ_BASE 0x4e500000u
#define RD_EXIT_WRITE_MS 5000		/* each step of the last flush waits */
#define RD_PODS_MS 20			/* between two reads of the pods */
#define RD_EXIT_PUBLISH_MS 10000	/* the last publish, at most */
#define RD_WL_REFRESH 10		/* s between workload refreshes */

struct rd {
	struct rconf conf;
	const struct rd_opts *opts;
	struct store *st;		/* start and exit only: the loop never
					 * touches it (the writer has its own) */
	struct writer *w;
	struct attrib *at;
	struct rec *rec;

	struct mnl_socket *ev_nl;
	uint32_t ev_portid;
	uint64_t rcvbuf;
	uint64_t drops_base;
	bool have_drops;

	struct mnl_socket *dump_nl;
	uint32_t dump_seq;
	int64_t dumped;
	bool dump_again;		/* a resync was asked for meanwhile */
	uint64_t dump_drops;		/* event socket drops at dump start */

	struct mnl_socket *log_nl;

	int tfd, sfd;
	bool stop;

	bool marked_running;		/* recorder_running is ours */

	struct release *rel;		/* the plugin's sockets, closed here */
	struct attach *att;		/* attachments handed over, adopted,
					 * recovered */
	int64_t last_recover;		/* s, the last look for elements
					 * without an attachment */

	struct table *table;		/* the plugin's nftables table */

	struct publish *pub;		/* NULL when not publishing */
	struct publish_stats pub_seen;	/* as last handed to the store */
	char node_uid[STORE_ID_LEN];	/* as last handed to the store */
	bool meta_changed;		/* since the last workload refresh */
	int64_t last_wl_refresh;

	struct batch_counts *c;		/* the recorder's, not yet written */
	int64_t last_prune;
	int64_t last_refresh;		/* start of the last refresh dump */
	int64_t last_store_error;	/* logged at most once a minute */
	bool store_failing;
	bool want_pods;			/* an event found no pod */
	int64_t pods_asked;		/* ms, when the writer was last asked */

	struct mmsghdr msgs[RD_NMSG];
	struct iovec iov[RD_NMSG];
	char *bufs;
};

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
rd_apply_overrides(const struct rd_opts *o, struct rconf *c)
{
	if (o->db_override != NULL)
		snprintf(c->store, sizeof(c->store), "%s", o->db_override);
	if (o->meta_override != NULL) {
		c->meta_source = RCONF_META_FILE;
		snprintf(c->meta_file, sizeof(c->meta_file), "%s",
		    o->meta_override);
	}
	if (o->node_name != NULL)
		snprintf(c->node_name, sizeof(c->node_name), "%s", o->node_name);
	(void)rconf_resolve_node_name(c);
}

/* ---- sockets ---------------------------------------------------------------- */

/* Did the event socket drop events since the current dump started? */
static bool
dropped_since_dump(struct rd *d)
{
	uint64_t now_drops;

	return d->dump_drops != UINT64_MAX &&
	    ctsock_drops(d->ev_portid, &now_drops) == 0 &&
	    now_drops > d->dump_drops;
}

/*
 * One dump at a time. A resync asked for while one runs is remembered
 * and made when it ends: the running dump may have passed the entries
 * whose events were lost after it started.
 */
static void
start_dump(struct rd *d, const char *why, bool resync)
{
	int ret;

	if (d->dump_nl != NULL) {
		d->dump_again = d->dump_again || resync;
		return;
	}
	if (resync)
		d->c->resyncs++;
	/* The kernel reports ENOBUFS once per congestion, not once per
	 * lost event: drops after this point are seen by comparing the
	 * socket's drop counter when the dump ends. */
	if (d->ev_nl == NULL ||
	    ctsock_drops(d->ev_portid, &d->dump_drops) < 0)
		d->dump_drops = UINT64_MAX;
	d->dump_seq++;
	d->dumped = 0;
	if ((ret = ctsock_dump_start(d->conf.mark_bit, d->dump_seq,
	    d->conf.rcvbuf_max, &d->dump_nl)) < 0)
		log_warnx("conntrack dump (%s): %s", why, strerror(-ret));
	else {
		rec_dump_begin(d->rec);
		log_debug("conntrack dump started (%s)", why);
	}
}

/*
 * ENOBUFS: the kernel dropped events because our receive buffer was
 * full. We cannot know which connections they were, so: count it, grow
 * the buffer (doubling, up to receive_buffer.max) so that the same burst
 * fits next time, and resynchronise with a mark-filtered dump of the
 * table, which lists every connection still open (those already counted
 * from their NEW event are recognised by id and not counted again). The
 * number of events lost is read from the socket's drop counter at flush.
 */
static void
on_enobufs(struct rd *d)
{
	uint64_t want = d->rcvbuf * 2, got = 0;

	d->c->enobufs++;
	rec_ct_lost(d->rec);
	if (want > d->conf.rcvbuf_max)
		want = d->conf.rcvbuf_max;
	if (want > d->rcvbuf) {
		(void)ctsock_set_rcvbuf(mnl_socket_get_fd(d->ev_nl), want,
		    &got);
		log_info("event socket overflowed: receive buffer %" PRIu64
		    " -> %" PRIu64 " bytes", d->rcvbuf, want);
		d->rcvbuf = want;
	}
	start_dump(d, "resync after ENOBUFS", true);
}

/* Read everything queued on sock (bounded per call so that the other
 * sockets get their turn). kind: 0 events, 1 dump, 2 nflog. */
static int
drain(struct rd *d, struct mnl_socket *sock, int kind)
{
	int fd = mnl_socket_get_fd(sock), n;
	int64_t now = now_s(), t0;
	bool done = false;

	for (int round = 0; round < 64; round++) {
		for (int i = 0; i < RD_NMSG; i++)
			d->msgs[i].msg_hdr.msg_flags = 0;
		t0 = real_ns();
		n = recvmmsg(fd, d->msgs, RD_NMSG, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				/* Empty: every event queued before t0 was
				 * read (rec.c counts with it). */
				if (kind == 0 && errno == EAGAIN)
					rec_ct_drained(d->rec, t0);
				return 0;
			}
			if (errno == ENOBUFS && kind == 0) {
				on_enobufs(d);
				continue;
			}
			if (errno == ENOBUFS && kind == 1) {
				/* The dump itself overflowed: start over. */
				d->c->resyncs++;
				return -ENOBUFS;
			}
			if (errno == ENOBUFS) {
				d->c->dns_lost++;	/* NFLOG overflowed */
				continue;
			}
			return -errno;
		}
		if (kind != 2)
			rec_ct_read_at(d->rec, real_ns());
		for (int i = 0; i < n; i++) {
			size_t len = d->msgs[i].msg_len;

			if (kind == 2)
				rec_nflog_buf(d->rec, d->iov[i].iov_base, len,
				    d->conf.nflog_group, now);
			else
				d->dumped += rec_ct_buf(d->rec,
				    d->iov[i].iov_base, len, kind == 1, now,
				    &done);
		}
		if (done)
			return 1;
		if (n < RD_NMSG) {
			/* Fewer than asked: the queue was empty, or an error
			 * (ENOBUFS) waits for the next call, which came
			 * after t0 and is counted from there. */
			if (kind == 0)
				rec_ct_drained(d->rec, t0);
			return 0;
		}
	}
	return 0;
}

/* ---- flush ---------------------------------------------------------------- */

static void
read_drops(struct rd *d)
{
	uint64_t drops;

	if (ctsock_drops(d->ev_portid, &drops) < 0)
		return;
	if (d->have_drops && drops > d->drops_base)
		d->c->events_lost += (int64_t)(drops - d->drops_base);
	d->drops_base = drops;
	d->have_drops = true;
}

static int
flush(struct rd *d)
{
	if (d->ev_nl != NULL)
		read_drops(d);
	return rec_flush(d->rec, now_s());
}

/* Hourly, in the transaction of the next flush. */
static void
prune(struct rd *d, int64_t now)
{
	if (d->conf.retention_days == 0 || now - d->last_prune < 3600)
		return;
	d->last_prune = now;
	rec_prune(d->rec, now - (int64_t)d->conf.retention_days * 86400);
}

/* At start, on this thread (the loop does not run yet): what expired
 * while the daemon was down goes before anything is recorded. */
static void
prune_at_start(struct rd *d)
{
	int64_t now = now_s(), deleted = 0;
	int ret;

	if (d->conf.retention_days == 0)
		return;
	d->last_prune = now;
	if ((ret = store_flows_prune(d->st, now -
	    (int64_t)d->conf.retention_days * 86400, &deleted)) < 0)
		log_warnx("store: pruning: %s (%s)", strerror(-ret),
		    store_errmsg(d->st));
	else if (deleted > 0)
		log_info("pruned %lld flows older than %u days",
		    (long long)deleted, d->conf.retention_days);
}

/* Apply what the metadata source has; move pods recorded as themselves
 * to the owners it now names (in memory; the store's merges go with the
 * next flush). */
static void
meta_update(struct rd *d)
{
	if (attrib_meta_process(d->at) <= 0)
		return;
	/* Pods may have started, ended or moved: adopt again. */
	attach_changed(d->att);
	d->meta_changed = true;
	if (!attrib_reattribute_needed(d->at))
		return;
	if (attrib_reattribute(d->at) < 0)
		log_warnx("re-attributing pods: %s", strerror(ENOMEM));
}

/* ---- the writer's results ------------------------------------------------ */

static void
sink_submit(void *arg, struct batch *b)
{
	struct rd *d = arg;

	/* rec only hands a batch over when the writer has none. */
	if (writer_submit(d->w, b) < 0)
		log_warnx("store writer: a batch was handed over twice");
}

/* A batch was written: log what a recovery or a prune did. */
static void
batch_written(struct rd *d, struct batch *b)
{
	const struct batch_result *r = batch_result(b);

	if (d->store_failing) {
		log_info("store: writing again: %zu flows kept in memory "
		    "written", r->flows);
		d->store_failing = false;
		d->last_store_error = 0;	/* log the next fault */
	}
	if (r->pruned > 0)
		log_info("pruned %lld flows older than %u days",
		    (long long)r->pruned, d->conf.retention_days);
}

static void
store_failed(struct rd *d, int err, const char *msg)
{
	int64_t now = now_s();

	d->store_failing = true;
	/* Once a minute is enough for a disk that stays full or a lock
	 * held for long. A full disk is the likely one: name it as the
	 * operator will search for it. */
	if (now - d->last_store_error < 60)
		return;
	d->last_store_error = now;
	log_warnx("store: writing flows: %s%s%s (%s); kept in memory (at most "
	    "%u flows in each of two tables, max_flows), retrying",
	    strerror(-err),
	    err == -ENOSPC ? " (ENOSPC: the store's filesystem is full)" : "",
	    err == -EBUSY ? " (another process holds the store's write lock)"
	    : "", msg, d->conf.max_flows);
}

/*
 * The writer has something for the loop: a batch written (aggregation
 * goes back to it, and a flush deferred meanwhile is handed over now), a
 * table of pods read (waiting events are tried again at once), or a
 * failure to log.
 */
static void
writer_results(struct rd *d)
{
	struct batch *b;
	struct pods *p;
	char msg[256];
	uint64_t v;
	int err;

	if (read(writer_fd(d->w), &v, sizeof(v)) < 0) {
		/* EAGAIN: a spurious wake-up. */
	}
	if (writer_take_error(d->w, &err, msg, sizeof(msg)) == 1)
		store_failed(d, err, msg);
	if ((b = writer_done(d->w)) != NULL) {
		batch_written(d, b);
		rec_batch_back(d->rec, b);
		if (rec_flush_pending(d->rec))
			(void)flush(d);
	}
	if ((p = writer_take_pods(d->w)) != NULL) {
		attrib_set_pods(d->at, p);
		rec_retry_pending(d->rec, now_s());
		/* A CNI attachment may hold an adopted pod's address now. */
		attach_changed(d->att);
	}
}

/*
 * What the CNI plugin handed over with its socket: the pods are
 * attributed at once (events waiting for them go now) and their records
 * queued for the writer.
 */
static void
handed(struct rd *d)
{
	struct attmsg *m;
	uint64_t dropped;
	size_t n;

	n = release_take(d->rel, &m, &dropped);
	if (dropped > 0)
		log_warnx("release_socket: %llu attachments of the CNI plugin "
		    "not taken (queue full or malformed): the periodic check "
		    "of the table's elements records them",
		    (unsigned long long)dropped);
	if (n == 0)
		return;
	attach_handed(d->att, m, n);
	free(m);
	rec_retry_pending(d->rec, now_s());
}

/*
 * Adopt (or let go) when the metadata or the attachments changed, at
 * most every ATTACH_ADOPT_MS. The adopted pods' open connections were
 * just marked and recorded (adopted_open).
 */
static void
adopt(struct rd *d)
{
	int n;

	if (attach_adopt_due(d->att) != 0)
		return;
	if ((n = attach_adopt(d->att)) < 0)
		log_warnx("adoption: %s", strerror(-n));
	else if (n > 0)
		rec_retry_pending(d->rec, now_s());
}

/*
 * Elements in the table that no attachment names: at start, every
 * ATTACH_RECOVER_S, and sooner (every 5 s at most) while events wait
 * for a pod nobody announced.
 */
static void
recover(struct rd *d, int64_t now)
{
	int n;

	if (now - d->last_recover < ATTACH_RECOVER_S &&
	    (rec_npending(d->rec) == 0 || now - d->last_recover < 5))
		return;
	d->last_recover = now;
	if ((n = attach_recover(d->att)) < 0)
		log_warnx("nftables table inet %s: looking for elements "
		    "without an attachment: %s", NFTRULES_TABLE, strerror(-n));
	else if (n > 0)
		rec_retry_pending(d->rec, now_s());
}

/*
 * Without DESTROY events (accounting off) nothing else says that a
 * connection is still open: a periodic mark-filtered dump lists the open
 * ones, and the recorder moves their flows' last_seen to now (rec.c,
 * handle_ct), without counting them again.
 */
static void
refresh(struct rd *d, int64_t now)
{
	if (d->conf.refresh_ms == 0 ||
	    (now - d->last_refresh) * 1000 < (int64_t)d->conf.refresh_ms)
		return;
	d->last_refresh = now;
	start_dump(d, "refresh", false);
}

/*
 * What the store should learn beside the flows: the publisher's counters
 * (for --status and `netpol-record status`), the node's uid (for the
 * RecorderStatus's owner), and the attached pods' workloads as the
 * metadata describes them now (their uid, labels), at most every
 * RD_WL_REFRESH seconds.
 */
static void
store_facts(struct rd *d, int64_t now)
{
	struct publish_stats st;
	const char *uid;
	char v[32];

	if (d->meta_changed && now - d->last_wl_refresh >= RD_WL_REFRESH) {
		d->meta_changed = false;
		d->last_wl_refresh = now;
		if (attrib_refresh_workloads(d->at) < 0)
			log_warnx("refreshing workloads: %s", strerror(ENOMEM));
	}
	if ((uid = attrib_node_uid(d->at, d->conf.node_name)) != NULL &&
	    strcmp(uid, d->node_uid) != 0 &&
	    rec_set_meta(d->rec, STORE_META_NODE_UID, uid) == 0)
		snprintf(d->node_uid, sizeof(d->node_uid), "%s", uid);
	if (d->pub == NULL)
		return;
	publish_get_stats(d->pub, &st);
	if (memcmp(&st, &d->pub_seen, sizeof(st)) == 0)
		return;
#define META_INT(key, val) do { \
	snprintf(v, sizeof(v), "%lld", (long long)(val)); \
	(void)rec_set_meta(d->rec, key, v); \
} while (0)
	META_INT(STORE_META_PUBLISH_WRITTEN, st.objects_written);
	META_INT(STORE_META_PUBLISH_FAILED, st.failed);
	META_INT(STORE_META_PUBLISH_PENDING, st.pending);
	META_INT(STORE_META_PUBLISH_OBJECTS, st.objects);
	META_INT(STORE_META_PUBLISH_LAST_SUCCESS, st.last_success);
#undef META_INT
	(void)rec_set_meta(d->rec, STORE_META_PUBLISH_STATE,
	    pubsched_state_name(st.state));
	(void)rec_set_meta(d->rec, STORE_META_PUBLISH_LAST_ERROR,
	    st.last_error);
	d->pub_seen = st;
}

static void
tick(struct rd *d)
{
	int64_t now = now_s();

	meta_update(d);
	store_facts(d, now);
	refresh(d, now);
	/* The attachments are read again when the store changed (a CNI
	 * ADD or DEL), and always while events wait for their pod. */
	writer_request_pods(d->w, rec_npending(d->rec) > 0);
	d->pods_asked = clock_mono_ms();
	d->want_pods = false;
	(void)rec_take_want_pods(d->rec);
	rec_retry_pending(d->rec, now);
	recover(d, now);
	prune(d, now);
	(void)flush(d);
	table_watch(d->table, now, attrib_pods(d->at));
}

/* ---- setup ---------------------------------------------------------------------- */

static int
set_timer(int tfd, uint32_t ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = ms / 1000;
	its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static void
nft_conf_of(const struct rconf *c, struct nftrules_conf *nc)
{
	nftrules_conf_init(nc);
	nc->mark_bit = c->mark_bit;
	nc->nflog_group = c->nflog_group;
	nc->snaplen = (uint16_t)(c->nflog_snaplen > 65535 ? 65535 :
	    c->nflog_snaplen);
}

/* A connection an adopted pod had open: recorded now, counted once. */
static void
adopted_open(void *arg, const struct ct_event *ev)
{
	struct rd *d = arg;

	rec_ct_open(d->rec, ev, now_s());
}

static void
attach_conf_of(struct rd *d, const struct rconf *c, struct attach_conf *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->node_name = c->node_name;
	ac->adopt = c->adopt_running_pods;
	nft_conf_of(c, &ac->nft);
	ac->opened = adopted_open;
	ac->opened_arg = d;
}

/* ---- publishing -------------------------------------------------------- */

static void
publish_conf_of(const struct rconf *c, struct publish_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->store, sizeof(pc->store), "%s", c->store);
	snprintf(pc->node, sizeof(pc->node), "%s", c->node_name);
	pc->interval = (c->publish_interval_ms + 999) / 1000;
	pc->refresh = (c->publish_refresh_ms + 999) / 1000;
	pc->max_entries = c->publish_max_entries;
	pc->max_refreshes = c->publish_max_refreshes;
	snprintf(pc->namespaces, sizeof(pc->namespaces), "%s",
	    c->publish_namespaces);
	pc->retention_days = c->retention_days;
}

/* The API server and credentials of the metadata source. */
static int
publish_kapi_conf(const struct rconf *c, struct kapi_conf *kc)
{
	char err[512];
	int ret;

	if (c->meta_source == RCONF_META_KUBECONFIG)
		ret = kapi_conf_kubeconfig(c->meta_kubeconfig, kc, err,
		    sizeof(err));
	else if (c->meta_source == RCONF_META_IN_CLUSTER)
		ret = kapi_conf_in_cluster(NULL, kc, err, sizeof(err));
	else {
		snprintf(err, sizeof(err), "metadata.source is not the "
		    "Kubernetes API");
		ret = -EINVAL;
	}
	if (ret < 0)
		log_warnx("publish: %s; not publishing", err);
	return ret;
}

/* Start or stop the publisher as c says; a running one takes c. */
static int
publish_apply(struct rd *d, const struct rconf *c)
{
	struct publish_conf pc;
	struct kapi_conf kc;
	int ret;

	publish_conf_of(c, &pc);
	if (!rconf_publishing(c) || pc.node[0] == '\0') {
		if (d->pub != NULL) {
			(void)publish_stop(d->pub, false, 0, NULL);
			d->pub = NULL;
			log_info("publish: stopped (publish.enabled)");
		}
		if (rconf_publishing(c))
			log_warnx("publish: this node's name is not known "
			    "(node_name, --node-name, NODE_NAME): not "
			    "publishing");
		return 0;
	}
	if (d->pub != NULL) {
		publish_set_conf(d->pub, &pc);
		return 0;
	}
	if ((ret = publish_kapi_conf(c, &kc)) < 0)
		return ret;
	ret = publish_start(&pc, &kc, &d->pub);
	kapi_conf_clear(&kc);
	if (ret < 0) {
		log_warnx("publish: cannot start: %s", strerror(-ret));
		return ret;
	}
	log_info("publish: TrafficProfiles of node %s every %llds (counts at "
	    "most every %llds and %u an hour, %u entries each at most%s%s)",
	    pc.node, (long long)pc.interval, (long long)pc.refresh,
	    pc.max_refreshes, pc.max_entries,
	    pc.namespaces[0] ? ", namespaces " : "", pc.namespaces);
	return 0;
}

/* ---- reload ------------------------------------------------------------- */

/*
 * What a SIGHUP does for each key rconf.c marks live, once the new file
 * validated. apply makes the new value (in *nc) take effect where it
 * matters; it may refuse (it then puts the running value back into *nc
 * and says why). NULL: the value is read where it is used, so taking it
 * into the running configuration is all there is to do. Every live key
 * has an entry, and only live keys (rd_reload_check).
 */
struct live_key {
	const char *key;
	int (*apply)(struct rd *d, struct rconf *nc);
};

static int
apply_flush(struct rd *d, struct rconf *nc)
{
	return set_timer(d->tfd, nc->flush_ms);
}

/*
 * A new mark bit: the table's rules, the kernel's event filter and the
 * recorder's check change together, or not at all. The rules first: if
 * they cannot be rewritten, nothing would carry the new bit.
 */
static int
apply_mark(struct rd *d, struct rconf *nc)
{
	struct nftrules_conf old, new;
	struct attach_conf ac;
	int ret;

	nft_conf_of(&d->conf, &old);
	nft_conf_of(nc, &new);
	if ((ret = table_set_conf(d->table, &new)) < 0 ||
	    (ret = ctsock_set_filter(d->ev_nl, nc->mark_bit)) < 0) {
		(void)table_set_conf(d->table, &old);
		log_warnx("reload: mark_bit 0x%08x refused: %s; still "
		    "recording connections marked 0x%08x", nc->mark_bit,
		    strerror(-ret), d->conf.mark_bit);
		nc->mark_bit = d->conf.mark_bit;
		return ret;
	}
	rec_set_mark(d->rec, nc->mark_bit);
	attach_conf_of(d, nc, &ac);
	ac.adopt = d->conf.adopt_running_pods;	/* its own key */
	attach_set_conf(d->att, &ac);
	log_info("reload: pod connections are now marked and recorded with "
	    "0x%08x (was 0x%08x); connections opened before keep the old "
	    "bit and are not refreshed", nc->mark_bit, d->conf.mark_bit);
	return 0;
}

/* Adoption on: the next round adopts; off: it lets every adopted pod
 * go. */
static int
apply_adopt(struct rd *d, struct rconf *nc)
{
	struct attach_conf ac;

	attach_conf_of(d, nc, &ac);
	attach_set_conf(d->att, &ac);
	log_info("reload: adopt_running_pods %s", nc->adopt_running_pods ?
	    "on: running pods of this node are adopted" : "off: adopted pods "
	    "are let go");
	return 0;
}

static int
apply_rcvbuf(struct rd *d, struct rconf *nc)
{
	/* Grown, never shrunk: a backlog may be queued. */
	if (nc->rcvbuf_initial > d->rcvbuf) {
		d->rcvbuf = nc->rcvbuf_initial;
		(void)ctsock_set_rcvbuf(mnl_socket_get_fd(d->ev_nl),
		    d->rcvbuf, NULL);
	}
	return 0;
}

static int
apply_log_file(struct rd *d, struct rconf *nc)
{
	int ret;

	if ((ret = log_open_file(nc->log_file)) < 0) {
		log_warnx("reload: log.file %s: %s; logging where it did",
		    nc->log_file, strerror(-ret));
		snprintf(nc->log_file, sizeof(nc->log_file), "%s",
		    d->conf.log_file);
	}
	return ret;
}

static int
apply_log_level(struct rd *d, struct rconf *nc)
{
	(void)d;
	log_setverbose(nc->log_level);
	return 0;
}

static int
apply_publish(struct rd *d, struct rconf *nc)
{
	return publish_apply(d, nc);
}

static const struct live_key live_keys[] = {
	{ "flush_interval", apply_flush },
	{ "refresh_interval", NULL },		/* tick() */
	{ "mark_bit", apply_mark },
	{ "receive_buffer.initial", apply_rcvbuf },
	{ "receive_buffer.max", NULL },		/* on_enobufs() */
	{ "retention_days", NULL },		/* prune() */
	{ "log.file", apply_log_file },
	{ "log.level", apply_log_level },
	{ "adopt_running_pods", apply_adopt },
	{ "publish.enabled", apply_publish },
	{ "publish.interval", apply_publish },
	{ "publish.refresh", apply_publish },
	{ "publish.max_entries", apply_publish },
	{ "publish.max_refreshes_per_hour", apply_publish },
	{ "publish.namespaces", apply_publish },
};

static const struct live_key *
live_key(const char *name)
{
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++)
		if (strcmp(live_keys[i].key, name) == 0)
			return &live_keys[i];
	return NULL;
}

int
rd_reload_check(char *err, size_t len)
{
	for (size_t i = 0; i < rconf_nkeys(); i++) {
		const char *k = rconf_key_name(i);

		if (rconf_key_live(i) != (live_key(k) != NULL)) {
			snprintf(err, len, "%s: %s", k, rconf_key_live(i) ?
			    "live in rconf.c but not applied by rd.c" :
			    "applied by rd.c but restart-only in rconf.c");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++) {
		size_t k;

		for (k = 0; k < rconf_nkeys(); k++)
			if (strcmp(rconf_key_name(k), live_keys[i].key) == 0)
				break;
		if (k == rconf_nkeys()) {
			snprintf(err, len, "%s: no such key", live_keys[i].key);
			return -EINVAL;
		}
	}
	return 0;
}

struct reload {
	struct rd *d;
	struct rconf *nc;		/* what will run */
	int restart, refused;
};

static void
reload_key(void *arg, size_t key, bool live)
{
	struct reload *r = arg;
	const char *name = rconf_key_name(key);
	const struct live_key *lk = live_key(name);

	if (!live) {
		log_warnx("reload: %s changed: it takes effect on restart; "
		    "the running value is kept until then", name);
		r->restart++;
		return;
	}
	if (lk != NULL && lk->apply != NULL && lk->apply(r->d, r->nc) < 0)
		r->refused++;
}

static void
reload_conf(struct rd *d)
{
	struct rconf loaded, nc;
	struct reload r = { .d = d, .nc = &nc };
	char err[512];
	int n;

	if (d->opts->conf_path == NULL) {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	if (rconf_load_file(d->opts->conf_path, &loaded, err,
	    sizeof(err)) < 0) {
		log_warnx("reload refused, keeping the running configuration:"
		    " %s", err);
		return;
	}
	rd_apply_overrides(d->opts, &loaded);
	rconf_absolute_paths(&loaded, d->opts->start_dir);
	if (rconf_validate(&loaded, err, sizeof(err)) < 0) {
		log_warnx("reload refused, keeping the running configuration:"
		    " %s: %s", d->opts->conf_path, err);
		return;
	}
	/* nc: the running configuration with the live keys of the file;
	 * the appliers see it before it replaces d->conf. */
	n = rconf_reload(&d->conf, &loaded, &nc, reload_key, &r);
	d->conf = nc;
	/* retention_days is the publisher's too. */
	if (d->pub != NULL && n > 0)
		(void)publish_apply(d, &d->conf);
	if (n == 0)
		log_info("configuration reloaded: nothing changed");
	else
		log_info("configuration reloaded: %d keys changed, %d applied, "
		    "%d on restart, %d refused", n, n - r.restart - r.refused,
		    r.restart, r.refused);
}

/* What every socket here needs; said once, with what to do. */
static void
need_admin(void)
{
	log_errorx("netpol-recorderd needs CAP_NET_ADMIN (run it as root) in "
	    "the node's network namespace: it reads conntrack events and "
	    "NFLOG and keeps the nftables table. On Kubernetes run it with "
	    "hostNetwork: true and the NET_ADMIN capability "
	    "(install/kubernetes/)");
}

void
rd_store_explain(const char *path, int rc, char *buf, size_t len)
{
	enum store_probe_kind kind;
	int version;

	store_probe(path, &kind, &version);
	switch (kind) {
	case STORE_PROBE_MISSING:
		snprintf(buf, len, "store %s: there is none yet: "
		    "netpol-recorderd creates it when it starts (or set store: "
		    "in the configuration, or --db, to where it is)", path);
		break;
	case STORE_PROBE_DIRECTORY:
		snprintf(buf, len, "store %s: is a directory: set store: in "
		    "the configuration (or --db) to a file in it, such as "
		    "%s/records.db", path, path);
		break;
	case STORE_PROBE_NOT_SQLITE:
		snprintf(buf, len, "store %s: is not a netpol-record store "
		    "(not an SQLite database at all): set store: in the "
		    "configuration (or --db) to the store's path, or move this "
		    "file away and netpol-recorderd starts a new store there",
		    path);
		break;
	case STORE_PROBE_NOT_A_STORE:
		snprintf(buf, len, "store %s: is an SQLite database, but not "
		    "a netpol-record store (no workloads or flows tables): set "
		    "store: in the configuration (or --db) to the store's path",
		    path);
		break;
	case STORE_PROBE_NEWER:
		snprintf(buf, len, "store %s: written by a newer "
		    "netpol-record (store schema version %d; this "
		    "netpol-recorderd writes version %d): run a "
		    "netpol-recorderd at least as new as the one that wrote it",
		    path, version, STORE_SCHEMA_VERSION);
		break;
	default:
		snprintf(buf, len, "store %s: %s%s", path, strerror(-rc),
		    rc == -EACCES || rc == -EPERM || kind ==
		    STORE_PROBE_UNREADABLE ? ": check the permissions of the "
		    "file and of its directory (netpol-recorderd runs as "
		    "root)" : "");
		break;
	}
}

static int
open_store(struct rd *d)
{
	struct nftrules_conf nc;
	struct pods *pods = NULL;
	char why[512];
	int ret;

	if ((ret = store_open(d->conf.store, 0, &d->st)) < 0) {
		rd_store_explain(d->conf.store, ret, why, sizeof(why));
		log_warnx("%s", why);
		return ret;
	}
	/* Start-up reads the store on this thread, before the loop runs;
	 * from then on only the writer thread touches it. */
	if ((ret = pods_load(d->st, &pods)) < 0) {
		log_warnx("store %s: attachments: %s", d->conf.store,
		    store_errmsg(d->st));
		return ret;
	}
	attrib_set_pods(d->at, pods);
	nft_conf_of(&d->conf, &nc);
	if (table_open(&nc, attrib_pods(d->at), &d->table) < 0)
		log_warnx("nftables table inet %s: cannot open a netfilter "
		    "socket: its rules are not checked", NFTRULES_TABLE);
	if ((ret = writer_start(d->conf.store, true, &d->w)) < 0) {
		log_warnx("store %s: writer: %s", d->conf.store,
		    strerror(-ret));
		return ret;
	}
	return 0;
}

/*
 * Which connections the previous run counted (its last flush wrote them):
 * the start-up dump counts only the others. Read here, on this thread,
 * before the loop runs.
 */
static void
restore_counted(struct rd *d)
{
	void *buf = NULL;
	size_t len = 0;
	int ret;

	ret = store_meta_get_blob(d->st, BATCH_COUNTED_META, &buf, &len);
	if (ret == 0 && (ret = rec_restore_counted(d->rec, buf, len)) < 0)
		log_warnx("store: %s is not what this version writes: the "
		    "connections open now are counted again",
		    BATCH_COUNTED_META);
	else if (ret < 0 && ret != -ENOENT)
		log_warnx("store: reading %s: %s; the connections open now "
		    "are counted again", BATCH_COUNTED_META,
		    store_errmsg(d->st));
	free(buf);
}

static int
setup(struct rd *d)
{
	struct attrib_conf ac;
	struct attach_conf tc;
	struct rec_sink sink = { sink_submit, d };
	sigset_t ss;
	int ret;

	/* Before any thread starts (the metadata client's, the writer, the
	 * release thread): they inherit the mask, so that these signals
	 * reach the signalfd only and never end the process elsewhere. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0 ||
	    (d->sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	if (d->conf.accounting && (ret = ctsock_set_acct(true)) < 0)
		log_warnx("nf_conntrack_acct: %s", strerror(-ret));
	/* Connections are told apart by when they started (rec.c): on
	 * from now on, for this network namespace. */
	if ((ret = ctsock_set_tstamp(true)) < 0)
		log_warnx("nf_conntrack_timestamp: %s: connections carry no "
		    "start, so the start-up dump cannot tell the connections "
		    "opened while the daemon was down (they are not counted) "
		    "from those counted before: set "
		    "net.netfilter.nf_conntrack_timestamp=1 in the node's "
		    "network namespace (on Kubernetes /proc/sys is read-only "
		    "in the container: on the node)", strerror(-ret));

	memset(&ac, 0, sizeof(ac));
	ac.dns_cache = d->conf.dns_cache;
	ac.node_name = d->conf.node_name;
	if (d->conf.meta_source == RCONF_META_FILE)
		ac.meta_file = d->conf.meta_file;
	else if (d->conf.meta_source == RCONF_META_KUBECONFIG)
		ac.meta_kubeconfig = d->conf.meta_kubeconfig;
	ac.meta_in_cluster = d->conf.meta_source == RCONF_META_IN_CLUSTER;
	if ((ret = attrib_new(&ac, &d->at)) < 0) {
		log_warnx("attribution: %s", strerror(-ret));
		return ret;
	}
	if ((ret = open_store(d)) < 0)
		return ret;
	if ((ret = rec_new(d->at, &sink, d->conf.mark_bit, d->conf.max_flows,
	    &d->rec)) < 0)
		return ret;
	d->c = rec_counts(d->rec);
	restore_counted(d);
	attach_conf_of(d, &d->conf, &tc);
	if ((ret = attach_new(&tc, d->at, d->w, d->c, &d->att)) < 0)
		return ret;

	if ((d->bufs = malloc((size_t)RD_NMSG * RD_MSGBUF)) == NULL)
		return -ENOMEM;
	for (int i = 0; i < RD_NMSG; i++) {
		d->iov[i].iov_base = d->bufs + (size_t)i * RD_MSGBUF;
		d->iov[i].iov_len = RD_MSGBUF;
		memset(&d->msgs[i], 0, sizeof(d->msgs[i]));
		d->msgs[i].msg_hdr.msg_iov = &d->iov[i];
		d->msgs[i].msg_hdr.msg_iovlen = 1;
	}

	/* Subscribe before dumping: a connection opened in between is
	 * seen by one or both, and counted once (by id). */
	d->rcvbuf = d->conf.rcvbuf_initial;
	if ((ret = ctsock_open_events(d->conf.mark_bit, d->conf.accounting,
	    d->rcvbuf, &d->ev_nl)) < 0) {
		if (ret == -EPERM)
			need_admin();
		else
			log_warnx("conntrack events: %s", strerror(-ret));
		return ret;
	}
	d->ev_portid = mnl_socket_get_portid(d->ev_nl);
	/* Nothing is queued on a socket just subscribed. */
	rec_ct_drained(d->rec, real_ns());
	read_drops(d);
	d->dump_seq = RD_DUMP_SEQ_BASE;
	/* Before the start-up dump: attachments whose record was lost, and
	 * the running pods adopted, their open connections marked, so that
	 * the dump records them. */
	recover(d, now_s());
	if ((ret = attach_adopt(d->att)) < 0)
		log_warnx("adoption: %s", strerror(-ret));
	start_dump(d, "start", false);
	d->last_refresh = now_s();

	if ((ret = ctsock_open_nflog(d->conf.nflog_group,
	    d->conf.nflog_snaplen, 4u << 20, &d->log_nl)) < 0)
		log_warnx("NFLOG group %u: %s; DNS names will not be recorded",
		    d->conf.nflog_group, strerror(-ret));

	if ((d->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		return -errno;
	if ((ret = set_timer(d->tfd, d->conf.flush_ms)) < 0)
		return ret;
	/* Failing here costs speed, not records: the plugin then closes
	 * its own. */
	if (d->conf.release_socket[0] != '\0' &&
	    (ret = release_start(d->conf.release_socket,
	    RELEASE_QUIET_MS, &d->rel)) < 0)
		log_warnx("release_socket %s: %s; the CNI plugin will close "
		    "its nftables sockets itself (slower ADDs)",
		    d->conf.release_socket, strerror(-ret));
	return 0;
}

/*
 * SIGKILL, the OOM killer, a node crash: the flows and counters of the
 * last flush interval died with the process. Connections still open are
 * recovered by the start-up dump; those that opened and closed within
 * that interval, and the events the kernel dropped in it, cannot be
 * known. Say so and count it, rather than let the counters look
 * complete. The marker is the running daemon's pid, "0" after a clean
 * exit.
 */
static void
note_previous_run(struct rd *d)
{
	char prev[32];

	if (store_meta_get(d->st, "recorder_running", prev,
	    sizeof(prev)) == 0 && prev[0] != '\0' && strcmp(prev, "0") != 0) {
		log_warnx("the previous run (pid %s) did not exit cleanly: "
		    "what it had not flushed yet (at most one flush_interval "
		    "of flows and counters) is lost; connections still open "
		    "are recorded from the conntrack dump", prev);
		(void)store_counter_add(d->st, "unclean_exits", 1);
	}
	snprintf(prev, sizeof(prev), "%ld", (long)getpid());
	if (store_meta_set(d->st, "recorder_running", prev) == 0)
		d->marked_running = true;
}

/*
 * The last flush: what the writer still has, then what the loop holds.
 * The store may be locked: wait for it a while (the process is leaving,
 * nothing is read any more), then say what could not be written.
 */
static void
last_flush(struct rd *d)
{
	struct batch *b;
	size_t lost = 0, held = 0;
	int ret;

	if (d->w == NULL)
		return;
	/* What the kernel queued until now is counted with the rest. */
	if (d->ev_nl != NULL && d->rec != NULL)
		(void)drain(d, d->ev_nl, 0);
	/* At most two rounds: the batch the writer has, then the loop's. */
	for (int i = 0; d->rec != NULL && i < 2 && flush(d) == -EBUSY; i++) {
		if (writer_drain(d->w, RD_EXIT_WRITE_MS) < 0)
			break;
		if ((b = writer_done(d->w)) != NULL)
			rec_batch_back(d->rec, b);
	}
	if (d->rec != NULL && rec_flush_pending(d->rec))
		held = rec_nflows(d->rec);
	ret = writer_stop(d->w, RD_EXIT_WRITE_MS, &lost);
	d->w = NULL;
	if (ret < 0 || held > 0)
		log_warnx("store: %zu flows could not be written before exit: "
		    "the store stayed locked or refused writes for %d s",
		    lost + held, 2 * RD_EXIT_WRITE_MS / 1000);
}

/*
 * After the last flush: publish what changed once more (the profiles and
 * the RecorderStatus then say what the store says, its data's end
 * included), within RD_EXIT_PUBLISH_MS, and keep the publisher's
 * counters in the store.
 */
static void
last_publish(struct rd *d)
{
	struct publish_stats st;
	char v[32];
	int ret;

	if (d->pub == NULL)
		return;
	ret = publish_stop(d->pub, true, RD_EXIT_PUBLISH_MS, &st);
	d->pub = NULL;
	if (ret == -ETIMEDOUT)
		log_warnx("publish: the last publish did not finish within %d "
		    "s: %lld objects wait for the next start",
		    RD_EXIT_PUBLISH_MS / 1000, (long long)st.pending);
	if (d->st == NULL)
		return;
	snprintf(v, sizeof(v), "%lld", (long long)st.objects_written);
	(void)store_meta_set(d->st, STORE_META_PUBLISH_WRITTEN, v);
	snprintf(v, sizeof(v), "%lld", (long long)st.failed);
	(void)store_meta_set(d->st, STORE_META_PUBLISH_FAILED, v);
	snprintf(v, sizeof(v), "%lld", (long long)st.pending);
	(void)store_meta_set(d->st, STORE_META_PUBLISH_PENDING, v);
	snprintf(v, sizeof(v), "%lld", (long long)st.objects);
	(void)store_meta_set(d->st, STORE_META_PUBLISH_OBJECTS, v);
	snprintf(v, sizeof(v), "%lld", (long long)st.last_success);
	(void)store_meta_set(d->st, STORE_META_PUBLISH_LAST_SUCCESS, v);
	(void)store_meta_set(d->st, STORE_META_PUBLISH_STATE,
	    pubsched_state_name(st.state));
	(void)store_meta_set(d->st, STORE_META_PUBLISH_LAST_ERROR,
	    st.last_error);
}

static void
teardown(struct rd *d)
{
	/* What the plugin handed over and the loop did not take yet goes
	 * to the store with the last flush. */
	if (d->rel != NULL && d->att != NULL)
		handed(d);
	if (d->rel != NULL)
		log_debug("released %llu nftables sockets of the CNI plugin",
		    (unsigned long long)release_received(d->rel));
	release_stop(d->rel);
	last_flush(d);
	last_publish(d);
	if (d->marked_running &&
	    store_meta_set(d->st, "recorder_running", "0") < 0)
		log_warnx("store: %s", store_errmsg(d->st));
	if (d->ev_nl != NULL)
		mnl_socket_close(d->ev_nl);
	if (d->dump_nl != NULL)
		mnl_socket_close(d->dump_nl);
	ctsock_close_nflog(d->log_nl, d->conf.nflog_group);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->sfd >= 0)
		close(d->sfd);
	table_close(d->table);
	attach_free(d->att);
	rec_free(d->rec);
	attrib_free(d->at);
	store_close(d->st);
	free(d->bufs);
	ct_parse_cleanup();
}

static void
on_signal(struct rd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload_conf(d);
		else {
			log_info("signal %u: flushing and exiting",
			    si.ssi_signo);
			d->stop = true;
		}
	}
}

/*
 * An event found no pod: its attachment may just have been written (a
 * CNI ADD). Have the writer read the attachments again when the store
 * changed, at most every RD_PODS_MS: a stream of events from addresses
 * that are no pods must not keep the writer checking.
 */
static void
ask_pods(struct rd *d)
{
	int64_t now;

	d->want_pods = rec_take_want_pods(d->rec) || d->want_pods;
	if (!d->want_pods ||
	    (now = clock_mono_ms()) - d->pods_asked < RD_PODS_MS)
		return;
	d->pods_asked = now;
	d->want_pods = false;
	writer_request_pods(d->w, false);
}

enum { P_REL, P_EV, P_DUMP, P_LOG, P_TIMER, P_SIG, P_META, P_WRITER, P_N };

/* How long poll may sleep: until a held event's time is up or an
 * adoption round is due, else until something comes. */
static int
poll_timeout(const struct rd *d)
{
	int a = rec_hold_ms(d->rec), b = attach_adopt_due(d->att);

	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static int
loop(struct rd *d)
{
	struct pollfd pfd[P_N];
	uint64_t exp;
	int ret;

	while (!d->stop) {
		pfd[P_REL].fd = release_fd(d->rel);
		pfd[P_EV].fd = mnl_socket_get_fd(d->ev_nl);
		pfd[P_DUMP].fd = d->dump_nl ? mnl_socket_get_fd(d->dump_nl) : -1;
		pfd[P_LOG].fd = d->log_nl ? mnl_socket_get_fd(d->log_nl) : -1;
		pfd[P_TIMER].fd = d->tfd;
		pfd[P_SIG].fd = d->sfd;
		pfd[P_META].fd = attrib_meta_fd(d->at);
		pfd[P_WRITER].fd = writer_fd(d->w);
		for (int i = 0; i < P_N; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, P_N, poll_timeout(d)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* New pods before anything else: their first events may be
		 * read in this round. */
		if (pfd[P_REL].fd >= 0 && (pfd[P_REL].revents & POLLIN))
			handed(d);
		/* DNS answers first: a pod connects only after its answer
		 * arrived, so the answer must be known when the NEW event
		 * that follows it is read in the same round. */
		if (d->log_nl != NULL && (pfd[P_LOG].revents & POLLIN))
			(void)drain(d, d->log_nl, 2);
		if (pfd[P_EV].revents & (POLLIN | POLLERR))
			if ((ret = drain(d, d->ev_nl, 0)) < 0) {
				log_warnx("conntrack events: %s",
				    strerror(-ret));
				return ret;
			}
		if (d->dump_nl != NULL &&
		    (pfd[P_DUMP].revents & (POLLIN | POLLERR))) {
			ret = drain(d, d->dump_nl, 1);
			if (ret != 0) {
				bool dropped = dropped_since_dump(d);

				log_debug("conntrack dump: %lld entries",
				    (long long)d->dumped);
				mnl_socket_close(d->dump_nl);
				d->dump_nl = NULL;
				rec_dump_end(d->rec, ret == 1 && !dropped);
				if (dropped)
					d->dump_again = true;
				if (ret == -ENOBUFS || d->dump_again) {
					d->dump_again = false;
					start_dump(d, "resync again", true);
				}
			}
		}
		ask_pods(d);
		if (pfd[P_WRITER].revents & POLLIN)
			writer_results(d);
		if (pfd[P_META].fd >= 0 && (pfd[P_META].revents & POLLIN))
			meta_update(d);
		/* Held events whose time is up, adoption when due. */
		if (rec_hold_ms(d->rec) == 0)
			rec_retry_pending(d->rec, now_s());
		adopt(d);
		if (pfd[P_TIMER].revents & POLLIN) {
			while (read(d->tfd, &exp, sizeof(exp)) > 0)
				;
			tick(d);
		}
		if (pfd[P_SIG].revents & POLLIN)
			on_signal(d);
	}
	return 0;
}

int
rd_run(const struct rd_opts *o, const struct rconf *conf)
{
	struct rd *d;
	char started[32];
	int ret;

	/* Before detaching, so that the reason reaches the terminal. */
	if (ctsock_check_admin() < 0) {
		need_admin();
		return -EPERM;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	d->conf = *conf;
	d->opts = o;
	d->tfd = d->sfd = -1;
	/* Detach before anything is opened: an SQLite connection, the
	 * metadata client's worker thread and POSIX locks do not survive a
	 * fork. Start-up errors then go to the log file. */
	if (!o->foreground && daemon(0, 0) < 0) {
		ret = -errno;
		log_warn("daemon");
		goto out;
	}
	if ((ret = setup(d)) < 0)
		goto out;
	if (store_meta_get(d->st, "recording_started", started,
	    sizeof(started)) == -ENOENT) {
		snprintf(started, sizeof(started), "%lld",
		    (long long)now_s());
		(void)store_meta_set(d->st, "recording_started", started);
	}
	/* Which node recorded this store, for whoever reads it elsewhere. */
	if (d->conf.node_name[0] != '\0')
		(void)store_meta_set(d->st, "node_name", d->conf.node_name);
	note_previous_run(d);
	prune_at_start(d);
	/* Not publishing is no reason not to record. */
	(void)publish_apply(d, &d->conf);
	log_info("recording: node %s, store %s, mark 0x%08x, nflog group "
	    "%u, %d pods attached", d->conf.node_name[0] ? d->conf.node_name :
	    "(unknown)", d->conf.store, d->conf.mark_bit,
	    d->conf.nflog_group, attrib_npods(d->at));
	ret = loop(d);
out:
	teardown(d);
	free(d);
	return ret;
}
