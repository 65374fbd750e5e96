// Message part storage: inline small parts, refcounted large ones.
//
// Runs on whichever thread holds the message. The only shared state is the
// content refcount, touched atomically and only after a part was copied,
// and the reference count of a shared block (zmi_msg_buf_t) that slices
// point into.

#include "msg.h"

#include "core/copy_cold.h"
#include "core/mem_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void
msg_reset(zmi_msg_t *m, uint8_t type)
{
    m->type = type;
    m->flags = 0;
    m->vsize = 0;
    m->lsize = 0;
}

int
zmi_msg_init(zmi_msg_t *m)
{
    msg_reset(m, ZMI_MSG_VSM);
    return 0;
}

int
zmi_msg_init_size(zmi_msg_t *m, size_t size)
{
    if (size <= ZMI_MSG_VSM_MAX) {
        msg_reset(m, ZMI_MSG_VSM);
        m->vsize = (uint8_t) size;
        return 0;
    }
    if (size > SIZE_MAX - sizeof(zmi_msg_content_t))
        return -ENOMEM;
    zmi_msg_content_t *c = zmi_mem_alloc(sizeof(*c) + size,
                                         _Alignof(zmi_msg_content_t));
    if (c == NULL)
        return -ENOMEM;
    c->data = c + 1;
    c->size = size;
    c->ffn = NULL;
    c->hint = NULL;
    atomic_init(&c->refcnt, 1);
    msg_reset(m, ZMI_MSG_LMSG);
    m->u.lmsg.content = c;
    m->lsize = size;
    return 0;
}

int
zmi_msg_init_data(zmi_msg_t *m, void *data, size_t size, zmsg_free_fn *ffn,
                  void *hint)
{
    if (ffn == NULL) {
        // Without a free function the caller keeps ownership: like
        // libzmq, treat the bytes as constant.
        zmi_msg_init_const(m, data, size);
        return 0;
    }
    zmi_msg_content_t *c = malloc(sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->data = data;
    c->size = size;
    c->ffn = ffn;
    c->hint = hint;
    atomic_init(&c->refcnt, 1);
    msg_reset(m, ZMI_MSG_LMSG);
    m->u.lmsg.content = c;
    m->lsize = size;
    return 0;
}

void
zmi_msg_init_const(zmi_msg_t *m, const void *data, size_t size)
{
    msg_reset(m, ZMI_MSG_CMSG);
    m->u.cmsg.data = data;
    m->u.cmsg.size = size;
    m->lsize = size;
}

int
zmi_msg_init_buffer(zmi_msg_t *m, const void *data, size_t size)
{
    int rc = zmi_msg_init_size(m, size);
    if (rc == 0 && size > 0)
        memcpy(zmi_msg_data(m), data, size);
    return rc;
}

void
zmi_msg_init_delim(zmi_msg_t *m)
{
    msg_reset(m, ZMI_MSG_DELIM);
}

// --- shared blocks ------------------------------------------------------

zmi_msg_buf_t *
zmi_msg_buf_new(size_t cap)
{
    if (cap > UINT32_MAX)
        return NULL;
    // NB: aligned so that the counter has its cache line to itself.
    zmi_msg_buf_t *b = zmi_mem_alloc(sizeof(zmi_msg_buf_t) + cap, 64);
    if (b == NULL)
        return NULL;
    atomic_init(&b->refs, ZMI_MSG_BUF_BIAS);
    b->handed = 0;
    b->cap = (uint32_t) cap;
    b->used = 0;
    return b;
}

bool
zmi_msg_buf_reset(zmi_msg_buf_t *b)
{
    // The owner still holds BIAS - handed; anything above is a live slice
    // (or a copy of one). The acquire pairs with each slice's release, so
    // the owner may overwrite the bytes once the count says they're free.
    int mine = ZMI_MSG_BUF_BIAS - b->handed;
    if (atomic_load_explicit(&b->refs, memory_order_acquire) != mine)
        return false;
    // No slice is alive, so no other thread can touch the counter now.
    atomic_store_explicit(&b->refs, ZMI_MSG_BUF_BIAS, memory_order_relaxed);
    b->handed = 0;
    b->used = 0;
    return true;
}

void
zmi_msg_buf_unref(zmi_msg_buf_t *b, int n)
{
    if (atomic_fetch_sub_explicit(&b->refs, n, memory_order_acq_rel) == n)
        zmi_mem_free(b, sizeof(zmi_msg_buf_t) + b->cap);
}

void
zmi_msg_buf_release(zmi_msg_buf_t *b)
{
    if (b != NULL)
        zmi_msg_buf_unref(b, ZMI_MSG_BUF_BIAS - b->handed);
}

// --- the send arena -------------------------------------------------------

// Each thread that sends carves its medium parts from a block of its own:
// one malloc per ARENA_SIZE bytes instead of one per part, and no free of
// a part on the I/O thread that encodes it. A block in use is restarted
// once its parts have all been closed; otherwise the thread moves to a new
// one and the last part of the old one frees it. Small blocks bound what a
// long-lived received part can pin (inproc hands these parts to the
// receiver as they are).
#define ARENA_SIZE 32768
// Parts start on a cache line: a 64-byte part is one line to move across.
#define ARENA_ALIGN 64

static _Thread_local zmi_msg_buf_t *arena;
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

// Thread exit: give the thread's block back (and forget it, in case a
// later destructor of the same thread still sends).
static void
arena_thread_gone(void *b)
{
    if (arena == b)
        arena = NULL;
    zmi_msg_buf_release(b);
}

static void
arena_key_create(void)
{
    (void) pthread_key_create(&arena_key, arena_thread_gone);
}

// A block with size free bytes for this thread, or NULL.
static zmi_msg_buf_t *
arena_room(size_t size)
{
    zmi_msg_buf_t *b = arena;
    if (b != NULL && b->cap - b->used >= size)
        return b;
    if (b != NULL && zmi_msg_buf_reset(b))
        return b;
    zmi_msg_buf_t *nb = zmi_msg_buf_new(ARENA_SIZE);
    if (nb == NULL)
        return NULL;
    if (b == NULL)
        (void) pthread_once(&arena_once, arena_key_create);
    zmi_msg_buf_release(b);
    arena = nb;
    // NB: the key only matters at thread exit; a failure costs a block.
    (void) pthread_setspecific(arena_key, nb);
    return nb;
}

int
zmi_msg_init_send(zmi_msg_t *m, const void *data, size_t size)
{
    // NB: the size test first keeps the call off the path of small parts.
    if (size >= ZMI_COPY_COLD_MIN && zmi_copy_cold_wanted(size)) {
        int rc = zmi_msg_init_size(m, size);
        if (rc == 0)
            zmi_copy_cold(zmi_msg_data(m), data, size);
        return rc;
    }
    if (size <= ZMI_MSG_VSM_MAX || size > ZMI_MSG_ARENA_PART_MAX)
        return zmi_msg_init_buffer(m, data, size);
    size_t room = (size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
    zmi_msg_buf_t *b = arena_room(room);
    if (b == NULL)
        return zmi_msg_init_buffer(m, data, size);
    uint8_t *p = b->data + b->used;
    b->used += (uint32_t) room;
    memcpy(p, data, size);
    zmi_msg_init_slice(m, b, p, size);
    return 0;
}

static void
content_release(zmi_msg_content_t *c, bool shared)
{
    // NB: an unshared content has a single owner, so the atomic decrement
    // (a locked instruction) is skipped on the common path.
    if (shared && atomic_fetch_sub_explicit(&c->refcnt, 1,
                                            memory_order_acq_rel) != 1)
        return;
    if (c->ffn != NULL) {
        c->ffn(c->data, c->hint);
        free(c);
    } else {
        zmi_mem_free(c, sizeof(*c) + c->size);
    }
}

void
zmi_msg_close(zmi_msg_t *m)
{
    if (m->type == ZMI_MSG_LMSG)
        content_release(m->u.lmsg.content, (m->flags & ZMI_MSG_SHARED) != 0);
    else if (m->type == ZMI_MSG_SLICE)
        zmi_msg_buf_unref(m->u.slice.buf, 1);
    m->type = ZMI_MSG_CLOSED;
}

void
zmi_msg_move(zmi_msg_t *dst, zmi_msg_t *src)
{
    // NB: moving a part onto itself must keep it, not empty (and leak) it.
    if (dst == src)
        return;
    if (zmi_msg_is_valid(dst))
        zmi_msg_close(dst);
    *dst = *src;
    zmi_msg_init(src);
}

void
zmi_msg_add_refs(zmi_msg_t *m, int n)
{
    if (n <= 0)
        return;
    if (m->type == ZMI_MSG_SLICE) {
        // The block's counter is always shared: it's atomic from the start.
        atomic_fetch_add_explicit(&m->u.slice.buf->refs, n,
                                  memory_order_relaxed);
        m->flags |= ZMI_MSG_SHARED;
        return;
    }
    if (m->type != ZMI_MSG_LMSG)
        return;
    zmi_msg_content_t *c = m->u.lmsg.content;
    if (m->flags & ZMI_MSG_SHARED) {
        atomic_fetch_add_explicit(&c->refcnt, n, memory_order_relaxed);
    } else {
        // The holder owns the only reference: no other thread can see
        // the counter yet, so a plain store is enough.
        atomic_store_explicit(&c->refcnt, n + 1, memory_order_relaxed);
        m->flags |= ZMI_MSG_SHARED;
    }
}

int
zmi_msg_copy(zmi_msg_t *dst, zmi_msg_t *src)
{
    if (src->type == ZMI_MSG_CMSG) {
        // Constant bytes can't be shared safely once the caller frees
        // them, so a copy of a const part becomes a private buffer.
        zmi_msg_t tmp;
        int rc = zmi_msg_init_buffer(&tmp, src->u.cmsg.data, src->lsize);
        if (rc != 0)
            return rc;
        tmp.flags = src->flags;
        if (zmi_msg_is_valid(dst) && dst != src)
            zmi_msg_close(dst);
        *dst = tmp;
        return 0;
    }
    if (dst == src)
        return 0;
    zmi_msg_add_refs(src, 1);
    if (zmi_msg_is_valid(dst))
        zmi_msg_close(dst);
    *dst = *src;
    return 0;
}
