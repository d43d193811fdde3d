/* KnownServer documents: parsed into a set, then matched against. */
#include <stddef.h>
#include <stdint.h>

#include "cli/source/knownservers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_set *ks = ks_set_new();
	struct addr a;
	char err[256];

	if (ks == NULL)
		return 0;
	if (ks_parse_buf(ks, (const char *)data, size, "fuzz", err,
	    sizeof(err)) == 0 && addr_parse("198.51.100.23", &a) == 0)
		(void)ks_match(ks, &a);
	ks_set_free(ks);
	return 0;
}
