// Unit tests for the copies of big parts behind a full queue
// (src/core/copy_cold.c): the copy is exact for every size and alignment,
// a thread copies cold only after it found a queue full, only for big
// parts behind a queue too long for the caches, and only for one queue's
// worth of parts.

#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/copy_cold.h"

static void
test_copy_is_exact(void **state)
{
    (void) state;
    enum { MAX = 70000 };
    uint8_t *src = malloc(MAX + 64), *dst = malloc(MAX + 64);
    assert_non_null(src);
    assert_non_null(dst);
    for (size_t i = 0; i < MAX + 64; i++)
        src[i] = (uint8_t) (i * 7 + (i >> 9));
    static const size_t sizes[] = { 0, 1, 15, 16, 17, 63, 64, 65, 127, 300,
                                    4096, 65536, MAX };
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
        for (size_t so = 0; so < 16; so += 5)
            for (size_t dof = 0; dof < 16; dof += 3) {
                size_t n = sizes[k];
                memset(dst, 0xee, MAX + 64);
                zmi_copy_cold(dst + dof, src + so, n);
                assert_memory_equal(dst + dof, src + so, n);
                // Nothing around the destination is touched.
                for (size_t i = 0; i < dof; i++)
                    assert_int_equal(dst[i], 0xee);
                assert_int_equal(dst[dof + n], 0xee);
            }
    free(src);
    free(dst);
}

// Each case runs on a thread of its own: the state is per thread.
static void *
decisions_main(void *arg)
{
    int *failures = arg;
#define CHECK(c)                                                             \
    do {                                                                     \
        if (!(c))                                                            \
            (*failures)++;                                                   \
    } while (0)
    // No full queue seen yet.
    CHECK(!zmi_copy_cold_wanted(65536));
    // An unlimited queue is never full.
    zmi_copy_cold_note_full(0);
    CHECK(!zmi_copy_cold_wanted(65536));
    // 1,000 parts of 64 KiB: cold; small parts never.
    zmi_copy_cold_note_full(1000);
    CHECK(!zmi_copy_cold_wanted(ZMI_COPY_COLD_MIN - 1));
    CHECK(zmi_copy_cold_wanted(65536));
    // 10 parts of 64 KiB fit the caches.
    zmi_copy_cold_note_full(10);
    CHECK(!zmi_copy_cold_wanted(65536));
    // Three parts of 4 MiB: cold three times, then ordinary again.
    zmi_copy_cold_note_full(3);
    for (int i = 0; i < 3; i++)
        CHECK(zmi_copy_cold_wanted(4u << 20));
    CHECK(!zmi_copy_cold_wanted(4u << 20));
#undef CHECK
    return NULL;
}

static void
test_decisions(void **state)
{
    (void) state;
    int failures = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, decisions_main, &failures), 0);
    pthread_join(t, NULL);
    assert_int_equal(failures, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_is_exact),
        cmocka_unit_test(test_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
