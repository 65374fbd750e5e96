// Commands between threads: many senders, one receiver, woken by a
// signaler only on the empty -> non-empty edge.
//
// Senders take a mutex (commands are rare next to messages: they flow on
// pipe edges and life-cycle events, never per message), and write the
// signaler after releasing it. The receiver pops without blocking or waits
// with a timeout.

#ifndef ZMI_MAILBOX_H
#define ZMI_MAILBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "io/command.h"
#include "io/signaler.h"

typedef struct zmi_mailbox {
    pthread_mutex_t lock; // guards everything below but `pending`
    zmi_cmd_t *ring;      // circular buffer of queued commands
    unsigned cap;         // ring capacity (a power of two)
    unsigned head;        // next to pop
    unsigned count;       // queued commands
    bool signaled;        // the signaler holds an unconsumed wake-up
    atomic_uint pending;  // mirror of count, read without the lock
    atomic_int writers;   // senders still to write the signaler (after
                          // unlocking); fini waits for them
    zmi_signaler_t sig;   // wakes the receiver
} zmi_mailbox_t;

// Returns 0 or a negative errno.
int zmi_mailbox_init(zmi_mailbox_t *mb);
void zmi_mailbox_fini(zmi_mailbox_t *mb);
// Queues a command; never fails (grows the ring, aborts only if memory is
// exhausted for a command ring, an internal invariant).
void zmi_mailbox_send(zmi_mailbox_t *mb, const zmi_cmd_t *cmd);
// Pops one command: 0 when *cmd was filled, -EAGAIN when nothing arrived
// within timeout_ms (0: don't wait, -1: forever), -EINTR on a signal.
int zmi_mailbox_recv(zmi_mailbox_t *mb, zmi_cmd_t *cmd, int timeout_ms);
// True when a command may be waiting; a cheap check, no syscall, no lock.
static inline bool
zmi_mailbox_has_pending(zmi_mailbox_t *mb)
{
    return atomic_load_explicit(&mb->pending, memory_order_acquire) != 0;
}
// The fd that is readable while commands are pending (for reactors and
// ZMSG_FD).
static inline int
zmi_mailbox_fd(const zmi_mailbox_t *mb)
{
    return mb->sig.rfd;
}

#endif
