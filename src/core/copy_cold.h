// Copies into parts that will not be read for a long time.
//
// When the queues of a socket are full, each part zmsg_send copies waits
// behind a high-water mark's worth of others before the I/O thread (or the
// receiver) reads it: at 64 KiB a part, 64 MB later. An ordinary copy
// first reads every destination line into the cache and then evicts data
// that is still wanted, only for the bytes to be gone from the cache by
// the time they are read. A non-temporal copy writes them straight to
// memory. It is only right while the queue is deep: a part that is read
// at once must be in the cache, so a thread copies this way only for a
// while after it found a socket's queues full.

#ifndef ZMI_COPY_COLD_H
#define ZMI_COPY_COLD_H

#include <stdbool.h>
#include <stddef.h>

// Parts smaller than this are always copied the ordinary way,
#define ZMI_COPY_COLD_MIN 16384
// and so are parts behind a full queue of fewer bytes than this (a
// high-water mark's worth of parts of that size).
#define ZMI_COPY_COLD_QUEUE_MIN (8u << 20)

// The calling thread found a socket's queues full (hwm: the socket's send
// high-water mark, so about that many parts are now queued ahead of its
// next ones).
void zmi_copy_cold_note_full(int hwm);
// True when a part of n bytes copied now on this thread will wait behind a
// deep queue (and counts it).
bool zmi_copy_cold_wanted(size_t n);
// memcpy, bypassing the cache for the destination where the CPU can.
void zmi_copy_cold(void *dst, const void *src, size_t n);

#endif
