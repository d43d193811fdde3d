/* DNS answers as they arrive over NFLOG: UDP payloads and TCP streams. */
#include <stddef.h>
#include <stdint.h>

#include "recorderd/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_answers out;
	size_t used = 0;

	dns_parse(data, size, &out);
	dns_parse_tcp(data, size, &out, &used);
	return 0;
}
