// RFC 30 (PUSH/PULL) over tcp: round-robin, fair-queueing, the high-water
// mark, multipart atomicity, message sizes, connect before bind,
// reconnection and linger. Each case is named after what the RFC (or
// libzmq's behaviour) requires.

#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_roundtrip(void **state)
{
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "hello", 0);
    zt_recv_str(pull, "hello", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// RFC 30: PUSH "SHALL route outgoing messages to connected peers using a
// round-robin strategy".
static void
test_push_round_robins_over_three_pulls(void **state)
{
    void *ctx = *state;
    void *push = zt_socket(ctx, ZMSG_PUSH);
    char ep[256];
    zt_bind(push, ep, sizeof(ep));
    void *pulls[3];
    for (int i = 0; i < 3; i++) {
        pulls[i] = zt_socket(ctx, ZMSG_PULL);
        assert_int_equal(zmsg_connect(pulls[i], ep), 0);
    }
    zt_wait_pipes(push, 3);
    char msg[16];
    for (int i = 0; i < 30; i++) {
        snprintf(msg, sizeof(msg), "%d", i);
        zt_send_str(push, msg, 0);
    }
    // Whatever order the peers attached in, peer k gets k, k+3, k+6, ...
    int seen[3] = { -1, -1, -1 };
    for (int p = 0; p < 3; p++) {
        char buf[16];
        int n = zmsg_recv(pulls[p], buf, sizeof(buf) - 1, 0);
        assert_true(n > 0);
        buf[n] = '\0';
        int first = atoi(buf);
        assert_true(first >= 0 && first < 3);
        seen[first] = p;
        for (int k = first + 3; k < 30; k += 3) {
            snprintf(msg, sizeof(msg), "%d", k);
            zt_recv_str(pulls[p], msg, 0);
        }
        assert_int_equal(zmsg_recv(pulls[p], buf, sizeof(buf), ZMSG_DONTWAIT),
                         -1);
        assert_int_equal(zmsg_errno(), EAGAIN);
    }
    for (int k = 0; k < 3; k++)
        assert_true(seen[k] >= 0);
    for (int i = 0; i < 3; i++)
        zmsg_close(pulls[i]);
    zmsg_close(push);
}

// RFC 30: PULL "SHALL receive incoming messages from its peers using a
// fair-queuing strategy".
static void
test_pull_fair_queues_three_pushes(void **state)
{
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    void *push[3];
    for (int i = 0; i < 3; i++) {
        push[i] = zt_socket(ctx, ZMSG_PUSH);
        assert_int_equal(zmsg_connect(push[i], ep), 0);
    }
    char msg[16];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 10; k++) {
            snprintf(msg, sizeof(msg), "%c%d", 'A' + i, k);
            zt_send_str(push[i], msg, 0);
        }
    zt_wait_readable(pull, 3);
    // With every peer holding messages, three reads take one from each.
    int from[3] = { 0, 0, 0 };
    int next[3] = { 0, 0, 0 };
    for (int r = 0; r < 30; r++) {
        char buf[16];
        int n = zmsg_recv(pull, buf, sizeof(buf) - 1, 0);
        assert_int_equal(n, 2);
        buf[n] = '\0';
        int peer = buf[0] - 'A';
        assert_true(peer >= 0 && peer < 3);
        assert_int_equal(buf[1] - '0', next[peer]); // per-peer order kept
        next[peer]++;
        if (r < 3)
            from[peer]++;
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(from[i], 1);
        assert_int_equal(next[i], 10);
    }
    for (int i = 0; i < 3; i++)
        zmsg_close(push[i]);
    zmsg_close(pull);
}

// RFC 30: "SHALL NOT discard messages"; at the HWM a send blocks or, with
// DONTWAIT, fails with EAGAIN. With no peer at all, exactly SNDHWM
// messages queue (the queue exists from the connect on).
static void
test_push_queues_exactly_hwm_before_peer_exists(void **state)
{
    void *ctx = *state;
    char ep[64];
    int refuse_fd;
    zt_unbound_endpoint(ep, sizeof(ep), &refuse_fd);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_SNDHWM, 7);
    assert_int_equal(zmsg_connect(push, ep), 0);
    char msg[16];
    for (int i = 0; i < 7; i++) {
        snprintf(msg, sizeof(msg), "%d", i);
        zt_send_str(push, msg, ZMSG_DONTWAIT);
    }
    assert_int_equal(zmsg_send(push, "x", 1, ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    // A blocking send gives up after SNDTIMEO, still with EAGAIN.
    zt_setint(push, ZMSG_SNDTIMEO, 50);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_send(push, "x", 1, 0), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    assert_true(zt_now_ms() - t0 >= 45);
    // Now the peer appears on that port: the 7 queued messages arrive,
    // in order, and nothing else.
    zt_release_endpoint(refuse_fd);
    void *pull = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    for (int i = 0; i < 7; i++) {
        snprintf(msg, sizeof(msg), "%d", i);
        zt_recv_str(pull, msg, 0);
    }
    char buf[8];
    zt_setint(pull, ZMSG_RCVTIMEO, 100);
    assert_int_equal(zmsg_recv(pull, buf, sizeof(buf), 0), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    zmsg_close(push);
    zmsg_close(pull);
}

// A PULL that doesn't read makes the PUSH block once the PULL's queue, the
// kernel buffers and the PUSH's queue are full; after draining, exactly
// the messages that were accepted arrive.
static void
test_hwm_blocks_and_exact_count_after_drain(void **state)
{
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    zt_setint(pull, ZMSG_RCVHWM, 10);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_SNDHWM, 10);
    zt_setint(push, ZMSG_SNDTIMEO, 500);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "first", 0);
    zt_recv_str(pull, "first", 0); // connected
    static char body[1024];
    memset(body, 'h', sizeof(body));
    int sent = 0;
    // Each send either goes in or, once everything is full, times out.
    for (;;) {
        snprintf(body, 16, "%08d", sent);
        int rc = zmsg_send(push, body, sizeof(body), 0);
        if (rc < 0) {
            assert_int_equal(zmsg_errno(), EAGAIN);
            break;
        }
        sent++;
        assert_true(sent < 1000000);
    }
    // Over inproc one pipe holds both HWMs (20), less "first", whose
    // credit comes back only with the next half-HWM of reads.
    assert_true(sent >= (ZT_IS_INPROC ? 19 : 20));
    for (int i = 0; i < sent; i++) {
        char buf[1024];
        assert_int_equal(zmsg_recv(pull, buf, sizeof(buf), 0), 1024);
        char want[16];
        snprintf(want, sizeof(want), "%08d", i);
        assert_memory_equal(buf, want, 8);
    }
    char buf[8];
    zt_setint(pull, ZMSG_RCVTIMEO, 100);
    assert_int_equal(zmsg_recv(pull, buf, sizeof(buf), 0), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    // And the PUSH can send again.
    zt_send_str(push, "again", 0);
    zt_setint(pull, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    zt_recv_str(pull, "again", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

typedef struct multipart_sender {
    void *push;
    char tag;
} multipart_sender_t;

static void *
multipart_sender_main(void *arg)
{
    multipart_sender_t *m = arg;
    for (int i = 0; i < 200; i++) {
        char part[4] = { m->tag, '0', 0, 0 };
        for (int k = 0; k < 3; k++) {
            part[1] = (char) ('0' + k);
            if (zmsg_send(m->push, part, 2, k < 2 ? ZMSG_SNDMORE : 0) != 2)
                return (void *) 1;
        }
    }
    return NULL;
}

// A multipart message arrives whole, never interleaved with another
// peer's parts.
static void
test_multipart_is_atomic(void **state)
{
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    multipart_sender_t senders[2] = { { NULL, 'a' }, { NULL, 'b' } };
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        senders[i].push = zt_socket(ctx, ZMSG_PUSH);
        assert_int_equal(zmsg_connect(senders[i].push, ep), 0);
        assert_int_equal(pthread_create(&threads[i], NULL,
                                        multipart_sender_main, &senders[i]),
                         0);
    }
    for (int m = 0; m < 400; m++) {
        char first[4];
        assert_int_equal(zmsg_recv(pull, first, sizeof(first), 0), 2);
        assert_int_equal(first[1], '0');
        char p1[3] = { first[0], '1', 0 }, p2[3] = { first[0], '2', 0 };
        int more;
        size_t len = sizeof(more);
        assert_int_equal(zmsg_getsockopt(pull, ZMSG_RCVMORE, &more, &len), 0);
        assert_int_equal(more, 1);
        zt_recv_str(pull, p1, 1);
        zt_recv_str(pull, p2, 0);
    }
    for (int i = 0; i < 2; i++) {
        void *rc;
        pthread_join(threads[i], &rc);
        assert_null(rc);
        zmsg_close(senders[i].push);
    }
    zmsg_close(pull);
}

static void
check_size(void *push, void *pull, size_t size)
{
    unsigned char *out = malloc(size + 1), *in = malloc(size + 1);
    for (size_t i = 0; i < size; i++)
        out[i] = (unsigned char) (i * 7 + size);
    assert_int_equal(zmsg_send(push, out, size, 0), (int) size);
    zmsg_msg_t msg;
    zmsg_msg_init(&msg);
    assert_int_equal(zmsg_msg_recv(&msg, pull, 0), (int) size);
    assert_int_equal(zmsg_msg_size(&msg), size);
    if (size > 0)
        assert_memory_equal(zmsg_msg_data(&msg), out, size);
    zmsg_msg_close(&msg);
    free(out);
    free(in);
}

// Empty and large messages, and both sides of the 255/256 frame boundary.
static void
test_message_sizes(void **state)
{
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    size_t sizes[] = { 0, 1, 48, 49, 255, 256, 8191, 8192, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        check_size(push, pull, sizes[i]);
    zmsg_close(push);
    zmsg_close(pull);
}

// Big frames back to back, mixed with small ones and split into
// multipart messages: the sender queues many at once, so one write carries
// the end of one body and the start of the next (cut at the segment size
// on tcp), and the receiver reads each body in place with the next header
// alongside. Every part must arrive whole, in order, with its MORE flag.
static const size_t stream_sizes[] = {
    65536, 65536, 65483, 65484, 9, 100000, 49152, 300, 65536, 8192,
    1 << 20, 65545, 0, 70000, 131072, 1, 48 * 1024 + 1, 65536,
};
#define STREAM_PARTS (sizeof(stream_sizes) / sizeof(stream_sizes[0]))
#define STREAM_ROUNDS 12

static unsigned char
stream_byte(size_t round, size_t part, size_t i)
{
    return (unsigned char) (i * 131 + part * 17 + round * 7 + (i >> 12));
}

// Streams the parts from a PUSH to a PULL with the given RCVHWM (0: the
// default) and checks every one.
static void
big_frames_stream(void *ctx, int rcvhwm)
{
    void *pull = zt_socket(ctx, ZMSG_PULL);
    if (rcvhwm > 0)
        zt_setint(pull, ZMSG_RCVHWM, rcvhwm);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    // Parts 3k+2 end a message; the others carry MORE.
    for (size_t r = 0; r < STREAM_ROUNDS; r++)
        for (size_t p = 0; p < STREAM_PARTS; p++) {
            size_t n = stream_sizes[p];
            for (size_t i = 0; i < n; i++)
                buf[i] = stream_byte(r, p, i);
            int more = p % 3 != 2 && p + 1 < STREAM_PARTS ? ZMSG_SNDMORE : 0;
            assert_int_equal(zmsg_send(push, buf, n, more), (int) n);
        }
    for (size_t r = 0; r < STREAM_ROUNDS; r++)
        for (size_t p = 0; p < STREAM_PARTS; p++) {
            size_t n = stream_sizes[p];
            zmsg_msg_t msg;
            zmsg_msg_init(&msg);
            assert_int_equal(zmsg_msg_recv(&msg, pull, 0), (int) n);
            const unsigned char *d = zmsg_msg_data(&msg);
            for (size_t i = 0; i < n; i++)
                if (d[i] != stream_byte(r, p, i))
                    fail_msg("round %zu part %zu octet %zu differs", r, p, i);
            int more = p % 3 != 2 && p + 1 < STREAM_PARTS;
            assert_int_equal(zmsg_msg_more(&msg), more);
            zmsg_msg_close(&msg);
        }
    free(buf);
    zmsg_close(push);
    zmsg_close(pull);
}

static void
test_big_frames_back_to_back(void **state)
{
    big_frames_stream(*state, 0);
}

// The same with a receive queue of two messages: the engine stops reading
// in the middle of the stream again and again, with the next header
// already read, and must go on where it stopped.
static void
test_big_frames_with_a_full_receive_queue(void **state)
{
    big_frames_stream(*state, 2);
}

// After a send found the queues full, big parts are copied past the cache
// for a while (src/core/copy_cold.c); they must arrive exactly like any
// other. A PUSH with no peer yet is full at once.
static void
test_big_parts_after_a_full_queue(void **state)
{
    void *ctx = *state;
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_SNDHWM, 200);
    char ep[256];
    zt_bind(push, ep, sizeof(ep));
    assert_int_equal(zmsg_send(push, "x", 1, ZMSG_DONTWAIT), -1);
    assert_int_equal(zmsg_errno(), EAGAIN);
    void *pull = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_connect(pull, ep), 0);
    enum { PARTS = 40, SIZE = 65536 + 5 };
    unsigned char *buf = malloc(SIZE);
    assert_non_null(buf);
    for (size_t r = 0; r < PARTS; r++) {
        for (size_t i = 0; i < SIZE; i++)
            buf[i] = stream_byte(r, 1, i);
        // Odd sizes and offsets: the copy's unaligned head and tail.
        size_t n = SIZE - r % 7;
        assert_int_equal(zmsg_send(push, buf + r % 3, n - r % 3, 0),
                         (int) (n - r % 3));
    }
    for (size_t r = 0; r < PARTS; r++) {
        size_t n = SIZE - r % 7 - r % 3;
        zmsg_msg_t msg;
        zmsg_msg_init(&msg);
        assert_int_equal(zmsg_msg_recv(&msg, pull, 0), (int) n);
        const unsigned char *d = zmsg_msg_data(&msg);
        for (size_t i = 0; i < n; i++)
            if (d[i] != stream_byte(r, 1, i + r % 3))
                fail_msg("part %zu octet %zu differs", r, i);
        zmsg_msg_close(&msg);
    }
    free(buf);
    zmsg_close(push);
    zmsg_close(pull);
}

// zmsg_connect succeeds before anything listens, and messages sent then
// arrive once the peer binds.
static void
test_connect_before_bind(void **state)
{
    void *ctx = *state;
    char ep[64];
    int refuse_fd;
    zt_unbound_endpoint(ep, sizeof(ep), &refuse_fd);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "early", 0);
    zt_release_endpoint(refuse_fd);
    void *pull = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    zt_recv_str(pull, "early", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// The binding side goes away and comes back on the same endpoint: the
// connecting side reconnects on its own and delivers what it queued.
static void
test_reconnect_after_binder_restarts(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    void *ctx = *state;
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_RECONNECT_IVL, 10);
    zt_setint(push, ZMSG_RECONNECT_IVL_MAX, 100);
    void *ctx2 = zmsg_ctx_new();
    void *pull = zt_socket(ctx2, ZMSG_PULL);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "before", 0);
    zt_recv_str(pull, "before", 0);
    uint64_t hiccups = zt_hiccups(push);
    zmsg_close(pull);
    assert_int_equal(zmsg_ctx_term(ctx2), 0); // the listener is gone now
    // NB: what is written into a connection before its loss is noticed is
    // lost with it (as with any TCP peer); from the loss on, messages wait
    // in the queue for the next connection. Send once it was noticed.
    zt_wait_hiccup(push, hiccups);
    char msg[16];
    for (int i = 0; i < 5; i++) {
        snprintf(msg, sizeof(msg), "after%d", i);
        zt_send_str(push, msg, 0);
    }
    ctx2 = zmsg_ctx_new();
    pull = zt_socket(ctx2, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    for (int i = 0; i < 5; i++) {
        snprintf(msg, sizeof(msg), "after%d", i);
        zt_recv_str(pull, msg, 0);
    }
    zmsg_close(pull);
    assert_int_equal(zmsg_ctx_term(ctx2), 0);
    zmsg_close(push);
}

// LINGER > 0: messages still queued when the socket is closed are
// delivered after zmsg_close returns, and zmsg_ctx_term waits for that.
static void
test_linger_delivers_after_close(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind(pull, ep, sizeof(ep));
    void *ctx2 = zmsg_ctx_new();
    void *push = zt_socket(ctx2, ZMSG_PUSH);
    zt_setint(push, ZMSG_LINGER, 5000);
    assert_int_equal(zmsg_connect(push, ep), 0);
    static char body[4096];
    for (int i = 0; i < 200; i++) {
        snprintf(body, 16, "%08d", i);
        assert_int_equal(zmsg_send(push, body, sizeof(body), 0), 4096);
    }
    assert_int_equal(zmsg_close(push), 0);
    assert_int_equal(zmsg_ctx_term(ctx2), 0);
    for (int i = 0; i < 200; i++) {
        char buf[4096];
        assert_int_equal(zmsg_recv(pull, buf, sizeof(buf), 0), 4096);
        char want[16];
        snprintf(want, sizeof(want), "%08d", i);
        assert_memory_equal(buf, want, 8);
    }
    zmsg_close(pull);
}

// LINGER 0: queued messages to a peer that never appears are dropped at
// once and zmsg_ctx_term returns.
static void
test_linger_zero_drops_and_term_returns(void **state)
{
    (void) state;
    char ep[64];
    int refuse_fd;
    zt_unbound_endpoint(ep, sizeof(ep), &refuse_fd);
    void *ctx = zmsg_ctx_new();
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_LINGER, 0);
    assert_int_equal(zmsg_connect(push, ep), 0);
    for (int i = 0; i < 5; i++)
        zt_send_str(push, "lost", 0);
    assert_int_equal(zmsg_close(push), 0);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    // Had LINGER 0 been ignored, the default linger (1000 ms) would hold
    // term back at least that long.
    assert_true(zt_now_ms() - t0 < 1000);
    zt_release_endpoint(refuse_fd);
}

// LINGER > 0 towards a peer that never appears: zmsg_ctx_term returns
// once the linger has run out, not before and not never.
static void
test_linger_bounds_term_with_dead_peer(void **state)
{
    ZT_NOT_INPROC(); // its peer lives in another context
    (void) state;
    char ep[64];
    int refuse_fd;
    zt_unbound_endpoint(ep, sizeof(ep), &refuse_fd);
    void *ctx = zmsg_ctx_new();
    void *push = zt_socket(ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_LINGER, 200);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "lost", 0);
    int64_t t0 = zt_now_ms();
    assert_int_equal(zmsg_close(push), 0);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    assert_true(zt_now_ms() - t0 >= 190);
    zt_release_endpoint(refuse_fd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ZT_CTX_TEST(test_roundtrip),
        ZT_CTX_TEST(test_push_round_robins_over_three_pulls),
        ZT_CTX_TEST(test_pull_fair_queues_three_pushes),
        ZT_CTX_TEST(test_push_queues_exactly_hwm_before_peer_exists),
        ZT_CTX_TEST(test_hwm_blocks_and_exact_count_after_drain),
        ZT_CTX_TEST(test_multipart_is_atomic),
        ZT_CTX_TEST(test_message_sizes),
        ZT_CTX_TEST(test_big_frames_back_to_back),
        ZT_CTX_TEST(test_big_frames_with_a_full_receive_queue),
        ZT_CTX_TEST(test_big_parts_after_a_full_queue),
        ZT_CTX_TEST(test_connect_before_bind),
        ZT_CTX_TEST(test_reconnect_after_binder_restarts),
        ZT_CTX_TEST(test_linger_delivers_after_close),
        cmocka_unit_test(test_linger_zero_drops_and_term_returns),
        cmocka_unit_test(test_linger_bounds_term_with_dead_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
