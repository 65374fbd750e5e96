// tcp:// addresses: IPv6 loopback, the wildcard with IPV6 (dual stack),
// and host names, each with a message round trip; the reconnect backoff
// and CONNECT_TIMEOUT of a connecting socket.

#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// A PUSH (with IPV6 set when ipv6) connects to connect_to and sends one
// message, which pull must get.
static void
round_trip(void *ctx, void *pull, const char *connect_to, bool ipv6)
{
    void *push = zt_socket(ctx, ZMSG_PUSH);
    if (ipv6)
        zt_setint(push, ZMSG_IPV6, 1);
    assert_int_equal(zmsg_connect(push, connect_to), 0);
    zt_send_str(push, connect_to, 0);
    zt_recv_str(pull, connect_to, 0);
    zmsg_close(push);
}

// Binds pull to ep; skips the test where the machine has no IPv6.
static void
bind_or_skip(void *pull, const char *ep)
{
    if (zmsg_bind(pull, ep) == 0)
        return;
    int err = zmsg_errno();
    if (err == EADDRNOTAVAIL || err == EAFNOSUPPORT || err == EHOSTUNREACH) {
        print_message("no IPv6 here (%s): skipped\n", zmsg_strerror(err));
        skip();
    }
    fail_msg("bind %s: %s", ep, zmsg_strerror(err));
}

// tcp://[::1]:* binds the IPv6 loopback; LAST_ENDPOINT keeps the brackets.
static void
test_ipv6_loopback(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    zt_setint(pull, ZMSG_IPV6, 1);
    bind_or_skip(pull, "tcp://[::1]:*");
    char ep[256];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(pull, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_memory_equal(ep, "tcp://[::1]:", 12);
    assert_true(atoi(ep + 12) > 0);
    round_trip(*state, pull, ep, true);
    zmsg_close(pull);
}

// With IPV6 the wildcard is dual stack: IPv4 and IPv6 peers both reach it.
static void
test_ipv6_wildcard_is_dual_stack(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    zt_setint(pull, ZMSG_IPV6, 1);
    bind_or_skip(pull, "tcp://*:*");
    char ep[256];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(pull, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    int port = atoi(strrchr(ep, ':') + 1);
    assert_true(port > 0);
    char v4[64], v6[64];
    snprintf(v4, sizeof(v4), "tcp://127.0.0.1:%d", port);
    snprintf(v6, sizeof(v6), "tcp://[::1]:%d", port);
    round_trip(*state, pull, v4, false);
    round_trip(*state, pull, v6, true);
    zmsg_close(pull);
}

// A host name is resolved when connecting.
static void
test_connect_by_host_name(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    char named[64];
    snprintf(
        named, sizeof(named), "tcp://localhost:%d", atoi(strrchr(ep, ':') + 1));
    round_trip(*state, pull, named, false);
    zmsg_close(pull);
}

// Reconnect backoff: a peer that accepts and hangs up at once (before any
// handshake) is retried after RECONNECT_IVL, then twice that, and so on up
// to RECONNECT_IVL_MAX. The gaps between its accepts can only be longer
// than the timers (never shorter), so lower bounds are exact.
static void
test_reconnect_backs_off(void **state)
{
    char ep[64];
    int lfd = zt_raw_listen(ep, sizeof(ep));
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_RECONNECT_IVL, 20);
    zt_setint(push, ZMSG_RECONNECT_IVL_MAX, 160);
    assert_int_equal(zmsg_connect(push, ep), 0);
    int64_t at[7];
    for (int i = 0; i < 7; i++) {
        int fd = zt_raw_accept(lfd);
        at[i] = zt_now_ms();
        close(fd);
    }
    const int64_t want[6] = { 20, 40, 80, 160, 160, 160 };
    int64_t sum = 0;
    for (int i = 0; i < 6; i++) {
        int64_t gap = at[i + 1] - at[i];
        print_message("gap %d: %lld ms (timer %lld)\n", i, (long long) gap,
            (long long) want[i]);
        // 2 ms of slack for the clock's granularity.
        assert_true(gap >= want[i] - 2);
        sum += gap;
    }
    assert_true(sum >= 620 - 12);
    close(lfd);
    zt_setint(push, ZMSG_LINGER, 0);
    zmsg_close(push);
}

// Local ports of this machine's tcp sockets in SYN_SENT towards port
// (from /proc/net/tcp), added to seen[] (n in/out, at most cap).
static void
syn_sent_ports(int port, int *seen, int *n, int cap)
{
    FILE *fp = fopen("/proc/net/tcp", "r");
    if (fp == NULL)
        skip();
    char line[512];
    if (fgets(line, sizeof(line), fp) == NULL) { // header
        fclose(fp);
        return;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        unsigned lport, rport, st;
        if (sscanf(line, "%*d: %*8x:%x %*8x:%x %x", &lport, &rport, &st) != 3)
            continue;
        if ((int) rport != port || st != 0x02) // TCP_SYN_SENT
            continue;
        bool known = false;
        for (int i = 0; i < *n; i++)
            known |= seen[i] == (int) lport;
        if (!known && *n < cap)
            seen[(*n)++] = (int) lport;
    }
    fclose(fp);
}

// CONNECT_TIMEOUT: a connect whose SYNs go unanswered is abandoned after
// the timeout and tried again from a new socket. The peer is a listener
// whose accept queue is full (backlog 0, one connection waiting), so the
// kernel drops our SYNs; without the timeout one socket would sit in
// SYN_SENT retrying for minutes, with it new sockets (new local ports)
// appear. Once the queue has room, the connection is made.
static void
test_connect_timeout_abandons_silent_attempts(void **state)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *) &a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 0), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(lfd, (struct sockaddr *) &a, &alen), 0);
    int port = ntohs(a.sin_port);
    // Fill the accept queue.
    int filler[2];
    for (int i = 0; i < 2; i++) {
        filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(filler[i], (struct sockaddr *) &a, sizeof(a));
    }
    char ep[64];
    snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_CONNECT_TIMEOUT, 50);
    zt_setint(push, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(push, ep), 0);
    int seen[8], n = 0;
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    while (n < 3) {
        assert_true(zt_now_ms() < deadline);
        syn_sent_ports(port, seen, &n, 8);
        poll(NULL, 0, 5);
    }
    // Room in the queue: the next attempt gets through.
    for (int i = 0; i < 2; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd >= 0)
            close(fd);
        close(filler[i]);
    }
    int fd = zt_raw_accept(lfd);
    zt_raw_handshake(fd, "PULL");
    zt_raw_read_handshake(fd);
    close(fd);
    close(lfd);
    zt_setint(push, ZMSG_LINGER, 0);
    zmsg_close(push);
}

// BACKLOG reaches listen(2): ss(8) shows a listening socket's accept
// queue limit as its Send-Q (skipped where ss is missing).
static void
test_backlog_reaches_listen(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    zt_setint(pull, ZMSG_BACKLOG, 7);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ss -ltnH 'sport = :%s' 2>/dev/null",
             strrchr(ep, ':') + 1);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    char line[256] = "";
    bool got = fgets(line, sizeof(line), fp) != NULL;
    int status = pclose(fp);
    if (!got || status != 0) {
        print_message("no ss(8) here: skipped\n");
        zmsg_close(pull);
        skip();
    }
    int recvq = -1, sendq = -1;
    assert_int_equal(sscanf(line, "LISTEN %d %d", &recvq, &sendq), 2);
    assert_int_equal(sendq, 7);
    zmsg_close(pull);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ZT_CTX_TEST(test_ipv6_loopback),
        ZT_CTX_TEST(test_ipv6_wildcard_is_dual_stack),
        ZT_CTX_TEST(test_connect_by_host_name),
        ZT_CTX_TEST(test_reconnect_backs_off),
        ZT_CTX_TEST(test_connect_timeout_abandons_silent_attempts),
        ZT_CTX_TEST(test_backlog_reaches_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
