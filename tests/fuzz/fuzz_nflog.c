/* NFLOG messages, then the logged packet's IP and L4 headers. */
#include <stddef.h>
#include <stdint.h>

#include "recorderd/nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nflog_pkt pkt;
	struct nflog_l4 l4;

	if (nflog_msg_parse(data, size, &pkt) == 0 && pkt.payload != NULL)
		nflog_l4_parse(pkt.payload, pkt.payload_len, &l4);
	/* The packet parser also sees raw bytes directly. */
	nflog_l4_parse(data, size, &l4);
	return 0;
}
