// Round-robin over readable pipes, message by message (see fq.h).

#include "pattern/fq.h"

#include <errno.h>

void
zmi_fq_init(zmi_fq_t *fq, int slot)
{
    zmi_parray_init(&fq->pipes, slot);
    fq->active = 0;
    fq->current = 0;
    fq->more = false;
}

void
zmi_fq_fini(zmi_fq_t *fq)
{
    zmi_parray_fini(&fq->pipes);
}

int
zmi_fq_attach(zmi_fq_t *fq, zmi_pipe_t *p)
{
    int rc = zmi_parray_push(&fq->pipes, p);
    if (rc != 0)
        return rc;
    zmi_fq_activated(fq, p);
    return 0;
}

void
zmi_fq_detach(zmi_fq_t *fq, zmi_pipe_t *p)
{
    int i = zmi_parray_index(&fq->pipes, p);
    if (i < fq->active) {
        fq->active--;
        zmi_parray_swap(&fq->pipes, i, fq->active);
        if (fq->current == fq->active)
            fq->current = 0;
    }
    zmi_parray_erase(&fq->pipes, p);
}

void
zmi_fq_activated(zmi_fq_t *fq, zmi_pipe_t *p)
{
    int i = zmi_parray_index(&fq->pipes, p);
    if (i >= fq->active) {
        zmi_parray_swap(&fq->pipes, i, fq->active);
        fq->active++;
    }
}

static void
fq_deactivate_current(zmi_fq_t *fq)
{
    fq->active--;
    zmi_parray_swap(&fq->pipes, fq->current, fq->active);
    if (fq->current == fq->active)
        fq->current = 0;
}

int
zmi_fq_recv(zmi_fq_t *fq, zmi_msg_t *msg, zmi_pipe_t **from)
{
    while (fq->active > 0) {
        zmi_pipe_t *p = fq->pipes.items[fq->current];
        if (zmi_pipe_read(p, msg)) {
            if (from != NULL)
                *from = p;
            fq->more = zmi_msg_more(msg);
            if (!fq->more && ++fq->current >= fq->active)
                fq->current = 0;
            return 0;
        }
        // NB: writers publish whole messages only, so a pipe never runs
        // dry between two parts of one message.
        ZMI_ASSERT(!fq->more);
        fq_deactivate_current(fq);
    }
    return -EAGAIN;
}

bool
zmi_fq_has_in(zmi_fq_t *fq)
{
    if (fq->more)
        return true;
    while (fq->active > 0) {
        if (zmi_pipe_check_read(fq->pipes.items[fq->current]))
            return true;
        fq_deactivate_current(fq);
    }
    return false;
}
