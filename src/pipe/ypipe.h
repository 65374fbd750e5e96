// A lock-free single-producer/single-consumer queue of message parts.
//
// The writer appends parts without publishing them (write) and publishes a
// batch with one compare-and-swap (flush). A reader that finds the queue
// empty marks itself asleep in the same shared pointer, so flush tells the
// writer exactly when the reader needs a wake-up: the empty -> non-empty
// edge. Storage grows in chunks of ZMI_YPIPE_CHUNK parts and keeps one
// spare chunk, so steady traffic allocates nothing.
//
// Threads: write/unwrite/flush on the writer's thread only; check_read/read/
// probe on the reader's thread only. Init and fini when no one else uses it.

#ifndef ZMI_YPIPE_H
#define ZMI_YPIPE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/msg.h"

#define ZMI_YPIPE_CHUNK 256

typedef struct zmi_ypipe_chunk {
    zmi_msg_t values[ZMI_YPIPE_CHUNK];
    struct zmi_ypipe_chunk *prev;
    struct zmi_ypipe_chunk *next;
} zmi_ypipe_chunk_t;

typedef struct zmi_ypipe {
    // Reader side.
    zmi_ypipe_chunk_t *begin_chunk; // reader: chunk holding the front
    int begin_pos;                  // reader: index of the front part
    zmi_msg_t *r;                   // reader: first part not prefetched
    char pad1[64];                  // keeps reader and writer fields on
                                    // separate cache lines
    // Writer side.
    zmi_ypipe_chunk_t *back_chunk;  // writer: chunk of the last slot
    int back_pos;                   // writer
    zmi_ypipe_chunk_t *end_chunk;   // writer: chunk of the next slot
    int end_pos;                    // writer
    zmi_msg_t *w;                   // writer: first part not flushed
    zmi_msg_t *f;                   // writer: first part of an incomplete
                                    // message (flush stops there)
    char pad2[64];
    // Shared.
    _Atomic(zmi_msg_t *) c;               // last flushed position, or
                                          // NULL when the reader sleeps
    _Atomic(zmi_ypipe_chunk_t *) spare;   // one recycled chunk
} zmi_ypipe_t;

// Returns 0 or -ENOMEM.
int zmi_ypipe_init(zmi_ypipe_t *p);
// Closes every part still queued (flushed or not) and frees the storage.
void zmi_ypipe_fini(zmi_ypipe_t *p);
// Appends *msg (the struct is moved in; the caller's copy must not be used
// again). incomplete: more parts of the same message follow, so a flush
// will not publish this part yet. Returns 0 or -ENOMEM.
int zmi_ypipe_write(zmi_ypipe_t *p, const zmi_msg_t *msg, bool incomplete);
// Takes back the last written, unflushed part of an incomplete message.
// Returns false when there is none.
bool zmi_ypipe_unwrite(zmi_ypipe_t *p, zmi_msg_t *msg);
// Publishes every complete written part. Returns false when the reader was
// asleep and must be woken by the caller; true otherwise.
bool zmi_ypipe_flush(zmi_ypipe_t *p);
// True when a part can be read. When false, the reader is now marked
// asleep and the next flush will return false.
bool zmi_ypipe_check_read(zmi_ypipe_t *p);
// Pops the front part into *msg (moved out). False when empty (and the
// reader is then asleep, as for check_read).
bool zmi_ypipe_read(zmi_ypipe_t *p, zmi_msg_t *msg);
// Pointer to the front part without popping it, or NULL when empty.
const zmi_msg_t *zmi_ypipe_front(zmi_ypipe_t *p);

#endif
