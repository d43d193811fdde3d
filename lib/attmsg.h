/*
 * attmsg: an attachment as the CNI plugin hands it to netpol-recorderd.
 *
 * After its nftables batch, the plugin sends its nftables socket to the
 * daemon over the release socket (lib/fdpass.h); the datagram's payload
 * carries what the command did to the pod's attachment, so that the
 * daemon knows a new pod before its first packet and writes the record
 * itself, in its writer's transaction: ADD never waits on the store's
 * lock. Without the daemon the plugin writes the store itself.
 *
 * Wire format (all integers big-endian):
 *
 *   "NPRA"  version (1 byte, 1)  op (1 byte: 1 ADD, 2 DEL)  0 0
 *   then attributes: type (2 bytes), length (2 bytes), value
 *
 *   type  value
 *      1  container id          (text, 1..STORE_ID_LEN-1 bytes, no NUL)
 *      2  interface name        (text, 1..STORE_IFNAME_LEN-1)
 *      3  pod namespace         (text, ..STORE_NAME_LEN-1)
 *      4  pod name              (text, ..STORE_NAME_LEN-1)
 *      5  pod uid               (text, ..STORE_ID_LEN-1)
 *      6  network namespace     (text, ..STORE_PATH_LEN-1)
 *      7  host interface        (text, ..STORE_IFNAME_LEN-1)
 *      8  host interface index  (4 bytes)
 *      9  address               (family 1 byte (4 or 6), prefix 1 byte,
 *                                4 or 16 bytes), at most STORE_MAX_ADDRS
 *     10  time of the command   (8 bytes, Unix seconds)
 *
 * Container id and interface name are required, the rest optional; a
 * text attribute given twice counts as the last one;
 * unknown types are skipped (a newer plugin may say more), a known type
 * with a bad length is an error. A payload that does not start with the
 * magic (an older plugin sends one zero byte) is no message.
 */
#ifndef NPR_ATTMSG_H
#define NPR_ATTMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/store.h"

/* Bytes any message fits in (every field at its longest). */
#define ATTMSG_MAX 2048

enum attmsg_op {
	ATTMSG_ADD = 1,		/* attached, or attached again (repeated ADD) */
	ATTMSG_DEL = 2,		/* detached: only container id and ifname */
};

struct attmsg {
	int op;				/* enum attmsg_op */
	int64_t time;			/* when the plugin ran, Unix s */
	struct store_attachment att;	/* id, workload, times unused */
};

/*
 * Write m into buf (cap bytes, ATTMSG_MAX is always enough). Returns the
 * length, or -EINVAL (no container id or ifname, a bad op, too many
 * addresses), -ENOSPC (cap too small).
 */
int attmsg_build(const struct attmsg *m, void *buf, size_t cap);

/*
 * Read the message at buf[0..len) into *out (cleared first). Returns 0,
 * -ENOMSG when buf is no message (no magic: an older plugin's one byte),
 * -EPROTO for another version, -EBADMSG when it is malformed (truncated,
 * a bad length, a string with a NUL or too long, a required field
 * missing, too many addresses). Never reads past len.
 */
int attmsg_parse(const void *buf, size_t len, struct attmsg *out);

#endif
