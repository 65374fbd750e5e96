// Round-robin over writable pipes with multipart atomicity (see lb.h).

#include "pattern/lb.h"

#include <errno.h>

void
zmi_lb_init(zmi_lb_t *lb, int slot)
{
    zmi_parray_init(&lb->pipes, slot);
    lb->active = 0;
    lb->current = 0;
    lb->more = false;
    lb->dropping = false;
}

void
zmi_lb_fini(zmi_lb_t *lb)
{
    zmi_parray_fini(&lb->pipes);
}

int
zmi_lb_attach(zmi_lb_t *lb, zmi_pipe_t *p)
{
    int rc = zmi_parray_push(&lb->pipes, p);
    if (rc != 0)
        return rc;
    zmi_lb_activated(lb, p);
    return 0;
}

void
zmi_lb_detach(zmi_lb_t *lb, zmi_pipe_t *p)
{
    int i = zmi_parray_index(&lb->pipes, p);
    // A message half sent on this pipe can't be finished: drop the rest.
    if (lb->more && i == lb->current)
        lb->dropping = true;
    if (i < lb->active) {
        lb->active--;
        zmi_parray_swap(&lb->pipes, i, lb->active);
        if (lb->current == lb->active)
            lb->current = 0;
    }
    zmi_parray_erase(&lb->pipes, p);
}

void
zmi_lb_activated(zmi_lb_t *lb, zmi_pipe_t *p)
{
    int i = zmi_parray_index(&lb->pipes, p);
    if (i >= lb->active) {
        zmi_parray_swap(&lb->pipes, i, lb->active);
        lb->active++;
    }
}

// Moves the current pipe behind the active boundary.
static void
lb_deactivate_current(zmi_lb_t *lb)
{
    lb->active--;
    if (lb->current < lb->active)
        zmi_parray_swap(&lb->pipes, lb->current, lb->active);
    else
        lb->current = 0;
}

int
zmi_lb_send(zmi_lb_t *lb, zmi_msg_t *msg, zmi_pipe_t **used)
{
    if (lb->dropping) {
        lb->more = zmi_msg_more(msg);
        lb->dropping = lb->more;
        zmi_msg_close(msg);
        return 0;
    }
    while (lb->active > 0) {
        zmi_pipe_t *p = lb->pipes.items[lb->current];
        if (zmi_pipe_check_write(p)) {
            bool more = zmi_msg_more(msg);
            if (zmi_pipe_write(p, msg)) {
                if (used != NULL)
                    *used = p;
                lb->more = more;
                if (!more) {
                    zmi_pipe_flush(p);
                    if (++lb->current >= lb->active)
                        lb->current = 0;
                }
                return 0;
            }
            // The pipe is terminating; zmi_pipe_write closed the part.
            lb->more = false;
            lb->dropping = more;
            lb_deactivate_current(lb);
            return 0;
        }
        // NB: a pipe never refuses the middle of a message (the HWM is
        // checked only before a first part), so the message stays whole.
        lb_deactivate_current(lb);
    }
    return -EAGAIN;
}

bool
zmi_lb_has_out(zmi_lb_t *lb)
{
    if (lb->more)
        return true;
    while (lb->active > 0) {
        if (zmi_pipe_check_write(lb->pipes.items[lb->current]))
            return true;
        lb_deactivate_current(lb);
    }
    return false;
}
