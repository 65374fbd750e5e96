// libFuzzer target for a whole ZMTP engine, fed over tcp as a peer would.
//
// A PULL socket (MAXMSGSIZE 4096) has a well-behaved PUSH connected. Each
// input is written by a raw tcp client: byte 0 is a mode (odd: a valid
// greeting and READY("PUSH") go first, so that the rest reaches the frame
// decoder), the rest is sent as is, then the client half-closes and waits
// up to 50 ms for the PULL to close. The PUSH must then still get a message
// through within 2 s, or the run aborts.

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "zmsg.h"

#define FUZZ_CLOSE_WAIT_MS 50
#define FUZZ_DELIVERY_MS 2000

static void *g_ctx;
static void *g_pull;
static void *g_push;
static int g_port;
static unsigned long g_runs;

// ZMTP 3.1 greeting (NULL mechanism), then READY with Socket-Type PUSH.
static const uint8_t g_greeting[64]
    = { 0xFF, [9] = 0x7F, 3, 1, 'N', 'U', 'L', 'L' };
static const char g_ready[] = "\x04\x1a\x05READY\x0bSocket-Type\0\0\0\x04PUSH";
static uint8_t g_hello[sizeof(g_greeting) + sizeof(g_ready) - 1];

static void
fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_engine: %s (errno %d: %s)\n", what, errno,
        strerror(errno));
    abort();
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
setint(void *s, int option, int value)
{
    if (zmsg_setsockopt(s, option, &value, sizeof(value)) != 0)
        fuzz_fail("setsockopt");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    memcpy(g_hello, g_greeting, sizeof(g_greeting));
    memcpy(g_hello + sizeof(g_greeting), g_ready, sizeof(g_ready) - 1);
    g_ctx = zmsg_ctx_new();
    if (g_ctx == NULL)
        fuzz_fail("zmsg_ctx_new");
    g_pull = zmsg_socket(g_ctx, ZMSG_PULL);
    g_push = zmsg_socket(g_ctx, ZMSG_PUSH);
    if (g_pull == NULL || g_push == NULL)
        fuzz_fail("zmsg_socket");
    setint(g_pull, ZMSG_LINGER, 0);
    setint(g_push, ZMSG_LINGER, 0);
    setint(g_pull, ZMSG_RCVTIMEO, 100);
    setint(g_push, ZMSG_SNDTIMEO, FUZZ_DELIVERY_MS);
    int64_t max = 4096;
    if (zmsg_setsockopt(g_pull, ZMSG_MAXMSGSIZE, &max, sizeof(max)) != 0)
        fuzz_fail("setsockopt MAXMSGSIZE");
    if (zmsg_bind(g_pull, "tcp://127.0.0.1:*") != 0)
        fuzz_fail("zmsg_bind");
    char ep[256];
    size_t len = sizeof(ep);
    if (zmsg_getsockopt(g_pull, ZMSG_LAST_ENDPOINT, ep, &len) != 0)
        fuzz_fail("getsockopt LAST_ENDPOINT");
    g_port = atoi(strrchr(ep, ':') + 1);
    if (zmsg_connect(g_push, ep) != 0)
        fuzz_fail("zmsg_connect");
    return 0;
}

static int
raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        fuzz_fail("socket");
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t) g_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
        // libFuzzer's timer signal may interrupt the connect, which then
        // goes on by itself: wait for it to finish.
        if (errno != EINTR)
            fuzz_fail("connect");
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        while (poll(&p, 1, 2000) < 0)
            if (errno != EINTR)
                fuzz_fail("poll after connect");
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            fuzz_fail("connect (after EINTR)");
    }
    // A stalled engine stops reading: never block on it for long.
    struct timeval tv = { .tv_sec = 1 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

// Writes what it can; the PULL may close the connection half way.
static int
raw_send(int fd, const uint8_t *data, size_t n)
{
    while (n > 0) {
        ssize_t r = send(fd, data, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        data += r;
        n -= (size_t) r;
    }
    return 0;
}

// Reads (and drops) what the PULL sends until it closes the connection or
// FUZZ_CLOSE_WAIT_MS pass.
static void
raw_wait_closed(int fd)
{
    int64_t deadline = now_ms() + FUZZ_CLOSE_WAIT_MS;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int rc = poll(&p, 1, (int) left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return;
        uint8_t buf[4096];
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

// Closes with a reset, so that no TIME_WAIT is left behind per run.
static void
raw_close(int fd)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

// The well-behaved PUSH gets "ping-N" through. Messages the input itself
// delivered (fine, if well-formed) are skipped.
static void
check_survived(void)
{
    char want[32];
    int want_len = snprintf(want, sizeof(want), "ping-%lu", g_runs);
    int sent;
    // EINTR: libFuzzer's own timer signal interrupted a wait; try again.
    while ((sent = zmsg_send(g_push, want, (size_t) want_len, 0)) < 0 &&
           zmsg_errno() == EINTR)
        ;
    if (sent != want_len)
        fuzz_fail("good PUSH cannot send");
    int64_t deadline = now_ms() + FUZZ_DELIVERY_MS;
    int in_multipart = 0;
    for (;;) {
        char buf[64];
        int n = zmsg_recv(g_pull, buf, sizeof(buf), 0);
        if (n < 0) {
            // EINTR: libFuzzer's own timer signal interrupted the wait.
            if (zmsg_errno() != EAGAIN && zmsg_errno() != EINTR)
                fuzz_fail("PULL recv");
            if (now_ms() >= deadline)
                fuzz_fail("good PUSH's message did not arrive within 2 s");
            continue;
        }
        int more = 0;
        size_t more_len = sizeof(more);
        if (zmsg_getsockopt(g_pull, ZMSG_RCVMORE, &more, &more_len) != 0)
            fuzz_fail("getsockopt RCVMORE");
        if (!in_multipart && !more && n == want_len
            && memcmp(buf, want, (size_t) want_len) == 0)
            break;
        in_multipart = more;
    }
    // Drop whatever else is ready so that the next run starts clean.
    char buf[64];
    while (zmsg_recv(g_pull, buf, sizeof(buf), ZMSG_DONTWAIT) >= 0)
        ;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    g_runs++;
    int fd = raw_connect();
    int ok = 0;
    if (data[0] & 1)
        ok = raw_send(fd, g_hello, sizeof(g_hello));
    if (ok == 0)
        raw_send(fd, data + 1, size - 1);
    shutdown(fd, SHUT_WR);
    raw_wait_closed(fd);
    raw_close(fd);
    check_survived();
    return 0;
}
