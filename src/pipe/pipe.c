// Pipe ends: HWM by credit, edge wake-ups and the termination handshake.
//
// Each end is used by its owner's thread only; the ends meet through the
// two lock-free ypipes and commands sent to each other's mailboxes. See
// pipe.h for the protocol.

#include "pipe/pipe.h"

#include <errno.h>
#include <stdlib.h>

#include "core/err.h"

typedef struct zmi_pipe_pair {
    atomic_int refs;     // ends not yet released
    zmi_ypipe_t q[2];    // q[0]: a -> b, q[1]: b -> a
    zmi_cslot_t cs[2];   // the same directions when conflated
    zmi_pipe_t end[2];   // end[0] is a, end[1] is b
} zmi_pipe_pair_t;

static int
pipe_lwm(int hwm)
{
    // Credit is returned every half HWM: the writer never waits on a full
    // pipe for long, and credit commands stay rare.
    return hwm > 0 ? (hwm + 1) / 2 : 0;
}

static void
pipe_send(zmi_pipe_t *p, enum zmi_cmd_type type, uint64_t arg)
{
    zmi_cmd_t cmd = { .type = type, .target = p->peer };
    cmd.u.msgs_read = arg;
    zmi_mailbox_send(p->peer->mailbox, &cmd);
}

static void
pipe_end_init(zmi_pipe_t *p, zmi_pipe_pair_t *pair, zmi_ypipe_t *in,
              zmi_ypipe_t *out, zmi_pipe_t *peer, int out_hwm, int peer_hwm,
              zmi_mailbox_t *mb)
{
    *p = (zmi_pipe_t) { .in = in,
                        .out = out,
                        .peer = peer,
                        .mailbox = mb,
                        .pair = pair,
                        .state = ZMI_PIPE_ACTIVE,
                        .in_active = true,
                        .out_active = true,
                        .out_hwm = out_hwm,
                        .in_lwm = pipe_lwm(peer_hwm),
                        .index = { -1, -1 } };
}

int
zmi_pipe_pair_new(zmi_pipe_t **a, zmi_pipe_t **b, int a_hwm, int b_hwm,
                  zmi_mailbox_t *a_mb, zmi_mailbox_t *b_mb)
{
    zmi_pipe_pair_t *pair = malloc(sizeof(*pair));
    if (pair == NULL)
        return -ENOMEM;
    if (zmi_ypipe_init(&pair->q[0]) != 0) {
        free(pair);
        return -ENOMEM;
    }
    if (zmi_ypipe_init(&pair->q[1]) != 0) {
        zmi_ypipe_fini(&pair->q[0]);
        free(pair);
        return -ENOMEM;
    }
    atomic_init(&pair->refs, 2);
    zmi_cslot_init(&pair->cs[0]);
    zmi_cslot_init(&pair->cs[1]);
    pipe_end_init(&pair->end[0], pair, &pair->q[1], &pair->q[0],
                  &pair->end[1], a_hwm, b_hwm, a_mb);
    pipe_end_init(&pair->end[1], pair, &pair->q[0], &pair->q[1],
                  &pair->end[0], b_hwm, a_hwm, b_mb);
    *a = &pair->end[0];
    *b = &pair->end[1];
    return 0;
}

void
zmi_pipe_conflate_in(zmi_pipe_t *reader)
{
    zmi_pipe_pair_t *pair = reader->pair;
    zmi_cslot_t *c = reader == &pair->end[1] ? &pair->cs[0] : &pair->cs[1];
    reader->cin = c;
    reader->in_lwm = 0; // the writer never waits for credit
    reader->peer->cout = c;
}

void
zmi_pipe_set_owner(zmi_pipe_t *p, const zmi_pipe_events_t *events, void *owner)
{
    p->events = events;
    p->owner = owner;
}

void
zmi_pipe_set_mailbox(zmi_pipe_t *p, zmi_mailbox_t *mb)
{
    p->mailbox = mb;
}

bool
zmi_pipe_check_write(zmi_pipe_t *p)
{
    if (!p->out_active || p->state != ZMI_PIPE_ACTIVE)
        return false;
    if (p->cout != NULL)
        return true; // a conflated direction is never full
    if (p->out_hwm > 0 && !p->in_message &&
        p->msgs_written - p->peers_msgs_read >= (uint64_t) p->out_hwm) {
        p->out_active = false;
        return false;
    }
    return true;
}

bool
zmi_pipe_write(zmi_pipe_t *p, zmi_msg_t *msg)
{
    if (p->state != ZMI_PIPE_ACTIVE) {
        zmi_msg_close(msg);
        return false;
    }
    if (p->cout != NULL) {
        zmi_msg_set_more(msg, false); // every part stands alone
        int rc = zmi_cslot_write(p->cout, msg);
        ZMI_ASSERT(rc >= 0); // as for a ypipe chunk below
        p->cwake |= rc == 1;
        p->msgs_written++;
        return true;
    }
    bool more = zmi_msg_more(msg);
    int rc = zmi_ypipe_write(p->out, msg, more);
    ZMI_ASSERT(rc == 0); // chunk allocation failure is not survivable here
    msg->type = ZMI_MSG_CLOSED;
    p->in_message = more;
    if (!more)
        p->msgs_written++;
    return true;
}

void
zmi_pipe_flush(zmi_pipe_t *p)
{
    // NB: once TERM is sent the peer may be gone, so no wake-up then.
    if (p->cout != NULL) {
        if (p->state == ZMI_PIPE_ACTIVE && p->cwake)
            pipe_send(p, ZMI_CMD_ACTIVATE_READ, 0);
        p->cwake = false;
        return;
    }
    if (p->state == ZMI_PIPE_ACTIVE && !zmi_ypipe_flush(p->out))
        pipe_send(p, ZMI_CMD_ACTIVATE_READ, 0);
}

void
zmi_pipe_rollback(zmi_pipe_t *p)
{
    zmi_msg_t m;
    while (p->cout == NULL && zmi_ypipe_unwrite(p->out, &m))
        zmi_msg_close(&m);
    p->in_message = false;
}

// Reached the peer's DELIM: its data is over.
static void
pipe_delimiter(zmi_pipe_t *p)
{
    p->in_active = false;
    if (p->state == ZMI_PIPE_ACTIVE) {
        // The TERM that follows the DELIM is still in our mailbox.
        p->delim_seen = true;
    } else if (p->state == ZMI_PIPE_PEER_TERMINATED) {
        // Finish through our own mailbox, so the owner is told from
        // command processing and never from inside its own read loop.
        p->state = ZMI_PIPE_DONE;
        zmi_cmd_t cmd = { .type = ZMI_CMD_PIPE_TERM_ACK, .target = p };
        cmd.u.i = 1; // marks "self-posted after the DELIM"
        zmi_mailbox_send(p->mailbox, &cmd);
    }
}

// Conflated input: the newest part, or the one check_read already took.
static bool
pipe_conflated_read(zmi_pipe_t *p, zmi_msg_t *msg)
{
    zmi_msg_t newer;
    if (zmi_cslot_read(p->cin, &newer)) {
        if (p->has_cpeek)
            zmi_msg_close(&p->cpeek);
        *msg = newer;
    } else if (p->has_cpeek) {
        *msg = p->cpeek;
    } else {
        return false;
    }
    p->has_cpeek = false;
    return true;
}

bool
zmi_pipe_read(zmi_pipe_t *p, zmi_msg_t *msg)
{
    if (!p->in_active || p->state == ZMI_PIPE_TERM_SENT ||
        p->state == ZMI_PIPE_DONE)
        return false;
    bool got = p->cin != NULL ? pipe_conflated_read(p, msg)
                              : zmi_ypipe_read(p->in, msg);
    if (!got) {
        p->in_active = false;
        return false;
    }
    if (zmi_msg_is_delim(msg)) {
        zmi_msg_close(msg);
        pipe_delimiter(p);
        return false;
    }
    if (!zmi_msg_more(msg)) {
        p->msgs_read++;
        if (p->in_lwm > 0 && p->msgs_read % (uint64_t) p->in_lwm == 0 &&
            p->state == ZMI_PIPE_ACTIVE)
            pipe_send(p, ZMI_CMD_ACTIVATE_WRITE, p->msgs_read);
    }
    return true;
}

bool
zmi_pipe_check_read(zmi_pipe_t *p)
{
    if (!p->in_active || p->state == ZMI_PIPE_TERM_SENT ||
        p->state == ZMI_PIPE_DONE)
        return false;
    if (p->cin != NULL) {
        if (!p->has_cpeek && !zmi_cslot_read(p->cin, &p->cpeek)) {
            p->in_active = false;
            return false;
        }
        p->has_cpeek = true;
        if (zmi_msg_is_delim(&p->cpeek)) {
            zmi_msg_close(&p->cpeek);
            p->has_cpeek = false;
            pipe_delimiter(p);
            return false;
        }
        return true;
    }
    const zmi_msg_t *front = zmi_ypipe_front(p->in);
    if (front == NULL) {
        p->in_active = false;
        return false;
    }
    if (zmi_msg_is_delim(front)) {
        zmi_msg_t m;
        zmi_ypipe_read(p->in, &m);
        pipe_delimiter(p);
        return false;
    }
    return true;
}

static void
pipe_finished(zmi_pipe_t *p)
{
    p->state = ZMI_PIPE_DONE;
    p->events->terminated(p->owner, p);
}

void
zmi_pipe_terminate(zmi_pipe_t *p)
{
    switch (p->state) {
    case ZMI_PIPE_ACTIVE: {
        // Whatever is half written can never be completed now.
        zmi_pipe_rollback(p);
        zmi_msg_t delim;
        zmi_msg_init_delim(&delim);
        if (p->cout != NULL) {
            (void) zmi_cslot_write(p->cout, &delim); // TERM wakes the peer
        } else {
            zmi_ypipe_write(p->out, &delim, false);
            zmi_ypipe_flush(p->out);
        }
        p->state = ZMI_PIPE_TERM_SENT;
        pipe_send(p, ZMI_CMD_PIPE_TERM, 0);
        break;
    }
    case ZMI_PIPE_PEER_TERMINATED:
        // The peer already left and was acked: we are done at once.
        pipe_finished(p);
        break;
    default:
        break;
    }
}

void
zmi_pipe_hiccup(zmi_pipe_t *p)
{
    if (p->state == ZMI_PIPE_ACTIVE)
        pipe_send(p, ZMI_CMD_PIPE_HICCUP, 0);
}

void
zmi_pipe_release(zmi_pipe_t *p)
{
    zmi_pipe_pair_t *pair = p->pair;
    if (atomic_fetch_sub_explicit(&pair->refs, 1, memory_order_acq_rel) != 1)
        return;
    zmi_ypipe_fini(&pair->q[0]);
    zmi_ypipe_fini(&pair->q[1]);
    for (int i = 0; i < 2; i++) {
        zmi_cslot_fini(&pair->cs[i]);
        if (pair->end[i].has_cpeek)
            zmi_msg_close(&pair->end[i].cpeek);
    }
    free(pair);
}

static void
pipe_on_term(zmi_pipe_t *p)
{
    pipe_send(p, ZMI_CMD_PIPE_TERM_ACK, 0);
    if (p->state == ZMI_PIPE_TERM_SENT)
        return; // both ends left at once: our own ACK is still to come
    p->out_active = false;
    if (p->delim_seen) {
        pipe_finished(p);
        return;
    }
    p->state = ZMI_PIPE_PEER_TERMINATED;
    // Let the owner drain what the peer wrote before leaving; if nothing
    // is left, the next check finds the DELIM at once.
    p->in_active = true;
    if (zmi_pipe_check_read(p))
        p->events->read_activated(p->owner, p);
}

void
zmi_pipe_process(zmi_cmd_t *cmd)
{
    zmi_pipe_t *p = cmd->target;
    switch (cmd->type) {
    case ZMI_CMD_ACTIVATE_READ:
        if (p->state == ZMI_PIPE_ACTIVE && !p->in_active) {
            p->in_active = true;
            p->events->read_activated(p->owner, p);
        }
        break;
    case ZMI_CMD_ACTIVATE_WRITE:
        p->peers_msgs_read = cmd->u.msgs_read;
        if (p->state == ZMI_PIPE_ACTIVE && !p->out_active) {
            p->out_active = true;
            p->events->write_activated(p->owner, p);
        }
        break;
    case ZMI_CMD_PIPE_TERM:
        pipe_on_term(p);
        break;
    case ZMI_CMD_PIPE_HICCUP:
        if (p->state == ZMI_PIPE_ACTIVE && p->events->hiccuped != NULL)
            p->events->hiccuped(p->owner, p);
        break;
    case ZMI_CMD_PIPE_TERM_ACK:
        if (cmd->u.i == 1 || p->state == ZMI_PIPE_TERM_SENT)
            pipe_finished(p);
        break;
    default:
        ZMI_ASSERT(!"not a pipe command");
    }
}
