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

#include "lib/log.h"
#include "lib/store.h"
#include "nft/nftrules.h"
#include "recorderd/attrib.h"
#include "recorderd/ct.h"
#include "recorderd/ctsock.h"
#include "recorderd/rec.h"
#include "recorderd/release.h"

#define RD_NMSG 64			/* datagrams per recvmmsg */
#define RD_MSGBUF (16 * 1024)		/* bytes per datagram buffer */
#define RD_DUMP_SEQ_BASE 0x4e500000u
#define RD_TABLE_CHECK_S 5		/* seconds between table checks */

/* What the last look at the plugin's nftables table found. */
enum { TABLE_OK, TABLE_GONE, TABLE_RULES, TABLE_UNKNOWN };

struct rd {
	struct rconf conf;
	const struct rd_opts *opts;
	struct store *st;
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

	struct nftrules *nr;		/* for the table checks */
	int table_state;
	int64_t last_table_check;

	struct rec_counts *c;		/* the recorder's, not yet written */
	int64_t last_prune;
	int64_t last_refresh;		/* start of the last refresh dump */

	struct mmsghdr msgs[RD_NMSG];
	struct iovec iov[RD_NMSG];
	char *bufs;
};

static void watch_table(struct rd *, int64_t);

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
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
	else
		log_debug("conntrack dump started (%s)", why);
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
	int64_t now = now_s();
	bool done = false;

	for (int round = 0; round < 64; round++) {
		for (int i = 0; i < RD_NMSG; i++)
			d->msgs[i].msg_hdr.msg_flags = 0;
		n = recvmmsg(fd, d->msgs, RD_NMSG, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
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
		if (n < RD_NMSG)
			return 0;
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

static void
prune(struct rd *d, int64_t now)
{
	int64_t deleted = 0;
	int ret;

	if (d->conf.retention_days == 0 || now - d->last_prune < 3600)
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
 * to the owners it now names. */
static void
meta_update(struct rd *d)
{
	if (attrib_meta_process(d->at) <= 0 ||
	    !attrib_reattribute_needed(d->at))
		return;
	/* The aggregates hold workload ids that a merge retires: write
	 * them first. */
	(void)flush(d);
	if (attrib_reattribute(d->at) < 0)
		log_warnx("re-attributing pods: %s", store_errmsg(d->st));
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

static void
tick(struct rd *d)
{
	int64_t now = now_s();

	meta_update(d);
	refresh(d, now);
	(void)attrib_reload(d->at, false);
	rec_retry_pending(d->rec, now);
	(void)flush(d);
	prune(d, now);
	watch_table(d, now);
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

struct kaddrs {
	struct addr *a;
	size_t n, cap;
};

static int
kaddr_cb(const struct nftrules_elem *el, void *arg)
{
	struct kaddrs *k = arg;

	if (el->key.kind == NFTRULES_KEY_IFNAME)
		return 0;
	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 256;
		struct addr *na = realloc(k->a, ncap * sizeof(*na));

		if (na == NULL)
			return -ENOMEM;
		k->a = na;
		k->cap = ncap;
	}
	k->a[k->n++] = el->key.addr;
	return 0;
}

static int
kaddr_cmp(const void *x, const void *y)
{
	return addr_cmp(x, y);
}

struct missing {
	const struct kaddrs *k;
	int pods;
};

static int
missing_cb(const struct store_attachment *a, void *arg)
{
	struct missing *m = arg;

	for (int i = 0; i < a->naddrs; i++)
		if (bsearch(&a->addrs[i].addr, m->k->a, m->k->n,
		    sizeof(struct addr), kaddr_cmp) == NULL) {
			m->pods++;
			break;
		}
	return 0;
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

/*
 * Compare the table's address sets with the attachments in the store: a
 * pod whose addresses are missing from the kernel (a node reboot, a
 * flushed ruleset, a deleted table) is not marked and would not be
 * recorded. Say so; --repair (or the next CNI ADD, when the whole table
 * was gone) puts them back.
 */
static void
check_elements(struct nftrules *nr, struct store *st)
{
	struct kaddrs k = { 0 };
	struct missing m = { .k = &k };
	int ret;

	if ((ret = nftrules_list(nr, kaddr_cb, &k)) < 0) {
		log_warnx("nftables table inet %s: %s", NFTRULES_TABLE,
		    strerror(-ret));
		goto out;
	}
	if (k.n > 1)	/* k.a is NULL on a node without pods */
		qsort(k.a, k.n, sizeof(*k.a), kaddr_cmp);
	if (store_attachment_foreach(st, true, missing_cb, &m) == 0 &&
	    m.pods > 0)
		log_warnx("%d attached pods have addresses missing from table "
		    "inet %s: their connections are not recorded; run "
		    "netpol-recorderd --repair", m.pods, NFTRULES_TABLE);
out:
	free(k.a);
}

/*
 * On start: make sure the plugin's table exists (so that the plugin's
 * STATUS turns ready even before the first pod), then check that every
 * attached pod has its elements.
 */
static void
check_table(struct rd *d)
{
	struct nftrules_conf nc;
	int ret;

	nft_conf_of(&d->conf, &nc);
	d->table_state = TABLE_UNKNOWN;
	if ((ret = nftrules_open(&d->nr)) == 0)
		ret = nftrules_ensure_table(d->nr, &nc);
	if (ret < 0) {
		log_warnx("nftables table inet %s: %s", NFTRULES_TABLE,
		    strerror(-ret));
		return;
	}
	d->table_state = TABLE_OK;
	check_elements(d->nr, d->st);
}

/*
 * While running: someone may delete the table or its rules (an
 * administrator's `nft flush ruleset`, a tool that owns the ruleset).
 * Then no connection is marked any more and the daemon records nothing,
 * silently. Every RD_TABLE_CHECK_S seconds, one GETTABLE and one dump of
 * the table's 17 rules (cheaper than listening to every nftables change
 * on the node, which kube-proxy makes many of) tell whether it is whole;
 * a change is logged once. The daemon does not put the table back
 * itself: the next CNI ADD recreates it with every attached pod, or
 * --repair does, with the configuration the operator chose.
 */
static void
watch_table(struct rd *d, int64_t now)
{
	int ret, state;

	if (d->nr == NULL || now - d->last_table_check < RD_TABLE_CHECK_S)
		return;
	d->last_table_check = now;
	ret = nftrules_check_rules(d->nr);
	state = ret == 0 ? TABLE_OK : ret == -ENOENT ? TABLE_GONE :
	    ret == -ESRCH ? TABLE_RULES : TABLE_UNKNOWN;
	if (state == d->table_state)
		return;
	switch (state) {
	case TABLE_OK:
		log_info("nftables table inet %s is back", NFTRULES_TABLE);
		check_elements(d->nr, d->st);
		break;
	case TABLE_GONE:
		log_warnx("nftables table inet %s was deleted: pod connections "
		    "are no longer marked nor recorded; the next CNI ADD or "
		    "netpol-recorderd --repair restores it", NFTRULES_TABLE);
		break;
	case TABLE_RULES:
		log_warnx("nftables table inet %s has rules missing: pod "
		    "connections are not all marked; run netpol-recorderd "
		    "--repair after deleting the table", NFTRULES_TABLE);
		break;
	default:
		log_warnx("nftables table inet %s: cannot check it: %s",
		    NFTRULES_TABLE, strerror(-ret));
		break;
	}
	d->table_state = state;
}

static void
reload_conf(struct rd *d)
{
	struct rconf nc;
	char err[512];
	int lvl;

	if (d->opts->conf_path == NULL) {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	if (rconf_load_file(d->opts->conf_path, &nc, err, sizeof(err)) < 0 ||
	    (rd_apply_overrides(d->opts, &nc), rconf_absolute_paths(&nc, d->opts->start_dir),
	    rconf_validate(&nc, err, sizeof(err))) < 0) {
		log_warnx("reload refused, keeping the running configuration:"
		    " %s", err);
		return;
	}
	if (strcmp(nc.store, d->conf.store) != 0 ||
	    nc.nflog_group != d->conf.nflog_group ||
	    nc.meta_source != d->conf.meta_source ||
	    strcmp(nc.meta_file, d->conf.meta_file) != 0 ||
	    nc.max_flows != d->conf.max_flows ||
	    nc.accounting != d->conf.accounting)
		log_warnx("reload: store, nflog, metadata, max_flows and "
		    "accounting changes take effect on restart");
	if (nc.mark_bit != d->conf.mark_bit) {
		if (ctsock_set_filter(d->ev_nl, nc.mark_bit) < 0)
			log_warn("reload: new mark filter");
		rec_set_mark(d->rec, nc.mark_bit);
	}
	if (nc.flush_ms != d->conf.flush_ms)
		(void)set_timer(d->tfd, nc.flush_ms);
	if (nc.rcvbuf_initial > d->rcvbuf) {
		d->rcvbuf = nc.rcvbuf_initial;
		(void)ctsock_set_rcvbuf(mnl_socket_get_fd(d->ev_nl),
		    d->rcvbuf, NULL);
	}
	lvl = nc.log_level;
	log_setverbose(lvl);
	if (strcmp(nc.log_file, d->conf.log_file) != 0)
		(void)log_open_file(nc.log_file);
	/* Keep what cannot change live. */
	snprintf(nc.store, sizeof(nc.store), "%s", d->conf.store);
	nc.nflog_group = d->conf.nflog_group;
	nc.max_flows = d->conf.max_flows;
	nc.accounting = d->conf.accounting;
	snprintf(nc.release_socket, sizeof(nc.release_socket), "%s",
	    d->conf.release_socket);
	d->conf = nc;
	log_info("configuration reloaded");
}

static int
setup(struct rd *d)
{
	struct attrib_conf ac;
	sigset_t ss;
	int ret;

	if ((ret = store_open(d->conf.store, 0, &d->st)) < 0) {
		log_warnx("store %s: %s", d->conf.store, strerror(-ret));
		return ret;
	}
	check_table(d);
	if (d->conf.accounting && (ret = ctsock_set_acct(true)) < 0)
		log_warnx("nf_conntrack_acct: %s", strerror(-ret));

	memset(&ac, 0, sizeof(ac));
	ac.dns_cache = d->conf.dns_cache;
	if (d->conf.meta_source == RCONF_META_FILE)
		ac.meta_file = d->conf.meta_file;
	else if (d->conf.meta_source == RCONF_META_KUBECONFIG)
		ac.meta_kubeconfig = d->conf.meta_kubeconfig;
	ac.meta_in_cluster = d->conf.meta_source == RCONF_META_IN_CLUSTER;
	if ((ret = attrib_new(d->st, &ac, &d->at)) < 0) {
		log_warnx("attribution: %s", strerror(-ret));
		return ret;
	}
	if ((ret = rec_new(d->st, d->at, d->conf.mark_bit, d->conf.max_flows,
	    &d->rec)) < 0)
		return ret;
	d->c = rec_counts(d->rec);

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
		log_warnx("conntrack events: %s", strerror(-ret));
		return ret;
	}
	d->ev_portid = mnl_socket_get_portid(d->ev_nl);
	read_drops(d);
	d->dump_seq = RD_DUMP_SEQ_BASE;
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
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0 ||
	    (d->sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	/* After the signal mask: the thread must not take SIGTERM. Failing
	 * here costs speed, not records: the plugin then closes its own. */
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

static void
teardown(struct rd *d)
{
	if (d->rel != NULL)
		log_debug("released %llu nftables sockets of the CNI plugin",
		    (unsigned long long)release_received(d->rel));
	release_stop(d->rel);
	if (d->rec != NULL)
		(void)flush(d);
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
	nftrules_close(d->nr);
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

enum { P_EV, P_DUMP, P_LOG, P_TIMER, P_SIG, P_META, P_N };

static int
loop(struct rd *d)
{
	struct pollfd pfd[P_N];
	uint64_t exp;
	int ret;

	while (!d->stop) {
		pfd[P_EV].fd = mnl_socket_get_fd(d->ev_nl);
		pfd[P_DUMP].fd = d->dump_nl ? mnl_socket_get_fd(d->dump_nl) : -1;
		pfd[P_LOG].fd = d->log_nl ? mnl_socket_get_fd(d->log_nl) : -1;
		pfd[P_TIMER].fd = d->tfd;
		pfd[P_SIG].fd = d->sfd;
		pfd[P_META].fd = attrib_meta_fd(d->at);
		for (int i = 0; i < P_N; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, P_N, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
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
				log_debug("conntrack dump: %lld entries",
				    (long long)d->dumped);
				mnl_socket_close(d->dump_nl);
				d->dump_nl = NULL;
				if (dropped_since_dump(d))
					d->dump_again = true;
				if (ret == -ENOBUFS || d->dump_again) {
					d->dump_again = false;
					start_dump(d, "resync again", true);
				}
			}
		}
		if (pfd[P_META].fd >= 0 && (pfd[P_META].revents & POLLIN))
			meta_update(d);
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
	note_previous_run(d);
	log_info("recording: store %s, mark 0x%08x, nflog group %u, "
	    "%d pods attached", d->conf.store, d->conf.mark_bit,
	    d->conf.nflog_group, attrib_npods(d->at));
	prune(d, now_s());
	ret = loop(d);
out:
	teardown(d);
	free(d);
	return ret;
}
