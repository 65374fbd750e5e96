// libFuzzer target for the ZMTP frame decoder (codec/decoder.h).
//
// Input: byte 0 picks how the stream is cut into reads, bytes 1-2 the
// maximum message size (0..65534, 0xFFFF for no limit), the rest is the
// stream. Every frame the decoder returns is checked against a reference
// parse of the same bytes (flags, size, body, final error), then closed.

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/decoder.h"
#include "codec/zmtp.h"

// Largest body an unlimited decoder may see here: it allocates what a frame
// announces (by design, as libzmq does), which libFuzzer would report as
// out-of-memory.
#define FUZZ_UNLIMITED_MAX (1u << 20)

// What the reference parse expects of the stream.
typedef struct expect {
    const uint8_t *data; // the stream
    size_t n; // its length
    size_t pos; // start of the next frame's header
    int64_t max; // maxmsgsize in effect
} expect_t;

static void
fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_decoder: %s\n", what);
    abort();
}

// Reads the header of the frame at data[p]. Returns 1 with its flags, size
// and header length, 0 when the stream ends inside the header, or -EPROTO
// for flags the decoder must refuse.
static int
header_at(const uint8_t *data, size_t n, size_t p, uint8_t *flags,
    uint64_t *size, size_t *hdr)
{
    if (p >= n)
        return 0;
    uint8_t f = data[p];
    if ((f & ZMI_ZMTP_RESERVED)
        || ((f & ZMI_ZMTP_COMMAND) && (f & ZMI_ZMTP_MORE)))
        return -EPROTO;
    size_t len = (f & ZMI_ZMTP_LONG) ? 8 : 1;
    if (n - p - 1 < len)
        return 0;
    uint64_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = s << 8 | data[p + 1 + i];
    *flags = f;
    *size = s;
    *hdr = 1 + len;
    return 1;
}

// Reference parse of the frame at e->pos. Returns 1 and sets flags, size,
// body (advancing e->pos), 0 when the stream ends inside the frame, or the
// negative errno the decoder must report.
static int
expect_next(expect_t *e, uint8_t *flags, uint64_t *size, const uint8_t **body)
{
    uint8_t f;
    uint64_t s;
    size_t hdr;
    int rc = header_at(e->data, e->n, e->pos, &f, &s, &hdr);
    if (rc != 1)
        return rc;
    if (s > (uint64_t) INT64_MAX)
        return -EMSGSIZE;
    if (f & ZMI_ZMTP_COMMAND) {
        if (s > ZMI_ZMTP_COMMAND_MAX)
            return -EMSGSIZE;
    } else if (e->max >= 0 && s > (uint64_t) e->max) {
        return -EMSGSIZE;
    }
    size_t p = e->pos + hdr;
    if (e->n - p < s)
        return 0;
    *flags = f;
    *size = s;
    *body = e->data + p;
    e->pos = p + (size_t) s;
    return 1;
}

// True when an unlimited decoder would be asked to allocate a body above
// FUZZ_UNLIMITED_MAX.
static bool
announces_big_frame(const uint8_t *data, size_t n)
{
    expect_t e = { data, n, 0, -1 };
    for (;;) {
        uint8_t f;
        uint64_t s;
        size_t hdr;
        const uint8_t *b;
        if (header_at(data, n, e.pos, &f, &s, &hdr) != 1)
            return false;
        if (!(f & ZMI_ZMTP_COMMAND) && s > FUZZ_UNLIMITED_MAX
            && s <= (uint64_t) INT64_MAX)
            return true;
        if (expect_next(&e, &f, &s, &b) != 1)
            return false;
    }
}

// Checks one decoded frame against the reference, then closes it.
static void
check_frame(expect_t *e, zmi_msg_t *frame)
{
    uint8_t flags;
    uint64_t size;
    const uint8_t *body;
    if (expect_next(e, &flags, &size, &body) != 1)
        fuzz_fail("decoder returned a frame the reference does not see");
    if (zmi_msg_size(frame) != size)
        fuzz_fail("frame size differs");
    bool more = (frame->flags & ZMI_MSG_MORE) != 0;
    bool cmd = (frame->flags & ZMI_MSG_COMMAND) != 0;
    if (more != ((flags & ZMI_ZMTP_MORE) != 0)
        || cmd != ((flags & ZMI_ZMTP_COMMAND) != 0))
        fuzz_fail("frame flags differ");
    if (size > 0 && memcmp(zmi_msg_data(frame), body, (size_t) size) != 0)
        fuzz_fail("frame body differs");
    zmi_msg_close(frame);
}

// Tiny deterministic generator for chunk sizes.
static uint32_t
next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

// Feeds one chunk, cutting every frame out of it. Returns the decoder's
// error (negative) or 0.
static int
feed(zmi_decoder_t *d, expect_t *e, const uint8_t *data, size_t n)
{
    size_t off = 0;
    for (;;) {
        size_t used = 0;
        zmi_msg_t frame;
        int rc = zmi_decoder_decode(d, data + off, n - off, &used, &frame);
        if (used > n - off)
            fuzz_fail("decoder used more than it was given");
        off += used;
        if (rc < 0)
            return rc;
        if (rc == 1) {
            check_frame(e, &frame);
            continue;
        }
        if (rc != 0)
            fuzz_fail("unexpected return value");
        if (off != n)
            fuzz_fail("decoder returned 0 without taking every octet");
        return 0;
    }
}

// Feeds the stream the way the engine reads it: through a small read
// buffer, with big bodies read straight into the message.
static int
feed_like_engine(zmi_decoder_t *d, expect_t *e, const uint8_t *data, size_t n,
    size_t buf_size)
{
    uint8_t buf[128];
    size_t off = 0;
    while (off < n) {
        uint8_t *target;
        size_t cap;
        zmi_decoder_read_target(d, buf, buf_size, &target, &cap);
        if (cap == 0)
            fuzz_fail("read target of size 0");
        size_t take = n - off < cap ? n - off : cap;
        memcpy(target, data + off, take);
        off += take;
        int rc = feed(d, e, target, take);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t mode = data[0];
    uint16_t max16 = (uint16_t) (data[1] << 8 | data[2]);
    const uint8_t *stream = data + 3;
    size_t n = size - 3;
    int64_t max = max16 == 0xFFFF ? -1 : (int64_t) max16;
    if (max < 0 && announces_big_frame(stream, n))
        max = FUZZ_UNLIMITED_MAX;

    zmi_decoder_t d;
    zmi_decoder_init(&d, max);
    expect_t e = { stream, n, 0, max };
    int rc = 0;
    switch (mode & 3) {
    case 0: // one read with everything
        rc = feed(&d, &e, stream, n);
        break;
    case 1: // one octet per read
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = feed(&d, &e, stream + i, 1);
        break;
    case 2: { // pseudo-random read sizes (1..64) seeded by the mode byte
        uint32_t seed = 0x9E3779B9u ^ mode;
        for (size_t i = 0; i < n && rc == 0;) {
            size_t len = 1 + next_rand(&seed) % 64;
            if (len > n - i)
                len = n - i;
            rc = feed(&d, &e, stream + i, len);
            i += len;
        }
        break;
    }
    default: // the engine's read path with a 1..64 octet read buffer
        rc = feed_like_engine(&d, &e, stream, n, 1 + (size_t) (mode >> 2));
        break;
    }

    uint8_t flags;
    uint64_t fsize;
    const uint8_t *body;
    int want = expect_next(&e, &flags, &fsize, &body);
    if (want == 1)
        fuzz_fail("reference has a frame the decoder did not return");
    if (rc != want)
        fuzz_fail("decoder result differs from the reference");
    if (rc < 0) {
        // A dead decoder stays dead and takes nothing.
        size_t used = 1;
        zmi_msg_t frame;
        if (zmi_decoder_decode(&d, stream, n, &used, &frame) != rc || used != 0)
            fuzz_fail("decoder came back to life after an error");
    }
    zmi_decoder_fini(&d);
    return 0;
}
