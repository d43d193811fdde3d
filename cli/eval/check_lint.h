/*
 * check_lint: the classic mistakes of policies, found without any traffic.
 */
#ifndef NPR_CLI_EVAL_CHECK_LINT_H
#define NPR_CLI_EVAL_CHECK_LINT_H

#include <stddef.h>

#include <json-c/json.h>

#include "cli/eval/npeval.h"
#include "lib/addr.h"

/*
 * Classic mistakes in the policies themselves, given the cluster's ranges:
 * policies of another format given (CiliumNetworkPolicy,
 * ClusterNetworkPolicy...: their rules are not the ones evaluated), an
 * ipBlock inside the pod range (whether it matches pod IPs is
 * implementation-defined) or inside the Service range (traffic is DNATed
 * to pod IPs before policies see it). A new JSON array of sentences (caller
 * owns), empty when there is nothing to say; NULL on ENOMEM.
 */
json_object *check_lint(const struct npeval_set *set,
    const struct addr_cidr *pod, size_t npod, const struct addr_cidr *svc,
    size_t nsvc);

#endif
