// Timers: a binary min-heap of intrusive zmi_timer_t ordered by deadline.
//
// Run by the single thread that owns the heap (an I/O thread). Each armed
// timer stores its heap index, so cancel and re-arm are O(log n) with no
// search. The heap owns only its pointer array, never the timers.

#include "io/timer.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

// First allocation of the heap array; it doubles from there.
#define TIMER_MIN_CAP 16

static inline void
timer_place(zmi_timers_t *ts, zmi_timer_t *t, int i)
{
    ts->heap[i] = t;
    t->index = i;
}

// Moves the timer at i towards the root while it is earlier than its
// parent.
static void
timer_sift_up(zmi_timers_t *ts, int i)
{
    zmi_timer_t *t = ts->heap[i];

    while (i > 0) {
        int parent = (i - 1) / 2;
        if (ts->heap[parent]->deadline <= t->deadline)
            break;
        timer_place(ts, ts->heap[parent], i);
        i = parent;
    }
    timer_place(ts, t, i);
}

// Moves the timer at i towards the leaves while a child is earlier.
static void
timer_sift_down(zmi_timers_t *ts, int i)
{
    zmi_timer_t *t = ts->heap[i];

    for (;;) {
        int child = 2 * i + 1;
        if (child >= ts->count)
            break;
        if (child + 1 < ts->count
            && ts->heap[child + 1]->deadline < ts->heap[child]->deadline)
            child++;
        if (t->deadline <= ts->heap[child]->deadline)
            break;
        timer_place(ts, ts->heap[child], i);
        i = child;
    }
    timer_place(ts, t, i);
}

// Restores the heap order around slot i after its deadline changed or
// another timer was moved into it.
static void
timer_fix(zmi_timers_t *ts, int i)
{
    if (i > 0 && ts->heap[(i - 1) / 2]->deadline > ts->heap[i]->deadline)
        timer_sift_up(ts, i);
    else
        timer_sift_down(ts, i);
}

// Doubles both arrays; zmi_timers_run may be using `due`, and realloc
// keeps its entries.
static int
timer_grow(zmi_timers_t *ts)
{
    int cap = ts->cap ? ts->cap : TIMER_MIN_CAP / 2;
    zmi_timer_t **arr;

    if (cap > INT_MAX / 2 || (size_t) cap * 2 > SIZE_MAX / sizeof(*arr))
        return -ENOMEM;
    cap *= 2;
    arr = realloc(ts->heap, (size_t) cap * sizeof(*arr));
    if (arr == NULL)
        return -ENOMEM;
    ts->heap = arr;
    arr = realloc(ts->due, (size_t) cap * sizeof(*arr));
    if (arr == NULL)
        return -ENOMEM;
    ts->due = arr;
    ts->cap = cap;
    return 0;
}

// Removes the armed timer t from the heap.
static void
timer_remove(zmi_timers_t *ts, zmi_timer_t *t)
{
    int i = t->index;
    zmi_timer_t *last = ts->heap[--ts->count];

    t->index = -1;
    if (last == t)
        return;
    // Fill the hole with the last leaf and restore the order from there.
    timer_place(ts, last, i);
    timer_fix(ts, i);
}

void
zmi_timers_init(zmi_timers_t *ts)
{
    ts->heap = NULL;
    ts->due = NULL;
    ts->count = 0;
    ts->cap = 0;
}

void
zmi_timers_fini(zmi_timers_t *ts)
{
    // Leave the owners' timers in a consistent, unarmed state.
    for (int i = 0; i < ts->count; i++)
        ts->heap[i]->index = -1;
    free(ts->heap);
    free(ts->due);
    zmi_timers_init(ts);
}

void
zmi_timer_init(zmi_timer_t *t, zmi_timer_cb *cb, void *arg)
{
    t->deadline = 0;
    t->index = -1;
    t->cb = cb;
    t->arg = arg;
}

// Index encoding: >= 0 is a heap slot, -1 is unarmed, and -2 - i means
// "disarmed, but zmi_timers_run will call it from due[i]".
int
zmi_timers_add(zmi_timers_t *ts, zmi_timer_t *t, int64_t deadline)
{
    int rc;

    if (zmi_timer_armed(t)) {
        // Re-arming keeps the slot: no allocation, so this cannot fail.
        t->deadline = deadline;
        timer_fix(ts, t->index);
        return 0;
    }
    if (ts->count == ts->cap && (rc = timer_grow(ts)) != 0)
        return rc;
    // A timer waiting in the running zmi_timers_run's due list loses that
    // call: it now fires at its new deadline instead.
    zmi_timers_cancel(ts, t);
    t->deadline = deadline;
    timer_place(ts, t, ts->count++);
    timer_sift_up(ts, t->index);
    return 0;
}

void
zmi_timers_cancel(zmi_timers_t *ts, zmi_timer_t *t)
{
    if (t->index >= 0)
        timer_remove(ts, t);
    else if (t->index < -1)
        ts->due[-2 - t->index] = NULL;
    t->index = -1;
}

int
zmi_timers_timeout(const zmi_timers_t *ts, int64_t now)
{
    int64_t d;

    if (ts->count == 0)
        return -1;
    d = ts->heap[0]->deadline - now;
    if (d <= 0)
        return 0;
    return d > INT_MAX ? INT_MAX : (int) d;
}

// Works in two steps, as libuv does: first every due timer moves from the
// heap to the due list, then the list is called in deadline order. NB: a
// timer a callback arms (even for a passed deadline, even itself) is not in
// the list, so it fires on a later run and cannot keep this one looping;
// cancelling or re-arming a listed timer withdraws its call. Not
// re-entrant: a callback must not call zmi_timers_run on the same heap.
void
zmi_timers_run(zmi_timers_t *ts, int64_t now)
{
    int n = 0;

    while (ts->count > 0 && ts->heap[0]->deadline <= now) {
        zmi_timer_t *t = ts->heap[0];

        // The due list never outgrows the heap array, which held them all.
        timer_remove(ts, t);
        ts->due[n] = t;
        t->index = -2 - n;
        n++;
    }
    for (int i = 0; i < n; i++) {
        zmi_timer_t *t = ts->due[i];

        if (t == NULL)
            continue;
        ts->due[i] = NULL;
        t->index = -1;
        t->cb(t);
    }
}
