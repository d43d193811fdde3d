/*
 * pubstatus: the node's RecorderStatus object as the publisher applies it
 * (install/kubernetes/README.md, "RecorderStatus"): compact JSON, every
 * object's keys sorted as the API server stores them. Pure.
 */
#ifndef NPR_PUBSTATUS_H
#define NPR_PUBSTATUS_H

#include <stddef.h>
#include <stdint.h>

#define PUBSTATUS_NAMESPACE "netpol-record"
#define PUBSTATUS_LAST_ERROR_MAX 1024
/* spec.storeCounters: at most this many (the CRD's maxProperties). */
#define PUBSTATUS_COUNTERS_MAX 64

/* One of the store's counters, by the store's name. */
struct pubstatus_counter {
	char name[48];
	int64_t value;
};

struct pubstatus {
	const char *node;
	const char *node_uid;		/* NULL or "": no ownerReference */
	const char *version;
	int64_t recording_started;
	int64_t data_end;		/* 0: absent */
	int64_t published_at;
	int64_t last_profile_write;	/* 0: absent */
	int64_t interval, refresh;	/* s */
	unsigned max_entries;
	int64_t events_seen, events_lost;
	int64_t pods_attached, pods_adopted;
	int64_t objects_written, publish_failed, publish_pending;
	const char *last_error;		/* NULL or "": absent */
	/* The store's counters (spec.storeCounters, as `netpol-record
	 * status --db` lists them); none: absent. */
	const struct pubstatus_counter *store_counters;
	size_t nstore_counters;
};

/* The apply body of s into *body (owned, NUL-terminated). 0, -EINVAL
 * (no node), -ENOMEM. */
int pubstatus_build(const struct pubstatus *s, char **body);

#endif
