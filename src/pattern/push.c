// PUSH, the sending end of a pipeline (RFC 30): round-robin over peers that
// have room, blocking (in the socket) when none has, never dropping.

#include <errno.h>

#include "pattern/lb.h"
#include "pattern/pattern.h"

typedef struct push {
    zmi_lb_t lb; // every peer pipe
} push_t;

static int
push_init(void *st, zmi_socket_t *s)
{
    (void) s;
    zmi_lb_init(&((push_t *) st)->lb, 0);
    return 0;
}

static void
push_fini(void *st)
{
    zmi_lb_fini(&((push_t *) st)->lb);
}

static void
push_attach(void *st, zmi_pipe_t *p)
{
    // NB: allocation failure here leaves the peer unused, never crashes.
    (void) zmi_lb_attach(&((push_t *) st)->lb, p);
}

static void
push_detach(void *st, zmi_pipe_t *p)
{
    if (p->index[0] >= 0)
        zmi_lb_detach(&((push_t *) st)->lb, p);
}

static void
push_read_activated(void *st, zmi_pipe_t *p)
{
    // A PUSH reads nothing; draining happens in the session.
    (void) st;
    (void) p;
}

static void
push_write_activated(void *st, zmi_pipe_t *p)
{
    zmi_lb_activated(&((push_t *) st)->lb, p);
}

static int
push_send(void *st, zmi_msg_t *msg)
{
    return zmi_lb_send(&((push_t *) st)->lb, msg, NULL);
}

static bool
push_has_in(void *st)
{
    (void) st;
    return false;
}

static bool
push_has_out(void *st)
{
    return zmi_lb_has_out(&((push_t *) st)->lb);
}

const zmi_pattern_ops_t zmi_push_ops = {
    .type = ZMSG_PUSH,
    .state_size = sizeof(push_t),
    .init = push_init,
    .fini = push_fini,
    .attach = push_attach,
    .detach = push_detach,
    .read_activated = push_read_activated,
    .write_activated = push_write_activated,
    .send = push_send,
    .recv = NULL,
    .has_in = push_has_in,
    .has_out = push_has_out,
    .setopt = NULL,
};
