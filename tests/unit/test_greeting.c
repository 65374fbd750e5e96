// Unit tests for the ZMTP greeting (codec/greeting.c): the exact 64 octets
// zmsg sends, and what is accepted or refused from a peer (RFC 37 section
// "Version Negotiation", wire.md "Greeting").

#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "codec/greeting.h"

static const uint8_t greeting_expected[ZMI_ZMTP_GREETING_SIZE] = {
    0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0x03, 0x01, 'N', 'U', 'L', 'L',
    // The rest of the mechanism, as-server and filler are all zero.
};

static void
good_greeting(uint8_t g[ZMI_ZMTP_GREETING_SIZE])
{
    memcpy(g, greeting_expected, ZMI_ZMTP_GREETING_SIZE);
}

static void
test_encode_exact(void **state)
{
    (void) state;
    uint8_t out[ZMI_ZMTP_GREETING_SIZE];
    memset(out, 0xAA, sizeof(out));
    zmi_greeting_encode(out);
    assert_memory_equal(out, greeting_expected, ZMI_ZMTP_GREETING_SIZE);
    assert_int_equal(out[0], 0xFF);
    assert_int_equal(out[9], 0x7F);
    assert_int_equal(out[10], 3);
    assert_int_equal(out[11], 1);
    assert_int_equal(out[32], 0);
    for (int i = 16; i < ZMI_ZMTP_GREETING_SIZE; i++)
        assert_int_equal(out[i], 0);
}

static void
test_decode_own(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;
    memset(&g, 0x5A, sizeof(g));
    zmi_greeting_encode(in);
    assert_int_equal(zmi_greeting_decode(in, &g), 0);
    assert_int_equal(g.major, 3);
    assert_int_equal(g.minor, 1);
    assert_string_equal(g.mechanism, "NULL");
    assert_false(g.as_server);
}

static void
test_decode_libzmq_padding_and_filler(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;
    good_greeting(in);
    // libzmq sends the big-endian (routing-id length + 1) in the padding.
    in[8] = 0x01;
    in[1] = 0x12;
    // Filler is not significant either.
    in[40] = 0x99;
    in[63] = 0xFF;
    assert_int_equal(zmi_greeting_decode(in, &g), 0);
    assert_string_equal(g.mechanism, "NULL");
}

static void
test_decode_versions(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;

    good_greeting(in);
    in[11] = 0; // ZMTP 3.0
    assert_int_equal(zmi_greeting_decode(in, &g), 0);
    assert_int_equal(g.major, 3);
    assert_int_equal(g.minor, 0);

    in[11] = 7; // a later 3.x
    assert_int_equal(zmi_greeting_decode(in, &g), 0);
    assert_int_equal(g.minor, 7);

    in[10] = 4; // a later major is ours to downgrade from
    in[11] = 2;
    assert_int_equal(zmi_greeting_decode(in, &g), 0);
    assert_int_equal(g.major, 4);
    assert_int_equal(g.minor, 2);
}

static void
test_decode_bad_signature(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;
    static const uint8_t bad0[] = { 0x00, 0x01, 0x7F, 0xFE };
    static const uint8_t bad9[] = { 0x00, 0x7E, 0xFF, 0x01, 0x03 };

    for (size_t i = 0; i < sizeof(bad0); i++) {
        good_greeting(in);
        in[0] = bad0[i];
        assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
    }
    for (size_t i = 0; i < sizeof(bad9); i++) {
        good_greeting(in);
        in[9] = bad9[i];
        assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
    }
}

static void
test_decode_old_major(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;
    for (uint8_t major = 0; major < 3; major++) {
        good_greeting(in);
        in[10] = major;
        assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
    }
}

static void
set_mechanism(uint8_t in[ZMI_ZMTP_GREETING_SIZE], const void *m, size_t n)
{
    memset(in + 12, 0, ZMI_ZMTP_MECHANISM_SIZE);
    memcpy(in + 12, m, n);
}

static void
test_decode_mechanism(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;
    static const struct {
        const char *m;
        size_t n;
    } bad[] = {
        { "PLAIN", 5 }, { "CURVE", 5 },
        { "null", 4 }, // mechanisms are upper case
        { "", 0 }, // empty
        { "NULLX", 5 }, // longer name
        { "NUL", 3 }, // prefix only
        { "NULL\0X", 6 }, // non-NUL after the padding starts
        { "\0NULL", 5 }, // empty name, junk padding
        { "NUL!", 4 }, // invalid character
        { "N LL", 4 }, // space is invalid
        { "NULL\xff", 5 }, // non-ASCII
        { "AAAAAAAAAAAAAAAAAAAA", 20 }, // full width, valid chars, not NULL
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        good_greeting(in);
        set_mechanism(in, bad[i].m, bad[i].n);
        assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
    }
    // Trailing padding byte at the very end of the field is junk too.
    good_greeting(in);
    in[31] = 'A';
    assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
}

static void
test_decode_as_server(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g;
    good_greeting(in);
    in[32] = 1; // NULL has no server role
    assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
    in[32] = 2;
    assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
    in[32] = 0xFF;
    assert_int_equal(zmi_greeting_decode(in, &g), -EPROTO);
}

static void
test_prefix_good(void **state)
{
    (void) state;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    good_greeting(in);
    for (size_t n = 0; n <= ZMI_ZMTP_GREETING_SIZE; n++)
        assert_int_equal(zmi_greeting_check_prefix(in, n), 0);
    // A peer's padding may be anything.
    in[3] = 0x42;
    for (size_t n = 0; n <= ZMI_ZMTP_GREETING_SIZE; n++)
        assert_int_equal(zmi_greeting_check_prefix(in, n), 0);
    // Bytes after the prefix are not looked at (a mechanism error is for
    // decode to find).
    in[12] = '!';
    assert_int_equal(zmi_greeting_check_prefix(in, 11), 0);
}

static void
test_prefix_zmtp10(void **state)
{
    (void) state;
    // ZMTP 1.0 starts with a short length octet: refused at the first byte.
    static const uint8_t v10_short[] = { 0x06, 0x00, 'h', 'e', 'l', 'l', 'o' };
    assert_int_equal(zmi_greeting_check_prefix(v10_short, 0), 0);
    assert_int_equal(zmi_greeting_check_prefix(v10_short, 1), -EPROTO);
    assert_int_equal(zmi_greeting_check_prefix(v10_short, 7), -EPROTO);

    // ZMTP 1.0 long form: 0xFF, 8-octet length, then a flags octet whose
    // bit 0 is clear. Only the 10th byte tells.
    static const uint8_t v10_long[]
        = { 0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00, 'x' };
    for (size_t n = 0; n <= 9; n++)
        assert_int_equal(zmi_greeting_check_prefix(v10_long, n), 0);
    assert_int_equal(zmi_greeting_check_prefix(v10_long, 10), -EPROTO);
    assert_int_equal(zmi_greeting_check_prefix(v10_long, 11), -EPROTO);
}

static void
test_prefix_zmtp20(void **state)
{
    (void) state;
    for (uint8_t major = 0; major < 3; major++) {
        uint8_t in[ZMI_ZMTP_GREETING_SIZE];
        good_greeting(in);
        in[10] = major;
        for (size_t n = 0; n <= 10; n++)
            assert_int_equal(zmi_greeting_check_prefix(in, n), 0);
        assert_int_equal(zmi_greeting_check_prefix(in, 11), -EPROTO);
        assert_int_equal(zmi_greeting_check_prefix(in, 64), -EPROTO);
    }
}

static void
test_prefix_long_n_clamped(void **state)
{
    (void) state;
    // n beyond 64 is clamped: bytes after the greeting are not read.
    uint8_t in[ZMI_ZMTP_GREETING_SIZE + 16];
    memset(in, 0xEE, sizeof(in));
    good_greeting(in);
    assert_int_equal(zmi_greeting_check_prefix(in, sizeof(in)), 0);
}

// Random greetings: 0 or -EPROTO, and prefix checks agree with decode.
static void
test_random_greetings(void **state)
{
    (void) state;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    uint8_t in[ZMI_ZMTP_GREETING_SIZE];
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        good_greeting(in);
        // Flip a few random octets of a good greeting.
        for (int k = 0; k < 1 + round % 3; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            in[x % ZMI_ZMTP_GREETING_SIZE] = (uint8_t) (x >> 8);
        }
        zmi_greeting_t g;
        int rc = zmi_greeting_decode(in, &g);
        assert_true(rc == 0 || rc == -EPROTO);
        if (zmi_greeting_check_prefix(in, ZMI_ZMTP_GREETING_SIZE) != 0)
            assert_int_equal(rc, -EPROTO);
        if (rc == 0) {
            accepted++;
            assert_int_equal(in[0], 0xFF);
            assert_true(g.major >= 3);
            assert_string_equal(g.mechanism, "NULL");
        }
    }
    assert_true(accepted > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_decode_own),
        cmocka_unit_test(test_decode_libzmq_padding_and_filler),
        cmocka_unit_test(test_decode_versions),
        cmocka_unit_test(test_decode_bad_signature),
        cmocka_unit_test(test_decode_old_major),
        cmocka_unit_test(test_decode_mechanism),
        cmocka_unit_test(test_decode_as_server),
        cmocka_unit_test(test_prefix_good),
        cmocka_unit_test(test_prefix_zmtp10),
        cmocka_unit_test(test_prefix_zmtp20),
        cmocka_unit_test(test_prefix_long_n_clamped),
        cmocka_unit_test(test_random_greetings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
