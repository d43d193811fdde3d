/*
 * check: `netpol-record check --policies ...`: load policies and recorded
 * flows, evaluate (cli/eval/), print what would be denied.
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
#include "cli/eval/check.h"
#include "cli/eval/check_fmt.h"
#include "cli/eval/check_lint.h"
#include "cli/eval/check_load.h"
#include "lib/store.h"

/* ---- the command ------------------------------------------------------- */

enum {
	OPT_POLICIES = CLIOPT_USER,
	OPT_STRICT,
	OPT_POD_CIDR,
	OPT_SVC_CIDR,
	OPT_NS_LABELS,
};

static void
usage(FILE *out)
{
	fprintf(out,
"usage: %s check --policies FILE|DIR [--namespace NS |\n"
"           --all-namespaces] [--since WHEN] [--until WHEN] [--db PATH...]\n"
"           [-o text|json] [--strict]\n"
"\n"
"Evaluates every recorded flow against the NetworkPolicies with the\n"
"Kubernetes semantics and prints each flow they would deny, with the\n"
"policies that select its workload. Exit status: 0 when no recorded flow\n"
"would be denied, 1 when some would, 2 on usage or input errors.\n"
"\n"
"  --policies PATH        a YAML or JSON file (several documents, Lists),\n"
"                         a directory of *.yaml/*.yml/*.json, or - for\n"
"                         standard input (repeatable)\n"
"  -o, --output FORMAT    text (default) or json\n"
"  --strict               unresolved flows (a named port whose number was\n"
"                         not recorded, namespace labels not given) count\n"
"                         as denied\n"
"  --pod-cidr CIDR        the cluster's pod range (repeatable): warn about\n"
"                         ipBlocks aimed at pod IPs\n"
"  --service-cidr CIDR    the Service range (repeatable): warn about\n"
"                         ipBlocks aimed at ClusterIPs\n"
"  --namespace-labels FILE  Namespace objects (kubectl get namespaces -o\n"
"                         yaml) for namespaceSelectors on other labels than\n"
"                         kubernetes.io/metadata.name (repeatable)\n"
CLIOPT_HELP
"\n"
"Each input (a file, standard input) is read up to 64 MiB; set\n"
"$NETPOL_RECORD_MAX_INPUT (such as 256M, 1G) for larger ones. A YAML or\n"
"JSON document nests at most 256 levels and counts at most 16,777,216\n"
"nodes once its aliases are expanded.\n", prog_name());
}

struct check_opts {
	struct cliopt c;
	const char **policies;
	size_t npolicies;
	bool json;
	bool strict;
	struct addr_cidr *pod, *svc;
	size_t npod, nsvc;
	const char **nsfiles;
	size_t nnsfiles;
};

static int
parse_args(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		CLIOPT_LONGOPTS,
		{ "policies", required_argument, NULL, OPT_POLICIES },
		{ "output", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "pod-cidr", required_argument, NULL, OPT_POD_CIDR },
		{ "service-cidr", required_argument, NULL, OPT_SVC_CIDR },
		{ "namespace-labels", required_argument, NULL, OPT_NS_LABELS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **np;
	char err[256];
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, CLIOPT_SHORTOPTS "o:h", longopts,
	    NULL)) != -1) {
		rc = cliopt_handle(&o->c, ch, optarg, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "netpol-record check: %s\n", err);
			return -EINVAL;
		}
		if (rc == 1)
			continue;
		switch (ch) {
		case OPT_POLICIES:
			np = realloc(o->policies,
			    (o->npolicies + 1) * sizeof(*np));
			if (np == NULL)
				return -ENOMEM;
			o->policies = np;
			o->policies[o->npolicies++] = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				o->json = true;
			else if (strcmp(optarg, "text") == 0)
				o->json = false;
			else {
				fprintf(stderr, "netpol-record check: -o wants "
				    "text or json, not '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_POD_CIDR:
		case OPT_SVC_CIDR:
			rc = ch == OPT_POD_CIDR ? cliopt_cidr(&o->pod, &o->npod,
			    optarg, "--pod-cidr", err, sizeof(err)) :
			    cliopt_cidr(&o->svc, &o->nsvc, optarg,
			    "--service-cidr", err, sizeof(err));
			if (rc == -EINVAL)
				fprintf(stderr, "netpol-record check: %s\n", err);
			if (rc != 0)
				return rc;
			break;
		case OPT_NS_LABELS:
			np = realloc(o->nsfiles,
			    (o->nnsfiles + 1) * sizeof(*np));
			if (np == NULL)
				return -ENOMEM;
			o->nsfiles = np;
			o->nsfiles[o->nnsfiles++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netpol-record check: unexpected argument "
		    "'%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->npolicies == 0) {
		fprintf(stderr, "netpol-record check: --policies is required\n");
		return -EINVAL;
	}
	if (cliopt_finish(&o->c, true, err, sizeof(err)) < 0) {
		fprintf(stderr, "netpol-record check: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static void
print_denial(FILE *out, const struct npeval_set *set,
    const struct check_denial *d)
{
	char wl[STORE_NAME_LEN * 3 + 4], peer[STORE_NAME_LEN * 4];
	char port[32], seen[40];
	unsigned bit;
	size_t i;

	fprintf(out, "%-10s %s %s %s %s %s  last seen %s  count %llu\n",
	    d->verdict == NPEVAL_DENY ? "DENIED" : "UNRESOLVED",
	    check_fmt_workload(d->wl, wl, sizeof(wl)),
	    flow_direction_name(d->direction),
	    d->direction == FLOW_EGRESS ? "to" : "from",
	    check_fmt_peer(&d->peer, d->dns_name, peer, sizeof(peer)),
	    check_fmt_port(d->protocol, d->port, port, sizeof(port)),
	    d->last_seen > 0 ? timefmt_format_time(d->last_seen, seen,
	    sizeof(seen)) : "-", (unsigned long long)d->count);
	fprintf(out, "           %s policies selecting it:",
	    flow_direction_name(d->direction));
	for (i = 0; i < d->npolicies; i++)
		fprintf(out, "%s %s/%s", i ? "," : "",
		    npeval_policy_namespace(set, d->policies[i]),
		    npeval_policy_name(set, d->policies[i]));
	fprintf(out, "\n");
	for (bit = 1; bit != 0 && bit <= d->notes; bit <<= 1)
		if (d->notes & bit)
			fprintf(out, "           note: %s\n",
			    npeval_note_text(bit));
}

/* Flows allowed only by a rule of the platform, not by the policies (a
 * pod cannot block its node; policies do not apply to hostNetwork pods):
 * worth knowing, since another network plugin may differ. */
static void
print_allowed_notes(FILE *out, const struct check_result *res)
{
	static const unsigned notes[] = { NPEVAL_NOTE_NODE,
	    NPEVAL_NOTE_HOSTNET };
	size_t i, k, n;

	for (k = 0; k < sizeof(notes) / sizeof(notes[0]); k++) {
		for (i = n = 0; i < res->nflows; i++)
			if (res->flow_verdict[i] == NPEVAL_ALLOW &&
			    (res->flow_notes[i] & notes[k]))
				n++;
		if (n > 0)
			fprintf(out, "note: %zu allowed flow%s: %s\n", n,
			    n == 1 ? "" : "s", npeval_note_text(notes[k]));
	}
}

/*
 * When the policies select no workload of the scope (all of them for
 * another namespace, say), every flow is allowed for want of a policy,
 * which "0 denied" would hide: a sentence into lint saying so and naming
 * the namespaces the policies are for. 0 or -ENOMEM.
 */
static int
warn_unselected(const struct check_opts *o, const struct npeval_set *set,
    const struct index *idx, json_object *lint)
{
	const char *seen[16];
	char msg[1024];
	size_t i, j, n = 0, off;
	const char *ns;

	if (npeval_set_count(set) == 0 || check_selects_scope(set, idx))
		return 0;
	for (i = 0; i < index_nworkloads(idx); i++)
		if (index_workload(idx, i)->subject)
			break;
	if (i == index_nworkloads(idx))
		return 0;	/* nothing recorded to select */
	for (i = 0; i < npeval_set_count(set); i++) {
		ns = npeval_policy_namespace(set, i);
		for (j = 0; j < n && strcmp(seen[j], ns) != 0; j++)
			;
		if (j == n && n < sizeof(seen) / sizeof(seen[0]))
			seen[n++] = ns;
	}
	off = (size_t)snprintf(msg, sizeof(msg), "none of the %zu "
	    "NetworkPolic%s selects a workload checked (%s%s): %s for "
	    "namespace%s", npeval_set_count(set),
	    npeval_set_count(set) == 1 ? "y" : "ies",
	    o->c.namespace_ ? "namespace " : "all namespaces",
	    o->c.namespace_ ? o->c.namespace_ : "",
	    npeval_set_count(set) == 1 ? "it is" : "they are",
	    n == 1 ? "" : "s");
	for (j = 0; j < n && off < sizeof(msg); j++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %s",
		    j > 0 ? "," : "", seen[j]);
	if (off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, ", so every flow is "
		    "allowed: check --namespace, or the policies' "
		    "metadata.namespace");
	return json_object_array_add(lint, json_object_new_string(msg)) == 0 ?
	    0 : -ENOMEM;
}

static int
print_json(FILE *out, const struct npeval_set *set,
    const struct check_result *res, json_object *lint)
{
	json_object *o = json_object_new_object(), *a;
	size_t i;

	if (o == NULL)
		return -ENOMEM;
	json_object_object_add(o, "policies",
	    json_object_new_int64((int64_t)npeval_set_count(set)));
	json_object_object_add(o, "flows",
	    json_object_new_int64((int64_t)res->nflows));
	json_object_object_add(o, "denied",
	    json_object_new_int64((int64_t)res->ndenied));
	json_object_object_add(o, "unresolved",
	    json_object_new_int64((int64_t)res->nunresolved));
	a = json_object_new_array();
	for (i = 0; a != NULL && i < res->ndenials; i++)
		json_object_array_add(a,
		    check_fmt_denial_json(set, &res->denials[i]));
	json_object_object_add(o, "items", a);
	json_object_object_add(o, "warnings", json_object_get(lint));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

static int
run(struct check_opts *o)
{
	struct npeval_set *set = NULL;
	struct index *idx = NULL;
	struct source_query q;
	struct check_result *res = NULL;
	json_object *lint = NULL;
	const char *defns = o->c.namespace_ ? o->c.namespace_ : "default";
	size_t i, n, nskipped = 0;
	char err[1024];
	int rc, status = 2;

	rc = check_load_set(o->policies, o->npolicies, o->nsfiles,
	    o->nnsfiles, defns, &set, &nskipped, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "netpol-record check: %s\n", err);
		goto out;
	}
	if (npeval_set_count(set) == 0)
		fprintf(stderr, "netpol-record check: warning: no "
		    "networking.k8s.io/v1 NetworkPolicy found: every flow is "
		    "allowed\n");
	if (nskipped > 0)
		fprintf(stderr, "netpol-record check: skipped %zu object%s "
		    "that %s not networking.k8s.io/v1 NetworkPolic%s\n",
		    nskipped, nskipped == 1 ? "" : "s",
		    nskipped == 1 ? "is" : "are", nskipped == 1 ? "y" : "ies");
	if ((lint = check_lint(set, o->pod, o->npod, o->svc, o->nsvc)) == NULL)
		goto oom;
	cliopt_query(&o->c, &q);
	rc = cliopt_load(&o->c, "netpol-record check", &q, &idx, err,
	    sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "netpol-record check: %s\n", err);
		goto out;
	}
	if (warn_unselected(o, set, idx, lint) != 0)
		goto oom;
	for (i = 0; i < json_object_array_length(lint); i++)
		fprintf(stderr, "netpol-record check: warning: %s\n",
		    json_object_get_string(json_object_array_get_idx(lint, i)));
	n = index_nflows(idx);
	if (check_eval(set, idx, &res) != 0)
		goto oom;
	if (o->json) {
		if (print_json(stdout, set, res, lint) != 0)
			goto oom;
	} else {
		for (i = 0; i < res->ndenials; i++)
			print_denial(stdout, set, &res->denials[i]);
		printf("%zu recorded flow%s checked against %zu "
		    "NetworkPolic%s: %zu denied, %zu unresolved\n", n,
		    n == 1 ? "" : "s", npeval_set_count(set),
		    npeval_set_count(set) == 1 ? "y" : "ies", res->ndenied,
		    res->nunresolved);
		print_allowed_notes(stdout, res);
	}
	status = res->ndenied > 0 || (o->strict && res->nunresolved > 0);
	goto out;
oom:
	fprintf(stderr, "netpol-record check: out of memory\n");
out:
	if (fflush(stdout) != 0 && status != 2)
		status = 2;
	json_object_put(lint);
	check_result_free(res);
	index_free(idx);
	npeval_set_free(set);
	return status;
}

int
cmd_check(int argc, char **argv)
{
	struct check_opts o;
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
	free(o.pod);
	free(o.svc);
	free(o.nsfiles);
	return status;
}
