/*
 * completeness: a node's notes for the index (see completeness.h).
 */
#include "cli/source/completeness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/timefmt.h"
#include "cli/source/index.h"

static int
set_add(char ***v, size_t *n, const char *s)
{
	char **nv;
	size_t i;

	/* Flows come grouped by workload: mostly the last one again. */
	if (*n > 0 && strcmp((*v)[*n - 1], s) == 0)
		return 0;
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -ENOMEM;
	(*n)++;
	return 0;
}

int
compl_saw(struct compl_node *n, const char *ns)
{
	return set_add(&n->saw, &n->nsaw, ns);
}

int
compl_present(struct compl_node *n, const char *ns)
{
	return set_add(&n->present, &n->npresent, ns);
}

static const char *
who(const struct compl_node *n, char *buf, size_t len)
{
	if (n->name != NULL)
		snprintf(buf, len, "node %s", n->name);
	else
		snprintf(buf, len, "the %s (node unknown)", n->where ?
		    n->where : "source");
	return buf;
}

int
compl_notes(const struct compl_node *n, struct index_builder *b)
{
	char text[512], w[300], t[32], d[32];
	size_t i;
	int rc = 0;

	if (n->events_lost > 0) {
		snprintf(text, sizeof(text), "%s lost %lld conntrack events "
		    "while recording: some connections may be missing",
		    who(n, w, sizeof(w)), (long long)n->events_lost);
		for (i = 0; i < n->nsaw && rc == 0; i++)
			rc = index_add_note(b, n->saw[i], NULL, NULL, text);
	}
	if (n->stale && rc == 0) {
		snprintf(text, sizeof(text), "%s has not published since %s, "
		    "more than twice its refresh interval (%s): is its "
		    "recorder running? What it recorded since is missing",
		    who(n, w, sizeof(w)), timefmt_format_time(n->published_at,
		    t, sizeof(t)), timefmt_format_duration(n->refresh, d,
		    sizeof(d)));
		for (i = 0; i < n->npresent && rc == 0; i++)
			rc = index_add_note(b, n->present[i], NULL, NULL, text);
	}
	return rc;
}

void
compl_node_clear(struct compl_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nsaw; i++)
		free(n->saw[i]);
	for (i = 0; i < n->npresent; i++)
		free(n->present[i]);
	free(n->saw);
	free(n->present);
	free(n->name);
	free(n->where);
	memset(n, 0, sizeof(*n));
}
