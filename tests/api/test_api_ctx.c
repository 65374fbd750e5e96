// The context: options (IO_THREADS, MAX_SOCKETS), several I/O threads,
// zmsg_ctx_shutdown and zmsg_ctx_term waking blocked calls with ETERM, and
// zmsg_ctx_term honouring each closed socket's linger.

#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"

#include "core/socket.h"

static void
test_new_and_term_without_sockets(void **state)
{
    (void) state;
    for (int i = 0; i < 3; i++) {
        void *ctx = zmsg_ctx_new();
        assert_non_null(ctx);
        assert_int_equal(zmsg_ctx_term(ctx), 0);
    }
    // Shutdown first, then term, is fine too.
    void *ctx = zmsg_ctx_new();
    assert_non_null(ctx);
    assert_int_equal(zmsg_ctx_shutdown(ctx), 0);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

static void
test_ctx_option_defaults_and_unknown(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    assert_int_equal(zmsg_ctx_get(ctx, ZMSG_IO_THREADS), 1);
    assert_int_equal(zmsg_ctx_get(ctx, ZMSG_MAX_SOCKETS), 1023);
    assert_true(zmsg_ctx_get(ctx, ZMSG_SOCKET_LIMIT) >= 1023);
    ZT_ASSERT_FAILS(zmsg_ctx_get(ctx, 9999), EINVAL);
    ZT_ASSERT_FAILS(zmsg_ctx_set(ctx, 9999, 1), EINVAL);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

static void
test_io_threads_settable_before_first_socket(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    ZT_ASSERT_FAILS(zmsg_ctx_set(ctx, ZMSG_IO_THREADS, 0), EINVAL);
    assert_int_equal(zmsg_ctx_get(ctx, ZMSG_IO_THREADS), 1);
    assert_int_equal(zmsg_ctx_set(ctx, ZMSG_IO_THREADS, 2), 0);
    assert_int_equal(zmsg_ctx_get(ctx, ZMSG_IO_THREADS), 2);
    void *s = zt_socket(ctx, ZMSG_PUSH);
    // The threads exist now: the count can't change any more.
    ZT_ASSERT_FAILS(zmsg_ctx_set(ctx, ZMSG_IO_THREADS, 3), EINVAL);
    assert_int_equal(zmsg_ctx_get(ctx, ZMSG_IO_THREADS), 2);
    zmsg_close(s);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

static void
test_max_sockets_limits_open_sockets(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    assert_int_equal(zmsg_ctx_set(ctx, ZMSG_MAX_SOCKETS, 2), 0);
    assert_int_equal(zmsg_ctx_get(ctx, ZMSG_MAX_SOCKETS), 2);
    void *a = zmsg_socket(ctx, ZMSG_PUSH);
    void *b = zmsg_socket(ctx, ZMSG_PULL);
    assert_non_null(a);
    assert_non_null(b);
    errno = 0;
    assert_null(zmsg_socket(ctx, ZMSG_PUSH));
    assert_int_equal(zmsg_errno(), EMFILE);
    zmsg_close(a);
    zmsg_close(b);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// With IO_THREADS 3, six pairs over tcp all work at once, and their
// sockets don't all sit on one thread (white-box: zmi_socket_t.io).
static void
test_three_io_threads_carry_six_pairs(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    assert_int_equal(zmsg_ctx_set(ctx, ZMSG_IO_THREADS, 3), 0);
    enum { PAIRS = 6, MSGS = 50 };
    void *push[PAIRS], *pull[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        pull[i] = zt_socket(ctx, ZMSG_PULL);
        char ep[256];
        zt_bind_tcp(pull[i], ep, sizeof(ep));
        push[i] = zt_socket(ctx, ZMSG_PUSH);
        assert_int_equal(zmsg_connect(push[i], ep), 0);
    }
    char msg[32];
    for (int k = 0; k < MSGS; k++)
        for (int i = 0; i < PAIRS; i++) {
            snprintf(msg, sizeof(msg), "pair%d-%d", i, k);
            zt_send_str(push[i], msg, 0);
        }
    for (int i = 0; i < PAIRS; i++)
        for (int k = 0; k < MSGS; k++) {
            snprintf(msg, sizeof(msg), "pair%d-%d", i, k);
            zt_recv_str(pull[i], msg, 0);
        }
    void *threads[2 * PAIRS];
    int nthreads = 0;
    for (int i = 0; i < 2 * PAIRS; i++) {
        zmi_socket_t *s = i < PAIRS ? push[i] : pull[i - PAIRS];
        int seen = 0;
        for (int t = 0; t < nthreads; t++)
            seen |= threads[t] == (void *) s->io;
        if (!seen)
            threads[nthreads++] = s->io;
    }
    assert_int_equal(nthreads, 3);
    for (int i = 0; i < PAIRS; i++) {
        zmsg_close(push[i]);
        zmsg_close(pull[i]);
    }
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// --- blocked calls and ETERM -------------------------------------------

// What a blocked thread waits in.
enum blocked_op { BLOCKED_RECV, BLOCKED_SEND, BLOCKED_POLL };

// A thread blocked in zmsg_recv (or send, or poll) on s, and what it got.
typedef struct blocked {
    void *s;
    enum blocked_op op; // BLOCKED_RECV unless set after blocked_init
    bool close_after; // close the socket once recv returned
    atomic_int tid; // kernel thread id, once about to block
    int rc;
    int err;
    bool done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} blocked_t;

static void
blocked_init(blocked_t *b, void *s, bool close_after)
{
    memset(b, 0, sizeof(*b));
    b->s = s;
    b->close_after = close_after;
    atomic_init(&b->tid, 0);
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cond, &attr);
    pthread_condattr_destroy(&attr);
}

static void
blocked_fini(blocked_t *b)
{
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
}

static void *
blocked_main(void *arg)
{
    blocked_t *b = arg;
    atomic_store(&b->tid, (int) syscall(SYS_gettid));
    char buf[16] = "";
    int rc;
    if (b->op == BLOCKED_SEND) {
        rc = zmsg_send(b->s, buf, sizeof(buf), 0);
    } else if (b->op == BLOCKED_POLL) {
        zmsg_pollitem_t item = { b->s, -1, ZMSG_POLLIN, 0 };
        rc = zmsg_poll(&item, 1, -1);
    } else {
        rc = zmsg_recv(b->s, buf, sizeof(buf), 0);
    }
    int err = zmsg_errno();
    if (b->close_after)
        zmsg_close(b->s);
    pthread_mutex_lock(&b->lock);
    b->rc = rc;
    b->err = err;
    b->done = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

// True if the thread tid is inside a poll(2)/ppoll(2) system call (Linux
// /proc); where that can't be read, true once it sleeps at all.
static bool
thread_in_poll(int tid)
{
    char path[64], line[128];
    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
    FILE *fp = fopen(path, "r");
    if (fp != NULL) {
        bool in_poll = false;
        if (fgets(line, sizeof(line), fp) != NULL) {
            long nr = strtol(line, NULL, 10);
#ifdef SYS_poll
            in_poll |= nr == SYS_poll;
#endif
#ifdef SYS_ppoll
            in_poll |= nr == SYS_ppoll;
#endif
        }
        fclose(fp);
        return in_poll;
    }
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return true; // no /proc: can't tell, go on
    bool sleeping = false;
    if (fgets(line, sizeof(line), fp) != NULL) {
        const char *paren = strrchr(line, ')');
        sleeping = paren != NULL && paren[1] == ' ' && paren[2] == 'S';
    }
    fclose(fp);
    return sleeping;
}

// Starts the thread and waits (bounded) until it is blocked in zmsg_recv.
static void
blocked_start(blocked_t *b, pthread_t *th)
{
    assert_int_equal(pthread_create(th, NULL, blocked_main, b), 0);
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    while (atomic_load(&b->tid) == 0 || !thread_in_poll(atomic_load(&b->tid))) {
        if (zt_now_ms() > deadline)
            fail_msg("receiver thread never blocked");
        sched_yield();
    }
}

// Waits up to ZT_TIMEOUT_MS for the blocked thread to return.
static void
blocked_wait(blocked_t *b)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ZT_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&b->lock);
    int rc = 0;
    while (!b->done && rc == 0)
        rc = pthread_cond_timedwait(&b->cond, &b->lock, &until);
    bool done = b->done;
    pthread_mutex_unlock(&b->lock);
    if (!done)
        fail_msg("blocked zmsg_recv was not woken");
}

// Starts b's thread, shuts ctx down, and checks that the blocked call came
// back with -1 and ETERM.
static void
blocked_shutdown_gives_eterm(blocked_t *b, void *ctx)
{
    pthread_t th;
    blocked_start(b, &th);
    assert_int_equal(zmsg_ctx_shutdown(ctx), 0);
    blocked_wait(b);
    pthread_join(th, NULL);
    assert_int_equal(b->rc, -1);
    assert_int_equal(b->err, ZMSG_ETERM);
}

static void
test_shutdown_wakes_blocked_recv_with_eterm(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    void *pull = zmsg_socket(ctx, ZMSG_PULL);
    assert_non_null(pull);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep)); // RCVTIMEO stays -1
    blocked_t b;
    blocked_init(&b, pull, false);
    blocked_shutdown_gives_eterm(&b, ctx);
    assert_int_equal(zmsg_close(pull), 0);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    blocked_fini(&b);
}

// The same for a send blocked at the HWM and for a zmsg_poll with no
// timeout: both return -1 with ETERM.
static void
test_shutdown_wakes_blocked_send_and_poll_with_eterm(void **state)
{
    (void) state;
    for (int op = BLOCKED_SEND; op <= BLOCKED_POLL; op++) {
        void *ctx = zmsg_ctx_new();
        // A PUSH with no peer blocks on send; a PULL with none on poll.
        void *s = zmsg_socket(ctx, op == BLOCKED_SEND ? ZMSG_PUSH : ZMSG_PULL);
        assert_non_null(s);
        blocked_t b;
        blocked_init(&b, s, false);
        b.op = (enum blocked_op) op;
        blocked_shutdown_gives_eterm(&b, ctx);
        // And again, not just once.
        zmsg_pollitem_t item = { s, -1, ZMSG_POLLIN, 0 };
        assert_int_equal(zmsg_poll(&item, 1, 0), -1);
        assert_int_equal(zmsg_errno(), ZMSG_ETERM);
        assert_int_equal(zmsg_close(s), 0);
        assert_int_equal(zmsg_ctx_term(ctx), 0);
        blocked_fini(&b);
    }
}

// zmsg_close never blocks, whatever the linger: the reaper drains in the
// background and zmsg_ctx_term is what waits.
static void
test_close_never_blocks(void **state)
{
    (void) state;
    char ep[64];
    int refuse_fd;
    zt_refusing_port(ep, sizeof(ep), &refuse_fd);
    void *ctx = zmsg_ctx_new();
    void *push = zmsg_socket(ctx, ZMSG_PUSH);
    int linger = 1500;
    assert_int_equal(
        zmsg_setsockopt(push, ZMSG_LINGER, &linger, sizeof(linger)), 0);
    assert_int_equal(zmsg_connect(push, ep), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(zmsg_send(push, "pending", 7, 0), 7);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_close(push), 0);
    int64_t closing = zt_now_ms() - t0;
    assert_true(closing < 500); // the linger is 1500
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    assert_true(zt_now_ms() - t0 >= 1500 - 10);
    close(refuse_fd);
}

// Opening and closing sockets forever keeps memory bounded: only the last
// ZMI_CTX_DEAD_MAX closed sockets are kept (for ENOTSOCK), and the most
// recently closed one still gives ENOTSOCK.
static void
test_closed_sockets_kept_are_bounded(void **state)
{
    (void) state;
    zmi_ctx_t *ctx = zmsg_ctx_new();
    void *last = NULL;
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    for (int i = 0; i < 3 * ZMI_CTX_DEAD_MAX; i++) {
        // NB: closed sockets count against MAX_SOCKETS until the reaper
        // is done with them; a tight loop may get ahead of it.
        while ((last = zmsg_socket(ctx, ZMSG_PUSH)) == NULL) {
            assert_int_equal(zmsg_errno(), EMFILE);
            assert_true(zt_now_ms() < deadline);
            sched_yield();
        }
        assert_int_equal(zmsg_close(last), 0);
    }
    for (;;) {
        pthread_mutex_lock(&ctx->lock);
        int open = ctx->nsockets, kept = ctx->ndead;
        pthread_mutex_unlock(&ctx->lock);
        assert_true(kept <= ZMI_CTX_DEAD_MAX);
        if (open == 0)
            break;
        assert_true(zt_now_ms() < deadline);
        sched_yield();
    }
    assert_int_equal(ctx->ndead, ZMI_CTX_DEAD_MAX);
    assert_int_equal(zmsg_send(last, "x", 1, 0), -1);
    assert_int_equal(zmsg_errno(), ENOTSOCK);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// zmsg_ctx_term runs in its own thread so that a hang fails the test.
typedef struct terminator {
    void *ctx;
    int rc;
    bool done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} terminator_t;

static void *
terminator_main(void *arg)
{
    terminator_t *t = arg;
    int rc = zmsg_ctx_term(t->ctx);
    pthread_mutex_lock(&t->lock);
    t->rc = rc;
    t->done = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void
test_term_wakes_blocked_recv_with_eterm(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    void *pull = zmsg_socket(ctx, ZMSG_PULL);
    assert_non_null(pull);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    blocked_t b;
    blocked_init(&b, pull, true); // closes its socket: term can return
    pthread_t th;
    blocked_start(&b, &th);
    terminator_t t = { .ctx = ctx };
    pthread_mutex_init(&t.lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t.cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_t tt;
    assert_int_equal(pthread_create(&tt, NULL, terminator_main, &t), 0);
    blocked_wait(&b);
    pthread_join(th, NULL);
    assert_int_equal(b.rc, -1);
    assert_int_equal(b.err, ZMSG_ETERM);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ZT_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&t.lock);
    int rc = 0;
    while (!t.done && rc == 0)
        rc = pthread_cond_timedwait(&t.cond, &t.lock, &until);
    bool done = t.done;
    pthread_mutex_unlock(&t.lock);
    if (!done)
        fail_msg("zmsg_ctx_term did not return after the socket closed");
    pthread_join(tt, NULL);
    assert_int_equal(t.rc, 0);
    pthread_cond_destroy(&t.cond);
    pthread_mutex_destroy(&t.lock);
    blocked_fini(&b);
}

static void
test_send_recv_after_shutdown_are_eterm(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "before", 0);
    zt_recv_str(pull, "before", 0);
    zt_send_str(push, "queued", 0); // even with a message waiting
    zt_wait_readable(pull, 1);
    assert_int_equal(zmsg_ctx_shutdown(ctx), 0);
    char buf[16];
    ZT_ASSERT_FAILS(zmsg_send(push, "x", 1, 0), ZMSG_ETERM);
    ZT_ASSERT_FAILS(zmsg_send(push, "x", 1, ZMSG_DONTWAIT), ZMSG_ETERM);
    ZT_ASSERT_FAILS(zmsg_recv(pull, buf, sizeof(buf), 0), ZMSG_ETERM);
    ZT_ASSERT_FAILS(zmsg_recv(pull, buf, sizeof(buf), ZMSG_DONTWAIT), ZMSG_ETERM);
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init(&msg), 0);
    ZT_ASSERT_FAILS(zmsg_msg_send(&msg, push, 0), ZMSG_ETERM);
    ZT_ASSERT_FAILS(zmsg_msg_recv(&msg, pull, 0), ZMSG_ETERM);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    assert_int_equal(zmsg_close(push), 0);
    assert_int_equal(zmsg_close(pull), 0);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// libzmq: bind and connect first process the socket's commands, find the
// stop and fail with ETERM.
static void
test_bind_connect_after_shutdown_are_eterm(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    void *pull = zt_socket(ctx, ZMSG_PULL);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_ctx_shutdown(ctx), 0);
    ZT_ASSERT_FAILS(zmsg_bind(pull, "tcp://127.0.0.1:*"), ZMSG_ETERM);
    ZT_ASSERT_FAILS(zmsg_connect(push, "tcp://127.0.0.1:5555"), ZMSG_ETERM);
    assert_int_equal(zmsg_close(push), 0);
    assert_int_equal(zmsg_close(pull), 0);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// Opens n PUSH sockets with the given linger, each with a message queued
// for a peer that refuses connections, and closes them all.
static void
close_pending_pushes(void *ctx, int n, int linger, const char *ep)
{
    for (int i = 0; i < n; i++) {
        void *s = zt_socket(ctx, ZMSG_PUSH);
        if (linger >= 0)
            zt_setint(s, ZMSG_LINGER, linger);
        zt_setint(s, ZMSG_RECONNECT_IVL, 10);
        assert_int_equal(zmsg_connect(s, ep), 0);
        zt_send_str(s, "pending", ZMSG_DONTWAIT);
        zt_send_str(s, "pending", ZMSG_SNDMORE | ZMSG_DONTWAIT);
        zt_send_str(s, "last", ZMSG_DONTWAIT);
        assert_int_equal(zmsg_close(s), 0);
    }
}

static void
test_term_returns_with_200_linger_zero_sockets(void **state)
{
    (void) state;
    char ep[64];
    int refuse_fd;
    zt_refusing_port(ep, sizeof(ep), &refuse_fd);
    void *ctx = zmsg_ctx_new();
    close_pending_pushes(ctx, 200, 0, ep);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    int64_t took = zt_now_ms() - t0;
    print_message("term with 200 sockets, LINGER 0: %lld ms\n",
        (long long) took);
    // Had LINGER 0 been ignored, the default linger (1000 ms) would hold
    // term back at least that long.
    assert_true(took < 1000);
    close(refuse_fd);
}

// Default LINGER (1000 ms): term returns once the linger ran out, which
// is at least the linger after the last socket was closed.
static void
test_term_honours_default_linger(void **state)
{
    (void) state;
    char ep[64];
    int refuse_fd;
    zt_refusing_port(ep, sizeof(ep), &refuse_fd);
    void *ctx = zmsg_ctx_new();
    close_pending_pushes(ctx, 20, -1, ep);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    int64_t took = zt_now_ms() - t0;
    print_message(
        "term with 20 sockets, default linger: %lld ms\n", (long long) took);
    assert_true(took >= 1000 - 10);
    close(refuse_fd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_term_without_sockets),
        cmocka_unit_test(test_ctx_option_defaults_and_unknown),
        cmocka_unit_test(test_io_threads_settable_before_first_socket),
        cmocka_unit_test(test_max_sockets_limits_open_sockets),
        cmocka_unit_test(test_three_io_threads_carry_six_pairs),
        cmocka_unit_test(test_shutdown_wakes_blocked_recv_with_eterm),
        cmocka_unit_test(test_shutdown_wakes_blocked_send_and_poll_with_eterm),
        cmocka_unit_test(test_close_never_blocks),
        cmocka_unit_test(test_closed_sockets_kept_are_bounded),
        cmocka_unit_test(test_term_wakes_blocked_recv_with_eterm),
        cmocka_unit_test(test_send_recv_after_shutdown_are_eterm),
        cmocka_unit_test(test_bind_connect_after_shutdown_are_eterm),
        cmocka_unit_test(test_term_returns_with_200_linger_zero_sockets),
        cmocka_unit_test(test_term_honours_default_linger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
