// The listener of a bound tcp endpoint (see listener.h and transport.h).
//
// The fd is bound and listening before zmsg_bind returns; on the I/O thread
// the listener accepts every pending connection per readiness event and
// starts a session for each. When accept runs out of descriptors it pauses
// for a moment instead of spinning on a listen queue it can't drain.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE // accept4
#endif

#include "transport/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/socket.h"
#include "transport/ipc.h"
#include "transport/net.h"
#include "transport/transport.h"

#define LISTENER_EMFILE_PAUSE_MS 100

struct zmi_listener {
    zmi_io_object_t io;        // start/stop by command; must be first
    zmi_socket_t *socket;      // owner
    zmi_options_t opts;        // the socket's options at bind time
    int fd;                    // listening fd
    int family;                // AF_INET / AF_INET6
    zmi_io_handle_t *handle;   // fd in the reactor (after start)
    zmi_session_t *sessions;   // accepted sessions still alive
    zmi_timer_t resume_timer;  // accept paused after EMFILE
    zmi_sockaddr_t unix_addr;  // ipc: the path to remove when we stop
    bool stopped;              // IO_STOP done: waiting for sessions to end
    bool in_stop;              // inside listener_stop
};

static void listener_done(zmi_listener_t *l);

static void listener_start(zmi_io_object_t *o);
static void listener_stop(zmi_io_object_t *o, int linger);
static void listener_accept(void *arg);
static void listener_resume(zmi_timer_t *t);

static const zmi_io_events_t listener_events = { listener_accept, NULL };

// Removes the socket file of a unix address we bound (not abstract ones).
static void
listener_unlink(const zmi_sockaddr_t *addr)
{
    const char *path =
        addr->ss.ss_family == AF_UNIX ? zmi_ipc_path(addr) : NULL;
    if (path != NULL)
        unlink(path);
}

// A socket file nobody listens on (its process died) is stale: connecting
// to it is refused. Returns true if that is what path is.
static bool
listener_stale_ipc(const zmi_sockaddr_t *addr)
{
    // NB: connect(2) to a file that is not a socket is ECONNREFUSED too;
    // such a file is nobody's stale socket and must never be unlinked.
    struct stat st;
    if (lstat(zmi_ipc_path(addr), &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    int probe = zmi_net_socket(AF_UNIX, SOCK_STREAM);
    if (probe < 0)
        return false;
    // NB: a non-blocking connect to a unix socket completes or fails at
    // once; EAGAIN means someone listens with a full backlog.
    int rc = connect(probe, (const struct sockaddr *) &addr->ss, addr->len);
    int err = rc == 0 ? 0 : errno;
    close(probe);
    return rc != 0 && err == ECONNREFUSED;
}

// Binds and listens; for ipc, replaces a stale socket file first.
static int
listener_bind(int fd, const zmi_sockaddr_t *addr, int backlog)
{
    int family = addr->ss.ss_family;
    if (family != AF_UNIX) {
        int on = 1;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    }
    if (family == AF_INET6) {
        // Dual stack for "*" with IPV6, like libzmq.
        int off = 0;
        (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    }
    int rc = bind(fd, (const struct sockaddr *) &addr->ss, addr->len);
    if (rc != 0 && errno == EADDRINUSE && family == AF_UNIX &&
        zmi_ipc_path(addr) != NULL && listener_stale_ipc(addr)) {
        unlink(zmi_ipc_path(addr));
        rc = bind(fd, (const struct sockaddr *) &addr->ss, addr->len);
    }
    if (rc != 0)
        return -errno;
    if (listen(fd, backlog) != 0) {
        rc = -errno;
        listener_unlink(addr);
        return rc;
    }
    return 0;
}

int
zmi_listener_new(zmi_socket_t *s, const zmi_endpoint_t *ep,
                 zmi_io_object_t **out, char *last_endpoint,
                 size_t last_endpoint_size)
{
    zmi_sockaddr_t addr;
    int rc = zmi_net_resolve(ep, true, s->opts.ipv6, &addr);
    if (rc != 0)
        return rc;
    int fd = zmi_net_socket(addr.ss.ss_family, SOCK_STREAM);
    if (fd < 0)
        return fd;
    rc = listener_bind(fd, &addr, s->opts.backlog);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    zmi_sockaddr_t bound;
    bound.len = sizeof(bound.ss);
    if (getsockname(fd, (struct sockaddr *) &bound.ss, &bound.len) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    zmi_listener_t *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        close(fd);
        listener_unlink(&addr);
        return -ENOMEM;
    }
    zmi_net_format(&bound, last_endpoint, last_endpoint_size);
    if (addr.ss.ss_family == AF_UNIX)
        l->unix_addr = addr;
    l->io.thread = s->io;
    l->io.start = listener_start;
    l->io.stop = listener_stop;
    l->socket = s;
    l->opts = s->opts;
    l->fd = fd;
    l->family = bound.ss.ss_family;
    zmi_timer_init(&l->resume_timer, listener_resume, l);
    *out = &l->io;
    return 0;
}

static void
listener_start(zmi_io_object_t *o)
{
    zmi_listener_t *l = (zmi_listener_t *) o;
    l->handle = zmi_reactor_add(o->thread->reactor, l->fd, &listener_events, l);
    // NB: without a handle the listener accepts nothing but still stops
    // cleanly; bind already succeeded, so there is no caller to tell.
    if (l->handle != NULL)
        zmi_reactor_set_pollin(o->thread->reactor, l->handle);
}

static void
listener_resume(zmi_timer_t *t)
{
    zmi_listener_t *l = t->arg;
    zmi_reactor_set_pollin(l->io.thread->reactor, l->handle);
}

static void
listener_accept(void *arg)
{
    zmi_listener_t *l = arg;
    for (;;) {
#ifdef SOCK_NONBLOCK
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        int fd = accept(l->fd, NULL, NULL);
#endif
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                // Out of resources: wait a little rather than spin.
                zmi_reactor_reset_pollin(l->io.thread->reactor, l->handle);
                zmi_timers_add(&l->io.thread->timers, &l->resume_timer,
                               zmi_clock_ms() + LISTENER_EMFILE_PAUSE_MS);
            }
            return; // EAGAIN, or a connection that died in the queue
        }
#ifndef SOCK_NONBLOCK
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
        zmi_net_tune(fd, l->family, &l->opts);
        zmi_session_t *s =
            zmi_session_accepted(l->socket, &l->opts, l->io.thread, l, fd);
        if (s == NULL)
            continue;
        s->next = l->sessions;
        s->prev = NULL;
        if (l->sessions != NULL)
            l->sessions->prev = s;
        l->sessions = s;
    }
}

void
zmi_listener_forget(zmi_listener_t *l, zmi_session_t *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        l->sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    if (l->stopped && !l->in_stop && l->sessions == NULL)
        listener_done(l);
}

// The listener and every session it accepted are gone: only now may the
// socket (and so zmsg_ctx_term) stop waiting for us.
static void
listener_done(zmi_listener_t *l)
{
    zmi_cmd_t cmd = { .type = ZMI_CMD_IO_DONE, .target = l->socket };
    cmd.u.ptr = &l->io;
    zmi_mailbox_send(&l->socket->mb, &cmd);
    free(l);
}

static void
listener_stop(zmi_io_object_t *o, int linger)
{
    zmi_listener_t *l = (zmi_listener_t *) o;
    zmi_timers_cancel(&o->thread->timers, &l->resume_timer);
    if (l->handle != NULL)
        zmi_reactor_rm(o->thread->reactor, l->handle);
    // NB: unlink before close: once the fd is closed, a new bind may find
    // the file stale and replace it, and unlinking after that would remove
    // the new listener's file.
    listener_unlink(&l->unix_addr);
    close(l->fd);
    // Accepted sessions outlive the listener's fd to drain within their
    // linger; the socket waits for them through us (they are not counted
    // on their own), so we go only when the last one has.
    l->stopped = true;
    l->in_stop = true;
    zmi_session_t *s = l->sessions;
    while (s != NULL) {
        zmi_session_t *next = s->next;
        zmi_session_stop(s, linger); // may forget (and free) s at once
        s = next;
    }
    l->in_stop = false;
    if (l->sessions == NULL)
        listener_done(l);
}
