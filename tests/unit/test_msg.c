// Unit tests for the message part internals (src/core/msg.c).
//
// Large parts built with init_data use a counting free function, so a
// missing or doubled release fails here and not only under ASan. One test
// closes shared copies from several threads to exercise the refcount.

#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

// Counts calls of counting_free and checks they release the right bytes.
typedef struct {
    atomic_int calls;
    void *expect_data;
} free_counter_t;

static void
counting_free(void *data, void *hint)
{
    free_counter_t *fc = hint;
    // Reads the bytes before freeing them: under TSan this checks that
    // every other holder's accesses happen before the final release.
    unsigned char *b = data;
    unsigned sum = 0;
    for (size_t i = 0; i < 64; i++)
        sum += b[i];
    (void) sum;
    if (data == fc->expect_data)
        atomic_fetch_add(&fc->calls, 1);
    free(data);
}

// A 64-byte heap buffer released through counting_free.
static void
init_counted(zmi_msg_t *m, free_counter_t *fc)
{
    void *buf = malloc(64);
    assert_non_null(buf);
    memset(buf, 0xab, 64);
    atomic_init(&fc->calls, 0);
    fc->expect_data = buf;
    assert_int_equal(zmi_msg_init_data(m, buf, 64, counting_free, fc), 0);
}

static int
calls(free_counter_t *fc)
{
    return atomic_load(&fc->calls);
}

static void
test_struct_is_64_bytes(void **state)
{
    (void) state;
    assert_int_equal(sizeof(zmi_msg_t), 64);
    assert_int_equal(sizeof(zmsg_msg_t), 64);
    assert_true(_Alignof(zmi_msg_t) <= _Alignof(zmsg_msg_t));
}

static void
test_init_empty(void **state)
{
    (void) state;
    zmi_msg_t m;
    assert_int_equal(zmi_msg_init(&m), 0);
    assert_true(zmi_msg_is_valid(&m));
    assert_false(zmi_msg_is_delim(&m));
    assert_false(zmi_msg_more(&m));
    assert_int_equal(zmi_msg_size(&m), 0);
    zmi_msg_close(&m);
    assert_false(zmi_msg_is_valid(&m));
    assert_int_equal(zmi_msg_size(&m), 0);
    assert_null(zmi_msg_data(&m));
}

// Inline parts keep their bytes inside the struct; larger ones do not.
static void
test_init_size(void **state)
{
    (void) state;
    const size_t sizes[]
        = { 0, 1, ZMI_MSG_VSM_MAX, ZMI_MSG_VSM_MAX + 1, 1024 * 1024 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        zmi_msg_t m;
        assert_int_equal(zmi_msg_init_size(&m, n), 0);
        assert_true(zmi_msg_is_valid(&m));
        assert_int_equal(zmi_msg_size(&m), n);
        unsigned char *d = zmi_msg_data(&m);
        assert_non_null(d);
        const unsigned char *lo = (const unsigned char *) &m;
        bool inside = d >= lo && d + n <= lo + sizeof(m);
        if (n <= ZMI_MSG_VSM_MAX) {
            assert_int_equal(m.type, ZMI_MSG_VSM);
            assert_true(inside);
        } else {
            assert_int_equal(m.type, ZMI_MSG_LMSG);
            assert_false(inside);
        }
        // Touch every byte: ASan reports a short allocation.
        memset(d, (int) (i + 1), n);
        if (n > 0) {
            assert_int_equal(d[0], i + 1);
            assert_int_equal(d[n - 1], i + 1);
        }
        zmi_msg_close(&m);
        assert_false(zmi_msg_is_valid(&m));
    }
}

static void
test_init_buffer_copies(void **state)
{
    (void) state;
    unsigned char src[100];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char) i;
    const size_t sizes[] = { 0, 5, ZMI_MSG_VSM_MAX, sizeof(src) };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        zmi_msg_t m;
        assert_int_equal(zmi_msg_init_buffer(&m, src, sizes[i]), 0);
        assert_int_equal(zmi_msg_size(&m), sizes[i]);
        if (sizes[i] > 0) {
            assert_ptr_not_equal(zmi_msg_data(&m), src);
            assert_memory_equal(zmi_msg_data(&m), src, sizes[i]);
        }
        zmi_msg_close(&m);
    }
}

static void
test_init_data_frees_once(void **state)
{
    (void) state;
    free_counter_t fc;
    zmi_msg_t m;
    init_counted(&m, &fc);
    assert_int_equal(m.type, ZMI_MSG_LMSG);
    assert_ptr_equal(zmi_msg_data(&m), fc.expect_data);
    assert_int_equal(zmi_msg_size(&m), 64);
    assert_int_equal(calls(&fc), 0);
    zmi_msg_close(&m);
    assert_int_equal(calls(&fc), 1);
    // A second close of a closed part is harmless.
    zmi_msg_close(&m);
    assert_int_equal(calls(&fc), 1);
}

// Copies of a large part share its bytes; the free function runs only
// when the last of them is closed, whatever the order.
static void
test_copy_shares_large(void **state)
{
    (void) state;
    for (int order = 0; order < 2; order++) {
        free_counter_t fc;
        zmi_msg_t a, b, c;
        init_counted(&a, &fc);
        zmi_msg_set_more(&a, true);
        zmi_msg_init(&b);
        zmi_msg_init(&c);
        assert_int_equal(zmi_msg_copy(&b, &a), 0);
        // A copy of a copy shares the same counter.
        assert_int_equal(zmi_msg_copy(&c, &b), 0);
        assert_ptr_equal(zmi_msg_data(&b), zmi_msg_data(&a));
        assert_ptr_equal(zmi_msg_data(&c), zmi_msg_data(&a));
        assert_int_equal(zmi_msg_size(&c), 64);
        assert_true(zmi_msg_more(&b));
        assert_true(zmi_msg_more(&c));
        if (order == 0) {
            zmi_msg_close(&a);
            zmi_msg_close(&b);
        } else {
            zmi_msg_close(&c);
            zmi_msg_close(&b);
            c = a;
            zmi_msg_init(&a);
        }
        assert_int_equal(calls(&fc), 0);
        zmi_msg_close(&c);
        assert_int_equal(calls(&fc), 1);
        zmi_msg_close(&a);
        assert_int_equal(calls(&fc), 1);
    }
}

static void
test_copy_small_is_bytes(void **state)
{
    (void) state;
    zmi_msg_t a, b;
    assert_int_equal(zmi_msg_init_buffer(&a, "hello", 5), 0);
    zmi_msg_init(&b);
    assert_int_equal(zmi_msg_copy(&b, &a), 0);
    assert_ptr_not_equal(zmi_msg_data(&b), zmi_msg_data(&a));
    assert_int_equal(zmi_msg_size(&b), 5);
    assert_memory_equal(zmi_msg_data(&b), "hello", 5);
    zmi_msg_close(&a);
    zmi_msg_close(&b);
}

// Copying onto a part that holds the last reference to other bytes
// releases them.
static void
test_copy_closes_dst(void **state)
{
    (void) state;
    free_counter_t fa, fb;
    zmi_msg_t a, b;
    init_counted(&a, &fa);
    init_counted(&b, &fb);
    assert_int_equal(zmi_msg_copy(&b, &a), 0);
    assert_int_equal(calls(&fb), 1);
    assert_int_equal(calls(&fa), 0);
    // Copying a part onto itself changes nothing.
    assert_int_equal(zmi_msg_copy(&b, &b), 0);
    assert_ptr_equal(zmi_msg_data(&b), fa.expect_data);
    zmi_msg_close(&a);
    assert_int_equal(calls(&fa), 0);
    zmi_msg_close(&b);
    assert_int_equal(calls(&fa), 1);
}

typedef struct {
    zmi_msg_t msg;
    pthread_t thread;
    unsigned sum;
} closer_t;

static void *
closer_main(void *arg)
{
    closer_t *cl = arg;
    const unsigned char *d = zmi_msg_data(&cl->msg);
    for (size_t i = 0; i < zmi_msg_size(&cl->msg); i++)
        cl->sum += d[i];
    zmi_msg_close(&cl->msg);
    return NULL;
}

static void
test_copies_closed_across_threads(void **state)
{
    (void) state;
    enum { NTHREADS = 8, ROUNDS = 50 };
    for (int round = 0; round < ROUNDS; round++) {
        free_counter_t fc;
        zmi_msg_t m;
        init_counted(&m, &fc);
        closer_t cl[NTHREADS];
        for (int i = 0; i < NTHREADS; i++) {
            zmi_msg_init(&cl[i].msg);
            cl[i].sum = 0;
            assert_int_equal(zmi_msg_copy(&cl[i].msg, &m), 0);
        }
        for (int i = 0; i < NTHREADS; i++)
            assert_int_equal(
                pthread_create(&cl[i].thread, NULL, closer_main, &cl[i]), 0);
        // Alternate: the original goes first or last.
        if (round % 2 == 0)
            zmi_msg_close(&m);
        for (int i = 0; i < NTHREADS; i++) {
            assert_int_equal(pthread_join(cl[i].thread, NULL), 0);
            assert_int_equal(cl[i].sum, 64u * 0xab);
        }
        if (round % 2 == 1) {
            assert_int_equal(calls(&fc), 0);
            zmi_msg_close(&m);
        }
        assert_int_equal(calls(&fc), 1);
    }
}

static void
test_move(void **state)
{
    (void) state;
    free_counter_t fa, fb;
    zmi_msg_t a, b;
    init_counted(&a, &fa);
    zmi_msg_set_more(&a, true);
    init_counted(&b, &fb);
    zmi_msg_move(&b, &a);
    // The old contents of dst are released, src's are now in dst.
    assert_int_equal(calls(&fb), 1);
    assert_int_equal(calls(&fa), 0);
    assert_ptr_equal(zmi_msg_data(&b), fa.expect_data);
    assert_int_equal(zmi_msg_size(&b), 64);
    assert_true(zmi_msg_more(&b));
    // src is an empty, initialised part.
    assert_true(zmi_msg_is_valid(&a));
    assert_int_equal(a.type, ZMI_MSG_VSM);
    assert_int_equal(zmi_msg_size(&a), 0);
    assert_false(zmi_msg_more(&a));
    zmi_msg_close(&a);
    assert_int_equal(calls(&fa), 0);
    // Moving a part onto itself keeps it.
    zmi_msg_move(&b, &b);
    assert_true(zmi_msg_is_valid(&b));
    assert_ptr_equal(zmi_msg_data(&b), fa.expect_data);
    assert_int_equal(calls(&fa), 0);
    zmi_msg_close(&b);
    assert_int_equal(calls(&fa), 1);

    // Into a closed part.
    zmi_msg_t c, d;
    assert_int_equal(zmi_msg_init_buffer(&c, "xyz", 3), 0);
    zmi_msg_init(&d);
    zmi_msg_close(&d);
    zmi_msg_move(&d, &c);
    assert_int_equal(zmi_msg_size(&d), 3);
    assert_memory_equal(zmi_msg_data(&d), "xyz", 3);
    assert_int_equal(zmi_msg_size(&c), 0);
    zmi_msg_close(&c);
    zmi_msg_close(&d);
}

// Constant parts point at the caller's bytes; a copy must not, since the
// caller may reuse them once the original part is gone.
static void
test_const(void **state)
{
    (void) state;
    static const size_t sizes[] = { 3, ZMI_MSG_VSM_MAX + 52 };
    for (size_t i = 0; i < 2; i++) {
        size_t n = sizes[i];
        unsigned char buf[ZMI_MSG_VSM_MAX + 52];
        memset(buf, 'c', sizeof(buf));
        zmi_msg_t k, cp;
        zmi_msg_init_const(&k, buf, n);
        zmi_msg_set_more(&k, true);
        assert_int_equal(k.type, ZMI_MSG_CMSG);
        assert_ptr_equal(zmi_msg_data(&k), buf);
        assert_int_equal(zmi_msg_size(&k), n);
        zmi_msg_init(&cp);
        assert_int_equal(zmi_msg_copy(&cp, &k), 0);
        assert_ptr_not_equal(zmi_msg_data(&cp), buf);
        assert_int_equal(zmi_msg_size(&cp), n);
        assert_true(zmi_msg_more(&cp));
        assert_int_equal(
            cp.type, n <= ZMI_MSG_VSM_MAX ? ZMI_MSG_VSM : ZMI_MSG_LMSG);
        // Closing the const part must not free the caller's (stack) bytes.
        zmi_msg_close(&k);
        memset(buf, 'z', sizeof(buf));
        unsigned char *d = zmi_msg_data(&cp);
        assert_int_equal(d[0], 'c');
        assert_int_equal(d[n - 1], 'c');
        // A copy of the private copy now shares it.
        zmi_msg_t cp2;
        zmi_msg_init(&cp2);
        assert_int_equal(zmi_msg_copy(&cp2, &cp), 0);
        if (n > ZMI_MSG_VSM_MAX)
            assert_ptr_equal(zmi_msg_data(&cp2), zmi_msg_data(&cp));
        zmi_msg_close(&cp);
        zmi_msg_close(&cp2);
    }
    // Without a free function, init_data also makes a const part.
    char text[] = "borrowed";
    zmi_msg_t m;
    assert_int_equal(zmi_msg_init_data(&m, text, 8, NULL, NULL), 0);
    assert_int_equal(m.type, ZMI_MSG_CMSG);
    assert_ptr_equal(zmi_msg_data(&m), text);
    assert_int_equal(zmi_msg_size(&m), 8);
    zmi_msg_close(&m);
}

// PUB fan-out: add_refs(n) and then n + 1 holders of the same struct.
static void
test_add_refs(void **state)
{
    (void) state;
    enum { MAXN = 6 };
    for (int n = 1; n <= MAXN; n++) {
        for (int preshared = 0; preshared < 2; preshared++) {
            free_counter_t fc;
            zmi_msg_t m, extra;
            init_counted(&m, &fc);
            if (preshared) {
                // Already shared through a copy: add_refs must add to
                // the live counter, not reset it.
                zmi_msg_init(&extra);
                assert_int_equal(zmi_msg_copy(&extra, &m), 0);
            }
            zmi_msg_add_refs(&m, n);
            zmi_msg_t holders[MAXN + 1];
            for (int i = 0; i <= n; i++)
                holders[i] = m;
            for (int i = 0; i < n; i++) {
                zmi_msg_close(&holders[i]);
                assert_int_equal(calls(&fc), 0);
            }
            if (preshared) {
                zmi_msg_close(&extra);
                assert_int_equal(calls(&fc), 0);
            }
            zmi_msg_close(&holders[n]);
            assert_int_equal(calls(&fc), 1);
        }
    }
    // add_refs(0) and add_refs on inline parts change nothing.
    free_counter_t fc;
    zmi_msg_t m;
    init_counted(&m, &fc);
    zmi_msg_add_refs(&m, 0);
    zmi_msg_close(&m);
    assert_int_equal(calls(&fc), 1);
    zmi_msg_t s;
    assert_int_equal(zmi_msg_init_buffer(&s, "ab", 2), 0);
    zmi_msg_add_refs(&s, 3);
    assert_int_equal(zmi_msg_size(&s), 2);
    zmi_msg_close(&s);
}

static void
test_delim(void **state)
{
    (void) state;
    zmi_msg_t m;
    zmi_msg_init_delim(&m);
    assert_true(zmi_msg_is_valid(&m));
    assert_true(zmi_msg_is_delim(&m));
    assert_int_equal(zmi_msg_size(&m), 0);
    zmi_msg_close(&m);
    assert_false(zmi_msg_is_delim(&m));
}

static void
test_more_flag(void **state)
{
    (void) state;
    zmi_msg_t m;
    zmi_msg_init(&m);
    zmi_msg_set_more(&m, true);
    assert_true(zmi_msg_more(&m));
    zmi_msg_set_more(&m, false);
    assert_false(zmi_msg_more(&m));
    zmi_msg_close(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_struct_is_64_bytes),
        cmocka_unit_test(test_init_empty),
        cmocka_unit_test(test_init_size),
        cmocka_unit_test(test_init_buffer_copies),
        cmocka_unit_test(test_init_data_frees_once),
        cmocka_unit_test(test_copy_shares_large),
        cmocka_unit_test(test_copy_small_is_bytes),
        cmocka_unit_test(test_copy_closes_dst),
        cmocka_unit_test(test_copies_closed_across_threads),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_const),
        cmocka_unit_test(test_add_refs),
        cmocka_unit_test(test_delim),
        cmocka_unit_test(test_more_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
