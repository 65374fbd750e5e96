// SUB, the receiving end of publish-subscribe (RFC 29): tells every
// publisher its subscriptions (again after each reconnect), fair-queues
// what they send, and filters locally too (a ZMTP 3.0 or non-filtering
// publisher may send everything). Subscriptions are counted: subscribing
// twice needs two cancels; publishers hear of a prefix when its count
// goes 0 -> 1 and 1 -> 0.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/socket.h"
#include "pattern/fq.h"
#include "pattern/pattern.h"
#include "pattern/trie.h"

typedef struct sub {
    zmi_socket_t *socket; // for INVERT_MATCHING
    zmi_fq_t fq;          // every publisher
    zmi_trie_t subs;      // our subscriptions, counted
    bool in_message;      // delivering the rest of a matching message
} sub_t;

static int
sub_init(void *st, zmi_socket_t *s)
{
    sub_t *b = st;
    b->socket = s;
    zmi_fq_init(&b->fq, 1);
    zmi_trie_init(&b->subs);
    return 0;
}

static void
sub_fini(void *st)
{
    sub_t *b = st;
    zmi_trie_fini(&b->subs);
    zmi_fq_fini(&b->fq);
}

// Writes one subscribe (1) or cancel (0) message into a pipe. They bypass
// the HWM: a subscription must never be lost to a full queue.
static void
sub_write(zmi_pipe_t *pipe, uint8_t op, const uint8_t *topic, size_t size)
{
    zmi_msg_t m;
    if (zmi_msg_init_size(&m, size + 1) != 0)
        return;
    uint8_t *d = zmi_msg_data(&m);
    d[0] = op;
    if (size > 0)
        memcpy(d + 1, topic, size);
    if (zmi_pipe_write(pipe, &m))
        zmi_pipe_flush(pipe);
}

static void
sub_send_to_all(sub_t *b, uint8_t op, const uint8_t *topic, size_t size)
{
    for (int i = 0; i < b->fq.pipes.count; i++)
        sub_write(b->fq.pipes.items[i], op, topic, size);
}

static void
sub_replay_one(const uint8_t *prefix, size_t size, void *arg)
{
    sub_write(arg, 1, prefix, size);
}

// Tells one publisher every current subscription.
static void
sub_replay(sub_t *b, zmi_pipe_t *pipe)
{
    (void) zmi_trie_each(&b->subs, sub_replay_one, pipe);
}

static void
sub_attach(void *st, zmi_pipe_t *pipe)
{
    sub_t *b = st;
    if (zmi_fq_attach(&b->fq, pipe) == 0)
        sub_replay(b, pipe);
}

static void
sub_detach(void *st, zmi_pipe_t *pipe)
{
    sub_t *b = st;
    if (pipe->index[1] >= 0)
        zmi_fq_detach(&b->fq, pipe);
}

static void
sub_hiccuped(void *st, zmi_pipe_t *pipe)
{
    // A new connection to that publisher knows nothing of us yet.
    sub_replay(st, pipe);
}

static void
sub_read_activated(void *st, zmi_pipe_t *pipe)
{
    zmi_fq_activated(&((sub_t *) st)->fq, pipe);
}

static void
sub_write_activated(void *st, zmi_pipe_t *pipe)
{
    (void) st;
    (void) pipe;
}

static int
sub_setopt(void *st, int option, const void *val, size_t len)
{
    sub_t *b = st;
    if (option != ZMSG_SUBSCRIBE && option != ZMSG_UNSUBSCRIBE)
        return -ENOTSUP;
    if ((val == NULL && len > 0) || len > ZMI_SUBSCRIPTION_MAX)
        return -EINVAL;
    if (option == ZMSG_SUBSCRIBE) {
        int err = 0;
        if (zmi_trie_add(&b->subs, val, len, &err))
            sub_send_to_all(b, 1, val, len);
        return err;
    }
    if (zmi_trie_rm(&b->subs, val, len))
        sub_send_to_all(b, 0, val, len);
    return 0;
}

// Reads the rest of a message nobody subscribed to.
static void
sub_skip_rest(sub_t *b)
{
    zmi_msg_t part;
    while (b->fq.more && zmi_fq_recv(&b->fq, &part, NULL) == 0)
        zmi_msg_close(&part);
}

static bool
sub_wanted(sub_t *b, zmi_msg_t *msg)
{
    bool match = zmi_trie_match(&b->subs, zmi_msg_data(msg),
                                zmi_msg_size(msg));
    return match != (b->socket->opts.invert_matching != 0);
}

static int
sub_recv(void *st, zmi_msg_t *msg)
{
    sub_t *b = st;
    for (;;) {
        int rc = zmi_fq_recv(&b->fq, msg, NULL);
        if (rc != 0)
            return rc;
        if (b->in_message || sub_wanted(b, msg)) {
            b->in_message = zmi_msg_more(msg);
            return 0;
        }
        zmi_msg_close(msg);
        sub_skip_rest(b);
    }
}

static bool
sub_has_in(void *st)
{
    // NB: may say yes for a message the local filter will drop; recv then
    // finds nothing and says EAGAIN, as libzmq's SUB can.
    return zmi_fq_has_in(&((sub_t *) st)->fq);
}

static bool
sub_has_out(void *st)
{
    (void) st;
    return false;
}

const zmi_pattern_ops_t zmi_sub_ops = {
    .type = ZMSG_SUB,
    .state_size = sizeof(sub_t),
    .init = sub_init,
    .fini = sub_fini,
    .attach = sub_attach,
    .detach = sub_detach,
    .read_activated = sub_read_activated,
    .write_activated = sub_write_activated,
    .send = NULL,
    .recv = sub_recv,
    .has_in = sub_has_in,
    .has_out = sub_has_out,
    .setopt = sub_setopt,
    .hiccuped = sub_hiccuped,
};
