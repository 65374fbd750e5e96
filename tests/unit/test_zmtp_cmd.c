// Unit tests for ZMTP commands (codec/zmtp_cmd.c): byte-exact encodings
// against the RFC 37 worked examples, parsing of every malformed command
// body, and the socket-type tables of RFC 23/37.

#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "codec/zmtp_cmd.h"

// RFC 37 worked example: a DEALER's READY with an empty Identity.
static const uint8_t ready_dealer[] = {
    0x04,
    0x29,
    0x05,
    'R',
    'E',
    'A',
    'D',
    'Y',
    0x0B,
    'S',
    'o',
    'c',
    'k',
    'e',
    't',
    '-',
    'T',
    'y',
    'p',
    'e',
    0x00,
    0x00,
    0x00,
    0x06,
    'D',
    'E',
    'A',
    'L',
    'E',
    'R',
    0x08,
    'I',
    'd',
    'e',
    'n',
    't',
    'i',
    't',
    'y',
    0x00,
    0x00,
    0x00,
    0x00,
};

static void
test_frame_header(void **state)
{
    (void) state;
    uint8_t h[ZMI_ZMTP_HEADER_MAX];

    assert_int_equal(zmi_zmtp_frame_header(h, 0, 0), 2);
    assert_int_equal(h[0], 0x00);
    assert_int_equal(h[1], 0x00);

    assert_int_equal(zmi_zmtp_frame_header(h, ZMI_ZMTP_MORE, 255), 2);
    assert_int_equal(h[0], 0x01);
    assert_int_equal(h[1], 0xFF);

    assert_int_equal(zmi_zmtp_frame_header(h, ZMI_ZMTP_COMMAND, 256), 9);
    static const uint8_t h256[] = { 0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
    assert_memory_equal(h, h256, 9);

    assert_int_equal(
        zmi_zmtp_frame_header(h, ZMI_ZMTP_MORE, 0x0102030405060708ull), 9);
    static const uint8_t hbig[] = { 0x03, 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_memory_equal(h, hbig, 9);

    // A stray LONG flag on a short size is dropped, not sent wrong.
    assert_int_equal(zmi_zmtp_frame_header(h, ZMI_ZMTP_LONG, 7), 2);
    assert_int_equal(h[0], 0x00);
    assert_int_equal(h[1], 7);
}

static void
test_ready_rfc_example(void **state)
{
    (void) state;
    uint8_t out[128];
    memset(out, 0xAA, sizeof(out));
    ssize_t n = zmi_zmtp_encode_ready(
        out, sizeof(out), ZMSG_DEALER, (const uint8_t *) "", 0);
    assert_int_equal(n, sizeof(ready_dealer));
    assert_int_equal(n, 43);
    assert_memory_equal(out, ready_dealer, sizeof(ready_dealer));
    assert_int_equal(out[n], 0xAA); // nothing written past the frame

    // An exact fit works, one octet less does not.
    assert_int_equal(
        zmi_zmtp_encode_ready(out, 43, ZMSG_DEALER, (const uint8_t *) "", 0),
        43);
    assert_int_equal(
        zmi_zmtp_encode_ready(out, 42, ZMSG_DEALER, (const uint8_t *) "", 0),
        -ENOSPC);
    assert_int_equal(
        zmi_zmtp_encode_ready(out, 0, ZMSG_DEALER, NULL, 0), -ENOSPC);
}

static void
test_ready_no_identity(void **state)
{
    (void) state;
    uint8_t out[64];
    static const uint8_t want[] = {
        0x04,
        0x1A,
        0x05,
        'R',
        'E',
        'A',
        'D',
        'Y',
        0x0B,
        'S',
        'o',
        'c',
        'k',
        'e',
        't',
        '-',
        'T',
        'y',
        'p',
        'e',
        0x00,
        0x00,
        0x00,
        0x04,
        'P',
        'U',
        'S',
        'H',
    };
    ssize_t n = zmi_zmtp_encode_ready(out, sizeof(out), ZMSG_PUSH, NULL, 0);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

static void
test_ready_identity(void **state)
{
    (void) state;
    uint8_t out[64];
    static const uint8_t want[] = {
        0x04,
        0x2A,
        0x05,
        'R',
        'E',
        'A',
        'D',
        'Y',
        0x0B,
        'S',
        'o',
        'c',
        'k',
        'e',
        't',
        '-',
        'T',
        'y',
        'p',
        'e',
        0x00,
        0x00,
        0x00,
        0x03,
        'R',
        'E',
        'Q',
        0x08,
        'I',
        'd',
        'e',
        'n',
        't',
        'i',
        't',
        'y',
        0x00,
        0x00,
        0x00,
        0x04,
        'p',
        'e',
        'e',
        'r',
    };
    ssize_t n = zmi_zmtp_encode_ready(
        out, sizeof(out), ZMSG_REQ, (const uint8_t *) "peer", 4);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

static void
test_ready_long_form(void **state)
{
    (void) state;
    uint8_t id[255];
    uint8_t out[512];
    memset(id, 'i', sizeof(id));
    // Body: 6 (name) + 22 (Socket-Type ROUTER) + 13 + 255 = 296.
    ssize_t n
        = zmi_zmtp_encode_ready(out, sizeof(out), ZMSG_ROUTER, id, sizeof(id));
    assert_int_equal(n, 9 + 296);
    static const uint8_t hdr[] = { 0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x28 };
    assert_memory_equal(out, hdr, sizeof(hdr));
    assert_int_equal(out[9], 5);
    assert_memory_equal(out + 10, "READY", 5);
    assert_memory_equal(out + n - 255, id, 255);

    zmi_zmtp_cmd_t cmd;
    zmi_ready_t r;
    assert_int_equal(zmi_zmtp_parse_cmd(out + 9, (size_t) n - 9, &cmd), 0);
    assert_int_equal(cmd.kind, ZMI_ZMTP_READY);
    assert_int_equal(zmi_zmtp_parse_ready(cmd.data, cmd.size, &r), 0);
    assert_int_equal(r.socket_type, ZMSG_ROUTER);
    assert_int_equal(r.identity_size, 255);
    assert_memory_equal(r.identity, id, 255);
}

static void
test_ready_bad_args(void **state)
{
    (void) state;
    uint8_t out[1024];
    uint8_t id[256] = { 0 };
    assert_int_equal(
        zmi_zmtp_encode_ready(out, sizeof(out), -1, NULL, 0), -EINVAL);
    assert_int_equal(
        zmi_zmtp_encode_ready(out, sizeof(out), ZMSG_XSUB + 1, NULL, 0),
        -EINVAL);
    assert_int_equal(
        zmi_zmtp_encode_ready(out, sizeof(out), ZMSG_DEALER, id, 256), -EINVAL);
    assert_int_equal(
        zmi_zmtp_encode_ready(out, sizeof(out), ZMSG_DEALER, NULL, 3), -EINVAL);
}

static void
test_subscribe_cancel(void **state)
{
    (void) state;
    uint8_t out[600];
    static const uint8_t sub_a[] = { 0x04, 0x0B, 0x09, 'S', 'U', 'B', 'S', 'C',
        'R', 'I', 'B', 'E', 'A' };
    static const uint8_t cancel_a[]
        = { 0x04, 0x08, 0x06, 'C', 'A', 'N', 'C', 'E', 'L', 'A' };
    static const uint8_t sub_all[]
        = { 0x04, 0x0A, 0x09, 'S', 'U', 'B', 'S', 'C', 'R', 'I', 'B', 'E' };

    ssize_t n = zmi_zmtp_encode_subscribe(
        out, sizeof(out), true, (const uint8_t *) "A", 1);
    assert_int_equal(n, sizeof(sub_a));
    assert_memory_equal(out, sub_a, sizeof(sub_a));

    n = zmi_zmtp_encode_subscribe(
        out, sizeof(out), false, (const uint8_t *) "A", 1);
    assert_int_equal(n, sizeof(cancel_a));
    assert_memory_equal(out, cancel_a, sizeof(cancel_a));

    n = zmi_zmtp_encode_subscribe(out, sizeof(out), true, NULL, 0);
    assert_int_equal(n, sizeof(sub_all));
    assert_memory_equal(out, sub_all, sizeof(sub_all));

    // 246 topic octets make a 256-octet body: the long form.
    uint8_t topic[246];
    memset(topic, 't', sizeof(topic));
    n = zmi_zmtp_encode_subscribe(out, sizeof(out), true, topic, 245);
    assert_int_equal(n, 2 + 255);
    assert_int_equal(out[0], 0x04);
    assert_int_equal(out[1], 0xFF);
    n = zmi_zmtp_encode_subscribe(out, sizeof(out), true, topic, 246);
    assert_int_equal(n, 9 + 256);
    static const uint8_t hdr[] = { 0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
    assert_memory_equal(out, hdr, sizeof(hdr));
    assert_memory_equal(out + 19, topic, 246);

    assert_int_equal(
        zmi_zmtp_encode_subscribe(out, 12, true, (const uint8_t *) "A", 1),
        -ENOSPC);
    assert_int_equal(
        zmi_zmtp_encode_subscribe(out, sizeof(out), true, NULL, (size_t) -1),
        -EINVAL);
    assert_int_equal(
        zmi_zmtp_encode_subscribe(out, sizeof(out), true, topic, (size_t) -1),
        -ENOSPC);
}

static void
test_error(void **state)
{
    (void) state;
    uint8_t out[600];
    static const uint8_t want[]
        = { 0x04, 0x0A, 0x05, 'E', 'R', 'R', 'O', 'R', 0x03, 'b', 'a', 'd' };
    ssize_t n = zmi_zmtp_encode_error(out, sizeof(out), "bad");
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));

    static const uint8_t empty[]
        = { 0x04, 0x07, 0x05, 'E', 'R', 'R', 'O', 'R', 0x00 };
    n = zmi_zmtp_encode_error(out, sizeof(out), NULL);
    assert_int_equal(n, sizeof(empty));
    assert_memory_equal(out, empty, sizeof(empty));
    n = zmi_zmtp_encode_error(out, sizeof(out), "");
    assert_int_equal(n, sizeof(empty));
    assert_memory_equal(out, empty, sizeof(empty));

    char reason[257];
    memset(reason, 'r', 256);
    reason[256] = '\0';
    assert_int_equal(zmi_zmtp_encode_error(out, sizeof(out), reason), -EINVAL);
    reason[255] = '\0';
    n = zmi_zmtp_encode_error(out, sizeof(out), reason);
    assert_int_equal(n, 9 + 1 + 5 + 1 + 255);
    assert_int_equal(out[0], 0x06);
    assert_int_equal(out[8], 0x06); // 262 = 0x106
    assert_int_equal(out[7], 0x01);
    assert_int_equal(out[15], 255);
    assert_int_equal(zmi_zmtp_encode_error(out, 11, "bad"), -ENOSPC);
}

static void
test_ping_pong(void **state)
{
    (void) state;
    uint8_t out[64];
    static const uint8_t ping[]
        = { 0x04, 0x09, 0x04, 'P', 'I', 'N', 'G', 0x12, 0x34, 'x', 'y' };
    ssize_t n = zmi_zmtp_encode_ping(
        out, sizeof(out), 0x1234, (const uint8_t *) "xy", 2);
    assert_int_equal(n, sizeof(ping));
    assert_memory_equal(out, ping, sizeof(ping));

    static const uint8_t ping0[]
        = { 0x04, 0x07, 0x04, 'P', 'I', 'N', 'G', 0x00, 0x64 };
    n = zmi_zmtp_encode_ping(out, sizeof(out), 100, NULL, 0);
    assert_int_equal(n, sizeof(ping0));
    assert_memory_equal(out, ping0, sizeof(ping0));

    static const uint8_t pong[]
        = { 0x04, 0x07, 0x04, 'P', 'O', 'N', 'G', 'x', 'y' };
    n = zmi_zmtp_encode_pong(out, sizeof(out), (const uint8_t *) "xy", 2);
    assert_int_equal(n, sizeof(pong));
    assert_memory_equal(out, pong, sizeof(pong));

    uint8_t ctx[17] = { 0 };
    assert_int_equal(
        zmi_zmtp_encode_ping(out, sizeof(out), 1, ctx, 17), -EINVAL);
    assert_int_equal(zmi_zmtp_encode_pong(out, sizeof(out), ctx, 17), -EINVAL);
    assert_int_equal(
        zmi_zmtp_encode_ping(out, sizeof(out), 1, ctx, 16), 2 + 1 + 4 + 2 + 16);
    assert_int_equal(
        zmi_zmtp_encode_pong(out, sizeof(out), ctx, 16), 2 + 1 + 4 + 16);
    assert_int_equal(zmi_zmtp_encode_ping(out, 8, 1, NULL, 0), -ENOSPC);
    assert_int_equal(zmi_zmtp_encode_pong(out, 6, NULL, 0), -ENOSPC);
}

// Parses a whole encoded short frame as a command.
static void
parse_frame(const uint8_t *frame, ssize_t n, zmi_zmtp_cmd_t *cmd)
{
    assert_true(n >= 2);
    assert_int_equal(frame[0], 0x04);
    assert_int_equal(frame[1], n - 2);
    assert_int_equal(zmi_zmtp_parse_cmd(frame + 2, (size_t) n - 2, cmd), 0);
}

static void
test_parse_cmd_kinds(void **state)
{
    (void) state;
    uint8_t out[128];
    zmi_zmtp_cmd_t cmd;
    ssize_t n;

    parse_frame(ready_dealer, sizeof(ready_dealer), &cmd);
    assert_int_equal(cmd.kind, ZMI_ZMTP_READY);
    assert_ptr_equal(cmd.data, ready_dealer + 8);
    assert_int_equal(cmd.size, sizeof(ready_dealer) - 8);

    n = zmi_zmtp_encode_error(out, sizeof(out), "why");
    parse_frame(out, n, &cmd);
    assert_int_equal(cmd.kind, ZMI_ZMTP_ERROR);
    assert_int_equal(cmd.size, 4);
    assert_memory_equal(cmd.data, "\x03why", 4);

    n = zmi_zmtp_encode_subscribe(
        out, sizeof(out), true, (const uint8_t *) "top", 3);
    parse_frame(out, n, &cmd);
    assert_int_equal(cmd.kind, ZMI_ZMTP_SUBSCRIBE);
    assert_int_equal(cmd.size, 3);
    assert_memory_equal(cmd.data, "top", 3);

    n = zmi_zmtp_encode_subscribe(out, sizeof(out), false, NULL, 0);
    parse_frame(out, n, &cmd);
    assert_int_equal(cmd.kind, ZMI_ZMTP_CANCEL);
    assert_int_equal(cmd.size, 0);

    n = zmi_zmtp_encode_ping(
        out, sizeof(out), 0xBEEF, (const uint8_t *) "ctx", 3);
    parse_frame(out, n, &cmd);
    assert_int_equal(cmd.kind, ZMI_ZMTP_PING);
    uint16_t ttl = 0;
    const uint8_t *ctx = NULL;
    size_t ctx_size = 99;
    assert_int_equal(
        zmi_zmtp_parse_ping(cmd.data, cmd.size, &ttl, &ctx, &ctx_size), 0);
    assert_int_equal(ttl, 0xBEEF);
    assert_int_equal(ctx_size, 3);
    assert_memory_equal(ctx, "ctx", 3);

    n = zmi_zmtp_encode_pong(out, sizeof(out), (const uint8_t *) "ctx", 3);
    parse_frame(out, n, &cmd);
    assert_int_equal(cmd.kind, ZMI_ZMTP_PONG);
    assert_int_equal(cmd.size, 3);

    // Well-formed but unknown names are reported, not refused. Command
    // names compare exactly, as in libzmq.
    static const uint8_t hello[] = { 0x05, 'H', 'E', 'L', 'L', 'O', 0x01 };
    assert_int_equal(zmi_zmtp_parse_cmd(hello, sizeof(hello), &cmd), 0);
    assert_int_equal(cmd.kind, ZMI_ZMTP_UNKNOWN);
    assert_int_equal(cmd.size, 1);
    static const uint8_t lower[] = { 0x05, 'r', 'e', 'a', 'd', 'y' };
    assert_int_equal(zmi_zmtp_parse_cmd(lower, sizeof(lower), &cmd), 0);
    assert_int_equal(cmd.kind, ZMI_ZMTP_UNKNOWN);
    static const uint8_t prefix[] = { 0x04, 'R', 'E', 'A', 'D', 'Y' };
    assert_int_equal(zmi_zmtp_parse_cmd(prefix, sizeof(prefix), &cmd), 0);
    assert_int_equal(cmd.kind, ZMI_ZMTP_UNKNOWN);
    assert_int_equal(cmd.size, 1);
}

static void
test_parse_cmd_malformed(void **state)
{
    (void) state;
    zmi_zmtp_cmd_t cmd;
    static const uint8_t zero_len[] = { 0x00, 'R' };
    static const uint8_t past_end[] = { 0x06, 'R', 'E', 'A', 'D', 'Y' };
    static const uint8_t only_len[] = { 0x05 };
    static const uint8_t digit[] = { 0x05, 'R', 'E', '4', 'D', 'Y' };
    static const uint8_t space[] = { 0x05, 'R', 'E', ' ', 'D', 'Y' };
    static const uint8_t nul[] = { 0x05, 'R', 'E', 0x00, 'D', 'Y' };
    static const uint8_t high[] = { 0x01, 0xC1 };
    static const uint8_t max_len[] = { 0xFF, 'A', 'B' };

    assert_int_equal(zmi_zmtp_parse_cmd(zero_len, 0, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(NULL, 0, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(zero_len, 2, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(past_end, 6, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(only_len, 1, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(digit, 6, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(space, 6, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(nul, 6, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(high, 2, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(max_len, 3, &cmd), -EPROTO);

    // Every truncation of a valid READY body inside the name fails.
    const uint8_t *body = ready_dealer + 2;
    for (size_t n = 0; n < 6; n++)
        assert_int_equal(zmi_zmtp_parse_cmd(body, n, &cmd), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_cmd(body, 6, &cmd), 0);
    assert_int_equal(cmd.size, 0);
}

static void
test_parse_ready_rfc(void **state)
{
    (void) state;
    zmi_ready_t r;
    const uint8_t *meta = ready_dealer + 8;
    size_t size = sizeof(ready_dealer) - 8;
    memset(&r, 0x5A, sizeof(r));
    assert_int_equal(zmi_zmtp_parse_ready(meta, size, &r), 0);
    assert_int_equal(r.socket_type, ZMSG_DEALER);
    assert_non_null(r.identity); // present, though empty
    assert_ptr_equal(r.identity, meta + size);
    assert_int_equal(r.identity_size, 0);

    // No properties at all.
    memset(&r, 0x5A, sizeof(r));
    assert_int_equal(zmi_zmtp_parse_ready(NULL, 0, &r), 0);
    assert_int_equal(r.socket_type, -1);
    assert_null(r.identity);
    assert_int_equal(r.identity_size, 0);
}

// Appends one property to buf at *pos (test-side builder).
static void
add_prop(uint8_t *buf, size_t *pos, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    buf[(*pos)++] = (uint8_t) nl;
    memcpy(buf + *pos, name, nl);
    *pos += nl;
    buf[(*pos)++] = 0;
    buf[(*pos)++] = 0;
    buf[(*pos)++] = (uint8_t) (vl >> 8);
    buf[(*pos)++] = (uint8_t) vl;
    memcpy(buf + *pos, value, vl);
    *pos += vl;
}

static void
test_parse_ready_properties(void **state)
{
    (void) state;
    uint8_t buf[512];
    size_t n = 0;
    zmi_ready_t r;

    // Case-insensitive names, unknown properties skipped in any position.
    add_prop(buf, &n, "X-Custom", "anything");
    add_prop(buf, &n, "socket-type", "PUB");
    add_prop(buf, &n, "Resource", "/a/b");
    add_prop(buf, &n, "IDENTITY", "me");
    add_prop(buf, &n, "User-Id.+_9", "");
    assert_int_equal(zmi_zmtp_parse_ready(buf, n, &r), 0);
    assert_int_equal(r.socket_type, ZMSG_PUB);
    assert_int_equal(r.identity_size, 2);
    assert_memory_equal(r.identity, "me", 2);

    // Socket-Type values are case-sensitive; unknown ones give -1.
    static const char *const unknown[]
        = { "dealer", "CLIENT", "DEALERS", "", "DEALE" };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        n = 0;
        add_prop(buf, &n, "Socket-Type", unknown[i]);
        assert_int_equal(zmi_zmtp_parse_ready(buf, n, &r), 0);
        assert_int_equal(r.socket_type, -1);
        assert_null(r.identity);
    }

    // Each zmsg socket type's name survives encode + parse.
    for (int t = ZMSG_PAIR; t <= ZMSG_XSUB; t++) {
        uint8_t out[64];
        ssize_t len = zmi_zmtp_encode_ready(out, sizeof(out), t, NULL, 0);
        assert_true(len > 8);
        assert_int_equal(
            zmi_zmtp_parse_ready(out + 8, (size_t) len - 8, &r), 0);
        assert_int_equal(r.socket_type, t);
    }

    // An Identity above 255 octets breaks RFC 37.
    uint8_t big[300];
    n = 0;
    big[n++] = 8;
    memcpy(big + n, "Identity", 8);
    n += 8;
    big[n++] = 0;
    big[n++] = 0;
    big[n++] = 1;
    big[n++] = 0; // 256
    memset(big + n, 'x', 256);
    n += 256;
    assert_int_equal(zmi_zmtp_parse_ready(big, n, &r), -EPROTO);
    big[n - 256 - 2] = 0;
    big[n - 256 - 1] = 255;
    assert_int_equal(zmi_zmtp_parse_ready(big, n - 1, &r), 0);
    assert_int_equal(r.identity_size, 255);
}

static void
test_parse_ready_truncated(void **state)
{
    (void) state;
    const uint8_t *meta = ready_dealer + 8;
    size_t size = sizeof(ready_dealer) - 8;
    zmi_ready_t r;
    // Property boundaries: after Socket-Type (22 octets) and at the end.
    for (size_t n = 0; n <= size; n++) {
        int rc = zmi_zmtp_parse_ready(meta, n, &r);
        if (n == 0 || n == 22 || n == size)
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, -EPROTO);
    }
}

static void
test_parse_ready_malformed(void **state)
{
    (void) state;
    zmi_ready_t r;
    // Name length 0.
    static const uint8_t name0[] = { 0x00, 0, 0, 0, 0 };
    // Name length past the end.
    static const uint8_t name_past[]
        = { 0x09, 'I', 'd', 'e', 'n', 't', 'i', 't', 'y' };
    // Invalid name characters.
    static const uint8_t name_space[]
        = { 0x04, 'a', ' ', 'b', 'c', 0, 0, 0, 0 };
    static const uint8_t name_colon[]
        = { 0x04, 'a', ':', 'b', 'c', 0, 0, 0, 0 };
    static const uint8_t name_nul[] = { 0x02, 'a', 0x00, 0, 0, 0, 0 };
    static const uint8_t name_high[] = { 0x02, 'a', 0xE9, 0, 0, 0, 0 };
    // Value length missing octets.
    static const uint8_t vlen_short[] = { 0x01, 'a', 0, 0, 0 };
    // Value length one more than what is left.
    static const uint8_t vlen_over[] = { 0x01, 'a', 0, 0, 0, 3, 'x', 'y' };
    // Value lengths that would overflow 32-bit arithmetic or break 2^31.
    static const uint8_t vlen_max[]
        = { 0x01, 'a', 0xFF, 0xFF, 0xFF, 0xFF, 'x' };
    static const uint8_t vlen_2_31[] = { 0x01, 'a', 0x80, 0x00, 0x00, 0x00 };
    static const uint8_t vlen_huge[] = { 0x01, 'a', 0x7F, 0xFF, 0xFF, 0xFF };
    // A good property followed by a broken one.
    static const uint8_t second_bad[] = { 0x01, 'a', 0, 0, 0, 1, 'x', 0x01 };
    static const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {
        { name0, sizeof(name0) },
        { name_past, sizeof(name_past) },
        { name_space, sizeof(name_space) },
        { name_colon, sizeof(name_colon) },
        { name_nul, sizeof(name_nul) },
        { name_high, sizeof(name_high) },
        { vlen_short, sizeof(vlen_short) },
        { vlen_over, sizeof(vlen_over) },
        { vlen_max, sizeof(vlen_max) },
        { vlen_2_31, sizeof(vlen_2_31) },
        { vlen_huge, sizeof(vlen_huge) },
        { second_bad, sizeof(second_bad) },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.socket_type = 77;
        assert_int_equal(zmi_zmtp_parse_ready(bad[i].p, bad[i].n, &r), -EPROTO);
        assert_int_equal(r.socket_type, 77); // untouched on failure
    }
    // The good prefix of second_bad parses.
    assert_int_equal(zmi_zmtp_parse_ready(second_bad, 7, &r), 0);

    // A 255-octet name is the longest allowed.
    uint8_t longname[1 + 255 + 4];
    longname[0] = 255;
    memset(longname + 1, 'n', 255);
    memset(longname + 256, 0, 4);
    assert_int_equal(zmi_zmtp_parse_ready(longname, sizeof(longname), &r), 0);
}

static void
test_parse_ping(void **state)
{
    (void) state;
    uint16_t ttl = 0;
    const uint8_t *ctx = NULL;
    size_t ctx_size = 0;
    uint8_t data[2 + 20];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t) i;

    assert_int_equal(
        zmi_zmtp_parse_ping(data, 0, &ttl, &ctx, &ctx_size), -EPROTO);
    assert_int_equal(
        zmi_zmtp_parse_ping(data, 1, &ttl, &ctx, &ctx_size), -EPROTO);
    assert_int_equal(zmi_zmtp_parse_ping(data, 2, &ttl, &ctx, &ctx_size), 0);
    assert_int_equal(ttl, 0x0001);
    assert_int_equal(ctx_size, 0);
    assert_int_equal(zmi_zmtp_parse_ping(data, 18, &ttl, &ctx, &ctx_size), 0);
    assert_int_equal(ctx_size, 16);
    assert_ptr_equal(ctx, data + 2);
    // Longer contexts are truncated to 16 as libzmq does.
    assert_int_equal(
        zmi_zmtp_parse_ping(data, sizeof(data), &ttl, &ctx, &ctx_size), 0);
    assert_int_equal(ctx_size, 16);
    assert_ptr_equal(ctx, data + 2);
}

static void
test_socket_type_names(void **state)
{
    (void) state;
    static const char *const names[] = { "PAIR", "PUB", "SUB", "REQ", "REP",
        "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB" };
    for (int t = 0; t <= ZMSG_XSUB; t++) {
        assert_string_equal(zmi_zmtp_socket_type_name(t), names[t]);
        assert_int_equal(zmi_zmtp_socket_type_from_name(
                             (const uint8_t *) names[t], strlen(names[t])),
            t);
    }
    assert_null(zmi_zmtp_socket_type_name(-1));
    assert_null(zmi_zmtp_socket_type_name(ZMSG_XSUB + 1));
    assert_int_equal(
        zmi_zmtp_socket_type_from_name((const uint8_t *) "push", 4), -1);
    assert_int_equal(
        zmi_zmtp_socket_type_from_name((const uint8_t *) "PUSHX", 5), -1);
    assert_int_equal(
        zmi_zmtp_socket_type_from_name((const uint8_t *) "PUSH", 3), -1);
    assert_int_equal(
        zmi_zmtp_socket_type_from_name((const uint8_t *) "SERVER", 6), -1);
    assert_int_equal(zmi_zmtp_socket_type_from_name(NULL, 0), -1);
    assert_int_equal(
        zmi_zmtp_socket_type_from_name((const uint8_t *) "", 0), -1);
}

static void
test_socket_types_compatible(void **state)
{
    (void) state;
    // wire.md "Valid pairs", as bit masks of peer types.
#define B(t) (1u << (t))
    static const unsigned valid[ZMSG_XSUB + 1] = {
        [ZMSG_PAIR] = B(ZMSG_PAIR),
        [ZMSG_PUB] = B(ZMSG_SUB) | B(ZMSG_XSUB),
        [ZMSG_SUB] = B(ZMSG_PUB) | B(ZMSG_XPUB),
        [ZMSG_REQ] = B(ZMSG_REP) | B(ZMSG_ROUTER),
        [ZMSG_REP] = B(ZMSG_REQ) | B(ZMSG_DEALER),
        [ZMSG_DEALER] = B(ZMSG_REP) | B(ZMSG_DEALER) | B(ZMSG_ROUTER),
        [ZMSG_ROUTER] = B(ZMSG_REQ) | B(ZMSG_DEALER) | B(ZMSG_ROUTER),
        [ZMSG_PULL] = B(ZMSG_PUSH),
        [ZMSG_PUSH] = B(ZMSG_PULL),
        [ZMSG_XPUB] = B(ZMSG_SUB) | B(ZMSG_XSUB),
        [ZMSG_XSUB] = B(ZMSG_PUB) | B(ZMSG_XPUB),
    };
#undef B
    int pairs = 0;
    for (int a = 0; a <= ZMSG_XSUB; a++) {
        for (int b = 0; b <= ZMSG_XSUB; b++) {
            bool want = (valid[a] >> b) & 1u;
            assert_int_equal(zmi_zmtp_socket_types_compatible(a, b), want);
            // The table is symmetric.
            assert_int_equal(zmi_zmtp_socket_types_compatible(b, a), want);
            pairs += want;
        }
    }
    assert_int_equal(pairs, 21);
    assert_false(zmi_zmtp_socket_types_compatible(-1, ZMSG_PAIR));
    assert_false(zmi_zmtp_socket_types_compatible(ZMSG_PAIR, -1));
    assert_false(zmi_zmtp_socket_types_compatible(11, 11));
}

// Random bodies through every parser: 0 or -EPROTO, never a crash, and
// what a parser returns points inside its input.
static void
test_parse_random(void **state)
{
    (void) state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    uint8_t buf[300];
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n = x % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Small values keep lengths plausible so parsing goes deep.
            buf[i] = (uint8_t) ((round & 1) ? x : x % 12);
        }
        zmi_zmtp_cmd_t cmd;
        int rc = zmi_zmtp_parse_cmd(buf, n, &cmd);
        assert_true(rc == 0 || rc == -EPROTO);
        if (rc == 0) {
            assert_true(cmd.data >= buf && cmd.data + cmd.size == buf + n);
        }
        zmi_ready_t r;
        rc = zmi_zmtp_parse_ready(buf, n, &r);
        assert_true(rc == 0 || rc == -EPROTO);
        if (rc == 0 && r.identity != NULL) {
            assert_true(r.identity >= buf);
            assert_true(r.identity + r.identity_size <= buf + n);
        }
        if (rc == 0) {
            assert_true(r.socket_type >= -1 && r.socket_type <= ZMSG_XSUB);
        }
        uint16_t ttl;
        const uint8_t *ctx;
        size_t ctx_size;
        rc = zmi_zmtp_parse_ping(buf, n, &ttl, &ctx, &ctx_size);
        assert_int_equal(rc, n < 2 ? -EPROTO : 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_header),
        cmocka_unit_test(test_ready_rfc_example),
        cmocka_unit_test(test_ready_no_identity),
        cmocka_unit_test(test_ready_identity),
        cmocka_unit_test(test_ready_long_form),
        cmocka_unit_test(test_ready_bad_args),
        cmocka_unit_test(test_subscribe_cancel),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_parse_cmd_kinds),
        cmocka_unit_test(test_parse_cmd_malformed),
        cmocka_unit_test(test_parse_ready_rfc),
        cmocka_unit_test(test_parse_ready_properties),
        cmocka_unit_test(test_parse_ready_truncated),
        cmocka_unit_test(test_parse_ready_malformed),
        cmocka_unit_test(test_parse_ping),
        cmocka_unit_test(test_socket_type_names),
        cmocka_unit_test(test_socket_types_compatible),
        cmocka_unit_test(test_parse_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
