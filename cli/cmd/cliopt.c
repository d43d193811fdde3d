/*
 * cliopt: the options export, check, report and status share, and the
 * index of the stores they name.
 */
#include "cli/cmd/cliopt.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/base/prog.h"
#include "cli/base/timefmt.h"
#include "cli/source/cluster_source.h"
#include "cli/source/index.h"
#include "cli/source/kube.h"
#include "cli/source/store_source.h"

void
cliopt_init(struct cliopt *o)
{
	memset(o, 0, sizeof(*o));
	o->now = (int64_t)time(NULL);
	o->chunk = KAPI_PAGE_LIMIT;
}

void
cliopt_free(struct cliopt *o)
{
	if (o == NULL)
		return;
	free(o->dbs);
	o->dbs = NULL;
	o->ndbs = 0;
	free((char *)(uintptr_t)o->kind);
	o->kind = NULL;
	o->name = NULL;
	kube_close(o->kube);
	o->kube = NULL;
}

/* kubectl's short names and plurals for the kinds a workload can be. */
static const struct {
	const char *alias, *kind;
} kind_aliases[] = {
	{ "deploy", "Deployment" }, { "deployment", "Deployment" },
	{ "deployments", "Deployment" },
	{ "sts", "StatefulSet" }, { "statefulset", "StatefulSet" },
	{ "statefulsets", "StatefulSet" },
	{ "ds", "DaemonSet" }, { "daemonset", "DaemonSet" },
	{ "daemonsets", "DaemonSet" },
	{ "rs", "ReplicaSet" }, { "replicaset", "ReplicaSet" },
	{ "replicasets", "ReplicaSet" },
	{ "rc", "ReplicationController" },
	{ "replicationcontroller", "ReplicationController" },
	{ "replicationcontrollers", "ReplicationController" },
	{ "job", "Job" }, { "jobs", "Job" },
	{ "cj", "CronJob" }, { "cronjob", "CronJob" },
	{ "cronjobs", "CronJob" },
	{ "po", "Pod" }, { "pod", "Pod" }, { "pods", "Pod" },
};

/* "deploy/web": kind "Deployment", name "web". */
static int
set_workload(struct cliopt *o, const char *arg)
{
	const char *slash = strchr(arg, '/'), *kind = NULL;
	size_t i, klen = (size_t)(slash - arg);
	char *k;

	for (i = 0; i < sizeof(kind_aliases) / sizeof(kind_aliases[0]); i++)
		if (strlen(kind_aliases[i].alias) == klen &&
		    strncasecmp(arg, kind_aliases[i].alias, klen) == 0)
			kind = kind_aliases[i].kind;
	/* Unknown kinds are matched as given. */
	k = kind != NULL ? strdup(kind) : strndup(arg, klen);
	if (k == NULL)
		return -ENOMEM;
	free((char *)(uintptr_t)o->kind);
	o->kind = k;
	o->name = slash + 1;
	return 0;
}

static int
add_db(struct cliopt *o, const char *path)
{
	const char **n;

	n = realloc(o->dbs, (o->ndbs + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	o->dbs = n;
	o->dbs[o->ndbs++] = path;
	return 0;
}

/* kubectl's forms: "30s", "1m", "1h", a bare number of seconds; "0": no
 * limit (a day, here). */
static int
parse_timeout(struct cliopt *o, const char *arg, char *err, size_t errlen)
{
	int64_t secs;
	char *end;

	if (arg != NULL && *arg != '\0') {
		secs = strtoll(arg, &end, 10);
		if (*end != '\0' && timefmt_parse_duration(arg, &secs) < 0)
			secs = -1;
		if (secs >= 0) {
			o->timeout_ms = (secs == 0 ? 86400 : secs) * 1000;
			return 1;
		}
	}
	snprintf(err, errlen, "--request-timeout: '%s' is not a duration "
	    "(30s, 2m, 0 for none)", arg ? arg : "");
	return -EINVAL;
}

static int
parse_chunk(struct cliopt *o, const char *arg, char *err, size_t errlen)
{
	long v;
	char *end;

	v = arg != NULL ? strtol(arg, &end, 10) : -1;
	if (arg == NULL || *arg == '\0' || *end != '\0' || v < 0 ||
	    v > 100000) {
		snprintf(err, errlen, "--chunk-size: '%s' is not a number of "
		    "objects (0..100000; 0: all at once)", arg ? arg : "");
		return -EINVAL;
	}
	o->chunk = (int)v;
	return 1;
}

int
cliopt_handle(struct cliopt *o, int c, const char *arg, char *err,
    size_t errlen)
{
	int rc;

	switch (c) {
	case CLIOPT_DB:
		if (arg == NULL || *arg == '\0') {
			snprintf(err, errlen, "--db needs a path");
			return -EINVAL;
		}
		rc = add_db(o, arg);
		return rc < 0 ? rc : 1;
	case CLIOPT_NAMESPACE:
		if (arg == NULL || *arg == '\0') {
			snprintf(err, errlen, "--namespace needs a name");
			return -EINVAL;
		}
		o->namespace_ = arg;
		return 1;
	case CLIOPT_ALL_NAMESPACES:
		o->all_namespaces = true;
		return 1;
	case CLIOPT_WORKLOAD:
		if (arg == NULL || strchr(arg, '/') == NULL || arg[0] == '/' ||
		    arg[strlen(arg) - 1] == '/') {
			snprintf(err, errlen,
			    "--workload wants KIND/NAME (e.g. deployment/web), "
			    "not '%s'", arg ? arg : "");
			return -EINVAL;
		}
		rc = set_workload(o, arg);
		return rc < 0 ? rc : 1;
	case CLIOPT_CLUSTER:
		o->cluster = true;
		return 1;
	case CLIOPT_KUBECONFIG:
	case CLIOPT_CONTEXT:
		if (arg == NULL || *arg == '\0') {
			snprintf(err, errlen, "--%s needs a value",
			    c == CLIOPT_CONTEXT ? "context" : "kubeconfig");
			return -EINVAL;
		}
		*(c == CLIOPT_CONTEXT ? &o->context : &o->kubeconfig) = arg;
		o->cluster = true;
		return 1;
	case CLIOPT_REQUEST_TIMEOUT:
		return parse_timeout(o, arg, err, errlen);
	case CLIOPT_CHUNK_SIZE:
		return parse_chunk(o, arg, err, errlen);
	case CLIOPT_SINCE:
	case CLIOPT_UNTIL:
		if (arg == NULL || timefmt_parse_time(arg, o->now,
		    c == CLIOPT_SINCE ? &o->since : &o->until) < 0) {
			snprintf(err, errlen, "--%s: '%s' is neither a duration "
			    "(24h, 30m, 7d) nor an RFC 3339 time",
			    c == CLIOPT_SINCE ? "since" : "until",
			    arg ? arg : "");
			return -EINVAL;
		}
		return 1;
	default:
		return 0;
	}
}

int
cliopt_finish(struct cliopt *o, bool need_scope, char *err, size_t errlen)
{
	const char *env = getenv("NETPOL_RECORD_DB");
	int rc;

	if (o->cluster && o->ndbs > 0) {
		snprintf(err, errlen, "read either stores (--db) or the cluster "
		    "(--cluster, --kubeconfig, --context), not both");
		return -EINVAL;
	}
	/* kubectl netpol-record reads the cluster unless told otherwise; on
	 * a node, netpol-record reads the node's store. */
	if (o->ndbs == 0 && prog_is_kubectl_plugin() &&
	    (env == NULL || *env == '\0'))
		o->cluster = true;
	if (o->ndbs == 0 && !o->cluster) {
		o->default_store = env == NULL || *env == '\0';
		rc = add_db(o, env != NULL && *env != '\0' ? env :
		    STORE_DEFAULT_PATH);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory");
			return rc;
		}
	}
	if (o->namespace_ != NULL && o->all_namespaces) {
		snprintf(err, errlen,
		    "--namespace and --all-namespaces exclude each other");
		return -EINVAL;
	}
	if (need_scope && o->namespace_ == NULL && !o->all_namespaces) {
		snprintf(err, errlen,
		    "say which namespace: --namespace NS or --all-namespaces");
		return -EINVAL;
	}
	if (o->since != 0 && o->until != 0 && o->since > o->until) {
		snprintf(err, errlen, "--since is after --until");
		return -EINVAL;
	}
	return 0;
}

void
cliopt_query(const struct cliopt *o, struct source_query *q)
{
	memset(q, 0, sizeof(*q));
	q->namespace_ = o->all_namespaces ? NULL : o->namespace_;
	q->kind = o->kind;
	q->name = o->name;
	q->since = o->since;
	q->until = o->until;
	q->direction = -1;
}

int
cliopt_kube(struct cliopt *o, struct kube **out, char *err, size_t errlen)
{
	struct kube_opts ko = {
		.kubeconfig = o->kubeconfig,
		.context = o->context,
		.timeout_ms = o->timeout_ms,
		.chunk = o->chunk,
	};
	int rc;

	if (o->kube == NULL && (rc = kube_open(&ko, &o->kube, err,
	    errlen)) < 0)
		return rc;
	*out = o->kube;
	return 0;
}

static int
load_cluster(struct cliopt *o, const char *who, const struct source_query *q,
    struct index **out, char *err, size_t errlen)
{
	struct source *src = NULL;
	struct kube *k;
	int rc;

	if ((rc = cliopt_kube(o, &k, err, errlen)) < 0)
		return rc;
	snprintf(o->source, sizeof(o->source), "%s", kube_describe(k));
	if ((rc = cluster_source_new(k, o->now, &src)) < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	rc = index_load(&src, 1, q, out, err, errlen);
	if (rc == 0)
		fprintf(stderr, "%s: read the cluster %s: %s\n", who,
		    o->source, cluster_source_summary(src));
	source_free(src);
	return rc;
}

int
cliopt_load(struct cliopt *o, const char *who, const struct source_query *q,
    struct index **out, char *err, size_t errlen)
{
	struct source **srcs;
	size_t i, n = 0;
	int rc = 0;

	*out = NULL;
	if (o->cluster)
		return load_cluster(o, who, q, out, err, errlen);
	if ((srcs = calloc(o->ndbs + 1, sizeof(*srcs))) == NULL)
		rc = -ENOMEM;
	for (; rc == 0 && n < o->ndbs; n++)
		rc = store_source_new(o->dbs[n], &srcs[n]);
	if (rc == 0)
		rc = index_load(srcs, n, q, out, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	/* Said only when no store was named: which one was read. */
	if (rc == 0 && o->default_store)
		fprintf(stderr, "%s: read the store %s (the node's; --cluster "
		    "reads the cluster)\n", who, o->dbs[0]);
	for (i = 0; srcs != NULL && i < n; i++)
		source_free(srcs[i]);
	free(srcs);
	return rc;
}

int
cliopt_cidr(struct addr_cidr **v, size_t *n, const char *s, const char *opt,
    char *err, size_t errlen)
{
	struct addr_cidr c, *nv;

	if (strchr(s, '/') == NULL || addr_cidr_parse(s, &c) != 0) {
		snprintf(err, errlen, "%s: '%s' is not a CIDR", opt, s);
		return -EINVAL;
	}
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	nv[(*n)++] = c;
	*v = nv;
	return 0;
}
