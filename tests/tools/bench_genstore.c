/*
 * bench_genstore: a synthetic store for the export benchmark of `make
 * bench` (tests/bench/, section 4).
 *
 *   bench_genstore -o DB [-w WORKLOADS] [-f FLOWS] [-N NAMESPACES] [-s SEED]
 *
 * Creates DB with the real schema (store_open runs the migrations of
 * lib/store_schema.h), then fills it in one transaction with prepared
 * statements (the fast path: about 1M rows in seconds):
 *  - NAMESPACES namespaces "ns-000".. (default 100), WORKLOADS workloads
 *    (default 10,000) spread evenly over them: Deployments "app-N" (every
 *    tenth a StatefulSet, every twentieth a DaemonSet), each with a
 *    selector {"matchLabels":{"app":"app-N"}}, labels, one named port and
 *    a start time; one attachment per workload with its pod address;
 *  - FLOWS flows (default 1,000,000) spread evenly over the workloads:
 *    per workload, four in five egress and one in five ingress; peers are
 *    other workloads (a third of them in another namespace), addresses
 *    outside the cluster (IPv4 and IPv6), a few node addresses, DNAT'd
 *    Service ports and DNS names; TCP mostly, some UDP, SCTP and ICMP;
 *    times within the last day;
 *  - meta recording_started, counters events_seen / flows_written.
 * Deterministic for a given SEED. Prints "workloads=N flows=N secs=S".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/store.h"

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_genstore: %s: %s\n", sql,
		    sqlite3_errmsg(db));
		exit(1);
	}
	return st;
}

static void
step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "bench_genstore: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_genstore: %s: %s\n", sql, msg);
		exit(1);
	}
}

static const char *
kind_of(long w)
{
	if (w % 20 == 19)
		return "DaemonSet";
	if (w % 10 == 9)
		return "StatefulSet";
	return "Deployment";
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	long nwl = 10000, nflows = 1000000, nns = 100, w, j, written = 0;
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *ins_wl, *ins_att, *ins_addr, *ins_flow;
	struct timespec t0, t1;
	int64_t now = (int64_t)time(NULL), start;
	int ch, r;

	rng_state = 0x9e3779b97f4a7c15ULL;
	while ((ch = getopt(argc, argv, "o:w:f:N:s:")) != -1) {
		switch (ch) {
		case 'o': path = optarg; break;
		case 'w': nwl = atol(optarg); break;
		case 'f': nflows = atol(optarg); break;
		case 'N': nns = atol(optarg); break;
		case 's': rng_state ^= (uint64_t)atoll(optarg) * 7919; break;
		default: goto usage;
		}
	}
	if (path == NULL || nwl < 2 || nns < 1 || nns > nwl || nflows < 0)
		goto usage;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unlink(path);
	/* The store makes the file and its schema; the rows are written
	 * behind its API, in bulk, on a connection of our own. */
	if ((r = store_open(path, 0, &st)) != 0) {
		fprintf(stderr, "bench_genstore: %s: %s\n", path, strerror(-r));
		return 1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "bench_genstore: %s: %s\n", path,
		    sqlite3_errmsg(db));
		return 1;
	}
	exec(db, "PRAGMA synchronous=OFF");
	start = now - 86400;

	ins_wl = prep(db, "INSERT INTO workloads (id, namespace, kind, name,"
	    " selector, labels, ports, host_network, started_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)");
	ins_att = prep(db, "INSERT INTO attachments (id, container_id, ifname,"
	    " pod_namespace, pod_name, pod_uid, netns, host_veth, host_ifindex,"
	    " workload_id, attached_at) VALUES (?1, ?2, 'eth0', ?3, ?4, ?5,"
	    " ?6, ?7, ?8, ?1, ?9)");
	ins_addr = prep(db, "INSERT INTO addresses (attachment_id, addr,"
	    " prefix, valid_from) VALUES (?1, ?2, 32, ?3)");
	ins_flow = prep(db, "INSERT INTO flows (workload_id, direction,"
	    " peer_kind, peer_workload_id, peer_addr, protocol, port,"
	    " orig_addr, orig_port, dns_name, first_seen, last_seen, count,"
	    " bytes, packets) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, 0, 0)");

	exec(db, "BEGIN IMMEDIATE");
	for (w = 0; w < nwl; w++) {
		char ns[32], name[32], sel[96], labels[128], ports[96];
		char cid[48], uid[48], netns[64], veth[24], a4[32];
		long nsi = w % nns;

		snprintf(ns, sizeof(ns), "ns-%03ld", nsi);
		snprintf(name, sizeof(name), "app-%ld", w);
		snprintf(sel, sizeof(sel), "{\"matchLabels\":{\"app\":\"%s\"}}",
		    name);
		snprintf(labels, sizeof(labels),
		    "{\"app\":\"%s\",\"tier\":\"t%ld\"}", name, w % 7);
		snprintf(ports, sizeof(ports), "[{\"name\":\"http\",\"port\":%ld,"
		    "\"protocol\":\"TCP\"}]", 8000 + w % 100);
		sqlite3_bind_int64(ins_wl, 1, w + 1);
		sqlite3_bind_text(ins_wl, 2, ns, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_wl, 3, kind_of(w), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_wl, 4, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_wl, 5, sel, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_wl, 6, labels, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_wl, 7, ports, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins_wl, 8, start - (int64_t)(rng() % 86400));
		step(db, ins_wl);

		snprintf(cid, sizeof(cid), "c%08lx%08x", w, rng());
		snprintf(uid, sizeof(uid), "u-%08lx-%08x", w, rng());
		snprintf(netns, sizeof(netns), "/run/netns/cni-%08lx", w);
		snprintf(veth, sizeof(veth), "veth%08lx", w & 0xffffffffL);
		/* Pod addresses: 198.18.0.0/15, as everywhere in the tests. */
		snprintf(a4, sizeof(a4), "198.%ld.%ld.%ld", 18 + (w >> 16),
		    (w >> 8) & 255, w & 255);
		sqlite3_bind_int64(ins_att, 1, w + 1);
		sqlite3_bind_text(ins_att, 2, cid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_att, 3, ns, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_att, 4, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_att, 5, uid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_att, 6, netns, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins_att, 7, veth, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins_att, 8, w + 10);
		sqlite3_bind_int64(ins_att, 9, start);
		step(db, ins_att);
		sqlite3_bind_int64(ins_addr, 1, w + 1);
		sqlite3_bind_text(ins_addr, 2, a4, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins_addr, 3, start);
		step(db, ins_addr);
	}

	for (w = 0; w < nwl; w++) {
		long mine = nflows / nwl + (w < nflows % nwl);

		for (j = 0; j < mine; j++) {
			int dir = j % 5 == 4 ? FLOW_INGRESS : FLOW_EGRESS;
			int pk, proto = 6, port, oport = 0;
			long peer = 0;
			char paddr[64] = "", oaddr[64] = "", dns[64] = "";
			uint32_t x = rng();
			int64_t first, last;

			switch (j % 10) {
			case 0: case 1: case 2: case 3: case 4: case 5:
				pk = FLOW_PEER_WORKLOAD;
				/* Same namespace two times in three. */
				if (x % 3 != 0)
					peer = (w % nns) + nns *
					    (long)(rng() % (uint32_t)(nwl / nns));
				else
					peer = (long)(rng() % (uint32_t)nwl);
				if (peer >= nwl || peer == w)
					peer = (w + 1) % nwl;
				peer += 1;
				break;
			case 6: case 7:
				pk = FLOW_PEER_ADDRESS;
				if (x & 1)
					snprintf(paddr, sizeof(paddr),
					    "203.0.113.%u", rng() % 254 + 1);
				else
					snprintf(paddr, sizeof(paddr),
					    "2001:db8:ff::%x", rng() % 65535 + 1);
				if (x & 2)
					snprintf(dns, sizeof(dns),
					    "api%u.example.com.", rng() % 50);
				break;
			case 8:
				pk = FLOW_PEER_ADDRESS;
				snprintf(paddr, sizeof(paddr), "198.19.%u.%u",
				    rng() % 256, rng() % 254 + 1);
				break;
			default:
				pk = FLOW_PEER_NODE;
				snprintf(paddr, sizeof(paddr), "198.18.255.%u",
				    rng() % 16 + 1);
				break;
			}
			/* The port makes the key unique within the workload. */
			port = 1024 + (int)j;
			if (x % 17 == 0)
				proto = 17;
			else if (x % 97 == 0)
				proto = 132;
			if (pk == FLOW_PEER_WORKLOAD && x % 4 == 0) {
				snprintf(oaddr, sizeof(oaddr), "198.19.255.%u",
				    rng() % 254 + 1);
				oport = 80;
			}
			first = start + (int64_t)(rng() % 80000);
			last = first + (int64_t)(rng() % 6000);
			sqlite3_bind_int64(ins_flow, 1, w + 1);
			sqlite3_bind_int(ins_flow, 2, dir);
			sqlite3_bind_int(ins_flow, 3, pk);
			sqlite3_bind_int64(ins_flow, 4, peer);
			sqlite3_bind_text(ins_flow, 5, paddr, -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int(ins_flow, 6, proto);
			sqlite3_bind_int(ins_flow, 7, port);
			sqlite3_bind_text(ins_flow, 8, oaddr, -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int(ins_flow, 9, oport);
			sqlite3_bind_text(ins_flow, 10, dns, -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(ins_flow, 11, first);
			sqlite3_bind_int64(ins_flow, 12, last);
			sqlite3_bind_int64(ins_flow, 13, 1 + rng() % 1000);
			step(db, ins_flow);
			written++;
		}
	}
	sqlite3_finalize(ins_wl);
	sqlite3_finalize(ins_att);
	sqlite3_finalize(ins_addr);
	sqlite3_finalize(ins_flow);
	exec(db, "COMMIT");
	{
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", (long long)start);
		if ((r = store_meta_set(st, "recording_started", buf)) != 0 ||
		    (r = store_counter_add(st, "events_seen", written)) != 0 ||
		    (r = store_counter_add(st, "flows_written", written)) != 0) {
			fprintf(stderr, "bench_genstore: %s\n",
			    store_errmsg(st));
			store_close(st);
			return 1;
		}
	}
	for (j = 1; j <= 16; j++) {
		char name[32], a[32];
		struct addr na;

		snprintf(name, sizeof(name), "node-%02ld", j);
		snprintf(a, sizeof(a), "198.18.255.%ld", j);
		if (addr_parse(a, &na) != 0 ||
		    (r = store_node_put(st, name, &na)) != 0) {
			fprintf(stderr, "bench_genstore: node %s\n", a);
			store_close(st);
			return 1;
		}
	}
	/* No ANALYZE: the store is as the daemon leaves it. */
	exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	store_close(st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("workloads=%ld flows=%ld secs=%.2f\n", nwl, written,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
usage:
	fprintf(stderr, "usage: bench_genstore -o DB [-w WORKLOADS] "
	    "[-f FLOWS] [-N NAMESPACES] [-s SEED]\n");
	return 1;
}
