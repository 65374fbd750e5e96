// Monotonic time in milliseconds, for timeouts and timers. Any thread.

#ifndef ZMI_CLOCK_H
#define ZMI_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
zmi_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
