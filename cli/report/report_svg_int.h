/*
 * report_svg internals, shared by the files of the family and included by
 * them only: report_svg_graph.c turns the report model into a graph of
 * boxes and arrows, report_svg_layout.c gives the boxes columns and rows
 * and their coordinates, report_svg_draw.c draws boxes, arrows and labels
 * (and escapes text), report_svg.c puts the drawing together.
 */
#ifndef NPR_REPORT_SVG_INT_H
#define NPR_REPORT_SVG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/report/report.h"

#define BOX_W 210
#define BOX_H 36
#define ROW_GAP 14
#define COL_GAP 170
#define INNER_GAP 110	/* between the columns of one namespace */
#define PAD 14
#define HEAD 30
#define TOP 8
#define MAXLABELS 128
#define MAXPORTS 4
/* Beyond these the drawing stops being readable: addresses are drawn one
 * box per class, and past MAX_WORKLOADS nothing is drawn (the tables stay
 * complete). */
#define MAX_LAYERS 4	/* columns a namespace may take */
#define MAX_ADDRS 40
#define MAX_PEERS 60
#define MAX_WORKLOADS 250

enum node_type { N_WORKLOAD, N_PEER_WORKLOAD, N_EXTERNAL, N_INTERNAL,
    N_NODE, N_UNKNOWN };

struct node {
	char *id;
	char *line1, *line2;	/* owned */
	int type;
	int col;
	double order;		/* barycenter key */
	int row;
	bool denied;
	bool egress_target;	/* an address some workload connects to */
	bool unselected;	/* no policy selects it in some direction */
};

struct edge {
	int src, dst;
	char *ports[MAXPORTS];
	int nports, more;
	uint64_t count[2];	/* per recording direction */
	int verdict;		/* worst: 0 allowed, 1 unresolved, 2 denied,
				 * -1 unknown (no policies) */
	char *title;
};

struct graph {
	struct node *n;
	size_t nn, capn;
	struct edge *e;
	size_t ne, cape;
	json_object *ids;	/* id -> node index */
	json_object *pairs;	/* "s>d" -> edge index */
	char **cols;		/* column titles */
	int ncols;
	int *colsize;
	int ngroups;		/* clients, namespaces..., destinations */
	int *group;		/* per column: its group (cols[] titles are
				 * per group); a namespace with clients and
				 * servers inside gets several columns */
	bool oom;		/* an allocation failed: nothing is drawn */
	json_object *collapse;	/* class -> address count, when addresses
				 * are drawn one box per class; else NULL */
	json_object *peer_ns;	/* namespace -> count of its workloads,
				 * when workloads outside the scope are
				 * drawn one box per namespace; else NULL */
};

/* Placed edge labels, to move a new one off those already there. */
struct labels {
	double x[MAXLABELS], y[MAXLABELS], w[MAXLABELS];
	int n;
};

/* report_svg_graph.c */
/* With more than MAX_ADDRS addresses, count them per class for one box
 * each; with more than MAX_PEERS workloads outside the scope, count them
 * per namespace. Each returns true when out of memory. */
bool report_svg_collapse_addresses(struct graph *g, json_object *m);
bool report_svg_collapse_peers(struct graph *g, json_object *m);
/* The boxes and arrows of model m, each box in its column; g->oom when an
 * allocation failed. */
void report_svg_build(struct graph *g, json_object *m);
/* Frees what g holds (not g). */
void report_svg_graph_free(struct graph *g);

/* report_svg_layout.c */
/* Called by report_svg_build once every box has its column: the
 * namespace columns ordered from sources to sinks, then each namespace
 * split into columns of clients and servers. */
void report_svg_order_namespaces(struct graph *g);
void report_svg_split_layers(struct graph *g);
/* Rows within the columns; g->oom when an allocation failed. */
void report_svg_layout(struct graph *g);
/* Coordinates of the top left corner of boxes. */
double report_svg_col_x(const struct graph *g, int col);
double report_svg_node_y(const struct node *n);

/* report_svg_draw.c */
/* s escaped; when longer than max bytes, cut on a UTF-8 boundary and
 * ended with an ellipsis. */
void report_svg_text_trunc(FILE *f, const char *s, size_t max);
void report_svg_draw_node(FILE *f, const struct node *n, double x, double y);
void report_svg_draw_edge(const struct graph *g, FILE *f,
    const struct edge *e);
void report_svg_draw_label(const struct graph *g, FILE *f,
    const struct edge *e, struct labels *lab);

#endif
