// Unit tests for the socket helpers every stream connection goes through:
// zmi_net_tune sets TCP_NODELAY on tcp (never on ipc), keep-alive and its
// three knobs only when asked, and the buffer sizes; the defaults leave
// the kernel's choices alone.

#include "testutil.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/options.h"
#include "transport/net.h"

static int
getint(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof(v);
    assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

// A connected loopback tcp socket (the client end; *peer and *lfd too).
static int
tcp_pair(int *peer, int *lfd)
{
    *lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*lfd, (struct sockaddr *) &a, sizeof(a)), 0);
    assert_int_equal(listen(*lfd, 1), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(*lfd, (struct sockaddr *) &a, &len), 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    *peer = accept(*lfd, NULL, NULL);
    assert_true(*peer >= 0);
    return fd;
}

// Defaults: NODELAY on, keep-alive and buffers as the kernel has them.
static void
test_tune_defaults(void **state)
{
    (void) state;
    int peer, lfd;
    int fd = tcp_pair(&peer, &lfd);
    int keep = getint(fd, SOL_SOCKET, SO_KEEPALIVE);
    int snd = getint(fd, SOL_SOCKET, SO_SNDBUF);
    zmi_options_t o;
    zmi_options_init(&o, ZMSG_PUSH);
    zmi_net_tune(fd, AF_INET, &o);
    assert_int_equal(getint(fd, IPPROTO_TCP, TCP_NODELAY) != 0, 1);
    assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE), keep);
    assert_int_equal(getint(fd, SOL_SOCKET, SO_SNDBUF), snd);
    close(fd);
    close(peer);
    close(lfd);
}

// TCP_KEEPALIVE 1 with its knobs, and SNDBUF/RCVBUF, reach the socket.
static void
test_tune_keepalive_and_buffers(void **state)
{
    (void) state;
    int peer, lfd;
    int fd = tcp_pair(&peer, &lfd);
    zmi_options_t o;
    zmi_options_init(&o, ZMSG_PUSH);
    o.tcp_keepalive = 1;
    o.tcp_keepalive_cnt = 4;
    o.tcp_keepalive_idle = 33;
    o.tcp_keepalive_intvl = 7;
    o.sndbuf = 65536;
    o.rcvbuf = 32768;
    zmi_net_tune(fd, AF_INET, &o);
    assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE) != 0, 1);
#ifdef TCP_KEEPCNT
    assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
#endif
#ifdef TCP_KEEPIDLE
    assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 33);
#endif
#ifdef TCP_KEEPINTVL
    assert_int_equal(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 7);
#endif
    // Linux doubles the value asked for (bookkeeping overhead).
    assert_true(getint(fd, SOL_SOCKET, SO_SNDBUF) >= 65536);
    assert_true(getint(fd, SOL_SOCKET, SO_RCVBUF) >= 32768);
    // TCP_KEEPALIVE 0 turns it off again.
    o.tcp_keepalive = 0;
    zmi_net_tune(fd, AF_INET, &o);
    assert_int_equal(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
    close(fd);
    close(peer);
    close(lfd);
}

// A unix socket gets no tcp options (they would fail) but its buffers.
static void
test_tune_unix(void **state)
{
    (void) state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    zmi_options_t o;
    zmi_options_init(&o, ZMSG_PUSH);
    o.sndbuf = 65536;
    zmi_net_tune(sv[0], AF_UNIX, &o);
    assert_true(getint(sv[0], SOL_SOCKET, SO_SNDBUF) >= 65536);
    close(sv[0]);
    close(sv[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tune_defaults),
        cmocka_unit_test(test_tune_keepalive_and_buffers),
        cmocka_unit_test(test_tune_unix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
