// Sessions (see session.h): the I/O-thread side of one peer.
//
// Connecting sessions own their pipe from zmsg_connect on, try to connect,
// back off between attempts (RECONNECT_IVL doubling up to
// RECONNECT_IVL_MAX) and keep the queue across reconnects. Accepted
// sessions create their pipe once the handshake says the peer is valid,
// and end with their connection. On stop, a session keeps sending what the
// socket queued for up to LINGER milliseconds, then ends.

#include "transport/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/socket.h"
#include "transport/engine.h"
#include "transport/listener.h"
#include "transport/net.h"
#include "transport/transport.h"

static void session_pipe_read_activated(void *owner, zmi_pipe_t *p);
static void session_pipe_write_activated(void *owner, zmi_pipe_t *p);
static void session_pipe_terminated(void *owner, zmi_pipe_t *p);
static void session_start(zmi_io_object_t *o);
static void session_stop_cmd(zmi_io_object_t *o, int linger);
static void session_reconnect_due(zmi_timer_t *t);
static void session_linger_expired(zmi_timer_t *t);
static void session_connect_event(void *arg);
static void session_connect_expired(zmi_timer_t *t);

static const zmi_pipe_events_t session_pipe_events = {
    .read_activated = session_pipe_read_activated,
    .write_activated = session_pipe_write_activated,
    .terminated = session_pipe_terminated,
};

static const zmi_io_events_t session_connect_events = {
    session_connect_event, session_connect_event
};

static zmi_session_t *
session_alloc(zmi_socket_t *socket, const zmi_options_t *opts,
              zmi_io_thread_t *io)
{
    zmi_session_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->io.thread = io;
    s->io.start = session_start;
    s->io.stop = session_stop_cmd;
    s->socket = socket;
    s->socket_mb = &socket->mb;
    s->opts = *opts;
    s->connect_fd = -1;
    s->reconnect_ivl = opts->reconnect_ivl;
    // A PUSH never reads what its peers send: drop it rather than let
    // it fill a queue nobody empties.
    s->in_drop = opts->type == ZMSG_PUSH;
    zmi_timer_init(&s->reconnect_timer, session_reconnect_due, s);
    zmi_timer_init(&s->linger_timer, session_linger_expired, s);
    zmi_timer_init(&s->connect_timer, session_connect_expired, s);
    return s;
}

int
zmi_session_connect_new(zmi_socket_t *socket, const zmi_endpoint_t *ep,
                        zmi_pipe_t *pipe, zmi_io_object_t **out)
{
    int rc = zmi_net_check(ep, false);
    if (rc != 0)
        return rc;
    zmi_session_t *s = session_alloc(socket, &socket->opts, socket->io);
    if (s == NULL)
        return -ENOMEM;
    s->address = strdup(ep->address);
    if (s->address == NULL) {
        free(s);
        return -ENOMEM;
    }
    s->transport = ep->transport;
    s->pipe = pipe;
    *out = &s->io;
    return 0;
}

zmi_session_t *
zmi_session_accepted(zmi_socket_t *socket, const zmi_options_t *opts,
                     zmi_io_thread_t *io, zmi_listener_t *listener, int fd)
{
    zmi_session_t *s = session_alloc(socket, opts, io);
    if (s == NULL) {
        close(fd);
        return NULL;
    }
    s->listener = listener;
    s->accepted = true;
    s->engine = zmi_engine_new(s, io, fd, &s->opts);
    if (s->engine == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

// Frees a session that has no engine, no pipe and no pending connect.
static void
session_destroy(zmi_session_t *s)
{
    zmi_timers_cancel(&s->io.thread->timers, &s->reconnect_timer);
    zmi_timers_cancel(&s->io.thread->timers, &s->linger_timer);
    zmi_timers_cancel(&s->io.thread->timers, &s->connect_timer);
    if (s->accepted) {
        if (s->listener != NULL)
            zmi_listener_forget(s->listener, s);
    } else {
        // Only connecting sessions were counted by the socket.
        zmi_cmd_t cmd = { .type = ZMI_CMD_IO_DONE, .target = s->socket };
        cmd.u.ptr = &s->io;
        zmi_mailbox_send(s->socket_mb, &cmd);
    }
    free(s->address);
    free(s);
}

static void
session_close_connect(zmi_session_t *s)
{
    zmi_timers_cancel(&s->io.thread->timers, &s->connect_timer);
    if (s->connect_fd >= 0) {
        zmi_reactor_rm(s->io.thread->reactor, s->connect_h);
        close(s->connect_fd);
        s->connect_fd = -1;
        s->connect_h = NULL;
    }
}

// Frees the session once nothing refers to it any more. NB: a connecting
// session also waits for its IO_STOP, which the socket sends in any case
// and which must not find freed memory.
static void
session_maybe_destroy(zmi_session_t *s)
{
    if (s->pipe == NULL && s->old_pipe == NULL && s->engine == NULL &&
        s->connect_fd < 0 && (s->accepted || s->stop_requested))
        session_destroy(s);
}

// Closes the connection and ends the pipe; the session is freed when the
// pipe's termination completes (possibly at once, inside this call).
static void
session_finish(zmi_session_t *s)
{
    s->finishing = true;
    s->stopping = true;
    session_close_connect(s);
    zmi_timers_cancel(&s->io.thread->timers, &s->reconnect_timer);
    zmi_timers_cancel(&s->io.thread->timers, &s->linger_timer);
    if (s->engine != NULL) {
        zmi_engine_destroy(s->engine);
        s->engine = NULL;
    }
    if (s->pipe != NULL) {
        zmi_pipe_rollback(s->pipe);
        zmi_pipe_terminate(s->pipe);
        return; // NB: s may be freed now
    }
    session_maybe_destroy(s);
}

// True when everything the socket queued before leaving is on the wire:
// its DELIM was read (pipe gone) and the engine wrote all it had.
static bool
session_sent_all(zmi_session_t *s)
{
    return s->pipe == NULL &&
           (s->engine == NULL || zmi_engine_drained(s->engine));
}

static void
session_linger_expired(zmi_timer_t *t)
{
    session_finish(t->arg);
}

void
zmi_session_stop(zmi_session_t *s, int linger)
{
    if (s->stop_requested)
        return;
    s->stop_requested = true;
    s->stopping = true;
    if (s->finishing) {
        session_maybe_destroy(s);
        return;
    }
    // Only what a closing socket queued is worth lingering for: with the
    // socket still open (unbind, disconnect) or no pipe yet (a peer still
    // in its handshake) there is nothing to drain.
    bool draining =
        (s->pipe != NULL && s->pipe->state == ZMI_PIPE_PEER_TERMINATED) ||
        (s->pipe == NULL && s->socket_left && !session_sent_all(s));
    if (linger == 0 || !draining) {
        session_finish(s);
        return;
    }
    if (linger > 0)
        zmi_timers_add(&s->io.thread->timers, &s->linger_timer,
                       zmi_clock_ms() + linger);
}

static void
session_stop_cmd(zmi_io_object_t *o, int linger)
{
    zmi_session_stop((zmi_session_t *) o, linger);
}

// --- connecting -------------------------------------------------------

static void
session_schedule_reconnect(zmi_session_t *s)
{
    if (s->opts.reconnect_ivl < 0 || (s->stopping && s->pipe == NULL)) {
        session_finish(s);
        return;
    }
    int ivl = s->reconnect_ivl > 0 ? s->reconnect_ivl : 1;
    // Jitter spreads reconnect storms after a server restart.
    int jitter = ivl > 10 ? rand() % (ivl / 10 + 1) : 0;
    zmi_timers_add(&s->io.thread->timers, &s->reconnect_timer,
                   zmi_clock_ms() + ivl + jitter);
    if (s->opts.reconnect_ivl_max > s->opts.reconnect_ivl) {
        int next = s->reconnect_ivl * 2;
        s->reconnect_ivl = next > s->opts.reconnect_ivl_max ||
                                   next < s->reconnect_ivl
                               ? s->opts.reconnect_ivl_max
                               : next;
    }
}

static void
session_start_engine(zmi_session_t *s, int fd, int family)
{
    zmi_net_tune(fd, family, &s->opts);
    s->engine = zmi_engine_new(s, s->io.thread, fd, &s->opts);
    if (s->engine == NULL)
        session_schedule_reconnect(s);
}

static void
session_connect(zmi_session_t *s)
{
    zmi_sockaddr_t addr;
    zmi_endpoint_t ep = { s->transport, s->address };
    if (zmi_net_resolve(&ep, false, s->opts.ipv6, &addr) != 0) {
        session_schedule_reconnect(s);
        return;
    }
    int family = addr.ss.ss_family;
    int fd = zmi_net_socket(family, SOCK_STREAM);
    if (fd < 0) {
        session_schedule_reconnect(s);
        return;
    }
    if (connect(fd, (struct sockaddr *) &addr.ss, addr.len) == 0) {
        session_start_engine(s, fd, family);
        return;
    }
    if (errno != EINPROGRESS) {
        close(fd);
        session_schedule_reconnect(s);
        return;
    }
    s->connect_fd = fd;
    s->connect_h = zmi_reactor_add(s->io.thread->reactor, fd,
                                   &session_connect_events, s);
    if (s->connect_h == NULL) {
        close(fd);
        s->connect_fd = -1;
        session_schedule_reconnect(s);
        return;
    }
    zmi_reactor_set_pollout(s->io.thread->reactor, s->connect_h);
    if (s->opts.connect_timeout > 0)
        zmi_timers_add(&s->io.thread->timers, &s->connect_timer,
                       zmi_clock_ms() + s->opts.connect_timeout);
}

// CONNECT_TIMEOUT: an attempt that neither completed nor failed in time
// (a peer whose SYNs vanish) is abandoned for a fresh one after the
// reconnect interval, instead of waiting out the kernel's retries.
static void
session_connect_expired(zmi_timer_t *t)
{
    zmi_session_t *s = t->arg;
    if (s->connect_fd < 0)
        return;
    session_close_connect(s);
    session_schedule_reconnect(s);
}

static void
session_connect_event(void *arg)
{
    zmi_session_t *s = arg;
    int fd = s->connect_fd;
    int rc = zmi_net_connect_result(fd);
    zmi_timers_cancel(&s->io.thread->timers, &s->connect_timer);
    zmi_reactor_rm(s->io.thread->reactor, s->connect_h);
    s->connect_h = NULL;
    s->connect_fd = -1;
    if (rc != 0) {
        close(fd);
        session_schedule_reconnect(s);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int family = getsockname(fd, (struct sockaddr *) &ss, &len) == 0
                     ? ss.ss_family
                     : AF_INET;
    session_start_engine(s, fd, family);
}

static void
session_reconnect_due(zmi_timer_t *t)
{
    zmi_session_t *s = t->arg;
    if (s->engine == NULL && s->connect_fd < 0)
        session_connect(s);
}

static void
session_start(zmi_io_object_t *o)
{
    zmi_session_t *s = (zmi_session_t *) o;
    if (s->stopping)
        return;
    // NB: with IMMEDIATE there is no queue until a handshake completes.
    if (s->pipe != NULL)
        zmi_pipe_set_owner(s->pipe, &session_pipe_events, s);
    session_connect(s);
}

// --- engine callbacks --------------------------------------------------

void
zmi_session_engine_ready(zmi_session_t *s)
{
    // A good handshake resets the backoff.
    s->reconnect_ivl = s->opts.reconnect_ivl;
    if (s->pipe != NULL || s->stopping)
        return;
    // Accepted, or connected with IMMEDIATE: the queue starts to exist
    // now that the peer is known.
    zmi_pipe_t *mine, *theirs;
    if (zmi_pipe_pair_new(&mine, &theirs, s->opts.rcvhwm, s->opts.sndhwm,
                          &s->io.thread->mb, s->socket_mb) != 0) {
        session_finish(s);
        return;
    }
    zmi_socket_conflate_pipe(&s->opts, theirs);
    zmi_pipe_set_owner(mine, &session_pipe_events, s);
    s->pipe = mine;
    zmi_cmd_t cmd = { .type = ZMI_CMD_ATTACH_PIPE, .target = s->socket };
    cmd.u.ptr = theirs;
    zmi_mailbox_send(s->socket_mb, &cmd);
}

bool
zmi_session_push(zmi_session_t *s, zmi_msg_t *msg)
{
    if (s->in_drop || s->pipe == NULL) {
        zmi_msg_close(msg);
        return true;
    }
    if (!s->pipe->in_message && !zmi_pipe_check_write(s->pipe)) {
        if (s->pipe->state != ZMI_PIPE_ACTIVE) {
            zmi_msg_close(msg); // the socket is leaving: nobody will read
            return true;
        }
        return false;
    }
    zmi_pipe_write(s->pipe, msg);
    return true;
}

void
zmi_session_flush(zmi_session_t *s)
{
    if (s->pipe != NULL)
        zmi_pipe_flush(s->pipe);
}

bool
zmi_session_pull(zmi_session_t *s, zmi_msg_t *msg)
{
    if (s->pipe == NULL)
        return false;
    while (zmi_pipe_read(s->pipe, msg)) {
        bool more = zmi_msg_more(msg);
        if (!s->drop_rest) {
            s->out_more = more;
            return true;
        }
        // The connection that carried this message's first parts died.
        s->drop_rest = more;
        zmi_msg_close(msg);
    }
    return false;
}

void
zmi_session_engine_drained(zmi_session_t *s)
{
    if (s->stop_requested && !s->finishing && session_sent_all(s))
        session_finish(s);
}

void
zmi_session_engine_error(zmi_session_t *s, int err)
{
    (void) err;
    zmi_engine_destroy(s->engine);
    s->engine = NULL;
    if (s->pipe != NULL) {
        // A message half received from the dead connection never arrives,
        // while whole ones the engine had not flushed yet do.
        zmi_pipe_rollback(s->pipe);
        zmi_pipe_flush(s->pipe);
        // and the rest of a half-sent one can't go on another connection.
        s->drop_rest = s->out_more;
        s->out_more = false;
        // What the socket sent on that connection may be lost: a REQ
        // waiting for a reply wants to know.
        if (!s->accepted && !s->opts.immediate)
            zmi_pipe_hiccup(s->pipe);
        // IMMEDIATE: no queue for a peer that is not there; the socket
        // sees the pipe go and routes to its other peers meanwhile.
        if (!s->accepted && s->opts.immediate && !s->stopping) {
            s->old_pipe = s->pipe;
            s->pipe = NULL;
            s->drop_rest = false;
            zmi_pipe_terminate(s->old_pipe);
        }
    }
    if (s->accepted || (s->stop_requested && s->pipe == NULL)) {
        session_finish(s);
        return;
    }
    session_schedule_reconnect(s);
}

// --- pipe callbacks ----------------------------------------------------

static void
session_pipe_read_activated(void *owner, zmi_pipe_t *p)
{
    zmi_session_t *s = owner;
    (void) p;
    if (s->engine != NULL)
        zmi_engine_restart_output(s->engine);
}

static void
session_pipe_write_activated(void *owner, zmi_pipe_t *p)
{
    zmi_session_t *s = owner;
    (void) p;
    if (s->engine != NULL)
        zmi_engine_restart_input(s->engine);
}

static void
session_pipe_terminated(void *owner, zmi_pipe_t *p)
{
    zmi_session_t *s = owner;
    if (p == s->old_pipe) {
        s->old_pipe = NULL;
        zmi_pipe_release(p);
        if (s->finishing)
            session_maybe_destroy(s);
        return;
    }
    zmi_pipe_release(p);
    s->pipe = NULL;
    if (s->finishing) {
        session_maybe_destroy(s);
        return;
    }
    // The socket left and we read all it queued: once that is written and
    // the stop has come, we are done.
    s->stopping = true;
    s->socket_left = true;
    if (s->stop_requested && session_sent_all(s))
        session_finish(s);
}
