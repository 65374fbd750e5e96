// REQ, the client end of request-reply (RFC 28): sends each request, with
// an empty delimiter in front, to the next peer round-robin, and accepts a
// reply only from the peer it asked.
//
// Beyond libzmq: a REQ never gets stuck. After zmsg_recv fails with EAGAIN
// (RCVTIMEO ran out, or DONTWAIT), the request stays pending: the caller
// may wait again, or send a new request, which abandons the old one. With
// ZMSG_REQ_RESEND_IVL the REQ itself resends a pending request to the next
// peer when no reply came within the interval or its peer's connection
// dropped. ZMSG_REQ_CORRELATE prefixes requests with an id so that a late
// reply to an abandoned request is never taken for the current one.

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/socket.h"
#include "pattern/fq.h"
#include "pattern/lb.h"
#include "pattern/pattern.h"

#define REQ_KEEP_MAX 64 // parts of a request kept for resending

typedef struct req {
    zmi_socket_t *socket;        // for its options
    zmi_lb_t lb;                 // requests out
    zmi_fq_t fq;                 // replies in
    zmi_pipe_t *reply_pipe;      // the peer that was asked, or NULL
    uint32_t request_id;         // with REQ_CORRELATE
    bool receiving_reply;        // a request is pending
    bool in_request;             // request parts are being sent
    bool in_reply;               // reply body parts are being read
    bool may_abandon;            // a recv gave up: a new send is allowed
    zmi_msg_t keep[REQ_KEEP_MAX]; // the pending request, for resends
    int nkeep;
    bool keep_all;               // every part fit in keep
    int64_t resend_at;           // when to resend (-1: no timer)
    bool resend_now;             // its peer's connection dropped
} req_t;

static int
req_init(void *st, zmi_socket_t *s)
{
    req_t *r = st;
    r->socket = s;
    zmi_lb_init(&r->lb, 0);
    zmi_fq_init(&r->fq, 1);
    // Ids start at a random point, as in libzmq, so that two REQs behind
    // one proxy rarely collide.
    r->request_id = (uint32_t) rand();
    r->resend_at = -1;
    return 0;
}

static void
req_drop_kept(req_t *r)
{
    for (int i = 0; i < r->nkeep; i++)
        zmi_msg_close(&r->keep[i]);
    r->nkeep = 0;
}

static void
req_fini(void *st)
{
    req_t *r = st;
    req_drop_kept(r);
    zmi_lb_fini(&r->lb);
    zmi_fq_fini(&r->fq);
}

static void
req_attach(void *st, zmi_pipe_t *p)
{
    req_t *r = st;
    if (zmi_lb_attach(&r->lb, p) == 0 && zmi_fq_attach(&r->fq, p) != 0)
        zmi_lb_detach(&r->lb, p);
}

static void
req_detach(void *st, zmi_pipe_t *p)
{
    req_t *r = st;
    if (p->index[0] >= 0)
        zmi_lb_detach(&r->lb, p);
    if (p->index[1] >= 0)
        zmi_fq_detach(&r->fq, p);
    if (r->reply_pipe == p) {
        r->reply_pipe = NULL;
        r->resend_now = r->receiving_reply;
    }
}

static void
req_hiccuped(void *st, zmi_pipe_t *p)
{
    req_t *r = st;
    // The request may have died with the connection.
    if (r->reply_pipe == p && r->receiving_reply)
        r->resend_now = true;
}

static void
req_read_activated(void *st, zmi_pipe_t *p)
{
    zmi_fq_activated(&((req_t *) st)->fq, p);
}

static void
req_write_activated(void *st, zmi_pipe_t *p)
{
    zmi_lb_activated(&((req_t *) st)->lb, p);
}

// Sends one part through lb, remembering the pipe it went to.
static int
req_send_part(req_t *r, zmi_msg_t *part)
{
    zmi_pipe_t *used = NULL;
    int rc = zmi_lb_send(&r->lb, part, &used);
    if (rc == 0 && used != NULL)
        r->reply_pipe = used;
    return rc;
}

// Sends the request id (with CORRELATE) and the delimiter that open every
// request. lb has room (checked by the caller), so these can't fail.
static void
req_send_envelope(req_t *r)
{
    zmi_msg_t part;
    if (r->socket->opts.req_correlate) {
        zmi_msg_init_size(&part, sizeof(r->request_id));
        memcpy(zmi_msg_data(&part), &r->request_id, sizeof(r->request_id));
        zmi_msg_set_more(&part, true);
        req_send_part(r, &part);
    }
    zmi_msg_init(&part);
    zmi_msg_set_more(&part, true);
    req_send_part(r, &part);
}

// Keeps a copy of a request part for resending.
static void
req_keep(req_t *r, zmi_msg_t *part)
{
    if (r->socket->opts.req_resend_ivl <= 0)
        return;
    if (r->nkeep == REQ_KEEP_MAX || zmi_msg_copy(&r->keep[r->nkeep], part) != 0) {
        r->keep_all = false; // too big to keep: no resends for this one
        return;
    }
    r->nkeep++;
}

static void
req_arm_resend(req_t *r)
{
    int ivl = r->socket->opts.req_resend_ivl;
    r->resend_at = ivl > 0 && r->keep_all ? zmi_clock_ms() + ivl : -1;
    r->resend_now = false;
}

static int
req_send(void *st, zmi_msg_t *msg)
{
    req_t *r = st;
    if (r->receiving_reply) {
        if (!r->socket->opts.req_relaxed && !r->may_abandon)
            return -ZMSG_EFSM;
        // Abandon the pending request; its reply, if any, is dropped.
        r->receiving_reply = false;
        r->in_reply = false;
        r->reply_pipe = NULL;
        req_drop_kept(r);
        r->resend_at = -1;
    }
    if (!r->in_request) {
        if (!zmi_lb_has_out(&r->lb))
            return -EAGAIN;
        r->request_id++;
        req_drop_kept(r);
        r->keep_all = true;
        req_send_envelope(r);
        r->in_request = true;
    }
    bool more = zmi_msg_more(msg);
    req_keep(r, msg);
    int rc = req_send_part(r, msg);
    if (rc != 0)
        return rc; // NB: lb never refuses the middle of a message
    if (!more) {
        r->in_request = false;
        r->receiving_reply = true;
        r->may_abandon = false;
        req_arm_resend(r);
    }
    return 0;
}

// Sends the kept copy of the pending request to the next peer.
static void
req_resend(req_t *r)
{
    r->resend_at = -1;
    r->resend_now = false;
    if (r->nkeep == 0 || !zmi_lb_has_out(&r->lb)) {
        // Nowhere to send it yet: try again after another interval.
        req_arm_resend(r);
        return;
    }
    req_send_envelope(r);
    for (int i = 0; i < r->nkeep; i++) {
        zmi_msg_t part;
        zmi_msg_init(&part);
        zmi_msg_copy(&part, &r->keep[i]);
        req_send_part(r, &part);
    }
    req_arm_resend(r);
}

// Reads and drops the rest of a reply that is not ours.
static void
req_skip_rest(req_t *r)
{
    zmi_msg_t part;
    while (r->fq.more && zmi_fq_recv(&r->fq, &part, NULL) == 0)
        zmi_msg_close(&part);
}

// Reads up to the first body part of a reply from the peer that was
// asked, dropping anything else. 0 with the part in msg, or -EAGAIN.
static int
req_recv_first(req_t *r, zmi_msg_t *msg)
{
    for (;;) {
        zmi_pipe_t *from;
        int rc = zmi_fq_recv(&r->fq, msg, &from);
        if (rc != 0)
            return rc;
        bool ok = from == r->reply_pipe && zmi_msg_more(msg);
        if (ok && r->socket->opts.req_correlate) {
            ok = zmi_msg_size(msg) == sizeof(r->request_id) &&
                 memcmp(zmi_msg_data(msg), &r->request_id,
                        sizeof(r->request_id)) == 0;
            if (ok) {
                zmi_msg_close(msg);
                rc = zmi_fq_recv(&r->fq, msg, NULL);
                ok = rc == 0 && zmi_msg_more(msg);
            }
        }
        // Then the empty delimiter, then the body.
        if (ok && zmi_msg_size(msg) == 0) {
            zmi_msg_close(msg);
            return zmi_fq_recv(&r->fq, msg, NULL);
        }
        zmi_msg_close(msg);
        req_skip_rest(r);
    }
}

// Resends the pending request if its peer dropped or its interval ran
// out. Runs from recv and from has_in, so that a client that waits in
// zmsg_poll (or on ZMSG_FD, then reads ZMSG_EVENTS) gets its resends too.
static void
req_resend_if_due(req_t *r)
{
    if (r->receiving_reply && !r->in_reply &&
        (r->resend_now ||
         (r->resend_at >= 0 && zmi_clock_ms() >= r->resend_at)))
        req_resend(r);
}

static int
req_recv(void *st, zmi_msg_t *msg)
{
    req_t *r = st;
    if (!r->receiving_reply)
        return -ZMSG_EFSM;
    req_resend_if_due(r);
    int rc = r->in_reply ? zmi_fq_recv(&r->fq, msg, NULL)
                         : req_recv_first(r, msg);
    if (rc == -EAGAIN) {
        r->may_abandon = true;
        return rc;
    }
    if (rc != 0)
        return rc;
    r->in_reply = zmi_msg_more(msg);
    if (!r->in_reply) {
        r->receiving_reply = false;
        r->reply_pipe = NULL;
        r->resend_at = -1;
        req_drop_kept(r);
    }
    return 0;
}

static int
req_timeout(void *st)
{
    req_t *r = st;
    if (!r->receiving_reply || r->in_reply)
        return -1;
    if (r->resend_now)
        return 0;
    if (r->resend_at < 0)
        return -1;
    int64_t left = r->resend_at - zmi_clock_ms();
    return left > 0 ? (int) left : 0;
}

static bool
req_has_in(void *st)
{
    req_t *r = st;
    req_resend_if_due(r);
    return r->receiving_reply && zmi_fq_has_in(&r->fq);
}

static bool
req_has_out(void *st)
{
    req_t *r = st;
    if (r->receiving_reply && !r->socket->opts.req_relaxed)
        return false;
    return zmi_lb_has_out(&r->lb);
}

const zmi_pattern_ops_t zmi_req_ops = {
    .type = ZMSG_REQ,
    .state_size = sizeof(req_t),
    .init = req_init,
    .fini = req_fini,
    .attach = req_attach,
    .detach = req_detach,
    .read_activated = req_read_activated,
    .write_activated = req_write_activated,
    .send = req_send,
    .recv = req_recv,
    .has_in = req_has_in,
    .has_out = req_has_out,
    .hiccuped = req_hiccuped,
    .timeout = req_timeout,
};
