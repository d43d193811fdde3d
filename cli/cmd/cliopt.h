/*
 * cliopt: the options export, check, report and status share.
 *
 *   --db PATH            a store (repeatable, merged); default
 *                        $NETPOL_RECORD_DB or STORE_DEFAULT_PATH
 *   --cluster            the cluster's API instead (cli/source/
 *                        cluster_source.h); the default when run as the
 *                        kubectl plugin without --db or NETPOL_RECORD_DB
 *   --kubeconfig FILE, --context NAME (imply --cluster)
 *   --request-timeout DUR, --chunk-size N
 *   -n, --namespace NS
 *   -A, --all-namespaces
 *   -w, --workload KIND/NAME
 *   --since WHEN, --until WHEN
 *                        a duration back from now (90s, 30m, 24h, 7d,
 *                        2w, combined as 1d12h) or an RFC 3339 time
 *                        (2026-11-22T10:00:00Z, +01:00 offsets)
 *
 * Use with getopt_long: put CLIOPT_LONGOPTS in your struct option table
 * and CLIOPT_SHORTOPTS in your optstring, then hand each option to
 * cliopt_handle() before your own switch. Your own long-only option codes
 * should start at CLIOPT_USER.
 */
#ifndef NPR_CLI_CMD_CLIOPT_H
#define NPR_CLI_CMD_CLIOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/store.h"

struct index;
struct source_query;

enum cliopt_code {
	CLIOPT_NAMESPACE = 'n',
	CLIOPT_ALL_NAMESPACES = 'A',
	CLIOPT_WORKLOAD = 'w',
	CLIOPT_DB = 0x100,
	CLIOPT_SINCE,
	CLIOPT_UNTIL,
	CLIOPT_CLUSTER,
	CLIOPT_KUBECONFIG,
	CLIOPT_CONTEXT,
	CLIOPT_REQUEST_TIMEOUT,
	CLIOPT_CHUNK_SIZE,
	CLIOPT_USER = 0x200,
};

#define CLIOPT_SHORTOPTS "n:Aw:"
/* Where the recording is read from: the stores or the cluster. */
#define CLIOPT_SOURCE_LONGOPTS \
	{ "db", required_argument, NULL, CLIOPT_DB }, \
	{ "cluster", no_argument, NULL, CLIOPT_CLUSTER }, \
	{ "kubeconfig", required_argument, NULL, CLIOPT_KUBECONFIG }, \
	{ "context", required_argument, NULL, CLIOPT_CONTEXT }, \
	{ "request-timeout", required_argument, NULL, \
	  CLIOPT_REQUEST_TIMEOUT }, \
	{ "chunk-size", required_argument, NULL, CLIOPT_CHUNK_SIZE }
#define CLIOPT_LONGOPTS \
	CLIOPT_SOURCE_LONGOPTS, \
	{ "namespace", required_argument, NULL, CLIOPT_NAMESPACE }, \
	{ "all-namespaces", no_argument, NULL, CLIOPT_ALL_NAMESPACES }, \
	{ "workload", required_argument, NULL, CLIOPT_WORKLOAD }, \
	{ "since", required_argument, NULL, CLIOPT_SINCE }, \
	{ "until", required_argument, NULL, CLIOPT_UNTIL }

/* Help lines for the source options, to paste into a usage text. */
#define CLIOPT_SOURCE_HELP \
"  --db PATH              a store file (repeatable: stores from several\n" \
"                         nodes are merged); default $NETPOL_RECORD_DB or\n" \
"                         " STORE_DEFAULT_PATH "\n" \
"  --cluster              read the cluster: the TrafficProfiles every\n" \
"                         node's recorder publishes (the default when run\n" \
"                         as kubectl netpol-record without --db)\n" \
"  --kubeconfig FILE      the cluster of this kubeconfig (default as\n" \
"                         kubectl: $KUBECONFIG, ~/.kube/config, in-cluster)\n" \
"  --context NAME         the kubeconfig context (default: its current)\n" \
"  --request-timeout DUR  wait that long for each request (default 60s)\n" \
"  --chunk-size N         list N objects a request (default 500; 0: all)\n"
/* Help lines for the options above, to paste into a usage text. */
#define CLIOPT_HELP \
CLIOPT_SOURCE_HELP \
"  -n, --namespace NS     only workloads of namespace NS\n" \
"  -A, --all-namespaces   every namespace\n" \
"  -w, --workload KIND/NAME  only this workload (deployment/web, or\n" \
"                         deploy/web, sts/db, ds/agent, cj/backup...)\n" \
"  --since WHEN           flows seen at or after WHEN: a duration back\n" \
"                         from now (30m, 24h, 7d, 1d12h) or an RFC 3339\n" \
"                         time (2026-11-22T10:00:00Z)\n" \
"  --until WHEN           flows seen at or before WHEN (same forms)\n"

struct kube;

struct cliopt {
	const char **dbs;	/* owned array of borrowed argv strings */
	size_t ndbs;
	bool cluster;		/* read the cluster, not stores */
	bool default_store;	/* no --db nor NETPOL_RECORD_DB: the default */
	const char *kubeconfig;	/* borrowed, NULL: as kubectl */
	const char *context;	/* borrowed, NULL: the current */
	int64_t timeout_ms;	/* 0: the default */
	int chunk;		/* list page size */
	struct kube *kube;	/* the cluster's connection, once loaded */
	char source[1200];	/* what was read, once loaded */
	const char *namespace_;	/* NULL unless -n */
	bool all_namespaces;
	const char *kind;	/* NULL unless -w: the kind, spelt out when
				 * an alias (deploy, sts, ds, rs, rc, cj,
				 * po) or plural was given; owned */
	const char *name;	/* NULL unless -w: the name (borrowed) */
	int64_t since;		/* 0 = open */
	int64_t until;		/* 0 = open */
	int64_t now;		/* reference for durations; set by init */
};

/* Zero *o and set o->now to the current time. */
void cliopt_init(struct cliopt *o);
/* Free what cliopt_handle allocated (not o itself). */
void cliopt_free(struct cliopt *o);

/*
 * Handle option c (from getopt_long) with argument arg. Returns 1 when c
 * is one of ours and was taken, 0 when it is not ours, -EINVAL with a
 * message in err on a bad value, -ENOMEM.
 */
int cliopt_handle(struct cliopt *o, int c, const char *arg, char *err,
    size_t errlen);

/*
 * After the last option: chooses the source (the cluster when asked for,
 * or by default when run as the kubectl plugin without --db or
 * NETPOL_RECORD_DB; else the stores), defaults the store list, checks
 * consistency (not --db with --cluster; since <= until; --namespace and
 * --all-namespaces are exclusive; when need_scope, one of them is
 * required). 0 or -EINVAL with err.
 */
int cliopt_finish(struct cliopt *o, bool need_scope, char *err,
    size_t errlen);

/* The query of the options (direction both). */
void cliopt_query(const struct cliopt *o, struct source_query *q);

/*
 * The index of what the stores of the options (o->dbs), or the cluster,
 * recorded for q. Says on stderr, after "who: ", which cluster was read
 * (and what it held), or which store when it was the default one; sets
 * o->source. 0, or -errno with err saying what failed and what to do
 * (see index_load()).
 */
int cliopt_load(struct cliopt *o, const char *who,
    const struct source_query *q, struct index **out, char *err,
    size_t errlen);

/* The cluster's connection of the options (kube_open), opened once:
 * for the commands that talk to the API themselves (status, known-servers
 * import --cluster). 0 or -errno with err. */
int cliopt_kube(struct cliopt *o, struct kube **out, char *err,
    size_t errlen);

/*
 * Append the CIDR s (given to option opt: "--pod-cidr") to *v (n of them).
 * 0, -ENOMEM, or -EINVAL with a message in err when s is not a CIDR.
 */
int cliopt_cidr(struct addr_cidr **v, size_t *n, const char *s,
    const char *opt, char *err, size_t errlen);

#endif
