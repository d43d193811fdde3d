/*
 * NetworkPolicy input to `netpol-record check`: YAML or JSON documents,
 * compiled into a policy set, then one pod-to-pod and one pod-to-address
 * connection evaluated against it.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/npeval.h"
#include "lib/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *docs = NULL, *la, *lb;
	struct npeval_set *set = NULL;
	struct npeval_ep a = { 0 }, b = { 0 }, ext = { 0 };
	struct npeval_result res;
	char err[256];
	size_t skipped;

	if (yamljson_parse_any((const char *)data, size, &docs, err,
	    sizeof(err)) < 0)
		return 0;
	if (npeval_set_new(&set) < 0)
		goto out;
	if (npeval_set_add(set, docs, "default", "fuzz", &skipped, err,
	    sizeof(err)) < 0)
		goto out;
	la = json_tokener_parse("{\"app\":\"web\",\"tier\":\"front\"}");
	lb = json_tokener_parse("{\"app\":\"db\"}");
	a.kind = b.kind = NPEVAL_EP_POD;
	a.namespace_ = "default";
	b.namespace_ = "shop";
	a.labels = la;
	b.labels = lb;
	ext.kind = NPEVAL_EP_ADDR;
	addr_parse("203.0.113.10", &ext.addr);
	npeval_eval(set, &a, &b, IPPROTO_TCP, 5432, &res);
	npeval_eval(set, &b, &ext, IPPROTO_UDP, 53, &res);
	npeval_eval(set, &ext, &a, IPPROTO_SCTP, 0, &res);
	json_object_put(la);
	json_object_put(lb);
out:
	npeval_set_free(set);
	json_object_put(docs);
	return 0;
}
