/* NetworkPolicy input (check --policies): parsed and compiled into a set,
 * then connections evaluated against it and the lint run over it. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/eval/check.h"
#include "cli/eval/check_lint.h"
#include "cli/eval/check_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npeval_set *set = NULL;
	struct npeval_ep pod, other, ext;
	struct npeval_result res;
	struct addr_cidr range;
	json_object *labels, *ports, *lint;
	char err[512];
	size_t nskipped = 0;

	if (npeval_set_new(&set) != 0)
		return 0;
	if (check_load_policies_buf(set, (const char *)data, size, "fuzz",
	    "default", &nskipped, err, sizeof(err)) != 0)
		goto out;
	labels = json_tokener_parse("{\"app\":\"api\",\"tier\":\"web\"}");
	ports = json_tokener_parse("[{\"name\":\"http\",\"port\":8080,"
	    "\"protocol\":\"TCP\"}]");
	pod = (struct npeval_ep){ .kind = NPEVAL_EP_POD, .namespace_ = "shop",
	    .labels = labels, .ports = ports };
	other = (struct npeval_ep){ .kind = NPEVAL_EP_POD,
	    .namespace_ = "default", .labels = labels };
	ext = (struct npeval_ep){ .kind = NPEVAL_EP_ADDR };
	(void)addr_parse("203.0.113.9", &ext.addr);
	(void)addr_parse("198.18.1.5", &other.addr);
	npeval_eval(set, &other, &pod, IPPROTO_TCP, 8080, &res);
	npeval_eval(set, &pod, &ext, IPPROTO_UDP, 53, &res);
	npeval_eval(set, &ext, &pod, IPPROTO_ICMP, 0, &res);
	npeval_eval(set, &pod, &other, IPPROTO_SCTP, 9, &res);
	if (addr_cidr_parse("198.18.0.0/15", &range) == 0) {
		lint = check_lint(set, &range, 1, &range, 1);
		json_object_put(lint);
	}
	json_object_put(labels);
	json_object_put(ports);
out:
	npeval_set_free(set);
	return 0;
}
