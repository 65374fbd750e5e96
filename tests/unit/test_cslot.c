// Unit tests for the conflating slot behind ZMSG_CONFLATE: the newest part
// wins, displaced parts are closed, the reader-asleep mark reports the
// wake-up edge exactly once, and two threads moving a million parts see
// only increasing values ending with the last one written.

#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "core/msg.h"
#include "pipe/cslot.h"

static void
put(zmi_cslot_t *c, uint64_t v, int want_rc)
{
    zmi_msg_t m;
    assert_int_equal(zmi_msg_init_size(&m, sizeof(v)), 0);
    memcpy(zmi_msg_data(&m), &v, sizeof(v));
    assert_int_equal(zmi_cslot_write(c, &m), want_rc);
}

static bool
take(zmi_cslot_t *c, uint64_t *v)
{
    zmi_msg_t m;
    if (!zmi_cslot_read(c, &m))
        return false;
    assert_int_equal(zmi_msg_size(&m), sizeof(*v));
    memcpy(v, zmi_msg_data(&m), sizeof(*v));
    zmi_msg_close(&m);
    return true;
}

// The newest part replaces unread ones; reading empties the slot.
static void
test_newest_wins(void **state)
{
    (void) state;
    zmi_cslot_t c;
    zmi_cslot_init(&c);
    for (uint64_t i = 1; i <= 5; i++)
        put(&c, i, 0);
    assert_int_equal(c.replaced, 4);
    uint64_t v;
    assert_true(take(&c, &v));
    assert_int_equal(v, 5);
    assert_false(take(&c, &v));
    zmi_cslot_fini(&c);
}

// A reader that found the slot empty sleeps: the next write says so once.
static void
test_wakeup_edge(void **state)
{
    (void) state;
    zmi_cslot_t c;
    zmi_cslot_init(&c);
    uint64_t v;
    assert_false(take(&c, &v)); // reader now asleep
    put(&c, 1, 1);              // wake it
    put(&c, 2, 0);              // already woken
    assert_true(take(&c, &v));
    assert_int_equal(v, 2);
    assert_false(take(&c, &v));
    assert_false(take(&c, &v)); // still asleep, still one wake-up owed
    put(&c, 3, 1);
    zmi_cslot_fini(&c); // closes part 3 (ASan would see a leak otherwise)
}

// Large parts (shared buffers) displaced before anyone read them are
// released.
static void
test_displaced_large_parts_are_closed(void **state)
{
    (void) state;
    zmi_cslot_t c;
    zmi_cslot_init(&c);
    for (int i = 0; i < 100; i++) {
        zmi_msg_t m;
        assert_int_equal(zmi_msg_init_size(&m, 4096), 0);
        memset(zmi_msg_data(&m), i, 4096);
        assert_true(zmi_cslot_write(&c, &m) >= 0);
    }
    zmi_msg_t m;
    assert_true(zmi_cslot_read(&c, &m));
    assert_int_equal(((uint8_t *) zmi_msg_data(&m))[4095], 99);
    zmi_msg_close(&m);
    zmi_cslot_fini(&c);
}

enum { STRESS_N = 1000000 };

static void *
stress_writer(void *arg)
{
    zmi_cslot_t *c = arg;
    for (uint64_t i = 1; i <= STRESS_N; i++) {
        zmi_msg_t m;
        zmi_msg_init_size(&m, sizeof(i));
        memcpy(zmi_msg_data(&m), &i, sizeof(i));
        if (zmi_cslot_write(c, &m) < 0)
            return (void *) 1;
    }
    return NULL;
}

// Two threads: every value read is newer than the one before, and the
// reader ends on the last value written.
static void
test_two_threads(void **state)
{
    (void) state;
    zmi_cslot_t c;
    zmi_cslot_init(&c);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stress_writer, &c), 0);
    uint64_t last = 0, reads = 0;
    while (last < STRESS_N) {
        uint64_t v;
        if (!take(&c, &v))
            continue;
        assert_true(v > last);
        last = v;
        reads++;
    }
    void *rc;
    pthread_join(t, &rc);
    assert_null(rc);
    assert_int_equal(last, STRESS_N);
    assert_true(reads >= 1);
    zmi_cslot_fini(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newest_wins),
        cmocka_unit_test(test_wakeup_edge),
        cmocka_unit_test(test_displaced_large_parts_are_closed),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
