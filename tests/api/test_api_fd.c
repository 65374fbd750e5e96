// ZMSG_FD and ZMSG_EVENTS in an external event loop (plain Linux epoll),
// following the contract in docs/EVENTS.md: whenever the fd is readable,
// and after any zmsg call on the socket, read ZMSG_EVENTS and work until
// EAGAIN before waiting on the fd again. A PULL receives 100,000 messages
// that way (tcp and inproc, level- and edge-triggered), a REP serves two
// REQ clients that way, and two tests pin down the behaviour behind the
// contract's two warnings (the fd is not readable just because messages
// wait). Every epoll_wait is bounded: a stall fails the test.

#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

// No wake-up for this long while work is due means the loop stalled.
#define STALL_MS 5000

enum { MESSAGES = 100000, CLIENTS = 2, REQUESTS = 5000 };

// A thread that talks to the socket under test from its own socket.
typedef struct peer {
    void *ctx;
    char ep[256];
    int type; // ZMSG_PUSH: send MESSAGES; ZMSG_REQ: REQUESTS calls
    int id;
    char error[128]; // empty if all went well
    pthread_t thread;
    bool started;
} peer_t;

typedef struct fixture {
    void *ctx;
    peer_t peers[CLIENTS];
    int epfd;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->ctx = zmsg_ctx_new();
    assert_non_null(f->ctx);
    f->epfd = -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    // Terminating wakes a peer still blocked (ETERM); it then closes its
    // socket, so term returns and the thread can be joined.
    zt_term(f->ctx);
    for (int i = 0; i < CLIENTS; i++)
        if (f->peers[i].started)
            pthread_join(f->peers[i].thread, NULL);
    if (f->epfd >= 0)
        close(f->epfd);
    free(f);
    return 0;
}

static int
get_events(void *s)
{
    int ev = 0;
    size_t len = sizeof(ev);
    if (zmsg_getsockopt(s, ZMSG_EVENTS, &ev, &len) != 0)
        fail_msg("ZMSG_EVENTS: %s", zmsg_strerror(zmsg_errno()));
    return ev;
}

static int
get_fd(void *s)
{
    int fd = -1;
    size_t len = sizeof(fd);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_FD, &fd, &len), 0);
    assert_int_equal(len, sizeof(fd));
    assert_true(fd >= 0);
    return fd;
}

// 1 if fd is readable right now, else 0.
static int
fd_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return poll(&pfd, 1, 0);
}

// An epoll set watching s's fd for EPOLLIN.
static int
epoll_for(void *s, bool edge)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    assert_true(ep >= 0);
    struct epoll_event ev = { .events = EPOLLIN | (edge ? EPOLLET : 0u) };
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, get_fd(s), &ev), 0);
    return ep;
}

// Waits for the fd; fails if nothing comes within STALL_MS (work is
// still due whenever this is called).
static void
wait_fd(int ep, const char *what, int done, int total)
{
    for (;;) {
        struct epoll_event ev;
        int n = epoll_wait(ep, &ev, 1, STALL_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail_msg("epoll_wait: %s", strerror(errno));
        if (n == 0)
            fail_msg("%s: stalled for %d ms after %d of %d", what, STALL_MS,
                done, total);
        return;
    }
}

// --- the peers (no cmocka asserts in these threads) ---------------------

static void *
peer_main(void *arg)
{
    peer_t *p = arg;
    void *s = zmsg_socket(p->ctx, p->type);
    if (s == NULL) {
        snprintf(p->error, sizeof(p->error), "socket: %d", zmsg_errno());
        return NULL;
    }
    int t = ZT_TIMEOUT_MS;
    zmsg_setsockopt(s, ZMSG_SNDTIMEO, &t, sizeof(t));
    zmsg_setsockopt(s, ZMSG_RCVTIMEO, &t, sizeof(t));
    zmsg_setsockopt(s, ZMSG_LINGER, &t, sizeof(t));
    if (zmsg_connect(s, p->ep) != 0) {
        snprintf(p->error, sizeof(p->error), "connect: %d", zmsg_errno());
        zmsg_close(s);
        return NULL;
    }
    if (p->type == ZMSG_PUSH) {
        for (uint32_t i = 0; i < MESSAGES; i++) {
            if (zmsg_send(s, &i, sizeof(i), 0) != (int) sizeof(i)) {
                snprintf(p->error, sizeof(p->error), "send %u: %s", i,
                    zmsg_strerror(zmsg_errno()));
                break;
            }
        }
    } else {
        for (int i = 0; i < REQUESTS; i++) {
            char req[32], want[32], got[32];
            snprintf(req, sizeof(req), "c%d-%d", p->id, i);
            snprintf(want, sizeof(want), "re:c%d-%d", p->id, i);
            if (zmsg_send(s, req, strlen(req), 0) < 0) {
                snprintf(p->error, sizeof(p->error), "send %d: %s", i,
                    zmsg_strerror(zmsg_errno()));
                break;
            }
            int n = zmsg_recv(s, got, sizeof(got) - 1, 0);
            if (n < 0) {
                snprintf(p->error, sizeof(p->error), "recv %d: %s", i,
                    zmsg_strerror(zmsg_errno()));
                break;
            }
            got[n] = '\0';
            if (strcmp(got, want) != 0) {
                snprintf(p->error, sizeof(p->error), "reply %d: %s", i, got);
                break;
            }
        }
    }
    zmsg_close(s);
    return NULL;
}

static void
start_peer(fixture_t *f, int i, int type, const char *ep)
{
    peer_t *p = &f->peers[i];
    p->ctx = f->ctx;
    p->type = type;
    p->id = i;
    snprintf(p->ep, sizeof(p->ep), "%s", ep);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
    p->started = true;
}

static void
join_peer(fixture_t *f, int i)
{
    peer_t *p = &f->peers[i];
    pthread_join(p->thread, NULL);
    p->started = false;
    if (p->error[0] != '\0')
        fail_msg("peer %d: %s", i, p->error);
}

// --- PULL driven by epoll -----------------------------------------------

// Binds a PULL to a fresh endpoint of the transport.
static void *
bound_pull(fixture_t *f, const char *transport, char *ep, size_t cap)
{
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    if (strcmp(transport, "tcp") == 0) {
        zt_bind_tcp(pull, ep, cap);
    } else {
        static int seq;
        snprintf(ep, cap, "inproc://fd-%d", ++seq);
        assert_int_equal(zmsg_bind(pull, ep), 0);
    }
    return pull;
}

// The documented receive loop: EVENTS first; with POLLIN, receive with
// DONTWAIT until EAGAIN, then look at EVENTS again (those receives were
// zmsg calls); wait on the fd only when EVENTS says there is nothing.
static void
epoll_receive_all(fixture_t *f, const char *transport, bool edge)
{
    char ep[256];
    void *pull = bound_pull(f, transport, ep, sizeof(ep));
    f->epfd = epoll_for(pull, edge);
    start_peer(f, 0, ZMSG_PUSH, ep);
    uint32_t next = 0;
    int wakeups = 0;
    while (next < MESSAGES) {
        if (get_events(pull) & ZMSG_POLLIN) {
            for (;;) {
                uint32_t v;
                int rc = zmsg_recv(pull, &v, sizeof(v), ZMSG_DONTWAIT);
                if (rc < 0) {
                    assert_int_equal(zmsg_errno(), EAGAIN);
                    break;
                }
                assert_int_equal(rc, sizeof(v));
                if (v != next)
                    fail_msg("got message %u, expected %u", v, next);
                next++;
            }
            continue;
        }
        wait_fd(f->epfd, "PULL", (int) next, MESSAGES);
        wakeups++;
    }
    print_message("%s%s: %d messages, %d wake-ups\n", transport,
        edge ? " (EPOLLET)" : "", MESSAGES, wakeups);
    join_peer(f, 0);
    // Everything was taken: nothing more to receive, and EVENTS agrees.
    assert_int_equal(get_events(pull) & ZMSG_POLLIN, 0);
    zmsg_close(pull);
}

// 100,000 messages from a PUSH in another thread, over tcp, through a
// level-triggered epoll loop on ZMSG_FD.
static void
test_epoll_pull_tcp(void **state)
{
    epoll_receive_all(*state, "tcp", false);
}

// The same through an edge-triggered (EPOLLET) loop.
static void
test_epoll_pull_tcp_edge_triggered(void **state)
{
    epoll_receive_all(*state, "tcp", true);
}

// The same over inproc, where the sender writes the pipe directly.
static void
test_epoll_pull_inproc(void **state)
{
    epoll_receive_all(*state, "inproc", false);
}

// And over inproc through an edge-triggered loop.
static void
test_epoll_pull_inproc_edge_triggered(void **state)
{
    epoll_receive_all(*state, "inproc", true);
}

// --- REP driven by epoll ------------------------------------------------

// A REP served from epoll: two REQ threads make REQUESTS calls each. After
// each reply (a zmsg call that may have consumed the fd's wake-up for the
// next request) the loop looks at EVENTS again before waiting.
static void
epoll_serve(fixture_t *f, const char *transport)
{
    void *rep = zt_socket(f->ctx, ZMSG_REP);
    char ep[256];
    if (strcmp(transport, "tcp") == 0) {
        zt_bind_tcp(rep, ep, sizeof(ep));
    } else {
        snprintf(ep, sizeof(ep), "inproc://fd-rep");
        assert_int_equal(zmsg_bind(rep, ep), 0);
    }
    f->epfd = epoll_for(rep, false);
    for (int i = 0; i < CLIENTS; i++)
        start_peer(f, i, ZMSG_REQ, ep);
    int served = 0;
    while (served < CLIENTS * REQUESTS) {
        if (get_events(rep) & ZMSG_POLLIN) {
            char req[32], reply[40];
            int n = zmsg_recv(rep, req, sizeof(req) - 1, ZMSG_DONTWAIT);
            if (n < 0) {
                assert_int_equal(zmsg_errno(), EAGAIN);
                continue;
            }
            req[n] = '\0';
            snprintf(reply, sizeof(reply), "re:%s", req);
            zt_send_str(rep, reply, ZMSG_DONTWAIT);
            served++;
            continue;
        }
        wait_fd(f->epfd, "REP", served, CLIENTS * REQUESTS);
    }
    for (int i = 0; i < CLIENTS; i++)
        join_peer(f, i);
    zmsg_close(rep);
}

// 2 x 5,000 requests over tcp served by a REP driven from epoll.
static void
test_epoll_rep_tcp(void **state)
{
    epoll_serve(*state, "tcp");
}

// The same over inproc.
static void
test_epoll_rep_inproc(void **state)
{
    epoll_serve(*state, "inproc");
}

// --- the behaviour behind the two warnings --------------------------------

// Warning 1: the fd says "something changed", not "a message waits". Any
// zmsg call that handles the socket's commands consumes the wake-up, so
// with messages still queued the fd stays silent: a loop that waits on it
// after a partial drain hangs. Once a receive has found the queue empty,
// the next message makes the fd readable again.
static void
test_fd_silent_while_messages_wait(void **state)
{
    fixture_t *f = *state;
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, "inproc://partial"), 0);
    void *push = zt_socket(f->ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, "inproc://partial"), 0);
    int fd = get_fd(pull);
    zt_send_str(push, "a", 0);
    zt_send_str(push, "b", 0);
    assert_int_equal(fd_readable(fd), 1); // the attach woke it
    assert_int_equal(get_events(pull), ZMSG_POLLIN);
    assert_int_equal(fd_readable(fd), 0); // consumed by EVENTS
    zt_recv_str(pull, "a", 0);
    // "b" waits, the fd is silent: only EVENTS tells.
    assert_int_equal(fd_readable(fd), 0);
    assert_int_equal(get_events(pull), ZMSG_POLLIN);
    zt_recv_str(pull, "b", 0);
    char buf[4];
    assert_int_equal(zmsg_recv(pull, buf, sizeof(buf), ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    assert_int_equal(get_events(pull), 0);
    assert_int_equal(fd_readable(fd), 0);
    // The queue was found empty: the next message wakes the fd.
    zt_send_str(push, "c", 0);
    assert_int_equal(fd_readable(fd), 1);
    assert_int_equal(get_events(pull), ZMSG_POLLIN);
    zt_recv_str(pull, "c", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// Warning 2: a send handles the socket's pending commands too. A request
// that arrives while a REP holds one, and whose wake-up the reply's send
// consumes, leaves the fd silent with POLLIN in EVENTS: a loop that waits
// on the fd after sending without looking at EVENTS hangs.
static void
test_send_consumes_wakeup(void **state)
{
    fixture_t *f = *state;
    void *rep = zt_socket(f->ctx, ZMSG_REP);
    assert_int_equal(zmsg_bind(rep, "inproc://after-send"), 0);
    int fd = get_fd(rep);
    void *req1 = zt_socket(f->ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req1, "inproc://after-send"), 0);
    zt_send_str(req1, "r1", 0);
    assert_int_equal(get_events(rep), ZMSG_POLLIN);
    zt_recv_str(rep, "r1", 0);
    // A second client's request arrives while the reply is due.
    void *req2 = zt_socket(f->ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req2, "inproc://after-send"), 0);
    zt_send_str(req2, "r2", 0);
    assert_int_equal(fd_readable(fd), 1);
    zt_send_str(rep, "reply1", 0);
    assert_int_equal(fd_readable(fd), 0); // the send took the wake-up
    assert_true(get_events(rep) & ZMSG_POLLIN); // yet r2 waits
    zt_recv_str(rep, "r2", 0);
    zt_send_str(rep, "reply2", 0);
    zt_recv_str(req1, "reply1", 0);
    zt_recv_str(req2, "reply2", 0);
    zmsg_close(req2);
    zmsg_close(req1);
    zmsg_close(rep);
}

// ZMSG_FD is one fd for the socket's whole life, and a plain int.
static void
test_fd_is_stable_and_int_sized(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    int fd = get_fd(s);
    char ep[256];
    zt_bind_tcp(s, ep, sizeof(ep));
    assert_int_equal(get_fd(s), fd);
    int small;
    size_t len = sizeof(small) - 1;
    errno = 0;
    assert_int_equal(zmsg_getsockopt(s, ZMSG_FD, &small, &len), -1);
    assert_int_equal(zmsg_errno(), EINVAL);
    len = 1;
    errno = 0;
    assert_int_equal(zmsg_getsockopt(s, ZMSG_EVENTS, &small, &len), -1);
    assert_int_equal(zmsg_errno(), EINVAL);
    zmsg_close(s);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_epoll_pull_tcp),
        T(test_epoll_pull_tcp_edge_triggered),
        T(test_epoll_pull_inproc),
        T(test_epoll_pull_inproc_edge_triggered),
        T(test_epoll_rep_tcp),
        T(test_epoll_rep_inproc),
        T(test_fd_silent_while_messages_wait),
        T(test_send_consumes_wakeup),
        T(test_fd_is_stable_and_int_sized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
