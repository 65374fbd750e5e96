// ZMSG_CONFLATE: a conflating socket keeps only the newest message. Over
// inproc the sender writes straight into the slot, so the outcome is
// exact; over tcp a conflating PULL that is never read still takes
// everything its peer sends (nothing pushes back), and what it finally
// returns is the last message.

#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
send_numbers(void *s, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", i);
        zt_send_str(s, buf, 0);
    }
}

static void
expect_nothing_more(void *s)
{
    char buf[16];
    assert_int_equal(zmsg_recv(s, buf, sizeof(buf), ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
}

// PUSH -> conflating PULL over inproc: only the last of 100 is left.
static void
test_inproc_pull_keeps_newest(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    zt_setint(pull, ZMSG_CONFLATE, 1);
    assert_int_equal(zmsg_bind(pull, "inproc://conflate-pull"), 0);
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_SNDHWM, 5); // a conflated pipe never fills
    assert_int_equal(zmsg_connect(push, "inproc://conflate-pull"), 0);
    send_numbers(push, 100);
    zt_recv_str(pull, "99", 0);
    expect_nothing_more(pull);
    // And it goes on working.
    zt_send_str(push, "again", 0);
    zt_recv_str(pull, "again", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// A conflating PUSH: its queue to the PULL keeps only the newest.
static void
test_inproc_push_keeps_newest(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, "inproc://conflate-push"), 0);
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_CONFLATE, 1);
    assert_int_equal(zmsg_connect(push, "inproc://conflate-push"), 0);
    send_numbers(push, 100);
    zt_recv_str(pull, "99", 0);
    expect_nothing_more(pull);
    zmsg_close(push);
    zmsg_close(pull);
}

// PUB -> conflating SUB: filtering still applies, the newest match wins.
static void
test_inproc_sub_keeps_newest(void **state)
{
    void *pub = zt_socket(*state, ZMSG_PUB);
    assert_int_equal(zmsg_bind(pub, "inproc://conflate-sub"), 0);
    void *sub = zt_socket(*state, ZMSG_SUB);
    zt_setint(sub, ZMSG_CONFLATE, 1);
    assert_int_equal(zmsg_connect(sub, "inproc://conflate-sub"), 0);
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, "k", 1), 0);
    // Wait until the subscription reached the publisher.
    for (int i = 0;; i++) {
        assert_true(i < 1000);
        zt_send_str(pub, "k-probe", 0);
        char buf[16];
        zt_setint(sub, ZMSG_RCVTIMEO, 10);
        if (zmsg_recv(sub, buf, sizeof(buf), 0) >= 0)
            break;
    }
    zt_setint(sub, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    for (int i = 0; i < 50; i++) {
        char buf[16];
        snprintf(buf, sizeof(buf), "k%d", i);
        zt_send_str(pub, buf, 0);
        zt_send_str(pub, "other", 0);
    }
    zt_recv_str(sub, "k49", 0);
    expect_nothing_more(sub);
    zmsg_close(sub);
    zmsg_close(pub);
}

enum { BIG = 64 * 1024, BIG_COUNT = 300 };

// Over tcp, a conflating PULL that nobody reads never pushes back: 300
// messages of 64 KiB (far beyond both HWMs and the kernel's buffers) all
// leave the PUSH within its send timeout, and the PULL then holds the
// last one. A PULL without CONFLATE would stall the sender after a few.
static void
test_tcp_pull_never_pushes_back(void **state)
{
    void *pull = zt_socket(*state, ZMSG_PULL);
    zt_setint(pull, ZMSG_CONFLATE, 1);
    zt_setint(pull, ZMSG_RCVHWM, 2);
    zt_setint(pull, ZMSG_RCVBUF, 65536);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    void *push = zt_socket(*state, ZMSG_PUSH);
    zt_setint(push, ZMSG_SNDHWM, 2);
    zt_setint(push, ZMSG_SNDBUF, 65536);
    assert_int_equal(zmsg_connect(push, ep), 0);
    char *big = malloc(BIG);
    assert_non_null(big);
    for (int i = 0; i < BIG_COUNT; i++) {
        memset(big, 'a' + i % 26, BIG);
        snprintf(big, 16, "%d", i);
        assert_int_equal(zmsg_send(push, big, BIG, 0), BIG);
    }
    // The last one arrives in the end; older ones may be seen first, but
    // only in order.
    int last = -1;
    while (last != BIG_COUNT - 1) {
        int n = zmsg_recv(pull, big, BIG, 0);
        assert_int_equal(n, BIG);
        int got = atoi(big);
        assert_true(got > last);
        last = got;
    }
    assert_int_equal(big[BIG - 1], 'a' + (BIG_COUNT - 1) % 26);
    free(big);
    zmsg_close(push);
    zmsg_close(pull);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ZT_CTX_TEST(test_inproc_pull_keeps_newest),
        ZT_CTX_TEST(test_inproc_push_keeps_newest),
        ZT_CTX_TEST(test_inproc_sub_keeps_newest),
        ZT_CTX_TEST(test_tcp_pull_never_pushes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
