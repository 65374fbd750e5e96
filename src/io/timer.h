// Timers kept in a binary min-heap ordered by deadline.
//
// Intrusive: the owner embeds a zmi_timer_t, so starting a timer allocates
// nothing except when the heap array grows. Used by one thread only (the
// I/O thread that owns the heap).

#ifndef ZMI_TIMER_H
#define ZMI_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct zmi_timer zmi_timer_t;
typedef void(zmi_timer_cb)(zmi_timer_t *t);

struct zmi_timer {
    int64_t deadline; // absolute, zmi_clock_ms() milliseconds
    int index;        // position in the heap, negative when not armed
    zmi_timer_cb *cb; // called once when the deadline passes
    void *arg;        // owner's data, free for the callback to use
};

typedef struct zmi_timers {
    zmi_timer_t **heap; // heap[0] has the earliest deadline
    zmi_timer_t **due;  // timers zmi_timers_run is about to call (cap slots)
    int count;          // armed timers
    int cap;            // allocated slots (in heap and in due)
} zmi_timers_t;

void zmi_timers_init(zmi_timers_t *ts);
void zmi_timers_fini(zmi_timers_t *ts);
// Prepares a timer; it starts unarmed.
void zmi_timer_init(zmi_timer_t *t, zmi_timer_cb *cb, void *arg);
// Arms (or re-arms) t to fire at deadline. Returns 0 or -ENOMEM.
int zmi_timers_add(zmi_timers_t *ts, zmi_timer_t *t, int64_t deadline);
// Disarms t; a no-op when it is not armed.
void zmi_timers_cancel(zmi_timers_t *ts, zmi_timer_t *t);
static inline bool
zmi_timer_armed(const zmi_timer_t *t)
{
    return t->index >= 0;
}
// Milliseconds from now until the earliest deadline (0 if already due),
// or -1 when no timer is armed.
int zmi_timers_timeout(const zmi_timers_t *ts, int64_t now);
// Disarms and calls every timer whose deadline <= now, in deadline order.
// A callback may add or cancel timers, including itself: a timer armed by
// a callback fires on a later run (even if already due), and cancelling or
// re-arming a due timer not yet called withdraws its call. Not re-entrant.
void zmi_timers_run(zmi_timers_t *ts, int64_t now);

#endif
