// Unit tests for the mailbox (src/io/mailbox.c): FIFO order, ring growth
// and wrap-around, timeouts, the wake-up fd, and a multi-producer stress.

#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "io/mailbox.h"

// Upper bound for any wait that should succeed: long enough never to fire
// on a loaded machine, short enough that a lost wake-up fails the test.
#define WAIT_MS 10000

#define PRODUCERS 4
#define PER_PRODUCER 100000

static zmi_cmd_t
make_cmd(int producer, int64_t seq)
{
    zmi_cmd_t cmd = { .type = ZMI_CMD_ACTIVATE_READ };

    cmd.target = (void *) (intptr_t) producer;
    cmd.u.i = seq;
    return cmd;
}

// Whether fd is readable right now.
static bool
fd_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };

    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static void
send_seq(zmi_mailbox_t *mb, int64_t from, int64_t to)
{
    for (int64_t i = from; i < to; i++) {
        zmi_cmd_t cmd = make_cmd(0, i);
        zmi_mailbox_send(mb, &cmd);
    }
}

static void
recv_seq(zmi_mailbox_t *mb, int64_t from, int64_t to)
{
    zmi_cmd_t cmd;

    for (int64_t i = from; i < to; i++) {
        assert_int_equal(zmi_mailbox_recv(mb, &cmd, 0), 0);
        assert_int_equal(cmd.type, ZMI_CMD_ACTIVATE_READ);
        assert_int_equal(cmd.u.i, i);
    }
}

static void
test_fifo(void **state)
{
    zmi_mailbox_t mb;
    zmi_cmd_t cmd;

    (void) state;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
    send_seq(&mb, 0, 10);
    recv_seq(&mb, 0, 10);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
    // Every field is copied by value.
    cmd = make_cmd(7, 42);
    cmd.type = ZMI_CMD_IO_STOP;
    zmi_mailbox_send(&mb, &cmd);
    cmd = make_cmd(0, 0);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), 0);
    assert_int_equal(cmd.type, ZMI_CMD_IO_STOP);
    assert_ptr_equal(cmd.target, (void *) (intptr_t) 7);
    assert_int_equal(cmd.u.i, 42);
    zmi_mailbox_fini(&mb);
}

static void
test_grow_and_wrap(void **state)
{
    zmi_mailbox_t mb;
    zmi_cmd_t cmd;

    (void) state;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    assert_int_equal(mb.cap, 16);
    // Move head forward, then wrap around the end of the ring.
    send_seq(&mb, 0, 12);
    recv_seq(&mb, 0, 10);
    send_seq(&mb, 12, 26);
    assert_int_equal(mb.cap, 16);
    assert_int_equal(mb.count, 16);
    assert_true(mb.head + mb.count > mb.cap);
    // Grow while wrapped: order must survive the unrolling.
    send_seq(&mb, 26, 40);
    assert_int_equal(mb.cap, 32);
    recv_seq(&mb, 10, 30);
    // Wrap the bigger ring, then grow well past it.
    send_seq(&mb, 40, 1000);
    assert_true(mb.cap >= 1024);
    assert_int_equal(mb.cap & (mb.cap - 1), 0);
    recv_seq(&mb, 30, 1000);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
    zmi_mailbox_fini(&mb);
}

static void
test_pending_and_fd(void **state)
{
    zmi_mailbox_t mb;
    zmi_cmd_t cmd = make_cmd(0, 0);

    (void) state;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    assert_false(zmi_mailbox_has_pending(&mb));
    assert_false(fd_readable(zmi_mailbox_fd(&mb)));
    zmi_mailbox_send(&mb, &cmd);
    assert_true(zmi_mailbox_has_pending(&mb));
    assert_int_equal(atomic_load(&mb.pending), 1);
    assert_true(fd_readable(zmi_mailbox_fd(&mb)));
    zmi_mailbox_send(&mb, &cmd);
    assert_int_equal(atomic_load(&mb.pending), 2);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), 0);
    assert_int_equal(atomic_load(&mb.pending), 1);
    assert_true(zmi_mailbox_has_pending(&mb));
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), 0);
    assert_false(zmi_mailbox_has_pending(&mb));
    // The fd stays readable until a receive finds the ring empty.
    assert_true(fd_readable(zmi_mailbox_fd(&mb)));
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
    assert_false(fd_readable(zmi_mailbox_fd(&mb)));
    assert_false(mb.signaled);
    // And the next send signals again.
    zmi_mailbox_send(&mb, &cmd);
    assert_true(fd_readable(zmi_mailbox_fd(&mb)));
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, WAIT_MS), 0);
    zmi_mailbox_fini(&mb);
}

static void
test_recv_timeout(void **state)
{
    zmi_mailbox_t mb;
    zmi_cmd_t cmd;
    int64_t start;

    (void) state;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    start = zmi_clock_ms();
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 50), -EAGAIN);
    assert_true(zmi_clock_ms() - start >= 40);
    // A queued command is returned at once, whatever the timeout.
    send_seq(&mb, 0, 1);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 50), 0);
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
    zmi_mailbox_fini(&mb);
}

struct producer {
    pthread_t thread;  // the sending thread
    zmi_mailbox_t *mb; // where it sends
    int id;            // stored in each command's target
};

static void *
producer_main(void *arg)
{
    struct producer *p = arg;

    for (int64_t i = 0; i < PER_PRODUCER; i++) {
        zmi_cmd_t cmd = make_cmd(p->id, i);
        zmi_mailbox_send(p->mb, &cmd);
    }
    return NULL;
}

static void
test_multi_producer(void **state)
{
    struct producer prod[PRODUCERS];
    int64_t next[PRODUCERS] = { 0 };
    zmi_mailbox_t mb;
    zmi_cmd_t cmd;

    (void) state;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    for (int i = 0; i < PRODUCERS; i++) {
        prod[i].mb = &mb;
        prod[i].id = i;
        assert_int_equal(
            pthread_create(&prod[i].thread, NULL, producer_main, &prod[i]), 0);
    }
    // Alternate blocking and non-blocking receives so that both paths
    // race the producers.
    for (long n = 0; n < (long) PRODUCERS * PER_PRODUCER; n++) {
        int rc = zmi_mailbox_recv(&mb, &cmd, (n & 1) ? 0 : WAIT_MS);
        int id;

        if (rc == -EAGAIN && (n & 1))
            rc = zmi_mailbox_recv(&mb, &cmd, WAIT_MS);
        assert_int_equal(rc, 0);
        id = (int) (intptr_t) cmd.target;
        assert_true(id >= 0 && id < PRODUCERS);
        // Exactly once and in order per producer: seq must be the next.
        assert_int_equal(cmd.u.i, next[id]);
        next[id]++;
    }
    for (int i = 0; i < PRODUCERS; i++) {
        assert_int_equal(pthread_join(prod[i].thread, NULL), 0);
        assert_int_equal(next[i], PER_PRODUCER);
    }
    assert_int_equal(zmi_mailbox_recv(&mb, &cmd, 0), -EAGAIN);
    assert_false(zmi_mailbox_has_pending(&mb));
    zmi_mailbox_fini(&mb);
}

struct pinger {
    pthread_t thread;   // the echoing thread
    zmi_mailbox_t *in;  // where it receives
    zmi_mailbox_t *out; // where it echoes
    int rounds;         // how many to echo
    int failures;       // receives that timed out or failed
};

static void *
pinger_main(void *arg)
{
    struct pinger *p = arg;
    zmi_cmd_t cmd;

    for (int i = 0; i < p->rounds; i++) {
        if (zmi_mailbox_recv(p->in, &cmd, WAIT_MS) != 0) {
            p->failures++;
            break;
        }
        zmi_mailbox_send(p->out, &cmd);
    }
    return NULL;
}

// Ping-pong: each side sleeps in recv on every round, so every round
// goes through the empty -> signalled edge. One lost wake-up times out.
static void
test_ping_pong(void **state)
{
    zmi_mailbox_t a, b;
    struct pinger p = { .in = &a, .out = &b, .rounds = 20000 };
    zmi_cmd_t cmd;

    (void) state;
    assert_int_equal(zmi_mailbox_init(&a), 0);
    assert_int_equal(zmi_mailbox_init(&b), 0);
    assert_int_equal(pthread_create(&p.thread, NULL, pinger_main, &p), 0);
    for (int i = 0; i < p.rounds; i++) {
        cmd = make_cmd(1, i);
        zmi_mailbox_send(&a, &cmd);
        assert_int_equal(zmi_mailbox_recv(&b, &cmd, WAIT_MS), 0);
        assert_int_equal(cmd.u.i, i);
    }
    assert_int_equal(pthread_join(p.thread, NULL), 0);
    assert_int_equal(p.failures, 0);
    zmi_mailbox_fini(&a);
    zmi_mailbox_fini(&b);
}

// Out of descriptors, init fails cleanly with -EMFILE.
static void
test_init_emfile(void **state)
{
    struct rlimit saved, rl;
    zmi_mailbox_t mb;
    int lowest;

    (void) state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    // The lowest free descriptor becomes the limit: no new fd fits.
    lowest = dup(0);
    assert_true(lowest >= 0);
    close(lowest);
    rl = saved;
    rl.rlim_cur = (rlim_t) lowest;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int rc = zmi_mailbox_init(&mb);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(rc, -EMFILE);
    // And works again once descriptors are available.
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    zmi_mailbox_fini(&mb);
}

static void
on_signal(int sig)
{
    (void) sig;
}

// The signalling thread and its stop flag.
struct kicker {
    pthread_t target; // the thread to interrupt
    atomic_bool stop; // set when the receive has returned
};

static void *
kicker_main(void *arg)
{
    struct kicker *k = arg;

    while (!atomic_load(&k->stop)) {
        pthread_kill(k->target, SIGUSR1);
        sched_yield();
    }
    return NULL;
}

// A signal ends a blocking receive with -EINTR, well before the timeout.
static void
test_recv_eintr(void **state)
{
    struct sigaction sa, old;
    struct kicker k;
    pthread_t thread;
    zmi_mailbox_t mb;
    zmi_cmd_t cmd;
    int64_t start;
    int rc;

    (void) state;
    assert_int_equal(zmi_mailbox_init(&mb), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; // no SA_RESTART
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    k.target = pthread_self();
    atomic_init(&k.stop, false);
    assert_int_equal(pthread_create(&thread, NULL, kicker_main, &k), 0);
    start = zmi_clock_ms();
    rc = zmi_mailbox_recv(&mb, &cmd, WAIT_MS);
    atomic_store(&k.stop, true);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_int_equal(rc, -EINTR);
    assert_true(zmi_clock_ms() - start < WAIT_MS);
    zmi_mailbox_fini(&mb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_grow_and_wrap),
        cmocka_unit_test(test_pending_and_fd),
        cmocka_unit_test(test_recv_timeout),
        cmocka_unit_test(test_multi_producer),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_init_emfile),
        cmocka_unit_test(test_recv_eintr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
