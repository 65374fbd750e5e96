// The generic socket (see socket.h): everything a pattern does not decide.
//
// Runs on the caller's thread; after close, on the reaper. Waiting happens
// only here: a pattern says -EAGAIN, the socket waits on its mailbox for
// the command that may change that (a pipe activated or attached), within
// the timeout, and asks again.

#include "core/socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/copy_cold.h"
#include "core/ctx.h"
#include "core/endpoint.h"
#include "core/err.h"
#include "transport/inproc.h"
#include "transport/transport.h"

static void socket_pipe_read_activated(void *owner, zmi_pipe_t *p);
static void socket_pipe_write_activated(void *owner, zmi_pipe_t *p);
static void socket_pipe_terminated(void *owner, zmi_pipe_t *p);
static void socket_pipe_hiccuped(void *owner, zmi_pipe_t *p);
static void socket_remove_ep(zmi_socket_t *s, int i);

static const zmi_pipe_events_t socket_pipe_events = {
    .read_activated = socket_pipe_read_activated,
    .write_activated = socket_pipe_write_activated,
    .terminated = socket_pipe_terminated,
    .hiccuped = socket_pipe_hiccuped,
};

static const zmi_pattern_ops_t *
socket_pattern(int type)
{
    switch (type) {
    case ZMSG_PUSH:
        return &zmi_push_ops;
    case ZMSG_PULL:
        return &zmi_pull_ops;
    case ZMSG_REQ:
        return &zmi_req_ops;
    case ZMSG_REP:
        return &zmi_rep_ops;
    case ZMSG_PUB:
        return &zmi_pub_ops;
    case ZMSG_SUB:
        return &zmi_sub_ops;
    default:
        return NULL;
    }
}

int
zmi_socket_new(zmi_ctx_t *ctx, int type, zmi_io_thread_t *io,
               zmi_socket_t **out)
{
    const zmi_pattern_ops_t *ops = socket_pattern(type);
    if (ops == NULL)
        return -EINVAL;
    zmi_socket_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->pstate = calloc(1, ops->state_size);
    if (s->pstate == NULL) {
        free(s);
        return -ENOMEM;
    }
    int rc = zmi_mailbox_init(&s->mb);
    if (rc != 0) {
        free(s->pstate);
        free(s);
        return rc;
    }
    s->ctx = ctx;
    s->io = io;
    s->ops = ops;
    zmi_options_init(&s->opts, type);
    rc = ops->init(s->pstate, s);
    if (rc != 0) {
        zmi_mailbox_fini(&s->mb);
        free(s->pstate);
        free(s);
        return rc;
    }
    s->tag = ZMI_SOCKET_TAG;
    *out = s;
    return 0;
}

// Handles every queued command; waits up to timeout_ms for the first.
// Returns 0, -EAGAIN (nothing arrived), -EINTR or -ZMSG_ETERM.
static int
socket_process_commands(zmi_socket_t *s, int timeout_ms)
{
    zmi_cmd_t cmd;
    int rc = zmi_mailbox_recv(&s->mb, &cmd, timeout_ms);
    while (rc == 0) {
        zmi_cmd_dispatch(&cmd);
        rc = zmi_mailbox_recv(&s->mb, &cmd, 0);
    }
    if (s->ctx_terminated)
        return -ZMSG_ETERM;
    return rc == -EAGAIN ? (timeout_ms == 0 ? 0 : -EAGAIN) : rc;
}

// Processes pending commands without waiting and says whether the context
// is shutting down (-ZMSG_ETERM), as every socket call must first.
static int
socket_check_term(zmi_socket_t *s)
{
    if (zmi_mailbox_has_pending(&s->mb)) {
        int rc = socket_process_commands(s, 0);
        if (rc != 0)
            return rc;
    }
    return s->ctx_terminated ? -ZMSG_ETERM : 0;
}

// How long to wait for a command: until the caller's deadline (-1:
// none), or sooner if the pattern has a timer of its own (a resend).
static int
socket_remaining(zmi_socket_t *s, int64_t deadline)
{
    int wait = -1;
    if (deadline >= 0) {
        int64_t left = deadline - zmi_clock_ms();
        wait = left > 0 ? (int) left : 0;
    }
    if (s->ops->timeout != NULL) {
        int t = s->ops->timeout(s->pstate);
        if (t >= 0 && (wait < 0 || t < wait))
            wait = t;
    }
    return wait;
}

int
zmi_socket_timeout(zmi_socket_t *s)
{
    return s->ops->timeout != NULL ? s->ops->timeout(s->pstate) : -1;
}

int
zmi_socket_send(zmi_socket_t *s, zmi_msg_t *msg, int flags)
{
    if (s->ops->send == NULL)
        return -ENOTSUP;
    int rc = socket_check_term(s);
    if (rc != 0)
        return rc;
    zmi_msg_set_more(msg, (flags & ZMSG_SNDMORE) != 0);
    rc = s->ops->send(s->pstate, msg);
    if (rc != -EAGAIN)
        return rc;
    zmi_copy_cold_note_full(s->opts.sndhwm);
    if ((flags & ZMSG_DONTWAIT) || s->opts.sndtimeo == 0)
        return -EAGAIN;
    int64_t deadline =
        s->opts.sndtimeo > 0 ? zmi_clock_ms() + s->opts.sndtimeo : -1;
    for (;;) {
        rc = socket_process_commands(s, socket_remaining(s, deadline));
        if (rc != 0 && rc != -EAGAIN)
            return rc;
        rc = s->ops->send(s->pstate, msg);
        if (rc != -EAGAIN)
            return rc;
        if (deadline >= 0 && zmi_clock_ms() >= deadline)
            return -EAGAIN;
    }
}

int
zmi_socket_recv(zmi_socket_t *s, zmi_msg_t *msg, int flags)
{
    if (s->ops->recv == NULL)
        return -ENOTSUP;
    int rc = socket_check_term(s);
    if (rc != 0)
        return rc;
    zmi_msg_t part;
    rc = s->ops->recv(s->pstate, &part);
    if (rc == -EAGAIN && !(flags & ZMSG_DONTWAIT) && s->opts.rcvtimeo != 0) {
        int64_t deadline =
            s->opts.rcvtimeo > 0 ? zmi_clock_ms() + s->opts.rcvtimeo : -1;
        for (;;) {
            rc = socket_process_commands(s, socket_remaining(s, deadline));
            if (rc != 0 && rc != -EAGAIN)
                return rc;
            rc = s->ops->recv(s->pstate, &part);
            if (rc != -EAGAIN || (deadline >= 0 && zmi_clock_ms() >= deadline))
                break;
        }
    }
    if (rc != 0)
        return rc;
    zmi_msg_move(msg, &part);
    s->rcvmore = zmi_msg_more(msg);
    return 0;
}

static int
socket_add_pipe(zmi_socket_t *s, zmi_pipe_t *p)
{
    if (s->npipes == s->cappipes) {
        int cap = s->cappipes ? s->cappipes * 2 : 8;
        zmi_pipe_t **a = realloc(s->pipes, (size_t) cap * sizeof(*a));
        if (a == NULL)
            return -ENOMEM;
        s->pipes = a;
        s->cappipes = cap;
    }
    s->pipes[s->npipes++] = p;
    return 0;
}

void
zmi_socket_attach_pipe(zmi_socket_t *s, zmi_pipe_t *p)
{
    zmi_pipe_set_owner(p, &socket_pipe_events, s);
    // NB: if the pipe can't be tracked, end it: the peer sees a normal
    // termination and the socket stays consistent.
    if (socket_add_pipe(s, p) != 0) {
        p->data = NULL;
        zmi_pipe_terminate(p);
        return;
    }
    p->data = s;
    if (s->closing) {
        zmi_pipe_terminate(p);
        return;
    }
    s->ops->attach(s->pstate, p);
}

void
zmi_socket_conflate_pipe(const zmi_options_t *o, zmi_pipe_t *own_end)
{
    if (!o->conflate)
        return;
    switch (o->type) {
    case ZMSG_PULL:
    case ZMSG_SUB:
        zmi_pipe_conflate_in(own_end);
        break;
    case ZMSG_PUSH:
    case ZMSG_PUB:
        zmi_pipe_conflate_in(own_end->peer);
        break;
    default:
        break; // REQ/REP: CONFLATE does not apply
    }
}

static bool
socket_reaped_check(zmi_socket_t *s)
{
    return s->closing && s->npipes == 0 && s->live_io == 0;
}

static void
socket_destroy(zmi_socket_t *s)
{
    s->ops->fini(s->pstate);
    free(s->pstate);
    s->pstate = NULL;
    free(s->pipes);
    s->pipes = NULL;
    for (int i = 0; i < s->neps; i++) {
        free(s->eps[i].addr);
        free(s->eps[i].resolved);
    }
    free(s->eps);
    s->eps = NULL;
    zmi_mailbox_fini(&s->mb);
    zmi_ctx_socket_reaped(s->ctx, s);
}

static void
socket_maybe_reaped(zmi_socket_t *s)
{
    if (!socket_reaped_check(s) || s->reaper == NULL)
        return;
    zmi_reactor_rm(s->reaper->reactor, s->reaper_handle);
    s->reaper_handle = NULL;
    socket_destroy(s);
}

static void
socket_pipe_read_activated(void *owner, zmi_pipe_t *p)
{
    zmi_socket_t *s = owner;
    if (p->data != NULL && !s->closing)
        s->ops->read_activated(s->pstate, p);
}

static void
socket_pipe_write_activated(void *owner, zmi_pipe_t *p)
{
    zmi_socket_t *s = owner;
    if (p->data != NULL && !s->closing)
        s->ops->write_activated(s->pstate, p);
}

static void
socket_pipe_hiccuped(void *owner, zmi_pipe_t *p)
{
    zmi_socket_t *s = owner;
    s->hiccups++;
    if (p->data != NULL && !s->closing && s->ops->hiccuped != NULL)
        s->ops->hiccuped(s->pstate, p);
}

static void
socket_pipe_terminated(void *owner, zmi_pipe_t *p)
{
    zmi_socket_t *s = owner;
    for (int i = 0; i < s->neps; i++) {
        if (s->eps[i].pipe == p) {
            socket_remove_ep(s, i); // an inproc connect whose pipe ended
            break;
        }
    }
    if (p->data != NULL) {
        s->ops->detach(s->pstate, p);
        for (int i = 0; i < s->npipes; i++) {
            if (s->pipes[i] == p) {
                s->pipes[i] = s->pipes[--s->npipes];
                break;
            }
        }
    }
    zmi_pipe_release(p);
    socket_maybe_reaped(s);
}

static void
socket_remove_ep(zmi_socket_t *s, int i)
{
    free(s->eps[i].addr);
    free(s->eps[i].resolved);
    s->eps[i] = s->eps[--s->neps];
}

void
zmi_socket_process(zmi_cmd_t *cmd)
{
    zmi_socket_t *s = cmd->target;
    switch (cmd->type) {
    case ZMI_CMD_ATTACH_PIPE:
        zmi_socket_attach_pipe(s, cmd->u.ptr);
        break;
    case ZMI_CMD_IO_DONE:
        s->live_io--;
        for (int i = 0; i < s->neps; i++) {
            if (s->eps[i].obj == cmd->u.ptr) {
                socket_remove_ep(s, i);
                break;
            }
        }
        socket_maybe_reaped(s);
        break;
    case ZMI_CMD_SOCKET_STOP:
        s->ctx_terminated = true;
        break;
    default:
        ZMI_ASSERT(!"not a socket command");
    }
}

void
zmi_socket_io_created(zmi_socket_t *s)
{
    s->live_io++;
}

// Makes room for one more endpoint record and copies its name, before
// any I/O object exists, so that recording it later can't fail.
static int
socket_reserve_ep(zmi_socket_t *s, const char *addr, char **copy)
{
    if (s->neps == s->capeps) {
        int cap = s->capeps ? s->capeps * 2 : 4;
        zmi_endpoint_rec_t *a = realloc(s->eps, (size_t) cap * sizeof(*a));
        if (a == NULL)
            return -ENOMEM;
        s->eps = a;
        s->capeps = cap;
    }
    *copy = strdup(addr);
    return *copy == NULL ? -ENOMEM : 0;
}

// Records a started I/O object (it reports IO_DONE when it goes).
static void
socket_add_ep(zmi_socket_t *s, char *addr, zmi_io_object_t *obj, bool bound)
{
    s->eps[s->neps++] = (zmi_endpoint_rec_t) { addr, NULL, obj, NULL, bound };
    s->live_io++;
    zmi_io_object_send_start(obj);
}

// What bind and connect do first: the context's state, then the syntax.
static int
socket_parse_ep(zmi_socket_t *s, const char *endpoint, zmi_endpoint_t *ep)
{
    int rc = socket_check_term(s);
    return rc != 0 ? rc : zmi_endpoint_parse(endpoint, ep);
}

int
zmi_socket_bind(zmi_socket_t *s, const char *endpoint)
{
    zmi_endpoint_t ep;
    int rc = socket_parse_ep(s, endpoint, &ep);
    if (rc != 0)
        return rc;
    if (ep.transport == ZMI_TRANSPORT_INPROC) {
        rc = zmi_inproc_bind(s, ep.address);
        if (rc == 0)
            snprintf(s->opts.last_endpoint, sizeof(s->opts.last_endpoint),
                     "%s", endpoint);
        return rc;
    }
    char *name;
    rc = socket_reserve_ep(s, endpoint, &name);
    if (rc != 0)
        return rc;
    zmi_io_object_t *obj;
    char last[ZMI_ENDPOINT_MAX];
    rc = zmi_listener_new(s, &ep, &obj, last, sizeof(last));
    if (rc != 0) {
        free(name);
        return rc;
    }
    memcpy(s->opts.last_endpoint, last, sizeof(last));
    socket_add_ep(s, name, obj, true);
    // NB: unbind takes the endpoint as given or as ZMSG_LAST_ENDPOINT
    // reports it (an ephemeral port or ipc://* filled in). Without memory
    // for the second form, only the first works.
    if (strcmp(name, last) != 0)
        s->eps[s->neps - 1].resolved = strdup(last);
    return 0;
}

int
zmi_socket_connect(zmi_socket_t *s, const char *endpoint)
{
    zmi_endpoint_t ep;
    int rc = socket_parse_ep(s, endpoint, &ep);
    if (rc != 0)
        return rc;
    char *name;
    rc = socket_reserve_ep(s, endpoint, &name);
    if (rc != 0)
        return rc;
    if (ep.transport == ZMI_TRANSPORT_INPROC) {
        zmi_pipe_t *mine;
        rc = zmi_inproc_connect(s, ep.address, &mine);
        if (rc != 0) {
            free(name);
            return rc;
        }
        // Kept for zmsg_disconnect; no I/O object to wait for.
        s->eps[s->neps++] =
            (zmi_endpoint_rec_t) { name, NULL, NULL, mine, false };
        snprintf(s->opts.last_endpoint, sizeof(s->opts.last_endpoint), "%s",
                 endpoint);
        return 0;
    }
    // The queue exists from now on, connected or not (RFC 30), unless
    // IMMEDIATE asks for queues to completed connections only: then the
    // session makes one after each handshake.
    zmi_pipe_t *mine = NULL, *theirs = NULL;
    if (!s->opts.immediate) {
        rc = zmi_pipe_pair_new(&mine, &theirs, s->opts.sndhwm, s->opts.rcvhwm,
                               &s->mb, &s->io->mb);
        if (rc != 0) {
            free(name);
            return rc;
        }
    }
    zmi_io_object_t *obj;
    rc = zmi_session_connect_new(s, &ep, theirs, &obj);
    if (rc != 0) {
        if (mine != NULL) {
            zmi_pipe_release(mine);
            zmi_pipe_release(theirs);
        }
        free(name);
        return rc;
    }
    if (mine != NULL) {
        zmi_socket_conflate_pipe(&s->opts, mine);
        zmi_socket_attach_pipe(s, mine);
    }
    socket_add_ep(s, name, obj, false);
    snprintf(s->opts.last_endpoint, sizeof(s->opts.last_endpoint), "%s",
             endpoint);
    return 0;
}

static int
socket_end_ep(zmi_socket_t *s, const char *endpoint, bool bound)
{
    int rc = socket_check_term(s);
    if (rc != 0)
        return rc;
    for (int i = 0; i < s->neps; i++) {
        const zmi_endpoint_rec_t *r = &s->eps[i];
        if (r->bound == bound &&
            (strcmp(r->addr, endpoint) == 0 ||
             (r->resolved != NULL && strcmp(r->resolved, endpoint) == 0))) {
            zmi_pipe_t *pipe = r->pipe;
            s->eps[i].pipe = NULL; // NB: its end may finish right away
            if (r->obj != NULL)
                zmi_io_object_send_stop(r->obj, s->opts.linger);
            else if (pipe != NULL)
                zmi_inproc_disconnect(s, pipe);
            // The record goes now; IO_DONE finds nothing to remove.
            socket_remove_ep(s, i);
            return 0;
        }
    }
    return -ENOENT;
}

int
zmi_socket_unbind(zmi_socket_t *s, const char *endpoint)
{
    if (strncmp(endpoint, "inproc://", 9) == 0) {
        int rc = socket_check_term(s);
        return rc != 0 ? rc : zmi_inproc_unbind(s, endpoint + 9);
    }
    return socket_end_ep(s, endpoint, true);
}

int
zmi_socket_disconnect(zmi_socket_t *s, const char *endpoint)
{
    return socket_end_ep(s, endpoint, false);
}

// Options that belong to one socket type: elsewhere they are unknown
// (EINVAL), as libzmq has them.
static bool
socket_option_applies(const zmi_socket_t *s, int option)
{
    switch (option) {
    case ZMSG_REQ_CORRELATE:
    case ZMSG_REQ_RELAXED:
    case ZMSG_REQ_RESEND_IVL:
        return s->opts.type == ZMSG_REQ;
    default:
        return true;
    }
}

int
zmi_socket_setopt(zmi_socket_t *s, int option, const void *val, size_t len)
{
    if (!socket_option_applies(s, option))
        return -EINVAL;
    if (s->ops->setopt != NULL) {
        int rc = s->ops->setopt(s->pstate, option, val, len);
        if (rc != -ENOTSUP)
            return rc;
    }
    return zmi_options_set(&s->opts, option, val, len);
}

static int
socket_get_int(int v, void *val, size_t *len)
{
    if (*len < sizeof(int) || val == NULL)
        return -EINVAL;
    memcpy(val, &v, sizeof(v));
    *len = sizeof(v);
    return 0;
}

int
zmi_socket_getopt(zmi_socket_t *s, int option, void *val, size_t *len)
{
    if (len == NULL || !socket_option_applies(s, option))
        return -EINVAL;
    switch (option) {
    case ZMSG_RCVMORE:
        return socket_get_int(s->rcvmore ? 1 : 0, val, len);
    case ZMSG_EVENTS: {
        // ETERM every time once the context is shutting down, so that a
        // poll loop never mistakes a dead socket for a quiet one.
        int rc = socket_check_term(s);
        if (rc != 0)
            return rc;
        int ev = (s->ops->has_in(s->pstate) ? ZMSG_POLLIN : 0) |
                 (s->ops->has_out(s->pstate) ? ZMSG_POLLOUT : 0);
        return socket_get_int(ev, val, len);
    }
    case ZMSG_FD:
        return socket_get_int(zmi_mailbox_fd(&s->mb), val, len);
    case ZMSG_DROPPED: {
        if (*len < sizeof(uint64_t) || val == NULL)
            return -EINVAL;
        memcpy(val, &s->dropped, sizeof(s->dropped));
        *len = sizeof(s->dropped);
        return 0;
    }
    default:
        return zmi_options_get(&s->opts, option, val, len);
    }
}

void
zmi_socket_close(zmi_socket_t *s, zmi_io_thread_t *reaper)
{
    s->tag = ZMI_SOCKET_TAG_DEAD;
    s->closing = true;
    zmi_inproc_socket_closing(s);
    // Pipes first: each session then sees our TERM before its IO_STOP and
    // knows it has a queue to drain within the linger. Walk backwards: a
    // pipe whose peer already left finishes at once and is swapped out.
    for (int i = s->npipes - 1; i >= 0; i--)
        if (i < s->npipes)
            zmi_pipe_terminate(s->pipes[i]);
    for (int i = 0; i < s->neps; i++)
        if (s->eps[i].obj != NULL)
            zmi_io_object_send_stop(s->eps[i].obj, s->opts.linger);
    zmi_cmd_t cmd = { .type = ZMI_CMD_REAP, .target = reaper };
    cmd.u.ptr = s;
    zmi_io_thread_send(reaper, &cmd);
}

static void
socket_reaper_ready(void *arg)
{
    zmi_socket_t *s = arg;
    zmi_cmd_t cmd;
    // NB: the last command may free the socket; stop touching it then.
    while (s->reaper_handle != NULL && zmi_mailbox_recv(&s->mb, &cmd, 0) == 0)
        zmi_cmd_dispatch(&cmd);
}

static const zmi_io_events_t socket_reaper_events = { socket_reaper_ready,
                                                      NULL };

void
zmi_socket_start_reaping(zmi_socket_t *s, zmi_io_thread_t *reaper)
{
    s->reaper = reaper;
    // NB: even a socket with nothing left may have commands queued (an
    // inproc peer's pipe ending): they must be handled, or their senders
    // wait for an answer forever. So the mailbox is always drained here.
    s->reaper_handle = zmi_reactor_add(reaper->reactor, zmi_mailbox_fd(&s->mb),
                                       &socket_reaper_events, s);
    ZMI_ASSERT(s->reaper_handle != NULL);
    zmi_reactor_set_pollin(reaper->reactor, s->reaper_handle);
    socket_reaper_ready(s);
    if (s->reaper_handle != NULL)
        socket_maybe_reaped(s);
}
