// Mailbox: commands from any thread to one receiving thread.
//
// Senders (any thread) append to a mutex-protected ring of zmi_cmd_t and
// write the signaler (after unlocking) only on the empty -> signalled edge;
// the receiver (the owning thread) pops or waits. The mailbox owns its ring and signaler.

#include "io/mailbox.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/err.h"

// Initial ring capacity (a power of two); it doubles when full.
#define MB_MIN_CAP 16u

// Doubles the ring, unrolling the queued commands to the front of the new
// one. Called with the lock held. A command ring that cannot grow is an
// exhausted-memory invariant failure: send has no way to report it, and
// losing a command would leave a pipe or socket stuck forever.
static void
mb_grow(zmi_mailbox_t *mb)
{
    zmi_cmd_t *ring = NULL;
    unsigned cap = mb->cap * 2;

    // calloc checks the size multiplication for overflow.
    if (cap > mb->cap)
        ring = calloc(cap, sizeof(*ring));
    ZMI_ASSERT(ring != NULL);
    for (unsigned i = 0; i < mb->count; i++)
        ring[i] = mb->ring[(mb->head + i) & (mb->cap - 1)];
    free(mb->ring);
    mb->ring = ring;
    mb->cap = cap;
    mb->head = 0;
}

int
zmi_mailbox_init(zmi_mailbox_t *mb)
{
    int rc;

    mb->ring = malloc(MB_MIN_CAP * sizeof(*mb->ring));
    if (mb->ring == NULL)
        return -ENOMEM;
    mb->cap = MB_MIN_CAP;
    mb->head = 0;
    mb->count = 0;
    mb->signaled = false;
    atomic_init(&mb->pending, 0);
    atomic_init(&mb->writers, 0);
    if ((rc = zmi_signaler_init(&mb->sig)) != 0) {
        free(mb->ring);
        mb->ring = NULL;
        return rc;
    }
    if ((rc = pthread_mutex_init(&mb->lock, NULL)) != 0) {
        zmi_signaler_fini(&mb->sig);
        free(mb->ring);
        mb->ring = NULL;
        return -rc;
    }
    return 0;
}

void
zmi_mailbox_fini(zmi_mailbox_t *mb)
{
    // A sender may still be about to write the signaler for a command the
    // owner already took (and acted on by going away): wait for it before
    // the fd and the mailbox go. It is a moment, and only happens when the
    // owner ends right after a wake-up.
    while (atomic_load_explicit(&mb->writers, memory_order_acquire) != 0)
        sched_yield();
    pthread_mutex_destroy(&mb->lock);
    zmi_signaler_fini(&mb->sig);
    free(mb->ring);
    mb->ring = NULL;
    mb->cap = 0;
    mb->count = 0;
    atomic_store_explicit(&mb->pending, 0, memory_order_relaxed);
}

// The signaler is written after the lock is released: written under it,
// the woken receiver (at once, when both threads share a CPU) would find
// the lock still held and block on it, a futex round trip per wake-up. So
// a write may land after the receiver already found the command and
// drained: that leaves a stale wake-up in the fd, which the next empty pop
// consumes (see mb_pop), costing one spurious wake at most; and the owner
// may take the command and end before the write: `writers` makes
// zmi_mailbox_fini wait for it.
void
zmi_mailbox_send(zmi_mailbox_t *mb, const zmi_cmd_t *cmd)
{
    pthread_mutex_lock(&mb->lock);
    if (mb->count == mb->cap)
        mb_grow(mb);
    mb->ring[(mb->head + mb->count) & (mb->cap - 1)] = *cmd;
    mb->count++;
    atomic_store_explicit(&mb->pending, mb->count, memory_order_release);
    bool wake = !mb->signaled;
    mb->signaled = true;
    if (wake)
        atomic_fetch_add_explicit(&mb->writers, 1, memory_order_relaxed);
    pthread_mutex_unlock(&mb->lock);
    if (wake) {
        zmi_signaler_send(&mb->sig);
        // NB: the last touch of the mailbox; fini waits for it.
        atomic_fetch_sub_explicit(&mb->writers, 1, memory_order_release);
    }
}

// Pops one command if there is one. Otherwise consumes the wake-up in the
// fd and clears `signaled`, so that the next send writes the signaler
// again: NB this happens under the lock and before the caller polls, which
// is why no wake-up is lost. The fd is read when it was signalled, or, with
// `woken` (the caller saw the fd readable, or can't tell), in case a stale
// wake-up sits there. A receiver that keeps finding commands never drains,
// and its senders never write: a busy mailbox makes no syscall.
static bool
mb_pop(zmi_mailbox_t *mb, zmi_cmd_t *cmd, bool woken)
{
    bool got = false;

    pthread_mutex_lock(&mb->lock);
    if (mb->count > 0) {
        *cmd = mb->ring[mb->head];
        mb->head = (mb->head + 1) & (mb->cap - 1);
        mb->count--;
        atomic_store_explicit(&mb->pending, mb->count, memory_order_release);
        got = true;
    } else if (mb->signaled || woken) {
        zmi_signaler_drain(&mb->sig);
        mb->signaled = false;
    }
    pthread_mutex_unlock(&mb->lock);
    return got;
}

int
zmi_mailbox_recv(zmi_mailbox_t *mb, zmi_cmd_t *cmd, int timeout_ms)
{
    int64_t deadline = 0;
    int wait_ms = timeout_ms < 0 ? -1 : timeout_ms;
    int rc;

    if (timeout_ms > 0)
        deadline = zmi_clock_ms() + timeout_ms;
    // NB: a call that doesn't wait is how reactors react to the fd being
    // readable: it may be a stale wake-up, which must go.
    bool woken = timeout_ms == 0;
    for (;;) {
        if (mb_pop(mb, cmd, woken))
            return 0;
        if (timeout_ms == 0)
            return -EAGAIN;
        if (timeout_ms > 0) {
            int64_t left = deadline - zmi_clock_ms();
            if (left <= 0)
                return -EAGAIN;
            wait_ms = (int) left;
        }
        // Woken or timed out, go back to the pop: it finds the command, or
        // the deadline check above ends the wait.
        rc = zmi_signaler_wait(&mb->sig, wait_ms);
        if (rc != 0 && rc != -EAGAIN)
            return rc;
        woken = true;
    }
}
