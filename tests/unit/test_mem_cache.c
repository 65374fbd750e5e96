// Unit tests for the cache of big allocations (src/core/mem_cache.c): a
// block given back is the next one handed out for its size class, blocks
// are aligned and as big as asked, sizes the cache does not keep still
// work, what it holds stays within its bound, and two threads taking and
// giving back blocks of one class never hold the same block at once.

#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "core/mem_cache.h"

#define BIG (65536 + 64)

static void
test_reuse(void **state)
{
    (void) state;
    uint8_t *p = zmi_mem_alloc(BIG, 64);
    assert_non_null(p);
    assert_int_equal((uintptr_t) p % 64, 0);
    memset(p, 0xab, BIG); // ASan: the whole size is usable
    size_t held = zmi_mem_cache_held();
    zmi_mem_free(p, BIG);
    assert_true(zmi_mem_cache_held() > held);
    // Any size of the same class gets the same block back.
    uint8_t *q = zmi_mem_alloc(BIG + 100, 64);
    assert_ptr_equal(q, p);
    assert_int_equal(zmi_mem_cache_held(), held);
    memset(q, 0xcd, BIG + 100);
    zmi_mem_free(q, BIG + 100);
    zmi_mem_free(NULL, BIG);
}

static void
test_sizes_not_kept(void **state)
{
    (void) state;
    static const size_t sizes[] = { 1, 64, 16384, (1u << 20) + 1, 3u << 20 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t held = zmi_mem_cache_held();
        uint8_t *p = zmi_mem_alloc(sizes[i], 64);
        assert_non_null(p);
        assert_int_equal((uintptr_t) p % 64, 0);
        memset(p, 1, sizes[i]);
        zmi_mem_free(p, sizes[i]);
        assert_int_equal(zmi_mem_cache_held(), held);
    }
    // Without an alignment to keep, they come from malloc.
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t *p = zmi_mem_alloc(sizes[i], 8);
        assert_non_null(p);
        assert_int_equal((uintptr_t) p % 8, 0);
        memset(p, 2, sizes[i]);
        zmi_mem_free(p, sizes[i]);
    }
    // Every class boundary up to 1 MiB round-trips.
    for (size_t n = 16385; n <= (1u << 20); n += 4093) {
        uint8_t *p = zmi_mem_alloc(n, 64);
        assert_non_null(p);
        p[0] = 1;
        p[n - 1] = 2;
        zmi_mem_free(p, n);
    }
}

static void
test_bound(void **state)
{
    (void) state;
    enum { N = 200 };
    static void *blocks[N];
    size_t size = 300000;
    for (int i = 0; i < N; i++) {
        blocks[i] = zmi_mem_alloc(size, 64);
        assert_non_null(blocks[i]);
    }
    for (int i = 0; i < N; i++)
        zmi_mem_free(blocks[i], size);
    size_t held = zmi_mem_cache_held();
    assert_true(held <= ZMI_MEM_CACHE_BYTES);
    assert_true(held >= size);
    // Taking them all out again empties the class.
    for (int i = 0; i < N; i++)
        blocks[i] = zmi_mem_alloc(size, 64);
    assert_true(zmi_mem_cache_held() < held);
    for (int i = 0; i < N; i++)
        zmi_mem_free(blocks[i], size);
}

struct churn {
    uint8_t mark;
    int failures;
};

// Takes a block, fills it with its own mark, checks nobody else wrote it,
// and gives it back; many times.
static void *
churn_main(void *arg)
{
    struct churn *c = arg;
    for (int i = 0; i < 20000; i++) {
        size_t size = 20000 + (size_t) (i % 7) * 1000;
        uint8_t *p = zmi_mem_alloc(size, 64);
        if (p == NULL) {
            c->failures++;
            continue;
        }
        memset(p, c->mark, size);
        for (size_t k = 0; k < size; k += 997)
            if (p[k] != c->mark)
                c->failures++;
        zmi_mem_free(p, size);
    }
    return NULL;
}

static void
test_two_threads_never_share(void **state)
{
    (void) state;
    struct churn a = { 0x11, 0 }, b = { 0x22, 0 };
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, churn_main, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, churn_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.failures, 0);
    assert_int_equal(b.failures, 0);
    assert_true(zmi_mem_cache_held() <= ZMI_MEM_CACHE_BYTES);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_sizes_not_kept),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_two_threads_never_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
