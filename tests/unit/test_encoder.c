// Unit tests for the ZMTP frame encoder (codec/encoder.c): exact frame
// bytes, batching of small frames, the zero-copy second iovec for big
// bodies with partial writes across the batch/body boundary, and round
// trips through the decoder for every interesting size and flag.

#include "testutil.h"

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
    struct iovec iov[2];
    assert_int_equal(zmi_encoder_init(&e, 1024), 0);
    assert_true(zmi_encoder_empty(&e));
    assert_int_equal(zmi_encoder_iov(&e, iov), 0);

    assert_int_equal(zmi_msg_init_buffer(&m, "abc", 3), 0);
    m.flags |= ZMI_MSG_MORE;
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, ZMI_MSG_CLOSED); // the encoder took it
    assert_false(zmi_encoder_empty(&e));
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
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
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
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
    struct iovec iov[2];
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
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 252);

    // After a partial write the unwritten tail slides to the front.
    zmi_encoder_consumed(&e, 100);
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 152);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
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
    struct iovec iov[2];
    assert_int_equal(zmi_encoder_init(&e, 1024), 0);

    assert_int_equal(zmi_msg_init_buffer(&m, "hello", 5), 0);
    assert_true(zmi_encoder_push(&e, &m));
    make_msg(&big, ZMI_ENCODER_ZEROCOPY_MIN, 5, ZMI_MSG_MORE);
    uint8_t *body = zmi_msg_data(&big);
    assert_true(zmi_encoder_push(&e, &big));
    assert_int_equal(big.type, ZMI_MSG_CLOSED);
    assert_true(e.has_big);

    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
    check_iov(&iov[0],
        "\x00\x05"
        "hello"
        "\x03\x00\x00\x00\x00\x00\x00\x20\x00",
        16);
    assert_ptr_equal(iov[1].iov_base, body); // not copied
    assert_int_equal(iov[1].iov_len, 8192);

    // Nothing is queued behind an in-place body.
    assert_int_equal(zmi_msg_init_buffer(&m, "x", 1), 0);
    assert_false(zmi_encoder_push(&e, &m));
    assert_int_equal(m.type, ZMI_MSG_VSM);
    assert_false(zmi_encoder_push_raw(&e, "x", 1));

    // Partial writes: inside the batch, then across the boundary.
    zmi_encoder_consumed(&e, 10);
    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
    assert_int_equal(iov[0].iov_len, 6);
    zmi_encoder_consumed(&e, 6 + 100);
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_ptr_equal(iov[0].iov_base, body + 100);
    assert_int_equal(iov[0].iov_len, 8092);
    assert_true(e.has_big);
    assert_false(zmi_encoder_empty(&e));
    assert_false(zmi_encoder_push(&e, &m));

    zmi_encoder_consumed(&e, 8091);
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_ptr_equal(iov[0].iov_base, body + 8191);
    assert_int_equal(iov[0].iov_len, 1);
    zmi_encoder_consumed(&e, 1);
    // The body is released (LeakSanitizer would see it otherwise).
    assert_false(e.has_big);
    assert_true(zmi_encoder_empty(&e));
    assert_int_equal(zmi_encoder_iov(&e, iov), 0);

    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    check_iov(&iov[0], "\x00\x01x", 3);
    zmi_encoder_consumed(&e, 3);

    // One write covering the whole batch and part of the body.
    make_msg(&big, 20000, 6, 0);
    body = zmi_msg_data(&big);
    assert_true(zmi_encoder_push(&e, &big));
    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
    assert_int_equal(iov[0].iov_len, 9);
    zmi_encoder_consumed(&e, 9 + 19999);
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
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
    struct iovec iov[2];
    // With room to spare, only the size decides.
    assert_int_equal(zmi_encoder_init(&e, 65536), 0);
    make_msg(&m, ZMI_ENCODER_ZEROCOPY_MIN - 1, 1, 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_false(e.has_big);
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 9 + ZMI_ENCODER_ZEROCOPY_MIN - 1);
    zmi_encoder_consumed(&e, iov[0].iov_len);

    make_msg(&m, ZMI_ENCODER_ZEROCOPY_MIN, 2, 0);
    uint8_t *body = zmi_msg_data(&m);
    assert_true(zmi_encoder_push(&e, &m));
    assert_true(e.has_big);
    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
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
    struct iovec iov[2];
    assert_int_equal(zmi_encoder_init(&e, 8192), 0);
    zmi_msg_init_const(&m, data, sizeof(data));
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
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
    struct iovec iov[2];
    // A cap below 256 is raised to 256.
    assert_int_equal(zmi_encoder_init(&e, 10), 0);
    assert_int_equal(e.cap, 256);

    // 2 + 254 fills the batch exactly: copied.
    make_msg(&m, 254, 1, 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 256);
    zmi_encoder_consumed(&e, 256);

    // 2 + 255 can never fit: sent in place although below the threshold.
    make_msg(&m, 255, 2, 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
    check_iov(&iov[0], "\x00\xff", 2);
    assert_int_equal(iov[1].iov_len, 255);
    zmi_encoder_consumed(&e, 257);
    assert_true(zmi_encoder_empty(&e));

    make_msg(&m, 1000, 3, ZMI_MSG_MORE);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 2);
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
    struct iovec iov[2];
    uint8_t greeting[ZMI_ZMTP_GREETING_SIZE];
    uint8_t junk[300] = { 0 };
    zmi_greeting_encode(greeting);
    assert_int_equal(zmi_encoder_init(&e, 256), 0);

    assert_true(zmi_encoder_push_raw(&e, greeting, sizeof(greeting)));
    assert_true(zmi_encoder_push_raw(&e, NULL, 0));
    assert_int_equal(zmi_msg_init_buffer(&m, "z", 1), 0);
    assert_true(zmi_encoder_push(&e, &m));
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
    assert_int_equal(iov[0].iov_len, 67);
    assert_memory_equal(iov[0].iov_base, greeting, 64);
    assert_memory_equal((uint8_t *) iov[0].iov_base + 64, "\x00\x01z", 3);

    // Larger than the batch: never fits. Larger than what is free: later.
    assert_false(zmi_encoder_push_raw(&e, junk, 257));
    assert_false(zmi_encoder_push_raw(&e, junk, 200));
    zmi_encoder_consumed(&e, 60);
    assert_true(zmi_encoder_push_raw(&e, junk, 200));
    assert_int_equal(zmi_encoder_iov(&e, iov), 1);
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

// Writes out up to max_write octets per "writev" into out.
static void
drain(zmi_encoder_t *e, uint8_t *out, size_t *out_len, size_t max_write,
    size_t *zero_copy)
{
    struct iovec iov[2];
    int cnt;
    while ((cnt = zmi_encoder_iov(e, iov)) > 0) {
        if (cnt == 2)
            (*zero_copy)++;
        size_t k = 1 + rng() % max_write;
        size_t done = 0;
        for (int i = 0; i < cnt && done < k; i++) {
            size_t t = iov[i].iov_len;
            if (t > k - done)
                t = k - done;
            memcpy(out + *out_len, iov[i].iov_base, t);
            *out_len += t;
            done += t;
        }
        zmi_encoder_consumed(e, done);
    }
}

static const size_t rt_sizes[]
    = { 0, 1, 48, 49, 255, 256, 8191, 8192, 1024 * 1024 };

static void
round_trip(size_t cap, size_t max_write, uint64_t seed)
{
    static const uint8_t rt_flags[] = { 0, ZMI_MSG_MORE, ZMI_MSG_COMMAND };
    size_t nsizes = sizeof(rt_sizes) / sizeof(rt_sizes[0]);
    size_t total = 0;
    for (size_t i = 0; i < nsizes; i++)
        total += 3 * (9 + rt_sizes[i]);
    uint8_t *out = malloc(total);
    assert_non_null(out);
    size_t out_len = 0, zero_copy = 0, frames = 0;
    rng_state = seed;

    zmi_encoder_t e;
    assert_int_equal(zmi_encoder_init(&e, cap), 0);
    for (size_t i = 0; i < nsizes; i++) {
        for (size_t f = 0; f < 3; f++) {
            if (rt_flags[f] == ZMI_MSG_COMMAND
                && rt_sizes[i] > ZMI_ZMTP_COMMAND_MAX)
                continue;
            zmi_msg_t m;
            make_msg(&m, rt_sizes[i], (unsigned) (i * 3 + f), rt_flags[f]);
            // An empty encoder must take any frame: no livelock.
            while (!zmi_encoder_push(&e, &m)) {
                assert_false(zmi_encoder_empty(&e));
                drain(&e, out, &out_len, max_write, &zero_copy);
            }
            frames++;
        }
    }
    drain(&e, out, &out_len, max_write, &zero_copy);
    assert_true(zmi_encoder_empty(&e));
    assert_true(zero_copy > 0);
    zmi_encoder_fini(&e);

    zmi_decoder_t d;
    zmi_decoder_init(&d, -1);
    size_t off = 0, got = 0;
    for (size_t i = 0; i < nsizes; i++) {
        for (size_t f = 0; f < 3; f++) {
            if (rt_flags[f] == ZMI_MSG_COMMAND
                && rt_sizes[i] > ZMI_ZMTP_COMMAND_MAX)
                continue;
            zmi_msg_t m;
            int rc = 0;
            while (rc == 0) {
                size_t k = 1 + rng() % 5000, used;
                if (k > out_len - off)
                    k = out_len - off;
                assert_true(k > 0);
                rc = zmi_decoder_decode(&d, out + off, k, &used, &m);
                off += used;
            }
            assert_int_equal(rc, 1);
            got++;
            assert_int_equal(zmi_msg_size(&m), rt_sizes[i]);
            assert_int_equal(
                m.flags & (ZMI_MSG_MORE | ZMI_MSG_COMMAND), rt_flags[f]);
            uint8_t *want = malloc(rt_sizes[i] + 1);
            assert_non_null(want);
            fill_pattern(want, rt_sizes[i], (unsigned) (i * 3 + f));
            if (rt_sizes[i] > 0)
                assert_memory_equal(zmi_msg_data(&m), want, rt_sizes[i]);
            free(want);
            zmi_msg_close(&m);
        }
    }
    assert_int_equal(off, out_len);
    assert_int_equal(got, frames);
    zmi_decoder_fini(&d);
    free(out);
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
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
