// zmsg_poll over zmsg sockets and plain file descriptors together: which
// item reports what, each timeout form (0, a positive number of ms, -1),
// and bad items. Lower bounds on elapsed time only; upper bounds are
// seconds, never tight.

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    void *ctx;
    int pipefd[2]; // a plain pipe(2): [0] read end, [1] write end
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->ctx = zmsg_ctx_new();
    assert_non_null(f->ctx);
    assert_int_equal(pipe(f->pipefd), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    zt_term(f->ctx);
    if (f->pipefd[0] >= 0)
        close(f->pipefd[0]);
    if (f->pipefd[1] >= 0)
        close(f->pipefd[1]);
    free(f);
    return 0;
}

// A connected PUSH/PULL pair over tcp.
static void
make_pair(void *ctx, void **push, void **pull)
{
    *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(*pull, ep, sizeof(ep));
    *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(*push, ep), 0);
}

// One poll sees every kind of readiness at once: POLLIN on a socket with
// a message waiting, POLLIN on a pipe that was written, POLLOUT on a PUSH
// that has a peer; and items that are not ready report nothing (a PUSH
// without a peer, an empty PULL, a pipe's write end asked for POLLIN).
static void
test_mixed_sockets_and_fd(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    void *lonely = zt_socket(f->ctx, ZMSG_PUSH); // no peer: can't send
    void *empty = zt_socket(f->ctx, ZMSG_PULL); // no messages
    char ep[256];
    zt_bind_tcp(empty, ep, sizeof(ep));
    zmsg_pollitem_t items[] = {
        { pull, 0, ZMSG_POLLIN, 0 },
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
        { push, 0, ZMSG_POLLOUT, 0 },
        { lonely, 0, ZMSG_POLLOUT, 0 },
        { empty, 0, ZMSG_POLLIN, 0 },
    };
    // Nothing sent, nothing written: only the PUSH with a peer.
    assert_int_equal(zmsg_poll(items, 5, 0), 1);
    assert_int_equal(items[0].revents, 0);
    assert_int_equal(items[1].revents, 0);
    assert_int_equal(items[2].revents, ZMSG_POLLOUT);
    assert_int_equal(items[3].revents, 0);
    assert_int_equal(items[4].revents, 0);
    // The pipe alone, with timeout 0 as well.
    assert_int_equal(write(f->pipefd[1], "x", 1), 1);
    assert_int_equal(zmsg_poll(&items[1], 1, 0), 1);
    assert_int_equal(items[1].revents, ZMSG_POLLIN);
    // A message on its way: wait for it on the socket alone.
    zt_send_str(push, "hello", 0);
    assert_int_equal(zmsg_poll(items, 1, ZT_TIMEOUT_MS), 1);
    assert_int_equal(items[0].revents, ZMSG_POLLIN);
    // Now all three at once.
    assert_int_equal(zmsg_poll(items, 5, 0), 3);
    assert_int_equal(items[0].revents, ZMSG_POLLIN);
    assert_int_equal(items[1].revents, ZMSG_POLLIN);
    assert_int_equal(items[2].revents, ZMSG_POLLOUT);
    assert_int_equal(items[3].revents, 0);
    assert_int_equal(items[4].revents, 0);
    // Reading clears them.
    zt_recv_str(pull, "hello", 0);
    char c;
    assert_int_equal(read(f->pipefd[0], &c, 1), 1);
    assert_int_equal(zmsg_poll(items, 5, 0), 1);
    assert_int_equal(items[0].revents, 0);
    assert_int_equal(items[1].revents, 0);
    assert_int_equal(items[2].revents, ZMSG_POLLOUT);
    zmsg_close(empty);
    zmsg_close(lonely);
    zmsg_close(push);
    zmsg_close(pull);
}

// POLLIN and POLLOUT asked together on one item report only what holds,
// and a plain fd's POLLOUT works too.
static void
test_events_reported_only_as_asked(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zmsg_pollitem_t items[] = {
        { push, 0, ZMSG_POLLIN | ZMSG_POLLOUT, 0 },
        { pull, 0, ZMSG_POLLOUT, 0 }, // never writable
        { NULL, f->pipefd[1], ZMSG_POLLOUT, 0 }, // empty pipe: room
        { NULL, f->pipefd[0], ZMSG_POLLOUT, 0 }, // read end: never
    };
    zt_send_str(push, "m", 0);
    zt_wait_readable(pull, 1);
    assert_int_equal(zmsg_poll(items, 4, 0), 2);
    assert_int_equal(items[0].revents, ZMSG_POLLOUT);
    assert_int_equal(items[1].revents, 0);
    assert_int_equal(items[2].revents, ZMSG_POLLOUT);
    assert_int_equal(items[3].revents, 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// Timeout 0 returns at once with 0 when nothing is ready.
static void
test_timeout_zero_returns_at_once(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zmsg_pollitem_t items[] = {
        { pull, 0, ZMSG_POLLIN, 0 },
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
    };
    int64_t t0 = zt_now_ms();
    for (int i = 0; i < 100; i++)
        assert_int_equal(zmsg_poll(items, 2, 0), 0);
    // 100 polls; a blocking one would take ZT_TIMEOUT_MS or forever.
    assert_true(zt_now_ms() - t0 < 5000);
    assert_int_equal(items[0].revents, 0);
    assert_int_equal(items[1].revents, 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// A positive timeout with nothing happening returns 0 after at least that
// long, for sockets, plain fds and no items at all.
static void
test_positive_timeout_waits_at_least_that_long(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zmsg_pollitem_t items[] = {
        { pull, 0, ZMSG_POLLIN, 0 },
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
    };
    long timeouts[] = { 1, 50, 120 };
    for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
        int64_t t0 = zt_now_ms();
        assert_int_equal(zmsg_poll(items, 2, timeouts[i]), 0);
        int64_t took = zt_now_ms() - t0;
        if (took < timeouts[i] || took > timeouts[i] + 5000)
            fail_msg(
                "poll(%ld ms) took %lld ms", timeouts[i], (long long) took);
        t0 = zt_now_ms();
        assert_int_equal(zmsg_poll(NULL, 0, timeouts[i]), 0);
        took = zt_now_ms() - t0;
        if (took < timeouts[i] || took > timeouts[i] + 5000)
            fail_msg("poll(no items, %ld ms) took %lld ms", timeouts[i],
                (long long) took);
    }
    zmsg_close(push);
    zmsg_close(pull);
}

// A positive timeout ends early when something happens: the message
// arrives while the poll waits.
static void
test_positive_timeout_returns_when_ready(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zt_send_str(push, "soon", 0);
    zmsg_pollitem_t item = { pull, 0, ZMSG_POLLIN, 0 };
    assert_int_equal(zmsg_poll(&item, 1, ZT_TIMEOUT_MS), 1);
    assert_int_equal(item.revents, ZMSG_POLLIN);
    zt_recv_str(pull, "soon", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

typedef struct sender {
    void *push; // used by the thread only while it runs
    int wfd; // or -1: write a byte to this fd instead
    int rc;
} sender_t;

static void *
sender_main(void *arg)
{
    sender_t *s = arg;
    if (s->wfd >= 0)
        s->rc = (int) write(s->wfd, "w", 1);
    else
        s->rc = zmsg_send(s->push, "from thread", 11, 0);
    return NULL;
}

// Timeout -1 blocks until a message sent by another thread arrives: the
// poll returns 1 with POLLIN on the socket (the pipe stays quiet).
static void
test_infinite_timeout_wakes_on_message_from_thread(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zmsg_pollitem_t items[] = {
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
        { pull, 0, ZMSG_POLLIN, 0 },
    };
    sender_t s = { push, -1, 0 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_main, &s), 0);
    int rc = zmsg_poll(items, 2, -1);
    pthread_join(th, NULL);
    assert_int_equal(s.rc, 11);
    assert_int_equal(rc, 1);
    assert_int_equal(items[0].revents, 0);
    assert_int_equal(items[1].revents, ZMSG_POLLIN);
    zt_recv_str(pull, "from thread", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// Timeout -1 also wakes for a plain fd written by another thread.
static void
test_infinite_timeout_wakes_on_fd_from_thread(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zmsg_pollitem_t items[] = {
        { pull, 0, ZMSG_POLLIN, 0 },
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
    };
    sender_t s = { NULL, f->pipefd[1], 0 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_main, &s), 0);
    int rc = zmsg_poll(items, 2, -1);
    pthread_join(th, NULL);
    assert_int_equal(s.rc, 1);
    assert_int_equal(rc, 1);
    assert_int_equal(items[0].revents, 0);
    assert_int_equal(items[1].revents, ZMSG_POLLIN);
    zmsg_close(push);
    zmsg_close(pull);
}

// A pipe whose writer closed reports POLLERR (libzmq maps POLLHUP so),
// at once, instead of never reporting anything; an fd that is not open
// reports POLLERR too.
static void
test_hangup_and_bad_fd_are_pollerr(void **state)
{
    fixture_t *f = *state;
    close(f->pipefd[1]);
    f->pipefd[1] = -1;
    zmsg_pollitem_t item = { NULL, f->pipefd[0], ZMSG_POLLIN, 0 };
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_poll(&item, 1, ZT_TIMEOUT_MS), 1);
    assert_true(item.revents & ZMSG_POLLERR);
    assert_true(zt_now_ms() - t0 < ZT_TIMEOUT_MS / 2);
    // An fd number nobody opened (fcntl says so first).
    int bad = 1000000;
    assert_int_equal(fcntl(bad, F_GETFD), -1);
    zmsg_pollitem_t badi = { NULL, bad, ZMSG_POLLIN, 0 };
    assert_int_equal(zmsg_poll(&badi, 1, 0), 1);
    assert_int_equal(badi.revents, ZMSG_POLLERR);
}

// More items than fit in the poller's stack array: only the one that is
// ready reports, whichever index it has.
static void
test_many_items(void **state)
{
    (void) state;
    enum { N = 40 };
    int fds[N][2];
    zmsg_pollitem_t items[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        items[i] = (zmsg_pollitem_t) { NULL, fds[i][0], ZMSG_POLLIN, 0 };
    }
    assert_int_equal(zmsg_poll(items, N, 0), 0);
    assert_int_equal(write(fds[N - 3][1], "z", 1), 1);
    assert_int_equal(zmsg_poll(items, N, ZT_TIMEOUT_MS), 1);
    for (int i = 0; i < N; i++)
        assert_int_equal(items[i].revents, i == N - 3 ? ZMSG_POLLIN : 0);
    for (int i = 0; i < N; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
}

// An item with neither a socket nor a valid fd is EINVAL (not a crash,
// not ignored), whatever the other items are; so are a negative count
// and a NULL array with a positive count.
static void
test_item_without_socket_or_fd_is_einval(void **state)
{
    fixture_t *f = *state;
    zmsg_pollitem_t items[] = {
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
        { NULL, -1, ZMSG_POLLIN, 0 },
    };
    assert_int_equal(write(f->pipefd[1], "x", 1), 1);
    ZT_ASSERT_FAILS(zmsg_poll(items, 2, 0), EINVAL);
    ZT_ASSERT_FAILS(zmsg_poll(&items[1], 1, -1), EINVAL);
    ZT_ASSERT_FAILS(zmsg_poll(items, -1, 0), EINVAL);
    ZT_ASSERT_FAILS(zmsg_poll(NULL, 1, 0), EINVAL);
}

// A closed socket in the items is ENOTSOCK, even with a timeout of -1.
static void
test_closed_socket_is_enotsock(void **state)
{
    fixture_t *f = *state;
    void *s = zmsg_socket(f->ctx, ZMSG_PULL);
    assert_non_null(s);
    assert_int_equal(zmsg_close(s), 0);
    zmsg_pollitem_t items[] = {
        { NULL, f->pipefd[0], ZMSG_POLLIN, 0 },
        { s, 0, ZMSG_POLLIN, 0 },
    };
    ZT_ASSERT_FAILS(zmsg_poll(items, 2, 0), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_poll(items, 2, -1), ENOTSOCK);
}

// No items and timeout 0: 0 at once.
static void
test_no_items_timeout_zero(void **state)
{
    (void) state;
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_poll(NULL, 0, 0), 0);
    zmsg_pollitem_t unused = { NULL, -1, ZMSG_POLLIN, 0 };
    assert_int_equal(zmsg_poll(&unused, 0, 0), 0); // n = 0: not looked at
    assert_true(zt_now_ms() - t0 < 5000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_mixed_sockets_and_fd),
        T(test_events_reported_only_as_asked),
        T(test_timeout_zero_returns_at_once),
        T(test_positive_timeout_waits_at_least_that_long),
        T(test_positive_timeout_returns_when_ready),
        T(test_infinite_timeout_wakes_on_message_from_thread),
        T(test_infinite_timeout_wakes_on_fd_from_thread),
        T(test_hangup_and_bad_fd_are_pollerr),
        T(test_many_items),
        T(test_item_without_socket_or_fd_is_einval),
        T(test_closed_socket_is_enotsock),
        T(test_no_items_timeout_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
