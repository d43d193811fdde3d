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

#include "cli/base/timefmt.h"
#include "cli/source/index.h"
#include "cli/source/store_source.h"

void
cliopt_init(struct cliopt *o)
{
	memset(o, 0, sizeof(*o));
	o->now = (int64_t)time(NULL);
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
	const char *env;
	int rc;

	if (o->ndbs == 0) {
		env = getenv("NETPOL_RECORD_DB");
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
cliopt_load(const struct cliopt *o, const struct source_query *q,
    struct index **out, char *err, size_t errlen)
{
	struct source **srcs;
	size_t i, n = 0;
	int rc = 0;

	*out = NULL;
	if ((srcs = calloc(o->ndbs + 1, sizeof(*srcs))) == NULL)
		rc = -ENOMEM;
	for (; rc == 0 && n < o->ndbs; n++)
		rc = store_source_new(o->dbs[n], &srcs[n]);
	if (rc == 0)
		rc = index_load(srcs, n, q, out, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
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
