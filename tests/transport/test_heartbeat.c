// ZMTP heartbeats (RFC 37 PING/PONG) seen from a raw tcp peer: zmsg sends
// PINGs every HEARTBEAT_IVL with HEARTBEAT_TTL in deciseconds, drops a
// peer that stays silent for HEARTBEAT_TIMEOUT after a PING, keeps a peer
// that answers, honours the TTL a peer's PING asks for, and a connecting
// socket reconnects after such a drop.

#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

// Reads frames until a command named name (without its length octet)
// arrives, answering nothing. Returns the command's body size.
static size_t
raw_expect_command(int fd, const char *name, char *body, size_t cap)
{
    size_t nlen = strlen(name);
    for (int i = 0; i < 100; i++) {
        int flags;
        size_t n = zt_raw_recv_frame(fd, body, cap, &flags);
        if ((flags & 0x04) && n > nlen && (size_t) body[0] == nlen
            && memcmp(body + 1, name, nlen) == 0)
            return n;
    }
    fail_msg("no %s command among 100 frames", name);
    return 0;
}

// Sends a PONG for a PING body (echoing its context).
static void
raw_pong(int fd, const char *ping, size_t n)
{
    uint8_t frame[2 + 5 + 16];
    size_t ctx = n - 7; // 1 + "PING" + 2 octets of TTL
    frame[0] = 0x04;
    frame[1] = (uint8_t) (5 + ctx);
    memcpy(frame + 2, "\x04PONG", 5);
    memcpy(frame + 7, ping + 7, ctx);
    zt_raw_send(fd, frame, 7 + ctx);
}

// Waits up to ms for the peer to close fd: true if it did.
static bool
raw_closed_within(int fd, int ms)
{
    int64_t deadline = zmi_clock_ms() + ms;
    for (;;) {
        int64_t left = deadline - zmi_clock_ms();
        if (left <= 0)
            return false;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, (int) left) <= 0)
            continue;
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
    }
}

// A PULL with heartbeats on, bound; returns its port.
static int
heartbeat_pull(void *ctx, void **pull, int ivl, int ttl, int timeout)
{
    *pull = zt_socket(ctx, ZMSG_PULL);
    zt_setint(*pull, ZMSG_HEARTBEAT_IVL, ivl);
    zt_setint(*pull, ZMSG_HEARTBEAT_TTL, ttl);
    zt_setint(*pull, ZMSG_HEARTBEAT_TIMEOUT, timeout);
    char ep[256];
    zt_bind_tcp(*pull, ep, sizeof(ep));
    return atoi(strrchr(ep, ':') + 1);
}

// A raw PUSH peer connected to port, past the handshake.
static int
raw_push_peer(int port)
{
    int fd = zt_raw_connect(port);
    zt_raw_handshake(fd, "PUSH");
    zt_raw_read_handshake(fd);
    return fd;
}

// PINGs come every interval and carry the TTL in deciseconds.
static void
test_pings_carry_the_ttl(void **state)
{
    void *pull;
    int port = heartbeat_pull(*state, &pull, 20, 1500, 5000);
    int fd = raw_push_peer(port);
    char body[64];
    for (int i = 0; i < 3; i++) {
        size_t n = raw_expect_command(fd, "PING", body, sizeof(body));
        assert_int_equal(n, 7); // no context
        assert_int_equal((uint8_t) body[5], 0);
        assert_int_equal((uint8_t) body[6], 15); // 1500 ms
        raw_pong(fd, body, n);
    }
    close(fd);
    zmsg_close(pull);
}

// A peer that stops answering is dropped about HEARTBEAT_TIMEOUT after the
// PING it ignored, and the socket goes on serving others.
static void
test_silent_peer_is_dropped(void **state)
{
    void *pull;
    int port = heartbeat_pull(*state, &pull, 50, 0, 200);
    int fd = raw_push_peer(port);
    char body[64];
    raw_expect_command(fd, "PING", body, sizeof(body));
    int64_t ping_seen = zmi_clock_ms();
    assert_true(raw_closed_within(fd, 5000));
    // Not before the timeout (a few ms of slack for clock granularity).
    assert_true(zmi_clock_ms() - ping_seen >= 150);
    close(fd);

    void *push = zt_socket(*state, ZMSG_PUSH);
    char ep[64];
    snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "still-serving", 0);
    zt_recv_str(pull, "still-serving", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// A peer that answers every PING keeps its connection through 60 PINGs
// (over two timeouts' worth; the timeout leaves room for a loaded
// machine), and its messages still arrive.
static void
test_answering_peer_is_kept(void **state)
{
    void *pull;
    int port = heartbeat_pull(*state, &pull, 10, 0, 250);
    int fd = raw_push_peer(port);
    char body[64];
    for (int i = 0; i < 60; i++) {
        size_t n = raw_expect_command(fd, "PING", body, sizeof(body));
        raw_pong(fd, body, n);
    }
    zt_raw_send_frame(fd, "alive", 0);
    zt_recv_str(pull, "alive", 0);
    close(fd);
    zmsg_close(pull);
}

// Any traffic counts as life: a peer that sends messages but never PONGs
// is kept.
static void
test_any_traffic_counts_as_life(void **state)
{
    void *pull;
    int port = heartbeat_pull(*state, &pull, 10, 0, 250);
    int fd = raw_push_peer(port);
    char body[64];
    for (int i = 0; i < 60; i++) {
        raw_expect_command(fd, "PING", body, sizeof(body));
        zt_raw_send_frame(fd, "data", 0);
        zt_recv_str(pull, "data", 0);
    }
    close(fd);
    zmsg_close(pull);
}

// A peer's PING with a TTL: with no heartbeat of our own, we still drop
// the peer once it is silent for that long.
static void
test_peer_ttl_is_honoured(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    int fd = raw_push_peer(atoi(strrchr(ep, ':') + 1));
    // PING, TTL 3 deciseconds, context "ab".
    static const uint8_t ping[]
        = { 0x04, 9, 4, 'P', 'I', 'N', 'G', 0x00, 0x03, 'a', 'b' };
    int64_t sent = zmi_clock_ms();
    zt_raw_send(fd, ping, sizeof(ping));
    char body[64];
    size_t n = raw_expect_command(fd, "PONG", body, sizeof(body));
    assert_int_equal(n, 7);
    assert_memory_equal(body + 5, "ab", 2);
    assert_true(raw_closed_within(fd, 5000));
    assert_true(zmi_clock_ms() - sent >= 250);
    close(fd);
    zmsg_close(pull);
}

// A connecting socket whose peer went silent reconnects, and messages
// flow over the new connection.
static void
test_connecter_reconnects_after_timeout(void **state)
{
    char ep[64];
    int lfd = zt_raw_listen(ep, sizeof(ep));
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_HEARTBEAT_IVL, 20);
    zt_setint(push, ZMSG_HEARTBEAT_TIMEOUT, 60);
    zt_setint(push, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(push, ep), 0);
    int fd = zt_raw_accept(lfd);
    zt_raw_handshake(fd, "PULL");
    zt_raw_read_handshake(fd);
    char body[64];
    raw_expect_command(fd, "PING", body, sizeof(body));
    assert_true(raw_closed_within(fd, 5000));
    close(fd);

    int fd2 = zt_raw_accept(lfd);
    zt_raw_handshake(fd2, "PULL");
    zt_raw_read_handshake(fd2);
    zt_send_str(push, "after-reconnect", 0);
    int flags;
    for (;;) {
        size_t got = zt_raw_recv_frame(fd2, body, sizeof(body), &flags);
        if (flags & 0x04) { // a PING: answer it
            raw_pong(fd2, body, got);
            continue;
        }
        assert_string_equal(body, "after-reconnect");
        break;
    }
    close(fd2);
    close(lfd);
    zmsg_close(push);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ZT_CTX_TEST(test_pings_carry_the_ttl),
        ZT_CTX_TEST(test_silent_peer_is_dropped),
        ZT_CTX_TEST(test_answering_peer_is_kept),
        ZT_CTX_TEST(test_any_traffic_counts_as_life),
        ZT_CTX_TEST(test_peer_ttl_is_honoured),
        ZT_CTX_TEST(test_connecter_reconnects_after_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
