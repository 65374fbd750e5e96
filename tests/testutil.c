// Shared test helpers (see testutil.h).

#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/socket.h"

void
zt_setint(void *s, int option, int value)
{
    assert_int_equal(zmsg_setsockopt(s, option, &value, sizeof(value)), 0);
}

void *
zt_socket(void *ctx, int type)
{
    void *s = zmsg_socket(ctx, type);
    assert_non_null(s);
    zt_setint(s, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    zt_setint(s, ZMSG_SNDTIMEO, ZT_TIMEOUT_MS);
    return s;
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
