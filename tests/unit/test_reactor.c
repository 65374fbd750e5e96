// Unit tests for the reactor (src/io/reactor_epoll.c or reactor_poll.c,
// whichever is linked): readiness callbacks, interest changes, removal
// during dispatch, many fds, hang-ups and interrupted waits.

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "io/reactor.h"

// Upper bound for any wait that should succeed at once.
#define WAIT_MS 10000

#define MANY_PIPES 500 // 1000 fds

// One watched fd and what its callbacks saw.
struct watch {
    zmi_reactor_t *r;     // the reactor it is registered with
    zmi_io_handle_t *h;   // its handle, NULL once removed
    int fd;               // the watched fd
    int peer;             // the other end of its pipe or socketpair
    int ins;              // in_event calls
    int outs;             // out_event calls
    struct watch *victim; // removed by this watch's in_event, if set
    bool rm_self;         // in_event removes its own handle
    bool reset_in;        // in_event resets its pollin
    bool set_out;         // in_event sets its pollout
    bool reset_out;       // out_event resets its pollout
    bool drain;           // in_event reads what is there
};

static void
on_in(void *arg)
{
    struct watch *w = arg;
    char buf[64];

    assert_non_null(w->h);
    w->ins++;
    if (w->drain)
        while (read(w->fd, buf, sizeof(buf)) > 0)
            ;
    if (w->victim != NULL && w->victim->h != NULL) {
        zmi_reactor_rm(w->r, w->victim->h);
        w->victim->h = NULL;
    }
    if (w->reset_in)
        zmi_reactor_reset_pollin(w->r, w->h);
    if (w->set_out)
        zmi_reactor_set_pollout(w->r, w->h);
    if (w->rm_self) {
        zmi_reactor_rm(w->r, w->h);
        w->h = NULL;
    }
}

static void
on_out(void *arg)
{
    struct watch *w = arg;

    assert_non_null(w->h);
    w->outs++;
    if (w->reset_out)
        zmi_reactor_reset_pollout(w->r, w->h);
}

static const zmi_io_events_t watch_events = {
    .in_event = on_in,
    .out_event = on_out,
};

static void
set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    assert_true(flags >= 0);
    assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

// Watches the read end of a new pipe (peer: the write end).
static void
watch_pipe(zmi_reactor_t *r, struct watch *w)
{
    int fds[2];

    memset(w, 0, sizeof(*w));
    assert_int_equal(pipe(fds), 0);
    set_nonblock(fds[0]);
    set_nonblock(fds[1]);
    w->r = r;
    w->fd = fds[0];
    w->peer = fds[1];
    w->h = zmi_reactor_add(r, w->fd, &watch_events, w);
    assert_non_null(w->h);
}

// Watches one end of a new socketpair.
static void
watch_socketpair(zmi_reactor_t *r, struct watch *w)
{
    int fds[2];

    memset(w, 0, sizeof(*w));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    set_nonblock(fds[0]);
    set_nonblock(fds[1]);
    w->r = r;
    w->fd = fds[0];
    w->peer = fds[1];
    w->h = zmi_reactor_add(r, w->fd, &watch_events, w);
    assert_non_null(w->h);
}

static void
unwatch(struct watch *w)
{
    if (w->h != NULL)
        zmi_reactor_rm(w->r, w->h);
    w->h = NULL;
    if (w->fd >= 0)
        close(w->fd);
    if (w->peer >= 0)
        close(w->peer);
    w->fd = -1;
    w->peer = -1;
}

static void
poke(int fd)
{
    assert_int_equal(write(fd, "x", 1), 1);
}

static void
test_backend(void **state)
{
    const char *name = zmi_reactor_backend();

    (void) state;
    assert_true(strcmp(name, "epoll") == 0 || strcmp(name, "poll") == 0);
}

static void
test_timeout_zero(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    // Interest set, nothing ready.
    watch_pipe(r, &w);
    zmi_reactor_set_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    assert_int_equal(w.ins + w.outs, 0);
    // A short timeout really waits (lower bound only).
    int64_t start = zmi_clock_ms();
    assert_int_equal(zmi_reactor_wait(r, 30), 0);
    assert_true(zmi_clock_ms() - start >= 20);
    unwatch(&w);
    zmi_reactor_destroy(r);
}

static void
test_pipe_readable(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    watch_pipe(r, &w);
    // Data without interest: no callback.
    poke(w.peer);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    zmi_reactor_set_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.ins, 1);
    assert_int_equal(w.outs, 0);
    // Level-triggered: still readable, still reported.
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.ins, 2);
    // Drained: quiet again.
    w.drain = true;
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    assert_int_equal(w.ins, 3);
    unwatch(&w);
    zmi_reactor_destroy(r);
}

static void
test_pollout(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    watch_socketpair(r, &w);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    zmi_reactor_set_pollout(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.outs, 1);
    assert_int_equal(w.ins, 0);
    zmi_reactor_reset_pollout(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    assert_int_equal(w.outs, 1);
    // Both directions ready at once: one call each.
    poke(w.peer);
    zmi_reactor_set_pollin(r, w.h);
    zmi_reactor_set_pollout(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 2);
    assert_int_equal(w.ins, 1);
    assert_int_equal(w.outs, 2);
    unwatch(&w);
    zmi_reactor_destroy(r);
}

static void
test_reset_pollin(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    watch_pipe(r, &w);
    poke(w.peer);
    zmi_reactor_set_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    zmi_reactor_reset_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    // Set and reset before a wait: nothing.
    zmi_reactor_set_pollin(r, w.h);
    zmi_reactor_reset_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    // Reset from inside the callback: one call, then quiet.
    w.reset_in = true;
    zmi_reactor_set_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    assert_int_equal(w.ins, 2);
    unwatch(&w);
    zmi_reactor_destroy(r);
}

static void
test_interest_change_in_callback(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    watch_socketpair(r, &w);
    poke(w.peer);
    w.drain = true;
    w.set_out = true;
    w.reset_out = true;
    zmi_reactor_set_pollin(r, w.h);
    // pollout set by in_event takes effect from the next wait on.
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.ins, 1);
    assert_int_equal(w.outs, 0);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.outs, 1);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    unwatch(&w);
    zmi_reactor_destroy(r);
}

static void
test_rm_other_in_callback(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch a, b;

    (void) state;
    assert_non_null(r);
    // Repeat, so that either may come first and the retired handles of
    // one round are freed before the next.
    for (int round = 0; round < 20; round++) {
        watch_pipe(r, &a);
        watch_pipe(r, &b);
        a.victim = &b;
        b.victim = &a;
        zmi_reactor_set_pollin(r, a.h);
        zmi_reactor_set_pollin(r, b.h);
        poke(a.peer);
        poke(b.peer);
        // Both are ready in this one wait; whichever runs first removes
        // the other, whose callback must then never run.
        assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
        assert_int_equal(a.ins + b.ins, 1);
        assert_true((a.h == NULL) != (b.h == NULL));
        assert_int_equal(zmi_reactor_wait(r, 0), 1);
        assert_int_equal(a.ins + b.ins, 2);
        unwatch(&a);
        unwatch(&b);
    }
    zmi_reactor_destroy(r);
}

static void
test_rm_self_in_callback(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    watch_socketpair(r, &w);
    poke(w.peer);
    zmi_reactor_set_pollin(r, w.h);
    zmi_reactor_set_pollout(r, w.h);
    w.rm_self = true;
    // Readable and writable, but in_event removes it: no out_event.
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.ins, 1);
    assert_int_equal(w.outs, 0);
    assert_null(w.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    unwatch(&w);
    zmi_reactor_destroy(r);
}

// A callback removes a ready handle, closes its fds and watches a new
// pipe, which likely reuses the same fd number: the old handle's pending
// event must not reach the new one.
static struct watch reuse_old, reuse_new; // the two watches in that test

static void
on_in_reuse(void *arg)
{
    struct watch *w = arg;

    w->ins++;
    if (reuse_old.h != NULL) {
        unwatch(&reuse_old);
        watch_pipe(w->r, &reuse_new);
        zmi_reactor_set_pollin(w->r, reuse_new.h);
        poke(reuse_new.peer);
    }
}

static void
test_fd_reuse_in_callback(void **state)
{
    static const zmi_io_events_t reuse_events = {
        .in_event = on_in_reuse,
        .out_event = on_out,
    };
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch trigger;
    int fd;

    (void) state;
    assert_non_null(r);
    watch_pipe(r, &trigger);
    zmi_reactor_rm(r, trigger.h);
    trigger.h = zmi_reactor_add(r, trigger.fd, &reuse_events, &trigger);
    assert_non_null(trigger.h);
    zmi_reactor_set_pollin(r, trigger.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    watch_pipe(r, &reuse_old);
    zmi_reactor_set_pollin(r, reuse_old.h);
    poke(trigger.peer);
    poke(reuse_old.peer);
    fd = reuse_old.fd;
    // The trigger comes first for both backends (first slot for poll,
    // first ready for epoll): it removes the old watch, whose pending
    // event must then be skipped.
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(trigger.ins, 1);
    assert_int_equal(reuse_old.ins, 0);
    assert_null(reuse_old.h);
    // Lowest free descriptor first: the new pipe reuses the old number,
    // yet its callback does not run for the old handle's event.
    assert_int_equal(reuse_new.fd, fd);
    assert_int_equal(reuse_new.ins, 0);
    // The new watch is reported from the next wait on.
    trigger.drain = true;
    reuse_new.drain = true;
    zmi_reactor_reset_pollin(r, trigger.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(reuse_new.ins, 1);
    unwatch(&trigger);
    unwatch(&reuse_new);
    zmi_reactor_destroy(r);
}

static void
test_many(void **state)
{
    static struct watch rd[MANY_PIPES], wr[MANY_PIPES];
    zmi_reactor_t *r = zmi_reactor_new();
    struct rlimit rl;
    int seen;

    (void) state;
    assert_non_null(r);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 2 * MANY_PIPES + 64) {
        rl.rlim_cur = 2 * MANY_PIPES + 64;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
            skip();
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    for (int i = 0; i < MANY_PIPES; i++) {
        watch_pipe(r, &rd[i]);
        // The write end gets its own watch.
        wr[i] = rd[i];
        wr[i].fd = rd[i].peer;
        wr[i].peer = -1;
        wr[i].h = zmi_reactor_add(r, wr[i].fd, &watch_events, &wr[i]);
        assert_non_null(wr[i].h);
        rd[i].peer = -1;
    }
    // Every write end is writable: 500 out_events, one each (more than
    // one epoll batch, so this takes several waits).
    for (int i = 0; i < MANY_PIPES; i++) {
        wr[i].reset_out = true;
        zmi_reactor_set_pollout(r, wr[i].h);
    }
    seen = 0;
    while (seen < MANY_PIPES) {
        int n = zmi_reactor_wait(r, WAIT_MS);
        assert_true(n > 0);
        seen += n;
    }
    assert_int_equal(seen, MANY_PIPES);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    for (int i = 0; i < MANY_PIPES; i++)
        assert_int_equal(wr[i].outs, 1);

    // Every third pipe readable: exactly those report.
    for (int i = 0; i < MANY_PIPES; i++) {
        rd[i].drain = true;
        zmi_reactor_set_pollin(r, rd[i].h);
        if (i % 3 == 0)
            poke(wr[i].fd);
    }
    seen = 0;
    while (seen < (MANY_PIPES + 2) / 3) {
        int n = zmi_reactor_wait(r, WAIT_MS);
        assert_true(n > 0);
        seen += n;
    }
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    for (int i = 0; i < MANY_PIPES; i++)
        assert_int_equal(rd[i].ins, i % 3 == 0);

    // Remove the odd read ends, poke every pipe: only even ones report.
    for (int i = 1; i < MANY_PIPES; i += 2) {
        zmi_reactor_rm(r, rd[i].h);
        rd[i].h = NULL;
    }
    for (int i = 0; i < MANY_PIPES; i++)
        poke(wr[i].fd);
    seen = 0;
    while (seen < MANY_PIPES / 2) {
        int n = zmi_reactor_wait(r, WAIT_MS);
        assert_true(n > 0);
        seen += n;
    }
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    for (int i = 0; i < MANY_PIPES; i++)
        assert_int_equal(rd[i].ins, (i % 3 == 0) + (i % 2 == 0));

    for (int i = 0; i < MANY_PIPES; i++) {
        unwatch(&rd[i]);
        unwatch(&wr[i]);
    }
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    zmi_reactor_destroy(r);
}

static void
test_hangup(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch p, s;
    char c;

    (void) state;
    assert_non_null(r);
    // Pipe: the writer goes away.
    watch_pipe(r, &p);
    zmi_reactor_set_pollin(r, p.h);
    close(p.peer);
    p.peer = -1;
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(p.ins, 1);
    assert_int_equal(read(p.fd, &c, 1), 0);
    // Without interest the hang-up is not reported, and does not spin.
    zmi_reactor_reset_pollin(r, p.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    int64_t start = zmi_clock_ms();
    assert_int_equal(zmi_reactor_wait(r, 50), 0);
    assert_true(zmi_clock_ms() - start >= 40);
    assert_int_equal(p.ins, 1);
    // Interest again: reported again.
    zmi_reactor_set_pollin(r, p.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(p.ins, 2);
    unwatch(&p);

    // Socketpair: the peer closes; in_event finds end of file.
    watch_socketpair(r, &s);
    zmi_reactor_set_pollin(r, s.h);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    close(s.peer);
    s.peer = -1;
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(s.ins, 1);
    assert_int_equal(read(s.fd, &c, 1), 0);
    unwatch(&s);

    // A pipe whose reader is gone: the writer's error reaches out_event.
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    memset(&p, 0, sizeof(p));
    p.r = r;
    p.fd = fds[1];
    p.peer = -1;
    p.h = zmi_reactor_add(r, p.fd, &watch_events, &p);
    assert_non_null(p.h);
    zmi_reactor_set_pollout(r, p.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(p.outs, 1);
    assert_int_equal(p.ins, 0);
    unwatch(&p);
    zmi_reactor_destroy(r);
}

// An fd closed without being removed first (an owner bug) is reported as
// an error through in_event, not silently dropped: epoll_ctl fails for the
// epoll backend, poll says POLLNVAL.
static void
test_closed_fd_reports_error(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct watch w;

    (void) state;
    assert_non_null(r);
    watch_pipe(r, &w);
    close(w.fd);
    close(w.peer);
    w.fd = -1;
    w.peer = -1;
    zmi_reactor_set_pollin(r, w.h);
    assert_int_equal(zmi_reactor_wait(r, WAIT_MS), 1);
    assert_int_equal(w.ins, 1);
    unwatch(&w);
    assert_int_equal(zmi_reactor_wait(r, 0), 0);
    zmi_reactor_destroy(r);
}

static void
on_signal(int sig)
{
    (void) sig;
}

// The signalling thread and its stop flag.
struct kicker {
    pthread_t target; // the thread to interrupt
    atomic_bool stop; // set when the wait has returned
    atomic_int sent;  // signals sent
};

static void *
kicker_main(void *arg)
{
    struct kicker *k = arg;

    while (!atomic_load(&k->stop)) {
        pthread_kill(k->target, SIGUSR1);
        atomic_fetch_add(&k->sent, 1);
        sched_yield();
    }
    return NULL;
}

static void
test_eintr(void **state)
{
    zmi_reactor_t *r = zmi_reactor_new();
    struct sigaction sa, old;
    struct kicker k;
    pthread_t thread;
    int64_t start;
    int rc;

    (void) state;
    assert_non_null(r);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; // no SA_RESTART: the wait is interrupted
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    k.target = pthread_self();
    atomic_init(&k.stop, false);
    atomic_init(&k.sent, 0);
    assert_int_equal(pthread_create(&thread, NULL, kicker_main, &k), 0);
    start = zmi_clock_ms();
    rc = zmi_reactor_wait(r, WAIT_MS);
    atomic_store(&k.stop, true);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_int_equal(rc, 0);
    // Returned early because of a signal, not because of the timeout.
    assert_true(zmi_clock_ms() - start < WAIT_MS);
    assert_true(atomic_load(&k.sent) > 0);
    zmi_reactor_destroy(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend),
        cmocka_unit_test(test_timeout_zero),
        cmocka_unit_test(test_pipe_readable),
        cmocka_unit_test(test_pollout),
        cmocka_unit_test(test_reset_pollin),
        cmocka_unit_test(test_interest_change_in_callback),
        cmocka_unit_test(test_rm_other_in_callback),
        cmocka_unit_test(test_rm_self_in_callback),
        cmocka_unit_test(test_fd_reuse_in_callback),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_hangup),
        cmocka_unit_test(test_closed_fd_reports_error),
        cmocka_unit_test(test_eintr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
