// Reactor backend for Linux: level-triggered epoll.
//
// Run by one I/O thread. Interest changes are recorded on the handle and
// queued; the epoll_ctl calls for them run together just before the next
// epoll_wait. The reactor owns its handles (freed on removal, or after the
// dispatch loop when removed from a callback) but never the fds.

#include "io/reactor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

// Events fetched per epoll_wait; more stay ready (level-triggered) and are
// fetched by the next wait.
#define EPOLL_MAX_EVENTS 256

// The directions a handle can want, as epoll bits.
#define EPOLL_DIRS (EPOLLIN | EPOLLOUT)

struct zmi_io_handle {
    int fd;                     // the watched fd, -1 once removed
    unsigned want;              // EPOLLIN/EPOLLOUT the owner asked for
    unsigned applied;           // the mask epoll has, when in_kernel
    bool in_kernel;             // fd is registered with epoll
    bool queued;                // on the reactor's change list
    bool failed;                // on the failed list (epoll_ctl failed)
    zmi_io_events_t ev;         // the owner's callbacks
    void *arg;                  // their argument
    zmi_io_handle_t *prev;      // change list links, when queued
    zmi_io_handle_t *next;      // (both ways)
    zmi_io_handle_t *next_fail; // failed list link, when failed
    zmi_io_handle_t *next_ret;  // retired list link, once retired
};

struct zmi_reactor {
    int epfd;                                    // the epoll instance
    bool dispatching;                            // inside wait's callbacks
    zmi_io_handle_t *changes;                    // want != applied, to apply
    zmi_io_handle_t *failed;                     // epoll_ctl failed: owe errors
    zmi_io_handle_t *retired;                    // removed in dispatch, to free
    struct epoll_event events[EPOLL_MAX_EVENTS]; // epoll_wait's output
};

zmi_reactor_t *
zmi_reactor_new(void)
{
    zmi_reactor_t *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epfd < 0) {
        int err = errno; // the caller reports it (EMFILE, ...)
        free(r);
        errno = err;
        return NULL;
    }
    return r;
}

void
zmi_reactor_destroy(zmi_reactor_t *r)
{
    if (r == NULL)
        return;
    close(r->epfd);
    free(r);
}

const char *
zmi_reactor_backend(void)
{
    return "epoll";
}

// Registers the fd at once, with an empty mask, so that an fd epoll
// cannot watch (a regular file, a closed fd) fails here rather than later.
// An empty mask still reports errors and hang-ups; see epoll_dispatch.
zmi_io_handle_t *
zmi_reactor_add(zmi_reactor_t *r, int fd, const zmi_io_events_t *ev, void *arg)
{
    struct epoll_event e = { .events = 0, .data.ptr = NULL };
    zmi_io_handle_t *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    e.data.ptr = h;
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
        free(h);
        return NULL;
    }
    h->fd = fd;
    h->in_kernel = true;
    h->ev = *ev;
    h->arg = arg;
    return h;
}

static void
epoll_unqueue(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    if (!h->queued)
        return;
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        r->changes = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
    h->prev = NULL;
    h->next = NULL;
    h->queued = false;
}

void
zmi_reactor_rm(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    struct epoll_event e = { .events = 0, .data.ptr = NULL };

    if (h->in_kernel)
        epoll_ctl(r->epfd, EPOLL_CTL_DEL, h->fd, &e);
    epoll_unqueue(r, h);
    h->fd = -1;
    h->want = 0;
    h->in_kernel = false;
    if (r->dispatching) {
        // Events already fetched may still point at h: keep the memory
        // until the dispatch loop is over (fd == -1 makes it skip them).
        h->next_ret = r->retired;
        r->retired = h;
    } else {
        free(h);
    }
}

// Records the new wanted mask; the epoll_ctl waits for the next
// zmi_reactor_wait, so toggling interest inside one batch costs nothing.
static void
epoll_set_want(zmi_reactor_t *r, zmi_io_handle_t *h, unsigned want)
{
    if (h->fd < 0 || h->want == want)
        return;
    h->want = want;
    if (!h->queued) {
        h->queued = true;
        h->prev = NULL;
        h->next = r->changes;
        if (r->changes != NULL)
            r->changes->prev = h;
        r->changes = h;
    }
}

void
zmi_reactor_set_pollin(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    epoll_set_want(r, h, h->want | EPOLLIN);
}

void
zmi_reactor_reset_pollin(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    epoll_set_want(r, h, h->want & ~(unsigned) EPOLLIN);
}

void
zmi_reactor_set_pollout(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    epoll_set_want(r, h, h->want | EPOLLOUT);
}

void
zmi_reactor_reset_pollout(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    epoll_set_want(r, h, h->want & ~(unsigned) EPOLLOUT);
}

// Brings epoll in line with one handle's wanted mask. A failure (ENOMEM,
// or an fd the owner closed without removing it) cannot be returned to
// anyone, so it becomes an error event: the owner finds the error when
// its callback reads or writes, as poll's POLLNVAL would make it.
static void
epoll_apply(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    struct epoll_event e = { .events = h->want, .data.ptr = h };
    int op;
    int rc;

    if (h->in_kernel ? h->applied == h->want : h->want == 0)
        return;
    op = h->in_kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    rc = epoll_ctl(r->epfd, op, h->fd, &e);
    if (rc < 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
        rc = epoll_ctl(r->epfd, EPOLL_CTL_ADD, h->fd, &e);
    else if (rc < 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
        rc = epoll_ctl(r->epfd, EPOLL_CTL_MOD, h->fd, &e);
    if (rc < 0) {
        if (!h->failed) {
            h->failed = true;
            h->next_fail = r->failed;
            r->failed = h;
        }
        return;
    }
    h->in_kernel = true;
    h->applied = h->want;
}

static void
epoll_apply_changes(zmi_reactor_t *r)
{
    while (r->changes != NULL) {
        zmi_io_handle_t *h = r->changes;

        epoll_unqueue(r, h);
        epoll_apply(r, h);
    }
}

// Calls the owner for the directions it still wants. `events` may carry
// EPOLLERR/EPOLLHUP, which count as both directions: the owner learns the
// error by reading or writing. Returns the number of callbacks made.
static int
epoll_dispatch(zmi_reactor_t *r, zmi_io_handle_t *h, unsigned events)
{
    int n = 0;

    // NB: re-read fd and want before each call: an earlier callback in
    // this batch may have removed h or changed its interest. A NULL
    // callback is never called.
    if (h->fd < 0)
        return 0;
    if (events & (EPOLLERR | EPOLLHUP)) {
        if ((h->want & EPOLL_DIRS) == 0) {
            // Nothing wanted: epoll reports errors even with an empty mask,
            // level-triggered, which would spin. Unregister until the
            // owner wants something again (epoll_apply re-adds it).
            if (h->in_kernel && h->applied == 0) {
                struct epoll_event e = { .events = 0, .data.ptr = h };
                epoll_ctl(r->epfd, EPOLL_CTL_DEL, h->fd, &e);
                h->in_kernel = false;
            }
            return 0;
        }
        events |= EPOLL_DIRS;
    }
    if ((events & EPOLLIN) && (h->want & EPOLLIN) && h->ev.in_event) {
        h->ev.in_event(h->arg);
        n++;
    }
    if (h->fd >= 0 && (events & EPOLLOUT) && (h->want & EPOLLOUT)
        && h->ev.out_event) {
        h->ev.out_event(h->arg);
        n++;
    }
    return n;
}

int
zmi_reactor_wait(zmi_reactor_t *r, int timeout_ms)
{
    int count = 0;
    int n;

    epoll_apply_changes(r);
    // An epoll_ctl failure is reported now instead of waiting for events.
    if (r->failed != NULL)
        timeout_ms = 0;
    n = epoll_wait(
        r->epfd, r->events, EPOLL_MAX_EVENTS, timeout_ms < 0 ? -1 : timeout_ms);
    if (n < 0 && errno != EINTR)
        return -errno;
    r->dispatching = true;
    for (int i = 0; i < n; i++)
        count += epoll_dispatch(r, r->events[i].data.ptr, r->events[i].events);
    while (r->failed != NULL) {
        zmi_io_handle_t *h = r->failed;

        r->failed = h->next_fail;
        h->failed = false;
        count += epoll_dispatch(r, h, EPOLLERR);
    }
    r->dispatching = false;
    while (r->retired != NULL) {
        zmi_io_handle_t *h = r->retired;

        r->retired = h->next_ret;
        free(h);
    }
    return count;
}
