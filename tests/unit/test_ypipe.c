// Unit tests for the single-producer/single-consumer part queue.
//
// Single-thread cases pin down ordering, the reader-asleep protocol of
// flush, multipart publication, unwrite and chunk recycling. A two-thread
// stress test then moves over a million messages with an edge-triggered
// semaphore wake-up; waits are bounded so a lost wake-up fails the test.

#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/msg.h"
#include "pipe/ypipe.h"

#define CHUNK ZMI_YPIPE_CHUNK

// Every test part carries a sequence number and a part index in its first
// nine bytes; bytes after that repeat a pattern derived from both.
enum { HDR = 9 };

static uint8_t
pattern(uint64_t seq, unsigned part, size_t i)
{
    return (uint8_t) (seq * 31u + part * 7u + i);
}

static int
make_part(zmi_msg_t *m, uint64_t seq, unsigned part, size_t size)
{
    int rc = zmi_msg_init_size(m, size);
    if (rc != 0)
        return rc;
    uint8_t *d = zmi_msg_data(m);
    memcpy(d, &seq, sizeof(seq));
    d[8] = (uint8_t) part;
    for (size_t i = HDR; i < size; i++)
        d[i] = pattern(seq, part, i);
    return 0;
}

// Returns true when m is part `part` of message `seq` and is intact.
static bool
part_ok(zmi_msg_t *m, uint64_t seq, unsigned part)
{
    size_t size = zmi_msg_size(m);
    if (!zmi_msg_is_valid(m) || size < HDR)
        return false;
    const uint8_t *d = zmi_msg_data(m);
    uint64_t got;
    memcpy(&got, d, sizeof(got));
    if (got != seq || d[8] != (uint8_t) part)
        return false;
    for (size_t i = HDR; i < size; i++)
        if (d[i] != pattern(seq, part, i))
            return false;
    return true;
}

static void
write_part(
    zmi_ypipe_t *p, uint64_t seq, unsigned part, size_t size, bool incomplete)
{
    zmi_msg_t m;
    assert_int_equal(make_part(&m, seq, part, size), 0);
    zmi_msg_set_more(&m, incomplete);
    assert_int_equal(zmi_ypipe_write(p, &m, incomplete), 0);
}

static void
read_part(zmi_ypipe_t *p, uint64_t seq, unsigned part)
{
    zmi_msg_t m;
    assert_true(zmi_ypipe_read(p, &m));
    assert_true(part_ok(&m, seq, part));
    zmi_msg_close(&m);
}

static void
test_write_flush_read_order(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    assert_int_equal(zmi_ypipe_init(&p), 0);
    for (uint64_t i = 0; i < 100; i++)
        write_part(&p, i, 0, 16, false);
    // Nothing is visible before the flush.
    assert_false(zmi_ypipe_check_read(&p));
    zmi_ypipe_flush(&p);
    for (uint64_t i = 0; i < 100; i++)
        read_part(&p, i, 0);
    zmi_msg_t m;
    assert_false(zmi_ypipe_read(&p, &m));
    zmi_ypipe_fini(&p);
}

// flush returns false exactly once per sleep of the reader: after a read
// (or check_read) found nothing, and only until the reader is woken.
static void
test_reader_asleep_edge(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    zmi_msg_t m;
    assert_int_equal(zmi_ypipe_init(&p), 0);

    // The reader has not looked yet: it is awake.
    write_part(&p, 0, 0, 16, false);
    assert_true(zmi_ypipe_flush(&p));
    read_part(&p, 0, 0);

    // An empty read puts it to sleep.
    assert_false(zmi_ypipe_read(&p, &m));
    // A flush with nothing new publishes nothing and wakes no one.
    assert_true(zmi_ypipe_flush(&p));
    write_part(&p, 1, 0, 16, false);
    assert_false(zmi_ypipe_flush(&p));
    // The reader is now considered awake until it finds nothing again.
    write_part(&p, 2, 0, 16, false);
    assert_true(zmi_ypipe_flush(&p));
    write_part(&p, 3, 0, 16, false);
    assert_true(zmi_ypipe_flush(&p));
    for (uint64_t i = 1; i <= 3; i++)
        read_part(&p, i, 0);

    // Repeated empty reads while asleep are still one sleep.
    assert_false(zmi_ypipe_read(&p, &m));
    assert_false(zmi_ypipe_check_read(&p));
    assert_null(zmi_ypipe_front(&p));
    write_part(&p, 4, 0, 16, false);
    assert_false(zmi_ypipe_flush(&p));
    write_part(&p, 5, 0, 16, false);
    assert_true(zmi_ypipe_flush(&p));

    // A reader that still has parts to read does not fall asleep.
    assert_true(zmi_ypipe_check_read(&p));
    read_part(&p, 4, 0);
    write_part(&p, 6, 0, 16, false);
    assert_true(zmi_ypipe_flush(&p));
    read_part(&p, 5, 0);
    read_part(&p, 6, 0);
    assert_false(zmi_ypipe_check_read(&p));
    write_part(&p, 7, 0, 16, false);
    assert_false(zmi_ypipe_flush(&p));
    read_part(&p, 7, 0);
    zmi_ypipe_fini(&p);
}

static void
test_front_probe(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    assert_int_equal(zmi_ypipe_init(&p), 0);
    assert_null(zmi_ypipe_front(&p));
    write_part(&p, 42, 0, 100, false);
    write_part(&p, 43, 0, 10, false);
    zmi_ypipe_flush(&p);
    const zmi_msg_t *f = zmi_ypipe_front(&p);
    assert_non_null(f);
    assert_true(part_ok((zmi_msg_t *) f, 42, 0));
    // Probing twice does not pop.
    assert_ptr_equal(zmi_ypipe_front(&p), f);
    read_part(&p, 42, 0);
    f = zmi_ypipe_front(&p);
    assert_non_null(f);
    assert_true(part_ok((zmi_msg_t *) f, 43, 0));
    read_part(&p, 43, 0);
    assert_null(zmi_ypipe_front(&p));
    zmi_ypipe_fini(&p);
}

// A flush publishes complete messages only; the parts of an incomplete one
// stay hidden until its last part is written and flushed.
static void
test_incomplete_multipart_hidden(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    zmi_msg_t m;
    assert_int_equal(zmi_ypipe_init(&p), 0);

    write_part(&p, 0, 0, 16, true);
    write_part(&p, 0, 1, 100, true);
    assert_true(zmi_ypipe_flush(&p));
    assert_false(zmi_ypipe_read(&p, &m));

    // Reader asleep, nothing complete yet: still nothing to wake it for.
    assert_true(zmi_ypipe_flush(&p));
    assert_false(zmi_ypipe_check_read(&p));
    write_part(&p, 0, 2, 16, false);
    // The start of the next message is written before the flush.
    write_part(&p, 1, 0, 16, true);
    assert_false(zmi_ypipe_flush(&p));
    read_part(&p, 0, 0);
    read_part(&p, 0, 1);
    read_part(&p, 0, 2);
    assert_false(zmi_ypipe_read(&p, &m));
    write_part(&p, 1, 1, 16, false);
    assert_false(zmi_ypipe_flush(&p));
    read_part(&p, 1, 0);
    read_part(&p, 1, 1);
    assert_false(zmi_ypipe_read(&p, &m));
    zmi_ypipe_fini(&p);
}

// unwrite hands back the unflushed parts of an incomplete message, last
// first, and stops at the last complete message.
static void
test_unwrite_reverse(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    zmi_msg_t m;
    assert_int_equal(zmi_ypipe_init(&p), 0);
    assert_false(zmi_ypipe_unwrite(&p, &m));

    write_part(&p, 0, 0, 16, false);
    // A complete message, even unflushed, cannot be taken back.
    assert_false(zmi_ypipe_unwrite(&p, &m));
    assert_true(zmi_ypipe_flush(&p));

    // Long enough to cross two chunk boundaries backwards.
    const unsigned nparts = 2 * CHUNK + 5;
    for (unsigned i = 0; i < nparts; i++)
        write_part(&p, 1, i, i % 2 ? 100 : 16, true);
    for (unsigned i = nparts; i-- > 0;) {
        assert_true(zmi_ypipe_unwrite(&p, &m));
        assert_true(part_ok(&m, 1, i));
        assert_true(zmi_msg_more(&m));
        zmi_msg_close(&m);
    }
    assert_false(zmi_ypipe_unwrite(&p, &m));
    read_part(&p, 0, 0);
    assert_false(zmi_ypipe_read(&p, &m));

    // The queue still works after giving parts back.
    write_part(&p, 2, 0, 16, true);
    write_part(&p, 2, 1, 16, true);
    assert_true(zmi_ypipe_unwrite(&p, &m));
    assert_true(part_ok(&m, 2, 1));
    zmi_msg_close(&m);
    write_part(&p, 2, 1, 100, false);
    assert_false(zmi_ypipe_unwrite(&p, &m));
    assert_false(zmi_ypipe_flush(&p));
    read_part(&p, 2, 0);
    read_part(&p, 2, 1);
    assert_false(zmi_ypipe_read(&p, &m));
    zmi_ypipe_fini(&p);
}

// Many chunk boundaries with reads trailing the writes by a varying gap.
static void
test_many_chunks_interleaved(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    zmi_msg_t m;
    assert_int_equal(zmi_ypipe_init(&p), 0);
    const uint64_t total = 10 * CHUNK + 3;
    uint64_t written = 0, readn = 0;
    unsigned step = 0;
    while (readn < total) {
        unsigned nw = 1 + (step * 37) % 97;
        for (unsigned i = 0; i < nw && written < total; i++, written++)
            write_part(&p, written, 0, written % 5 == 0 ? 64 : 12, false);
        zmi_ypipe_flush(&p);
        unsigned nr = 1 + (step * 53) % 89;
        for (unsigned i = 0; i < nr && readn < written; i++, readn++)
            read_part(&p, readn, 0);
        step++;
    }
    assert_int_equal(written, total);
    assert_false(zmi_ypipe_read(&p, &m));
    zmi_ypipe_fini(&p);
}

// A chunk the reader leaves becomes the spare, and the writer takes it
// instead of allocating. (White-box: looks at the private fields.)
static void
test_spare_chunk_reused(void **state)
{
    (void) state;
    zmi_ypipe_t p;
    assert_int_equal(zmi_ypipe_init(&p), 0);
    zmi_ypipe_chunk_t *first = p.begin_chunk;
    assert_null(atomic_load(&p.spare));
    for (uint64_t i = 0; i < 2 * CHUNK; i++)
        write_part(&p, i, 0, 10, false);
    zmi_ypipe_flush(&p);
    for (uint64_t i = 0; i < CHUNK; i++)
        read_part(&p, i, 0);
    assert_ptr_equal(atomic_load(&p.spare), first);
    for (uint64_t i = 2 * CHUNK; i < 3 * CHUNK; i++)
        write_part(&p, i, 0, 10, false);
    assert_null(atomic_load(&p.spare));
    assert_ptr_equal(p.end_chunk, first);
    zmi_ypipe_flush(&p);
    for (uint64_t i = CHUNK; i < 3 * CHUNK; i++)
        read_part(&p, i, 0);
    zmi_ypipe_fini(&p);
}

typedef struct {
    atomic_int calls;
} free_counter_t;

static void
counting_free(void *data, void *hint)
{
    free_counter_t *fc = hint;
    atomic_fetch_add(&fc->calls, 1);
    free(data);
}

// fini closes every part still queued: read-pending, flushed and unread,
// and written but unflushed. Heap parts make ASan report any leak; the
// counting free function makes the test fail without ASan too.
static void
test_fini_closes_unread(void **state)
{
    (void) state;
    for (int variant = 0; variant < 3; variant++) {
        free_counter_t fc;
        atomic_init(&fc.calls, 0);
        zmi_ypipe_t p;
        assert_int_equal(zmi_ypipe_init(&p), 0);
        int expected = 0, closed = 0;
        // 1.5 chunks of flushed parts, alternating counted and plain
        // heap parts.
        for (uint64_t i = 0; i < CHUNK + CHUNK / 2; i++) {
            zmi_msg_t m;
            if (i % 2 == 0) {
                void *buf = malloc(100);
                assert_non_null(buf);
                assert_int_equal(
                    zmi_msg_init_data(&m, buf, 100, counting_free, &fc), 0);
                expected++;
            } else {
                assert_int_equal(make_part(&m, i, 0, 100), 0);
            }
            assert_int_equal(zmi_ypipe_write(&p, &m, false), 0);
        }
        zmi_ypipe_flush(&p);
        if (variant >= 1) {
            // Read past the first chunk so a spare exists, and leave a
            // probed front part in place.
            for (uint64_t i = 0; i < CHUNK + 2; i++) {
                zmi_msg_t m;
                assert_true(zmi_ypipe_read(&p, &m));
                zmi_msg_close(&m);
                if (i % 2 == 0) {
                    expected--;
                    closed++;
                }
            }
            assert_non_null(atomic_load(&p.spare));
            assert_non_null(zmi_ypipe_front(&p));
        }
        // Parts read so far were closed by the test, none by the pipe.
        assert_int_equal(atomic_load(&fc.calls), closed);
        if (variant == 2) {
            // An unflushed, incomplete message crossing a chunk boundary.
            for (unsigned i = 0; i < CHUNK; i++) {
                zmi_msg_t m;
                void *buf = malloc(64);
                assert_non_null(buf);
                assert_int_equal(
                    zmi_msg_init_data(&m, buf, 64, counting_free, &fc), 0);
                assert_int_equal(zmi_ypipe_write(&p, &m, true), 0);
                expected++;
            }
        }
        int before = atomic_load(&fc.calls);
        zmi_ypipe_fini(&p);
        assert_int_equal(atomic_load(&fc.calls) - before, expected);
    }
}

// Two-thread stress test.
//
// The writer sends NMSGS messages; every seventh is three parts, about a
// quarter of parts are heap (> 48 bytes). It flushes after batches of
// random size, sometimes in the middle of a multipart message, and
// sometimes unwrites and rewrites a part. When flush reports a sleeping
// reader it posts the semaphore; the reader waits on it only after a read
// returned false, with a timeout, so a lost wake-up fails instead of hangs.
// In lockstep mode the writer flushes every message and waits for the
// reader's acknowledgement before the next one, so nearly every message
// crosses the empty -> non-empty edge while the reader races to sleep.
enum { NMSGS = 1000000, NLOCKSTEP = 20000, WAIT_SECONDS = 10 };

// Build with -DSTRESS_PAUSES=0 to time the pipe without the writer's pauses.
#ifndef STRESS_PAUSES
#define STRESS_PAUSES 1
#endif

typedef struct {
    zmi_ypipe_t pipe;
    uint64_t nmsgs;
    bool lockstep;
    sem_t wake; // writer -> sleeping reader
    sem_t ack; // reader -> writer, lockstep mode only
    atomic_bool stop;
    // Writer results.
    uint64_t posts;
    uint64_t parts_sent;
    uint64_t spin_sink;
    char werror[128];
    // Reader results.
    uint64_t sleeps;
    uint64_t received;
    char rerror[128];
} stress_t;

static uint64_t
xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static unsigned
stress_nparts(uint64_t seq)
{
    return seq % 7 == 3 ? 3 : 1;
}

static void
stress_flush(stress_t *st)
{
    if (!zmi_ypipe_flush(&st->pipe)) {
        st->posts++;
        sem_post(&st->wake);
    }
}

static bool
stress_wait(sem_t *sem)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_SECONDS;
    for (;;) {
        if (sem_timedwait(sem, &ts) == 0)
            return true;
        if (errno != EINTR)
            return false;
    }
}

// Records a writer failure, stops both threads and wakes the reader.
static void *
stress_writer_fail(stress_t *st, const char *what, uint64_t seq)
{
    snprintf(st->werror, sizeof(st->werror), "%s failed at message %llu", what,
        (unsigned long long) seq);
    atomic_store(&st->stop, true);
    sem_post(&st->wake);
    return NULL;
}

// Busy work between some batches (not a wait on anything), so the reader
// often drains the pipe and goes to sleep, exercising the wake-up edge.
static uint64_t
stress_pause(uint64_t *rng)
{
    uint64_t acc = 0;
    unsigned n = 64 + (unsigned) (xorshift(rng) % 16384);
    for (unsigned i = 0; i < n; i++)
        acc += xorshift(rng);
    return acc;
}

static void *
stress_writer(void *arg)
{
    stress_t *st = arg;
    uint64_t rng = 0x9e3779b97f4a7c15u;
    unsigned batch = 1, pending = 0;
    for (uint64_t seq = 0; seq < st->nmsgs; seq++) {
        if (atomic_load_explicit(&st->stop, memory_order_relaxed))
            break;
        unsigned nparts = stress_nparts(seq);
        for (unsigned part = 0; part < nparts; part++) {
            uint64_t r = xorshift(&rng);
            size_t size = r % 4 == 0 ? 49 + r % 200 : HDR + r % 40;
            bool more = part + 1 < nparts;
            zmi_msg_t m;
            if (make_part(&m, seq, part, size) != 0)
                return stress_writer_fail(st, "init", seq);
            zmi_msg_set_more(&m, more);
            if (zmi_ypipe_write(&st->pipe, &m, more) != 0) {
                zmi_msg_close(&m);
                return stress_writer_fail(st, "write", seq);
            }
            st->parts_sent++;
            if (more && (r >> 8) % 16 == 1) {
                // Take the part back and write it again.
                zmi_msg_t back;
                if (!zmi_ypipe_unwrite(&st->pipe, &back)
                    || !part_ok(&back, seq, part))
                    return stress_writer_fail(st, "unwrite", seq);
                if (zmi_ypipe_write(&st->pipe, &back, more) != 0) {
                    zmi_msg_close(&back);
                    return stress_writer_fail(st, "rewrite", seq);
                }
            }
            // Flushing mid-message must publish only what came before.
            if (more && (r >> 16) % 8 == 2)
                stress_flush(st);
        }
        if (st->lockstep) {
            stress_flush(st);
            if (!stress_wait(&st->ack))
                return stress_writer_fail(st, "ack wait", seq);
        } else if (++pending >= batch) {
            stress_flush(st);
            pending = 0;
            uint64_t r = xorshift(&rng);
            batch = 1 + (unsigned) (r % 4 == 0 ? (r >> 8) % 4 : (r >> 8) % 300);
            if (STRESS_PAUSES && (r >> 20) % 4 == 0)
                st->spin_sink += stress_pause(&rng);
        }
    }
    stress_flush(st);
    return NULL;
}

static void *
stress_reader(void *arg)
{
    stress_t *st = arg;
    uint64_t seq = 0;
    while (seq < st->nmsgs) {
        zmi_msg_t m;
        if (!zmi_ypipe_read(&st->pipe, &m)) {
            // Asleep now: the writer's next flush will post.
            st->sleeps++;
            if (atomic_load(&st->stop))
                return NULL;
            if (!stress_wait(&st->wake)) {
                snprintf(st->rerror, sizeof(st->rerror),
                    "no wake-up within %d s at message %llu", WAIT_SECONDS,
                    (unsigned long long) seq);
                atomic_store(&st->stop, true);
                return NULL;
            }
            continue;
        }
        unsigned nparts = stress_nparts(seq);
        for (unsigned part = 0; part < nparts; part++) {
            // The other parts of a message must already be there.
            if (part > 0 && !zmi_ypipe_read(&st->pipe, &m)) {
                snprintf(st->rerror, sizeof(st->rerror),
                    "message %llu split after part %u",
                    (unsigned long long) seq, part - 1);
                atomic_store(&st->stop, true);
                return NULL;
            }
            bool ok = part_ok(&m, seq, part)
                && zmi_msg_more(&m) == (part + 1 < nparts);
            zmi_msg_close(&m);
            if (!ok) {
                snprintf(st->rerror, sizeof(st->rerror),
                    "bad part %u of message %llu", part,
                    (unsigned long long) seq);
                atomic_store(&st->stop, true);
                return NULL;
            }
        }
        seq++;
        st->received = seq;
        if (st->lockstep)
            sem_post(&st->ack);
    }
    return NULL;
}

static void
stress_run(uint64_t nmsgs, bool lockstep)
{
    stress_t *st = calloc(1, sizeof(*st));
    assert_non_null(st);
    assert_int_equal(zmi_ypipe_init(&st->pipe), 0);
    st->nmsgs = nmsgs;
    st->lockstep = lockstep;
    assert_int_equal(sem_init(&st->wake, 0, 0), 0);
    assert_int_equal(sem_init(&st->ack, 0, 0), 0);
    atomic_init(&st->stop, false);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t wt, rt;
    assert_int_equal(pthread_create(&rt, NULL, stress_reader, st), 0);
    assert_int_equal(pthread_create(&wt, NULL, stress_writer, st), 0);
    assert_int_equal(pthread_join(wt, NULL), 0);
    assert_int_equal(pthread_join(rt, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    double secs = (double) (t1.tv_sec - t0.tv_sec)
        + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("%s: %llu messages (%llu parts) in %.3f s: %.0f msg/s, "
                  "%llu reader sleeps\n",
        lockstep ? "lockstep" : "stress", (unsigned long long) st->received,
        (unsigned long long) st->parts_sent, secs, (double) st->received / secs,
        (unsigned long long) st->sleeps);

    int sval = -1;
    sem_getvalue(&st->wake, &sval);
    zmi_ypipe_fini(&st->pipe);
    sem_destroy(&st->wake);
    sem_destroy(&st->ack);
    char werror[sizeof(st->werror)], rerror[sizeof(st->rerror)];
    memcpy(werror, st->werror, sizeof(werror));
    memcpy(rerror, st->rerror, sizeof(rerror));
    uint64_t received = st->received, posts = st->posts, sleeps = st->sleeps;
    free(st);
    if (werror[0] != '\0')
        fail_msg("writer: %s", werror);
    if (rerror[0] != '\0')
        fail_msg("reader: %s", rerror);
    assert_int_equal(received, nmsgs);
    // Every sleep was met by exactly one wake-up, and no spare ones.
    assert_int_equal(posts, sleeps);
    assert_int_equal(sval, 0);
}

static void
test_two_thread_stress(void **state)
{
    (void) state;
    stress_run(NMSGS, false);
}

static void
test_two_thread_lockstep(void **state)
{
    (void) state;
    stress_run(NLOCKSTEP, true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_flush_read_order),
        cmocka_unit_test(test_reader_asleep_edge),
        cmocka_unit_test(test_front_probe),
        cmocka_unit_test(test_incomplete_multipart_hidden),
        cmocka_unit_test(test_unwrite_reverse),
        cmocka_unit_test(test_many_chunks_interleaved),
        cmocka_unit_test(test_spare_chunk_reused),
        cmocka_unit_test(test_fini_closes_unread),
        cmocka_unit_test(test_two_thread_stress),
        cmocka_unit_test(test_two_thread_lockstep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
