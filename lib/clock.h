/*
 * clock: the monotonic milliseconds that timeouts, retries and back-offs
 * count in, and the absolute time a pthread_cond_timedwait() waits until
 * (which counts in CLOCK_REALTIME). Nothing here fails or allocates.
 */
#ifndef NPR_CLOCK_H
#define NPR_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);

/* *ts = CLOCK_REALTIME now + ms (ms >= 0). */
void clock_after_ms(struct timespec *ts, int64_t ms);

#endif
