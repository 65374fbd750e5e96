// A conflating slot: the lock-free single-producer/single-consumer stand-in
// for a ypipe when ZMSG_CONFLATE keeps only the newest message.
//
// The writer swaps its part into one shared pointer and frees whatever
// unread part it displaced; the reader swaps the pointer out. As in a
// ypipe, a reader that finds the slot empty leaves a sleep mark in it, so
// the writer learns exactly when the reader needs a wake-up. Parts live in
// small heap nodes that are recycled through one spare, so steady traffic
// allocates nothing. Multipart messages are not supported (as in libzmq):
// every part stands alone.
//
// Threads: write on the writer's thread only; read on the reader's.
// Init and fini when no one else uses it.

#ifndef ZMI_CSLOT_H
#define ZMI_CSLOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"

typedef struct zmi_cslot {
    _Atomic(uintptr_t) slot;  // a node, 0 (empty) or the sleep mark
    _Atomic(uintptr_t) spare; // a recycled node, or 0
    uint64_t replaced;        // writer: unread parts dropped for newer ones
} zmi_cslot_t;

void zmi_cslot_init(zmi_cslot_t *c);
// Closes a part still held and frees the nodes.
void zmi_cslot_fini(zmi_cslot_t *c);
// Publishes *msg (moved in), replacing an unread part. Returns -ENOMEM
// (msg untouched), 0, or 1 when the reader was asleep and must be woken.
int zmi_cslot_write(zmi_cslot_t *c, zmi_msg_t *msg);
// Takes the part into *msg. False when empty (the reader then sleeps).
// NB: there is no peek: the writer may free a node the reader only looked
// at, so a reader that wants to look first takes the part and keeps it.
bool zmi_cslot_read(zmi_cslot_t *c, zmi_msg_t *msg);

#endif
