/* The daemon's YAML configuration, parsed then validated. */
#include <stddef.h>
#include <stdint.h>

#include "recorderd/rconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rconf c;
	char err[256];

	rconf_defaults(&c);
	if (rconf_parse_buf((const char *)data, size, &c, err,
	    sizeof(err)) == 0)
		rconf_validate(&c, err, sizeof(err));
	return 0;
}
