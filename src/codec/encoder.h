// ZMTP 3.x frame encoder with write batching (no I/O).
//
// Many small frames are packed into one batch buffer so that one write(2)
// carries them all; a body of at least ZMI_ENCODER_ZEROCOPY_MIN bytes is
// not copied but handed out as an iovec of its own that points into the
// message. Several such bodies can be pending at once, so one sendmsg(2)
// may carry the end of one big message and the start of the next. Used
// by one thread (the engine's).

#ifndef ZMI_ENCODER_H
#define ZMI_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/msg.h"

#define ZMI_ENCODER_ZEROCOPY_MIN 8192
// In-place bodies pending at once.
#define ZMI_ENCODER_BIG_MAX 8
// Iovecs that can describe everything pending: a batch stretch before
// each in-place body, the bodies, and the batch after the last one.
#define ZMI_ENCODER_IOV_MAX (2 * ZMI_ENCODER_BIG_MAX + 1)

// A message whose body goes out in place, after the batch octets before
// offset at.
typedef struct zmi_encoder_big {
    zmi_msg_t msg;
    size_t at;
} zmi_encoder_big_t;

typedef struct zmi_encoder {
    uint8_t *buf;    // batch buffer
    size_t cap;      // its size
    size_t off;      // first byte not yet written out
    size_t len;      // bytes in the batch
    zmi_encoder_big_t big[ZMI_ENCODER_BIG_MAX]; // in-place bodies, in order
    int nbig;        // how many
    size_t big_off;  // body bytes of big[0] already written out
    zmi_msg_buf_t *done_buf; // block of the last copied slice parts
    int done_refs;   // their references, given back together
} zmi_encoder_t;

// cap: batch buffer size (at least 256). Returns 0 or -ENOMEM.
int zmi_encoder_init(zmi_encoder_t *e, size_t cap);
// Frees the batch and any pending zero-copy messages.
void zmi_encoder_fini(zmi_encoder_t *e);
// Appends msg as one frame (MORE and COMMAND taken from its flags). On
// success the encoder owns msg (the caller's struct is left closed) and
// true is returned; false means no room until the pending output is
// written (msg untouched).
bool zmi_encoder_push(zmi_encoder_t *e, zmi_msg_t *msg);
// Appends raw octets (the greeting, a pre-encoded command frame). False
// when they don't fit now.
bool zmi_encoder_push_raw(zmi_encoder_t *e, const void *data, size_t n);
// Fills iov (max entries) with at most limit octets of what is ready to
// write, in order, and returns the count; 0 when nothing is pending.
int zmi_encoder_iov(zmi_encoder_t *e, struct iovec *iov, int max, size_t limit);
// Marks n octets (from the start of what zmi_encoder_iov returned) as
// written. Releases each zero-copy message once all its body is out.
void zmi_encoder_consumed(zmi_encoder_t *e, size_t n);
static inline bool
zmi_encoder_empty(const zmi_encoder_t *e)
{
    return e->off == e->len && e->nbig == 0;
}

#endif
