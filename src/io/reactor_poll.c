// Reactor backend for any POSIX system: poll(2) over an array.
//
// Run by one I/O thread. Slot i of the pollfd array belongs to handles[i],
// and interest changes write straight into that slot, so the array is
// always ready for the next poll. The reactor owns its handles (freed on
// removal, or after the dispatch loop when removed from a callback) and
// the two arrays, never the fds.

#include "io/reactor.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

// First allocation of the arrays; they double from there.
#define POLL_MIN_CAP 16

struct zmi_io_handle {
    int fd;             // the watched fd, -1 once removed
    short want;         // POLLIN/POLLOUT the owner asked for
    int idx;            // slot in the reactor's arrays
    zmi_io_events_t ev; // the owner's callbacks
    void *arg;          // their argument
};

struct zmi_reactor {
    struct pollfd *pfds;       // what poll() reads, slot i for handles[i]
    zmi_io_handle_t **handles; // watched handles, removed ones included
    int count;                 // slots in use
    int cap;                   // slots allocated in both arrays
    bool dispatching;          // inside zmi_reactor_wait's callbacks
    bool retired;              // some slots hold removed handles
};

zmi_reactor_t *
zmi_reactor_new(void)
{
    return calloc(1, sizeof(zmi_reactor_t));
}

void
zmi_reactor_destroy(zmi_reactor_t *r)
{
    if (r == NULL)
        return;
    free(r->pfds);
    free(r->handles);
    free(r);
}

const char *
zmi_reactor_backend(void)
{
    return "poll";
}

static int
poll_grow(zmi_reactor_t *r)
{
    int cap = r->cap ? r->cap : POLL_MIN_CAP / 2;
    struct pollfd *pfds;
    zmi_io_handle_t **handles;

    if (cap > INT_MAX / 2 || (size_t) cap * 2 > SIZE_MAX / sizeof(*pfds))
        return -ENOMEM;
    cap *= 2;
    pfds = realloc(r->pfds, (size_t) cap * sizeof(*pfds));
    if (pfds == NULL)
        return -ENOMEM;
    r->pfds = pfds;
    handles = realloc(r->handles, (size_t) cap * sizeof(*handles));
    if (handles == NULL)
        return -ENOMEM;
    r->handles = handles;
    r->cap = cap;
    return 0;
}

zmi_io_handle_t *
zmi_reactor_add(zmi_reactor_t *r, int fd, const zmi_io_events_t *ev, void *arg)
{
    zmi_io_handle_t *h;

    if (fd < 0 || (r->count == r->cap && poll_grow(r) != 0))
        return NULL;
    h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->fd = fd;
    h->idx = r->count++;
    h->ev = *ev;
    h->arg = arg;
    r->handles[h->idx] = h;
    // An empty interest set polls fd -1, which poll() skips: a negative fd
    // reports no errors or hang-ups, which would otherwise spin.
    r->pfds[h->idx] = (struct pollfd) { .fd = -1, .events = 0, .revents = 0 };
    return h;
}

// Frees the handle in slot i and moves the last slot into the hole.
static void
poll_drop_slot(zmi_reactor_t *r, int i)
{
    int last = --r->count;

    free(r->handles[i]);
    if (i != last) {
        r->handles[i] = r->handles[last];
        r->pfds[i] = r->pfds[last];
        r->handles[i]->idx = i;
    }
}

void
zmi_reactor_rm(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    if (r->dispatching) {
        // Slots must not move while the dispatch loop walks them: keep the
        // handle (fd == -1 makes the loop skip it) and compact afterwards.
        h->fd = -1;
        h->want = 0;
        r->pfds[h->idx].fd = -1;
        r->pfds[h->idx].events = 0;
        r->pfds[h->idx].revents = 0;
        r->retired = true;
    } else {
        poll_drop_slot(r, h->idx);
    }
}

static void
poll_set_want(zmi_reactor_t *r, zmi_io_handle_t *h, short want)
{
    struct pollfd *p = &r->pfds[h->idx];

    if (h->fd < 0)
        return;
    h->want = want;
    p->events = want;
    p->fd = want ? h->fd : -1;
}

void
zmi_reactor_set_pollin(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    poll_set_want(r, h, (short) (h->want | POLLIN));
}

void
zmi_reactor_reset_pollin(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    poll_set_want(r, h, (short) (h->want & ~POLLIN));
}

void
zmi_reactor_set_pollout(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    poll_set_want(r, h, (short) (h->want | POLLOUT));
}

void
zmi_reactor_reset_pollout(zmi_reactor_t *r, zmi_io_handle_t *h)
{
    poll_set_want(r, h, (short) (h->want & ~POLLOUT));
}

// Calls the owner of slot i for the directions it still wants. Errors,
// hang-ups and invalid fds count as both directions: the owner learns what
// happened by reading or writing. Returns the number of callbacks made.
static int
poll_dispatch(zmi_reactor_t *r, int i)
{
    zmi_io_handle_t *h = r->handles[i];
    short events = r->pfds[i].revents;
    int n = 0;

    // NB: re-read fd and want before each call: an earlier callback in
    // this batch may have removed h or changed its interest. A NULL
    // callback is never called.
    if (h->fd < 0 || events == 0)
        return 0;
    if (events & (POLLERR | POLLHUP | POLLNVAL))
        events |= POLLIN | POLLOUT;
    if ((events & POLLIN) && (h->want & POLLIN) && h->ev.in_event) {
        h->ev.in_event(h->arg);
        n++;
    }
    if (h->fd >= 0 && (events & POLLOUT) && (h->want & POLLOUT)
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
    int n = r->count;
    int rc = poll(r->pfds, (nfds_t) n, timeout_ms < 0 ? -1 : timeout_ms);

    if (rc < 0)
        return errno == EINTR ? 0 : -errno;
    // Handles added by callbacks land past n and wait for the next poll.
    r->dispatching = true;
    for (int i = 0; i < n && rc > 0; i++) {
        if (r->pfds[i].revents != 0) {
            rc--;
            count += poll_dispatch(r, i);
        }
    }
    r->dispatching = false;
    if (r->retired) {
        r->retired = false;
        for (int i = 0; i < r->count;) {
            if (r->handles[i]->fd < 0)
                poll_drop_slot(r, i);
            else
                i++;
        }
    }
    return count;
}
