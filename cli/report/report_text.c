/*
 * report_text: the report for a terminal.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* Each string of l, a space before each. */
static void
words(FILE *f, const struct report_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fprintf(f, " %s", l->v[i]);
}

static void
header(FILE *f, const struct report_view *v)
{
	char dur[64];
	size_t i;

	fprintf(f, "netpol-record report: %s%s\n", v->scope[0] ?
	    "namespace " : "", v->scope[0] ? v->scope : "all namespaces");
	fprintf(f, "window:      %s .. %s (%s)\n", or_dash(v->window.since),
	    or_dash(v->window.until), report_duration(v->window.seconds, dur,
	    sizeof(dur)));
	fprintf(f, "recording:   started %s; %lld events lost\n",
	    or_dash(v->window.recording_started),
	    (long long)v->events_lost);
	if (v->has_adoption)
		fprintf(f, "adopted:     %lld running pods now (%lld adoptions, "
		    "%lld released); recorded from their adoption on\n",
		    (long long)v->adoption.now,
		    (long long)v->adoption.adoptions,
		    (long long)v->adoption.releases);
	if (v->cluster != NULL) {
		fprintf(f, "cluster:     %s\n", v->cluster);
	} else {
		fprintf(f, "stores:     ");
		words(f, &v->stores);
		fprintf(f, "\n");
	}
	if (v->has_policies) {
		fprintf(f, "policies:    %lld from", (long long)v->npolicies);
		words(f, &v->policy_paths);
		fprintf(f, "\n");
	}
	fprintf(f, "summary:     %lld workload%s in %lld namespace%s, %lld "
	    "flows, %lld addresses (%lld resolve to nothing)",
	    (long long)v->summary.workloads,
	    v->summary.workloads == 1 ? "" : "s",
	    (long long)v->summary.namespaces,
	    v->summary.namespaces == 1 ? "" : "s",
	    (long long)v->summary.flows, (long long)v->summary.addresses,
	    (long long)v->summary.unnamed);
	if (v->has_policies)
		fprintf(f, "; %lld denied, %lld unresolved, %lld workloads not "
		    "selected", (long long)v->summary.denied,
		    (long long)v->summary.unresolved,
		    (long long)v->summary.unselected);
	fprintf(f, "\n");
	for (i = 0; i < v->warnings.n; i++)
		fprintf(f, "warning:     %s\n", v->warnings.v[i]);
}

static void
flow_line(FILE *f, const struct report_flow *fl)
{
	const char *verdict = report_verdict_name(fl->verdict);
	bool flag = fl->verdict != REPORT_VERDICT_NONE &&
	    fl->verdict != REPORT_VERDICT_ALLOWED;
	char peer[1024], port[64], via[96] = "";

	if (fl->port != 0)
		snprintf(port, sizeof(port), "%s/%lld", fl->protocol,
		    (long long)fl->port);
	else
		snprintf(port, sizeof(port), "%s", fl->protocol);
	if (fl->has_service)
		snprintf(via, sizeof(via), " via Service %s:%lld",
		    fl->service_address, (long long)fl->service_port);
	fprintf(f, "    %s %-40s %-10s count %-7lld last %s%s%s%s\n",
	    fl->direction == REPORT_INGRESS ? "from" : "to  ",
	    report_peer_str(&fl->peer, peer, sizeof(peer)), port,
	    (long long)fl->count, or_dash(fl->last_seen), via,
	    flag ? "  ** " : "", flag ? verdict : "");
}

static void
policies_line(FILE *f, const struct report_workload *w)
{
	static const enum report_dir dirs[] = { REPORT_INGRESS,
	    REPORT_EGRESS };
	const struct report_strs *l;
	size_t d, i;

	if (!w->has_policies)
		return;
	for (d = 0; d < 2; d++) {
		l = &w->policies[dirs[d]];
		fprintf(f, "  %s policies:%s", report_dir_name(dirs[d]),
		    l->n == 0 ? " none (open)" : "");
		for (i = 0; i < l->n; i++)
			fprintf(f, "%s %s", i ? "," : "", l->v[i]);
		fprintf(f, "\n");
	}
}

static void
put_plain(FILE *f, const char *s)
{
	fputs(s, f);
}

void
report_names_write(FILE *f, const struct report_workload *w,
    void (*put)(FILE *f, const char *s))
{
	size_t i, j;

	for (i = 0; i < w->nnames; i++) {
		fprintf(f, "%s", i ? ", " : "");
		put(f, w->names[i].name);
		fprintf(f, " (");
		for (j = 0; j < w->names[i].addresses.n; j++) {
			fprintf(f, "%s", j ? ", " : "");
			put(f, w->names[i].addresses.v[j]);
		}
		fprintf(f, ")");
	}
}

static void
workload(FILE *f, const struct report_workload *w)
{
	static const enum report_dir dirs[] = { REPORT_INGRESS,
	    REPORT_EGRESS };
	char dur[64];
	size_t d, i;

	fprintf(f, "\n%s/%s%s\n", w->kind, w->name, w->host_network ?
	    " (hostNetwork)" : "");
	fprintf(f, "  observed %s .. %s (%s); flows first %s, last %s%s\n",
	    or_dash(w->obs.observed_from), or_dash(w->obs.observed_to),
	    report_duration(w->obs.observed_seconds, dur, sizeof(dur)),
	    or_dash(w->obs.first_seen), or_dash(w->obs.last_seen),
	    w->obs.predates_recording ?
	    "; already running when recording started" : "");
	policies_line(f, w);
	if (w->nnames > 0) {
		fprintf(f, "  names (toFQDNs of -o cilium, domainNames of -o "
		    "clusternetworkpolicy): ");
		report_names_write(f, w, put_plain);
		fprintf(f, "\n");
	}
	for (d = 0; d < 2; d++) {
		fprintf(f, "  %s:%s\n", report_dir_name(dirs[d]),
		    w->nflows[dirs[d]] ? "" : " nothing recorded");
		for (i = 0; i < w->nflows[dirs[d]]; i++)
			flow_line(f, &w->flows[dirs[d]][i]);
	}
}

static void
addresses(FILE *f, const struct report_view *v)
{
	const struct report_address *a;
	size_t i;

	fprintf(f, "\n== Addresses that are not recorded workloads ==\n");
	if (v->naddresses == 0)
		fprintf(f, "none\n");
	for (i = 0; i < v->naddresses; i++) {
		a = &v->addresses[i];
		fprintf(f, "%-39s %-8s", or_dash(a->address),
		    report_class_name(a->class_));
		words(f, &a->dns_names);
		if (a->has_ks)
			fprintf(f, " [KnownServer %s: %s %s in %s]",
			    a->ks.source, a->ks.name, a->ks.server, a->ks.cidr);
		if (a->unnamed)
			fprintf(f, " (resolves to nothing)");
		fprintf(f, "\n   ports");
		words(f, &a->ports);
		fprintf(f, "; %s", "by");
		words(f, &a->workloads);
		fprintf(f, "; count %lld, last %s\n", (long long)a->count,
		    or_dash(a->last_seen));
	}
}

static void
findings(FILE *f, const struct report_view *v)
{
	const struct report_unselected *u;
	const struct report_denial *d;
	char peer[1024];
	size_t i, j;

	if (!v->has_policies)
		return;
	fprintf(f, "\n== Workloads no policy selects ==\n");
	if (v->nunselected == 0)
		fprintf(f, "none\n");
	for (i = 0; i < v->nunselected; i++) {
		u = &v->unselected[i];
		fprintf(f, "%s: %s%s%s open\n", u->workload,
		    u->ingress ? "ingress" : "",
		    u->ingress && u->egress ? " and " : "",
		    u->egress ? "egress" : "");
	}
	fprintf(f, "\n== Recorded flows the policies would deny ==\n");
	if (v->ndenied == 0)
		fprintf(f, "none\n");
	for (i = 0; i < v->ndenied; i++) {
		d = &v->denied[i];
		fprintf(f, "%-10s %s %s %s %s %s/%lld  last seen %s  count "
		    "%lld\n", d->verdict == REPORT_VERDICT_DENIED ?
		    "DENIED" : "UNRESOLVED", d->workload,
		    report_dir_name(d->direction),
		    d->direction == REPORT_INGRESS ? "from" : "to",
		    report_peer_str(&d->peer, peer, sizeof(peer)),
		    d->protocol, (long long)d->port, or_dash(d->last_seen),
		    (long long)d->count);
		fprintf(f, "           %s policies selecting it:",
		    report_dir_name(d->direction));
		for (j = 0; j < d->policies.n; j++)
			fprintf(f, "%s %s", j ? "," : "", d->policies.v[j]);
		fprintf(f, "\n");
		for (j = 0; j < d->notes.n; j++)
			fprintf(f, "           note: %s\n", d->notes.v[j]);
	}
}

int
report_render_text(FILE *f, const struct report_view *v,
    const struct report_render_opts *o)
{
	(void)o;
	const struct report_namespace *ns;
	size_t i, j;

	header(f, v);
	for (i = 0; i < v->nnamespaces; i++) {
		ns = &v->namespaces[i];
		fprintf(f, "\n== Namespace %s ==\n", ns->name);
		for (j = 0; j < ns->nworkloads; j++)
			workload(f, &ns->workloads[j]);
	}
	addresses(f, v);
	findings(f, v);
	return ferror(f) ? -EIO : 0;
}

int
report_render_json(FILE *f, const struct report_view *v,
    const struct report_render_opts *o)
{
	(void)o;
	fprintf(f, "%s\n", json_object_to_json_string_ext(v->model,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	return ferror(f) ? -EIO : 0;
}
