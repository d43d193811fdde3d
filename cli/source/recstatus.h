/*
 * recstatus: a RecorderStatus object (install/kubernetes/README.md), one
 * per node, read strictly into a struct: what `status --cluster` prints
 * and what the cluster source takes for a node's counters, the end of
 * its data and whether it still publishes. Pure.
 */
#ifndef NPR_CLI_SOURCE_RECSTATUS_H
#define NPR_CLI_SOURCE_RECSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The namespace the recorders write their RecorderStatus in. */
#define RECSTATUS_NAMESPACE "netpol-record"
#define RECSTATUS_PATH "/apis/netpol-record.io/v1alpha1/namespaces/" \
	RECSTATUS_NAMESPACE "/recorderstatuses"

struct recstatus {
	const char *node;		/* borrowed from the object */
	const char *version;
	int64_t recording_started;	/* Unix s */
	int64_t published_at;		/* Unix s */
	int64_t last_profile_write;	/* 0 before the first */
	int64_t interval, refresh;	/* publish.interval, .refresh, s */
	int64_t events_seen, events_lost, pods_attached, pods_adopted;
	int64_t objects_written, publish_failed, publish_pending;
	const char *last_error;		/* NULL when the last write worked */
	int64_t data_end;		/* spec.dataEnd: the end of its store's
					 * data; 0 when not published */
	json_object *store_counters;	/* spec.storeCounters {name: value};
					 * borrowed, or NULL */
};

/*
 * Read item. 0 and *out (pointing into item), or -EINVAL with err naming
 * the field ("spec.counters.eventsLost: missing").
 */
int recstatus_parse(json_object *item, struct recstatus *out, char *err,
    size_t errlen);

/* Whether s's node has not published for more than twice its refresh
 * interval at time now. */
bool recstatus_stale(const struct recstatus *s, int64_t now);

/* The RecorderStatus objects of a list, read one by one. */
struct recstatus_set {
	json_object **objs;	/* kept: the statuses point into them */
	struct recstatus *v;	/* the good ones, in the order met */
	size_t n;
	size_t bad;		/* malformed, skipped */
	char first_bad[300];	/* why the first was */
};

/*
 * Add item (a list's item, cli/source/kube.h's kube_item_cb; a reference
 * is taken) to the set arg, or count it as bad. 0 or -ENOMEM.
 */
int recstatus_set_add(json_object *item, void *arg);
/* The status of node, or NULL. */
const struct recstatus *recstatus_set_find(const struct recstatus_set *s,
    const char *node);
void recstatus_set_clear(struct recstatus_set *s);

#endif
