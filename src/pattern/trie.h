// Subscription prefix tries, with no recursion anywhere (a deep topic can't
// exhaust the stack; libzmq's recursive trie was CVE material).
//
// zmi_trie_t counts subscriptions per prefix (a SUB's own set: subscribing
// twice needs two cancels). zmi_mtrie_t maps each prefix to the set of
// pipes subscribed to it (a PUB's view of its subscribers). Nodes keep a
// compact child table for bytes min..min+count-1 (as libzmq's trie does),
// and empty nodes are freed as soon as they become empty, so a peer that
// subscribes and cancels in a loop does not grow memory. Used on the
// socket's thread only.

#ifndef ZMI_TRIE_H
#define ZMI_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zmi_pipe zmi_pipe_t;
typedef struct zmi_trie_node zmi_trie_node_t;

typedef struct zmi_trie {
    zmi_trie_node_t *root; // NULL while empty
    size_t nodes;          // allocated nodes (for tests and limits)
} zmi_trie_t;

typedef zmi_trie_t zmi_mtrie_t;

void zmi_trie_init(zmi_trie_t *t);
// Frees every node (and, for an mtrie, every pipe set).
void zmi_trie_fini(zmi_trie_t *t);

// Counted tries (SUB side). add: true when the prefix went from 0 to 1
// subscription; -ENOMEM is reported as false with *err set (err may be
// NULL). rm: true when it went from 1 to 0 (false if it wasn't there).
bool zmi_trie_add(zmi_trie_t *t, const uint8_t *prefix, size_t size,
                  int *err);
bool zmi_trie_rm(zmi_trie_t *t, const uint8_t *prefix, size_t size);
// True when some subscribed prefix (the empty one included) is a prefix
// of data.
bool zmi_trie_match(const zmi_trie_t *t, const uint8_t *data, size_t size);
// Calls fn once per subscribed prefix (whatever its count), in no
// particular order. fn must not change the trie. Returns 0 or -ENOMEM
// (for the walk's own bookkeeping).
int zmi_trie_each(const zmi_trie_t *t,
                  void (*fn)(const uint8_t *prefix, size_t size, void *arg),
                  void *arg);

// Pipe-set tries (PUB side). add: true when pipe was not yet subscribed
// to that exact prefix (false if it was, or on -ENOMEM via *err). rm: true
// when it was and is now removed.
bool zmi_mtrie_add(zmi_mtrie_t *t, const uint8_t *prefix, size_t size,
                   zmi_pipe_t *pipe, int *err);
bool zmi_mtrie_rm(zmi_mtrie_t *t, const uint8_t *prefix, size_t size,
                  zmi_pipe_t *pipe);
// Removes pipe from every prefix (it left), freeing emptied nodes.
void zmi_mtrie_rm_pipe(zmi_mtrie_t *t, zmi_pipe_t *pipe);
// Calls fn for every pipe subscribed to a prefix of data; a pipe
// subscribed to several such prefixes is passed once per prefix (the
// caller deduplicates: the PUB's distributor does so in O(1)).
void zmi_mtrie_match(const zmi_mtrie_t *t, const uint8_t *data, size_t size,
                     void (*fn)(zmi_pipe_t *pipe, void *arg), void *arg);

#endif
