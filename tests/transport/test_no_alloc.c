// No allocation per small message: once a connection is warm, moving
// 10,000 messages of 0 to 32 octets from a PUSH to a PULL allocates nothing
// per message, in any thread (the sender's, the I/O thread's, the
// receiver's), over tcp and over inproc. malloc, calloc, realloc and
// aligned_alloc are wrapped (see tests/CMakeLists.txt) and counted while
// the messages move.

#include "testutil.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);

static atomic_bool counting;
static atomic_int allocations;

static void
count(void)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add(&allocations, 1);
}

void *
__wrap_malloc(size_t size)
{
    count();
    return __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
    count();
    return __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
    count();
    return __real_realloc(p, size);
}

void *
__wrap_aligned_alloc(size_t align, size_t size)
{
    count();
    return __real_aligned_alloc(align, size);
}

enum { BURST = 100, ROUNDS = 100 };

// Bursts of BURST messages of 0..32 octets, each received and checked.
static void
move_bursts(void *push, void *pull, int rounds)
{
    static const char bytes[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < BURST; i++)
            assert_int_equal(zmsg_send(push, bytes, (size_t) (i % 33), 0),
                             i % 33);
        for (int i = 0; i < BURST; i++) {
            char buf[64];
            assert_int_equal(zmsg_recv(pull, buf, sizeof(buf), 0), i % 33);
            assert_memory_equal(buf, bytes, (size_t) (i % 33));
        }
    }
}

static void
no_alloc_over(void *ctx, const char *bind_to)
{
    void *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    if (bind_to == NULL) {
        zt_bind_tcp(pull, ep, sizeof(ep));
    } else {
        assert_int_equal(zmsg_bind(pull, bind_to), 0);
        snprintf(ep, sizeof(ep), "%s", bind_to);
    }
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    move_bursts(push, pull, 20); // warm: queues at their working size
    // The counter sees allocations at all (the wrap is linked in).
    atomic_store(&allocations, 0);
    atomic_store(&counting, true);
    void *volatile probe = malloc(16); // volatile: not optimised away
    free(probe);
    atomic_store(&counting, false);
    assert_int_equal(atomic_load(&allocations), 1);
    atomic_store(&allocations, 0);
    atomic_store(&counting, true);
    move_bursts(push, pull, ROUNDS);
    atomic_store(&counting, false);
    int n = atomic_load(&allocations);
    print_message("%s: %d allocations for %d messages\n",
                  bind_to ? bind_to : "tcp", n, BURST * ROUNDS);
    assert_int_equal(n, 0);
    zmsg_close(push);
    zmsg_close(pull);
}

static void
test_no_alloc_tcp(void **state)
{
    no_alloc_over(*state, NULL);
}

static void
test_no_alloc_inproc(void **state)
{
    no_alloc_over(*state, "inproc://no-alloc");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ZT_CTX_TEST(test_no_alloc_tcp),
        ZT_CTX_TEST(test_no_alloc_inproc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
