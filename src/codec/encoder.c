// ZMTP 3.x frame encoder with write batching (RFC 37 section "Framing").
//
// Runs on the engine's thread only and does no I/O. It owns the batch
// buffer and, while has_big is set, one message whose body is written in
// place: small frames are copied into the batch so one write(2) carries
// many; a big body becomes a second iovec instead of a copy.

#include "codec/encoder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/zmtp.h"
#include "codec/zmtp_cmd.h"

// Smallest batch: a short header plus a body of up to 255 octets must fit
// so that any frame not sent in place can always be copied.
#define ENC_CAP_MIN 256

int
zmi_encoder_init(zmi_encoder_t *e, size_t cap)
{
    if (cap < ENC_CAP_MIN)
        cap = ENC_CAP_MIN;
    memset(e, 0, sizeof(*e));
    e->buf = malloc(cap);
    if (e->buf == NULL)
        return -ENOMEM;
    e->cap = cap;
    e->big.type = ZMI_MSG_CLOSED;
    e->has_big = false;
    return 0;
}

// Closes a part whose bytes are in the batch. Consecutive slices of one
// block (a sender's arena) give their references back with one atomic
// operation, in enc_release_done, instead of one each.
static void
enc_close(zmi_encoder_t *e, zmi_msg_t *msg)
{
    if (msg->type != ZMI_MSG_SLICE) {
        zmi_msg_close(msg);
        return;
    }
    zmi_msg_buf_t *b = msg->u.slice.buf;
    msg->type = ZMI_MSG_CLOSED;
    if (b != e->done_buf) {
        if (e->done_buf != NULL)
            zmi_msg_buf_unref(e->done_buf, e->done_refs);
        e->done_buf = b;
        e->done_refs = 0;
    }
    e->done_refs++;
}

static void
enc_release_done(zmi_encoder_t *e)
{
    if (e->done_buf != NULL)
        zmi_msg_buf_unref(e->done_buf, e->done_refs);
    e->done_buf = NULL;
    e->done_refs = 0;
}

void
zmi_encoder_fini(zmi_encoder_t *e)
{
    enc_release_done(e);
    if (e->has_big)
        zmi_msg_close(&e->big);
    e->has_big = false;
    free(e->buf);
    e->buf = NULL;
    e->cap = e->off = e->len = 0;
}

// Makes room for n more octets at the end of the batch, sliding the
// unwritten part to the front when that is what it takes. Returns false
// when n octets cannot fit until more is written out.
static bool
enc_room(zmi_encoder_t *e, size_t n)
{
    if (e->cap - e->len >= n)
        return true;
    if (e->off > 0 && e->cap - (e->len - e->off) >= n) {
        memmove(e->buf, e->buf + e->off, e->len - e->off);
        e->len -= e->off;
        e->off = 0;
        return true;
    }
    return false;
}

static void
enc_append(zmi_encoder_t *e, const void *data, size_t n)
{
    // NB: n == 0 may come with data == NULL, which memcpy must not see.
    if (n > 0)
        memcpy(e->buf + e->len, data, n);
    e->len += n;
}

bool
zmi_encoder_push(zmi_encoder_t *e, zmi_msg_t *msg)
{
    // NB: nothing may be appended after an in-place body, or it would go
    // out before that body.
    if (e->has_big)
        return false;

    size_t size = zmi_msg_size(msg);
    uint8_t flags = 0;
    if (msg->flags & ZMI_MSG_MORE)
        flags |= ZMI_ZMTP_MORE;
    if (msg->flags & ZMI_MSG_COMMAND)
        flags |= ZMI_ZMTP_COMMAND;
    uint8_t hdr[ZMI_ZMTP_HEADER_MAX];
    size_t hdr_len = zmi_zmtp_frame_header(hdr, flags, size);

    // A big body is sent in place. So is a body that could never fit the
    // batch next to its header (a batch smaller than the zero-copy
    // threshold), so that every frame makes progress.
    bool in_place = size >= ZMI_ENCODER_ZEROCOPY_MIN || size > e->cap - hdr_len;
    if (in_place) {
        if (!enc_room(e, hdr_len))
            return false;
        enc_append(e, hdr, hdr_len);
        e->big = *msg;
        e->big_off = 0;
        e->has_big = true;
        msg->type = ZMI_MSG_CLOSED;
        return true;
    }

    if (!enc_room(e, hdr_len + size))
        return false;
    enc_append(e, hdr, hdr_len);
    enc_append(e, zmi_msg_data(msg), size);
    enc_close(e, msg);
    return true;
}

bool
zmi_encoder_push_raw(zmi_encoder_t *e, const void *data, size_t n)
{
    if (e->has_big)
        return false;
    if (n > e->cap || !enc_room(e, n))
        return false;
    enc_append(e, data, n);
    return true;
}

int
zmi_encoder_iov(zmi_encoder_t *e, struct iovec iov[2])
{
    // The parts copied so far are done with: one release for the batch.
    enc_release_done(e);
    int count = 0;
    if (e->off < e->len) {
        iov[count].iov_base = e->buf + e->off;
        iov[count].iov_len = e->len - e->off;
        count++;
    }
    if (e->has_big) {
        size_t size = zmi_msg_size(&e->big);
        if (e->big_off < size) {
            iov[count].iov_base
                = (uint8_t *) zmi_msg_data(&e->big) + e->big_off;
            iov[count].iov_len = size - e->big_off;
            count++;
        }
    }
    return count;
}

void
zmi_encoder_consumed(zmi_encoder_t *e, size_t n)
{
    // The batch goes out first, then the in-place body: the same order as
    // the iovecs.
    size_t in_batch = e->len - e->off;
    size_t take = n < in_batch ? n : in_batch;
    e->off += take;
    n -= take;
    if (e->off == e->len)
        e->off = e->len = 0;

    if (e->has_big) {
        size_t left = zmi_msg_size(&e->big) - e->big_off;
        take = n < left ? n : left;
        e->big_off += take;
        if (e->big_off == zmi_msg_size(&e->big)) {
            zmi_msg_close(&e->big);
            e->has_big = false;
            e->big_off = 0;
        }
    }
}
