// Message part storage: inline small parts, refcounted large ones.
//
// Runs on whichever thread holds the message. The only shared state is the
// content refcount, touched atomically and only after a part was copied.

#include "msg.h"

#include <errno.h>
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
    zmi_msg_content_t *c = malloc(sizeof(*c) + size);
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

static void
content_release(zmi_msg_content_t *c, bool shared)
{
    // NB: an unshared content has a single owner, so the atomic decrement
    // (a locked instruction) is skipped on the common path.
    if (shared && atomic_fetch_sub_explicit(&c->refcnt, 1,
                                            memory_order_acq_rel) != 1)
        return;
    if (c->ffn != NULL)
        c->ffn(c->data, c->hint);
    free(c);
}

void
zmi_msg_close(zmi_msg_t *m)
{
    if (m->type == ZMI_MSG_LMSG)
        content_release(m->u.lmsg.content, (m->flags & ZMI_MSG_SHARED) != 0);
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
    if (m->type != ZMI_MSG_LMSG || n <= 0)
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
