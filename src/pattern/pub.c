// PUB, the sending end of publish-subscribe (RFC 29): each message goes
// to the subscribers whose subscriptions prefix its first part. Filtering
// happens here, so a message no one wants never reaches the wire. A
// subscriber at its HWM misses the message (counted in ZMSG_DROPPED); a
// PUB never blocks. Subscriptions arrive from the pipes as messages whose
// first byte is 1 (subscribe) or 0 (cancel); engines turn ZMTP 3.1
// SUBSCRIBE/CANCEL commands into that form.

#include <errno.h>

#include "core/socket.h"
#include "pattern/dist.h"
#include "pattern/pattern.h"
#include "pattern/trie.h"

typedef struct pub {
    zmi_socket_t *socket; // for ZMSG_DROPPED and options
    zmi_dist_t dist;      // every subscriber
    zmi_mtrie_t subs;     // prefix -> subscribers
} pub_t;

static int
pub_init(void *st, zmi_socket_t *s)
{
    pub_t *p = st;
    p->socket = s;
    zmi_dist_init(&p->dist, 0);
    zmi_trie_init(&p->subs);
    return 0;
}

static void
pub_fini(void *st)
{
    pub_t *p = st;
    zmi_trie_fini(&p->subs);
    zmi_dist_fini(&p->dist);
}

// Applies every subscription message waiting in a pipe.
static void
pub_read_subscriptions(pub_t *p, zmi_pipe_t *pipe)
{
    zmi_msg_t m;
    while (zmi_pipe_read(pipe, &m)) {
        size_t size = zmi_msg_size(&m);
        const uint8_t *data = zmi_msg_data(&m);
        // Only whole single-part messages with a 0/1 first byte are
        // subscriptions; anything else a subscriber sends is ignored.
        if (!zmi_msg_more(&m) && size >= 1 && data[0] <= 1 &&
            size - 1 <= ZMI_SUBSCRIPTION_MAX) {
            size_t tsize = size - 1;
            if (data[0] == 1) {
                // A peer can't grow our memory past its share.
                if (pipe->pcount + tsize <= ZMI_PEER_SUBSCRIPTIONS_MAX &&
                    zmi_mtrie_add(&p->subs, data + 1, tsize, pipe, NULL))
                    pipe->pcount += tsize;
            } else if (zmi_mtrie_rm(&p->subs, data + 1, tsize, pipe)) {
                pipe->pcount -= tsize;
            }
        }
        zmi_msg_close(&m);
    }
}

static void
pub_attach(void *st, zmi_pipe_t *pipe)
{
    pub_t *p = st;
    pipe->pcount = 0;
    if (zmi_dist_attach(&p->dist, pipe) == 0)
        pub_read_subscriptions(p, pipe);
}

static void
pub_detach(void *st, zmi_pipe_t *pipe)
{
    pub_t *p = st;
    zmi_mtrie_rm_pipe(&p->subs, pipe);
    if (pipe->index[0] >= 0)
        zmi_dist_detach(&p->dist, pipe);
}

static void
pub_read_activated(void *st, zmi_pipe_t *pipe)
{
    pub_read_subscriptions(st, pipe);
}

static void
pub_write_activated(void *st, zmi_pipe_t *pipe)
{
    // Room again: the next message reaches it (nothing is resent).
    (void) st;
    (void) pipe;
}

static void
pub_choose(zmi_pipe_t *pipe, void *arg)
{
    zmi_dist_match(arg, pipe);
}

static int
pub_send(void *st, zmi_msg_t *msg)
{
    pub_t *p = st;
    if (!zmi_dist_in_message(&p->dist)) {
        zmi_mtrie_match(&p->subs, zmi_msg_data(msg), zmi_msg_size(msg),
                        pub_choose, &p->dist);
        // INVERT_MATCHING (set on both ends): the others get it.
        if (p->socket->opts.invert_matching)
            zmi_dist_invert(&p->dist);
    }
    uint64_t before = p->dist.dropped;
    zmi_dist_send(&p->dist, msg);
    p->socket->dropped += p->dist.dropped - before;
    return 0;
}

static bool
pub_has_in(void *st)
{
    (void) st;
    return false;
}

static bool
pub_has_out(void *st)
{
    (void) st;
    return true; // a PUB never blocks
}

size_t
zmi_pub_subscription_nodes(zmi_socket_t *s)
{
    return ((pub_t *) s->pstate)->subs.nodes;
}

const zmi_pattern_ops_t zmi_pub_ops = {
    .type = ZMSG_PUB,
    .state_size = sizeof(pub_t),
    .init = pub_init,
    .fini = pub_fini,
    .attach = pub_attach,
    .detach = pub_detach,
    .read_activated = pub_read_activated,
    .write_activated = pub_write_activated,
    .send = pub_send,
    .recv = NULL,
    .has_in = pub_has_in,
    .has_out = pub_has_out,
};
