// REP, the service end of request-reply (RFC 28): fair-queues requests,
// strips each one's envelope (every part up to and including the empty
// delimiter) and puts it back in front of the reply, which goes to the
// pipe the request came from. A reply to a requester that went away, or
// whose queue is full, vanishes: a REP never blocks on send.

#include <errno.h>

#include "pattern/fq.h"
#include "pattern/pattern.h"

#define REP_ENVELOPE_MAX 32 // parts kept before the delimiter (routers)

typedef struct rep {
    zmi_fq_t fq;                          // every requester
    zmi_pipe_t *reply_pipe;               // where the reply goes, NULL if
                                          // that requester left
    zmi_msg_t envelope[REP_ENVELOPE_MAX]; // routing parts + delimiter
    int nenvelope;
    bool sending_reply;                   // a request was read whole
    bool in_reply;                        // reply parts are being sent
    bool in_request;                      // request body parts follow
} rep_t;

static int
rep_init(void *st, zmi_socket_t *s)
{
    (void) s;
    zmi_fq_init(&((rep_t *) st)->fq, 1);
    return 0;
}

static void
rep_drop_envelope(rep_t *r)
{
    for (int i = 0; i < r->nenvelope; i++)
        zmi_msg_close(&r->envelope[i]);
    r->nenvelope = 0;
}

static void
rep_fini(void *st)
{
    rep_t *r = st;
    rep_drop_envelope(r);
    zmi_fq_fini(&r->fq);
}

static void
rep_attach(void *st, zmi_pipe_t *p)
{
    (void) zmi_fq_attach(&((rep_t *) st)->fq, p);
}

static void
rep_detach(void *st, zmi_pipe_t *p)
{
    rep_t *r = st;
    if (p->index[1] >= 0)
        zmi_fq_detach(&r->fq, p);
    if (r->reply_pipe == p)
        r->reply_pipe = NULL; // the reply will vanish
}

static void
rep_read_activated(void *st, zmi_pipe_t *p)
{
    zmi_fq_activated(&((rep_t *) st)->fq, p);
}

static void
rep_write_activated(void *st, zmi_pipe_t *p)
{
    // Replies never wait for room; nothing to do.
    (void) st;
    (void) p;
}

// Reads the rest of a message that is being thrown away.
static void
rep_skip_rest(rep_t *r)
{
    zmi_msg_t part;
    while (r->fq.more && zmi_fq_recv(&r->fq, &part, NULL) == 0)
        zmi_msg_close(&part);
}

// Reads a request's envelope. Returns 0 when the delimiter was found,
// -EAGAIN when no request is waiting. Malformed requests (no delimiter,
// too many routing parts) are dropped whole.
static int
rep_read_envelope(rep_t *r)
{
    for (;;) {
        zmi_msg_t part;
        zmi_pipe_t *from;
        int rc = zmi_fq_recv(&r->fq, &part, &from);
        if (rc != 0)
            return rc;
        bool more = zmi_msg_more(&part);
        if (!more || r->nenvelope == REP_ENVELOPE_MAX) {
            // A request must have a delimiter and a body.
            zmi_msg_close(&part);
            rep_skip_rest(r);
            rep_drop_envelope(r);
            continue;
        }
        bool delimiter = zmi_msg_size(&part) == 0;
        r->envelope[r->nenvelope++] = part;
        r->reply_pipe = from;
        if (delimiter)
            return 0;
    }
}

static int
rep_recv(void *st, zmi_msg_t *msg)
{
    rep_t *r = st;
    if (r->sending_reply)
        return -ZMSG_EFSM;
    if (!r->in_request) {
        int rc = rep_read_envelope(r);
        if (rc != 0)
            return rc;
        r->in_request = true;
    }
    int rc = zmi_fq_recv(&r->fq, msg, NULL);
    if (rc != 0)
        return rc; // NB: can't happen mid-message (messages are atomic)
    if (!zmi_msg_more(msg)) {
        r->in_request = false;
        r->sending_reply = true;
    }
    return 0;
}

// Writes one part to the requester, or drops it if that can't be done.
static void
rep_write(rep_t *r, zmi_msg_t *part)
{
    if (r->reply_pipe == NULL || !zmi_pipe_write(r->reply_pipe, part)) {
        zmi_msg_close(part);
        r->reply_pipe = NULL;
    }
}

static int
rep_send(void *st, zmi_msg_t *msg)
{
    rep_t *r = st;
    if (!r->sending_reply)
        return -ZMSG_EFSM;
    if (!r->in_reply) {
        r->in_reply = true;
        // A full queue drops the reply, like a requester that left.
        if (r->reply_pipe != NULL && !zmi_pipe_check_write(r->reply_pipe))
            r->reply_pipe = NULL;
        for (int i = 0; i < r->nenvelope; i++) {
            zmi_msg_set_more(&r->envelope[i], true);
            rep_write(r, &r->envelope[i]);
        }
        r->nenvelope = 0;
    }
    bool more = zmi_msg_more(msg);
    rep_write(r, msg);
    if (!more) {
        if (r->reply_pipe != NULL)
            zmi_pipe_flush(r->reply_pipe);
        r->reply_pipe = NULL;
        r->in_reply = false;
        r->sending_reply = false;
    }
    return 0;
}

static bool
rep_has_in(void *st)
{
    rep_t *r = st;
    return !r->sending_reply && zmi_fq_has_in(&r->fq);
}

static bool
rep_has_out(void *st)
{
    return ((rep_t *) st)->sending_reply;
}

const zmi_pattern_ops_t zmi_rep_ops = {
    .type = ZMSG_REP,
    .state_size = sizeof(rep_t),
    .init = rep_init,
    .fini = rep_fini,
    .attach = rep_attach,
    .detach = rep_detach,
    .read_activated = rep_read_activated,
    .write_activated = rep_write_activated,
    .send = rep_send,
    .recv = rep_recv,
    .has_in = rep_has_in,
    .has_out = rep_has_out,
};
