// zmsg_poll: a socket's readiness is its pattern's has_in/has_out; to wait
// for a change the poller sleeps on the socket's mailbox fd, because every
// change (a pipe activated or attached) arrives there as a command. Plain
// fds are polled as they are.

#include "core/poll.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/socket.h"

// Current events of one item; for a socket, processes its commands first.
static int
poll_item_events(zmsg_pollitem_t *it, struct pollfd *pfd, int *err)
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
        pfd->fd = zmi_mailbox_fd(&s->mb);
        pfd->events = POLLIN;
    } else {
        if ((it->events & ZMSG_POLLIN) && (pfd->revents & POLLIN))
            ev |= ZMSG_POLLIN;
        if ((it->events & ZMSG_POLLOUT) && (pfd->revents & POLLOUT))
            ev |= ZMSG_POLLOUT;
        if ((it->events & ZMSG_POLLPRI) && (pfd->revents & POLLPRI))
            ev |= ZMSG_POLLPRI;
        if (pfd->revents & (POLLERR | POLLNVAL))
            ev |= ZMSG_POLLERR;
        pfd->fd = it->fd;
        pfd->events = (short) (((it->events & ZMSG_POLLIN) ? POLLIN : 0) |
                               ((it->events & ZMSG_POLLOUT) ? POLLOUT : 0) |
                               ((it->events & ZMSG_POLLPRI) ? POLLPRI : 0));
    }
    it->revents = ev;
    return ev != 0;
}

int
zmi_poll(zmsg_pollitem_t *items, int nitems, long timeout_ms)
{
    if (nitems < 0 || (nitems > 0 && items == NULL))
        return -EINVAL;
    for (int i = 0; i < nitems; i++) {
        zmi_socket_t *s = items[i].socket;
        if (s != NULL && s->tag != ZMI_SOCKET_TAG)
            return -ENOTSOCK;
        if (s == NULL && items[i].fd < 0)
            return -EINVAL;
    }
    struct pollfd local[16];
    struct pollfd *pfds = local;
    if (nitems > 16) {
        pfds = calloc((size_t) nitems, sizeof(*pfds));
        if (pfds == NULL)
            return -ENOMEM;
    }
    for (int i = 0; i < nitems; i++)
        pfds[i].revents = 0;
    int64_t deadline = timeout_ms > 0 ? zmi_clock_ms() + timeout_ms : -1;
    int ready = 0, err = 0;
    for (;;) {
        ready = 0;
        for (int i = 0; i < nitems && err == 0; i++)
            ready += poll_item_events(&items[i], &pfds[i], &err);
        if (err != 0 || ready > 0 || timeout_ms == 0)
            break;
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - zmi_clock_ms();
            if (left <= 0)
                break;
            wait = (int) left;
        }
        for (int i = 0; i < nitems; i++)
            pfds[i].revents = 0;
        int rc = poll(pfds, (nfds_t) nitems, wait);
        if (rc < 0) {
            err = errno == EINTR ? -EINTR : -errno;
            break;
        }
        if (rc == 0 && deadline >= 0 && zmi_clock_ms() >= deadline) {
            // Final look so that fds that became ready count.
            ready = 0;
            for (int i = 0; i < nitems && err == 0; i++)
                ready += poll_item_events(&items[i], &pfds[i], &err);
            break;
        }
    }
    if (pfds != local)
        free(pfds);
    return err != 0 ? err : ready;
}
