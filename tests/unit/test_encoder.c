// Unit tests for the ZMTP frame encoder (codec/encoder.c): exact frame
// bytes, batching of small frames, in-place ("zero-copy") bodies with
// partial writes across the batch/body boundaries, several bodies pending
// at once with frames and raw octets between them, the iovec count and
// octet limits of zmi_encoder_iov, and round trips through the decoder
// for every interesting size and flag.

#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/decoder.h"
#include "codec/encoder.h"
#include "codec/greeting.h"
#include "codec/zmtp.h"

static uint64_t rng_state;

// xorshift64*: deterministic, so a failure replays with the same seed.
static uint32_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t) ((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static void
fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t) (i * 31u + seed * 7u + (i >> 8));
}

static void
make_msg(zmi_msg_t *m, size_t size, unsigned seed, uint8_t flags)
{
    assert_int_equal(zmi_msg_init_size(m, size), 0);
    fill_pattern(zmi_msg_data(m), size, seed);
    m->flags |= flags;
}

// Everything pending, as on a socket that takes any amount at once.
static int
iov_all(zmi_encoder_t *e, struct iovec *iov)
{
    return zmi_encoder_iov(e, iov, ZMI_ENCODER_IOV_MAX, SIZE_MAX);
}

// Checks iov[i] holds exactly the n octets at want.
static void
check_iov(const struct iovec *iov, const void *want, size_t n)
{
    assert_int_equal(iov->iov_len, n);
    assert_memory_equal(iov->iov_base, want, n);
}

static void
test_frame_bytes(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    assert_int_equal(zmi_encoder_init(&e, 1024), 0);
    assert_true(zmi_encoder_empty(&e));
    assert_int_equal(iov_all(&e, iov), 0);

    assert_int_equal(zmi_msg_init_buffer(&m, "abc", 3), 0);
    m.flags |= ZMI_MSG_MORE;
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, ZMI_MSG_CLOSED); // the encoder took it
    assert_false(zmi_encoder_empty(&e));
    assert_int_equal(iov_all(&e, iov), 1);
    check_iov(&iov[0],
        "\x01\x03"
        "abc",
        5);
    zmi_encoder_consumed(&e, 5);
    assert_true(zmi_encoder_empty(&e));

    // Commands, empty frames, and the long form from 256 octets.
    assert_int_equal(zmi_msg_init_buffer(&m, "\x04PING\x00\x00", 7), 0);
    m.flags |= ZMI_MSG_COMMAND;
    assert_true(zmi_encoder_push(&e, &m));
    zmi_msg_init(&m);
    assert_true(zmi_encoder_push(&e, &m));
    make_msg(&m, 256, 1, ZMI_MSG_MORE);
    assert_true(zmi_encoder_push(&e, &m));
    make_msg(&m, 255, 2, 0);
    assert_true(zmi_encoder_push(&e, &m));

    uint8_t want[9 + 2 + 9 + 256 + 2 + 255];
    size_t n = 0;
    memcpy(want + n, "\x04\x07\x04PING\x00\x00", 9);
    n += 9;
    memcpy(want + n, "\x00\x00", 2);
    n += 2;
    memcpy(want + n, "\x03\x00\x00\x00\x00\x00\x00\x01\x00", 9);
    n += 9;
    fill_pattern(want + n, 256, 1);
    n += 256;
    memcpy(want + n, "\x00\xff", 2);
    n += 2;
    fill_pattern(want + n, 255, 2);
    n += 255;
    assert_int_equal(n, sizeof(want));
    assert_int_equal(iov_all(&e, iov), 1);
    check_iov(&iov[0], want, n);
    zmi_encoder_consumed(&e, n);
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_fini(&e);
}

static void
test_batching_and_compaction(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    assert_int_equal(zmi_encoder_init(&e, 256), 0);
    assert_int_equal(e.cap, 256);

    // 21 frames of 12 octets fill 252 of 256.
    for (unsigned i = 0; i < 21; i++) {
        make_msg(&m, 10, i, 0);
        assert_true(zmi_encoder_push(&e, &m));
    }
    make_msg(&m, 10, 21, 0);
    assert_false(zmi_encoder_push(&e, &m));
    // Refused: the message is untouched and still the caller's.
    assert_int_equal(m.type, ZMI_MSG_VSM);
    assert_int_equal(zmi_msg_size(&m), 10);
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 252);

    // After a partial write the unwritten tail slides to the front.
    zmi_encoder_consumed(&e, 100);
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 152);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 164);
    assert_ptr_equal(iov[0].iov_base, e.buf);

    // The 22 frames as one stream; the batch now starts at its octet 100.
    uint8_t all[22 * 12];
    for (unsigned i = 0; i < 22; i++) {
        all[i * 12] = 0x00;
        all[i * 12 + 1] = 10;
        fill_pattern(all + i * 12 + 2, 10, i);
    }
    check_iov(&iov[0], all + 100, 164);

    zmi_encoder_consumed(&e, 164);
    assert_true(zmi_encoder_empty(&e));
    assert_int_equal(e.off, 0);
    assert_int_equal(e.len, 0);
    zmi_encoder_fini(&e);
}

static void
test_zero_copy(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m, big;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    assert_int_equal(zmi_encoder_init(&e, 1024), 0);

    assert_int_equal(zmi_msg_init_buffer(&m, "hello", 5), 0);
    assert_true(zmi_encoder_push(&e, &m));
    make_msg(&big, ZMI_ENCODER_ZEROCOPY_MIN, 5, ZMI_MSG_MORE);
    uint8_t *body = zmi_msg_data(&big);
    assert_true(zmi_encoder_push(&e, &big));
    assert_int_equal(big.type, ZMI_MSG_CLOSED);
    assert_int_equal(e.nbig, 1);

    assert_int_equal(iov_all(&e, iov), 2);
    check_iov(&iov[0],
        "\x00\x05"
        "hello"
        "\x03\x00\x00\x00\x00\x00\x00\x20\x00",
        16);
    assert_ptr_equal(iov[1].iov_base, body); // not copied
    assert_int_equal(iov[1].iov_len, 8192);

    // What is pushed behind an in-place body is taken and goes out after
    // it, in the order pushed.
    assert_int_equal(zmi_msg_init_buffer(&m, "x", 1), 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, ZMI_MSG_CLOSED);
    assert_true(zmi_encoder_push_raw(&e, "yz", 2));
    assert_int_equal(e.nbig, 1);
    assert_int_equal(iov_all(&e, iov), 3);
    assert_ptr_equal(iov[1].iov_base, body);
    check_iov(&iov[2], "\x00\x01xyz", 5);

    // Partial writes: inside the batch, then across the boundary.
    zmi_encoder_consumed(&e, 10);
    assert_int_equal(iov_all(&e, iov), 3);
    assert_int_equal(iov[0].iov_len, 6);
    zmi_encoder_consumed(&e, 6 + 100);
    assert_int_equal(iov_all(&e, iov), 2);
    assert_ptr_equal(iov[0].iov_base, body + 100);
    assert_int_equal(iov[0].iov_len, 8092);
    check_iov(&iov[1], "\x00\x01xyz", 5);
    assert_int_equal(e.nbig, 1);
    assert_false(zmi_encoder_empty(&e));

    zmi_encoder_consumed(&e, 8091);
    assert_int_equal(iov_all(&e, iov), 2);
    assert_ptr_equal(iov[0].iov_base, body + 8191);
    assert_int_equal(iov[0].iov_len, 1);
    // The last body octet and part of the batch behind it.
    zmi_encoder_consumed(&e, 1 + 2);
    // The body is released (LeakSanitizer would see it otherwise).
    assert_int_equal(e.nbig, 0);
    assert_false(zmi_encoder_empty(&e));
    assert_int_equal(iov_all(&e, iov), 1);
    check_iov(&iov[0], "xyz", 3);
    zmi_encoder_consumed(&e, 3);
    assert_true(zmi_encoder_empty(&e));
    assert_int_equal(iov_all(&e, iov), 0);

    // One write covering the whole batch and part of the body.
    make_msg(&big, 20000, 6, 0);
    body = zmi_msg_data(&big);
    assert_true(zmi_encoder_push(&e, &big));
    assert_int_equal(iov_all(&e, iov), 2);
    assert_int_equal(iov[0].iov_len, 9);
    zmi_encoder_consumed(&e, 9 + 19999);
    assert_int_equal(iov_all(&e, iov), 1);
    assert_ptr_equal(iov[0].iov_base, body + 19999);
    // More than is pending is clamped.
    zmi_encoder_consumed(&e, 1000);
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_consumed(&e, 5);
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_fini(&e);
}

static void
test_zero_copy_threshold(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    // With room to spare, only the size decides.
    assert_int_equal(zmi_encoder_init(&e, 65536), 0);
    make_msg(&m, ZMI_ENCODER_ZEROCOPY_MIN - 1, 1, 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(e.nbig, 0);
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 9 + ZMI_ENCODER_ZEROCOPY_MIN - 1);
    zmi_encoder_consumed(&e, iov[0].iov_len);

    make_msg(&m, ZMI_ENCODER_ZEROCOPY_MIN, 2, 0);
    uint8_t *body = zmi_msg_data(&m);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(e.nbig, 1);
    assert_int_equal(iov_all(&e, iov), 2);
    assert_int_equal(iov[0].iov_len, 9);
    assert_ptr_equal(iov[1].iov_base, body);
    zmi_encoder_consumed(&e, 9 + ZMI_ENCODER_ZEROCOPY_MIN);
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_fini(&e);
}

static void
test_const_msg_zero_copy(void **state)
{
    (void) state;
    static uint8_t data[10000];
    fill_pattern(data, sizeof(data), 3);
    zmi_encoder_t e;
    zmi_msg_t m;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    assert_int_equal(zmi_encoder_init(&e, 8192), 0);
    zmi_msg_init_const(&m, data, sizeof(data));
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(iov_all(&e, iov), 2);
    assert_ptr_equal(iov[1].iov_base, data);
    assert_int_equal(iov[1].iov_len, sizeof(data));
    zmi_encoder_consumed(&e, 9 + sizeof(data));
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_fini(&e);
}

static void
test_small_cap_progress(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    // A cap below 256 is raised to 256.
    assert_int_equal(zmi_encoder_init(&e, 10), 0);
    assert_int_equal(e.cap, 256);

    // 2 + 254 fills the batch exactly: copied.
    make_msg(&m, 254, 1, 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 256);
    zmi_encoder_consumed(&e, 256);

    // 2 + 255 can never fit: sent in place although below the threshold.
    make_msg(&m, 255, 2, 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(iov_all(&e, iov), 2);
    check_iov(&iov[0], "\x00\xff", 2);
    assert_int_equal(iov[1].iov_len, 255);
    zmi_encoder_consumed(&e, 257);
    assert_true(zmi_encoder_empty(&e));

    make_msg(&m, 1000, 3, ZMI_MSG_MORE);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(iov_all(&e, iov), 2);
    check_iov(&iov[0], "\x03\x00\x00\x00\x00\x00\x00\x03\xe8", 9);
    assert_int_equal(iov[1].iov_len, 1000);
    zmi_encoder_consumed(&e, 1009);

    // A body that fits an empty batch waits while the batch is busy.
    make_msg(&m, 100, 4, 0);
    assert_true(zmi_encoder_push(&e, &m));
    make_msg(&m, 200, 5, 0);
    assert_false(zmi_encoder_push(&e, &m));
    zmi_encoder_consumed(&e, 102);
    assert_true(zmi_encoder_push(&e, &m));
    zmi_encoder_consumed(&e, 202);
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_fini(&e);
}

static void
test_push_raw(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    uint8_t greeting[ZMI_ZMTP_GREETING_SIZE];
    uint8_t junk[300] = { 0 };
    zmi_greeting_encode(greeting);
    assert_int_equal(zmi_encoder_init(&e, 256), 0);

    assert_true(zmi_encoder_push_raw(&e, greeting, sizeof(greeting)));
    assert_true(zmi_encoder_push_raw(&e, NULL, 0));
    assert_int_equal(zmi_msg_init_buffer(&m, "z", 1), 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 67);
    assert_memory_equal(iov[0].iov_base, greeting, 64);
    assert_memory_equal((uint8_t *) iov[0].iov_base + 64, "\x00\x01z", 3);

    // Larger than the batch: never fits. Larger than what is free: later.
    assert_false(zmi_encoder_push_raw(&e, junk, 257));
    assert_false(zmi_encoder_push_raw(&e, junk, 200));
    zmi_encoder_consumed(&e, 60);
    assert_true(zmi_encoder_push_raw(&e, junk, 200));
    assert_int_equal(iov_all(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 207);
    assert_memory_equal(iov[0].iov_base, greeting + 60, 4);
    zmi_encoder_fini(&e);
}

static void
test_fini_frees_pending(void **state)
{
    (void) state;
    zmi_encoder_t e;
    zmi_msg_t m;
    assert_int_equal(zmi_encoder_init(&e, 8192), 0);
    make_msg(&m, 100, 1, 0);
    assert_true(zmi_encoder_push(&e, &m));
    make_msg(&m, 100000, 2, 0);
    assert_true(zmi_encoder_push(&e, &m));
    zmi_encoder_consumed(&e, 50);
    // LeakSanitizer fails the run if the pending body is not released.
    zmi_encoder_fini(&e);
}

// fini releases the bodies still pending, whether written in part or not
// at all: the block their slices were cut from can be reset after it (and
// LeakSanitizer sees no leak of the body that is a message of its own).
static void
test_fini_releases_pending_bodies(void **state)
{
    (void) state;
    zmi_msg_buf_t *b = zmi_msg_buf_new(8 * 9000);
    assert_non_null(b);
    zmi_encoder_t e;
    zmi_msg_t m;
    assert_int_equal(zmi_encoder_init(&e, 4096), 0);
    for (unsigned i = 0; i < ZMI_ENCODER_BIG_MAX; i++) {
        if (i == 3)
            make_msg(&m, 100000, i, 0);
        else
            zmi_msg_init_slice(&m, b, b->data + 9000 * i, 9000);
        assert_true(zmi_encoder_push(&e, &m));
        make_msg(&m, 20, i, 0);
        assert_true(zmi_encoder_push(&e, &m));
    }
    assert_int_equal(e.nbig, ZMI_ENCODER_BIG_MAX);
    // The first body written out, the second in part.
    zmi_encoder_consumed(&e, 9 + 9000 + 22 + 9 + 500);
    assert_int_equal(e.nbig, ZMI_ENCODER_BIG_MAX - 1);
    assert_false(zmi_msg_buf_reset(b));
    zmi_encoder_fini(&e);
    assert_int_equal(e.nbig, 0);
    assert_true(zmi_msg_buf_reset(b)); // every slice came back
    zmi_msg_buf_release(b);
}

// One frame of a test stream, its body patterned from the frame's index:
// pushed as a message, or (raw) encoded here and pushed as raw octets, as
// the engine does with command frames.
typedef struct {
    size_t size;
    uint8_t flags; // ZMI_MSG_MORE, ZMI_MSG_COMMAND
    bool raw;
} frame_spec_t;

// The frames of a test stream and the octets they must encode to.
typedef struct {
    const frame_spec_t *f;
    size_t n;
    size_t *at;     // where each frame starts in bytes
    uint8_t *bytes;
    size_t len;
} stream_t;

static size_t
frame_len(size_t size)
{
    return (size <= 255 ? 2 : 9) + size;
}

// Writes the frame make_msg(size, seed, flags) encodes to, its header
// spelled out by hand (RFC 37), and returns its length.
static size_t
put_frame(uint8_t *out, size_t size, unsigned seed, uint8_t flags)
{
    uint8_t f = 0;
    if (flags & ZMI_MSG_MORE)
        f |= 0x01;
    if (flags & ZMI_MSG_COMMAND)
        f |= 0x04;
    size_t h = 0;
    if (size <= 255) {
        out[h++] = f;
        out[h++] = (uint8_t) size;
    } else {
        out[h++] = f | 0x02;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t) ((uint64_t) size >> (8 * i));
    }
    fill_pattern(out + h, size, seed);
    return h + size;
}

static void
stream_init(stream_t *s, const frame_spec_t *f, size_t n)
{
    s->f = f;
    s->n = n;
    s->at = malloc(n * sizeof(s->at[0]));
    assert_non_null(s->at);
    s->len = 0;
    for (size_t j = 0; j < n; j++) {
        s->at[j] = s->len;
        s->len += frame_len(f[j].size);
    }
    s->bytes = malloc(s->len);
    assert_non_null(s->bytes);
    for (size_t j = 0; j < n; j++)
        put_frame(s->bytes + s->at[j], f[j].size, (unsigned) j, f[j].flags);
}

static void
stream_fini(stream_t *s)
{
    free(s->at);
    free(s->bytes);
}

// The "socket" drained output is written to: each zmi_encoder_iov call
// asks for at most max iovecs and limit octets (limit 0: none, or now and
// then a random one up to 2 * max_write); each write then takes 1 to
// max_write of the octets offered (max_write 0: all of them).
typedef struct {
    int max;
    size_t limit;
    size_t max_write;
    uint8_t *out;
    size_t len;
    size_t cap;
    size_t writes;
    size_t zero_copy; // writes that carried octets of an in-place body
} writer_t;

static void
writer_init(writer_t *w, const stream_t *s, int max, size_t limit,
    size_t max_write)
{
    memset(w, 0, sizeof(*w));
    w->max = max;
    w->limit = limit;
    w->max_write = max_write;
    w->cap = s->len;
    w->out = malloc(w->cap);
    assert_non_null(w->out);
}

// What was written is exactly the octets of s.
static void
writer_check(const writer_t *w, const stream_t *s)
{
    assert_int_equal(w->len, s->len);
    assert_memory_equal(w->out, s->bytes, s->len);
}

// Octets pending in e: the unwritten batch and the bodies' unwritten rest.
static size_t
pending(const zmi_encoder_t *e)
{
    size_t n = e->len - e->off;
    for (int i = 0; i < e->nbig; i++)
        n += zmi_msg_size(&e->big[i].msg);
    return n - e->big_off;
}

static bool
in_batch(const zmi_encoder_t *e, const void *p)
{
    return (uintptr_t) p - (uintptr_t) e->buf < e->cap;
}

// One "writev" through w. Checks what zmi_encoder_iov offers: at most max
// iovecs (the entry after them untouched), none empty, at most limit
// octets together, and, when max leaves room for every stretch, all that
// is pending up to the limit. Returns the iovec count (0: nothing was
// pending).
static int
write_once(zmi_encoder_t *e, writer_t *w)
{
    struct iovec iov[ZMI_ENCODER_IOV_MAX + 1];
    size_t limit = w->limit;
    if (limit == 0) {
        assert_true(w->max_write > 0);
        limit = rng() % 4 == 0 ? 1 + rng() % (2 * w->max_write) : SIZE_MAX;
    }
    size_t want = pending(e) < limit ? pending(e) : limit;
    iov[w->max].iov_base = NULL;
    iov[w->max].iov_len = 12345;
    int cnt = zmi_encoder_iov(e, iov, w->max, limit);
    assert_in_range(cnt, 0, w->max);
    assert_null(iov[w->max].iov_base);
    assert_int_equal(iov[w->max].iov_len, 12345);
    size_t total = 0;
    for (int i = 0; i < cnt; i++) {
        assert_true(iov[i].iov_len > 0);
        total += iov[i].iov_len;
    }
    assert_true(total <= limit);
    assert_int_equal(cnt == 0, want == 0);
    if (w->max == ZMI_ENCODER_IOV_MAX)
        assert_int_equal(total, want);
    if (cnt == 0)
        return 0;

    size_t k = w->max_write > 0 ? 1 + rng() % w->max_write : total;
    size_t done = 0;
    bool body = false;
    for (int i = 0; i < cnt && done < k; i++) {
        size_t t = iov[i].iov_len;
        if (t > k - done)
            t = k - done;
        assert_true(w->len + t <= w->cap);
        memcpy(w->out + w->len, iov[i].iov_base, t);
        w->len += t;
        done += t;
        if (!in_batch(e, iov[i].iov_base))
            body = true;
    }
    w->writes++;
    if (body)
        w->zero_copy++;
    zmi_encoder_consumed(e, done);
    return cnt;
}

static void
drain(zmi_encoder_t *e, writer_t *w)
{
    while (write_once(e, w) > 0) {
    }
}

// Writes out the rest, checks the whole output against s and frees all.
static void
drain_and_check(zmi_encoder_t *e, writer_t *w, stream_t *s)
{
    drain(e, w);
    assert_true(zmi_encoder_empty(e));
    writer_check(w, s);
    zmi_encoder_fini(e);
    free(w->out);
    stream_fini(s);
}

// Pushes frame j of s. While e refuses it (a message left untouched), w
// writes some of what is pending: there must be some, or the frame could
// never go (a livelock). Without w the push must succeed at once.
static void
push_frame(zmi_encoder_t *e, const stream_t *s, size_t j, writer_t *w)
{
    const frame_spec_t *f = &s->f[j];
    if (f->raw) {
        while (!zmi_encoder_push_raw(e, s->bytes + s->at[j],
            frame_len(f->size))) {
            assert_non_null(w);
            assert_false(zmi_encoder_empty(e));
            write_once(e, w);
        }
        return;
    }
    zmi_msg_t m;
    make_msg(&m, f->size, (unsigned) j, f->flags);
    int type = m.type;
    const void *data = zmi_msg_data(&m);
    while (!zmi_encoder_push(e, &m)) {
        assert_int_equal(m.type, type);
        assert_ptr_equal(zmi_msg_data(&m), data);
        assert_int_equal(zmi_msg_size(&m), f->size);
        assert_non_null(w);
        assert_false(zmi_encoder_empty(e));
        write_once(e, w);
    }
    assert_int_equal(m.type, ZMI_MSG_CLOSED);
}

// Decodes out (fed in random chunks) and checks it holds the frames of s.
static void
check_decoded(const stream_t *s, const uint8_t *out, size_t len)
{
    zmi_decoder_t d;
    zmi_decoder_init(&d, -1);
    size_t off = 0;
    for (size_t j = 0; j < s->n; j++) {
        const frame_spec_t *f = &s->f[j];
        zmi_msg_t m;
        int rc = 0;
        while (rc == 0) {
            size_t k = 1 + rng() % 5000, used;
            if (k > len - off)
                k = len - off;
            assert_true(k > 0);
            rc = zmi_decoder_decode(&d, out + off, k, &used, &m);
            off += used;
        }
        assert_int_equal(rc, 1);
        assert_int_equal(zmi_msg_size(&m), f->size);
        assert_int_equal(m.flags & (ZMI_MSG_MORE | ZMI_MSG_COMMAND), f->flags);
        uint8_t *want = malloc(f->size + 1);
        assert_non_null(want);
        fill_pattern(want, f->size, (unsigned) j);
        if (f->size > 0)
            assert_memory_equal(zmi_msg_data(&m), want, f->size);
        free(want);
        zmi_msg_close(&m);
    }
    assert_int_equal(off, len);
    zmi_decoder_fini(&d);
}

// Pushes the n frames of f through an encoder of batch size cap, writing
// through a writer_t (max, limit, max_write) whenever a push is refused and
// at the end: the output must be the stream's octets exactly, and decode
// to its frames. Returns the writes that carried in-place body octets.
static size_t
run_stream(const frame_spec_t *f, size_t n, size_t cap, int max, size_t limit,
    size_t max_write)
{
    stream_t s;
    writer_t w;
    zmi_encoder_t e;
    stream_init(&s, f, n);
    writer_init(&w, &s, max, limit, max_write);
    assert_int_equal(zmi_encoder_init(&e, cap), 0);
    for (size_t j = 0; j < n; j++)
        push_frame(&e, &s, j, &w);
    drain(&e, &w);
    assert_true(zmi_encoder_empty(&e));
    zmi_encoder_fini(&e);
    writer_check(&w, &s);
    check_decoded(&s, w.out, w.len);
    free(w.out);
    stream_fini(&s);
    return w.zero_copy;
}

static const size_t rt_sizes[]
    = { 0, 1, 48, 49, 255, 256, 8191, 8192, 1024 * 1024 };

// Every size around the thresholds with every flag, written in random
// pieces through every iovec the encoder offers.
static void
round_trip(size_t cap, size_t max_write, uint64_t seed)
{
    static const uint8_t rt_flags[] = { 0, ZMI_MSG_MORE, ZMI_MSG_COMMAND };
    enum { NSIZES = sizeof(rt_sizes) / sizeof(rt_sizes[0]) };
    frame_spec_t f[NSIZES * 3];
    size_t n = 0;
    for (size_t i = 0; i < NSIZES; i++) {
        for (size_t k = 0; k < 3; k++) {
            if (rt_flags[k] == ZMI_MSG_COMMAND
                && rt_sizes[i] > ZMI_ZMTP_COMMAND_MAX)
                continue;
            f[n++] = (frame_spec_t) { rt_sizes[i], rt_flags[k], false };
        }
    }
    rng_state = seed;
    assert_true(
        run_stream(f, n, cap, ZMI_ENCODER_IOV_MAX, 0, max_write) > 0);
}

static void
test_round_trip(void **state)
{
    (void) state;
    round_trip(8192, 1 << 20, 1);
    round_trip(8192, 7, 2);
    round_trip(256, 100, 3);
    round_trip(256, 4096, 4);
    round_trip(65536, 65536, 5);
}

// In-place bodies (more than ZMI_ENCODER_BIG_MAX in all, some back to
// back) between small frames and raw octets; at a batch of 256 some
// mid-sized bodies go in place too.
static const frame_spec_t mixed[] = {
    { 5, ZMI_MSG_MORE, false },
    { 8192, ZMI_MSG_MORE, false },
    { 40, ZMI_MSG_COMMAND, true },
    { 0, 0, false },
    { 20000, 0, false },
    { 9000, ZMI_MSG_MORE, false },
    { 300, 0, false },
    { 100000, 0, false },
    { 6, ZMI_MSG_COMMAND, true },
    { 8192, 0, false },
    { 8193, ZMI_MSG_MORE, false },
    { 254, 0, false },
    { 12000, ZMI_MSG_MORE, false },
    { 1 << 20, 0, false },
    { 16384, 0, false },
    { 30, ZMI_MSG_COMMAND, false },
    { 8192, 0, false },
    { 100, 0, true },
    { 50000, 0, false },
    { 1, 0, false },
};
enum { NMIXED = sizeof(mixed) / sizeof(mixed[0]) };

// Several in-place bodies pending at once, with frames and raw octets
// pushed between and after them: written in random pieces (with a random
// octet limit now and then), the output is exactly the frames in push
// order and decodes back to them.
static void
test_bodies_interleaved(void **state)
{
    (void) state;
    static const size_t caps[] = { 256, 8192, 65536 };
    static const size_t max_writes[] = { 7, 5000, 1 << 21 };
    uint64_t seed = 11;
    for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        for (size_t k = 0; k < sizeof(max_writes) / sizeof(max_writes[0]);
             k++) {
            rng_state = seed++;
            size_t zc = run_stream(mixed, NMIXED, caps[c],
                ZMI_ENCODER_IOV_MAX, 0, max_writes[k]);
            assert_true(zc > 0);
        }
    }
}

// ZMI_ENCODER_BIG_MAX bodies may wait at once, each behind the batch
// octets before it, and ZMI_ENCODER_IOV_MAX iovecs describe them all. A
// ninth body is refused, the message untouched, until the first is all
// written out; raw octets and small frames are still taken meanwhile.
static void
test_ninth_body_refused(void **state)
{
    (void) state;
    frame_spec_t f[2 * ZMI_ENCODER_BIG_MAX + 4];
    for (size_t i = 0; i < ZMI_ENCODER_BIG_MAX; i++) {
        f[2 * i] = (frame_spec_t) { 3, 0, false };
        f[2 * i + 1] = (frame_spec_t) { 8192 + i, ZMI_MSG_MORE, false };
    }
    enum { TAIL = 2 * ZMI_ENCODER_BIG_MAX, RAW, NINTH, LAST };
    f[TAIL] = (frame_spec_t) { 3, 0, false };
    f[RAW] = (frame_spec_t) { 4, ZMI_MSG_COMMAND, true };
    f[NINTH] = (frame_spec_t) { 8200, 0, false };
    f[LAST] = (frame_spec_t) { 3, 0, false };
    stream_t s;
    writer_t w;
    zmi_encoder_t e;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    stream_init(&s, f, LAST + 1);
    writer_init(&w, &s, ZMI_ENCODER_IOV_MAX, SIZE_MAX, 0);
    assert_int_equal(zmi_encoder_init(&e, 65536), 0);
    for (size_t j = 0; j <= TAIL; j++)
        push_frame(&e, &s, j, NULL);
    assert_int_equal(e.nbig, ZMI_ENCODER_BIG_MAX);
    assert_int_equal(iov_all(&e, iov), ZMI_ENCODER_IOV_MAX);
    size_t off = 0;
    for (int i = 0; i < ZMI_ENCODER_IOV_MAX; i++) {
        check_iov(&iov[i], s.bytes + off, iov[i].iov_len);
        assert_int_equal(in_batch(&e, iov[i].iov_base), i % 2 == 0);
        off += iov[i].iov_len;
    }
    assert_int_equal(off, s.at[RAW]);

    zmi_msg_t m;
    make_msg(&m, f[NINTH].size, NINTH, f[NINTH].flags);
    int type = m.type;
    void *data = zmi_msg_data(&m);
    assert_false(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, type);
    assert_ptr_equal(zmi_msg_data(&m), data);
    push_frame(&e, &s, RAW, NULL);
    assert_false(zmi_encoder_push(&e, &m));

    // All but the last octet of the first body: still refused.
    w.limit = s.at[2] - 1;
    assert_true(write_once(&e, &w) > 0);
    assert_int_equal(w.len, s.at[2] - 1);
    assert_int_equal(e.nbig, ZMI_ENCODER_BIG_MAX);
    assert_false(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, type);
    w.limit = 1;
    assert_true(write_once(&e, &w) > 0);
    assert_int_equal(e.nbig, ZMI_ENCODER_BIG_MAX - 1);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, ZMI_MSG_CLOSED);
    assert_int_equal(e.nbig, ZMI_ENCODER_BIG_MAX);
    push_frame(&e, &s, LAST, NULL);

    w.limit = SIZE_MAX;
    drain_and_check(&e, &w, &s);
}

// What test_iov_limit and test_iov_max cut up: 16 batch octets (a frame
// and a body's header), the body, 12 raw octets and a second body's
// header, that body, a last frame of 3 octets.
static const frame_spec_t cut[] = {
    { 5, ZMI_MSG_MORE, false },
    { 8192, 0, false },
    { 10, ZMI_MSG_COMMAND, true },
    { 9000, 0, false },
    { 1, 0, false },
};

// limit caps the octets of one zmi_encoder_iov call: the last iovec is
// cut short, inside the batch or inside a body, never followed by an
// empty one. Writing limit octets each time (odd and small limits, a
// multiple of an MSS less than 64 KiB, none) gives the same stream.
static void
test_iov_limit(void **state)
{
    (void) state;
    stream_t s;
    zmi_encoder_t e;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    stream_init(&s, cut, 3);
    assert_int_equal(zmi_encoder_init(&e, 1024), 0);
    for (size_t j = 0; j < 3; j++)
        push_frame(&e, &s, j, NULL);
    const uint8_t *body = zmi_msg_data(&e.big[0].msg);
    assert_int_equal(s.at[2], 16 + 8192);

    assert_int_equal(zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 0), 0);
    // Inside the batch.
    assert_int_equal(zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 10), 1);
    assert_ptr_equal(iov[0].iov_base, e.buf);
    check_iov(&iov[0], s.bytes, 10);
    // Right before the body.
    assert_int_equal(zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 16), 1);
    check_iov(&iov[0], s.bytes, 16);
    // Inside the body.
    assert_int_equal(zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 116), 2);
    check_iov(&iov[0], s.bytes, 16);
    assert_ptr_equal(iov[1].iov_base, body);
    assert_int_equal(iov[1].iov_len, 100);
    // Inside the batch behind the body.
    assert_int_equal(
        zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 16 + 8192 + 5), 3);
    assert_int_equal(iov[1].iov_len, 8192);
    check_iov(&iov[2], s.bytes + s.at[2], 5);
    // A body written in part.
    zmi_encoder_consumed(&e, 116);
    assert_int_equal(zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 50), 1);
    assert_ptr_equal(iov[0].iov_base, body + 100);
    assert_int_equal(iov[0].iov_len, 50);
    assert_int_equal(
        zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, 8092 + 1), 2);
    assert_int_equal(iov[0].iov_len, 8092);
    check_iov(&iov[1], s.bytes + s.at[2], 1);
    assert_int_equal(
        zmi_encoder_iov(&e, iov, ZMI_ENCODER_IOV_MAX, SIZE_MAX), 2);
    check_iov(&iov[1], s.bytes + s.at[2], 12);
    zmi_encoder_fini(&e);
    stream_fini(&s);

    static const size_t limits[] = { 1, 7, 4096, 65483, SIZE_MAX };
    rng_state = 21;
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        run_stream(mixed, NMIXED, 256, ZMI_ENCODER_IOV_MAX, limits[i], 0);
        run_stream(mixed, NMIXED, 65536, ZMI_ENCODER_IOV_MAX, limits[i], 0);
    }
}

// max caps the iovecs of one call: with max 1 only the first stretch of
// what is pending comes back (batch octets, or once they are written the
// body behind them), within the limit too. Writes of 1, 2 or 3 iovecs at
// a time give the same stream.
static void
test_iov_max(void **state)
{
    (void) state;
    stream_t s;
    zmi_encoder_t e;
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    enum { NCUT = sizeof(cut) / sizeof(cut[0]) };
    stream_init(&s, cut, NCUT);
    assert_int_equal(zmi_encoder_init(&e, 1024), 0);
    for (size_t j = 0; j < NCUT; j++)
        push_frame(&e, &s, j, NULL);
    const uint8_t *body = zmi_msg_data(&e.big[0].msg);
    const uint8_t *body2 = zmi_msg_data(&e.big[1].msg);

    assert_int_equal(zmi_encoder_iov(&e, iov, 0, SIZE_MAX), 0);
    assert_int_equal(zmi_encoder_iov(&e, iov, 1, SIZE_MAX), 1);
    check_iov(&iov[0], s.bytes, 16);
    assert_int_equal(zmi_encoder_iov(&e, iov, 1, 5), 1);
    check_iov(&iov[0], s.bytes, 5);
    assert_int_equal(zmi_encoder_iov(&e, iov, 2, SIZE_MAX), 2);
    assert_ptr_equal(iov[1].iov_base, body);
    assert_int_equal(iov[1].iov_len, 8192);

    zmi_encoder_consumed(&e, 16);
    assert_int_equal(zmi_encoder_iov(&e, iov, 1, SIZE_MAX), 1);
    assert_ptr_equal(iov[0].iov_base, body);
    assert_int_equal(iov[0].iov_len, 8192);
    zmi_encoder_consumed(&e, 8000);
    assert_int_equal(zmi_encoder_iov(&e, iov, 1, SIZE_MAX), 1);
    assert_ptr_equal(iov[0].iov_base, body + 8000);
    assert_int_equal(iov[0].iov_len, 192);
    zmi_encoder_consumed(&e, 192);
    // The raw frame and the second body's header, then that body.
    assert_int_equal(zmi_encoder_iov(&e, iov, 1, SIZE_MAX), 1);
    check_iov(&iov[0], s.bytes + s.at[2], 12 + 9);
    assert_int_equal(zmi_encoder_iov(&e, iov, 2, SIZE_MAX), 2);
    assert_ptr_equal(iov[1].iov_base, body2);
    assert_int_equal(iov[1].iov_len, 9000);
    assert_int_equal(zmi_encoder_iov(&e, iov, 4, SIZE_MAX), 3);
    check_iov(&iov[2], s.bytes + s.at[4], 3);
    zmi_encoder_fini(&e);
    stream_fini(&s);

    rng_state = 31;
    for (int max = 1; max <= 3; max++) {
        run_stream(mixed, NMIXED, 256, max, 0, 5000);
        run_stream(mixed, NMIXED, 65536, max, 0, 70000);
    }
}

// The batch slides to the front (enc_room) while bodies are pending: with
// a body's mark ahead of the written part, with the first body written in
// part (its mark is where the batch was written up to), and after the
// first of two bodies is done. The marks move with the octets before them
// and the output order stays that of the pushes.
static void
test_slide_with_pending_bodies(void **state)
{
    (void) state;
    frame_spec_t f[21];
    for (size_t j = 0; j < 16; j++)
        f[j] = (frame_spec_t) { 10, 0, false }; // 12 octets each
    f[10] = (frame_spec_t) { 8192, ZMI_MSG_MORE, false };
    f[16] = (frame_spec_t) { 100, 0, false };
    f[17] = (frame_spec_t) { 9000, 0, false };
    f[18] = (frame_spec_t) { 40, 0, true };
    f[19] = (frame_spec_t) { 30, 0, false };
    f[20] = (frame_spec_t) { 100, 0, false };
    stream_t s;
    writer_t w;
    zmi_encoder_t e;
    stream_init(&s, f, 21);
    writer_init(&w, &s, ZMI_ENCODER_IOV_MAX, 0, 0);
    assert_int_equal(zmi_encoder_init(&e, 256), 0);

    // Ten frames, the first body's header (mark at 129), five frames.
    for (size_t j = 0; j < 16; j++)
        push_frame(&e, &s, j, NULL);
    assert_int_equal(e.big[0].at, 129);
    assert_int_equal(e.len, 189);
    w.limit = 100;
    write_once(&e, &w);
    assert_int_equal(e.off, 100);
    // 102 more octets only fit once the 89 unwritten ones slide down.
    push_frame(&e, &s, 16, NULL);
    assert_int_equal(e.off, 0);
    assert_int_equal(e.big[0].at, 29);
    assert_int_equal(e.len, 89 + 102);
    push_frame(&e, &s, 17, NULL);
    push_frame(&e, &s, 18, NULL);
    assert_int_equal(e.nbig, 2);
    assert_int_equal(e.big[1].at, 200);
    assert_int_equal(e.len, 242);

    // Up to 50 octets into the first body, then a slide.
    w.limit = 29 + 50;
    write_once(&e, &w);
    assert_int_equal(e.off, 29);
    assert_int_equal(e.big_off, 50);
    push_frame(&e, &s, 19, NULL);
    assert_int_equal(e.off, 0);
    assert_int_equal(e.big[0].at, 0);
    assert_int_equal(e.big_off, 50);
    assert_int_equal(e.big[1].at, 171);

    // The first body done and 100 batch octets behind it, then a slide.
    w.limit = 8192 - 50 + 100;
    write_once(&e, &w);
    assert_int_equal(e.nbig, 1);
    assert_int_equal(e.off, 100);
    push_frame(&e, &s, 20, NULL);
    assert_int_equal(e.off, 0);
    assert_int_equal(e.big[0].at, 71);

    w.limit = 0;
    w.max_write = 1000;
    rng_state = 41;
    drain_and_check(&e, &w, &s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_bytes),
        cmocka_unit_test(test_batching_and_compaction),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_zero_copy_threshold),
        cmocka_unit_test(test_const_msg_zero_copy),
        cmocka_unit_test(test_small_cap_progress),
        cmocka_unit_test(test_push_raw),
        cmocka_unit_test(test_fini_frees_pending),
        cmocka_unit_test(test_fini_releases_pending_bodies),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bodies_interleaved),
        cmocka_unit_test(test_ninth_body_refused),
        cmocka_unit_test(test_iov_limit),
        cmocka_unit_test(test_iov_max),
        cmocka_unit_test(test_slide_with_pending_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
