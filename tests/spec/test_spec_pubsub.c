// RFC 29 (PUB/SUB) over tcp: prefix filtering done by the publisher,
// counted subscriptions, fan-out with one shared buffer, never blocking at
// the HWM (drops counted), subscriptions that survive a publisher restart,
// and subscription input a hostile subscriber can't abuse.

#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/socket.h"
#include "pattern/pattern.h"

static void
subscribe(void *sub, const char *topic)
{
    assert_int_equal(
        zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, topic, strlen(topic)), 0);
}

static void
unsubscribe(void *sub, const char *topic)
{
    assert_int_equal(
        zmsg_setsockopt(sub, ZMSG_UNSUBSCRIBE, topic, strlen(topic)), 0);
}

// Receives the messages in want, in order, then the "END" marker (the SUB
// must be subscribed to it): proves nothing else arrived in between.
static void
expect_sequence(void *sub, const char *const *want, int n)
{
    for (int i = 0; i < n; i++)
        zt_recv_str(sub, want[i], 0);
    zt_recv_str(sub, "END", 0);
}

static void
test_prefix_filtering(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *sub = zt_socket(ctx, ZMSG_SUB);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "A");
    subscribe(sub, "B");
    subscribe(sub, "END");
    zt_sync_pubsub(pub, sub);
    const char *sent[] = { "A1", "C1", "B1", "AB", "", "C2", "a1", "END" };
    for (int i = 0; i < 8; i++)
        zt_send_str(pub, sent[i], 0);
    const char *want[] = { "A1", "B1", "AB" };
    expect_sequence(sub, want, 3);
    zmsg_close(sub);
    zmsg_close(pub);
}

// RFC 29: subscriptions are counted; the empty one takes everything.
static void
test_counted_subscriptions_and_unsubscribe(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *sub = zt_socket(ctx, ZMSG_SUB);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "A");
    subscribe(sub, "A");
    subscribe(sub, "END");
    zt_sync_pubsub(pub, sub);
    unsubscribe(sub, "A"); // still subscribed once
    zt_sync_pubsub(pub, sub);
    zt_send_str(pub, "A1", 0);
    zt_send_str(pub, "END", 0);
    const char *one[] = { "A1" };
    expect_sequence(sub, one, 1);
    unsubscribe(sub, "A"); // now gone
    zt_sync_pubsub(pub, sub);
    zt_send_str(pub, "A2", 0);
    zt_send_str(pub, "END", 0);
    expect_sequence(sub, NULL, 0);
    // Unsubscribing what isn't there is harmless.
    unsubscribe(sub, "nothing");
    subscribe(sub, "");
    zt_sync_pubsub(pub, sub);
    zt_send_str(pub, "anything", 0);
    zt_recv_str(sub, "anything", 0);
    zmsg_close(sub);
    zmsg_close(pub);
}

static void
test_overlapping_prefixes_deliver_once(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *sub = zt_socket(ctx, ZMSG_SUB);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "A");
    subscribe(sub, "AB");
    subscribe(sub, "ABC");
    subscribe(sub, "END");
    zt_sync_pubsub(pub, sub);
    zt_send_str(pub, "ABCD", 0);
    zt_send_str(pub, "END", 0);
    const char *want[] = { "ABCD" };
    expect_sequence(sub, want, 1);
    zmsg_close(sub);
    zmsg_close(pub);
}

static void
test_sub_connected_to_two_pubs_gets_both(void **state)
{
    void *ctx = *state;
    void *pub[2];
    char ep[2][256];
    void *sub = zt_socket(ctx, ZMSG_SUB);
    subscribe(sub, "from");
    for (int i = 0; i < 2; i++) {
        pub[i] = zt_socket(ctx, ZMSG_PUB);
        zt_bind(pub[i], ep[i], sizeof(ep[i]));
        assert_int_equal(zmsg_connect(sub, ep[i]), 0);
        zt_sync_pubsub(pub[i], sub);
    }
    zt_send_str(pub[0], "from0", 0);
    zt_send_str(pub[1], "from1", 0);
    int seen[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        char buf[16];
        int n = zmsg_recv(sub, buf, sizeof(buf) - 1, 0);
        assert_int_equal(n, 5);
        buf[n] = '\0';
        assert_int_equal(strncmp(buf, "from", 4), 0);
        seen[buf[4] - '0']++;
    }
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    for (int i = 0; i < 2; i++)
        zmsg_close(pub[i]);
    zmsg_close(sub);
}

// RFC 29: a PUB "SHALL silently drop the message" for a subscriber at its
// HWM and never blocks; zmsg counts the drops, and sent == received +
// dropped exactly.
static void
test_stalled_subscriber_never_blocks_and_drops_are_counted(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    zt_setint(pub, ZMSG_SNDHWM, 10);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *sub = zt_socket(ctx, ZMSG_SUB);
    zt_setint(sub, ZMSG_RCVHWM, 10);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "m");
    zt_sync_pubsub(pub, sub);
    uint64_t base;
    size_t len = sizeof(base);
    assert_int_equal(zmsg_getsockopt(pub, ZMSG_DROPPED, &base, &len), 0);
    static char body[4096];
    const int sent = 20000;
    for (int i = 0; i < sent; i++) {
        snprintf(body, 16, "m%08d", i);
        // DONTWAIT would fail with EAGAIN if the PUB ever wanted to block.
        assert_int_equal(zmsg_send(pub, body, sizeof(body), ZMSG_DONTWAIT),
                         (int) sizeof(body));
    }
    uint64_t dropped;
    len = sizeof(dropped);
    assert_int_equal(zmsg_getsockopt(pub, ZMSG_DROPPED, &dropped, &len), 0);
    assert_int_equal(len, sizeof(uint64_t));
    dropped -= base;
    assert_true(dropped > 0);
    // Everything not dropped arrives, in order (sync messages aside).
    uint64_t received = 0;
    int last = -1;
    while ((int) (received + dropped) < sent) {
        char buf[4096];
        int n = zmsg_recv(sub, buf, sizeof(buf), 0);
        assert_int_equal(n, (int) sizeof(body));
        int seq = atoi(buf + 1);
        assert_true(seq > last);
        last = seq;
        received++;
    }
    assert_int_equal(received + dropped, (uint64_t) sent);
    zmsg_close(sub);
    zmsg_close(pub);
}

// Subscriptions survive the publisher going away and coming back: the SUB
// replays them on the new connection without being asked to.
static void
test_subscriptions_survive_publisher_restart(void **state)
{
    ZT_NOT_INPROC(); // each publisher lives in its own context
    void *ctx = *state;
    char ep[64];
    int fd;
    zt_unbound_endpoint(ep, sizeof(ep), &fd);
    zt_release_endpoint(fd);
    void *sub = zt_socket(ctx, ZMSG_SUB);
    zt_setint(sub, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "keep");
    for (int round = 0; round < 2; round++) {
        void *pub_ctx = zmsg_ctx_new();
        void *pub = zt_socket(pub_ctx, ZMSG_PUB);
        assert_int_equal(zmsg_bind(pub, ep), 0);
        // Publish until the SUB gets it: only possible if the new PUB
        // learned the subscription from the replay.
        zt_setint(sub, ZMSG_RCVTIMEO, 20);
        int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
        for (;;) {
            zt_send_str(pub, "other", 0);
            zt_send_str(pub, "keep-it", 0);
            char buf[16];
            int n = zmsg_recv(sub, buf, sizeof(buf), 0);
            if (n >= 0) {
                assert_int_equal(n, 7);
                assert_memory_equal(buf, "keep-it", 7);
                break;
            }
            assert_true(zt_now_ms() < deadline);
        }
        zt_setint(pub, ZMSG_LINGER, 0);
        zmsg_close(pub);
        assert_int_equal(zmsg_ctx_term(pub_ctx), 0);
    }
    zmsg_close(sub);
}

// Publishes probe until the raw subscriber on fd receives one: its
// subscriptions (sent before) are then in place at the PUB.
// A raw ZMTP subscriber connected to the tcp endpoint ep, past the
// handshake.
static int
raw_subscriber_at(const char *ep)
{
    int fd = zt_raw_connect(atoi(strrchr(ep, ':') + 1));
    zt_raw_handshake(fd, "SUB");
    zt_raw_read_handshake(fd);
    return fd;
}

// Binds pub to a fresh tcp endpoint and connects a raw subscriber to it.
static int
raw_subscriber(void *pub)
{
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    return raw_subscriber_at(ep);
}

static void
raw_sync(void *pub, int fd, const char *probe)
{
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    for (;;) {
        zt_send_str(pub, probe, 0);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 20) == 1)
            break;
        assert_true(zt_now_ms() < deadline);
    }
    char buf[64];
    int flags;
    zt_raw_recv_frame(fd, buf, sizeof(buf), &flags);
    assert_string_equal(buf, probe);
}

// The next frame on fd that isn't a leftover probe.
static void
raw_expect(int fd, const char *probe, const char *want)
{
    char buf[64];
    int flags;
    do
        zt_raw_recv_frame(fd, buf, sizeof(buf), &flags);
    while (strcmp(buf, probe) == 0);
    assert_string_equal(buf, want);
}

// Publisher-side filtering: a raw subscriber reads the wire itself. Having
// subscribed to "A" only, the first non-probe frame it sees after "B1"
// and "B2" were published is "A1": they never crossed the wire.
static void
test_filtering_happens_at_the_publisher(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    int fd = raw_subscriber(pub);
    zt_raw_subscribe(fd, "A", 1, 1);
    raw_sync(pub, fd, "Aprobe");
    zt_send_str(pub, "B1", 0);
    zt_send_str(pub, "B2", 0);
    zt_send_str(pub, "A1", 0);
    raw_expect(fd, "Aprobe", "A1");
    close(fd);
    zmsg_close(pub);
}

// ZMTP 3.0 subscribers send subscriptions as messages (first byte 1/0);
// a PUB honours those too.
static void
test_zmtp30_subscription_messages(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    int fd = raw_subscriber(pub);
    zt_raw_send_frame(fd, "\x01Z", 0);
    raw_sync(pub, fd, "Zprobe");
    zt_raw_send_frame(fd, "\x01Y", 0);
    // A 3.0 cancel is 00 'Z' (built by hand: it starts with a NUL).
    const uint8_t cancel[] = { 0x00, 2, 0x00, 'Z' };
    zt_raw_send(fd, cancel, sizeof(cancel));
    raw_sync(pub, fd, "Yprobe");
    zt_send_str(pub, "Z1", 0);
    zt_send_str(pub, "Y1", 0);
    // Zprobe leftovers came before the cancel; skip them and Yprobes.
    char buf[64];
    int flags;
    do
        zt_raw_recv_frame(fd, buf, sizeof(buf), &flags);
    while (strcmp(buf, "Zprobe") == 0 || strcmp(buf, "Yprobe") == 0);
    assert_string_equal(buf, "Y1");
    close(fd);
    zmsg_close(pub);
}

// This test binary is linked with --wrap=malloc and --wrap=aligned_alloc:
// big allocations made on the test's own thread are counted, so a copy
// made while publishing would show.
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);
static pthread_t main_thread;
static int big_mallocs;

static void
count_big(size_t size)
{
    if (size >= (1 << 20) && pthread_equal(pthread_self(), main_thread))
        __atomic_add_fetch(&big_mallocs, 1, __ATOMIC_SEQ_CST);
}

void *
__wrap_malloc(size_t size)
{
    count_big(size);
    return __real_malloc(size);
}

void *
__wrap_aligned_alloc(size_t align, size_t size)
{
    count_big(size);
    return __real_aligned_alloc(align, size);
}

// Fan-out shares one buffer: sending a 1 MiB message to 10 subscribers
// allocates nothing on the publishing thread, all receive identical bytes,
// and a zero-copy body's free function runs once, after all are done.
static int free_calls;
static void
count_free(void *data, void *hint)
{
    (void) hint;
    free(data);
    __atomic_add_fetch(&free_calls, 1, __ATOMIC_SEQ_CST);
}

static void
test_fanout_shares_one_buffer(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *subs[10];
    for (int i = 0; i < 10; i++) {
        subs[i] = zt_socket(ctx, ZMSG_SUB);
        assert_int_equal(zmsg_connect(subs[i], ep), 0);
        subscribe(subs[i], "f");
        zt_sync_pubsub(pub, subs[i]);
    }
    const size_t size = 1 << 20;
    main_thread = pthread_self();
    zmsg_msg_t msg, probe;
    int before = big_mallocs;
    assert_int_equal(zmsg_msg_init_size(&msg, size), 0);
    assert_int_equal(big_mallocs, before + 1); // the counter works
    memset(zmsg_msg_data(&msg), 'f', size);
    assert_int_equal(zmsg_msg_send(&msg, pub, 0), (int) size);
    assert_int_equal(big_mallocs, before + 1); // and publishing copied nothing
    for (int i = 0; i < 10; i++) {
        zmsg_msg_t in;
        zmsg_msg_init(&in);
        assert_int_equal(zmsg_msg_recv(&in, subs[i], 0), (int) size);
        assert_int_equal(((char *) zmsg_msg_data(&in))[size - 1], 'f');
        zmsg_msg_close(&in);
    }
    uint8_t *data = malloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t) (i * 31);
    data[0] = 'f';
    free_calls = 0;
    assert_int_equal(zmsg_msg_init_data(&msg, data, size, count_free, NULL), 0);
    // A copy kept here proves the sharing: it holds one more reference to
    // the same body, which the PUB must not have duplicated.
    zmsg_msg_init(&probe);
    assert_int_equal(zmsg_msg_copy(&probe, &msg), 0);
    assert_ptr_equal(zmsg_msg_data(&probe), data);
    assert_int_equal(zmsg_msg_send(&msg, pub, 0), (int) size);
    for (int i = 0; i < 10; i++) {
        zmsg_msg_t in;
        zmsg_msg_init(&in);
        assert_int_equal(zmsg_msg_recv(&in, subs[i], 0), (int) size);
        assert_memory_equal(zmsg_msg_data(&in), data, size);
        zmsg_msg_close(&in);
    }
    // Every subscriber has it, yet the body was never freed or copied.
    assert_int_equal(__atomic_load_n(&free_calls, __ATOMIC_SEQ_CST), 0);
    assert_ptr_equal(zmsg_msg_data(&probe), data);
    zmsg_msg_close(&probe);
    // Once the I/O thread lets go of its references, it is freed once.
    for (int i = 0; i < 10; i++)
        zmsg_close(subs[i]);
    zmsg_close(pub);
    zt_term(ctx);
    *state = zmsg_ctx_new(); // a fresh one for the teardown
    assert_int_equal(free_calls, 1);
}

static void
test_wrong_direction_is_enotsup(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    void *sub = zt_socket(ctx, ZMSG_SUB);
    char buf[4];
    assert_int_equal(zmsg_send(sub, "x", 1, 0), -1);
    assert_int_equal(zmsg_errno(), ENOTSUP);
    assert_int_equal(zmsg_recv(pub, buf, sizeof(buf), 0), -1);
    assert_int_equal(zmsg_errno(), ENOTSUP);
    char big[2000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(zmsg_setsockopt(sub, ZMSG_SUBSCRIBE, big, sizeof(big)),
                     -1);
    assert_int_equal(zmsg_errno(), EINVAL);
    zmsg_close(sub);
    zmsg_close(pub);
}

static void
test_invert_matching(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    zt_setint(pub, ZMSG_INVERT_MATCHING, 1);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *sub = zt_socket(ctx, ZMSG_SUB);
    zt_setint(sub, ZMSG_INVERT_MATCHING, 1);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "A");
    // With inverted matching the sync topic arrives because it doesn't
    // match "A"; wait for the subscription with a probe instead.
    zt_setint(sub, ZMSG_RCVTIMEO, 20);
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    for (;;) {
        zt_send_str(pub, "Aprobe", 0);
        zt_send_str(pub, "sync", 0);
        char buf[16];
        int n = zmsg_recv(sub, buf, sizeof(buf), 0);
        if (n == 4)
            break;
        assert_true(n < 0); // never an A message
        assert_true(zt_now_ms() < deadline);
    }
    zt_setint(sub, ZMSG_RCVTIMEO, ZT_TIMEOUT_MS);
    zt_send_str(pub, "A1", 0);
    zt_send_str(pub, "B1", 0);
    char buf[16];
    int n;
    // Skip sync messages still queued.
    while ((n = zmsg_recv(sub, buf, sizeof(buf), 0)) == 4)
        assert_memory_equal(buf, "sync", 4);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "B1", 2);
    zmsg_close(sub);
    zmsg_close(pub);
}

// A subscriber flooding subscribe/cancel does not grow the publisher's
// memory, and oversized topics are ignored.
static void
test_subscription_flood_is_bounded(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    int fd = raw_subscriber(pub);
    char topic[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(topic, sizeof(topic), "topic-%d", i);
        zt_raw_subscribe(fd, topic, (size_t) n, 1);
        zt_raw_subscribe(fd, topic, (size_t) n, 0);
    }
    static char huge[5000];
    memset(huge, 'H', sizeof(huge));
    zt_raw_subscribe(fd, huge, sizeof(huge), 1); // over the cap: ignored
    zt_raw_subscribe(fd, "S", 1, 1);
    raw_sync(pub, fd, "Sprobe");
    // Every subscription before "S" was processed; only "S" is left (the
    // root and one node).
    assert_int_equal(zmi_pub_subscription_nodes(pub), 2);
    zt_send_str(pub, "HHHH", 0);
    zt_send_str(pub, "S1", 0);
    raw_expect(fd, "Sprobe", "S1");
    close(fd);
    zmsg_close(pub);
}

// Multipart messages under HWM drops: every message that arrives has all
// of its parts, in order; the dropped ones left no part behind.
static void
test_multipart_whole_or_nothing_under_drops(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    zt_setint(pub, ZMSG_SNDHWM, 10);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *sub = zt_socket(ctx, ZMSG_SUB);
    zt_setint(sub, ZMSG_RCVHWM, 10);
    assert_int_equal(zmsg_connect(sub, ep), 0);
    subscribe(sub, "m");
    zt_sync_pubsub(pub, sub);
    static char body[2048];
    const int sent = 5000;
    for (int i = 0; i < sent; i++) {
        char head[16];
        int n = snprintf(head, sizeof(head), "m%08d", i);
        assert_int_equal(zmsg_send(pub, head, (size_t) n, ZMSG_SNDMORE), n);
        snprintf(body, 16, "%08d-2", i);
        assert_int_equal(
            zmsg_send(pub, body, sizeof(body), ZMSG_SNDMORE | ZMSG_DONTWAIT),
            (int) sizeof(body));
        n = snprintf(head, sizeof(head), "%08d-3", i);
        assert_int_equal(zmsg_send(pub, head, (size_t) n, ZMSG_DONTWAIT), n);
    }
    uint64_t dropped;
    size_t len = sizeof(dropped);
    assert_int_equal(zmsg_getsockopt(pub, ZMSG_DROPPED, &dropped, &len), 0);
    assert_true(dropped > 0);
    int received = 0, last = -1;
    while ((uint64_t) received + dropped < (uint64_t) sent) {
        char buf[2048], want[16];
        assert_int_equal(zmsg_recv(sub, buf, sizeof(buf), 0), 9);
        buf[9] = '\0';
        int seq = atoi(buf + 1);
        assert_true(seq > last);
        last = seq;
        int more;
        len = sizeof(more);
        assert_int_equal(zmsg_getsockopt(sub, ZMSG_RCVMORE, &more, &len), 0);
        assert_int_equal(more, 1);
        assert_int_equal(zmsg_recv(sub, buf, sizeof(buf), 0),
                         (int) sizeof(body));
        snprintf(want, sizeof(want), "%08d-2", seq);
        assert_string_equal(buf, want);
        int n = snprintf(want, sizeof(want), "%08d-3", seq);
        assert_int_equal(zmsg_recv(sub, buf, sizeof(buf), 0), n);
        assert_memory_equal(buf, want, (size_t) n);
        assert_int_equal(zmsg_getsockopt(sub, ZMSG_RCVMORE, &more, &len), 0);
        assert_int_equal(more, 0);
        received++;
    }
    assert_int_equal((uint64_t) received + dropped, (uint64_t) sent);
    zmsg_close(sub);
    zmsg_close(pub);
}

// A SUB fair-queues its publishers: with messages waiting from both, the
// first two it returns come one from each.
static void
test_sub_fair_queues_publishers(void **state)
{
    void *ctx = *state;
    void *sub = zt_socket(ctx, ZMSG_SUB);
    subscribe(sub, "");
    void *pub[2];
    for (int i = 0; i < 2; i++) {
        char ep[256];
        pub[i] = zt_socket(ctx, ZMSG_PUB);
        zt_bind(pub[i], ep, sizeof(ep));
        assert_int_equal(zmsg_connect(sub, ep), 0);
        zt_sync_pubsub(pub[i], sub);
    }
    for (int k = 0; k < 10; k++) {
        zt_send_str(pub[0], "A", 0);
        zt_send_str(pub[1], "B", 0);
    }
    zt_wait_readable(sub, 2);
    char first[4] = "", second[4] = "";
    assert_int_equal(zmsg_recv(sub, first, sizeof(first) - 1, 0), 1);
    assert_int_equal(zmsg_recv(sub, second, sizeof(second) - 1, 0), 1);
    assert_true(first[0] != second[0]);
    zmsg_close(pub[0]);
    zmsg_close(pub[1]);
    zmsg_close(sub);
}

// Sends a data frame of n octets (long form when needed) from a raw peer.
static void
raw_send_bytes(int fd, const void *data, size_t n, int more)
{
    uint8_t hdr[9];
    size_t h;
    if (n <= 255) {
        hdr[0] = (uint8_t) (more ? 0x01 : 0x00);
        hdr[1] = (uint8_t) n;
        h = 2;
    } else {
        hdr[0] = (uint8_t) (0x02 | (more ? 0x01 : 0x00));
        for (int i = 0; i < 8; i++)
            hdr[1 + i] = (uint8_t) ((uint64_t) n >> (56 - 8 * i));
        h = 9;
    }
    zt_raw_send(fd, hdr, h);
    if (n > 0)
        zt_raw_send(fd, data, n);
}

// Malformed subscriptions are ignored, and the subscriber keeps its
// connection: a 3.0-form message with a first octet above 1, one split
// over two parts, and an empty one. A valid one after them works.
static void
test_malformed_subscriptions_are_ignored(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    int fd = raw_subscriber(pub);
    raw_send_bytes(fd, "\x05X", 2, 0); // not 0 or 1
    raw_send_bytes(fd, "\x01", 1, 1);  // flag, then the topic in a part
    raw_send_bytes(fd, "Y", 1, 0);
    raw_send_bytes(fd, "", 0, 0);       // empty
    zt_raw_subscribe(fd, "Z", 1, 1);
    raw_sync(pub, fd, "Zprobe");
    zt_send_str(pub, "X1", 0);
    zt_send_str(pub, "Y1", 0);
    zt_send_str(pub, "Z1", 0);
    raw_expect(fd, "Zprobe", "Z1");
    close(fd);
    zmsg_close(pub);
}

// A subscriber that sends a message longer than any subscription loses
// its connection (before the PUB stores it); other subscribers don't.
static void
test_oversized_message_from_subscriber_closes_it(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    char ep[256];
    zt_bind(pub, ep, sizeof(ep));
    void *good = zt_socket(ctx, ZMSG_SUB);
    assert_int_equal(zmsg_connect(good, ep), 0);
    subscribe(good, "g");
    zt_sync_pubsub(pub, good);
    int fd = raw_subscriber_at(ep);
    static char big[ZMSG_SUBSCRIPTION_MAX + 2];
    memset(big, 'B', sizeof(big));
    big[0] = 1;
    raw_send_bytes(fd, big, sizeof(big), 0);
    uint8_t rest[64];
    zt_raw_expect_closed(fd, rest, sizeof(rest));
    zt_send_str(pub, "g1", 0);
    zt_recv_str(good, "g1", 0);
    zmsg_close(good);
    zmsg_close(pub);
}

// One subscriber holds at most ZMSG_PEER_SUBSCRIPTIONS_MAX octets of
// topics: 300 topics of 1000 octets fill it at the 262nd; later ones are
// ignored (their messages never cross the wire), a short one still fits.
static void
test_per_subscriber_subscription_cap(void **state)
{
    ZT_TCP_ONLY(); // a raw peer on the wire
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    int fd = raw_subscriber(pub);
    enum { TOPIC = 1000, COUNT = 300 };
    static char topic[TOPIC + 2];
    memset(topic, 'T', sizeof(topic));
    for (int i = 0; i < COUNT; i++) {
        snprintf(topic, 5, "%04d", i);
        topic[4] = 'T';
        zt_raw_subscribe(fd, topic, TOPIC, 1);
    }
    zt_raw_subscribe(fd, "Q", 1, 1);
    raw_sync(pub, fd, "Qprobe");
    int accepted = ZMSG_PEER_SUBSCRIPTIONS_MAX / TOPIC; // 262
    // A message for the first refused topic, then one for an accepted one.
    for (int i = accepted; i >= accepted - 1; i--) {
        snprintf(topic, 5, "%04d", i);
        topic[4] = 'T';
        topic[TOPIC] = '!';
        assert_int_equal(zmsg_send(pub, topic, TOPIC + 1, 0), TOPIC + 1);
    }
    static char got[TOPIC + 64];
    int flags;
    size_t n;
    do
        n = zt_raw_recv_frame(fd, got, sizeof(got), &flags);
    while (n == 6 && memcmp(got, "Qprobe", 6) == 0);
    assert_int_equal(n, TOPIC + 1);
    char want[8];
    snprintf(want, sizeof(want), "%04d", accepted - 1);
    assert_memory_equal(got, want, 4);
    close(fd);
    zmsg_close(pub);
}

int
main(void)
{
#define T(name) ZT_CTX_TEST(name)
    const struct CMUnitTest tests[] = {
        T(test_prefix_filtering),
        T(test_counted_subscriptions_and_unsubscribe),
        T(test_overlapping_prefixes_deliver_once),
        T(test_sub_connected_to_two_pubs_gets_both),
        T(test_stalled_subscriber_never_blocks_and_drops_are_counted),
        T(test_subscriptions_survive_publisher_restart),
        T(test_filtering_happens_at_the_publisher),
        T(test_zmtp30_subscription_messages),
        T(test_fanout_shares_one_buffer),
        T(test_wrong_direction_is_enotsup),
        T(test_invert_matching),
        T(test_subscription_flood_is_bounded),
        T(test_multipart_whole_or_nothing_under_drops),
        T(test_sub_fair_queues_publishers),
        T(test_malformed_subscriptions_are_ignored),
        T(test_oversized_message_from_subscriber_closes_it),
        T(test_per_subscriber_subscription_cap),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
