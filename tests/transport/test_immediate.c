// ZMSG_IMMEDIATE: a connecting socket queues messages only to connections
// that completed their handshake. With no peer a send has nowhere to go;
// with one live and one absent peer, everything goes to the live one; a
// peer that goes away takes its queue with it.

#include "testutil.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

// Without a completed connection there is no queue: EAGAIN, where a PUSH
// without IMMEDIATE queues the message.
static void
test_no_queue_without_connection(void **state)
{
    char ep[64];
    int fd;
    zt_unbound_endpoint(ep, sizeof(ep), &fd);
    void *imm = zt_socket(*state, ZMSG_PUSH);
    zt_setint(imm, ZMSG_IMMEDIATE, 1);
    assert_int_equal(zmsg_connect(imm, ep), 0);
    assert_int_equal(zmsg_send(imm, "x", 1, ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);

    void *plain = zt_socket(*state, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(plain, ep), 0);
    assert_int_equal(zmsg_send(plain, "x", 1, ZMSG_DONTWAIT), 1);
    zt_release_endpoint(fd);
    zmsg_close(plain);
    zmsg_close(imm);
}

// Round-robin skips a peer that is not there: all ten messages reach the
// live PULL, none wait for the absent one.
static void
test_only_live_peers_get_messages(void **state)
{
    char absent[64];
    int fd;
    zt_unbound_endpoint(absent, sizeof(absent), &fd);
    void *pull = zt_socket(*state, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_IMMEDIATE, 1);
    assert_int_equal(zmsg_connect(push, absent), 0);
    assert_int_equal(zmsg_connect(push, ep), 0);
    for (int i = 0; i < 10; i++)
        zt_send_str(push, "live", 0); // blocks until the handshake is done
    for (int i = 0; i < 10; i++)
        zt_recv_str(pull, "live", 0);
    zt_release_endpoint(fd);
    zmsg_close(push);
    zmsg_close(pull);
}

// When the only peer goes away its queue goes too (sends find no room
// again), and a peer that comes back gets a fresh queue.
static void
test_queue_goes_with_the_peer(void **state)
{
    char ep[64];
    int lfd = zt_raw_listen(ep, sizeof(ep));
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_IMMEDIATE, 1);
    zt_setint(push, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(push, ep), 0);
    int fd = zt_raw_accept(lfd);
    zt_raw_handshake(fd, "PULL");
    zt_raw_read_handshake(fd);
    zt_send_str(push, "first", 0);
    char buf[64];
    int flags;
    zt_raw_recv_frame(fd, buf, sizeof(buf), &flags);
    assert_string_equal(buf, "first");
    // The peer goes, and nobody listens there any more. NB: a reset
    // leaves no TIME_WAIT behind to keep the port from being bound again.
    close(lfd);
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    assert_int_equal(
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)), 0);
    close(fd);
    zt_wait_pipes_at_most(push, 0);
    assert_int_equal(zmsg_send(push, "lost", 4, ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);

    void *pull = zt_socket(*state, ZMSG_PULL);
    if (zmsg_bind(pull, ep) != 0)
        fail_msg("bind %s: %s", ep, zmsg_strerror(zmsg_errno()));
    zt_send_str(push, "second", 0);
    zt_recv_str(pull, "second", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ZT_CTX_TEST(test_no_queue_without_connection),
        ZT_CTX_TEST(test_only_live_peers_get_messages),
        ZT_CTX_TEST(test_queue_goes_with_the_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
