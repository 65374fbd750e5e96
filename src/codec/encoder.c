// ZMTP 3.x frame encoder with write batching (RFC 37 section "Framing").
//
// Runs on the engine's thread only and does no I/O. It owns the batch
// buffer and up to ZMI_ENCODER_BIG_MAX messages whose bodies are written
// in place: small frames are copied into the batch so one write(2)
// carries many; a big body becomes an iovec of its own instead of a copy,
// marked by the batch offset it follows so that the output keeps the
// order in which frames were pushed.

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
    for (int i = 0; i < e->nbig; i++)
        zmi_msg_close(&e->big[i].msg);
    e->nbig = 0;
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
        // NB: no body's mark lies before off: the batch is written only
        // up to the first pending body.
        memmove(e->buf, e->buf + e->off, e->len - e->off);
        for (int i = 0; i < e->nbig; i++)
            e->big[i].at -= e->off;
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
        if (e->nbig == ZMI_ENCODER_BIG_MAX || !enc_room(e, hdr_len))
            return false;
        enc_append(e, hdr, hdr_len);
        e->big[e->nbig].msg = *msg;
        e->big[e->nbig].at = e->len;
        e->nbig++;
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
    if (n > e->cap || !enc_room(e, n))
        return false;
    enc_append(e, data, n);
    return true;
}

// Adds [p, p + n) to iov unless it is empty or the count or the octet
// limit is reached. Returns false once nothing more may be added.
static bool
enc_iov_add(struct iovec *iov, int *count, int max, size_t *room,
            const uint8_t *p, size_t n)
{
    if (n == 0)
        return *count < max && *room > 0;
    if (n > *room)
        n = *room;
    iov[*count].iov_base = (void *) p;
    iov[*count].iov_len = n;
    (*count)++;
    *room -= n;
    return *count < max && *room > 0;
}

int
zmi_encoder_iov(zmi_encoder_t *e, struct iovec *iov, int max, size_t limit)
{
    // The parts copied so far are done with: one release for the batch.
    enc_release_done(e);
    int count = 0;
    size_t room = limit;
    size_t pos = e->off;
    if (max <= 0 || limit == 0)
        return 0;
    for (int i = 0; i < e->nbig; i++) {
        zmi_msg_t *m = &e->big[i].msg;
        size_t skip = i == 0 ? e->big_off : 0;
        if (!enc_iov_add(iov, &count, max, &room, e->buf + pos,
                         e->big[i].at - pos))
            return count;
        if (!enc_iov_add(iov, &count, max, &room,
                         (const uint8_t *) zmi_msg_data(m) + skip,
                         zmi_msg_size(m) - skip))
            return count;
        pos = e->big[i].at;
    }
    enc_iov_add(iov, &count, max, &room, e->buf + pos, e->len - pos);
    return count;
}

// The first pending body is all out: close it and move the rest up.
static void
enc_big_done(zmi_encoder_t *e)
{
    zmi_msg_close(&e->big[0].msg);
    e->nbig--;
    memmove(&e->big[0], &e->big[1], (size_t) e->nbig * sizeof(e->big[0]));
    e->big_off = 0;
}

void
zmi_encoder_consumed(zmi_encoder_t *e, size_t n)
{
    // Batch octets up to the first body's mark go out first, then that
    // body, and so on: the order of the iovecs.
    for (;;) {
        size_t end = e->nbig > 0 ? e->big[0].at : e->len;
        size_t take = n < end - e->off ? n : end - e->off;
        e->off += take;
        n -= take;
        if (e->off < end || e->nbig == 0)
            break;
        size_t left = zmi_msg_size(&e->big[0].msg) - e->big_off;
        take = n < left ? n : left;
        e->big_off += take;
        n -= take;
        if (take < left)
            break;
        enc_big_done(e);
    }
    if (e->nbig == 0 && e->off == e->len)
        e->off = e->len = 0;
}
