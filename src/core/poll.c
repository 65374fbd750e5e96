// zmsg_poll: a socket's readiness is its pattern's has_in/has_out; to wait
// for a change the poller sleeps on the socket's mailbox fd, because every
// change (a pipe activated or attached) arrives there as a command. Plain
// fds are polled as they are.

#include "core/poll.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/socket.h"

// What poll(2) watches for one item: a socket's mailbox, or the fd.
static void
poll_item_setup(const zmsg_pollitem_t *it, struct pollfd *pfd)
{
    if (it->socket != NULL) {
        pfd->fd = zmi_mailbox_fd(&((zmi_socket_t *) it->socket)->mb);
        pfd->events = POLLIN;
    } else {
        pfd->fd = it->fd;
        pfd->events = (short) (((it->events & ZMSG_POLLIN) ? POLLIN : 0) |
                               ((it->events & ZMSG_POLLOUT) ? POLLOUT : 0) |
                               ((it->events & ZMSG_POLLPRI) ? POLLPRI : 0));
    }
    pfd->revents = 0;
}

// Current events of one item: for a socket, processes its commands first;
// for a plain fd, what the last poll(2) said.
static int
poll_item_events(zmsg_pollitem_t *it, const struct pollfd *pfd, int *err)
{
    short ev = 0;
    if (it->socket != NULL) {
        zmi_socket_t *s = it->socket;
        int events = 0;
        size_t len = sizeof(events);
        int rc = zmi_socket_getopt(s, ZMSG_EVENTS, &events, &len);
        if (rc != 0) {
            *err = rc;
            return 0;
        }
        if ((it->events & ZMSG_POLLIN) && (events & ZMSG_POLLIN))
            ev |= ZMSG_POLLIN;
        if ((it->events & ZMSG_POLLOUT) && (events & ZMSG_POLLOUT))
            ev |= ZMSG_POLLOUT;
    } else {
        if ((it->events & ZMSG_POLLIN) && (pfd->revents & POLLIN))
            ev |= ZMSG_POLLIN;
        if ((it->events & ZMSG_POLLOUT) && (pfd->revents & POLLOUT))
            ev |= ZMSG_POLLOUT;
        if ((it->events & ZMSG_POLLPRI) && (pfd->revents & POLLPRI))
            ev |= ZMSG_POLLPRI;
        // Like libzmq, anything else (POLLERR, POLLNVAL, and POLLHUP, which
        // poll(2) reports whatever was asked) is POLLERR: ignoring a hang-up
        // would make every later poll return at once and report nothing.
        if (pfd->revents & ~(POLLIN | POLLOUT | POLLPRI))
            ev |= ZMSG_POLLERR;
    }
    it->revents = ev;
    return ev != 0;
}

int
zmi_poll(zmsg_pollitem_t *items, int nitems, long timeout_ms)
{
    if (nitems < 0 || (nitems > 0 && items == NULL))
        return -EINVAL;
    bool has_fds = false;
    for (int i = 0; i < nitems; i++) {
        zmi_socket_t *s = items[i].socket;
        if (s != NULL && s->tag != ZMI_SOCKET_TAG)
            return -ENOTSOCK;
        if (s == NULL && items[i].fd < 0)
            return -EINVAL;
        has_fds |= s == NULL;
    }
    struct pollfd local[16];
    struct pollfd *pfds = local;
    if (nitems > 16) {
        pfds = calloc((size_t) nitems, sizeof(*pfds));
        if (pfds == NULL)
            return -ENOMEM;
    }
    for (int i = 0; i < nitems; i++)
        poll_item_setup(&items[i], &pfds[i]);
    int64_t deadline = timeout_ms > 0 ? zmi_clock_ms() + timeout_ms : -1;
    int ready = 0, err = 0;
    // NB: the first poll(2) does not wait: a plain fd's readiness is only
    // known after one, so it runs before the first look (whatever the
    // timeout, and even if a socket is ready already).
    int wait = 0;
    for (;;) {
        if (has_fds || wait != 0) {
            for (int i = 0; i < nitems; i++)
                pfds[i].revents = 0;
            if (poll(pfds, (nfds_t) nitems, wait) < 0) {
                err = -errno;
                break;
            }
        }
        ready = 0;
        for (int i = 0; i < nitems && err == 0; i++)
            ready += poll_item_events(&items[i], &pfds[i], &err);
        if (err != 0 || ready > 0 || timeout_ms == 0)
            break;
        wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - zmi_clock_ms();
            if (left <= 0)
                break;
            wait = left > INT_MAX ? INT_MAX : (int) left;
        }
        // A pattern's own timer (a REQ's resend) must fire while we wait:
        // wake for it, and the next look runs it.
        for (int i = 0; i < nitems; i++) {
            int t = items[i].socket != NULL
                        ? zmi_socket_timeout(items[i].socket)
                        : -1;
            if (t >= 0 && (wait < 0 || t < wait))
                wait = t;
        }
    }
    if (pfds != local)
        free(pfds);
    return err != 0 ? err : ready;
}
