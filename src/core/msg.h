// Message parts as the library moves them.
//
// A zmi_msg_t is the private view of the public 64-byte zmsg_msg_t. Parts of
// up to ZMI_MSG_VSM_MAX bytes live inside the struct (no allocation); larger
// parts point at one refcounted content block, so copies and PUB fan-out
// share one buffer. Parts may also be slices of a shared block (zmi_msg_buf_t:
// an engine's read buffer, a thread's send arena) so that many parts cost
// one allocation. Any thread may hold a message; a message is owned by
// exactly one holder at a time (moves, not shares, except through copy).

#ifndef ZMI_MSG_H
#define ZMI_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zmsg.h"

#define ZMI_MSG_VSM_MAX 48

enum zmi_msg_type {
    ZMI_MSG_VSM = 0x65, // bytes inline in vsm.data (never zero: catches
                        // use of an uninitialised message)
    ZMI_MSG_LMSG,       // bytes in a refcounted zmi_msg_content_t
    ZMI_MSG_CMSG,       // constant bytes owned by the caller (send_const)
    ZMI_MSG_SLICE,      // bytes inside a shared zmi_msg_buf_t
    ZMI_MSG_DELIM,      // pipe termination marker, never seen by users
    ZMI_MSG_CLOSED = 0  // closed; must be initialised again before use
};

enum zmi_msg_flags {
    ZMI_MSG_MORE = 1,    // another part of the same message follows
    ZMI_MSG_COMMAND = 2, // a ZMTP command, not an application part
    ZMI_MSG_SHARED = 4   // content refcount is in use (copied at least once)
};

// A block that one owner thread fills and cuts into ZMI_MSG_SLICE parts
// (the engine's read buffer, a thread's send arena), so that many parts
// share one allocation and no part of any size costs a malloc.
//
// Counting: the block starts with ZMI_MSG_BUF_BIAS references, all the
// owner's. Handing out a slice moves one of them to the slice without
// touching the atomic (the owner only counts `handed`); a slice gives its
// reference back with one atomic decrement. So the owner's thread never
// writes the shared counter per part, and the counter's cache line stays
// with the threads that close parts. The owner can restart a block once
// every slice came back (zmi_msg_buf_reset) and gives back what it still
// holds when it lets go (zmi_msg_buf_release); the last reference frees.
#define ZMI_MSG_BUF_BIAS (1 << 30)

typedef struct zmi_msg_buf {
    _Alignas(64) atomic_int refs; // see above; alone on its cache line
    _Alignas(64) int handed;      // owner: slices given out since start
    uint32_t cap;                 // bytes in data
    uint32_t used;                // owner: bytes given out (arena use)
    _Alignas(64) uint8_t data[];  // the bytes (slices start on a line)
} zmi_msg_buf_t;

// Heap-side body of a large part. The bytes follow the struct when the part
// was allocated by zmsg (init_size), or live elsewhere (init_data).
typedef struct zmi_msg_content {
    void *data;          // the bytes
    size_t size;         // their count
    zmsg_free_fn *ffn;   // called once when the last reference goes; NULL
                         // when the bytes follow this struct
    void *hint;          // passed to ffn
    atomic_int refcnt;   // references; only used once ZMI_MSG_SHARED is set
} zmi_msg_content_t;

typedef struct zmi_msg {
    union {
        struct {
            uint8_t data[ZMI_MSG_VSM_MAX];
        } vsm;
        struct {
            zmi_msg_content_t *content;
        } lmsg;
        struct {
            const void *data;
            size_t size;
        } cmsg;
        struct {
            uint8_t *data;      // first byte of the part, inside buf
            zmi_msg_buf_t *buf; // holds one reference for this part
        } slice;
    } u;
    size_t lsize;     // size for LMSG/CMSG (unused for VSM)
    uint8_t vsize;    // size for VSM
    uint8_t type;     // enum zmi_msg_type
    uint8_t flags;    // enum zmi_msg_flags
    uint8_t pad[5];   // keeps the struct at exactly 64 bytes
} zmi_msg_t;

_Static_assert(sizeof(zmi_msg_t) == sizeof(zmsg_msg_t),
               "zmi_msg_t must fit zmsg_msg_t");

static inline zmi_msg_t *
zmi_msg_cast(zmsg_msg_t *m)
{
    return (zmi_msg_t *) (void *) m;
}

int zmi_msg_init(zmi_msg_t *m);
// Returns 0 or -ENOMEM.
int zmi_msg_init_size(zmi_msg_t *m, size_t size);
int zmi_msg_init_data(zmi_msg_t *m, void *data, size_t size,
                      zmsg_free_fn *ffn, void *hint);
// Points at caller-owned bytes; no copy, caller keeps them alive.
void zmi_msg_init_const(zmi_msg_t *m, const void *data, size_t size);
// Builds a part holding a copy of data. Returns 0 or -ENOMEM.
int zmi_msg_init_buffer(zmi_msg_t *m, const void *data, size_t size);
void zmi_msg_init_delim(zmi_msg_t *m);
// Builds a part holding a copy of data for zmsg_send: bytes beyond the
// inline size up to ZMI_MSG_ARENA_PART_MAX are carved from the calling
// thread's send arena instead of a malloc each. Returns 0 or -ENOMEM.
int zmi_msg_init_send(zmi_msg_t *m, const void *data, size_t size);
#define ZMI_MSG_ARENA_PART_MAX 1024

// A block of cap bytes owned by the caller (see zmi_msg_buf_t), or NULL.
zmi_msg_buf_t *zmi_msg_buf_new(size_t cap);
// Owner: true (and the block is fresh again: used and handed 0) when no
// slice of it is alive any more.
bool zmi_msg_buf_reset(zmi_msg_buf_t *b);
// Owner: lets go of the block; it is freed now or by its last slice.
void zmi_msg_buf_release(zmi_msg_buf_t *b);
// Gives back n slice references at once (the same as closing n slices of
// b, with one atomic operation instead of n).
void zmi_msg_buf_unref(zmi_msg_buf_t *b, int n);
// Owner: makes m a part of size bytes at data, inside b.
static inline void
zmi_msg_init_slice(zmi_msg_t *m, zmi_msg_buf_t *b, uint8_t *data, size_t size)
{
    b->handed++;
    m->type = ZMI_MSG_SLICE;
    m->flags = 0;
    m->vsize = 0;
    m->lsize = size;
    m->u.slice.data = data;
    m->u.slice.buf = b;
}
// Releases the part's reference and leaves it CLOSED.
void zmi_msg_close(zmi_msg_t *m);
// dst is closed first; src is left as an empty, initialised part.
void zmi_msg_move(zmi_msg_t *dst, zmi_msg_t *src);
// dst shares src's bytes (refcount for LMSG, byte copy for VSM).
// Returns 0 or -ENOMEM (a CMSG is turned into an LMSG copy).
int zmi_msg_copy(zmi_msg_t *dst, zmi_msg_t *src);
// Adds n references to an LMSG or SLICE at once (PUB fan-out); no-op
// otherwise.
void zmi_msg_add_refs(zmi_msg_t *m, int n);

static inline bool
zmi_msg_is_valid(const zmi_msg_t *m)
{
    return m->type >= ZMI_MSG_VSM && m->type <= ZMI_MSG_DELIM;
}

static inline bool
zmi_msg_is_delim(const zmi_msg_t *m)
{
    return m->type == ZMI_MSG_DELIM;
}

static inline size_t
zmi_msg_size(const zmi_msg_t *m)
{
    switch (m->type) {
    case ZMI_MSG_VSM:
        return m->vsize;
    case ZMI_MSG_LMSG:
    case ZMI_MSG_CMSG:
    case ZMI_MSG_SLICE:
        return m->lsize;
    default:
        return 0;
    }
}

static inline void *
zmi_msg_data(zmi_msg_t *m)
{
    switch (m->type) {
    case ZMI_MSG_VSM:
        return m->u.vsm.data;
    case ZMI_MSG_LMSG:
        return m->u.lmsg.content->data;
    case ZMI_MSG_CMSG:
        return (void *) m->u.cmsg.data;
    case ZMI_MSG_SLICE:
        return m->u.slice.data;
    default:
        return NULL;
    }
}

static inline bool
zmi_msg_more(const zmi_msg_t *m)
{
    return (m->flags & ZMI_MSG_MORE) != 0;
}

static inline void
zmi_msg_set_more(zmi_msg_t *m, bool more)
{
    if (more)
        m->flags |= ZMI_MSG_MORE;
    else
        m->flags &= (uint8_t) ~ZMI_MSG_MORE;
}

#endif
