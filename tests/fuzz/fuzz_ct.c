/* ctnetlink event messages, as read from the conntrack event socket. */
#include <stddef.h>
#include <stdint.h>

#include "recorderd/ct.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_event ev;

	ct_event_parse(data, size, &ev);
	return 0;
}
