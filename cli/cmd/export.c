/*
 * export: `netpol-record export`, NetworkPolicies from what was recorded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/timefmt.h"
#include "cli/base/prog.h"
#include "cli/cmd/cliopt.h"
#include "cli/cmd/cmds.h"
#include "cli/gen/gen.h"
#include "cli/gen/policygen.h"
#include "cli/gen/yamlout.h"
#include "cli/source/index.h"
#include "cli/source/knownservers.h"
#include "lib/store.h"

enum {
	OPT_DIRECTION = CLIOPT_USER,
	OPT_INCLUDE_NODES,
	OPT_KNOWN_SERVERS,
	OPT_MIN_OBSERVATION,
};

static void
export_usage(FILE *f)
{
	fprintf(f,
"usage: %s export (-n NS | -A) [OPTIONS]\n"
"\n"
"Print one networking.k8s.io/v1 NetworkPolicy per recorded workload as\n"
"multi-document YAML, ready for `kubectl apply -f -`. Each allows what was\n"
"recorded and nothing else: a direction with no traffic gets no rules.\n"
"Warnings (short observation, pods older than the recording, ICMP that a\n"
"NetworkPolicy cannot express, nodes left out) are written into each\n"
"policy's annotations and repeated on stderr.\n"
"\n"
CLIOPT_HELP
"  -o, --output FORMAT    yaml (default), json (a List when several),\n"
"                         generated (Kubescape GeneratedNetworkPolicy),\n"
"                         neighbors (Kubescape NetworkNeighbors)\n"
"  --direction DIR        ingress, egress or both (default both)\n"
"  --include-nodes        write traffic with nodes (kubelet probes,\n"
"                         hostNetwork pods) as ipBlocks instead of\n"
"                         leaving it out and listing it\n"
"  --known-servers FILE   KnownServer documents (repeatable), added to\n"
"                         those imported into the stores: an address in\n"
"                         one is written as its CIDR (longest prefix wins)\n"
"  --min-observation DUR  warn when a workload was observed for less\n"
"                         (default 24h; 0 disables)\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 on success (also when the namespace holds no traffic:\n"
"nothing is printed and stderr says so), 1 when the namespace or workload\n"
"was never recorded or a store or file cannot be read, 2 on usage errors.\n",
	    prog_name());
}

struct export_args {
	struct cliopt c;
	const struct gen_format *fmt;
	struct policygen_opts pg;
	const char **ksfiles;
	size_t nksfiles;
};

static int
parse_args(struct export_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLIOPT_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "direction", required_argument, NULL, OPT_DIRECTION },
		{ "include-nodes", no_argument, NULL, OPT_INCLUDE_NODES },
		{ "known-servers", required_argument, NULL,
		  OPT_KNOWN_SERVERS },
		{ "min-observation", required_argument, NULL,
		  OPT_MIN_OBSERVATION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	const char **nf;
	int c, rc;

	optind = 0;	/* GNU: a full re-initialisation */
	while ((c = getopt_long(argc, argv, CLIOPT_SHORTOPTS "o:h", longopts,
	    NULL)) != -1) {
		rc = cliopt_handle(&a->c, c, optarg, err, sizeof(err));
		if (rc < 0)
			goto bad;
		if (rc == 1)
			continue;
		switch (c) {
		case 'h':
			export_usage(stdout);
			return 1;
		case 'o':
			if ((a->fmt = gen_format_find(optarg)) == NULL) {
				snprintf(err, sizeof(err), "-o takes yaml, "
				    "json, generated or neighbors");
				goto bad;
			}
			break;
		case OPT_DIRECTION:
			a->pg.ingress = strcmp(optarg, "egress") != 0;
			a->pg.egress = strcmp(optarg, "ingress") != 0;
			if (strcmp(optarg, "ingress") != 0 &&
			    strcmp(optarg, "egress") != 0 &&
			    strcmp(optarg, "both") != 0) {
				snprintf(err, sizeof(err), "--direction takes "
				    "ingress, egress or both");
				goto bad;
			}
			break;
		case OPT_INCLUDE_NODES:
			a->pg.include_nodes = true;
			break;
		case OPT_KNOWN_SERVERS:
			nf = realloc(a->ksfiles, (a->nksfiles + 1) *
			    sizeof(*nf));
			if (nf == NULL)
				return -ENOMEM;
			a->ksfiles = nf;
			a->ksfiles[a->nksfiles++] = optarg;
			break;
		case OPT_MIN_OBSERVATION:
			if (strcmp(optarg, "0") == 0) {
				a->pg.min_observation = 0;
			} else if (timefmt_parse_duration(optarg,
			    &a->pg.min_observation) < 0) {
				snprintf(err, sizeof(err), "--min-observation: "
				    "'%s' is not a duration (24h, 7d)", optarg);
				goto bad;
			}
			break;
		default:
			export_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, sizeof(err), "unexpected argument '%s'",
		    argv[optind]);
		goto bad;
	}
	if (cliopt_finish(&a->c, true, err, sizeof(err)) < 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "netpol-record export: %s\n", err);
	fprintf(stderr, "'netpol-record export --help' lists the options.\n");
	return -EINVAL;
}

static void
print_list(const char *pname, const char *ns, const char *what,
    const struct policygen_list *l, bool one_line)
{
	size_t i;

	if (l->n == 0)
		return;
	if (!one_line) {
		for (i = 0; i < l->n; i++)
			fprintf(stderr, "netpol-record export: %s/%s: %s: "
			    "%s\n", ns, pname, what, l->v[i]);
		return;
	}
	/* Lists (kubelet probes on every port...) on one line each. */
	fprintf(stderr, "netpol-record export: %s/%s: %s: ", ns, pname, what);
	for (i = 0; i < l->n; i++)
		fprintf(stderr, "%s%s", i ? "; " : "", l->v[i]);
	fputc('\n', stderr);
}

struct docs {
	json_object **v;
	size_t n;
};

static int
docs_add(struct docs *d, json_object *o)
{
	json_object **n;

	if (o == NULL)
		return -ENOMEM;
	if ((n = realloc(d->v, (d->n + 1) * sizeof(*n))) == NULL) {
		json_object_put(o);
		return -ENOMEM;
	}
	d->v = n;
	d->v[d->n++] = o;
	return 0;
}

/*
 * Build each subject's document and hand it to the YAML stream (written
 * and freed at once, so memory holds one policy at a time) or, for JSON,
 * keep it in d to be wrapped in a List at the end.
 */
static int
build_docs(struct index *idx, struct export_args *a,
    struct yamlout_stream *ys, struct docs *d)
{
	const struct index_workload *wl;
	struct policygen_result r;
	json_object *doc = NULL;
	char pname[2 * STORE_NAME_LEN];
	size_t i;
	int rc = 0;

	for (i = 0; i < index_nworkloads(idx) && rc == 0; i++) {
		wl = index_workload(idx, i);
		if (!wl->subject)
			continue;
		memset(&r, 0, sizeof(r));
		doc = NULL;
		if ((rc = a->fmt->build(idx, wl, &a->pg, &r, &doc)) < 0) {
			policygen_result_clear(&r);
			break;
		}
		policygen_name(wl, pname, sizeof(pname));
		if (a->fmt->notes) {
			print_list(pname, wl->namespace_, "warning",
			    &r.warnings, false);
			print_list(pname, wl->namespace_, "not expressible "
			    "in a NetworkPolicy, not written", &r.inexpressible,
			    true);
			print_list(pname, wl->namespace_, "left out "
			    "(--include-nodes writes it)", &r.excluded, true);
		}
		policygen_result_clear(&r);
		if (doc == NULL) {
			rc = -ENOMEM;
		} else if (ys != NULL) {
			rc = yamlout_stream_doc(ys, doc);
			json_object_put(doc);
		} else {
			rc = docs_add(d, doc);
		}
	}
	return rc;
}

/* How many flows the subjects have (in the window and directions). */
static size_t
count_flows(const struct index *idx, size_t *nsubjects)
{
	const struct index_workload *wl;
	size_t i, first, n = 0;

	*nsubjects = 0;
	for (i = 0; i < index_nworkloads(idx); i++) {
		wl = index_workload(idx, i);
		if (!wl->subject)
			continue;
		(*nsubjects)++;
		n += index_flows_of(idx, wl, &first);
	}
	return n;
}

int
cmd_export(int argc, char **argv)
{
	struct export_args a = { .fmt = &gen_format_yaml, .pg = { .ingress = true,
	    .egress = true, .min_observation =
	    POLICYGEN_DEFAULT_MIN_OBSERVATION } };
	struct source_query q;
	struct index *idx = NULL;
	struct docs d = { 0 };
	char err[1024];
	struct yamlout_stream *ys = NULL;
	size_t i, nsubjects = 0;
	int rc, rc2, ret = 1;

	cliopt_init(&a.c);
	rc = parse_args(&a, argc, argv);
	if (rc != 0) {
		ret = rc > 0 ? 0 : 2;
		goto out;
	}
	cliopt_query(&a.c, &q);
	if (a.pg.ingress != a.pg.egress)
		q.direction = a.pg.egress ? FLOW_EGRESS : FLOW_INGRESS;
	rc = cliopt_load(&a.c, &q, &idx, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "netpol-record export: %s\n", err);
		goto out;
	}
	a.pg.ks = index_known_servers(idx);
	for (i = 0; i < a.nksfiles; i++) {
		if (ks_load_file(index_known_servers(idx), a.ksfiles[i], err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "netpol-record export: %s\n", err);
			goto out;
		}
	}
	if (count_flows(idx, &nsubjects) == 0) {
		/* Deny-all policies for a namespace where nothing at all was
		 * seen would more likely mean the recorder was not running
		 * than that nothing talks: write none, and say so. */
		fprintf(stderr, "netpol-record export: %s: %s; no policies "
		    "written\n", a.c.namespace_ ? a.c.namespace_ :
		    "all namespaces", nsubjects == 0 ? "no workload was "
		    "recorded" : "no traffic was recorded in the window");
		ret = 0;
		goto out;
	}
	if (!a.fmt->json && (ys = yamlout_stream_begin(stdout)) == NULL) {
		rc = -ENOMEM;
	} else {
		rc = build_docs(idx, &a, ys, &d);
		if (ys != NULL) {
			rc2 = yamlout_stream_end(ys);
			if (rc == 0)
				rc = rc2;
		} else if (rc == 0) {
			rc = yamlout_write_json(stdout, d.v, d.n);
		}
	}
	if (rc < 0) {
		fprintf(stderr, "netpol-record export: %s\n", strerror(-rc));
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < d.n; i++)
		json_object_put(d.v[i]);
	free(d.v);
	index_free(idx);
	free(a.ksfiles);
	cliopt_free(&a.c);
	return ret;
}
