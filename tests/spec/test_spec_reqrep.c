// RFC 28 (REQ/REP) over tcp: the envelope, strict alternation, round-robin
// and fair-queueing, replies routed to their requester, malformed envelopes,
// and a REQ that recovers when its REP dies mid-request (RCVTIMEO, relaxed
// mode, and zmsg's resend option).

#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// A REP bound on an ephemeral port, with its endpoint.
static void *
bound_rep(void *ctx, char *ep, size_t cap)
{
    void *rep = zt_socket(ctx, ZMSG_REP);
    zt_bind(rep, ep, cap);
    return rep;
}

static void
test_roundtrip(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    for (int i = 0; i < 3; i++) {
        zt_send_str(req, "Hello", 0);
        zt_recv_str(rep, "Hello", 0);
        zt_send_str(rep, "World", 0);
        zt_recv_str(req, "World", 0);
    }
    zmsg_close(req);
    zmsg_close(rep);
}

// RFC 28: REQ "SHALL ... send and then receive", REP "receive and then
// send"; anything else is ZMSG_EFSM.
static void
test_out_of_order_calls_are_efsm(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    char buf[16];
    assert_int_equal(zmsg_recv(req, buf, sizeof(buf), 0), -1);
    assert_int_equal(zmsg_errno(), ZMSG_EFSM);
    assert_int_equal(zmsg_send(rep, "x", 1, 0), -1);
    assert_int_equal(zmsg_errno(), ZMSG_EFSM);
    zt_send_str(req, "one", 0);
    assert_int_equal(zmsg_send(req, "two", 3, 0), -1);
    assert_int_equal(zmsg_errno(), ZMSG_EFSM);
    zt_recv_str(rep, "one", 0);
    assert_int_equal(zmsg_recv(rep, buf, sizeof(buf), 0), -1);
    assert_int_equal(zmsg_errno(), ZMSG_EFSM);
    zt_send_str(rep, "reply", 0);
    zt_recv_str(req, "reply", 0);
    zmsg_close(req);
    zmsg_close(rep);
}

// RFC 28: REQ "SHALL route outgoing messages to connected peers using a
// round-robin strategy".
static void
test_req_round_robins_over_three_reps(void **state)
{
    void *ctx = *state;
    char ep[3][256];
    void *rep[3];
    void *req = zt_socket(ctx, ZMSG_REQ);
    for (int i = 0; i < 3; i++) {
        rep[i] = bound_rep(ctx, ep[i], sizeof(ep[i]));
        assert_int_equal(zmsg_connect(req, ep[i]), 0);
    }
    // Connecting pipes exist at once, in connect order.
    for (int round = 0; round < 6; round++) {
        int k = round % 3;
        char msg[16];
        snprintf(msg, sizeof(msg), "req%d", round);
        zt_send_str(req, msg, 0);
        zt_recv_str(rep[k], msg, 0);
        snprintf(msg, sizeof(msg), "rep%d", k);
        zt_send_str(rep[k], msg, 0);
        zt_recv_str(req, msg, 0);
    }
    for (int i = 0; i < 3; i++)
        zmsg_close(rep[i]);
    zmsg_close(req);
}

// RFC 28: REP fair-queues requests and routes each reply to the requester
// that sent the request.
static void
test_three_clients_get_their_own_replies(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req[3];
    char msg[64];
    for (int i = 0; i < 3; i++) {
        req[i] = zt_socket(ctx, ZMSG_REQ);
        assert_int_equal(zmsg_connect(req[i], ep), 0);
        snprintf(msg, sizeof(msg), "client%d", i);
        zt_send_str(req[i], msg, 0);
    }
    for (int i = 0; i < 3; i++) {
        char buf[32];
        int n = zmsg_recv(rep, buf, sizeof(buf) - 1, 0);
        assert_true(n > 0);
        buf[n] = '\0';
        snprintf(msg, sizeof(msg), "reply-to-%s", buf);
        zt_send_str(rep, msg, 0);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(msg, sizeof(msg), "reply-to-client%d", i);
        zt_recv_str(req[i], msg, 0);
        zmsg_close(req[i]);
    }
    zmsg_close(rep);
}

static void
test_multipart_request_and_reply(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "a", ZMSG_SNDMORE);
    zt_send_str(req, "", ZMSG_SNDMORE); // an empty body part is just data
    zt_send_str(req, "c", 0);
    zt_recv_str(rep, "a", 1);
    zt_recv_str(rep, "", 1);
    zt_recv_str(rep, "c", 0);
    zt_send_str(rep, "x", ZMSG_SNDMORE);
    zt_send_str(rep, "y", 0);
    zt_recv_str(req, "x", 1);
    zt_recv_str(req, "y", 0);
    zmsg_close(req);
    zmsg_close(rep);
}

static void
test_empty_and_large_messages(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    size_t sizes[] = { 0, 1 << 20 };
    for (int i = 0; i < 2; i++) {
        size_t n = sizes[i];
        char *out = malloc(n + 1), *in = malloc(n + 1);
        for (size_t k = 0; k < n; k++)
            out[k] = (char) (k * 13);
        assert_int_equal(zmsg_send(req, out, n, 0), (int) n);
        assert_int_equal(zmsg_recv(rep, in, n + 1, 0), (int) n);
        assert_memory_equal(in, out, n);
        assert_int_equal(zmsg_send(rep, in, n, 0), (int) n);
        memset(in, 0, n + 1);
        assert_int_equal(zmsg_recv(req, in, n + 1, 0), (int) n);
        assert_memory_equal(in, out, n);
        free(out);
        free(in);
    }
    zmsg_close(req);
    zmsg_close(rep);
}

// A REP in its own context, so that "killing" it closes its connections.
typedef struct peer {
    void *ctx;
    void *sock;
} peer_t;

static peer_t
peer_rep_at(const char *ep)
{
    peer_t p = { zmsg_ctx_new(), NULL };
    p.sock = zt_socket(p.ctx, ZMSG_REP);
    assert_int_equal(zmsg_bind(p.sock, ep), 0);
    return p;
}

static void
peer_kill(peer_t *p)
{
    zt_setint(p->sock, ZMSG_LINGER, 0);
    zmsg_close(p->sock);
    assert_int_equal(zmsg_ctx_term(p->ctx), 0);
}

// Takes an ephemeral endpoint that a REP can later bind again.
static void
free_endpoint(char *ep, size_t cap)
{
    int fd;
    zt_unbound_endpoint(ep, cap, &fd);
    zt_release_endpoint(fd);
}

// No stuck REQ: after RCVTIMEO runs out the REQ may send a new request,
// which a restarted REP answers.
static void
test_req_recovers_through_rcvtimeo(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    void *ctx = *state;
    char ep[64];
    free_endpoint(ep, sizeof(ep));
    peer_t rep = peer_rep_at(ep);
    void *req = zt_socket(ctx, ZMSG_REQ);
    zt_setint(req, ZMSG_RECONNECT_IVL, 10);
    zt_setint(req, ZMSG_RCVTIMEO, 200);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "r1", 0);
    zt_recv_str(rep.sock, "r1", 0);
    uint64_t hiccups = zt_hiccups(req);
    peer_kill(&rep); // dies without replying
    char buf[16];
    assert_int_equal(zmsg_recv(req, buf, sizeof(buf), 0), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    // Still pending: another recv waits again rather than failing EFSM.
    assert_int_equal(zmsg_recv(req, buf, sizeof(buf), ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    rep = peer_rep_at(ep);
    // NB: a request written before the loss was noticed goes down with
    // the old connection (and would need a resend): send after it.
    zt_wait_hiccup(req, hiccups);
    zt_send_str(req, "r2", 0); // abandons r1
    zt_recv_str(rep.sock, "r2", 0);
    zt_send_str(rep.sock, "ok2", 0);
    zt_setint(req, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    zt_recv_str(req, "ok2", 0);
    peer_kill(&rep);
    zmsg_close(req);
}

// REQ_RELAXED: a new request may go out at once; with REQ_CORRELATE a late
// reply to the old one could never be mistaken for the new one's.
static void
test_req_recovers_in_relaxed_mode(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    void *ctx = *state;
    char ep[64];
    free_endpoint(ep, sizeof(ep));
    peer_t rep = peer_rep_at(ep);
    void *req = zt_socket(ctx, ZMSG_REQ);
    zt_setint(req, ZMSG_REQ_RELAXED, 1);
    zt_setint(req, ZMSG_REQ_CORRELATE, 1);
    zt_setint(req, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "r1", 0);
    zt_recv_str(rep.sock, "r1", 0);
    uint64_t hiccups = zt_hiccups(req);
    peer_kill(&rep);
    rep = peer_rep_at(ep);
    zt_wait_hiccup(req, hiccups); // as above
    zt_send_str(req, "r2", 0);
    zt_recv_str(rep.sock, "r2", 0);
    zt_send_str(rep.sock, "ok2", 0);
    zt_recv_str(req, "ok2", 0);
    peer_kill(&rep);
    zmsg_close(req);
}

// REQ_CORRELATE drops a reply that carries an old request id.
static void
test_correlate_drops_stale_reply(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req = zt_socket(ctx, ZMSG_REQ);
    zt_setint(req, ZMSG_REQ_RELAXED, 1);
    zt_setint(req, ZMSG_REQ_CORRELATE, 1);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "old", 0);
    zt_send_str(req, "new", 0); // abandons "old"; same peer
    zt_recv_str(rep, "old", 0);
    zt_send_str(rep, "stale", 0);
    zt_recv_str(rep, "new", 0);
    zt_send_str(rep, "fresh", 0);
    zt_recv_str(req, "fresh", 0);
    zmsg_close(req);
    zmsg_close(rep);
}

// A REQ waiting for its reply on another thread, as a client would: the
// resend logic runs inside that zmsg_recv.
typedef struct waiter {
    pthread_t thread;
    void *req;
    char reply[64];
    int rc;
} waiter_t;

static void *
waiter_main(void *arg)
{
    waiter_t *w = arg;
    w->rc = zmsg_recv(w->req, w->reply, sizeof(w->reply) - 1, 0);
    if (w->rc >= 0)
        w->reply[w->rc] = '\0';
    return NULL;
}

// The same, but waiting in zmsg_poll first, as an event loop would.
static void *
waiter_poll_main(void *arg)
{
    waiter_t *w = arg;
    zmsg_pollitem_t item = { w->req, -1, ZMSG_POLLIN, 0 };
    if (zmsg_poll(&item, 1, ZT_TIMEOUT_MS) != 1)
        return NULL;
    w->rc = zmsg_recv(w->req, w->reply, sizeof(w->reply) - 1, ZMSG_DONTWAIT);
    if (w->rc >= 0)
        w->reply[w->rc] = '\0';
    return NULL;
}

static void
waiter_start_poll(waiter_t *w, void *req)
{
    w->req = req;
    w->rc = -1;
    assert_int_equal(pthread_create(&w->thread, NULL, waiter_poll_main, w),
                     0);
}

static void
waiter_start(waiter_t *w, void *req)
{
    w->req = req;
    w->rc = -1;
    assert_int_equal(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

static void
waiter_expect(waiter_t *w, const char *reply)
{
    pthread_join(w->thread, NULL);
    assert_int_equal(w->rc, (int) strlen(reply));
    assert_string_equal(w->reply, reply);
}

// ZMSG_REQ_RESEND_IVL: the REP that got the request dies; the REQ resends
// it to the other REP without the caller doing anything; the dead one is
// restarted and served again afterwards.
static void
test_req_resends_when_peer_dies(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    void *ctx = *state;
    char ep1[64], ep2[256];
    free_endpoint(ep1, sizeof(ep1));
    peer_t rep1 = peer_rep_at(ep1);
    void *rep2 = bound_rep(ctx, ep2, sizeof(ep2));
    void *req = zt_socket(ctx, ZMSG_REQ);
    zt_setint(req, ZMSG_REQ_RESEND_IVL, 5000);
    zt_setint(req, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(req, ep1), 0);
    assert_int_equal(zmsg_connect(req, ep2), 0);
    zt_send_str(req, "job", 0);
    zt_recv_str(rep1.sock, "job", 0);
    waiter_t w;
    waiter_start(&w, req);
    int64_t t0 = zt_now_ms();
    peer_kill(&rep1);
    // The drop is noticed at once (well before the 5 s interval).
    zt_recv_str(rep2, "job", 0);
    assert_true(zt_now_ms() - t0 < 5000);
    zt_send_str(rep2, "done", 0);
    waiter_expect(&w, "done");
    rep1 = peer_rep_at(ep1);
    for (int i = 0; i < 2; i++) {
        zt_send_str(req, "next", 0);
        char buf[16];
        // Whichever REP gets it answers.
        zmsg_pollitem_t items[2] = { { rep1.sock, 0, ZMSG_POLLIN, 0 },
                                     { rep2, 0, ZMSG_POLLIN, 0 } };
        assert_true(zmsg_poll(items, 2, ZT_TIMEOUT_MS) > 0);
        void *who = items[0].revents ? rep1.sock : rep2;
        assert_int_equal(zmsg_recv(who, buf, sizeof(buf), 0), 4);
        zt_send_str(who, "ok", 0);
        zt_recv_str(req, "ok", 0);
    }
    peer_kill(&rep1);
    zmsg_close(rep2);
    zmsg_close(req);
}

// A REQ with REQ_RESEND_IVL 100 connected to two REPs sends "job"; the
// first REP takes it and never answers, so after the interval the job goes
// to the second, whose "done" the REQ's waiter (blocked in zmsg_recv, or
// in zmsg_poll when in_poll) must get.
static void
resend_to_second_rep(void *ctx, bool in_poll)
{
    char ep1[256], ep2[256];
    void *rep1 = bound_rep(ctx, ep1, sizeof(ep1));
    void *rep2 = bound_rep(ctx, ep2, sizeof(ep2));
    void *req = zt_socket(ctx, ZMSG_REQ);
    zt_setint(req, ZMSG_REQ_RESEND_IVL, 100);
    assert_int_equal(zmsg_connect(req, ep1), 0);
    assert_int_equal(zmsg_connect(req, ep2), 0);
    int64_t t0 = zt_now_ms();
    zt_send_str(req, "job", 0);
    waiter_t w;
    if (in_poll)
        waiter_start_poll(&w, req);
    else
        waiter_start(&w, req);
    zt_recv_str(rep1, "job", 0); // and never answers
    zt_recv_str(rep2, "job", 0);
    if (!in_poll)
        assert_true(zt_now_ms() - t0 >= 90);
    zt_send_str(rep2, "done", 0);
    waiter_expect(&w, "done");
    zmsg_close(rep1);
    zmsg_close(rep2);
    zmsg_close(req);
}

// ZMSG_REQ_RESEND_IVL: a REP that takes the request and never answers is
// given up on after the interval.
static void
test_req_resends_after_interval(void **state)
{
    resend_to_second_rep(*state, false);
}

// The resend also happens while the caller waits in zmsg_poll: the poll
// wakes for the REQ's timer and runs it.
static void
test_req_resends_while_waiting_in_poll(void **state)
{
    resend_to_second_rep(*state, true);
}

// A REP whose requester vanished mid-request: the reply disappears
// without error and the next requester is served normally.
static void
test_rep_serves_next_after_requester_leaves(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *ctx2 = zmsg_ctx_new();
    void *gone = zt_socket(ctx2, ZMSG_REQ);
    assert_int_equal(zmsg_connect(gone, ep), 0);
    zt_send_str(gone, "from-gone", 0);
    zt_recv_str(rep, "from-gone", 0);
    zt_setint(gone, ZMSG_LINGER, 0);
    zmsg_close(gone);
    assert_int_equal(zmsg_ctx_term(ctx2), 0);
    zt_send_str(rep, "lost", 0); // vanishes, no error
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "next", 0);
    zt_recv_str(rep, "next", 0);
    zt_send_str(rep, "served", 0);
    zt_recv_str(req, "served", 0);
    zmsg_close(req);
    zmsg_close(rep);
}

// A request without a delimiter is dropped; the REP's state machine is
// untouched and the next well-formed request from the same peer is served,
// its reply carrying the delimiter back.
static void
test_rep_drops_request_without_envelope(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    int fd = zt_raw_connect(atoi(strrchr(ep, ':') + 1));
    zt_raw_handshake(fd, "REQ");
    zt_raw_read_handshake(fd);
    zt_raw_send_frame(fd, "no-delimiter", 0);
    zt_raw_send_frame(fd, "", 1);
    zt_raw_send_frame(fd, "good", 0);
    zt_recv_str(rep, "good", 0);
    zt_send_str(rep, "answer", 0);
    char buf[64];
    int flags;
    assert_int_equal(zt_raw_recv_frame(fd, buf, sizeof(buf), &flags), 0);
    assert_int_equal(flags, 0x01);
    assert_int_equal(zt_raw_recv_frame(fd, buf, sizeof(buf), &flags), 6);
    assert_int_equal(flags, 0x00);
    assert_string_equal(buf, "answer");
    close(fd);
    zmsg_close(rep);
}

// A reply without an envelope is dropped; the REQ keeps waiting and takes
// the well-formed reply that follows.
static void
test_req_drops_reply_without_envelope(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    char ep[64];
    int lfd = zt_raw_listen(ep, sizeof(ep));
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "question", 0);
    int fd = zt_raw_accept(lfd);
    zt_raw_handshake(fd, "REP");
    zt_raw_read_handshake(fd);
    char buf[64];
    int flags;
    assert_int_equal(zt_raw_recv_frame(fd, buf, sizeof(buf), &flags), 0);
    assert_int_equal(zt_raw_recv_frame(fd, buf, sizeof(buf), &flags), 8);
    assert_string_equal(buf, "question");
    zt_raw_send_frame(fd, "bogus", 0);        // no envelope at all
    zt_raw_send_frame(fd, "x", 1);            // not a delimiter
    zt_raw_send_frame(fd, "y", 0);
    zt_raw_send_frame(fd, "", 1);             // well-formed
    zt_raw_send_frame(fd, "real", 0);
    zt_recv_str(req, "real", 0);
    close(fd);
    close(lfd);
    zmsg_close(req);
}

// A REP fair-queues its requesters: with two requests waiting from each
// of two (relaxed) REQs, the first two it serves come one from each.
static void
test_rep_fair_queues_requesters(void **state)
{
    void *ctx = *state;
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    void *req[2];
    for (int i = 0; i < 2; i++) {
        req[i] = zt_socket(ctx, ZMSG_REQ);
        zt_setint(req[i], ZMSG_REQ_RELAXED, 1);
        assert_int_equal(zmsg_connect(req[i], ep), 0);
        zt_send_str(req[i], i == 0 ? "A" : "B", 0);
        zt_send_str(req[i], i == 0 ? "A" : "B", 0);
    }
    zt_wait_readable(rep, 2);
    char got[2][4] = { "", "" };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(zmsg_recv(rep, got[i], sizeof(got[i]) - 1, 0), 1);
        zt_send_str(rep, got[i], 0);
    }
    assert_true(got[0][0] != got[1][0]);
    zmsg_close(req[0]);
    zmsg_close(req[1]);
    zmsg_close(rep);
}

// A reply from a peer that was not asked is dropped; the asked peer's
// reply is the one received.
static void
test_req_drops_reply_from_peer_not_asked(void **state)
{
    ZT_TCP_ONLY(); // raw peers on the wire
    void *ctx = *state;
    char ep[2][64];
    int lfd[2], fd[2];
    void *req = zt_socket(ctx, ZMSG_REQ);
    for (int i = 0; i < 2; i++) {
        lfd[i] = zt_raw_listen(ep[i], sizeof(ep[i]));
        assert_int_equal(zmsg_connect(req, ep[i]), 0);
        fd[i] = zt_raw_accept(lfd[i]);
        zt_raw_handshake(fd[i], "REP");
        zt_raw_read_handshake(fd[i]);
    }
    zt_wait_pipes(req, 2);
    zt_send_str(req, "question", 0);
    // Which peer got it?
    struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
    assert_int_equal(poll(p, 2, ZT_TIMEOUT_MS) > 0, 1);
    int asked = (p[0].revents & POLLIN) ? 0 : 1;
    char buf[64];
    int flags;
    assert_int_equal(zt_raw_recv_frame(fd[asked], buf, sizeof(buf), &flags),
                     0);
    assert_int_equal(zt_raw_recv_frame(fd[asked], buf, sizeof(buf), &flags),
                     8);
    // The other one answers first, well-formed: dropped.
    zt_raw_send_frame(fd[1 - asked], "", 1);
    zt_raw_send_frame(fd[1 - asked], "impostor", 0);
    zt_wait_readable(req, 1);
    assert_int_equal(zmsg_recv(req, buf, sizeof(buf), ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    zt_raw_send_frame(fd[asked], "", 1);
    zt_raw_send_frame(fd[asked], "genuine", 0);
    zt_recv_str(req, "genuine", 0);
    for (int i = 0; i < 2; i++) {
        close(fd[i]);
        close(lfd[i]);
    }
    zmsg_close(req);
}

// With no peer at all a request has nowhere to go: EAGAIN at once with
// DONTWAIT, and after SNDTIMEO otherwise.
static void
test_req_without_peer_cannot_send(void **state)
{
    void *ctx = *state;
    void *req = zt_socket(ctx, ZMSG_REQ);
    assert_int_equal(zmsg_send(req, "x", 1, ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    zt_setint(req, ZMSG_SNDTIMEO, 50);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_send(req, "x", 1, 0), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    assert_true(zt_now_ms() - t0 >= 45);
    // Still a fresh REQ: a peer makes it work.
    char ep[256];
    void *rep = bound_rep(ctx, ep, sizeof(ep));
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_setint(req, ZMSG_SNDTIMEO, ZT_TIMEOUT_MS);
    zt_send_str(req, "x", 0);
    zt_recv_str(rep, "x", 0);
    zmsg_close(rep);
    zmsg_close(req);
}

int
main(void)
{
#define T(name) ZT_CTX_TEST(name)
    const struct CMUnitTest tests[] = {
        T(test_roundtrip),
        T(test_out_of_order_calls_are_efsm),
        T(test_req_round_robins_over_three_reps),
        T(test_three_clients_get_their_own_replies),
        T(test_multipart_request_and_reply),
        T(test_empty_and_large_messages),
        T(test_req_recovers_through_rcvtimeo),
        T(test_req_recovers_in_relaxed_mode),
        T(test_correlate_drops_stale_reply),
        T(test_req_resends_when_peer_dies),
        T(test_req_resends_after_interval),
        T(test_req_resends_while_waiting_in_poll),
        T(test_rep_serves_next_after_requester_leaves),
        T(test_rep_drops_request_without_envelope),
        T(test_req_drops_reply_without_envelope),
        T(test_req_drops_reply_from_peer_not_asked),
        T(test_rep_fair_queues_requesters),
        T(test_req_without_peer_cannot_send),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
