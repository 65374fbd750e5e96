// Interoperability with ZMTP 3.0 peers (RFC 23), played by hand-made raw
// peers: libzmq before 4.3.3 announces minor version 0 and speaks
// subscriptions as ordinary messages (first byte 1 = subscribe, 0 =
// cancel), where 3.1 (RFC 37) has SUBSCRIBE and CANCEL commands.
//
// - a 3.0 subscriber (greeting minor 0) subscribing with the 3.0 message
//   form gets what it asked for from a zmsg PUB, and its cancel works;
// - a zmsg SUB talking to a 3.0 publisher sends its subscriptions as 3.0
//   messages (flags 0x00, first body byte 0x01/0x00), never as commands;
//   and to a 3.1 publisher as SUBSCRIBE/CANCEL commands;
// - like libzmq's XPUB, a zmsg PUB takes the 3.0 form from a 3.1 peer too.

#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct fixture {
    void *ctx;
    int fds[4];
    int nfds;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->ctx = zmsg_ctx_new();
    assert_non_null(f->ctx);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < f->nfds; i++)
        close(f->fds[i]);
    zt_term(f->ctx);
    free(f);
    return 0;
}

static int
keep_fd(fixture_t *f, int fd)
{
    assert_true(f->nfds < 4);
    f->fds[f->nfds++] = fd;
    return fd;
}

// --- A raw peer that can announce either minor version --------------------

static void
read_exact(int fd, void *buf, size_t n)
{
    size_t have = 0;
    while (have < n) {
        ssize_t r = recv(fd, (char *) buf + have, n - have, 0);
        if (r <= 0)
            fail_msg("raw peer: read: %s",
                     r == 0 ? "closed by zmsg" : strerror(errno));
        have += (size_t) r;
    }
}

// zt_greeting31 with the given minor version in octet 11.
static void
send_greeting(int fd, int minor)
{
    uint8_t g[64];
    memcpy(g, zt_greeting31, sizeof(g));
    g[11] = (uint8_t) minor;
    zt_raw_send(fd, g, sizeof(g));
}

// Sends the greeting (minor) and a READY for the socket type.
static void
handshake(int fd, int minor, const char *type)
{
    send_greeting(fd, minor);
    uint8_t ready[64];
    size_t tlen = strlen(type);
    size_t n = 0;
    ready[n++] = 0x04;
    ready[n++] = (uint8_t) (1 + 5 + 1 + 11 + 4 + tlen);
    ready[n++] = 5;
    memcpy(ready + n, "READY", 5);
    n += 5;
    ready[n++] = 11;
    memcpy(ready + n, "Socket-Type", 11);
    n += 11;
    memset(ready + n, 0, 3);
    n += 3;
    ready[n++] = (uint8_t) tlen;
    memcpy(ready + n, type, tlen);
    n += tlen;
    zt_raw_send(fd, ready, n);
}

// One raw frame: flags, size and body as they came.
typedef struct frame {
    int flags;
    size_t size;
    char body[512];
} frame_t;

static void
read_frame(int fd, frame_t *fr)
{
    fr->size = zt_raw_recv_frame(fd, fr->body, sizeof(fr->body), &fr->flags);
}

static char *
hex(const frame_t *fr, char *out, size_t cap)
{
    size_t o = (size_t) snprintf(out, cap, "%02x %02zx |", fr->flags,
                                 fr->size);
    for (size_t i = 0; i < fr->size && o + 4 < cap; i++)
        o += (size_t) snprintf(out + o, cap - o, " %02x",
                               (uint8_t) fr->body[i]);
    return out;
}

// Reads zmsg's greeting and READY; checks zmsg announces 3.1 and the
// socket type.
static void
read_handshake(int fd, const char *type)
{
    uint8_t g[64];
    read_exact(fd, g, sizeof(g));
    assert_int_equal(g[0], 0xFF);
    assert_int_equal(g[9] & 1, 1);
    assert_int_equal(g[10], 3);
    assert_int_equal(g[11], 1);
    assert_memory_equal(g + 12, "NULL\0\0\0\0", 8);
    frame_t fr;
    read_frame(fd, &fr);
    char h[2048];
    if (fr.flags != 0x04 || fr.size < 6 || memcmp(fr.body, "\x05READY", 6))
        fail_msg("expected READY, got %s", hex(&fr, h, sizeof(h)));
    // Socket-Type property with the right value somewhere in it.
    char prop[64];
    size_t tlen = strlen(type);
    size_t plen = 0;
    prop[plen++] = 11;
    memcpy(prop + plen, "Socket-Type", 11);
    plen += 11;
    memset(prop + plen, 0, 3);
    plen += 3;
    prop[plen++] = (char) tlen;
    memcpy(prop + plen, type, tlen);
    plen += tlen;
    int found = 0;
    for (size_t i = 6; i + plen <= fr.size && !found; i++)
        found = memcmp(fr.body + i, prop, plen) == 0;
    if (!found)
        fail_msg("READY without Socket-Type %s: %s", type,
                 hex(&fr, h, sizeof(h)));
}

// Sends one single-frame message with an arbitrary body.
static void
send_msg(int fd, const void *body, size_t n)
{
    assert_true(n < 256);
    uint8_t hdr[2] = { 0x00, (uint8_t) n };
    zt_raw_send(fd, hdr, 2);
    if (n > 0)
        zt_raw_send(fd, body, n);
}

// A 3.0 subscription (on) or cancel (off) for topic: a message whose
// first byte is 1 or 0.
static void
subscribe30(int fd, const char *topic, int on)
{
    char body[256];
    size_t n = strlen(topic);
    body[0] = on ? 1 : 0;
    memcpy(body + 1, topic, n);
    send_msg(fd, body, n + 1);
}

static int
readable(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 1;
}

// Publishes probe from the PUB until the raw subscriber starts receiving
// (its subscription has been applied), then reads frames, skipping the
// probes, until want; fails on anything else.
static void
sync_raw(void *pub, int fd, const char *probe)
{
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    do {
        if (zt_now_ms() > deadline)
            fail_msg("the zmsg PUB never applied the raw subscription '%s'",
                     probe);
        zt_send_str(pub, probe, 0);
    } while (!readable(fd, 20));
}

// Reads frames, skipping copies of probe, and checks the next is want.
static void
expect_after_probes(int fd, const char *probe, const char *want)
{
    frame_t fr;
    char h[2048];
    for (;;) {
        read_frame(fd, &fr);
        if (fr.flags == 0 && strcmp(fr.body, probe) == 0)
            continue;
        if (fr.flags != 0 || strcmp(fr.body, want) != 0)
            fail_msg("expected message '%s', got %s", want,
                     hex(&fr, h, sizeof(h)));
        return;
    }
}

static void
expect_msg(int fd, const char *want)
{
    expect_after_probes(fd, "\x01no probe", want);
}

// A zmsg PUB and a raw subscriber that announces minor version `minor`
// and subscribes with 3.0 messages.
static void
pub_gets_30_subscriptions(fixture_t *f, int minor)
{
    void *pub = zt_socket(f->ctx, ZMSG_PUB);
    char ep[256];
    zt_bind_tcp(pub, ep, sizeof(ep));
    int port = atoi(strrchr(ep, ':') + 1);
    int fd = keep_fd(f, zt_raw_connect(port));
    handshake(fd, minor, "SUB");
    read_handshake(fd, "PUB");

    subscribe30(fd, "A", 1);
    subscribe30(fd, "END", 1);
    sync_raw(pub, fd, "Aprobe");
    const char *sent[] = { "B1", "A1", "", "C1", "AB", "a", "END" };
    for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
        zt_send_str(pub, sent[i], 0);
    expect_after_probes(fd, "Aprobe", "A1");
    expect_msg(fd, "AB");
    expect_msg(fd, "END");

    // Cancel "A" the 3.0 way; a fresh subscription behind it on the same
    // connection tells when the cancel has been applied.
    subscribe30(fd, "A", 0);
    subscribe30(fd, "Y", 1);
    sync_raw(pub, fd, "Yprobe");
    zt_send_str(pub, "A2", 0);
    zt_send_str(pub, "Y2", 0);
    zt_send_str(pub, "END", 0);
    expect_after_probes(fd, "Yprobe", "Y2");
    expect_msg(fd, "END");
    // Nothing else is on the wire: not "A2", and no command a 3.0 peer
    // would not know.
    if (readable(fd, 100)) {
        frame_t fr;
        char h[2048];
        read_frame(fd, &fr);
        fail_msg("unexpected frame after END: %s", hex(&fr, h, sizeof(h)));
    }
    zmsg_close(pub);
}

static void
test_zmtp30_subscriber_to_zmsg_pub(void **state)
{
    pub_gets_30_subscriptions(*state, 0);
}

// libzmq's XPUB accepts the 3.0 form from a 3.1 peer too.
static void
test_zmtp31_subscriber_with_30_form_to_zmsg_pub(void **state)
{
    pub_gets_30_subscriptions(*state, 1);
}

// A zmsg SUB connected to a raw publisher announcing `minor`; returns the
// raw connection after both handshakes.
static int
sub_to_raw_pub(fixture_t *f, void *sub, int minor)
{
    char ep[256];
    int lfd = keep_fd(f, zt_raw_listen(ep, sizeof(ep)));
    assert_int_equal(zmsg_connect(sub, ep), 0);
    int fd = keep_fd(f, zt_raw_accept(lfd));
    handshake(fd, minor, "PUB");
    read_handshake(fd, "SUB");
    return fd;
}

// Reads the next frame and checks it is exactly (flags, body[n]).
static void
expect_frame(int fd, int flags, const char *body, size_t n, const char *what)
{
    frame_t fr;
    char h[2048];
    read_frame(fd, &fr);
    if (fr.flags != flags || fr.size != n || memcmp(fr.body, body, n) != 0) {
        frame_t want = { .flags = flags, .size = n };
        memcpy(want.body, body, n);
        char w[2048];
        fail_msg("%s: got %s, expected %s", what, hex(&fr, h, sizeof(h)),
                 hex(&want, w, sizeof(w)));
    }
}

static void
test_zmsg_sub_to_zmtp30_pub_sends_messages(void **state)
{
    fixture_t *f = *state;
    void *sub = zt_socket(f->ctx, ZMSG_SUB);
    // One subscription made before the connection exists, the others
    // while it is up.
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, "A", 1), 0);
    int fd = sub_to_raw_pub(f, sub, 0);
    expect_frame(fd, 0x00, "\x01" "A", 2,
                 "subscription to a 3.0 peer made before connecting");
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, "B", 1), 0);
    expect_frame(fd, 0x00, "\x01" "B", 2,
                 "subscription to a 3.0 peer made while connected");
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_UNSUBSCRIBE, "A", 1), 0);
    expect_frame(fd, 0x00, "\x00" "A", 2, "cancel to a 3.0 peer");
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, "", 0), 0);
    expect_frame(fd, 0x00, "\x01", 1, "subscription to everything");
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_UNSUBSCRIBE, "", 0), 0);
    expect_frame(fd, 0x00, "\x00", 1, "cancel of everything");

    // And what the publisher sends arrives.
    zt_raw_send_frame(fd, "B1", 0);
    zt_raw_send_frame(fd, "topic B", 1);
    zt_raw_send_frame(fd, "body", 0);
    zt_recv_str(sub, "B1", 0);
    zmsg_close(sub);
}

// For contrast: to a 3.1 publisher the same calls become commands
// (`04 0b 09 SUBSCRIBE A`, `04 08 06 CANCEL A`).
static void
test_zmsg_sub_to_zmtp31_pub_sends_commands(void **state)
{
    fixture_t *f = *state;
    void *sub = zt_socket(f->ctx, ZMSG_SUB);
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, "A", 1), 0);
    int fd = sub_to_raw_pub(f, sub, 1);
    expect_frame(fd, 0x04, "\x09SUBSCRIBE" "A", 11, "SUBSCRIBE to 3.1");
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_UNSUBSCRIBE, "A", 1), 0);
    expect_frame(fd, 0x04, "\x06" "CANCEL" "A", 8, "CANCEL to 3.1");
    zmsg_close(sub);
}

// A 3.0 publisher that doesn't filter (RFC 29 makes publisher-side
// filtering a SHOULD): libzmq's SUB filters again on receipt, so a zmsg
// SUB should not hand the application what it never asked for.
static void
test_zmsg_sub_filters_unfiltered_30_pub(void **state)
{
    fixture_t *f = *state;
    void *sub = zt_socket(f->ctx, ZMSG_SUB);
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, "B", 1), 0);
    int fd = sub_to_raw_pub(f, sub, 0);
    expect_frame(fd, 0x00, "\x01" "B", 2, "subscription to a 3.0 peer");
    zt_raw_send_frame(fd, "A1", 0);
    zt_raw_send_frame(fd, "A2", 1);
    zt_raw_send_frame(fd, "B-in-second-part", 0);
    zt_raw_send_frame(fd, "B1", 0);
    zt_recv_str(sub, "B1", 0);
    zmsg_close(sub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zmtp30_subscriber_to_zmsg_pub,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_zmtp31_subscriber_with_30_form_to_zmsg_pub, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_zmsg_sub_to_zmtp30_pub_sends_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_zmsg_sub_to_zmtp31_pub_sends_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_zmsg_sub_filters_unfiltered_30_pub, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
