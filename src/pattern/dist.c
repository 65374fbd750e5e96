// Fan-out to chosen pipes with one shared body (see dist.h).

#include "pattern/dist.h"

void
zmi_dist_init(zmi_dist_t *d, int slot)
{
    zmi_parray_init(&d->pipes, slot);
    d->matching = 0;
    d->more = false;
    d->dropped = 0;
}

void
zmi_dist_fini(zmi_dist_t *d)
{
    zmi_parray_fini(&d->pipes);
}

int
zmi_dist_attach(zmi_dist_t *d, zmi_pipe_t *p)
{
    // NB: a pipe that joins mid-message is not chosen for the rest of it,
    // so it never sees a message without its first part.
    return zmi_parray_push(&d->pipes, p);
}

void
zmi_dist_detach(zmi_dist_t *d, zmi_pipe_t *p)
{
    int i = zmi_parray_index(&d->pipes, p);
    if (i < d->matching) {
        d->matching--;
        zmi_parray_swap(&d->pipes, i, d->matching);
    }
    zmi_parray_erase(&d->pipes, p);
}

void
zmi_dist_match(zmi_dist_t *d, zmi_pipe_t *p)
{
    int i = zmi_parray_index(&d->pipes, p);
    if (i >= d->matching) {
        zmi_parray_swap(&d->pipes, i, d->matching);
        d->matching++;
    }
}

void
zmi_dist_match_all(zmi_dist_t *d)
{
    d->matching = d->pipes.count;
}

void
zmi_dist_invert(zmi_dist_t *d)
{
    // Swapping the first k with the last k, k = min(chosen, others),
    // leaves exactly the others in front.
    int count = d->pipes.count, m = d->matching;
    int k = m < count - m ? m : count - m;
    for (int i = 0; i < k; i++)
        zmi_parray_swap(&d->pipes, i, count - 1 - i);
    d->matching = count - m;
}

// Drops, for this message, every chosen pipe that is at its HWM.
static void
dist_drop_full(zmi_dist_t *d)
{
    for (int i = 0; i < d->matching;) {
        if (zmi_pipe_check_write(d->pipes.items[i])) {
            i++;
            continue;
        }
        d->dropped++;
        d->matching--;
        zmi_parray_swap(&d->pipes, i, d->matching);
    }
}

void
zmi_dist_send(zmi_dist_t *d, zmi_msg_t *msg)
{
    bool more = zmi_msg_more(msg);
    if (!d->more)
        dist_drop_full(d);
    d->more = more;
    int n = d->matching;
    if (n == 0) {
        zmi_msg_close(msg);
        return;
    }
    // One body, n holders: n - 1 extra references, no copy.
    zmi_msg_add_refs(msg, n - 1);
    for (int i = 0; i < n; i++) {
        zmi_msg_t part = *msg;
        zmi_pipe_t *p = d->pipes.items[i];
        if (zmi_pipe_write(p, &part) && !more)
            zmi_pipe_flush(p);
    }
    msg->type = ZMI_MSG_CLOSED; // every reference was handed out
    if (!more)
        d->matching = 0;
}
