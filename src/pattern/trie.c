// Subscription tries without recursion (see trie.h).
//
// Every node knows its parent and the byte it hangs under, so walks
// (each, rm_pipe, fini) go down and back up without a stack, and pruning
// after a removal or a failed add climbs the same links. The void
// operations therefore never allocate and cannot fail.

#include "pattern/trie.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct zmi_trie_node {
    zmi_trie_node_t *parent; // NULL for the root
    zmi_trie_node_t **next; // children for bytes min..min+count-1
    zmi_pipe_t **pipes; // mtrie: the pipes subscribed here
    uint32_t refcnt; // counted trie: subscriptions here
    uint32_t npipes; // entries used in pipes
    uint32_t pcap; // entries allocated in pipes
    uint16_t count; // width of the child table (0..256)
    uint16_t live; // non-NULL entries in the child table
    uint8_t min; // byte of next[0]
    uint8_t key; // byte this node hangs under in its parent
};

// Test hook, deliberately absent from trie.h: when non-zero, every
// allocation the trie makes decrements it and the one that brings it to
// zero fails. It stays 0 outside the unit tests.
unsigned long zmi_trie_test_fail_countdown;

static bool
trie_fail_now(void)
{
    return zmi_trie_test_fail_countdown != 0
        && --zmi_trie_test_fail_countdown == 0;
}

static void *
trie_malloc(size_t size)
{
    return trie_fail_now() ? NULL : malloc(size);
}

static void *
trie_realloc(void *p, size_t size)
{
    return trie_fail_now() ? NULL : realloc(p, size);
}

static bool
trie_empty(const zmi_trie_node_t *n)
{
    return n->refcnt == 0 && n->npipes == 0 && n->live == 0;
}

static zmi_trie_node_t *
trie_child(const zmi_trie_node_t *n, uint8_t c)
{
    if (c < n->min || (unsigned) c - n->min >= n->count)
        return NULL;
    return n->next[c - n->min];
}

// Returns the child with the smallest byte >= from, or NULL. from is an
// absolute byte value (0..256), so it stays meaningful when the table is
// trimmed or moved while a walk is under way.
static zmi_trie_node_t *
trie_next_child(const zmi_trie_node_t *n, unsigned from)
{
    unsigned i = from > n->min ? from - n->min : 0;
    for (; i < n->count; i++)
        if (n->next[i])
            return n->next[i];
    return NULL;
}

static zmi_trie_node_t *
trie_new_node(zmi_trie_t *t, zmi_trie_node_t *parent, uint8_t key)
{
    zmi_trie_node_t *n = trie_malloc(sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->parent = parent;
    n->key = key;
    t->nodes++;
    return n;
}

// Makes the child table of n cover byte c, moving the table up when c is
// below min and extending it when c is above the top. On failure the
// table is left as it was.
static bool
trie_table_cover(zmi_trie_node_t *n, uint8_t c)
{
    if (n->count == 0) {
        zmi_trie_node_t **next = trie_malloc(sizeof(*next));
        if (!next)
            return false;
        next[0] = NULL;
        n->next = next;
        n->min = c;
        n->count = 1;
        return true;
    }
    if (c < n->min) {
        unsigned shift = (unsigned) n->min - c;
        unsigned count = n->count + shift;
        zmi_trie_node_t **next = trie_realloc(n->next, count * sizeof(*next));
        if (!next)
            return false;
        memmove(next + shift, next, n->count * sizeof(*next));
        memset(next, 0, shift * sizeof(*next));
        n->next = next;
        n->min = c;
        n->count = (uint16_t) count;
        return true;
    }
    if ((unsigned) c - n->min >= n->count) {
        unsigned count = (unsigned) c - n->min + 1;
        zmi_trie_node_t **next = trie_realloc(n->next, count * sizeof(*next));
        if (!next)
            return false;
        memset(next + n->count, 0, (count - n->count) * sizeof(*next));
        n->next = next;
        n->count = (uint16_t) count;
    }
    return true;
}

// Returns n's child for byte c, creating it if needed; NULL on -ENOMEM
// (with nothing created).
static zmi_trie_node_t *
trie_get_child(zmi_trie_t *t, zmi_trie_node_t *n, uint8_t c)
{
    zmi_trie_node_t *child = trie_child(n, c);
    if (child)
        return child;
    // The node comes first: a table grown for a child that then can't be
    // allocated would leave a table with no live entry behind.
    child = trie_new_node(t, n, c);
    if (!child)
        return NULL;
    if (!trie_table_cover(n, c)) {
        free(child);
        t->nodes--;
        return NULL;
    }
    n->next[c - n->min] = child;
    n->live++;
    return child;
}

// Clears n's slot for byte c. The table is freed when no child is left,
// and trimmed when an edge slot was cleared, so that a table never keeps
// empty slots at its ends.
static void
trie_unlink(zmi_trie_node_t *n, uint8_t c)
{
    unsigned i = (unsigned) c - n->min;
    ZMI_ASSERT(c >= n->min && i < n->count && n->next[i]);
    n->next[i] = NULL;
    n->live--;
    if (n->live == 0) {
        free(n->next);
        n->next = NULL;
        n->min = 0;
        n->count = 0;
        return;
    }
    unsigned lo = 0;
    unsigned hi = n->count;
    while (!n->next[lo])
        lo++;
    while (!n->next[hi - 1])
        hi--;
    if (lo == 0 && hi == n->count)
        return;
    memmove(n->next, n->next + lo, (hi - lo) * sizeof(*n->next));
    n->min = (uint8_t) (n->min + lo);
    n->count = (uint16_t) (hi - lo);
    // Shrinking in place can't lose data: on failure keep the old block.
    zmi_trie_node_t **next = trie_realloc(n->next, n->count * sizeof(*n->next));
    if (next)
        n->next = next;
}

static void
trie_free_node(zmi_trie_t *t, zmi_trie_node_t *n)
{
    free(n->next);
    free(n->pipes);
    free(n);
    t->nodes--;
}

// Detaches n from its parent (or from t) and frees it.
static void
trie_drop(zmi_trie_t *t, zmi_trie_node_t *n)
{
    if (n->parent)
        trie_unlink(n->parent, n->key);
    else
        t->root = NULL;
    trie_free_node(t, n);
}

// Frees n and then its ancestors for as long as they are empty.
static void
trie_prune(zmi_trie_t *t, zmi_trie_node_t *n)
{
    while (n && trie_empty(n)) {
        zmi_trie_node_t *parent = n->parent;
        trie_drop(t, n);
        n = parent;
    }
}

// Returns the node for prefix, creating the missing path; NULL on -ENOMEM
// after freeing whatever part of the path this call created.
static zmi_trie_node_t *
trie_make_path(zmi_trie_t *t, const uint8_t *prefix, size_t size)
{
    if (!t->root) {
        t->root = trie_new_node(t, NULL, 0);
        if (!t->root)
            return NULL;
    }
    zmi_trie_node_t *n = t->root;
    for (size_t i = 0; i < size; i++) {
        zmi_trie_node_t *child = trie_get_child(t, n, prefix[i]);
        if (!child) {
            trie_prune(t, n);
            return NULL;
        }
        n = child;
    }
    return n;
}

static zmi_trie_node_t *
trie_find(const zmi_trie_t *t, const uint8_t *prefix, size_t size)
{
    zmi_trie_node_t *n = t->root;
    for (size_t i = 0; n && i < size; i++)
        n = trie_child(n, prefix[i]);
    return n;
}

static void
trie_set_err(int *err, int value)
{
    if (err)
        *err = value;
}

// Removes pipe from n's set if it is there; returns whether it was.
static bool
trie_pipe_del(zmi_trie_node_t *n, const zmi_pipe_t *pipe)
{
    for (uint32_t i = 0; i < n->npipes; i++) {
        if (n->pipes[i] != pipe)
            continue;
        n->pipes[i] = n->pipes[--n->npipes];
        if (n->npipes == 0) {
            free(n->pipes);
            n->pipes = NULL;
            n->pcap = 0;
        } else if (n->pcap >= 8 && n->npipes <= n->pcap / 4) {
            // Give back most of a set that emptied out; on failure the
            // larger block simply stays.
            zmi_pipe_t **pipes
                = trie_realloc(n->pipes, n->pcap / 2 * sizeof(*pipes));
            if (pipes) {
                n->pipes = pipes;
                n->pcap /= 2;
            }
        }
        return true;
    }
    return false;
}

// Visits every node after its children (without a stack), either
// removing pipe from each and freeing the nodes that become empty, or,
// with destroy, freeing all of them.
static void
trie_post_walk(zmi_trie_t *t, const zmi_pipe_t *pipe, bool destroy)
{
    zmi_trie_node_t *n = t->root;
    if (!n)
        return;
    if (!destroy)
        trie_pipe_del(n, pipe);
    unsigned from = 0;
    for (;;) {
        zmi_trie_node_t *child = trie_next_child(n, from);
        if (child) {
            n = child;
            from = 0;
            if (!destroy)
                trie_pipe_del(n, pipe);
            continue;
        }
        // n's subtree is done: move on to the parent's next child.
        zmi_trie_node_t *parent = n->parent;
        from = n->key + 1u;
        if (destroy)
            // No unlink: from already skips n, and the parent goes too.
            trie_free_node(t, n);
        else if (trie_empty(n))
            trie_drop(t, n);
        if (!parent)
            break;
        n = parent;
    }
    if (destroy)
        t->root = NULL;
}

void
zmi_trie_init(zmi_trie_t *t)
{
    t->root = NULL;
    t->nodes = 0;
}

void
zmi_trie_fini(zmi_trie_t *t)
{
    trie_post_walk(t, NULL, true);
    ZMI_ASSERT(t->nodes == 0);
}

bool
zmi_trie_add(zmi_trie_t *t, const uint8_t *prefix, size_t size, int *err)
{
    zmi_trie_node_t *n = trie_make_path(t, prefix, size);
    if (!n) {
        trie_set_err(err, -ENOMEM);
        return false;
    }
    // Four billion subscriptions to one prefix can't be counted: report
    // it as running out of memory (nothing was created on the way).
    if (n->refcnt == UINT32_MAX) {
        trie_set_err(err, -ENOMEM);
        return false;
    }
    return ++n->refcnt == 1;
}

bool
zmi_trie_rm(zmi_trie_t *t, const uint8_t *prefix, size_t size)
{
    zmi_trie_node_t *n = trie_find(t, prefix, size);
    if (!n || n->refcnt == 0)
        return false;
    if (--n->refcnt > 0)
        return false;
    trie_prune(t, n);
    return true;
}

bool
zmi_trie_match(const zmi_trie_t *t, const uint8_t *data, size_t size)
{
    const zmi_trie_node_t *n = t->root;
    for (size_t i = 0; n; i++) {
        if (n->refcnt > 0)
            return true;
        if (i == size)
            break;
        n = trie_child(n, data[i]);
    }
    return false;
}

// Pre-order walk without a stack; only the prefix buffer grows.
int
zmi_trie_each(const zmi_trie_t *t,
    void (*fn)(const uint8_t *prefix, size_t size, void *arg), void *arg)
{
    const zmi_trie_node_t *n = t->root;
    if (!n)
        return 0;
    // Never NULL, even for the empty prefix.
    size_t cap = 64;
    size_t depth = 0;
    uint8_t *buf = trie_malloc(cap);
    if (!buf)
        return -ENOMEM;
    // Nothing reads it for the empty prefix, but compilers can't know.
    buf[0] = 0;
    if (n->refcnt > 0)
        fn(buf, 0, arg);
    unsigned from = 0;
    for (;;) {
        const zmi_trie_node_t *child = trie_next_child(n, from);
        if (child) {
            if (depth == cap) {
                uint8_t *bigger = trie_realloc(buf, cap * 2);
                if (!bigger) {
                    free(buf);
                    return -ENOMEM;
                }
                buf = bigger;
                cap *= 2;
            }
            buf[depth++] = child->key;
            if (child->refcnt > 0)
                fn(buf, depth, arg);
            n = child;
            from = 0;
            continue;
        }
        if (!n->parent)
            break;
        from = n->key + 1u;
        n = n->parent;
        depth--;
    }
    free(buf);
    return 0;
}

bool
zmi_mtrie_add(zmi_mtrie_t *t, const uint8_t *prefix, size_t size,
    zmi_pipe_t *pipe, int *err)
{
    zmi_trie_node_t *n = trie_make_path(t, prefix, size);
    if (!n) {
        trie_set_err(err, -ENOMEM);
        return false;
    }
    for (uint32_t i = 0; i < n->npipes; i++)
        if (n->pipes[i] == pipe)
            return false;
    if (n->npipes == n->pcap) {
        uint32_t cap = n->pcap ? n->pcap * 2 : 1;
        zmi_pipe_t **pipes = NULL;
        if (cap > n->pcap)
            pipes = trie_realloc(n->pipes, (size_t) cap * sizeof(*pipes));
        if (!pipes) {
            // The node may be one this call created: don't leave it empty.
            trie_prune(t, n);
            trie_set_err(err, -ENOMEM);
            return false;
        }
        n->pipes = pipes;
        n->pcap = cap;
    }
    n->pipes[n->npipes++] = pipe;
    return true;
}

bool
zmi_mtrie_rm(
    zmi_mtrie_t *t, const uint8_t *prefix, size_t size, zmi_pipe_t *pipe)
{
    zmi_trie_node_t *n = trie_find(t, prefix, size);
    if (!n || !trie_pipe_del(n, pipe))
        return false;
    trie_prune(t, n);
    return true;
}

void
zmi_mtrie_rm_pipe(zmi_mtrie_t *t, zmi_pipe_t *pipe)
{
    trie_post_walk(t, pipe, false);
}

void
zmi_mtrie_match(const zmi_mtrie_t *t, const uint8_t *data, size_t size,
    void (*fn)(zmi_pipe_t *pipe, void *arg), void *arg)
{
    const zmi_trie_node_t *n = t->root;
    for (size_t i = 0; n; i++) {
        for (uint32_t j = 0; j < n->npipes; j++)
            fn(n->pipes[j], arg);
        if (i == size)
            break;
        n = trie_child(n, data[i]);
    }
}
