// The zmsg_msg_* API: sizes, zero-copy parts and their free function,
// copy/move, MORE, close, send/recv of message objects and send_const,
// with libzmq's semantics.

#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct fixture {
    void *ctx;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->ctx = zmsg_ctx_new();
    assert_non_null(f->ctx);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(zmsg_ctx_term(f->ctx), 0);
    free(f);
    return 0;
}

// A connected PUSH/PULL pair over tcp.
static void
make_pair(void *ctx, void **push, void **pull)
{
    *pull = zt_socket(ctx, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(*pull, ep, sizeof(ep));
    *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(*push, ep), 0);
}

static void
test_init_size_gives_writable_parts(void **state)
{
    (void) state;
    zmsg_msg_t empty;
    assert_int_equal(zmsg_msg_init(&empty), 0);
    assert_int_equal(zmsg_msg_size(&empty), 0);
    assert_int_equal(zmsg_msg_more(&empty), 0);
    assert_int_equal(zmsg_msg_close(&empty), 0);
    size_t sizes[] = { 0, 1, 48, 49, 1 << 20 };
    size_t n = sizeof(sizes) / sizeof(sizes[0]);
    zmsg_msg_t msgs[5];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(zmsg_msg_init_size(&msgs[i], sizes[i]), 0);
        assert_int_equal(zmsg_msg_size(&msgs[i]), sizes[i]);
        if (sizes[i] > 0) {
            assert_non_null(zmsg_msg_data(&msgs[i]));
            memset(zmsg_msg_data(&msgs[i]), (int) i + 1, sizes[i]);
        }
    }
    // No two parts overlap: each still holds its own fill.
    for (size_t i = 0; i < n; i++) {
        unsigned char *d = zmsg_msg_data(&msgs[i]);
        for (size_t k = 0; k < sizes[i]; k++)
            if (d[k] != (unsigned char) (i + 1))
                fail_msg("part %zu byte %zu overwritten", sizes[i], k);
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(zmsg_msg_close(&msgs[i]), 0);
}

typedef struct free_probe {
    atomic_int calls;
    void *data;
    void *hint;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} free_probe_t;

static void
free_probe_init(free_probe_t *p)
{
    atomic_init(&p->calls, 0);
    p->data = NULL;
    p->hint = NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &attr);
    pthread_condattr_destroy(&attr);
}

static void
free_probe_fini(free_probe_t *p)
{
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
}

// The free function: may run on any thread.
static void
probe_free(void *data, void *hint)
{
    free_probe_t *p = hint;
    pthread_mutex_lock(&p->lock);
    p->data = data;
    p->hint = hint;
    atomic_fetch_add(&p->calls, 1);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    free(data);
}

// Waits up to ZT_TIMEOUT_MS for the free function to have run.
static void
free_probe_wait(free_probe_t *p)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ZT_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&p->lock);
    int rc = 0;
    while (atomic_load(&p->calls) == 0 && rc == 0)
        rc = pthread_cond_timedwait(&p->cond, &p->lock, &until);
    pthread_mutex_unlock(&p->lock);
    if (atomic_load(&p->calls) == 0)
        fail_msg("free function not called within %d ms", ZT_TIMEOUT_MS);
}

static void
test_init_data_free_fn_runs_once_when_unsent(void **state)
{
    (void) state;
    free_probe_t probe;
    free_probe_init(&probe);
    char *buf = malloc(100);
    memset(buf, 'z', 100);
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init_data(&msg, buf, 100, probe_free, &probe), 0);
    assert_ptr_equal(zmsg_msg_data(&msg), buf); // zero-copy
    assert_int_equal(zmsg_msg_size(&msg), 100);
    assert_int_equal(atomic_load(&probe.calls), 0);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    assert_int_equal(atomic_load(&probe.calls), 1);
    assert_ptr_equal(probe.data, buf);
    assert_ptr_equal(probe.hint, &probe);
    free_probe_fini(&probe);
}

// The free function waits for the last reference: a copy keeps the
// buffer alive after the original is closed.
static void
test_init_data_free_fn_waits_for_last_copy(void **state)
{
    (void) state;
    free_probe_t probe;
    free_probe_init(&probe);
    char *buf = malloc(64);
    memset(buf, 'c', 64);
    zmsg_msg_t a, b;
    assert_int_equal(zmsg_msg_init_data(&a, buf, 64, probe_free, &probe), 0);
    assert_int_equal(zmsg_msg_init(&b), 0);
    assert_int_equal(zmsg_msg_copy(&b, &a), 0);
    assert_int_equal(zmsg_msg_close(&a), 0);
    assert_int_equal(atomic_load(&probe.calls), 0);
    assert_memory_equal(zmsg_msg_data(&b), buf, 64);
    assert_int_equal(zmsg_msg_close(&b), 0);
    assert_int_equal(atomic_load(&probe.calls), 1);
    free_probe_fini(&probe);
}

static void
test_init_data_free_fn_runs_once_after_send(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    free_probe_t probe;
    free_probe_init(&probe);
    size_t size = 100000;
    unsigned char *buf = malloc(size);
    for (size_t i = 0; i < size; i++)
        buf[i] = (unsigned char) (i * 31);
    zmsg_msg_t out;
    assert_int_equal(
        zmsg_msg_init_data(&out, buf, size, probe_free, &probe), 0);
    assert_ptr_equal(zmsg_msg_data(&out), buf);
    assert_int_equal(atomic_load(&probe.calls), 0); // not before the send
    assert_int_equal(zmsg_msg_send(&out, push, 0), (int) size);
    zmsg_msg_t in;
    assert_int_equal(zmsg_msg_init(&in), 0);
    assert_int_equal(zmsg_msg_recv(&in, pull, 0), (int) size);
    assert_int_equal(zmsg_msg_size(&in), size);
    unsigned char *got = zmsg_msg_data(&in);
    for (size_t i = 0; i < size; i++)
        if (got[i] != (unsigned char) (i * 31))
            fail_msg("byte %zu differs", i);
    assert_int_equal(zmsg_msg_close(&in), 0);
    assert_int_equal(zmsg_msg_close(&out), 0); // empty after send
    // The sender's buffer goes once the I/O thread has written it.
    free_probe_wait(&probe);
    assert_int_equal(atomic_load(&probe.calls), 1);
    assert_ptr_equal(probe.data, buf);
    zmsg_close(push);
    zmsg_close(pull);
    assert_int_equal(zmsg_ctx_term(f->ctx), 0);
    f->ctx = zmsg_ctx_new(); // for the teardown
    assert_int_equal(atomic_load(&probe.calls), 1); // still exactly once
    free_probe_fini(&probe);
}

static void
test_copy_shares_large_buffer(void **state)
{
    (void) state;
    zmsg_msg_t a, b;
    assert_int_equal(zmsg_msg_init_size(&a, 1000), 0);
    memset(zmsg_msg_data(&a), 'q', 1000);
    assert_int_equal(zmsg_msg_get(&a, ZMSG_SHARED), 0);
    assert_int_equal(zmsg_msg_init(&b), 0);
    assert_int_equal(zmsg_msg_copy(&b, &a), 0);
    assert_ptr_equal(zmsg_msg_data(&b), zmsg_msg_data(&a));
    assert_int_equal(zmsg_msg_size(&b), 1000);
    assert_int_equal(zmsg_msg_get(&a, ZMSG_SHARED), 1);
    assert_int_equal(zmsg_msg_get(&b, ZMSG_SHARED), 1);
    assert_int_equal(zmsg_msg_close(&a), 0);
    // The copy outlives the original (ASan catches a use after free).
    unsigned char *d = zmsg_msg_data(&b);
    assert_int_equal(d[0], 'q');
    assert_int_equal(d[999], 'q');
    assert_int_equal(zmsg_msg_close(&b), 0);
}

static void
test_move_leaves_source_empty(void **state)
{
    (void) state;
    zmsg_msg_t a, b;
    assert_int_equal(zmsg_msg_init_size(&a, 1000), 0);
    memset(zmsg_msg_data(&a), 'm', 1000);
    void *data = zmsg_msg_data(&a);
    assert_int_equal(zmsg_msg_init_size(&b, 200), 0); // replaced, not leaked
    assert_int_equal(zmsg_msg_move(&b, &a), 0);
    assert_int_equal(zmsg_msg_size(&a), 0);
    assert_int_equal(zmsg_msg_size(&b), 1000);
    assert_ptr_equal(zmsg_msg_data(&b), data);
    assert_int_equal(((unsigned char *) zmsg_msg_data(&b))[500], 'm');
    // The source is still a valid (empty) message.
    assert_int_equal(zmsg_msg_close(&a), 0);
    assert_int_equal(zmsg_msg_close(&b), 0);
}

static void
test_more_on_received_multipart(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zt_send_str(push, "one", ZMSG_SNDMORE);
    zt_send_str(push, "two", ZMSG_SNDMORE);
    zt_send_str(push, "three", 0);
    const char *parts[] = { "one", "two", "three" };
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init(&msg), 0);
    for (int i = 0; i < 3; i++) {
        int n = (int) strlen(parts[i]);
        assert_int_equal(zmsg_msg_recv(&msg, pull, 0), n);
        assert_memory_equal(zmsg_msg_data(&msg), parts[i], (size_t) n);
        int more = i < 2 ? 1 : 0;
        assert_int_equal(zmsg_msg_more(&msg), more);
        assert_int_equal(zmsg_msg_get(&msg, ZMSG_MORE), more);
    }
    assert_int_equal(zmsg_msg_close(&msg), 0);
    zmsg_close(push);
    zmsg_close(pull);
}

static void
test_close_twice_is_efault(void **state)
{
    (void) state;
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init(&msg), 0);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    errno = 0;
    assert_int_equal(zmsg_msg_close(&msg), -1);
    assert_int_equal(zmsg_errno(), EFAULT);
    // Same for a large part: its buffer is not released twice.
    assert_int_equal(zmsg_msg_init_size(&msg, 5000), 0);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    errno = 0;
    assert_int_equal(zmsg_msg_close(&msg), -1);
    assert_int_equal(zmsg_errno(), EFAULT);
}

static void
test_msg_send_leaves_message_empty_and_reusable(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init_size(&msg, 500), 0);
    memset(zmsg_msg_data(&msg), 'e', 500);
    assert_int_equal(zmsg_msg_send(&msg, push, 0), 500);
    assert_int_equal(zmsg_msg_size(&msg), 0);
    // Reused without init: sent again (now empty), then received into.
    assert_int_equal(zmsg_msg_send(&msg, push, 0), 0);
    assert_int_equal(zmsg_msg_recv(&msg, pull, 0), 500);
    assert_int_equal(((unsigned char *) zmsg_msg_data(&msg))[499], 'e');
    assert_int_equal(zmsg_msg_recv(&msg, pull, 0), 0);
    assert_int_equal(zmsg_msg_size(&msg), 0);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// LeakSanitizer fails the run if the old content is not released.
static void
test_msg_recv_replaces_held_data(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    zt_send_str(push, "new", 0);
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init_size(&msg, 100000), 0);
    memset(zmsg_msg_data(&msg), 'o', 100000);
    assert_int_equal(zmsg_msg_recv(&msg, pull, 0), 3);
    assert_int_equal(zmsg_msg_size(&msg), 3);
    assert_memory_equal(zmsg_msg_data(&msg), "new", 3);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    zmsg_close(push);
    zmsg_close(pull);
}

static void
test_msg_t_is_64_bytes(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(sizeof(zmsg_msg_t), 64);
    assert_int_equal(zmsg_ctx_get(f->ctx, ZMSG_MSG_T_SIZE), 64);
}

// send_const doesn't copy: bytes changed after the call, while the part
// is still queued (no peer yet), are what the peer receives.
static void
test_send_const_does_not_copy(void **state)
{
    fixture_t *f = *state;
    char ep[64];
    int refuse_fd;
    zt_refusing_port(ep, sizeof(ep), &refuse_fd);
    void *push = zt_socket(f->ctx, ZMSG_PUSH);
    zt_setint(push, ZMSG_RECONNECT_IVL, 10);
    assert_int_equal(zmsg_connect(push, ep), 0);
    static unsigned char buf[4096];
    memset(buf, 'a', sizeof(buf));
    assert_int_equal(
        zmsg_send_const(push, buf, sizeof(buf), 0), (int) sizeof(buf));
    memset(buf, 'b', sizeof(buf));
    close(refuse_fd);
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    static unsigned char got[4096];
    assert_int_equal(zmsg_recv(pull, got, sizeof(got), 0), (int) sizeof(got));
    for (size_t i = 0; i < sizeof(got); i++)
        if (got[i] != 'b')
            fail_msg("byte %zu is '%c': the buffer was copied", i, got[i]);
    zmsg_close(push);
    zmsg_close(pull);
}

static void
test_send_const_delivers_intact(void **state)
{
    fixture_t *f = *state;
    void *push, *pull;
    make_pair(f->ctx, &push, &pull);
    static const char small[] = "const";
    static unsigned char large[70000];
    for (size_t i = 0; i < sizeof(large); i++)
        large[i] = (unsigned char) (i * 13);
    assert_int_equal(zmsg_send_const(push, small, 5, ZMSG_SNDMORE), 5);
    assert_int_equal(
        zmsg_send_const(push, large, sizeof(large), 0), (int) sizeof(large));
    zt_recv_str(pull, "const", 1);
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init(&msg), 0);
    assert_int_equal(zmsg_msg_recv(&msg, pull, 0), (int) sizeof(large));
    assert_memory_equal(zmsg_msg_data(&msg), large, sizeof(large));
    assert_int_equal(zmsg_msg_more(&msg), 0);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    zmsg_close(push);
    zmsg_close(pull);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_size_gives_writable_parts),
        cmocka_unit_test(test_init_data_free_fn_runs_once_when_unsent),
        cmocka_unit_test(test_init_data_free_fn_waits_for_last_copy),
        T(test_init_data_free_fn_runs_once_after_send),
        cmocka_unit_test(test_copy_shares_large_buffer),
        cmocka_unit_test(test_move_leaves_source_empty),
        T(test_more_on_received_multipart),
        cmocka_unit_test(test_close_twice_is_efault),
        T(test_msg_send_leaves_message_empty_and_reusable),
        T(test_msg_recv_replaces_held_data),
        T(test_msg_t_is_64_bytes),
        T(test_send_const_does_not_copy),
        T(test_send_const_delivers_intact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
