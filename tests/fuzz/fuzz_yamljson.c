/* YAML or JSON documents into json-c trees: NetworkPolicy input, metadata
 * Lists and KnownServer files all pass through here. */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *out = NULL;
	char err[256];

	if (yamljson_parse_any((const char *)data, size, &out, err,
	    sizeof(err)) == 0)
		json_object_put(out);
	return 0;
}
