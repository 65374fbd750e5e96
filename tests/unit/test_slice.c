// Unit tests for parts cut out of shared blocks (zmi_msg_buf_t, ZMI_MSG_SLICE
// in src/core/msg.c): the owner's reference counting (reset only once every
// slice came back, release before or after the slices), slices closed on
// another thread, the send arena behind zmsg_send, the encoder giving
// copied slices back in one go, the decoder cutting
// bodies out of the engine's read block (whole or not at all), and a
// received part that outlives its socket, context and engine.

#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/decoder.h"
#include "codec/encoder.h"
#include "codec/zmtp.h"
#include "codec/zmtp_cmd.h"
#include "core/msg.h"

static void
fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t) (i * 13u + seed);
}

static void
check(zmi_msg_t *m, size_t n, unsigned seed)
{
    assert_int_equal(zmi_msg_size(m), n);
    const uint8_t *p = zmi_msg_data(m);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], (uint8_t) (i * 13u + seed));
}

static void
test_reset_waits_for_every_slice(void **state)
{
    (void) state;
    zmi_msg_buf_t *b = zmi_msg_buf_new(4096);
    assert_non_null(b);
    assert_true(zmi_msg_buf_reset(b)); // nothing handed out yet
    zmi_msg_t m[3];
    for (int i = 0; i < 3; i++) {
        fill(b->data + 100 * i, 100, (unsigned) i);
        zmi_msg_init_slice(&m[i], b, b->data + 100 * i, 100);
        assert_int_equal(m[i].type, ZMI_MSG_SLICE);
        check(&m[i], 100, (unsigned) i);
    }
    assert_false(zmi_msg_buf_reset(b));
    zmi_msg_close(&m[0]);
    zmi_msg_close(&m[1]);
    assert_false(zmi_msg_buf_reset(b));
    // A copy is one more reference on the block: the bytes stay put.
    zmi_msg_t cp;
    zmi_msg_init(&cp);
    assert_int_equal(zmi_msg_copy(&cp, &m[2]), 0);
    assert_ptr_equal(zmi_msg_data(&cp), zmi_msg_data(&m[2]));
    zmi_msg_close(&m[2]);
    assert_false(zmi_msg_buf_reset(b));
    check(&cp, 100, 2);
    zmi_msg_close(&cp);
    assert_true(zmi_msg_buf_reset(b));
    assert_int_equal(b->handed, 0);
    // Fan-out style references count too.
    zmi_msg_t f;
    zmi_msg_init_slice(&f, b, b->data, 64);
    zmi_msg_add_refs(&f, 4);
    for (int i = 0; i < 4; i++) {
        zmi_msg_t part = f;
        zmi_msg_close(&part);
        assert_false(zmi_msg_buf_reset(b));
    }
    zmi_msg_close(&f);
    assert_true(zmi_msg_buf_reset(b));
    zmi_msg_buf_release(b); // frees now (ASan: no leak)
}

static void
test_slices_outlive_the_owner(void **state)
{
    (void) state;
    zmi_msg_buf_t *b = zmi_msg_buf_new(1024);
    assert_non_null(b);
    zmi_msg_t a, c;
    fill(b->data, 200, 7);
    zmi_msg_init_slice(&a, b, b->data, 100);
    zmi_msg_init_slice(&c, b, b->data + 100, 100);
    zmi_msg_buf_release(b); // the owner is gone; the slices keep the block
    check(&a, 100, 7);
    zmi_msg_close(&a);
    const uint8_t *p = zmi_msg_data(&c);
    assert_int_equal(p[0], (uint8_t) (100 * 13u + 7));
    zmi_msg_close(&c); // the last reference frees (ASan: no leak, no UAF)
}

// One thread cuts slices and keeps restarting or replacing its block; the
// other closes them. TSan checks that the owner never rewrites bytes a
// slice still reads.
typedef struct {
    zmi_msg_t q[256];
    atomic_int head, tail;
} slice_queue_t;

static void *
closer_main(void *arg)
{
    slice_queue_t *q = arg;
    for (int got = 0; got < 20000;) {
        int t = atomic_load_explicit(&q->tail, memory_order_acquire);
        int h = atomic_load_explicit(&q->head, memory_order_relaxed);
        if (h == t)
            continue;
        zmi_msg_t *m = &q->q[h % 256];
        check(m, 64, (unsigned) got);
        zmi_msg_close(m);
        atomic_store_explicit(&q->head, h + 1, memory_order_release);
        got++;
    }
    return NULL;
}

static void
test_slices_closed_on_another_thread(void **state)
{
    (void) state;
    static slice_queue_t q;
    atomic_init(&q.head, 0);
    atomic_init(&q.tail, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, closer_main, &q), 0);
    zmi_msg_buf_t *b = zmi_msg_buf_new(1024);
    size_t used = 0;
    for (int sent = 0; sent < 20000;) {
        int h = atomic_load_explicit(&q.head, memory_order_acquire);
        if (atomic_load_explicit(&q.tail, memory_order_relaxed) - h == 256)
            continue;
        if (used + 64 > b->cap) {
            if (zmi_msg_buf_reset(b)) {
                used = 0;
            } else {
                zmi_msg_buf_release(b);
                b = zmi_msg_buf_new(1024);
                assert_non_null(b);
                used = 0;
            }
        }
        fill(b->data + used, 64, (unsigned) sent);
        zmi_msg_init_slice(&q.q[sent % 256], b, b->data + used, 64);
        used += 64;
        atomic_store_explicit(&q.tail, sent + 1, memory_order_release);
        sent++;
    }
    pthread_join(t, NULL);
    assert_true(zmi_msg_buf_reset(b));
    zmi_msg_buf_release(b);
}

static void *
arena_sender_main(void *arg)
{
    zmi_msg_t *out = arg;
    uint8_t src[1024];
    fill(src, sizeof(src), 3);
    // Enough to roll over several blocks; every other part is kept.
    for (int i = 0; i < 500; i++) {
        zmi_msg_t m;
        assert_int_equal(zmi_msg_init_send(&m, src, 500), 0);
        if (i % 2 == 0 && i / 2 < 250)
            out[i / 2] = m;
        else
            zmi_msg_close(&m);
    }
    return NULL; // the thread's arena block goes back at exit
}

static void
test_send_arena(void **state)
{
    (void) state;
    uint8_t src[ZMI_MSG_ARENA_PART_MAX + 1];
    fill(src, sizeof(src), 3);
    const size_t sizes[] = { 0, 1, ZMI_MSG_VSM_MAX, ZMI_MSG_VSM_MAX + 1, 64,
        1000, ZMI_MSG_ARENA_PART_MAX, ZMI_MSG_ARENA_PART_MAX + 1 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        zmi_msg_t m;
        assert_int_equal(zmi_msg_init_send(&m, src, n), 0);
        if (n <= ZMI_MSG_VSM_MAX)
            assert_int_equal(m.type, ZMI_MSG_VSM);
        else if (n <= ZMI_MSG_ARENA_PART_MAX)
            assert_int_equal(m.type, ZMI_MSG_SLICE);
        else
            assert_int_equal(m.type, ZMI_MSG_LMSG);
        check(&m, n, 3);
        zmi_msg_close(&m);
    }
    // Parts made on a thread that has exited stay valid.
    static zmi_msg_t kept[250];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, arena_sender_main, kept), 0);
    pthread_join(t, NULL);
    for (int i = 0; i < 250; i++) {
        check(&kept[i], 500, 3);
        zmi_msg_close(&kept[i]);
    }
}

// The encoder copies slices into its batch and gives their references back
// to the block together, by the time it hands out the batch.
static void
test_encoder_releases_copied_slices(void **state)
{
    (void) state;
    zmi_encoder_t enc;
    assert_int_equal(zmi_encoder_init(&enc, 4096), 0);
    zmi_msg_buf_t *b = zmi_msg_buf_new(1024);
    assert_non_null(b);
    for (int i = 0; i < 5; i++) {
        zmi_msg_t m;
        fill(b->data + 64 * i, 64, (unsigned) i);
        zmi_msg_init_slice(&m, b, b->data + 64 * i, 64);
        assert_true(zmi_encoder_push(&enc, &m));
    }
    struct iovec iov[ZMI_ENCODER_IOV_MAX];
    assert_int_equal(
        zmi_encoder_iov(&enc, iov, ZMI_ENCODER_IOV_MAX, SIZE_MAX), 1);
    assert_int_equal(iov[0].iov_len, 5 * 66);
    const uint8_t *p = iov[0].iov_base;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[66 * i + 1], 64);
        assert_int_equal(p[66 * i + 2], (uint8_t) i);
    }
    assert_true(zmi_msg_buf_reset(b)); // every reference came back
    // Slices of two blocks interleaved, and one left at fini.
    zmi_msg_buf_t *c = zmi_msg_buf_new(1024);
    zmi_encoder_consumed(&enc, iov[0].iov_len);
    for (int i = 0; i < 4; i++) {
        zmi_msg_t m;
        zmi_msg_buf_t *which = i % 2 ? c : b;
        zmi_msg_init_slice(&m, which, which->data + 64 * i, 64);
        assert_true(zmi_encoder_push(&enc, &m));
    }
    zmi_encoder_fini(&enc);
    assert_true(zmi_msg_buf_reset(b));
    assert_true(zmi_msg_buf_reset(c));
    zmi_msg_buf_release(b);
    zmi_msg_buf_release(c);
}

// Appends a frame with a body of n patterned octets.
static size_t
put_frame(uint8_t *out, size_t n, unsigned seed, uint8_t flags)
{
    size_t h = zmi_zmtp_frame_header(out, flags, n);
    fill(out + h, n, seed);
    return h + n;
}

static void
test_decoder_cuts_slices(void **state)
{
    (void) state;
    static const size_t sizes[] = { 49, 100, 5, 1000, 3000, 48, 2000, 60 };
    enum { N = sizeof(sizes) / sizeof(sizes[0]) };
    uint8_t stream[8192];
    size_t len = 0;
    for (size_t i = 0; i < N; i++)
        len += put_frame(stream + len, sizes[i], (unsigned) i,
                         i == 1 ? ZMI_ZMTP_MORE : 0);

    // Fed in chunks of every size into a block, as the engine does: octets
    // not taken are moved to the front of a fresh block each time.
    for (size_t chunk = 1; chunk <= 257; chunk += 16) {
        zmi_decoder_t d;
        zmi_decoder_init(&d, -1);
        zmi_decoder_set_slicing(&d, 2500); // 3000 is copied instead
        zmi_msg_buf_t *b = zmi_msg_buf_new(8192);
        size_t pos = 0, have = 0, fed = 0, got = 0;
        zmi_msg_t frames[N];
        while (got < N) {
            size_t n = len - fed < chunk ? len - fed : chunk;
            memcpy(b->data + have, stream + fed, n);
            have += n;
            fed += n;
            for (;;) {
                size_t used;
                zmi_msg_t f;
                int rc = zmi_decoder_decode_buf(&d, b, b->data + pos,
                                                have - pos, &used, &f);
                assert_true(rc == 0 || rc == 1);
                pos += used;
                if (rc == 0)
                    break;
                frames[got++] = f;
            }
            // Restart in a new block, keeping the old one's slices alive.
            zmi_msg_buf_t *nb = zmi_msg_buf_new(8192);
            memcpy(nb->data, b->data + pos, have - pos);
            have -= pos;
            pos = 0;
            zmi_msg_buf_release(b);
            b = nb;
        }
        assert_int_equal(fed, len);
        for (size_t i = 0; i < N; i++) {
            check(&frames[i], sizes[i], (unsigned) i);
            assert_int_equal(zmi_msg_more(&frames[i]), i == 1);
            if (sizes[i] <= ZMI_MSG_VSM_MAX)
                assert_int_equal(frames[i].type, ZMI_MSG_VSM);
            else if (sizes[i] <= 2500)
                assert_int_equal(frames[i].type, ZMI_MSG_SLICE);
            else
                assert_int_equal(frames[i].type, ZMI_MSG_LMSG);
            zmi_msg_close(&frames[i]);
        }
        zmi_msg_buf_release(b);
        zmi_decoder_fini(&d);
    }
}

static void
test_decoder_partial_slice_then_plain_decode(void **state)
{
    (void) state;
    uint8_t stream[512];
    size_t len = put_frame(stream, 300, 9, 0);
    zmi_decoder_t d;
    zmi_decoder_init(&d, -1);
    zmi_decoder_set_slicing(&d, 1000);
    zmi_msg_buf_t *b = zmi_msg_buf_new(1024);
    memcpy(b->data, stream, 100);
    size_t used;
    zmi_msg_t f;
    // Only the header is taken; the body waits to be taken whole.
    assert_int_equal(zmi_decoder_decode_buf(&d, b, b->data, 100, &used, &f), 0);
    size_t hdr = len - 300; // the long form: 9 octets
    assert_int_equal(used, hdr);
    // Without a block the decoder falls back to copying the body.
    assert_int_equal(
        zmi_decoder_decode(&d, stream + hdr, len - hdr, &used, &f), 1);
    assert_int_equal(used, len - hdr);
    assert_int_equal(f.type, ZMI_MSG_LMSG);
    check(&f, 300, 9);
    zmi_msg_close(&f);
    // A half-read slice body is dropped with the decoder.
    assert_int_equal(zmi_decoder_decode_buf(&d, b, b->data, 100, &used, &f), 0);
    zmi_decoder_fini(&d);
    assert_true(zmi_msg_buf_reset(b));
    zmi_msg_buf_release(b);
}

// Parts received over tcp (slices of the engine's read block) stay valid
// after their socket, its engine and the context are gone.
static void
test_received_part_outlives_engine(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    assert_non_null(ctx);
    void *pull = zt_socket(ctx, ZMSG_PULL);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    assert_int_equal(zmsg_connect(push, ep), 0);
    uint8_t body[700];
    enum { K = 50 };
    for (unsigned i = 0; i < K; i++) {
        fill(body, sizeof(body), i);
        assert_int_equal(zmsg_send(push, body, sizeof(body), 0),
                         (int) sizeof(body));
    }
    zmsg_msg_t msgs[K];
    for (unsigned i = 0; i < K; i++) {
        assert_int_equal(zmsg_msg_init(&msgs[i]), 0);
        assert_int_equal(zmsg_msg_recv(&msgs[i], pull, 0), (int) sizeof(body));
    }
    zt_setint(push, ZMSG_LINGER, 0);
    assert_int_equal(zmsg_close(push), 0);
    assert_int_equal(zmsg_close(pull), 0);
    assert_int_equal(zt_ctx_term_forget(ctx), 0);
    for (unsigned i = 0; i < K; i++) {
        check(zmi_msg_cast(&msgs[i]), sizeof(body), i);
        assert_int_equal(zmsg_msg_close(&msgs[i]), 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_waits_for_every_slice),
        cmocka_unit_test(test_slices_outlive_the_owner),
        cmocka_unit_test(test_slices_closed_on_another_thread),
        cmocka_unit_test(test_send_arena),
        cmocka_unit_test(test_encoder_releases_copied_slices),
        cmocka_unit_test(test_decoder_cuts_slices),
        cmocka_unit_test(test_decoder_partial_slice_then_plain_decode),
        cmocka_unit_test(test_received_part_outlives_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
