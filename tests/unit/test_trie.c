// Unit tests for the subscription tries (counted and pipe-set).
//
// Fixed cases pin down counts, prefix matching, child-table growth and
// pruning; churn and 100,000-byte topics check that memory stays bounded
// and that nothing recurses; randomized differential tests compare both
// tries (matches and exact node counts) against naive lists.

#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/trie.h"

// Allocation-failure hook defined in trie.c (not part of trie.h).
extern unsigned long zmi_trie_test_fail_countdown;

#define PIPE(i) ((zmi_pipe_t *) (uintptr_t) (0x1000u + 0x10u * (unsigned) (i)))

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rng(void)
{
    // xorshift64*: deterministic, so a failure can be replayed.
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t) ((rng_state * 2685821657736338717u) >> 32);
}

static bool
add_str(zmi_trie_t *t, const char *s)
{
    int err = 0;
    bool rc = zmi_trie_add(t, (const uint8_t *) s, strlen(s), &err);
    assert_int_equal(err, 0);
    return rc;
}

static bool
rm_str(zmi_trie_t *t, const char *s)
{
    return zmi_trie_rm(t, (const uint8_t *) s, strlen(s));
}

static bool
match_str(const zmi_trie_t *t, const char *s)
{
    return zmi_trie_match(t, (const uint8_t *) s, strlen(s));
}

static bool
madd_str(zmi_mtrie_t *t, const char *s, zmi_pipe_t *p)
{
    int err = 0;
    bool rc = zmi_mtrie_add(t, (const uint8_t *) s, strlen(s), p, &err);
    assert_int_equal(err, 0);
    return rc;
}

static bool
mrm_str(zmi_mtrie_t *t, const char *s, zmi_pipe_t *p)
{
    return zmi_mtrie_rm(t, (const uint8_t *) s, strlen(s), p);
}

// Collects what zmi_trie_each reports.
typedef struct {
    uint8_t *data[64];
    size_t size[64];
    int n;
} prefixes_t;

static void
collect_prefix(const uint8_t *prefix, size_t size, void *arg)
{
    prefixes_t *ps = arg;
    assert_non_null(prefix);
    assert_true(ps->n < 64);
    ps->data[ps->n] = malloc(size + 1);
    assert_non_null(ps->data[ps->n]);
    memcpy(ps->data[ps->n], prefix, size);
    ps->size[ps->n] = size;
    ps->n++;
}

static void
prefixes_free(prefixes_t *ps)
{
    for (int i = 0; i < ps->n; i++)
        free(ps->data[i]);
    ps->n = 0;
}

// Counts what zmi_mtrie_match reports, per fake pipe 0..7.
typedef struct {
    int hits[8];
    int total;
} pipe_hits_t;

static void
count_pipe(zmi_pipe_t *pipe, void *arg)
{
    pipe_hits_t *h = arg;
    uintptr_t v = (uintptr_t) pipe;
    assert_true(v >= 0x1000u && (v - 0x1000u) % 0x10u == 0);
    size_t i = (v - 0x1000u) / 0x10u;
    assert_true(i < 8);
    h->hits[i]++;
    h->total++;
}

static pipe_hits_t
mmatch_str(const zmi_mtrie_t *t, const char *s)
{
    pipe_hits_t h;
    memset(&h, 0, sizeof(h));
    zmi_mtrie_match(t, (const uint8_t *) s, strlen(s), count_pipe, &h);
    return h;
}

static void
test_add_rm_counts(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_trie_init(&t);
    assert_null(t.root);
    assert_int_equal(t.nodes, 0);
    assert_false(rm_str(&t, "A"));

    assert_true(add_str(&t, "AB"));
    assert_int_equal(t.nodes, 3);
    // Subscribing twice needs two cancels.
    assert_false(add_str(&t, "AB"));
    assert_int_equal(t.nodes, 3);
    assert_false(rm_str(&t, "AB"));
    assert_true(match_str(&t, "ABC"));
    assert_true(rm_str(&t, "AB"));
    assert_false(match_str(&t, "ABC"));
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);

    // Removing something absent, or a mere path node, changes nothing.
    assert_true(add_str(&t, "ABC"));
    assert_false(rm_str(&t, "AB"));
    assert_false(rm_str(&t, "ABCD"));
    assert_false(rm_str(&t, "X"));
    assert_false(rm_str(&t, ""));
    assert_int_equal(t.nodes, 4);
    assert_true(rm_str(&t, "ABC"));
    assert_false(rm_str(&t, "ABC"));
    assert_int_equal(t.nodes, 0);

    // err may be NULL.
    assert_true(zmi_trie_add(&t, (const uint8_t *) "Q", 1, NULL));
    zmi_trie_fini(&t);
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);
}

static void
test_match_prefixes(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_trie_init(&t);
    assert_false(match_str(&t, ""));
    assert_false(match_str(&t, "A"));

    assert_true(add_str(&t, "ABC"));
    assert_true(match_str(&t, "ABC"));
    assert_true(match_str(&t, "ABCD"));
    assert_false(match_str(&t, "AB"));
    assert_false(match_str(&t, "ABD"));
    assert_false(match_str(&t, ""));

    // Overlapping prefixes, removed shortest first.
    assert_true(add_str(&t, "AB"));
    assert_true(add_str(&t, "A"));
    assert_true(match_str(&t, "A"));
    assert_true(match_str(&t, "AX"));
    assert_true(rm_str(&t, "A"));
    assert_false(match_str(&t, "AX"));
    assert_true(match_str(&t, "ABX"));
    assert_true(rm_str(&t, "AB"));
    assert_false(match_str(&t, "ABX"));
    assert_true(match_str(&t, "ABCX"));
    assert_int_equal(t.nodes, 4);

    // The empty prefix matches everything, the empty message included.
    assert_true(add_str(&t, ""));
    assert_true(match_str(&t, ""));
    assert_true(match_str(&t, "zzz"));
    assert_int_equal(t.nodes, 4);
    assert_true(rm_str(&t, ""));
    assert_false(match_str(&t, "zzz"));
    assert_true(rm_str(&t, "ABC"));
    assert_int_equal(t.nodes, 0);

    // Bytes 0x00 and 0xFF, and a message shorter than the prefix.
    const uint8_t lo[] = { 0x00, 0x00 };
    const uint8_t hi[] = { 0xFF, 0x00, 0xFF };
    assert_true(zmi_trie_add(&t, lo, 2, NULL));
    assert_true(zmi_trie_add(&t, hi, 3, NULL));
    const uint8_t m1[] = { 0x00, 0x00, 0x01 };
    const uint8_t m2[] = { 0x00, 0x01 };
    const uint8_t m3[] = { 0xFF, 0x00, 0xFF, 0xFF };
    const uint8_t m4[] = { 0xFF, 0x00, 0xFE };
    assert_true(zmi_trie_match(&t, m1, 3));
    assert_false(zmi_trie_match(&t, m1, 1));
    assert_false(zmi_trie_match(&t, m2, 2));
    assert_true(zmi_trie_match(&t, m3, 4));
    assert_false(zmi_trie_match(&t, m3, 2));
    assert_false(zmi_trie_match(&t, m4, 3));
    assert_true(zmi_trie_rm(&t, lo, 2));
    assert_true(zmi_trie_match(&t, hi, 3));
    assert_false(zmi_trie_match(&t, m1, 3));
    assert_true(zmi_trie_rm(&t, hi, 3));
    assert_int_equal(t.nodes, 0);
    zmi_trie_fini(&t);
}

// The root's table starts at 'm', grows below it and above it, then is
// trimmed from both ends as children go.
static void
test_table_growth(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_trie_init(&t);
    assert_true(add_str(&t, "m1"));
    assert_true(add_str(&t, "a2"));
    assert_true(add_str(&t, "z3"));
    assert_true(add_str(&t, "b4"));
    assert_int_equal(t.nodes, 9);
    assert_true(match_str(&t, "m1"));
    assert_true(match_str(&t, "a2"));
    assert_true(match_str(&t, "z3"));
    assert_true(match_str(&t, "b4"));
    assert_false(match_str(&t, "c"));
    assert_false(match_str(&t, "n1"));
    assert_false(match_str(&t, "y3"));
    assert_false(match_str(&t, "\x01"));
    assert_false(match_str(&t, "\x7f"));

    // Removing the lowest, then the highest child trims the table.
    assert_true(rm_str(&t, "a2"));
    assert_false(match_str(&t, "a2"));
    assert_true(match_str(&t, "b4"));
    assert_true(rm_str(&t, "z3"));
    assert_true(match_str(&t, "m1"));
    assert_false(match_str(&t, "z3"));
    // And it can grow again in both directions after trimming.
    assert_true(add_str(&t, "A5"));
    assert_true(add_str(&t, "~6"));
    assert_true(match_str(&t, "A5"));
    assert_true(match_str(&t, "~6"));
    assert_true(match_str(&t, "b4"));
    assert_true(match_str(&t, "m1"));
    assert_int_equal(t.nodes, 9);

    // All 256 bytes under one node, in a scrambled order.
    zmi_trie_t w;
    zmi_trie_init(&w);
    for (unsigned i = 0; i < 256; i++) {
        uint8_t b[2] = { 'x', (uint8_t) (i * 167u + 13u) };
        assert_true(zmi_trie_add(&w, b, 2, NULL));
    }
    assert_int_equal(w.nodes, 258);
    for (unsigned i = 0; i < 256; i++) {
        uint8_t b[3] = { 'x', (uint8_t) i, 'q' };
        assert_true(zmi_trie_match(&w, b, 3));
    }
    // Every even byte goes, in a scrambled order (91 is odd).
    for (unsigned i = 0; i < 256; i += 2) {
        uint8_t b[2] = { 'x', (uint8_t) (i * 91u) };
        assert_true(zmi_trie_rm(&w, b, 2));
    }
    assert_int_equal(w.nodes, 130);
    for (unsigned i = 0; i < 256; i++) {
        uint8_t b[2] = { 'x', (uint8_t) i };
        assert_true(zmi_trie_match(&w, b, 2) == ((i & 1u) == 1));
    }
    zmi_trie_fini(&w);
    assert_int_equal(w.nodes, 0);

    assert_true(rm_str(&t, "m1"));
    assert_true(rm_str(&t, "b4"));
    assert_true(rm_str(&t, "A5"));
    assert_true(rm_str(&t, "~6"));
    assert_int_equal(t.nodes, 0);
    zmi_trie_fini(&t);
}

// One subscription for the each() test, given with its size so that it
// may hold 0x00.
typedef struct {
    const char *bytes;
    size_t size;
} topic_t;

static bool
each_reports(const zmi_trie_t *t, const topic_t *want, int n)
{
    prefixes_t ps = { .n = 0 };
    assert_int_equal(zmi_trie_each(t, collect_prefix, &ps), 0);
    bool ok = ps.n == n;
    for (int i = 0; ok && i < n; i++) {
        int hits = 0;
        for (int j = 0; j < ps.n; j++)
            if (ps.size[j] == want[i].size
                && memcmp(ps.data[j], want[i].bytes, want[i].size) == 0)
                hits++;
        ok = hits == 1;
    }
    prefixes_free(&ps);
    return ok;
}

static void
test_each_live_set(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_trie_init(&t);
    assert_true(each_reports(&t, NULL, 0));

    const topic_t all[] = {
        { "A", 1 },
        { "ABC", 3 },
        { "B", 1 },
        { "ABD", 3 },
        { "", 0 },
        { "\xff\x00", 2 },
        { "A\x01", 2 },
        { "\x00", 1 },
    };
    for (int i = 0; i < 8; i++)
        assert_true(zmi_trie_add(
            &t, (const uint8_t *) all[i].bytes, all[i].size, NULL));
    assert_false(add_str(&t, "ABC"));
    assert_true(each_reports(&t, all, 8));

    // Cancelled prefixes (and mere path nodes) are not reported.
    assert_false(rm_str(&t, "ABC"));
    assert_true(rm_str(&t, "ABC"));
    assert_true(rm_str(&t, ""));
    assert_true(zmi_trie_rm(&t, (const uint8_t *) "\xff\x00", 2));
    const topic_t left[] = { all[0], all[2], all[3], all[6], all[7] };
    assert_true(each_reports(&t, left, 5));
    zmi_trie_fini(&t);
}

static void
test_mtrie_add_rm(void **state)
{
    (void) state;
    zmi_mtrie_t t;
    zmi_trie_init(&t);
    assert_false(mrm_str(&t, "A", PIPE(1)));

    // Idempotent per pipe.
    assert_true(madd_str(&t, "AB", PIPE(1)));
    assert_false(madd_str(&t, "AB", PIPE(1)));
    assert_true(madd_str(&t, "AB", PIPE(2)));
    assert_int_equal(t.nodes, 3);
    pipe_hits_t h = mmatch_str(&t, "ABC");
    assert_int_equal(h.total, 2);
    assert_int_equal(h.hits[1], 1);
    assert_int_equal(h.hits[2], 1);
    assert_int_equal(mmatch_str(&t, "A").total, 0);
    assert_int_equal(mmatch_str(&t, "AC").total, 0);

    // One removal suffices for a pipe, whatever it added.
    assert_true(mrm_str(&t, "AB", PIPE(1)));
    assert_false(mrm_str(&t, "AB", PIPE(1)));
    assert_false(mrm_str(&t, "A", PIPE(2)));
    assert_false(mrm_str(&t, "ABC", PIPE(2)));
    h = mmatch_str(&t, "AB");
    assert_int_equal(h.total, 1);
    assert_int_equal(h.hits[2], 1);
    assert_int_equal(t.nodes, 3);
    assert_true(mrm_str(&t, "AB", PIPE(2)));
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);

    // Many pipes on one prefix: the set grows and shrinks.
    for (int i = 0; i < 8; i++)
        assert_true(madd_str(&t, "", PIPE(i)));
    assert_int_equal(mmatch_str(&t, "anything").total, 8);
    for (int i = 0; i < 7; i++)
        assert_true(mrm_str(&t, "", PIPE(i)));
    h = mmatch_str(&t, "");
    assert_int_equal(h.total, 1);
    assert_int_equal(h.hits[7], 1);
    assert_int_equal(t.nodes, 1);
    assert_true(mrm_str(&t, "", PIPE(7)));
    assert_int_equal(t.nodes, 0);

    // err may be NULL.
    assert_true(zmi_mtrie_add(&t, (const uint8_t *) "Z", 1, PIPE(3), NULL));
    zmi_trie_fini(&t);
    assert_int_equal(t.nodes, 0);
}

static void
test_mtrie_match_twice(void **state)
{
    (void) state;
    zmi_mtrie_t t;
    zmi_trie_init(&t);
    assert_true(madd_str(&t, "A", PIPE(1)));
    assert_true(madd_str(&t, "AB", PIPE(1)));
    assert_true(madd_str(&t, "ABC", PIPE(2)));
    assert_true(madd_str(&t, "", PIPE(3)));
    assert_true(madd_str(&t, "B", PIPE(4)));

    // Deduplication is the caller's: pipe 1 comes once per prefix.
    pipe_hits_t h = mmatch_str(&t, "ABC");
    assert_int_equal(h.hits[1], 2);
    assert_int_equal(h.hits[2], 1);
    assert_int_equal(h.hits[3], 1);
    assert_int_equal(h.hits[4], 0);
    assert_int_equal(h.total, 4);
    h = mmatch_str(&t, "AB");
    assert_int_equal(h.hits[1], 2);
    assert_int_equal(h.total, 3);
    h = mmatch_str(&t, "");
    assert_int_equal(h.hits[3], 1);
    assert_int_equal(h.total, 1);
    h = mmatch_str(&t, "BA");
    assert_int_equal(h.hits[4], 1);
    assert_int_equal(h.total, 2);
    zmi_trie_fini(&t);
}

static void
test_mtrie_rm_pipe(void **state)
{
    (void) state;
    zmi_mtrie_t t;
    zmi_trie_init(&t);
    zmi_mtrie_rm_pipe(&t, PIPE(1));
    assert_int_equal(t.nodes, 0);

    // Pipe 2 alone needs "", "X", "XY" (3 nodes).
    assert_true(madd_str(&t, "XY", PIPE(2)));
    assert_int_equal(t.nodes, 3);
    const char *topics[] = { "", "A", "AB", "ABC", "ABD", "B", "XYZ", "X\xff" };
    for (int i = 0; i < 8; i++)
        assert_true(madd_str(&t, topics[i], PIPE(1)));
    assert_true(madd_str(&t, "AB", PIPE(3)));
    assert_int_equal(t.nodes, 10);

    zmi_mtrie_rm_pipe(&t, PIPE(1));
    // Pipe 3 keeps "A", "AB"; pipe 2 keeps "X", "XY"; and the root.
    assert_int_equal(t.nodes, 5);
    pipe_hits_t h = mmatch_str(&t, "ABCD");
    assert_int_equal(h.total, 1);
    assert_int_equal(h.hits[3], 1);
    h = mmatch_str(&t, "XYZ");
    assert_int_equal(h.total, 1);
    assert_int_equal(h.hits[2], 1);
    assert_int_equal(mmatch_str(&t, "B").total, 0);
    for (int i = 0; i < 8; i++)
        assert_false(mrm_str(&t, topics[i], PIPE(1)));

    // Removing an unknown pipe changes nothing.
    zmi_mtrie_rm_pipe(&t, PIPE(6));
    assert_int_equal(t.nodes, 5);
    zmi_mtrie_rm_pipe(&t, PIPE(3));
    assert_int_equal(t.nodes, 3);
    zmi_mtrie_rm_pipe(&t, PIPE(2));
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);
    zmi_trie_fini(&t);
}

static void
test_nodes_back_to_zero(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_trie_init(&t);
    const char *topics[] = { "", "a", "ab", "abc", "b", "ba", "\x7f", "zzzz",
        "zz", "abd", "abce" };
    for (int i = 0; i < 11; i++)
        assert_true(add_str(&t, topics[i]));
    // Removal in a different order from insertion.
    for (int i = 10; i >= 0; i -= 2)
        assert_true(rm_str(&t, topics[i]));
    for (int i = 9; i >= 0; i -= 2)
        assert_true(rm_str(&t, topics[i]));
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);

    zmi_mtrie_t m;
    zmi_trie_init(&m);
    for (int i = 0; i < 11; i++)
        for (int p = 0; p < 3; p++)
            assert_true(madd_str(&m, topics[i], PIPE(p)));
    for (int i = 0; i < 11; i++)
        for (int p = 2; p >= 0; p--)
            assert_true(mrm_str(&m, topics[(i * 7) % 11], PIPE(p)));
    assert_int_equal(m.nodes, 0);
    assert_null(m.root);
    zmi_trie_fini(&t);
    zmi_trie_fini(&m);
}

static size_t
random_topic(uint8_t *buf, size_t max)
{
    size_t n = rng() % (max + 1);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t) rng();
    return n;
}

// A peer subscribing and cancelling in a loop must not grow memory.
static void
test_churn_bounded(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_mtrie_t m;
    zmi_trie_init(&t);
    zmi_trie_init(&m);
    assert_true(add_str(&t, "base"));
    assert_true(add_str(&t, "bat"));
    assert_true(madd_str(&m, "base", PIPE(0)));
    assert_true(madd_str(&m, "bat", PIPE(1)));
    const size_t base = t.nodes;
    assert_int_equal(base, 6);
    assert_int_equal(m.nodes, base);
    size_t peak = 0;
    for (int i = 0; i < 100000; i++) {
        uint8_t topic[16];
        size_t n = random_topic(topic, sizeof(topic));
        int err = 0;
        zmi_trie_add(&t, topic, n, &err);
        assert_int_equal(err, 0);
        assert_true(zmi_trie_match(&t, topic, n));
        zmi_pipe_t *p = PIPE(2 + rng() % 6);
        assert_true(zmi_mtrie_add(&m, topic, n, p, &err));
        assert_int_equal(err, 0);
        peak = t.nodes > peak ? t.nodes : peak;
        peak = m.nodes > peak ? m.nodes : peak;
        assert_true(t.nodes <= base + n + 1);
        assert_true(m.nodes <= base + n + 1);
        zmi_trie_rm(&t, topic, n);
        assert_true(zmi_mtrie_rm(&m, topic, n, p));
        assert_int_equal(t.nodes, base);
        assert_int_equal(m.nodes, base);
    }
    assert_true(peak <= base + 17);
    assert_true(match_str(&t, "base"));
    assert_true(match_str(&t, "bat"));
    assert_false(match_str(&t, "bas"));
    assert_true(rm_str(&t, "base"));
    assert_true(rm_str(&t, "bat"));
    assert_true(mrm_str(&m, "base", PIPE(0)));
    zmi_mtrie_rm_pipe(&m, PIPE(1));
    assert_int_equal(t.nodes, 0);
    assert_int_equal(m.nodes, 0);
    zmi_trie_fini(&t);
    zmi_trie_fini(&m);
}

enum { LONG = 100000 };

typedef struct {
    const uint8_t *want;
    size_t size;
    int calls;
} long_each_t;

static void
check_long_prefix(const uint8_t *prefix, size_t size, void *arg)
{
    long_each_t *e = arg;
    e->calls++;
    assert_int_equal(size, e->size);
    assert_memory_equal(prefix, e->want, size);
}

// Deep enough to overflow a small stack if anything recursed (run it once
// under `ulimit -s 256` too).
static void
test_long_topic(void **state)
{
    (void) state;
    uint8_t *topic = malloc(LONG + 1);
    assert_non_null(topic);
    for (size_t i = 0; i < LONG + 1; i++)
        topic[i] = (uint8_t) rng();

    zmi_trie_t t;
    zmi_trie_init(&t);
    int err = 0;
    assert_true(zmi_trie_add(&t, topic, LONG, &err));
    assert_int_equal(t.nodes, LONG + 1);
    assert_true(zmi_trie_match(&t, topic, LONG));
    assert_true(zmi_trie_match(&t, topic, LONG + 1));
    assert_false(zmi_trie_match(&t, topic, LONG - 1));
    topic[LONG - 1] ^= 1;
    assert_false(zmi_trie_match(&t, topic, LONG));
    topic[LONG - 1] ^= 1;
    long_each_t e = { topic, LONG, 0 };
    assert_int_equal(zmi_trie_each(&t, check_long_prefix, &e), 0);
    assert_int_equal(e.calls, 1);
    assert_false(zmi_trie_rm(&t, topic, LONG - 1));
    assert_true(zmi_trie_rm(&t, topic, LONG));
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);

    // fini (not rm) frees a long path too.
    assert_true(zmi_trie_add(&t, topic, LONG, &err));
    assert_true(zmi_trie_add(&t, topic, LONG / 2, &err));
    zmi_trie_fini(&t);
    assert_int_equal(t.nodes, 0);

    zmi_mtrie_t m;
    zmi_trie_init(&m);
    assert_true(zmi_mtrie_add(&m, topic, LONG, PIPE(1), &err));
    assert_true(zmi_mtrie_add(&m, topic, LONG, PIPE(2), &err));
    assert_true(zmi_mtrie_add(&m, topic, 10, PIPE(2), &err));
    assert_int_equal(m.nodes, LONG + 1);
    pipe_hits_t h;
    memset(&h, 0, sizeof(h));
    zmi_mtrie_match(&m, topic, LONG + 1, count_pipe, &h);
    assert_int_equal(h.total, 3);
    assert_int_equal(h.hits[2], 2);
    zmi_mtrie_rm_pipe(&m, PIPE(1));
    assert_int_equal(m.nodes, LONG + 1);
    assert_true(zmi_mtrie_rm(&m, topic, LONG, PIPE(2)));
    assert_int_equal(m.nodes, 11);
    assert_true(zmi_mtrie_add(&m, topic, LONG, PIPE(3), &err));
    zmi_mtrie_rm_pipe(&m, PIPE(3));
    assert_int_equal(m.nodes, 11);
    zmi_mtrie_rm_pipe(&m, PIPE(2));
    assert_int_equal(m.nodes, 0);
    assert_true(zmi_mtrie_add(&m, topic, LONG, PIPE(1), &err));
    zmi_trie_fini(&m);
    assert_int_equal(m.nodes, 0);
    free(topic);
}

// Naive models for the differential tests: topics over a 4-byte alphabet
// (0x00, 'a', 'b', 0xFF), at most 6 bytes, so prefixes overlap often.
// A prefix is coded in base ALPHA + 1 (digit 0 unused), hence CODES = 5^7.
enum { ALPHA = 4, MAXLEN = 6, MAXSUBS = 4096, CODES = 78125 };

static const uint8_t alphabet[ALPHA] = { 0x00, 'a', 'b', 0xFF };

typedef struct {
    uint8_t topic[MAXLEN];
    size_t size;
    int count; // counted model
    zmi_pipe_t *pipe; // pipe-set model
} sub_t;

static sub_t subs[MAXSUBS];
static int nsubs;

static size_t
alpha_topic(uint8_t *buf, size_t max)
{
    size_t n = rng() % (max + 1);
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[rng() % ALPHA];
    return n;
}

static bool
is_prefix(const sub_t *s, const uint8_t *data, size_t size)
{
    return s->size <= size && memcmp(s->topic, data, s->size) == 0;
}

static int
alpha_index(uint8_t b)
{
    for (int i = 0; i < ALPHA; i++)
        if (alphabet[i] == b)
            return i;
    fail();
    return -1;
}

// The exact node count both tries must have: every distinct prefix of a
// live subscription (the empty one included), or none at all.
static size_t
model_nodes(void)
{
    static uint32_t mark[CODES];
    static uint32_t gen;
    gen++;
    size_t nodes = 0;
    for (int i = 0; i < nsubs; i++) {
        uint32_t code = 0;
        for (size_t l = 0;; l++) {
            if (mark[code] != gen) {
                mark[code] = gen;
                nodes++;
            }
            if (l == subs[i].size)
                break;
            code = code * (ALPHA + 1) + (uint32_t) alpha_index(subs[i].topic[l])
                + 1;
            assert_true(code < CODES);
        }
    }
    return nodes;
}

static int
find_sub(const uint8_t *topic, size_t size, zmi_pipe_t *pipe)
{
    for (int i = 0; i < nsubs; i++)
        if (subs[i].size == size && memcmp(subs[i].topic, topic, size) == 0
            && subs[i].pipe == pipe)
            return i;
    return -1;
}

static void
drop_sub(int i)
{
    subs[i] = subs[--nsubs];
}

typedef struct {
    int seen[MAXSUBS];
    int calls;
} diff_each_t;

static void
diff_each(const uint8_t *prefix, size_t size, void *arg)
{
    diff_each_t *d = arg;
    d->calls++;
    int i = find_sub(prefix, size, NULL);
    assert_true(i >= 0);
    assert_true(subs[i].count > 0);
    assert_int_equal(d->seen[i], 0);
    d->seen[i] = 1;
}

static void
test_differential_trie(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_trie_init(&t);
    nsubs = 0;
    for (int op = 0; op < 10000; op++) {
        uint8_t topic[MAXLEN];
        // Removal is tried more often, so the set also shrinks to nothing.
        size_t n = alpha_topic(topic, MAXLEN);
        int i = find_sub(topic, n, NULL);
        uint32_t what = rng() % 100;
        int phase = (op / 2500) % 2;
        if (what < (phase ? 40u : 60u)) {
            int err = 0;
            bool rc = zmi_trie_add(&t, topic, n, &err);
            assert_int_equal(err, 0);
            assert_true(rc == (i < 0));
            if (i < 0) {
                assert_true(nsubs < MAXSUBS);
                i = nsubs++;
                memcpy(subs[i].topic, topic, n);
                subs[i].size = n;
                subs[i].count = 0;
                subs[i].pipe = NULL;
            }
            subs[i].count++;
        } else {
            bool rc = zmi_trie_rm(&t, topic, n);
            assert_true(rc == (i >= 0 && subs[i].count == 1));
            if (i >= 0 && --subs[i].count == 0)
                drop_sub(i);
        }
        assert_int_equal(t.nodes, model_nodes());
        assert_true((t.root == NULL) == (nsubs == 0));
        for (int k = 0; k < 4; k++) {
            uint8_t data[MAXLEN + 2];
            size_t size = alpha_topic(data, sizeof(data));
            bool want = false;
            for (int j = 0; j < nsubs && !want; j++)
                want = is_prefix(&subs[j], data, size);
            assert_true(zmi_trie_match(&t, data, size) == want);
        }
        if (op % 97 == 0) {
            diff_each_t d;
            memset(&d, 0, sizeof(d));
            assert_int_equal(zmi_trie_each(&t, diff_each, &d), 0);
            assert_int_equal(d.calls, nsubs);
        }
    }
    while (nsubs > 0) {
        for (int c = subs[0].count; c > 1; c--)
            assert_false(zmi_trie_rm(&t, subs[0].topic, subs[0].size));
        assert_true(zmi_trie_rm(&t, subs[0].topic, subs[0].size));
        drop_sub(0);
    }
    assert_int_equal(t.nodes, 0);
    zmi_trie_fini(&t);
}

static void
test_differential_mtrie(void **state)
{
    (void) state;
    zmi_mtrie_t t;
    zmi_trie_init(&t);
    nsubs = 0;
    for (int op = 0; op < 10000; op++) {
        uint8_t topic[MAXLEN];
        size_t n = alpha_topic(topic, MAXLEN);
        zmi_pipe_t *pipe = PIPE(rng() % 8);
        int i = find_sub(topic, n, pipe);
        uint32_t what = rng() % 1000;
        int phase = (op / 2500) % 2;
        if (what < 5) {
            zmi_mtrie_rm_pipe(&t, pipe);
            for (int j = nsubs - 1; j >= 0; j--)
                if (subs[j].pipe == pipe)
                    drop_sub(j);
        } else if (what < (phase ? 400u : 600u)) {
            int err = 0;
            bool rc = zmi_mtrie_add(&t, topic, n, pipe, &err);
            assert_int_equal(err, 0);
            assert_true(rc == (i < 0));
            if (i < 0) {
                assert_true(nsubs < MAXSUBS);
                i = nsubs++;
                memcpy(subs[i].topic, topic, n);
                subs[i].size = n;
                subs[i].count = 1;
                subs[i].pipe = pipe;
            }
        } else {
            bool rc = zmi_mtrie_rm(&t, topic, n, pipe);
            assert_true(rc == (i >= 0));
            if (i >= 0)
                drop_sub(i);
        }
        assert_int_equal(t.nodes, model_nodes());
        assert_true((t.root == NULL) == (nsubs == 0));
        for (int k = 0; k < 4; k++) {
            uint8_t data[MAXLEN + 2];
            size_t size = alpha_topic(data, sizeof(data));
            pipe_hits_t want;
            pipe_hits_t got;
            memset(&want, 0, sizeof(want));
            memset(&got, 0, sizeof(got));
            for (int j = 0; j < nsubs; j++)
                if (is_prefix(&subs[j], data, size))
                    count_pipe(subs[j].pipe, &want);
            zmi_mtrie_match(&t, data, size, count_pipe, &got);
            assert_memory_equal(&want, &got, sizeof(want));
        }
    }
    for (int p = 0; p < 8; p++)
        zmi_mtrie_rm_pipe(&t, PIPE(p));
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);
    nsubs = 0;
    zmi_trie_fini(&t);
}

typedef struct {
    int calls;
} count_each_t;

static void
count_each(const uint8_t *prefix, size_t size, void *arg)
{
    (void) prefix;
    (void) size;
    ((count_each_t *) arg)->calls++;
}

// Fails the k-th allocation of an add, for every k until the add needs
// fewer: the trie must be left exactly as before (same nodes, matches).
static void
test_enomem(void **state)
{
    (void) state;
    zmi_trie_t t;
    zmi_mtrie_t m;
    zmi_trie_init(&t);
    zmi_trie_init(&m);
    // Even the root can fail to appear.
    int root_err = 0;
    zmi_trie_test_fail_countdown = 1;
    assert_false(zmi_trie_add(&t, (const uint8_t *) "x", 1, &root_err));
    assert_int_equal(root_err, -ENOMEM);
    root_err = 0;
    zmi_trie_test_fail_countdown = 1;
    assert_false(
        zmi_mtrie_add(&m, (const uint8_t *) "", 0, PIPE(1), &root_err));
    assert_int_equal(root_err, -ENOMEM);
    zmi_trie_test_fail_countdown = 0;
    assert_int_equal(t.nodes, 0);
    assert_null(t.root);
    assert_int_equal(m.nodes, 0);
    assert_null(m.root);

    assert_true(add_str(&t, "mm"));
    assert_true(add_str(&t, "mmn"));
    assert_true(madd_str(&m, "mm", PIPE(1)));
    const char *news[] = { "a-new-path", "mma", "mmz", "zz", "mmnop", "" };
    for (int s = 0; s < 6; s++) {
        const uint8_t *nt = (const uint8_t *) news[s];
        size_t nn = strlen(news[s]);
        bool done = false;
        for (unsigned long k = 1; !done; k++) {
            size_t before = t.nodes;
            bool matched = zmi_trie_match(&t, nt, nn);
            int err = 0;
            zmi_trie_test_fail_countdown = k;
            bool rc = zmi_trie_add(&t, nt, nn, &err);
            done = zmi_trie_test_fail_countdown != 0;
            zmi_trie_test_fail_countdown = 0;
            if (!done) {
                assert_false(rc);
                assert_int_equal(err, -ENOMEM);
                assert_int_equal(t.nodes, before);
                assert_true(zmi_trie_match(&t, nt, nn) == matched);
            } else {
                assert_true(rc);
                assert_true(zmi_trie_match(&t, nt, nn));
                assert_true(zmi_trie_rm(&t, nt, nn));
                assert_int_equal(t.nodes, before);
            }
            assert_true(match_str(&t, "mmx"));
            assert_false(match_str(&t, "m"));
            count_each_t c = { 0 };
            assert_int_equal(zmi_trie_each(&t, count_each, &c), 0);
            assert_int_equal(c.calls, 2);
        }
        // The same for the mtrie, both for a new node and for a second
        // pipe on the existing "mm" (whose set must grow).
        for (int p = 1; p <= 2; p++) {
            const uint8_t *mt = p == 1 ? nt : (const uint8_t *) "mm";
            size_t mn = p == 1 ? nn : 2;
            done = false;
            for (unsigned long k = 1; !done; k++) {
                size_t before = m.nodes;
                int err = 0;
                zmi_trie_test_fail_countdown = k;
                bool rc = zmi_mtrie_add(&m, mt, mn, PIPE(2), &err);
                done = zmi_trie_test_fail_countdown != 0;
                zmi_trie_test_fail_countdown = 0;
                pipe_hits_t h;
                memset(&h, 0, sizeof(h));
                zmi_mtrie_match(&m, mt, mn, count_pipe, &h);
                if (!done) {
                    assert_false(rc);
                    assert_int_equal(err, -ENOMEM);
                    assert_int_equal(m.nodes, before);
                    assert_int_equal(h.hits[2], 0);
                } else {
                    assert_true(rc);
                    assert_int_equal(h.hits[2], 1);
                    assert_true(zmi_mtrie_rm(&m, mt, mn, PIPE(2)));
                    assert_int_equal(m.nodes, before);
                }
                assert_int_equal(mmatch_str(&m, "mmm").hits[1], 1);
            }
        }
    }
    // each() reports its own bookkeeping failure: deep enough that the
    // prefix buffer must grow.
    uint8_t deep[200];
    memset(deep, 'd', sizeof(deep));
    assert_true(zmi_trie_add(&t, deep, sizeof(deep), NULL));
    for (unsigned long k = 1; k <= 2; k++) {
        count_each_t c = { 0 };
        zmi_trie_test_fail_countdown = k;
        assert_int_equal(zmi_trie_each(&t, count_each, &c), -ENOMEM);
        zmi_trie_test_fail_countdown = 0;
    }
    assert_true(zmi_trie_rm(&t, deep, sizeof(deep)));
    // Emptying everything still brings the counts to 0.
    assert_true(rm_str(&t, "mm"));
    assert_true(rm_str(&t, "mmn"));
    assert_true(mrm_str(&m, "mm", PIPE(1)));
    assert_int_equal(t.nodes, 0);
    assert_int_equal(m.nodes, 0);
    zmi_trie_fini(&t);
    zmi_trie_fini(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_rm_counts),
        cmocka_unit_test(test_match_prefixes),
        cmocka_unit_test(test_table_growth),
        cmocka_unit_test(test_each_live_set),
        cmocka_unit_test(test_mtrie_add_rm),
        cmocka_unit_test(test_mtrie_match_twice),
        cmocka_unit_test(test_mtrie_rm_pipe),
        cmocka_unit_test(test_nodes_back_to_zero),
        cmocka_unit_test(test_churn_bounded),
        cmocka_unit_test(test_long_topic),
        cmocka_unit_test(test_differential_trie),
        cmocka_unit_test(test_differential_mtrie),
        cmocka_unit_test(test_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
