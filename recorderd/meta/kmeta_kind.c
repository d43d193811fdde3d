/*
 * kmeta_kind: the table of kinds and owner rules, per-pod labels.
 */
#include "recorderd/meta/kmeta_kind.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* One table for every kind the cache knows; index = enum kmeta_kind. */
const struct kmeta_kind_rule kmeta_kind_rules[KMETA_NKINDS] = {
	[KMETA_POD] = { .kind = "Pod" },
	[KMETA_NAMESPACE] = { .kind = "Namespace" },
	[KMETA_NODE] = { .kind = "Node" },
	[KMETA_REPLICASET] = { .kind = "ReplicaSet", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE,
	    .parent = "Deployment", .infer = INFER_TEMPLATE_HASH },
	[KMETA_DEPLOYMENT] = { .kind = "Deployment", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE },
	[KMETA_STATEFULSET] = { .kind = "StatefulSet", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE },
	[KMETA_DAEMONSET] = { .kind = "DaemonSet", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE },
	/* A Job's spec.selector names one run by its controller uid: the
	 * workload's selector is its pod template's labels instead. */
	[KMETA_JOB] = { .kind = "Job", .owner = true, .sel = SEL_TEMPLATE,
	    .parent = "CronJob", .infer = INFER_CRONJOB_SUFFIX },
	[KMETA_CRONJOB] = { .kind = "CronJob", .owner = true,
	    .sel = SEL_JOB_TEMPLATE },
	[KMETA_REPLICATIONCONTROLLER] = { .kind = "ReplicationController",
	    .owner = true, .sel = SEL_MAP, .sel_fallback = SEL_TEMPLATE },
};

/* Labels that differ from pod to pod of one workload. */
static const char *const per_pod_labels[] = {
	"pod-template-hash",
	"controller-revision-hash",
	"pod-template-generation",
	"statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index",
	"batch.kubernetes.io/controller-uid",
	"controller-uid",
	"job-name",
	"batch.kubernetes.io/job-name",
	"batch.kubernetes.io/job-completion-index",
};

const char *
kmeta_kind_name(int kind)
{
	if (kind < 0 || kind >= KMETA_NKINDS)
		return NULL;
	return kmeta_kind_rules[kind].kind;
}

int
kmeta_kind_parse(const char *name)
{
	int i;

	for (i = 0; i < KMETA_NKINDS; i++)
		if (strcmp(kmeta_kind_rules[i].kind, name) == 0)
			return i;
	return -EINVAL;
}

bool
kmeta_label_is_per_pod(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(per_pod_labels) / sizeof(per_pod_labels[0]);
	    i++)
		if (strcmp(per_pod_labels[i], key) == 0)
			return true;
	return false;
}

