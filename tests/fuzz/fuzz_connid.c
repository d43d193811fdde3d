/*
 * Which connections were counted (recorderd/connid.c): a snapshot as a
 * restart reads it back from the store (a file anyone with write access
 * may have changed), then a sequence of what the event loop tells it
 * (NEW events, dump entries, the socket found empty, losses, dumps), with
 * times anywhere in int64. Every snapshot it writes must read back.
 *
 * Input: 2 bytes (big-endian) of snapshot length L, L bytes of snapshot,
 * then operations of 1 opcode byte and 17 bytes of arguments each. A
 * table of 16 buckets, so that full buckets are met too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "recorderd/connid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
conn(struct ct_event *ev, const uint8_t *p)
{
	memset(ev, 0, sizeof(*ev));
	ev->family = (p[0] & 1) ? AF_INET6 : AF_INET;
	ev->proto = IPPROTO_TCP;
	ev->has_id = (p[0] & 2) != 0;
	ev->id = (uint32_t)p[1] << 8 | p[2];
	ev->orig.src.family = ev->family;
	ev->orig.dst.family = ev->family;
	ev->orig.src.bytes[3] = p[3];
	ev->orig.sport = p[4];
	ev->has_event_ts = (p[0] & 4) != 0;
	ev->has_start = (p[0] & 8) != 0;
	ev->event_ns = ev->start_ns = (int64_t)get64(p + 5);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct connid *c, *r;
	struct ct_event ev;
	size_t snap, off;
	void *buf;
	size_t len;

	if (size < 2 || connid_new(16, &c) < 0)
		return 0;
	snap = (size_t)data[0] << 8 | data[1];
	if (snap > size - 2)
		snap = size - 2;
	(void)connid_restore(c, data + 2, snap);
	for (off = 2 + snap; off + 18 <= size; off += 18) {
		const uint8_t *p = data + off;
		int64_t t = (int64_t)get64(p + 9);

		switch (p[0] % 7) {
		case 0:
			conn(&ev, p + 1);
			(void)connid_event(c, &ev, t);
			break;
		case 1:
			conn(&ev, p + 1);
			(void)connid_dump_entry(c, &ev, t);
			break;
		case 2:
			connid_drained(c, t);
			break;
		case 3:
			connid_lost(c);
			break;
		case 4:
			connid_dump_begin(c);
			break;
		case 5:
			connid_dump_end(c, p[1] & 1);
			break;
		default:
			break;
		}
	}
	if (connid_snapshot(c, &buf, &len) == 0) {
		if (connid_new(16, &r) == 0) {
			if (connid_restore(r, buf, len) != 0)
				abort();
			connid_free(r);
		}
		free(buf);
	}
	connid_free(c);
	return 0;
}
