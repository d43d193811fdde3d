/*
 * clock: the daemon's one monotonic clock in milliseconds, for timeouts,
 * rate limits and how long something took (never for what is stored:
 * flows carry Unix seconds).
 */
#ifndef NPR_CLOCK_H
#define NPR_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_ms(void);

#endif
