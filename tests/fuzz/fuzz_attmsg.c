/* The CNI plugin's attachment message, as the release socket receives it
 * (lib/attmsg.h); what parses must build back to a message that parses
 * the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/attmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attmsg m, again;
	uint8_t buf[ATTMSG_MAX];
	int len;

	if (attmsg_parse(data, size, &m) != 0)
		return 0;
	len = attmsg_build(&m, buf, sizeof(buf));
	if (len < 0 || attmsg_parse(buf, (size_t)len, &again) != 0 ||
	    memcmp(&m, &again, sizeof(m)) != 0)
		abort();
	return 0;
}
