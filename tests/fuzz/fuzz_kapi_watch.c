/* One line of a Kubernetes watch stream, as the API client reads it. */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "recorderd/kapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kapi_watch_event ev;
	char err[256];

	if (kapi_watch_parse((const char *)data, size, &ev, err,
	    sizeof(err)) == 0)
		json_object_put(ev.obj);
	return 0;
}
