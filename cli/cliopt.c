/*
 * cliopt: the options export, check, report and status share.
 */
#include "cli/cliopt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/flowdb.h"

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
	free(o->workload_buf);
	o->workload_buf = NULL;
	o->workload = NULL;
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

/* "deploy/web" -> "Deployment/web" into o->workload_buf. */
static int
set_workload(struct cliopt *o, const char *arg)
{
	const char *slash = strchr(arg, '/'), *kind = NULL;
	size_t i, klen = (size_t)(slash - arg);

	for (i = 0; i < sizeof(kind_aliases) / sizeof(kind_aliases[0]); i++)
		if (strlen(kind_aliases[i].alias) == klen &&
		    strncasecmp(arg, kind_aliases[i].alias, klen) == 0)
			kind = kind_aliases[i].kind;
	free(o->workload_buf);
	o->workload_buf = NULL;
	if (kind == NULL) {	/* unknown kinds are matched as given */
		o->workload = arg;
		return 0;
	}
	if (asprintf(&o->workload_buf, "%s%s", kind, slash) < 0) {
		o->workload_buf = NULL;
		return -ENOMEM;
	}
	o->workload = o->workload_buf;
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
		if (arg == NULL || cliopt_parse_time(arg, o->now,
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
cliopt_query(const struct cliopt *o, struct flowdb_query *q)
{
	memset(q, 0, sizeof(*q));
	q->namespace_ = o->all_namespaces ? NULL : o->namespace_;
	q->workload = o->workload;
	q->since = o->since;
	q->until = o->until;
	q->direction = -1;
}

static const struct {
	char unit;
	int64_t secs;
} units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	{ 'w', 7 * 86400 },
};

int
cliopt_parse_duration(const char *s, int64_t *secs)
{
	int64_t total = 0, v;
	size_t i;
	bool any = false;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > (INT64_MAX / 10) - 10)
				return -EINVAL;
			v = v * 10 + (*s++ - '0');
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*s == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		s++;
		if (v > INT64_MAX / units[i].secs / 2)
			return -EINVAL;
		total += v * units[i].secs;
		if (total > INT64_MAX / 4)
			return -EINVAL;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*secs = total;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's
 * days_from_civil: no timezone, no libc locale state. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
parse_rfc3339(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 ||
	    *s++ != '-' || digits(&s, 2, &d) < 0)
		return -EINVAL;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -EINVAL;
	s++;
	if (digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0 ||
	    *s++ != ':' || digits(&s, 2, &sec) < 0)
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh) < 0 || *s++ != ':' ||
		    digits(&s, 2, &om) < 0 || oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return -EINVAL;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	return 0;
}

int
cliopt_parse_time(const char *s, int64_t now, int64_t *out)
{
	int64_t v;
	char *end;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*s == '@') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0' || v < 0)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (cliopt_parse_duration(s, &v) == 0) {
		*out = now - v;
		return 0;
	}
	return parse_rfc3339(s, out);
}

char *
cliopt_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

char *
cliopt_format_duration(int64_t secs, char *buf, size_t len)
{
	static const struct {
		char unit;
		int64_t secs;
	} parts[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t i, off = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (secs < parts[i].secs)
			continue;
		n = snprintf(buf + off, len - off, "%lld%c",
		    (long long)(secs / parts[i].secs), parts[i].unit);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
		secs %= parts[i].secs;
	}
	return buf;
}
