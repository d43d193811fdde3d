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
	size_t i;

	fprintf(f,
"usage: %s export (-n NS | -A) [OPTIONS]\n"
"\n"
"Print one networking.k8s.io/v1 NetworkPolicy per recorded workload as\n"
"multi-document YAML, ready for `kubectl apply -f -`. Each allows what was\n"
"recorded and nothing else: a direction with no traffic gets no rules.\n"
"Warnings (short observation, pods older than the recording, ICMP that a\n"
"NetworkPolicy cannot express, nodes left out) are written into each\n"
"policy's annotations and repeated on stderr. Other formats (-o) write\n"
"Cilium's policies with DNS names, a ClusterNetworkPolicy baseline per\n"
"namespace, or Kubescape's objects.\n"
"\n"
CLIOPT_HELP
"  -o, --output FORMAT    one of:\n", prog_name());
	for (i = 0; gen_formats[i] != NULL; i++)
		fprintf(f, "      %-22s %s\n", gen_formats[i]->name,
		    gen_formats[i]->help);
	fprintf(f,
"  --direction DIR        ingress, egress or both (default both)\n"
"  --include-nodes        write traffic with nodes (kubelet probes,\n"
"                         hostNetwork pods) as ipBlocks (Cilium: the\n"
"                         host and remote-node entities) instead of\n"
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
"was never recorded or a store or file cannot be read, 2 on usage errors.\n");
}

/* "yaml, json, ... or neighborhood" into buf. */
static char *
format_names(char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; gen_formats[i] != NULL && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : gen_formats[i + 1] == NULL ? " or " : ", ",
		    gen_formats[i]->name);
	return buf;
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
				char names[160];

				snprintf(err, sizeof(err), "-o takes %s, not "
				    "'%s'", format_names(names, sizeof(names)),
				    optarg);
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
	/* A namespace's baseline from one workload's traffic would deny
	 * what the others do. */
	if (a->fmt->build_namespace != NULL && a->c.name != NULL) {
		snprintf(err, sizeof(err), "-o %s writes one baseline per "
		    "namespace, from the traffic of all its workloads: drop "
		    "-w, or use -o yaml or -o cilium for one workload",
		    a->fmt->name);
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "netpol-record export: %s\n", err);
	fprintf(stderr, "'netpol-record export --help' lists the options.\n");
	return -EINVAL;
}

/* The notes of a document labelled label on stderr. */
static void
print_list(const char *label, const char *what,
    const struct policygen_list *l, bool one_line)
{
	size_t i;

	if (l->n == 0)
		return;
	if (!one_line) {
		for (i = 0; i < l->n; i++)
			fprintf(stderr, "netpol-record export: %s: %s: %s\n",
			    label, what, l->v[i]);
		return;
	}
	/* Lists (kubelet probes on every port...) on one line each. */
	fprintf(stderr, "netpol-record export: %s: %s: ", label, what);
	for (i = 0; i < l->n; i++)
		fprintf(stderr, "%s%s", i ? "; " : "", l->v[i]);
	fputc('\n', stderr);
}

static void
print_notes(const struct gen_format *fmt, const char *label,
    const struct policygen_result *r)
{
	char what[96];

	if (!fmt->notes)
		return;
	print_list(label, "warning", &r->warnings, false);
	snprintf(what, sizeof(what), "not expressible in a %s, not written",
	    fmt->kind);
	print_list(label, what, &r->inexpressible, true);
	print_list(label, "left out (--include-nodes writes it)",
	    &r->excluded, true);
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

/* Hand doc (a reference taken) to the YAML stream, or keep it in d. */
static int
emit(struct yamlout_stream *ys, struct docs *d, json_object *doc)
{
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	if (ys == NULL)
		return docs_add(d, doc);
	rc = yamlout_stream_doc(ys, doc);
	json_object_put(doc);
	return rc;
}

/* The documents of namespace ns (a per-namespace format). */
static int
build_namespace(struct index *idx, struct export_args *a, const char *ns,
    struct yamlout_stream *ys, struct docs *d)
{
	struct policygen_result r;
	json_object *docs, *md, *v;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((docs = json_object_new_array()) == NULL)
		return -ENOMEM;
	if ((rc = a->fmt->build_namespace(idx, ns, &a->pg, &r, docs)) == 0 &&
	    json_object_array_length(docs) > 0 &&
	    json_object_object_get_ex(json_object_array_get_idx(docs, 0),
	    "metadata", &md) && json_object_object_get_ex(md, "name", &v))
		print_notes(a->fmt, json_object_get_string(v), &r);
	for (i = 0; rc == 0 && i < json_object_array_length(docs); i++)
		rc = emit(ys, d, json_object_get(json_object_array_get_idx(docs,
		    i)));
	if (rc == -E2BIG)
		fprintf(stderr, "netpol-record export: %s: the recorded "
		    "traffic does not fit in the API's limits of %s objects; "
		    "export it with -o yaml instead\n", ns, a->fmt->kind);
	policygen_result_clear(&r);
	json_object_put(docs);
	return rc;
}

/*
 * Build each subject's document (or each namespace's, for a format that
 * writes per namespace) and hand it to the YAML stream (written and
 * freed at once, so memory holds one policy at a time) or, for JSON,
 * keep it in d to be wrapped in a List at the end.
 */
static int
build_docs(struct index *idx, struct export_args *a,
    struct yamlout_stream *ys, struct docs *d)
{
	const struct index_workload *wl;
	struct policygen_result r;
	json_object *doc = NULL;
	char pname[2 * STORE_NAME_LEN], label[3 * STORE_NAME_LEN];
	const char *ns = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < index_nworkloads(idx) && rc == 0; i++) {
		wl = index_workload(idx, i);
		if (!wl->subject)
			continue;
		if (a->fmt->build_namespace != NULL) {
			/* Workloads are sorted by namespace first. */
			if (ns == NULL || strcmp(ns, wl->namespace_) != 0)
				rc = build_namespace(idx, a, wl->namespace_,
				    ys, d);
			ns = wl->namespace_;
			continue;
		}
		memset(&r, 0, sizeof(r));
		doc = NULL;
		if ((rc = a->fmt->build(idx, wl, &a->pg, &r, &doc)) < 0) {
			policygen_result_clear(&r);
			break;
		}
		snprintf(label, sizeof(label), "%s/%s", wl->namespace_,
		    policygen_name(wl, pname, sizeof(pname)));
		print_notes(a->fmt, label, &r);
		policygen_result_clear(&r);
		rc = emit(ys, d, doc);
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
	rc = cliopt_load(&a.c, "netpol-record export", &q, &idx, err,
	    sizeof(err));
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
	if (rc == -E2BIG)
		goto out;	/* said above */
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
