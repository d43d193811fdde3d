/*
 * status: what a store holds and the recorder's counters, as people read
 * them: the one text of `netpol-record status` and `netpol-recorderd
 * --status`.
 *
 *   store PATH
 *     recording started  2026-11-18T11:06:40Z
 *     node               node-a
 *     attachments        4 attached (1 adopted), 0 detached
 *                        ("(N adopted)" only when there are any)
 *     workloads          5
 *     namespaces         3
 *     flows              16
 *     known servers      1
 *   publishing                  (when the recorder publishes)
 *     state              ok
 *     objects in the API 12
 *     objects written    40
 *     failed attempts    0
 *     pending            0
 *     last success       2026-11-19T14:53:20Z
 *   counters
 *     events_lost                        12  (updated 2026-11-19T14:53:20Z)
 */
#ifndef NPR_STATUS_H
#define NPR_STATUS_H

#include <stdio.h>

struct store;

/*
 * Write the status of st (opened from path) to f. Returns 0, or the
 * store's -errno when a read failed (store_errmsg() tells what; what was
 * written so far stays written).
 */
int status_print(FILE *f, const char *path, struct store *st);

#endif
