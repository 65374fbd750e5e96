// inproc://: two sockets of one context joined by a pipe pair, no I/O
// thread and no copy. Connect before bind, names scoped to their context,
// bad names, whole multipart messages, zero-copy parts (same pointer, free
// function run once), unbind and rebind, and socket types that can't talk.

#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Nothing can be received right now. Over inproc a connected peer's
// message is in the pipe when zmsg_send returns, and a DONTWAIT receive
// first processes the attach, so this is exact, not a timing guess.
static void
assert_nothing_to_receive(void *s)
{
    char buf[32];
    ZT_ASSERT_FAILS(zmsg_recv(s, buf, sizeof(buf), ZMSG_DONTWAIT), EAGAIN);
}

// Messages sent after a connect and before the bind (one of them in three
// parts) wait in the pipe and arrive, in order, once the name is bound.
// LAST_ENDPOINT of an inproc bind is the endpoint as given.
static void
test_connect_before_bind_delivers_queued_messages(void **state)
{
    void *ctx = *state;
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, "inproc://early"), 0);
    // The queue exists already: DONTWAIT sends are taken.
    zt_send_str(push, "first", ZMSG_DONTWAIT);
    zt_send_str(push, "a", ZMSG_SNDMORE | ZMSG_DONTWAIT);
    zt_send_str(push, "b", ZMSG_SNDMORE | ZMSG_DONTWAIT);
    zt_send_str(push, "c", ZMSG_DONTWAIT);
    zt_send_str(push, "last", ZMSG_DONTWAIT);
    void *pull = zt_socket(ctx, ZMSG_PULL);
    assert_nothing_to_receive(pull);
    assert_int_equal(zmsg_bind(pull, "inproc://early"), 0);
    char ep[64];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(pull, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_string_equal(ep, "inproc://early");
    zt_recv_str(pull, "first", 0);
    zt_recv_str(pull, "a", 1);
    zt_recv_str(pull, "b", 1);
    zt_recv_str(pull, "c", 0);
    zt_recv_str(pull, "last", 0);
    // And the pair goes on working both ways of timing.
    zt_send_str(push, "after", 0);
    zt_recv_str(pull, "after", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// A name belongs to its context: the same name binds in two contexts,
// and a connect in one never reaches the binder in the other.
static void
test_names_are_per_context(void **state)
{
    void *ctx = *state;
    void *other = zmsg_ctx_new();
    assert_non_null(other);
    void *pull_a = zt_socket(ctx, ZMSG_PULL);
    void *pull_b = zt_socket(other, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull_a, "inproc://same"), 0);
    assert_int_equal(zmsg_bind(pull_b, "inproc://same"), 0);
    void *push_b = zt_socket(other, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push_b, "inproc://same"), 0);
    zt_send_str(push_b, "for b", 0);
    assert_nothing_to_receive(pull_a);
    assert_int_equal(zt_pipes(pull_a), 0);
    zt_recv_str(pull_b, "for b", 0);
    // A context where the name is not bound: the connect waits there.
    void *third = zmsg_ctx_new();
    void *push_c = zt_socket(third, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push_c, "inproc://same"), 0);
    zt_send_str(push_c, "lost", ZMSG_DONTWAIT);
    assert_nothing_to_receive(pull_a);
    assert_nothing_to_receive(pull_b);
    assert_int_equal(zt_pipes(pull_a), 0);
    assert_int_equal(zt_pipes(pull_b), 1);
    zt_term(third);
    zt_term(other);
    // This context's name still works after the others are gone.
    void *push_a = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push_a, "inproc://same"), 0);
    zt_send_str(push_a, "for a", 0);
    zt_recv_str(pull_a, "for a", 0);
    zmsg_close(push_a);
    zmsg_close(pull_a);
}

// A name is bound once per context: a second bind, from another socket
// or the same one, is EADDRINUSE and leaves the first binder in place.
static void
test_duplicate_bind_is_eaddrinuse(void **state)
{
    void *ctx = *state;
    void *a = zt_socket(ctx, ZMSG_PULL);
    void *b = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(a, "inproc://dup"), 0);
    ZT_ASSERT_FAILS(zmsg_bind(b, "inproc://dup"), EADDRINUSE);
    ZT_ASSERT_FAILS(zmsg_bind(a, "inproc://dup"), EADDRINUSE);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, "inproc://dup"), 0);
    zt_send_str(push, "to a", 0);
    zt_recv_str(a, "to a", 0);
    assert_nothing_to_receive(b);
    zmsg_close(push);
    zmsg_close(b);
    zmsg_close(a);
}

// "inproc://" with no name is EINVAL for bind and connect, and binds
// nothing.
static void
test_empty_name_is_einval(void **state)
{
    void *ctx = *state;
    void *s = zt_socket(ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(s, "inproc://"), EINVAL);
    ZT_ASSERT_FAILS(zmsg_connect(s, "inproc://"), EINVAL);
    assert_int_equal(zt_pipes(s), 0);
    char ep[64];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_string_equal(ep, "");
    zmsg_close(s);
}

static atomic_int frees;

static void
count_free(void *data, void *hint)
{
    assert_ptr_equal(hint, &frees);
    free(data);
    atomic_fetch_add(&frees, 1);
}

// A connected PUSH/PULL pair over inproc://name.
static void
make_pair(void *ctx, const char *name, void **push, void **pull)
{
    *pull = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(*pull, name), 0);
    *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(*push, name), 0);
}

// A multipart message is invisible to the receiver until its last part
// is sent, then arrives whole; each zero-copy part keeps its buffer.
static void
test_multipart_arrives_whole(void **state)
{
    void *ctx = *state;
    void *push, *pull;
    make_pair(ctx, "inproc://multi", &push, &pull);
    atomic_store(&frees, 0);
    enum { PARTS = 4 };
    void *bufs[PARTS];
    for (int i = 0; i < PARTS; i++) {
        bufs[i] = malloc(100);
        memset(bufs[i], 'A' + i, 100);
        zmsg_msg_t m;
        assert_int_equal(
            zmsg_msg_init_data(&m, bufs[i], 100, count_free, &frees), 0);
        int flags = i < PARTS - 1 ? ZMSG_SNDMORE : 0;
        assert_int_equal(zmsg_msg_send(&m, push, flags), 100);
        assert_int_equal(zmsg_msg_close(&m), 0);
        if (i < PARTS - 1)
            assert_nothing_to_receive(pull); // half a message is nothing
    }
    for (int i = 0; i < PARTS; i++) {
        zmsg_msg_t m;
        zmsg_msg_init(&m);
        assert_int_equal(zmsg_msg_recv(&m, pull, ZMSG_DONTWAIT), 100);
        assert_ptr_equal(zmsg_msg_data(&m), bufs[i]);
        assert_int_equal(((char *) zmsg_msg_data(&m))[99], 'A' + i);
        assert_int_equal(zmsg_msg_more(&m), i < PARTS - 1);
        int more;
        size_t len = sizeof(more);
        assert_int_equal(zmsg_getsockopt(pull, ZMSG_RCVMORE, &more, &len), 0);
        assert_int_equal(more, i < PARTS - 1);
        assert_int_equal(zmsg_msg_close(&m), 0);
    }
    assert_int_equal(atomic_load(&frees), PARTS);
    zmsg_close(push);
    zmsg_close(pull);
}

// zmsg_msg_init_data crosses inproc without a copy: the receiver sees the
// sender's buffer, and the free function runs once, when the receiver
// closes its message, not before and never again.
static void
test_zero_copy_free_fn_runs_once_after_receiver_closes(void **state)
{
    void *ctx = *state;
    void *push, *pull;
    make_pair(ctx, "inproc://zerocopy", &push, &pull);
    atomic_store(&frees, 0);
    char *buf = malloc(64);
    memcpy(buf, "zero-copy payload", 18);
    zmsg_msg_t out;
    assert_int_equal(zmsg_msg_init_data(&out, buf, 18, count_free, &frees), 0);
    assert_int_equal(zmsg_msg_send(&out, push, 0), 18);
    assert_int_equal(zmsg_msg_close(&out), 0);
    assert_int_equal(atomic_load(&frees), 0);
    zmsg_msg_t in;
    zmsg_msg_init(&in);
    assert_int_equal(zmsg_msg_recv(&in, pull, 0), 18);
    assert_ptr_equal(zmsg_msg_data(&in), buf);
    assert_memory_equal(zmsg_msg_data(&in), "zero-copy payload", 18);
    assert_int_equal(atomic_load(&frees), 0);
    assert_int_equal(zmsg_msg_close(&in), 0);
    assert_int_equal(atomic_load(&frees), 1);
    zmsg_close(push);
    zmsg_close(pull);
    zt_term(ctx);
    *state = zmsg_ctx_new(); // a fresh one for the teardown
    assert_int_equal(atomic_load(&frees), 1);
}

// A connect whose name is never bound: closing the connecter frees what
// it had queued (the free function runs once, by the time term returns)
// and term does not wait for a binder.
static void
test_unbound_connect_frees_queued_messages_on_close(void **state)
{
    void *ctx = *state;
    atomic_store(&frees, 0);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, "inproc://nobody"), 0);
    char *buf = malloc(8);
    memcpy(buf, "queued", 7);
    zmsg_msg_t m;
    assert_int_equal(zmsg_msg_init_data(&m, buf, 7, count_free, &frees), 0);
    assert_int_equal(zmsg_msg_send(&m, push, ZMSG_DONTWAIT), 7);
    zmsg_msg_close(&m);
    assert_int_equal(zmsg_close(push), 0);
    zt_term(ctx);
    *state = zmsg_ctx_new(); // a fresh one for the teardown
    assert_int_equal(atomic_load(&frees), 1);
}

// A large zmsg_msg_init_size part (1 MiB) is not copied either.
static void
test_large_message_is_not_copied(void **state)
{
    void *ctx = *state;
    void *push, *pull;
    make_pair(ctx, "inproc://large", &push, &pull);
    size_t size = 1u << 20;
    zmsg_msg_t out;
    assert_int_equal(zmsg_msg_init_size(&out, size), 0);
    unsigned char *data = zmsg_msg_data(&out);
    for (size_t i = 0; i < size; i++)
        data[i] = (unsigned char) (i * 13);
    assert_int_equal(zmsg_msg_send(&out, push, 0), (int) size);
    zmsg_msg_close(&out);
    zmsg_msg_t in;
    zmsg_msg_init(&in);
    assert_int_equal(zmsg_msg_recv(&in, pull, 0), (int) size);
    assert_ptr_equal(zmsg_msg_data(&in), data);
    assert_int_equal(zmsg_msg_size(&in), size);
    unsigned char *got = zmsg_msg_data(&in);
    assert_int_equal(got[size - 1], (unsigned char) ((size - 1) * 13));
    zmsg_msg_close(&in);
    zmsg_close(push);
    zmsg_close(pull);
}

// Unbind frees the name (a second unbind is ENOENT) without cutting the
// connections already made; the name can then be bound again, by another
// socket or the first one.
static void
test_unbind_then_bind_again(void **state)
{
    void *ctx = *state;
    void *push, *a;
    make_pair(ctx, "inproc://rebind", &push, &a);
    assert_int_equal(zmsg_unbind(a, "inproc://rebind"), 0);
    ZT_ASSERT_FAILS(zmsg_unbind(a, "inproc://rebind"), ENOENT);
    zt_send_str(push, "still connected", 0);
    zt_recv_str(a, "still connected", 0);
    void *b = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(b, "inproc://rebind"), 0);
    void *push2 = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push2, "inproc://rebind"), 0);
    zt_send_str(push2, "to b", 0);
    zt_recv_str(b, "to b", 0);
    assert_nothing_to_receive(a);
    ZT_ASSERT_FAILS(zmsg_bind(a, "inproc://rebind"), EADDRINUSE);
    zmsg_close(b); // closing unbinds too
    assert_int_equal(zmsg_bind(a, "inproc://rebind"), 0);
    void *push3 = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push3, "inproc://rebind"), 0);
    zt_send_str(push3, "to a again", 0);
    zt_recv_str(a, "to a again", 0);
    zmsg_close(push3);
    zmsg_close(push2);
    zmsg_close(push);
    zmsg_close(a);
}

// Socket types that can't talk (ZMTP's table, e.g. PUSH and PUB): a
// connect to a bound name fails with ZMSG_ENOCOMPATPROTO. A connect made
// before such a bind succeeds, and its pipe ends when the bind comes.
// (libzmq does no type check on inproc; zmsg applies ZMTP's.)
static void
test_incompatible_types(void **state)
{
    void *ctx = *state;
    void *pub = zt_socket(ctx, ZMSG_PUB);
    assert_int_equal(zmsg_bind(pub, "inproc://pub"), 0);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    ZT_ASSERT_FAILS(zmsg_connect(push, "inproc://pub"), ZMSG_ENOCOMPATPROTO);
    assert_int_equal(zt_pipes(push), 0);
    assert_int_equal(zt_pipes(pub), 0);
    // A compatible peer of the same binder is fine.
    void *sub = zt_socket(ctx, ZMSG_SUB);
    assert_int_equal(zmsg_connect(sub, "inproc://pub"), 0);
    zt_wait_pipes(pub, 1);
    // Connect first, then an incompatible bind.
    void *early = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(early, "inproc://late-pub"), 0);
    assert_int_equal(zt_pipes(early), 1);
    void *pub2 = zt_socket(ctx, ZMSG_PUB);
    assert_int_equal(zmsg_bind(pub2, "inproc://late-pub"), 0);
    zt_wait_pipes_at_most(early, 0);
    int ev;
    size_t len = sizeof(ev);
    assert_int_equal(zmsg_getsockopt(pub2, ZMSG_EVENTS, &ev, &len), 0);
    assert_int_equal(zt_pipes(pub2), 0);
    zmsg_close(pub2);
    zmsg_close(early);
    zmsg_close(sub);
    zmsg_close(push);
    zmsg_close(pub);
}

// zmsg_disconnect ends an inproc connect: the pipe goes on both sides and
// the endpoint is forgotten (a second disconnect is ENOENT). A connect
// still waiting for its bind is given up: the later binder never sees it.
static void
test_disconnect(void **state)
{
    void *ctx = *state;
    void *pull = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, "inproc://dc"), 0);
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, "inproc://dc"), 0);
    zt_send_str(push, "before", 0);
    zt_recv_str(pull, "before", 0);
    assert_int_equal(zmsg_disconnect(push, "inproc://dc"), 0);
    // NB: the PULL first: its answer is what ends the PUSH's end.
    zt_wait_pipes_at_most(pull, 0);
    zt_wait_pipes_at_most(push, 0);
    ZT_ASSERT_FAILS(zmsg_send(push, "x", 1, ZMSG_DONTWAIT), EAGAIN);
    ZT_ASSERT_FAILS(zmsg_disconnect(push, "inproc://dc"), ENOENT);

    // Waiting for a bind: the queued message goes with the connect.
    assert_int_equal(zmsg_connect(push, "inproc://later"), 0);
    zt_send_str(push, "queued", 0);
    assert_int_equal(zmsg_disconnect(push, "inproc://later"), 0);
    zt_wait_pipes_at_most(push, 0);
    void *late = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(late, "inproc://later"), 0);
    assert_nothing_to_receive(late);
    assert_int_equal(zt_pipes(late), 0);
    zmsg_close(late);
    zmsg_close(push);
    zmsg_close(pull);
}

static void *
term_thread(void *arg)
{
    atomic_int *done = ((void **) arg)[1];
    zmsg_ctx_term(((void **) arg)[0]);
    atomic_store(done, 1);
    return NULL;
}

// Two sockets joined over inproc and closed with no other call on them:
// the context still terminates (each closed socket's mailbox holds the
// other's pipe commands, and the reaper must answer them).
static void
test_term_after_closing_a_joined_pair(void **state)
{
    (void) state;
    for (int order = 0; order < 2; order++) {
        void *ctx = zmsg_ctx_new();
        void *pull = zmsg_socket(ctx, ZMSG_PULL);
        void *push = zmsg_socket(ctx, ZMSG_PUSH);
        if (order == 0) {
            assert_int_equal(zmsg_bind(pull, "inproc://joined"), 0);
            assert_int_equal(zmsg_connect(push, "inproc://joined"), 0);
        } else {
            assert_int_equal(zmsg_connect(push, "inproc://joined"), 0);
            assert_int_equal(zmsg_bind(pull, "inproc://joined"), 0);
        }
        zmsg_close(order == 0 ? pull : push);
        zmsg_close(order == 0 ? push : pull);
        atomic_int done = 0;
        void *args[2] = { ctx, &done };
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, term_thread, args), 0);
        int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
        while (!atomic_load(&done)) {
            if (zt_now_ms() > deadline)
                fail_msg("zmsg_ctx_term hangs (order %d)", order);
            poll(NULL, 0, 1);
        }
        pthread_join(t, NULL);
    }
}

#define T(name) ZT_CTX_TEST(name)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_connect_before_bind_delivers_queued_messages),
        T(test_names_are_per_context),
        T(test_duplicate_bind_is_eaddrinuse),
        T(test_empty_name_is_einval),
        T(test_multipart_arrives_whole),
        T(test_zero_copy_free_fn_runs_once_after_receiver_closes),
        T(test_unbound_connect_frees_queued_messages_on_close),
        T(test_large_message_is_not_copied),
        T(test_unbind_then_bind_again),
        T(test_incompatible_types),
        T(test_term_after_closing_a_joined_pair),
        T(test_disconnect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
