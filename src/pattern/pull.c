// PULL, the receiving end of a pipeline (RFC 30): fair-queues whole
// messages from every connected PUSH.

#include <errno.h>

#include "pattern/fq.h"
#include "pattern/pattern.h"

typedef struct pull {
    zmi_fq_t fq; // every peer pipe
} pull_t;

static int
pull_init(void *st, zmi_socket_t *s)
{
    (void) s;
    zmi_fq_init(&((pull_t *) st)->fq, 1);
    return 0;
}

static void
pull_fini(void *st)
{
    zmi_fq_fini(&((pull_t *) st)->fq);
}

static void
pull_attach(void *st, zmi_pipe_t *p)
{
    (void) zmi_fq_attach(&((pull_t *) st)->fq, p);
}

static void
pull_detach(void *st, zmi_pipe_t *p)
{
    if (p->index[1] >= 0)
        zmi_fq_detach(&((pull_t *) st)->fq, p);
}

static void
pull_read_activated(void *st, zmi_pipe_t *p)
{
    zmi_fq_activated(&((pull_t *) st)->fq, p);
}

static void
pull_write_activated(void *st, zmi_pipe_t *p)
{
    // A PULL writes nothing.
    (void) st;
    (void) p;
}

static int
pull_recv(void *st, zmi_msg_t *msg)
{
    return zmi_fq_recv(&((pull_t *) st)->fq, msg, NULL);
}

static bool
pull_has_in(void *st)
{
    return zmi_fq_has_in(&((pull_t *) st)->fq);
}

static bool
pull_has_out(void *st)
{
    (void) st;
    return false;
}

const zmi_pattern_ops_t zmi_pull_ops = {
    .type = ZMSG_PULL,
    .state_size = sizeof(pull_t),
    .init = pull_init,
    .fini = pull_fini,
    .attach = pull_attach,
    .detach = pull_detach,
    .read_activated = pull_read_activated,
    .write_activated = pull_write_activated,
    .send = NULL,
    .recv = pull_recv,
    .has_in = pull_has_in,
    .has_out = pull_has_out,
    .setopt = NULL,
};
