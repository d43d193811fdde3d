/*
 * mono: the monotonic clock in milliseconds, for timeouts and deadlines
 * that a change of the wall clock must not move.
 */
#ifndef NPR_MONO_H
#define NPR_MONO_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t mono_ms(void);

#endif
