// Unit tests for the timer heap (src/io/timer.c): ordering, cancel,
// re-arming from callbacks and timeout computation.

#include "testutil.h"

#include <limits.h>
#include <stdlib.h>

#include "io/timer.h"

#define MANY 2000

// What the callbacks record, shared by one test at a time.
static zmi_timer_t *fired[MANY * 4]; // timers in the order they fired
static int nfired; // entries used in fired[]

static void
record_cb(zmi_timer_t *t)
{
    assert_true(nfired < MANY * 4);
    assert_false(zmi_timer_armed(t));
    fired[nfired++] = t;
}

// Checks every heap slot: stored index, order against the parent.
static void
check_heap(const zmi_timers_t *ts)
{
    for (int i = 0; i < ts->count; i++) {
        assert_int_equal(ts->heap[i]->index, i);
        if (i > 0)
            assert_true(
                ts->heap[(i - 1) / 2]->deadline <= ts->heap[i]->deadline);
    }
}

static void
test_empty(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t t;

    (void) state;
    zmi_timers_init(&ts);
    zmi_timer_init(&t, record_cb, NULL);
    assert_false(zmi_timer_armed(&t));
    assert_int_equal(zmi_timers_timeout(&ts, 0), -1);
    nfired = 0;
    zmi_timers_run(&ts, INT64_MAX);
    assert_int_equal(nfired, 0);
    // Cancelling a timer that was never armed is a no-op.
    zmi_timers_cancel(&ts, &t);
    assert_int_equal(ts.count, 0);
    zmi_timers_fini(&ts);
}

static void
test_random_order(void **state)
{
    static zmi_timer_t t[MANY];
    zmi_timers_t ts;
    int64_t now;

    (void) state;
    srand(12345);
    zmi_timers_init(&ts);
    for (int i = 0; i < MANY; i++) {
        zmi_timer_init(&t[i], record_cb, NULL);
        assert_int_equal(zmi_timers_add(&ts, &t[i], rand() % 1000), 0);
        assert_true(zmi_timer_armed(&t[i]));
    }
    assert_int_equal(ts.count, MANY);
    check_heap(&ts);

    // Advance time in steps: each run fires exactly what is due, in order.
    nfired = 0;
    for (now = -1; now < 1000 + 7; now += 7) {
        int before = nfired;

        zmi_timers_run(&ts, now);
        check_heap(&ts);
        for (int i = before; i < nfired; i++) {
            assert_true(fired[i]->deadline <= now);
            if (i > 0)
                assert_true(fired[i - 1]->deadline <= fired[i]->deadline);
        }
        if (ts.count > 0)
            assert_true(ts.heap[0]->deadline > now);
    }
    assert_int_equal(nfired, MANY);
    assert_int_equal(ts.count, 0);
    for (int i = 0; i < MANY; i++)
        assert_false(zmi_timer_armed(&t[i]));
    zmi_timers_fini(&ts);
}

static void
test_cancel(void **state)
{
    zmi_timer_t t[100];
    zmi_timer_t idle;
    zmi_timers_t ts;
    zmi_timer_t *head;

    (void) state;
    zmi_timers_init(&ts);
    zmi_timer_init(&idle, record_cb, NULL);
    for (int i = 0; i < 100; i++) {
        zmi_timer_init(&t[i], record_cb, NULL);
        // Deadlines 0, 37, 74, ... modulo 101: all different, shuffled.
        assert_int_equal(zmi_timers_add(&ts, &t[i], (i * 37) % 101), 0);
    }
    // The head (deadline 0 is t[0]), a middle one and a non-armed one.
    head = ts.heap[0];
    assert_ptr_equal(head, &t[0]);
    zmi_timers_cancel(&ts, head);
    assert_false(zmi_timer_armed(head));
    check_heap(&ts);
    zmi_timers_cancel(&ts, &t[50]);
    assert_false(zmi_timer_armed(&t[50]));
    check_heap(&ts);
    zmi_timers_cancel(&ts, &idle);
    zmi_timers_cancel(&ts, &t[50]);
    assert_int_equal(ts.count, 98);
    check_heap(&ts);
    // The last leaf too.
    zmi_timers_cancel(&ts, ts.heap[ts.count - 1]);
    assert_int_equal(ts.count, 97);
    check_heap(&ts);

    nfired = 0;
    zmi_timers_run(&ts, 1000);
    assert_int_equal(nfired, 97);
    for (int i = 0; i < nfired; i++) {
        assert_ptr_not_equal(fired[i], &t[0]);
        assert_ptr_not_equal(fired[i], &t[50]);
        if (i > 0)
            assert_true(fired[i - 1]->deadline < fired[i]->deadline);
    }
    zmi_timers_fini(&ts);
}

static void
test_rearm_armed(void **state)
{
    zmi_timer_t a, b, c;
    zmi_timers_t ts;

    (void) state;
    zmi_timers_init(&ts);
    zmi_timer_init(&a, record_cb, NULL);
    zmi_timer_init(&b, record_cb, NULL);
    zmi_timer_init(&c, record_cb, NULL);
    assert_int_equal(zmi_timers_add(&ts, &a, 10), 0);
    assert_int_equal(zmi_timers_add(&ts, &b, 20), 0);
    assert_int_equal(zmi_timers_add(&ts, &c, 30), 0);
    // Adding an armed timer moves it rather than adding it twice.
    assert_int_equal(zmi_timers_add(&ts, &a, 40), 0);
    assert_int_equal(zmi_timers_add(&ts, &c, 5), 0);
    assert_int_equal(ts.count, 3);
    check_heap(&ts);
    nfired = 0;
    zmi_timers_run(&ts, 100);
    assert_int_equal(nfired, 3);
    assert_ptr_equal(fired[0], &c);
    assert_ptr_equal(fired[1], &b);
    assert_ptr_equal(fired[2], &a);
    zmi_timers_fini(&ts);
}

static zmi_timers_t *cb_ts; // the heap the callbacks below act on

// Re-arms itself 10 ms later, three times in all.
static void
rearm_cb(zmi_timer_t *t)
{
    int *left = t->arg;

    record_cb(t);
    if (--*left > 0)
        assert_int_equal(zmi_timers_add(cb_ts, t, t->deadline + 10), 0);
}

static void
test_rearm_from_callback(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t t;
    int left = 3;

    (void) state;
    zmi_timers_init(&ts);
    cb_ts = &ts;
    zmi_timer_init(&t, rearm_cb, &left);
    assert_int_equal(zmi_timers_add(&ts, &t, 100), 0);
    nfired = 0;
    zmi_timers_run(&ts, 99);
    assert_int_equal(nfired, 0);
    zmi_timers_run(&ts, 100);
    assert_int_equal(nfired, 1);
    assert_true(zmi_timer_armed(&t));
    assert_int_equal(zmi_timers_timeout(&ts, 100), 10);
    zmi_timers_run(&ts, 115);
    assert_int_equal(nfired, 2);
    assert_int_equal(t.deadline, 120);
    zmi_timers_run(&ts, 1000);
    assert_int_equal(nfired, 3);
    assert_false(zmi_timer_armed(&t));
    assert_int_equal(zmi_timers_timeout(&ts, 1000), -1);
    zmi_timers_fini(&ts);
}

// Re-arms itself for a deadline that has already passed, every time.
static void
rearm_past_cb(zmi_timer_t *t)
{
    record_cb(t);
    assert_int_equal(zmi_timers_add(cb_ts, t, t->deadline), 0);
}

static void
test_rearm_past_does_not_loop(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t t;

    (void) state;
    zmi_timers_init(&ts);
    cb_ts = &ts;
    zmi_timer_init(&t, rearm_past_cb, NULL);
    assert_int_equal(zmi_timers_add(&ts, &t, 5), 0);
    nfired = 0;
    // One due timer on entry: one call per run, not an endless loop.
    zmi_timers_run(&ts, 10);
    assert_int_equal(nfired, 1);
    assert_true(zmi_timer_armed(&t));
    assert_int_equal(zmi_timers_timeout(&ts, 10), 0);
    zmi_timers_run(&ts, 10);
    assert_int_equal(nfired, 2);
    zmi_timers_cancel(&ts, &t);
    zmi_timers_fini(&ts);
}

// Cancels the timer in its arg; it is due in the same run.
static void
cancel_other_cb(zmi_timer_t *t)
{
    record_cb(t);
    zmi_timers_cancel(cb_ts, t->arg);
}

// Arms the timer in its arg for later, and itself once more.
static void
add_other_cb(zmi_timer_t *t)
{
    record_cb(t);
    assert_int_equal(zmi_timers_add(cb_ts, t->arg, 500), 0);
    assert_int_equal(zmi_timers_add(cb_ts, t, 400), 0);
}

static void
test_callback_cancels_and_adds(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t a, b, c, d, e;

    (void) state;
    zmi_timers_init(&ts);
    cb_ts = &ts;
    zmi_timer_init(&b, record_cb, NULL);
    zmi_timer_init(&a, cancel_other_cb, &b);
    zmi_timer_init(&d, record_cb, NULL);
    zmi_timer_init(&c, add_other_cb, &d);
    zmi_timer_init(&e, record_cb, NULL);
    assert_int_equal(zmi_timers_add(&ts, &a, 1), 0);
    assert_int_equal(zmi_timers_add(&ts, &b, 2), 0);
    assert_int_equal(zmi_timers_add(&ts, &c, 3), 0);
    assert_int_equal(zmi_timers_add(&ts, &e, 4), 0);
    nfired = 0;
    // a cancels b, which was due too; c adds d and re-arms itself.
    zmi_timers_run(&ts, 10);
    assert_int_equal(nfired, 3);
    assert_ptr_equal(fired[0], &a);
    assert_ptr_equal(fired[1], &c);
    assert_ptr_equal(fired[2], &e);
    assert_false(zmi_timer_armed(&b));
    assert_true(zmi_timer_armed(&c));
    assert_true(zmi_timer_armed(&d));
    assert_int_equal(ts.count, 2);
    check_heap(&ts);
    assert_int_equal(zmi_timers_timeout(&ts, 10), 390);
    // Both due: c runs first and re-arms d, which withdraws d's call.
    zmi_timers_run(&ts, 1000);
    assert_int_equal(nfired, 4);
    assert_ptr_equal(fired[3], &c);
    assert_true(zmi_timer_armed(&c));
    assert_true(zmi_timer_armed(&d));
    assert_int_equal(d.deadline, 500);
    zmi_timers_cancel(&ts, &c);
    zmi_timers_cancel(&ts, &d);
    assert_int_equal(ts.count, 0);
    zmi_timers_fini(&ts);
}

static zmi_timer_t spawned[200]; // armed by spawn_cb

// Arms 200 more timers, due at once, so the heap grows mid-run.
static void
spawn_cb(zmi_timer_t *t)
{
    record_cb(t);
    for (int i = 0; i < 200; i++) {
        zmi_timer_init(&spawned[i], record_cb, NULL);
        assert_int_equal(zmi_timers_add(cb_ts, &spawned[i], 0), 0);
    }
}

static void
test_callback_grows_heap(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t t[10];

    (void) state;
    zmi_timers_init(&ts);
    cb_ts = &ts;
    for (int i = 0; i < 10; i++) {
        zmi_timer_init(&t[i], i == 0 ? spawn_cb : record_cb, NULL);
        assert_int_equal(zmi_timers_add(&ts, &t[i], i), 0);
    }
    nfired = 0;
    // The ten due timers all fire; the 200 new ones wait for the next run.
    zmi_timers_run(&ts, 100);
    assert_int_equal(nfired, 10);
    for (int i = 0; i < 10; i++)
        assert_ptr_equal(fired[i], &t[i]);
    assert_int_equal(ts.count, 200);
    check_heap(&ts);
    zmi_timers_run(&ts, 100);
    assert_int_equal(nfired, 210);
    assert_int_equal(ts.count, 0);
    zmi_timers_fini(&ts);
}

// Cancels itself after being disarmed: must be a harmless no-op.
static void
cancel_self_cb(zmi_timer_t *t)
{
    record_cb(t);
    zmi_timers_cancel(cb_ts, t);
}

static void
test_callback_cancels_itself(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t a, b;

    (void) state;
    zmi_timers_init(&ts);
    cb_ts = &ts;
    zmi_timer_init(&a, cancel_self_cb, NULL);
    zmi_timer_init(&b, record_cb, NULL);
    assert_int_equal(zmi_timers_add(&ts, &a, 1), 0);
    assert_int_equal(zmi_timers_add(&ts, &b, 50), 0);
    nfired = 0;
    zmi_timers_run(&ts, 10);
    assert_int_equal(nfired, 1);
    assert_int_equal(ts.count, 1);
    assert_ptr_equal(ts.heap[0], &b);
    zmi_timers_fini(&ts);
    // fini leaves the timers it held unarmed.
    assert_false(zmi_timer_armed(&b));
}

static void
test_timeout(void **state)
{
    zmi_timers_t ts;
    zmi_timer_t a, b;

    (void) state;
    zmi_timers_init(&ts);
    zmi_timer_init(&a, record_cb, NULL);
    zmi_timer_init(&b, record_cb, NULL);
    assert_int_equal(zmi_timers_timeout(&ts, 1000), -1);
    assert_int_equal(zmi_timers_add(&ts, &a, 1500), 0);
    assert_int_equal(zmi_timers_timeout(&ts, 1000), 500);
    assert_int_equal(zmi_timers_add(&ts, &b, 1200), 0);
    assert_int_equal(zmi_timers_timeout(&ts, 1000), 200);
    assert_int_equal(zmi_timers_timeout(&ts, 1200), 0);
    assert_int_equal(zmi_timers_timeout(&ts, 5000), 0);
    zmi_timers_cancel(&ts, &b);
    assert_int_equal(zmi_timers_timeout(&ts, 1000), 500);
    // Far deadlines clamp to INT_MAX rather than wrapping.
    assert_int_equal(zmi_timers_add(&ts, &a, INT64_MAX / 2), 0);
    assert_int_equal(zmi_timers_timeout(&ts, 0), INT_MAX);
    zmi_timers_cancel(&ts, &a);
    assert_int_equal(zmi_timers_timeout(&ts, 0), -1);
    zmi_timers_fini(&ts);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_random_order),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_rearm_armed),
        cmocka_unit_test(test_rearm_from_callback),
        cmocka_unit_test(test_rearm_past_does_not_loop),
        cmocka_unit_test(test_callback_cancels_and_adds),
        cmocka_unit_test(test_callback_cancels_itself),
        cmocka_unit_test(test_callback_grows_heap),
        cmocka_unit_test(test_timeout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
