/*
 * report_md: the report as GitHub-flavoured markdown, for tickets.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A table cell: pipes, backslashes, newlines and markup characters made
 * harmless. */
static void
cell(FILE *f, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputs("-", f);
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else if (strchr("|\\`*_<>[]", *s) != NULL)
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

/* The strings of l as cells joined by sep. */
static void
cells(FILE *f, const struct report_strs *l, const char *sep)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		fprintf(f, "%s", i ? sep : "");
		cell(f, l->v[i]);
	}
}

static void
header(FILE *f, const struct report_view *v)
{
	char dur[64];
	size_t i;

	fprintf(f, "# Network traffic report: ");
	if (v->scope[0] != '\0') {
		fprintf(f, "namespace ");
		cell(f, v->scope);
	} else
		fprintf(f, "all namespaces");
	fprintf(f, "\n\n| | |\n|---|---|\n| Window | ");
	cell(f, v->window.since);
	fprintf(f, " .. ");
	cell(f, v->window.until);
	fprintf(f, " (%s) |\n| Recording started | ", report_duration(
	    v->window.seconds, dur, sizeof(dur)));
	cell(f, v->window.recording_started);
	if (v->cluster != NULL) {
		fprintf(f, " |\n| Cluster | ");
		cell(f, v->cluster);
	}
	fprintf(f, " |\n| Events lost | %lld |\n", (long long)v->events_lost);
	if (v->has_adoption)
		fprintf(f, "| Running pods adopted | %lld now (%lld adoptions, "
		    "%lld released), recorded from their adoption on |\n",
		    (long long)v->adoption.now,
		    (long long)v->adoption.adoptions,
		    (long long)v->adoption.releases);
	fprintf(f, "| Workloads | %lld in %lld namespaces |\n",
	    (long long)v->summary.workloads,
	    (long long)v->summary.namespaces);
	fprintf(f, "| Flows | %lld |\n| Addresses | %lld (%lld resolve to "
	    "nothing) |\n", (long long)v->summary.flows,
	    (long long)v->summary.addresses, (long long)v->summary.unnamed);
	if (v->has_policies)
		fprintf(f, "| Policies | %lld: %lld flows denied, %lld "
		    "unresolved, %lld workloads not selected |\n",
		    (long long)v->npolicies, (long long)v->summary.denied,
		    (long long)v->summary.unresolved,
		    (long long)v->summary.unselected);
	if (v->warnings.n > 0)
		fprintf(f, "\n");
	for (i = 0; i < v->warnings.n; i++) {
		fprintf(f, "> **Warning:** ");
		cell(f, v->warnings.v[i]);
		fprintf(f, "\n>\n");
	}
}

static void
port_cell(FILE *f, const char *protocol, int64_t port)
{
	if (port != 0)
		fprintf(f, "%s/%lld", protocol, (long long)port);
	else
		fprintf(f, "%s", protocol);
}

static void
flows_table(FILE *f, const struct report_workload *w, bool policies)
{
	static const enum report_dir dirs[] = { REPORT_INGRESS,
	    REPORT_EGRESS };
	const struct report_flow *fl;
	char peer[1024];
	size_t d, i;

	fprintf(f, "| Direction | Peer | Port | Service | Count | Last seen |%s\n"
	    "|---|---|---|---|---:|---|%s\n", policies ? " Verdict |" : "",
	    policies ? "---|" : "");
	for (d = 0; d < 2; d++) {
		for (i = 0; i < w->nflows[dirs[d]]; i++) {
			fl = &w->flows[dirs[d]][i];
			fprintf(f, "| %s | ", report_dir_name(dirs[d]));
			cell(f, report_peer_str(&fl->peer, peer,
			    sizeof(peer)));
			fprintf(f, " | ");
			port_cell(f, fl->protocol, fl->port);
			fprintf(f, " | ");
			if (fl->has_service) {
				cell(f, fl->service_address);
				fprintf(f, ":%lld",
				    (long long)fl->service_port);
			} else
				fprintf(f, "-");
			fprintf(f, " | %lld | ", (long long)fl->count);
			cell(f, fl->last_seen);
			if (policies)
				fprintf(f, fl->verdict ==
				    REPORT_VERDICT_ALLOWED ? " | %s" :
				    " | **%s**", report_verdict_name(
				    fl->verdict));
			fprintf(f, " |\n");
		}
	}
}

static void
workloads(FILE *f, const struct report_view *v, bool policies)
{
	const struct report_namespace *ns;
	const struct report_workload *w;
	char dur[64];
	size_t i, j;

	for (i = 0; i < v->nnamespaces; i++) {
		ns = &v->namespaces[i];
		fprintf(f, "\n## Namespace ");
		cell(f, ns->name);
		fprintf(f, "\n");
		for (j = 0; j < ns->nworkloads; j++) {
			w = &ns->workloads[j];
			fprintf(f, "\n### ");
			cell(f, w->kind);
			fprintf(f, "/");
			cell(f, w->name);
			fprintf(f, "\n\nObserved ");
			cell(f, w->obs.observed_from);
			fprintf(f, " .. ");
			cell(f, w->obs.observed_to);
			fprintf(f, " (%s)%s%s.\n\n", report_duration(
			    w->obs.observed_seconds, dur, sizeof(dur)),
			    w->obs.predates_recording ? "; already running "
			    "when recording started" : "",
			    w->host_network ? "; hostNetwork" : "");
			if (w->nnames > 0) {
				fprintf(f, "Names allowed by `-o cilium` "
				    "(toFQDNs) and `-o clusternetworkpolicy` "
				    "(domainNames): ");
				report_names_write(f, w, cell);
				fprintf(f, ".\n\n");
			}
			if (w->nflows[REPORT_INGRESS] +
			    w->nflows[REPORT_EGRESS] == 0)
				fprintf(f, "No traffic recorded.\n");
			else
				flows_table(f, w, policies);
		}
	}
}

static void
addresses(FILE *f, const struct report_view *v)
{
	const struct report_address *a;
	size_t i, j;

	fprintf(f, "\n## Addresses that are not recorded workloads\n\n");
	if (v->naddresses == 0) {
		fprintf(f, "None.\n");
		return;
	}
	fprintf(f, "| Address | Class | DNS names | KnownServer | Ports | "
	    "Workloads | Count | Last seen |\n"
	    "|---|---|---|---|---|---|---:|---|\n");
	for (i = 0; i < v->naddresses; i++) {
		a = &v->addresses[i];
		fprintf(f, "| ");
		cell(f, a->address);
		fprintf(f, " | %s | ", report_class_name(a->class_));
		if (a->unnamed)
			fprintf(f, "*resolves to nothing*");
		cells(f, &a->dns_names, ", ");
		fprintf(f, " | ");
		if (a->has_ks) {
			cell(f, a->ks.server);
			fprintf(f, " (");
			cell(f, a->ks.name);
			fprintf(f, ", ");
			cell(f, a->ks.cidr);
			fprintf(f, ")");
		} else
			fprintf(f, "-");
		fprintf(f, " | ");
		for (j = 0; j < a->ports.n; j++)
			fprintf(f, "%s%s", j ? ", " : "", a->ports.v[j]);
		fprintf(f, " | ");
		cells(f, &a->workloads, ", ");
		fprintf(f, " | %lld | ", (long long)a->count);
		cell(f, a->last_seen);
		fprintf(f, " |\n");
	}
}

static void
findings(FILE *f, const struct report_view *v)
{
	const struct report_unselected *u;
	const struct report_denial *d;
	char peer[1024];
	size_t i;

	fprintf(f, "\n## Workloads no policy selects\n\n");
	if (v->nunselected == 0)
		fprintf(f, "None.\n");
	for (i = 0; i < v->nunselected; i++) {
		u = &v->unselected[i];
		fprintf(f, "- ");
		cell(f, u->workload);
		fprintf(f, ": open in %s%s%s\n", u->ingress ? "ingress" : "",
		    u->ingress && u->egress ? " and " : "",
		    u->egress ? "egress" : "");
	}
	fprintf(f, "\n## Recorded flows the policies would deny\n\n");
	if (v->ndenied == 0) {
		fprintf(f, "None.\n");
		return;
	}
	fprintf(f, "| Verdict | Workload | Direction | Peer | Port | Count | "
	    "Last seen | Selected by | Notes |\n"
	    "|---|---|---|---|---|---:|---|---|---|\n");
	for (i = 0; i < v->ndenied; i++) {
		d = &v->denied[i];
		fprintf(f, "| **%s** | ", report_verdict_name(d->verdict));
		cell(f, d->workload);
		fprintf(f, " | %s | ", report_dir_name(d->direction));
		cell(f, report_peer_str(&d->peer, peer, sizeof(peer)));
		fprintf(f, " | ");
		port_cell(f, d->protocol, d->port);
		fprintf(f, " | %lld | ", (long long)d->count);
		cell(f, d->last_seen);
		fprintf(f, " | ");
		cells(f, &d->policies, ", ");
		fprintf(f, " | ");
		cells(f, &d->notes, "; ");
		fprintf(f, " |\n");
	}
}

int
report_render_markdown(FILE *f, const struct report_view *v,
    const struct report_render_opts *o)
{
	(void)o;
	header(f, v);
	workloads(f, v, v->has_policies);
	addresses(f, v);
	if (v->has_policies)
		findings(f, v);
	return ferror(f) ? -EIO : 0;
}
