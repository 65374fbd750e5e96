// ZMTP 3.x frame decoder (RFC 37 section "Framing") as a step machine.
//
// Runs on the engine's thread only and does no I/O. It owns the frame under
// construction until the frame is complete and moved out to the caller.
// Each step says how many octets it wants and where: the flags octet and
// the size go to a small temp buffer, the body goes into the message, or,
// for a slice, stays where it is in the caller's block.

#include "codec/decoder.h"

#include <errno.h>
#include <string.h>

#include "codec/zmtp.h"

// Steps of the machine. A negative d->state is the errno of a protocol
// error: the decoder is dead and keeps returning it.
enum dec_state {
    DEC_FLAGS, // wants the flags octet in tmp
    DEC_SIZE, // wants 1 or 8 size octets in tmp
    DEC_BODY // wants size - body_have octets in the message
};

// The biggest size a LONG frame may carry (RFC 37: 0..2^63-1).
#define DEC_SIZE_MAX ((uint64_t) INT64_MAX)

void
zmi_decoder_init(zmi_decoder_t *d, int64_t maxmsgsize)
{
    memset(d, 0, sizeof(*d));
    d->state = DEC_FLAGS;
    d->tmp_need = 1;
    d->msg.type = ZMI_MSG_CLOSED;
    d->body = NULL;
    d->maxmsgsize = maxmsgsize < 0 ? -1 : maxmsgsize;
}

void
zmi_decoder_set_slicing(zmi_decoder_t *d, size_t max)
{
    d->slice_max = max;
}

void
zmi_decoder_fini(zmi_decoder_t *d)
{
    if (zmi_msg_is_valid(&d->msg))
        zmi_msg_close(&d->msg);
    d->body = NULL;
    d->slice_wait = false;
    d->state = DEC_FLAGS;
}

// Goes back to waiting for the next frame's flags octet.
static void
dec_next_frame(zmi_decoder_t *d)
{
    d->state = DEC_FLAGS;
    d->tmp_have = 0;
    d->tmp_need = 1;
    d->body = NULL;
    d->body_have = 0;
    d->slice_wait = false;
}

// The frame's MORE and COMMAND flags on the message being built.
static void
dec_msg_flags(zmi_decoder_t *d)
{
    if (d->flags & ZMI_ZMTP_MORE)
        d->msg.flags |= ZMI_MSG_MORE;
    if (d->flags & ZMI_ZMTP_COMMAND)
        d->msg.flags |= ZMI_MSG_COMMAND;
}

// Gives the body its own storage (inline, or one allocation) to copy into.
static int
dec_alloc_body(zmi_decoder_t *d)
{
    if (zmi_msg_init_size(&d->msg, (size_t) d->size) != 0)
        return -ENOMEM;
    dec_msg_flags(d);
    d->body = zmi_msg_data(&d->msg);
    d->body_have = 0;
    d->slice_wait = false;
    return 0;
}

// The frame is complete: hand the message over. *frame is an out
// parameter and is overwritten, not closed first, so that the caller may
// pass an uninitialised struct.
static int
dec_body_ready(zmi_decoder_t *d, zmi_msg_t *frame)
{
    *frame = d->msg;
    d->msg.type = ZMI_MSG_CLOSED;
    dec_next_frame(d);
    return 1;
}

// Validates the flags octet before any size octet is read, so a bad peer
// is dropped as early as possible.
static int
dec_flags_ready(zmi_decoder_t *d)
{
    uint8_t flags = d->tmp[0];
    if (flags & ZMI_ZMTP_RESERVED)
        return -EPROTO;
    // RFC 37: MORE must be zero on a command frame.
    if ((flags & ZMI_ZMTP_COMMAND) && (flags & ZMI_ZMTP_MORE))
        return -EPROTO;
    d->flags = flags;
    d->state = DEC_SIZE;
    d->tmp_have = 0;
    d->tmp_need = (flags & ZMI_ZMTP_LONG) ? 8 : 1;
    return 0;
}

// Checks the size against every limit before allocating the body, so a
// peer cannot make us allocate what we would reject. Completes a 0-byte
// frame at once. A body that will be a slice gets no storage.
static int
dec_size_ready(zmi_decoder_t *d, bool slicing, zmi_msg_t *frame)
{
    uint64_t size = 0;
    for (size_t i = 0; i < d->tmp_need; i++)
        size = size << 8 | d->tmp[i];
    // NB: a LONG size on a frame of 255 octets or less is accepted; RFC 37
    // only says the sender SHOULD use the short form.
    if (size > DEC_SIZE_MAX || size > SIZE_MAX)
        return -EMSGSIZE;
    if (d->flags & ZMI_ZMTP_COMMAND) {
        if (size > ZMI_ZMTP_COMMAND_MAX)
            return -EMSGSIZE;
    } else if (d->maxmsgsize >= 0 && size > (uint64_t) d->maxmsgsize) {
        return -EMSGSIZE;
    }
    d->size = size;
    d->state = DEC_BODY;
    if (slicing && size > ZMI_MSG_VSM_MAX && size <= d->slice_max) {
        d->slice_wait = true;
        d->body = NULL;
        d->body_have = 0;
        return 0;
    }
    if (dec_alloc_body(d) != 0)
        return -ENOMEM;
    if (size == 0)
        return dec_body_ready(d, frame);
    return 0;
}

void
zmi_decoder_read_target(zmi_decoder_t *d, uint8_t *buf, size_t buf_size,
    uint8_t **out, size_t *out_size)
{
    // A body at least as big as the read buffer is read in place: copying
    // it through the buffer would only add a memcpy per read.
    if (d->state == DEC_BODY && !d->slice_wait) {
        size_t remaining = (size_t) d->size - d->body_have;
        if (remaining >= buf_size) {
            *out = d->body + d->body_have;
            *out_size = remaining;
            return;
        }
    }
    *out = buf;
    *out_size = buf_size;
}

int
zmi_decoder_decode(zmi_decoder_t *d, const uint8_t *data, size_t n,
    size_t *used, zmi_msg_t *frame)
{
    return zmi_decoder_decode_buf(d, NULL, data, n, used, frame);
}

int
zmi_decoder_decode_buf(zmi_decoder_t *d, zmi_msg_buf_t *buf,
    const uint8_t *data, size_t n, size_t *used, zmi_msg_t *frame)
{
    size_t pos = 0;
    int rc = 0;

    *used = 0;
    if (d->state < 0)
        return d->state;
    if (data == NULL)
        n = 0;

    for (;;) {
        size_t avail = n - pos;
        if (d->state == DEC_BODY && d->slice_wait) {
            if (buf == NULL) {
                // Not from a block after all: fall back to a copy.
                if (dec_alloc_body(d) != 0) {
                    rc = -ENOMEM;
                    break;
                }
                continue;
            }
            if (avail < d->size)
                break; // whole or not at all; the caller keeps the octets
            // Same address as data + pos, reached through the writable
            // block the caller owns.
            size_t off = (size_t) (data + pos - buf->data);
            zmi_msg_init_slice(&d->msg, buf, buf->data + off, (size_t) d->size);
            dec_msg_flags(d);
            pos += (size_t) d->size;
            rc = dec_body_ready(d, frame);
        } else if (d->state == DEC_BODY) {
            size_t want = (size_t) d->size - d->body_have;
            size_t take = avail < want ? avail : want;
            uint8_t *dst = d->body + d->body_have;
            // NB: bytes read into the pointer from zmi_decoder_read_target
            // are already in place; only count them.
            if (take > 0 && data + pos != dst)
                memcpy(dst, data + pos, take);
            d->body_have += take;
            pos += take;
            if (d->body_have < d->size)
                break;
            rc = dec_body_ready(d, frame);
        } else if (d->state == DEC_FLAGS && avail >= 2 &&
                   (avail >= ZMI_ZMTP_HEADER_MAX ||
                    !(data[pos] & ZMI_ZMTP_LONG))) {
            // The whole header is here (the usual case inside a big
            // read): take it in one step instead of octet by octet.
            d->tmp[0] = data[pos++];
            rc = dec_flags_ready(d);
            if (rc != 0)
                break;
            for (size_t i = 0; i < d->tmp_need; i++)
                d->tmp[i] = data[pos + i];
            pos += d->tmp_need;
            d->tmp_have = d->tmp_need;
            rc = dec_size_ready(d, buf != NULL, frame);
        } else {
            size_t want = d->tmp_need - d->tmp_have;
            size_t take = avail < want ? avail : want;
            if (take > 0)
                memcpy(d->tmp + d->tmp_have, data + pos, take);
            d->tmp_have += take;
            pos += take;
            if (d->tmp_have < d->tmp_need)
                break;
            if (d->state == DEC_FLAGS)
                rc = dec_flags_ready(d);
            else
                rc = dec_size_ready(d, buf != NULL, frame);
        }
        if (rc != 0)
            break;
    }

    *used = pos;
    if (rc < 0)
        d->state = rc;
    return rc;
}
