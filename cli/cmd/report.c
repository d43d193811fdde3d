/*
 * report: `netpol-record report`: load what was recorded (the index), the
 * policies when given (cli/eval/), build the model (cli/report/) and
 * render it as text, markdown, HTML or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/base/prog.h"
#include "cli/cmd/cliopt.h"
#include "cli/cmd/cmds.h"
#include "cli/eval/check.h"
#include "cli/eval/check_load.h"
#include "cli/report/report.h"
#include "cli/source/index.h"
#include "cli/source/knownservers.h"

enum {
	OPT_POLICIES = CLIOPT_USER,
	OPT_OUT,
	OPT_POD_CIDR,
	OPT_SVC_CIDR,
	OPT_KNOWN_SERVERS,
	OPT_NS_LABELS,
	OPT_GRAPH,
};

static const struct {
	const char *name;
	int (*render)(FILE *f, const struct report_view *v,
	    const struct report_render_opts *o);
} formats[] = {
	{ .name = "text", .render = report_render_text },
	{ .name = "markdown", .render = report_render_markdown },
	{ .name = "md", .render = report_render_markdown },
	{ .name = "html", .render = report_render_html },
	{ .name = "json", .render = report_render_json },
	{ .name = "dot", .render = report_render_dot },
};

static const struct {
	const char *name;
	enum report_graph_mode mode;
} graph_modes[] = {
	{ .name = "auto", .mode = REPORT_GRAPH_AUTO },
	{ .name = "workloads", .mode = REPORT_GRAPH_WORKLOADS },
	{ .name = "namespaces", .mode = REPORT_GRAPH_NAMESPACES },
};

struct report_opts {
	struct cliopt c;
	const char **policies, **ksfiles, **nsfiles;
	size_t npolicies, nksfiles, nnsfiles;
	struct addr_cidr *pod, *svc;
	size_t npod, nsvc;
	int format;
	const char *out;
	struct report_render_opts render;
};

static void
usage(FILE *out)
{
	fprintf(out,
"usage: %s report [--namespace NS | --all-namespaces]\n"
"           [--policies PATH...] [-o text|markdown|html|json|dot]\n"
"           [--graph auto|workloads|namespaces] [--out FILE]\n"
"           [--pod-cidr CIDR...] [--service-cidr CIDR...]\n"
"           [--known-servers FILE...] [--since WHEN] [--until WHEN]\n"
"           [--db PATH...]\n"
"\n"
"What talks to what: per workload its observation window, its ingress and\n"
"egress peers (ports, protocols, counts, last seen, the Service when the\n"
"traffic was DNATed), the addresses that are not workloads (DNS names,\n"
"KnownServer matches, classified internal/node/external/unknown), the\n"
"events lost; with --policies, the workloads no policy selects and every\n"
"recorded flow the policies would deny.\n"
"\n"
"  -o, --output FORMAT    text (default), markdown, html (one\n"
"                         self-contained file: the topology drawn by\n"
"                         Graphviz, filters, details on a click), json\n"
"                         (schema in REPORT.md) or dot (the topology as\n"
"                         Graphviz DOT, to render yourself)\n"
"  --graph MODE           what the drawing (html, dot) shows: workloads, or\n"
"                         namespaces (one box each); auto (default): each\n"
"                         workload up to 50 workloads and 300 arrows\n"
"  --out FILE             write there (replaced atomically), not stdout\n"
"  --policies PATH        NetworkPolicies: YAML/JSON file, directory or -\n"
"                         (repeatable)\n"
"  --pod-cidr CIDR        the cluster's pod range (repeatable)\n"
"  --service-cidr CIDR    the cluster's Service range (repeatable)\n"
"  --known-servers FILE   KnownServer documents, added to the store's\n"
"                         (repeatable)\n"
"  --namespace-labels FILE  Namespace objects (kubectl get namespaces -o\n"
"                         yaml) for namespaceSelectors on other labels than\n"
"                         kubernetes.io/metadata.name (repeatable)\n"
CLIOPT_HELP, prog_name());
}

static int
push_str(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -ENOMEM;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int
parse_format(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i].name, s) == 0)
			return (int)i;
	return -1;
}

static int
parse_graph(const char *s, enum report_graph_mode *mode)
{
	size_t i;

	for (i = 0; i < sizeof(graph_modes) / sizeof(graph_modes[0]); i++)
		if (strcmp(graph_modes[i].name, s) == 0) {
			*mode = graph_modes[i].mode;
			return 0;
		}
	return -1;
}

static int
parse_args(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		CLIOPT_LONGOPTS,
		{ "policies", required_argument, NULL, OPT_POLICIES },
		{ "output", required_argument, NULL, 'o' },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "pod-cidr", required_argument, NULL, OPT_POD_CIDR },
		{ "service-cidr", required_argument, NULL, OPT_SVC_CIDR },
		{ "known-servers", required_argument, NULL, OPT_KNOWN_SERVERS },
		{ "namespace-labels", required_argument, NULL, OPT_NS_LABELS },
		{ "graph", required_argument, NULL, OPT_GRAPH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, CLIOPT_SHORTOPTS "o:h", longopts,
	    NULL)) != -1) {
		rc = cliopt_handle(&o->c, ch, optarg, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "netpol-record report: %s\n", err);
			return -EINVAL;
		}
		if (rc == 1)
			continue;
		rc = 0;
		switch (ch) {
		case OPT_POLICIES:
			rc = push_str(&o->policies, &o->npolicies, optarg);
			break;
		case OPT_KNOWN_SERVERS:
			rc = push_str(&o->ksfiles, &o->nksfiles, optarg);
			break;
		case OPT_NS_LABELS:
			rc = push_str(&o->nsfiles, &o->nnsfiles, optarg);
			break;
		case OPT_POD_CIDR:
			rc = cliopt_cidr(&o->pod, &o->npod, optarg,
			    "--pod-cidr", err, sizeof(err));
			break;
		case OPT_SVC_CIDR:
			rc = cliopt_cidr(&o->svc, &o->nsvc, optarg,
			    "--service-cidr", err, sizeof(err));
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_GRAPH:
			if (parse_graph(optarg, &o->render.graph) < 0) {
				fprintf(stderr, "netpol-record report: --graph "
				    "wants auto, workloads or namespaces, not "
				    "'%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			if ((o->format = parse_format(optarg)) < 0) {
				fprintf(stderr, "netpol-record report: -o wants "
				    "text, markdown, html, json or dot, not "
				    "'%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (rc == -EINVAL)
			fprintf(stderr, "netpol-record report: %s\n", err);
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "netpol-record report: unexpected argument "
		    "'%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (cliopt_finish(&o->c, true, err, sizeof(err)) < 0) {
		fprintf(stderr, "netpol-record report: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* Render into FILE (stdout, or a temporary file renamed over --out). */
static int
write_out(const struct report_opts *o, const struct report_view *v)
{
	char *tmp = NULL;
	FILE *f = stdout;
	int rc, fd;

	if (o->out != NULL) {
		if (asprintf(&tmp, "%s.XXXXXX", o->out) < 0)
			return -ENOMEM;
		if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "w")) == NULL) {
			rc = -errno;
			fprintf(stderr, "netpol-record report: %s: %s\n", o->out,
			    strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			return rc;
		}
		fchmod(fd, 0644);
	}
	rc = formats[o->format].render(f, v, &o->render);
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (tmp != NULL) {
		if (fclose(f) != 0)
			rc = -EIO;
		if (rc == 0 && rename(tmp, o->out) != 0)
			rc = -errno;
		if (rc != 0)
			unlink(tmp);
		free(tmp);
	}
	if (rc == -EPROTO)
		fprintf(stderr, "netpol-record report: Graphviz could not lay "
		    "out the topology; draw one box per namespace (--graph "
		    "namespaces), or write the graph with -o dot\n");
	else if (rc != 0)
		fprintf(stderr, "netpol-record report: writing %s: %s\n",
		    o->out ? o->out : "stdout", strerror(-rc));
	return rc;
}

static int
run(struct report_opts *o)
{
	struct report_input in;
	struct npeval_set *set = NULL;
	struct index *idx = NULL;
	struct source_query q;
	struct check_result *res = NULL;
	json_object *model = NULL;
	struct report_view *view = NULL;
	struct ks_set *ks;
	const char *defns = o->c.namespace_ ? o->c.namespace_ : "default";
	size_t i, nskipped = 0;
	char err[1024];
	int status = 2;

	memset(&in, 0, sizeof(in));
	if (o->npolicies > 0 && check_load_set(o->policies, o->npolicies,
	    o->nsfiles, o->nnsfiles, defns, &set, &nskipped, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "netpol-record report: %s\n", err);
		goto out;
	}
	cliopt_query(&o->c, &q);
	if (cliopt_load(&o->c, "netpol-record report", &q, &idx, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "netpol-record report: %s\n", err);
		goto out;
	}
	ks = index_known_servers(idx);
	for (i = 0; i < o->nksfiles; i++)
		if (ks_load_file(ks, o->ksfiles[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "netpol-record report: %s\n", err);
			goto out;
		}
	if (set != NULL && check_eval(set, idx, &res) != 0)
		goto oom;
	in.idx = idx;
	in.namespace_ = q.namespace_;
	in.stores = o->c.dbs;
	in.nstores = o->c.ndbs;
	in.cluster = o->c.cluster ? o->c.source : NULL;
	in.generated_at = o->c.now;
	in.ks = ks;
	in.pod_cidrs = o->pod;
	in.npod_cidrs = o->npod;
	in.svc_cidrs = o->svc;
	in.nsvc_cidrs = o->nsvc;
	in.policies = set;
	in.check = res;
	in.policy_paths = o->policies;
	in.npolicy_paths = o->npolicies;
	if ((model = report_build(&in)) == NULL ||
	    report_view_new(model, &view) != 0)
		goto oom;
	if (write_out(o, view) == 0)
		status = 0;
	goto out;
oom:
	fprintf(stderr, "netpol-record report: out of memory\n");
out:
	report_view_free(view);
	json_object_put(model);
	check_result_free(res);
	index_free(idx);
	npeval_set_free(set);
	return status;
}

int
cmd_report(int argc, char **argv)
{
	struct report_opts o;
	int rc, status = 2;

	memset(&o, 0, sizeof(o));
	cliopt_init(&o.c);
	rc = parse_args(argc, argv, &o);
	if (rc == 1)
		status = 0;
	else if (rc == 0)
		status = run(&o);
	cliopt_free(&o.c);
	free(o.policies);
	free(o.ksfiles);
	free(o.nsfiles);
	free(o.pod);
	free(o.svc);
	return status;
}
