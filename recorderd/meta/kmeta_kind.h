/*
 * kmeta_kind: the kinds the metadata cache knows and their owner rules
 * (which kind owns which, where its selector is, how to name a parent
 * that is not cached), and the labels that differ from pod to pod. One
 * table, indexed by enum kmeta_kind; nothing else here.
 */
#ifndef NPR_KMETA_KIND_H
#define NPR_KMETA_KIND_H

#include <stdbool.h>

/* The kinds the cache knows; the order is the table order in kmeta_kind.c. */
enum kmeta_kind {
	KMETA_POD = 0,
	KMETA_NAMESPACE,
	KMETA_NODE,
	KMETA_REPLICASET,
	KMETA_DEPLOYMENT,
	KMETA_STATEFULSET,
	KMETA_DAEMONSET,
	KMETA_JOB,
	KMETA_CRONJOB,
	KMETA_REPLICATIONCONTROLLER,
	KMETA_NKINDS
};

/* "Pod", "ReplicaSet", ... for a kind; NULL when out of range. */
const char *kmeta_kind_name(int kind);
/* The kind for "Pod", "ReplicaSet", ... (exact match); -EINVAL when not
 * one we cache. */
int kmeta_kind_parse(const char *name);

/* Where a kind's selector comes from. */
enum sel_from {
	SEL_NONE = 0,
	SEL_LABEL_SELECTOR,	/* spec.selector, a LabelSelector */
	SEL_MAP,		/* spec.selector, a plain map (RC) */
	SEL_TEMPLATE,		/* spec.template.metadata.labels */
	SEL_JOB_TEMPLATE,	/* spec.jobTemplate.spec.template.metadata.labels */
};

/* How to name the parent when the object itself is not cached. */
enum infer {
	INFER_NONE = 0,
	/* "<deployment>-<pod-template-hash>": a Deployment's ReplicaSet. */
	INFER_TEMPLATE_HASH,
	/* "<cronjob>-<digits>": a CronJob's Job, if that CronJob is known. */
	INFER_CRONJOB_SUFFIX,
};

struct kmeta_kind_rule {
	const char *kind;
	bool owner;		/* an owner kind (kept in the owner table) */
	enum sel_from sel;	/* its selector */
	enum sel_from sel_fallback;	/* when sel is absent */
	const char *parent;	/* the controller kind it may have */
	enum infer infer;
};

/* The rules, indexed by enum kmeta_kind. */
extern const struct kmeta_kind_rule kmeta_kind_rules[KMETA_NKINDS];

/* Labels that differ from one pod of a workload to the next
 * (pod-template-hash, controller-revision-hash, job-name, ...): they are
 * never part of a selector. */
bool kmeta_label_is_per_pod(const char *key);

#endif
