// Shared test helpers (see testutil.h).

#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/socket.h"

int
zt_setup_ctx(void **state)
{
    *state = zmsg_ctx_new();
    return *state == NULL ? -1 : 0;
}

int
zt_teardown_ctx(void **state)
{
    zt_term(*state);
    return 0;
}

void
zt_setint(void *s, int option, int value)
{
    assert_int_equal(zmsg_setsockopt(s, option, &value, sizeof(value)), 0);
}

// Sockets made by zt_socket, per context, for zt_term.
#define ZT_SOCKETS_MAX 4096
static struct {
    void *ctx;
    void *sock;
} zt_sockets[ZT_SOCKETS_MAX];
static int zt_nsockets;
static pthread_mutex_t zt_sockets_lock = PTHREAD_MUTEX_INITIALIZER;

// Removes ctx's entries; with close_them, closes those sockets first.
static void
zt_forget(void *ctx, int close_them)
{
    pthread_mutex_lock(&zt_sockets_lock);
    for (int i = 0; i < zt_nsockets;) {
        if (zt_sockets[i].ctx != ctx) {
            i++;
            continue;
        }
        if (close_them) {
            // NB: a socket the test already closed answers ENOTSOCK; its
            // memory stays valid until the context is terminated.
            int linger = 0;
            zmsg_setsockopt(
                zt_sockets[i].sock, ZMSG_LINGER, &linger, sizeof(linger));
            zmsg_close(zt_sockets[i].sock);
        }
        zt_sockets[i] = zt_sockets[--zt_nsockets];
    }
    pthread_mutex_unlock(&zt_sockets_lock);
}

int
zt_ctx_term_forget(void *ctx)
{
    zt_forget(ctx, 0);
    return (zmsg_ctx_term) (ctx);
}

void *
zt_socket(void *ctx, int type)
{
    void *s = zmsg_socket(ctx, type);
    assert_non_null(s);
    pthread_mutex_lock(&zt_sockets_lock);
    if (zt_nsockets < ZT_SOCKETS_MAX) {
        zt_sockets[zt_nsockets].ctx = ctx;
        zt_sockets[zt_nsockets].sock = s;
        zt_nsockets++;
    }
    pthread_mutex_unlock(&zt_sockets_lock);
    zt_setint(s, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    zt_setint(s, ZMSG_SNDTIMEO, ZT_TIMEOUT_MS);
    return s;
}

void
zt_term(void *ctx)
{
    zt_forget(ctx, 1);
    assert_int_equal((zmsg_ctx_term) (ctx), 0);
}

void
zt_bind_tcp(void *s, char *ep, size_t cap)
{
    assert_int_equal(zmsg_bind(s, "tcp://127.0.0.1:*"), 0);
    size_t len = cap;
    assert_int_equal(zmsg_getsockopt(s, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_true(strncmp(ep, "tcp://127.0.0.1:", 16) == 0);
}

void
zt_send_str(void *s, const char *str, int flags)
{
    size_t n = strlen(str);
    assert_int_equal(zmsg_send(s, str, n, flags), (int) n);
}

void
zt_recv_str(void *s, const char *str, int more)
{
    char buf[256];
    int n = zmsg_recv(s, buf, sizeof(buf) - 1, 0);
    if (n < 0)
        fail_msg("recv: %s", zmsg_strerror(zmsg_errno()));
    assert_true(n < (int) sizeof(buf));
    buf[n] = '\0';
    assert_string_equal(buf, str);
    int rcvmore = 0;
    size_t len = sizeof(rcvmore);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_RCVMORE, &rcvmore, &len), 0);
    assert_int_equal(rcvmore, more);
}

int
zt_pipes(void *s)
{
    return ((zmi_socket_t *) s)->npipes;
}

// Waits on the socket's mailbox fd for up to 100 ms (or what is left).
static void
zt_wait_fd(void *s, int64_t deadline, const char *what)
{
    int fd;
    size_t len = sizeof(fd);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_FD, &fd, &len), 0);
    int64_t left = deadline - zmi_clock_ms();
    if (left <= 0)
        fail_msg("timed out waiting for %s", what);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    poll(&pfd, 1, (int) (left < 100 ? left : 100));
}

void
zt_wait_pipes(void *s, int n)
{
    int64_t deadline = zmi_clock_ms() + ZT_TIMEOUT_MS;
    for (;;) {
        int events;
        size_t len = sizeof(events);
        // Reading EVENTS processes the socket's commands (attachments).
        assert_int_equal(zmsg_getsockopt(s, ZMSG_EVENTS, &events, &len), 0);
        if (zt_pipes(s) >= n)
            return;
        zt_wait_fd(s, deadline, "pipes");
    }
}

uint64_t
zt_hiccups(void *s)
{
    return ((zmi_socket_t *) s)->hiccups;
}

void
zt_wait_hiccup(void *s, uint64_t seen)
{
    int64_t deadline = zmi_clock_ms() + ZT_TIMEOUT_MS;
    for (;;) {
        int events;
        size_t len = sizeof(events);
        assert_int_equal(zmsg_getsockopt(s, ZMSG_EVENTS, &events, &len), 0);
        if (zt_hiccups(s) > seen)
            return;
        zt_wait_fd(s, deadline, "a lost connection");
    }
}

void
zt_wait_pipes_at_most(void *s, int n)
{
    int64_t deadline = zmi_clock_ms() + ZT_TIMEOUT_MS;
    for (;;) {
        int events;
        size_t len = sizeof(events);
        assert_int_equal(zmsg_getsockopt(s, ZMSG_EVENTS, &events, &len), 0);
        if (zt_pipes(s) <= n)
            return;
        zt_wait_fd(s, deadline, "pipes to go");
    }
}

void
zt_wait_readable(void *s, int n)
{
    zmi_socket_t *sock = s;
    int64_t deadline = zmi_clock_ms() + ZT_TIMEOUT_MS;
    for (;;) {
        int events;
        size_t len = sizeof(events);
        assert_int_equal(zmsg_getsockopt(s, ZMSG_EVENTS, &events, &len), 0);
        int ready = 0;
        for (int i = 0; i < sock->npipes; i++)
            ready += zmi_pipe_check_read(sock->pipes[i]) ? 1 : 0;
        if (ready >= n)
            return;
        zt_wait_fd(s, deadline, "readable pipes");
    }
}

void
zt_refusing_port(char *ep, size_t cap, int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*fd, (struct sockaddr *) &a, sizeof(a)), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(*fd, (struct sockaddr *) &a, &alen), 0);
    snprintf(ep, cap, "tcp://127.0.0.1:%u", ntohs(a.sin_port));
}

int64_t
zt_now_ms(void)
{
    return zmi_clock_ms();
}

long
zt_rss_kib(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    if (fp == NULL)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), fp) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(fp);
    return kib;
}

const uint8_t zt_greeting31[64]
    = { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1, 'N', 'U', 'L', 'L' };

static void
zt_raw_timeout(int fd)
{
    struct timeval tv = { .tv_sec = ZT_TIMEOUT_MS / 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int
zt_raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    zt_raw_timeout(fd);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t) port);
    assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    return fd;
}

int
zt_raw_listen(char *ep, size_t cap)
{
    int fd;
    zt_refusing_port(ep, cap, &fd);
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

int
zt_raw_accept(int lfd)
{
    zt_raw_timeout(lfd);
    int fd = accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    zt_raw_timeout(fd);
    return fd;
}

void
zt_raw_send(int fd, const void *data, size_t n)
{
    assert_int_equal(send(fd, data, n, MSG_NOSIGNAL), (ssize_t) n);
}

void
zt_raw_handshake(int fd, const char *type)
{
    zt_raw_send(fd, zt_greeting31, sizeof(zt_greeting31));
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

// Reads exactly n bytes or fails.
static void
zt_raw_read(int fd, void *buf, size_t n)
{
    size_t have = 0;
    while (have < n) {
        ssize_t r = recv(fd, (char *) buf + have, n - have, 0);
        if (r <= 0)
            fail_msg("raw read: %s", r == 0 ? "closed" : strerror(errno));
        have += (size_t) r;
    }
}

// Reads one frame header and body; returns the size.
static size_t
zt_raw_frame(int fd, char *buf, size_t cap, int *flags)
{
    uint8_t hdr[9];
    zt_raw_read(fd, hdr, 2);
    *flags = hdr[0];
    uint64_t size = hdr[1];
    if (hdr[0] & 0x02) {
        zt_raw_read(fd, hdr + 2, 7);
        size = 0;
        for (int i = 1; i < 9; i++)
            size = (size << 8) | hdr[i];
    }
    assert_true(size < cap);
    zt_raw_read(fd, buf, (size_t) size);
    buf[size] = '\0';
    return (size_t) size;
}

void
zt_raw_read_handshake(int fd)
{
    uint8_t g[64];
    zt_raw_read(fd, g, sizeof(g));
    assert_int_equal(g[0], 0xFF);
    assert_int_equal(g[10], 3);
    char body[512];
    int flags;
    zt_raw_frame(fd, body, sizeof(body), &flags);
    assert_int_equal(flags & 0x04, 0x04);
    assert_memory_equal(body, "\x05READY", 6);
}

void
zt_raw_send_frame(int fd, const char *data, int more)
{
    size_t n = strlen(data);
    assert_true(n < 256);
    uint8_t hdr[2] = { (uint8_t) (more ? 0x01 : 0x00), (uint8_t) n };
    zt_raw_send(fd, hdr, 2);
    if (n > 0)
        zt_raw_send(fd, data, n);
}

size_t
zt_raw_recv_frame(int fd, char *buf, size_t cap, int *flags)
{
    return zt_raw_frame(fd, buf, cap, flags);
}

size_t
zt_raw_expect_closed(int fd, uint8_t *buf, size_t cap)
{
    size_t have = 0;
    for (;;) {
        uint8_t tmp[512];
        ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            break;
        if (n < 0)
            fail_msg("connection not closed by zmsg: %s", strerror(errno));
        size_t take = (size_t) n < cap - have ? (size_t) n : cap - have;
        memcpy(buf + have, tmp, take);
        have += take;
    }
    close(fd);
    return have;
}

void
zt_sync_pubsub(void *pub, void *sub)
{
    // NB: a probe topic of its own per call: a previous call's CANCEL may
    // still be on its way, and a probe its stale subscription let through
    // would prove nothing about the subscriptions sent since.
    static atomic_int calls;
    char topic[32], end[40];
    snprintf(
        topic, sizeof(topic), "\x7fzt-sync-%d", atomic_fetch_add(&calls, 1));
    snprintf(end, sizeof(end), "%s-end", topic);
    size_t n = strlen(topic);
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, topic, n), 0);
    int old;
    size_t len = sizeof(old);
    assert_int_equal(zmsg_getsockopt(sub, ZMSG_RCVTIMEO, &old, &len), 0);
    zt_setint(sub, ZMSG_RCVTIMEO, 20);
    int64_t deadline = zmi_clock_ms() + ZT_TIMEOUT_MS;
    char buf[64];
    for (;;) {
        assert_int_equal(zmsg_send(pub, topic, n, 0), (int) n);
        int rc = zmsg_recv(sub, buf, sizeof(buf), 0);
        if (rc == (int) n && memcmp(buf, topic, n) == 0)
            break;
        if (zmi_clock_ms() > deadline)
            fail_msg("subscriptions never reached the publisher");
    }
    // Probes still in flight come before this marker: drop them all.
    zt_setint(sub, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    zt_send_str(pub, end, 0);
    int rc;
    while ((rc = zmsg_recv(sub, buf, sizeof(buf), 0)) == (int) n)
        assert_memory_equal(buf, topic, n);
    assert_int_equal(rc, (int) strlen(end));
    assert_memory_equal(buf, end, strlen(end));
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_UNSUBSCRIBE, topic, n), 0);
    zt_setint(sub, ZMSG_RCVTIMEO, old);
}

void
zt_raw_subscribe(int fd, const char *topic, size_t size, int subscribe)
{
    const char *name = subscribe ? "SUBSCRIBE" : "CANCEL";
    size_t nlen = strlen(name);
    size_t body = 1 + nlen + size;
    uint8_t hdr[10];
    size_t h = 0;
    if (body > 255) {
        hdr[h++] = 0x06;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (uint8_t) ((uint64_t) body >> (8 * i));
    } else {
        hdr[h++] = 0x04;
        hdr[h++] = (uint8_t) body;
    }
    zt_raw_send(fd, hdr, h);
    uint8_t nl = (uint8_t) nlen;
    zt_raw_send(fd, &nl, 1);
    zt_raw_send(fd, name, nlen);
    if (size > 0)
        zt_raw_send(fd, topic, size);
}

// Unique names for ipc paths and inproc endpoints within this process.
static int zt_endpoint_seq;

void
zt_unbound_endpoint(char *ep, size_t cap, int *fd)
{
    *fd = -1;
    int n = __atomic_add_fetch(&zt_endpoint_seq, 1, __ATOMIC_SEQ_CST);
    if (ZT_IS_TCP) {
        zt_refusing_port(ep, cap, fd);
    } else if (ZT_IS_INPROC) {
        snprintf(ep, cap, "inproc://zt-%d", n);
    } else {
        snprintf(ep, cap, "ipc:///tmp/zt-%d-%d.ipc", (int) getpid(), n);
        unlink(ep + 6);
    }
}

void
zt_release_endpoint(int fd)
{
    if (fd >= 0)
        close(fd);
}

void
zt_bind(void *s, char *ep, size_t cap)
{
    if (ZT_IS_TCP) {
        zt_bind_tcp(s, ep, cap);
        return;
    }
    int fd;
    zt_unbound_endpoint(ep, cap, &fd);
    assert_int_equal(zmsg_bind(s, ep), 0);
    size_t len = cap;
    assert_int_equal(zmsg_getsockopt(s, ZMSG_LAST_ENDPOINT, ep, &len), 0);
}
