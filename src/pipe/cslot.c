// The conflating slot (see cslot.h).

#include "pipe/cslot.h"

#include <errno.h>
#include <stdlib.h>

// Marks a reader asleep: never a node's address (nodes are aligned).
#define CSLOT_ASLEEP ((uintptr_t) 1)

typedef struct cslot_node {
    zmi_msg_t msg;
} cslot_node_t;

void
zmi_cslot_init(zmi_cslot_t *c)
{
    atomic_init(&c->slot, 0);
    atomic_init(&c->spare, 0);
    c->replaced = 0;
}

static bool
cslot_is_node(uintptr_t v)
{
    return v != 0 && v != CSLOT_ASLEEP;
}

void
zmi_cslot_fini(zmi_cslot_t *c)
{
    uintptr_t v = atomic_load(&c->slot);
    if (cslot_is_node(v)) {
        cslot_node_t *n = (cslot_node_t *) v;
        zmi_msg_close(&n->msg);
        free(n);
    }
    free((void *) atomic_load(&c->spare));
}

// Gives a node back for the writer's next part (either thread).
static void
cslot_recycle(zmi_cslot_t *c, cslot_node_t *n)
{
    uintptr_t old = atomic_exchange(&c->spare, (uintptr_t) n);
    free((void *) old);
}

int
zmi_cslot_write(zmi_cslot_t *c, zmi_msg_t *msg)
{
    cslot_node_t *n = (cslot_node_t *) atomic_exchange(&c->spare, 0);
    if (n == NULL && (n = malloc(sizeof(*n))) == NULL)
        return -ENOMEM;
    n->msg = *msg;
    msg->type = ZMI_MSG_CLOSED;
    uintptr_t old = atomic_exchange(&c->slot, (uintptr_t) n);
    if (old == CSLOT_ASLEEP)
        return 1;
    if (old != 0) {
        cslot_node_t *prev = (cslot_node_t *) old;
        zmi_msg_close(&prev->msg);
        cslot_recycle(c, prev);
        c->replaced++;
    }
    return 0;
}

// Marks the reader asleep if the slot is still empty. False if a part
// arrived meanwhile.
static bool
cslot_sleep(zmi_cslot_t *c)
{
    uintptr_t expect = 0;
    return atomic_compare_exchange_strong(&c->slot, &expect, CSLOT_ASLEEP) ||
           expect == CSLOT_ASLEEP;
}

bool
zmi_cslot_read(zmi_cslot_t *c, zmi_msg_t *msg)
{
    for (;;) {
        uintptr_t v = atomic_load(&c->slot);
        if (cslot_is_node(v)) {
            // Only the writer replaces a node, and only by exchange: take
            // whatever is there now.
            v = atomic_exchange(&c->slot, 0);
            if (!cslot_is_node(v))
                continue;
            cslot_node_t *n = (cslot_node_t *) v;
            *msg = n->msg;
            cslot_recycle(c, n);
            return true;
        }
        if (cslot_sleep(c))
            return false;
    }
}
