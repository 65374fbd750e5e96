// Message parts as the library moves them.
//
// A zmi_msg_t is the private view of the public 64-byte zmsg_msg_t. Parts of
// up to ZMI_MSG_VSM_MAX bytes live inside the struct (no allocation); larger
// parts point at one refcounted content block, so copies and PUB fan-out
// share one buffer. Any thread may hold a message; a message is owned by
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
    ZMI_MSG_DELIM,      // pipe termination marker, never seen by users
    ZMI_MSG_CLOSED = 0  // closed; must be initialised again before use
};

enum zmi_msg_flags {
    ZMI_MSG_MORE = 1,    // another part of the same message follows
    ZMI_MSG_COMMAND = 2, // a ZMTP command, not an application part
    ZMI_MSG_SHARED = 4   // content refcount is in use (copied at least once)
};

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
// Releases the part's reference and leaves it CLOSED.
void zmi_msg_close(zmi_msg_t *m);
// dst is closed first; src is left as an empty, initialised part.
void zmi_msg_move(zmi_msg_t *dst, zmi_msg_t *src);
// dst shares src's bytes (refcount for LMSG, byte copy for VSM).
// Returns 0 or -ENOMEM (a CMSG is turned into an LMSG copy).
int zmi_msg_copy(zmi_msg_t *dst, zmi_msg_t *src);
// Adds n references to an LMSG at once (PUB fan-out); no-op otherwise.
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
