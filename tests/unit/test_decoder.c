// Unit tests for the ZMTP frame decoder (codec/decoder.c): frames cut out
// of any split of the byte stream, every malformed header refused with the
// documented errno, the in-place read path for big bodies, and no leak of
// a frame left half-read.

#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/decoder.h"
#include "codec/zmtp.h"
#include "codec/zmtp_cmd.h"

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

typedef struct expect {
    size_t size;
    uint8_t flags; // ZMTP flags octet (MORE / COMMAND)
    unsigned seed;
} expect_t;

// Appends one frame with a patterned body; force_long uses the 8-octet
// size even for small bodies.
static size_t
put_frame(
    uint8_t *out, uint8_t flags, size_t size, unsigned seed, bool force_long)
{
    size_t pos;
    if (force_long) {
        out[0] = flags | ZMI_ZMTP_LONG;
        for (int i = 0; i < 8; i++)
            out[1 + i] = (uint8_t) ((uint64_t) size >> (56 - 8 * i));
        pos = 9;
    } else {
        pos = zmi_zmtp_frame_header(out, flags, size);
    }
    fill_pattern(out + pos, size, seed);
    return pos + size;
}

static void
check_frame(zmi_msg_t *f, const expect_t *x)
{
    assert_true(zmi_msg_is_valid(f));
    assert_int_equal(zmi_msg_size(f), x->size);
    assert_int_equal(
        (f->flags & ZMI_MSG_MORE) != 0, (x->flags & ZMI_ZMTP_MORE) != 0);
    assert_int_equal(
        (f->flags & ZMI_MSG_COMMAND) != 0, (x->flags & ZMI_ZMTP_COMMAND) != 0);
    if (x->size <= ZMI_MSG_VSM_MAX)
        assert_int_equal(f->type, ZMI_MSG_VSM);
    else
        assert_int_equal(f->type, ZMI_MSG_LMSG);
    uint8_t *want = malloc(x->size + 1);
    assert_non_null(want);
    fill_pattern(want, x->size, x->seed);
    if (x->size > 0)
        assert_memory_equal(zmi_msg_data(f), want, x->size);
    free(want);
}

// Decodes data[0..n) completely, checking each frame against exp[*idx].
static void
feed(zmi_decoder_t *d, const uint8_t *data, size_t n, const expect_t *exp,
    size_t *idx)
{
    size_t off = 0;
    while (off < n) {
        size_t used = 12345;
        zmi_msg_t f;
        int rc = zmi_decoder_decode(d, data + off, n - off, &used, &f);
        assert_true(rc == 0 || rc == 1);
        assert_true(used <= n - off);
        off += used;
        if (rc == 1) {
            check_frame(&f, &exp[*idx]);
            (*idx)++;
            zmi_msg_close(&f);
        } else {
            assert_int_equal(off, n);
        }
    }
}

// A stream of frames of every interesting size, flags varied.
static const size_t stream_sizes[] = { 0, 1, 48, 49, 255, 256, 300, 8191, 8192,
    20000, 0, 65536, 2, 48, 0, 70000, 255 };

static uint8_t *
build_stream(size_t *len, expect_t *exp, size_t *count)
{
    size_t n = sizeof(stream_sizes) / sizeof(stream_sizes[0]);
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        cap += 9 + stream_sizes[i];
    uint8_t *s = malloc(cap);
    assert_non_null(s);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t flags;
        if (stream_sizes[i] <= ZMI_ZMTP_COMMAND_MAX && i % 3 == 2)
            flags = ZMI_ZMTP_COMMAND;
        else
            flags = (i % 2) ? ZMI_ZMTP_MORE : 0;
        exp[i].size = stream_sizes[i];
        exp[i].flags = flags;
        exp[i].seed = (unsigned) i + 1;
        pos += put_frame(
            s + pos, flags, stream_sizes[i], exp[i].seed, i % 4 == 1);
    }
    *len = pos;
    *count = n;
    return s;
}

static void
test_simple_frames(void **state)
{
    (void) state;
    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used;
    zmi_decoder_init(&d, -1);

    static const uint8_t empty[] = { 0x00, 0x00 };
    assert_int_equal(zmi_decoder_decode(&d, empty, 2, &used, &f), 1);
    assert_int_equal(used, 2);
    assert_int_equal(zmi_msg_size(&f), 0);
    assert_int_equal(f.flags, 0);
    zmi_msg_close(&f);

    static const uint8_t more[] = { 0x01, 0x03, 'a', 'b', 'c', 0xEE };
    assert_int_equal(zmi_decoder_decode(&d, more, 6, &used, &f), 1);
    assert_int_equal(used, 5); // the next frame's octet is left alone
    assert_int_equal(zmi_msg_size(&f), 3);
    assert_memory_equal(zmi_msg_data(&f), "abc", 3);
    assert_int_equal(f.flags, ZMI_MSG_MORE);
    zmi_msg_close(&f);

    static const uint8_t cmd[] = { 0x04, 0x02, 'h', 'i' };
    assert_int_equal(zmi_decoder_decode(&d, cmd, 4, &used, &f), 1);
    assert_int_equal(f.flags, ZMI_MSG_COMMAND);
    zmi_msg_close(&f);

    // A long size on a small frame is accepted (RFC 37 SHOULD only).
    static const uint8_t long_small[]
        = { 0x03, 0, 0, 0, 0, 0, 0, 0, 2, 'o', 'k' };
    assert_int_equal(zmi_decoder_decode(&d, long_small, 11, &used, &f), 1);
    assert_int_equal(used, 11);
    assert_int_equal(f.flags, ZMI_MSG_MORE);
    assert_memory_equal(zmi_msg_data(&f), "ok", 2);
    zmi_msg_close(&f);

    static const uint8_t long_cmd0[] = { 0x06, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(zmi_decoder_decode(&d, long_cmd0, 9, &used, &f), 1);
    assert_int_equal(used, 9);
    assert_int_equal(zmi_msg_size(&f), 0);
    assert_int_equal(f.flags, ZMI_MSG_COMMAND);
    zmi_msg_close(&f);

    // Nothing to eat: nothing happens.
    assert_int_equal(zmi_decoder_decode(&d, empty, 0, &used, &f), 0);
    assert_int_equal(used, 0);
    assert_int_equal(zmi_decoder_decode(&d, NULL, 0, &used, &f), 0);
    assert_int_equal(used, 0);
    zmi_decoder_fini(&d);
}

static void
test_ready_command_decodes(void **state)
{
    (void) state;
    uint8_t buf[64];
    ssize_t n = zmi_zmtp_encode_ready(
        buf, sizeof(buf), ZMSG_DEALER, (const uint8_t *) "", 0);
    assert_int_equal(n, 43);
    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used;
    zmi_decoder_init(&d, 0); // maxmsgsize does not limit commands
    assert_int_equal(zmi_decoder_decode(&d, buf, (size_t) n, &used, &f), 1);
    assert_int_equal(used, 43);
    assert_int_equal(f.flags, ZMI_MSG_COMMAND);
    assert_int_equal(zmi_msg_size(&f), 41);
    zmi_zmtp_cmd_t cmd;
    assert_int_equal(zmi_zmtp_parse_cmd(zmi_msg_data(&f), 41, &cmd), 0);
    assert_int_equal(cmd.kind, ZMI_ZMTP_READY);
    zmi_msg_close(&f);
    zmi_decoder_fini(&d);
}

static void
test_many_frames_one_buffer(void **state)
{
    (void) state;
    expect_t exp[32];
    size_t len, count, idx = 0;
    uint8_t *s = build_stream(&len, exp, &count);
    zmi_decoder_t d;
    zmi_decoder_init(&d, -1);

    // Cut frames out one by one: each call returns exactly one frame.
    size_t off = 0;
    while (off < len) {
        size_t used;
        zmi_msg_t f;
        assert_int_equal(
            zmi_decoder_decode(&d, s + off, len - off, &used, &f), 1);
        off += used;
        check_frame(&f, &exp[idx++]);
        zmi_msg_close(&f);
    }
    assert_int_equal(off, len);
    assert_int_equal(idx, count);
    zmi_decoder_fini(&d);
    free(s);
}

static void
test_one_byte_at_a_time(void **state)
{
    (void) state;
    expect_t exp[32];
    size_t len, count, idx = 0;
    uint8_t *s = build_stream(&len, exp, &count);
    zmi_decoder_t d;
    zmi_decoder_init(&d, -1);
    for (size_t i = 0; i < len; i++)
        feed(&d, s + i, 1, exp, &idx);
    assert_int_equal(idx, count);
    zmi_decoder_fini(&d);
    free(s);
}

static void
test_random_splits(void **state)
{
    (void) state;
    expect_t exp[32];
    size_t len, count;
    uint8_t *s = build_stream(&len, exp, &count);
    for (uint64_t seed = 1; seed <= 200; seed++) {
        rng_state = seed * 0x9E3779B97F4A7C15ull;
        zmi_decoder_t d;
        zmi_decoder_init(&d, -1);
        size_t idx = 0, off = 0;
        // Mix tiny chunks (header splits) with large ones.
        size_t max = (seed % 4 == 0) ? 16 : (seed % 4 == 1) ? 300 : 40000;
        while (off < len) {
            size_t k = 1 + rng() % max;
            if (k > len - off)
                k = len - off;
            feed(&d, s + off, k, exp, &idx);
            off += k;
        }
        assert_int_equal(idx, count);
        zmi_decoder_fini(&d);
    }
    free(s);
}

// Feeds a whole buffer and expects a protocol error after `at` octets.
static void
expect_error(int64_t max, const uint8_t *data, size_t n, int err, size_t at)
{
    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used = 999;
    zmi_decoder_init(&d, max);
    assert_int_equal(zmi_decoder_decode(&d, data, n, &used, &f), err);
    assert_int_equal(used, at);
    // The decoder stays dead.
    static const uint8_t good[] = { 0x00, 0x00 };
    assert_int_equal(zmi_decoder_decode(&d, good, 2, &used, &f), err);
    assert_int_equal(used, 0);
    zmi_decoder_fini(&d);

    // The same error when the bytes come one by one.
    zmi_decoder_init(&d, max);
    size_t off = 0;
    int rc = 0;
    while (off < n) {
        rc = zmi_decoder_decode(&d, data + off, 1, &used, &f);
        if (rc != 0)
            break;
        assert_int_equal(used, 1);
        off++;
    }
    assert_int_equal(rc, err);
    assert_int_equal(off + used, at);
    zmi_decoder_fini(&d);
}

static void
test_reserved_flags(void **state)
{
    (void) state;
    for (int bit = 3; bit < 8; bit++) {
        uint8_t frame[] = { (uint8_t) (1u << bit), 0x01, 'x' };
        expect_error(-1, frame, sizeof(frame), -EPROTO, 1);
        frame[0] |= ZMI_ZMTP_MORE | ZMI_ZMTP_LONG;
        expect_error(-1, frame, sizeof(frame), -EPROTO, 1);
    }
    static const uint8_t all[] = { 0xFF, 0x00 };
    expect_error(-1, all, sizeof(all), -EPROTO, 1);
    // A good frame, then a bad flags octet.
    static const uint8_t later[] = { 0x00, 0x01, 'a', 0x10, 0x00 };
    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used;
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, later, 5, &used, &f), 1);
    assert_int_equal(used, 3);
    zmi_msg_close(&f);
    assert_int_equal(zmi_decoder_decode(&d, later + 3, 2, &used, &f), -EPROTO);
    assert_int_equal(used, 1);
    zmi_decoder_fini(&d);
}

static void
test_more_on_command(void **state)
{
    (void) state;
    static const uint8_t short_form[] = { 0x05, 0x01, 'x' };
    static const uint8_t long_form[] = { 0x07, 0, 0, 0, 0, 0, 0, 0, 1, 'x' };
    expect_error(-1, short_form, sizeof(short_form), -EPROTO, 1);
    expect_error(-1, long_form, sizeof(long_form), -EPROTO, 1);
}

static void
test_size_limits(void **state)
{
    (void) state;
    // Above maxmsgsize: refused once the size is known.
    static const uint8_t s101[] = { 0x00, 101 };
    static const uint8_t l101[] = { 0x02, 0, 0, 0, 0, 0, 0, 0, 101 };
    expect_error(100, s101, sizeof(s101), -EMSGSIZE, 2);
    expect_error(100, l101, sizeof(l101), -EMSGSIZE, 9);
    static const uint8_t s1[] = { 0x01, 0x01, 'x' };
    expect_error(0, s1, sizeof(s1), -EMSGSIZE, 2);

    // 2^40 against a small limit: -EMSGSIZE, not an allocation attempt.
    static const uint8_t huge[] = { 0x02, 0, 0, 0x01, 0, 0, 0, 0, 0 };
    expect_error(1000, huge, sizeof(huge), -EMSGSIZE, 9);

    // Beyond 2^63-1 is refused even with no limit.
    static const uint8_t p63[] = { 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t p64[]
        = { 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    static const uint8_t c64[]
        = { 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    expect_error(-1, p63, sizeof(p63), -EMSGSIZE, 9);
    expect_error(-1, p64, sizeof(p64), -EMSGSIZE, 9);
    expect_error(-1, c64, sizeof(c64), -EMSGSIZE, 9);
    expect_error(INT64_MAX, p64, sizeof(p64), -EMSGSIZE, 9);

    // Commands are capped at ZMI_ZMTP_COMMAND_MAX whatever maxmsgsize is.
    static const uint8_t cbig[] = { 0x06, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01 };
    expect_error(-1, cbig, sizeof(cbig), -EMSGSIZE, 9);
    expect_error(INT64_MAX, cbig, sizeof(cbig), -EMSGSIZE, 9);
    static const uint8_t chuge[] = { 0x06, 0, 0, 0x01, 0, 0, 0, 0, 0 };
    expect_error(-1, chuge, sizeof(chuge), -EMSGSIZE, 9);

    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used;

    // Exactly at the limits is fine.
    zmi_decoder_init(&d, 100);
    uint8_t buf[2 + 100];
    size_t n = put_frame(buf, 0, 100, 3, false);
    assert_int_equal(zmi_decoder_decode(&d, buf, n, &used, &f), 1);
    assert_int_equal(zmi_msg_size(&f), 100);
    zmi_msg_close(&f);
    // maxmsgsize does not apply to commands.
    n = put_frame(buf, ZMI_ZMTP_COMMAND, 100, 3, false);
    buf[1] = 100;
    assert_int_equal(zmi_decoder_decode(&d, buf, n, &used, &f), 1);
    zmi_msg_close(&f);
    zmi_decoder_fini(&d);

    zmi_decoder_init(&d, 0);
    static const uint8_t zero[] = { 0x00, 0x00 };
    assert_int_equal(zmi_decoder_decode(&d, zero, 2, &used, &f), 1);
    zmi_msg_close(&f);
    zmi_decoder_fini(&d);

    // A command of exactly ZMI_ZMTP_COMMAND_MAX is accepted; left
    // half-read, fini frees it.
    static const uint8_t cmax[]
        = { 0x06, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 'x' };
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, cmax, sizeof(cmax), &used, &f), 0);
    assert_int_equal(used, sizeof(cmax));
    zmi_decoder_fini(&d);
}

static void
test_read_target(void **state)
{
    (void) state;
    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used;
    uint8_t buf[1024];
    uint8_t *target;
    size_t target_size;
    uint8_t frame[9 + 5000];
    size_t n = put_frame(frame, ZMI_ZMTP_MORE, 5000, 9, false);
    assert_int_equal(n, sizeof(frame));

    zmi_decoder_init(&d, -1);
    // Between frames: the engine's buffer.
    zmi_decoder_read_target(&d, buf, sizeof(buf), &target, &target_size);
    assert_ptr_equal(target, buf);
    assert_int_equal(target_size, sizeof(buf));

    // Header plus 100 body octets through the buffer.
    memcpy(buf, frame, 109);
    assert_int_equal(zmi_decoder_decode(&d, buf, 109, &used, &f), 0);
    assert_int_equal(used, 109);

    // 4900 octets left >= 1024: read straight into the message.
    zmi_decoder_read_target(&d, buf, sizeof(buf), &target, &target_size);
    assert_ptr_not_equal(target, buf);
    assert_int_equal(target_size, 4900);
    uint8_t *first = target;

    // A short read of 1000 octets into the target.
    memcpy(target, frame + 109, 1000);
    assert_int_equal(zmi_decoder_decode(&d, target, 1000, &used, &f), 0);
    assert_int_equal(used, 1000);

    zmi_decoder_read_target(&d, buf, sizeof(buf), &target, &target_size);
    assert_ptr_equal(target, first + 1000);
    assert_int_equal(target_size, 3900);
    memcpy(target, frame + 1109, 2876);
    assert_int_equal(zmi_decoder_decode(&d, target, 2876, &used, &f), 0);
    assert_int_equal(used, 2876);

    // 1024 left: exactly the buffer size still goes in place.
    zmi_decoder_read_target(&d, buf, sizeof(buf), &target, &target_size);
    assert_ptr_equal(target, first + 3876);
    assert_int_equal(target_size, 1024);
    memcpy(target, frame + 3985, 1);
    assert_int_equal(zmi_decoder_decode(&d, target, 1, &used, &f), 0);

    // 1023 left: below the buffer size, back to the buffer (with the next
    // frame's header in the same read).
    zmi_decoder_read_target(&d, buf, sizeof(buf), &target, &target_size);
    assert_ptr_equal(target, buf);
    assert_int_equal(target_size, sizeof(buf));
    memcpy(buf, frame + 3986, 1023);
    buf[1023] = 0x00;
    assert_int_equal(zmi_decoder_decode(&d, buf, 1024, &used, &f), 1);
    assert_int_equal(used, 1023);
    expect_t x = { 5000, ZMI_ZMTP_MORE, 9 };
    check_frame(&f, &x);
    // The in-place reads landed in the message handed out.
    assert_ptr_equal(first, (uint8_t *) zmi_msg_data(&f) + 100);
    zmi_msg_close(&f);

    // Reading the body through the buffer, as an engine may, still works.
    assert_int_equal(zmi_decoder_decode(&d, buf + 1023, 1, &used, &f), 0);
    zmi_decoder_fini(&d);
}

// Simulates an engine: reads of random length from a "socket" into
// whatever zmi_decoder_read_target says. ASan reports a memcpy of a
// region onto itself, so a decoder copying in-place bytes would fail here.
static void
test_read_target_stream(void **state)
{
    (void) state;
    expect_t exp[32];
    size_t len, count;
    uint8_t *s = build_stream(&len, exp, &count);
    for (uint64_t seed = 1; seed <= 50; seed++) {
        rng_state = seed * 0xD1B54A32D192ED03ull;
        zmi_decoder_t d;
        zmi_decoder_init(&d, -1);
        uint8_t buf[512];
        size_t idx = 0, spos = 0, in_place = 0;
        while (spos < len) {
            uint8_t *target;
            size_t cap;
            zmi_decoder_read_target(&d, buf, sizeof(buf), &target, &cap);
            assert_true(cap > 0);
            size_t k = 1 + rng() % (seed % 2 ? cap : 700);
            if (k > cap)
                k = cap;
            if (k > len - spos)
                k = len - spos;
            if (target != buf) {
                in_place++;
                assert_true(cap >= sizeof(buf));
            }
            memcpy(target, s + spos, k);
            spos += k;
            feed(&d, target, k, exp, &idx);
        }
        assert_int_equal(idx, count);
        assert_true(in_place > 0);
        zmi_decoder_fini(&d);
    }
    free(s);
}

static void
test_fini_frees_partial(void **state)
{
    (void) state;
    zmi_decoder_t d;
    zmi_msg_t f;
    size_t used;
    uint8_t frame[9 + 10000];
    size_t n = put_frame(frame, 0, 10000, 4, false);
    assert_int_equal(n, 9 + 10000);

    // Heap body half-read: LeakSanitizer fails the run if fini leaks it.
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, frame, 500, &used, &f), 0);
    assert_int_equal(used, 500);
    zmi_decoder_fini(&d);

    // Heap body allocated, no body octet yet.
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, frame, 9, &used, &f), 0);
    zmi_decoder_fini(&d);

    // Inline body half-read, a header half-read, nothing at all.
    static const uint8_t small[] = { 0x00, 0x10, 'a', 'b' };
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, small, 4, &used, &f), 0);
    zmi_decoder_fini(&d);
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, frame, 4, &used, &f), 0);
    zmi_decoder_fini(&d);
    zmi_decoder_init(&d, -1);
    zmi_decoder_fini(&d);
    // A second fini is harmless.
    zmi_decoder_fini(&d);

    // After a complete frame the decoder owns nothing.
    zmi_decoder_init(&d, -1);
    assert_int_equal(zmi_decoder_decode(&d, frame, n, &used, &f), 1);
    zmi_decoder_fini(&d);
    zmi_msg_close(&f);
}

// Random bytes in random chunks: only the documented results, no crash
// (ASan/UBSan watch the reads), frames always well-formed.
static void
test_random_garbage(void **state)
{
    (void) state;
    uint8_t buf[4096];
    rng_state = 0x1234567887654321ull;
    for (int round = 0; round < 3000; round++) {
        size_t len = 1 + rng() % sizeof(buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t) rng();
        // Bias towards valid flags so that bodies get decoded too.
        if (round % 2 == 0)
            buf[0] &= 0x07;
        zmi_decoder_t d;
        zmi_decoder_init(&d, 100000);
        size_t off = 0;
        while (off < len) {
            size_t k = 1 + rng() % 64, used;
            if (k > len - off)
                k = len - off;
            zmi_msg_t f;
            int rc = zmi_decoder_decode(&d, buf + off, k, &used, &f);
            assert_true(used <= k);
            off += used;
            if (rc == 1) {
                assert_true(
                    zmi_msg_size(&f) <= 100000 || (f.flags & ZMI_MSG_COMMAND));
                assert_false(
                    (f.flags & ZMI_MSG_COMMAND) && (f.flags & ZMI_MSG_MORE));
                zmi_msg_close(&f);
                continue;
            }
            if (rc < 0) {
                assert_true(rc == -EPROTO || rc == -EMSGSIZE);
                break;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(used, k);
        }
        zmi_decoder_fini(&d);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_frames),
        cmocka_unit_test(test_ready_command_decodes),
        cmocka_unit_test(test_many_frames_one_buffer),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_random_splits),
        cmocka_unit_test(test_reserved_flags),
        cmocka_unit_test(test_more_on_command),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_read_target),
        cmocka_unit_test(test_read_target_stream),
        cmocka_unit_test(test_fini_frees_partial),
        cmocka_unit_test(test_random_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
