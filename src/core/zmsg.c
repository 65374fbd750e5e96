// Every exported zmsg_* call: argument and tag checks, then the internal
// call, then libzmq's error convention (-1 and errno) from the internal
// one (negative errno). Nothing else in the library sets errno.

#include <errno.h>
#include <string.h>

#include "core/ctx.h"
#include "core/msg.h"
#include "core/poll.h"
#include "core/socket.h"
#include "zmsg.h"

// Turns an internal result into the public one.
static int
zmsg_result(int rc)
{
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return rc;
}

static zmi_ctx_t *
zmsg_ctx(void *ctx)
{
    zmi_ctx_t *c = ctx;
    if (c == NULL || c->tag != ZMI_CTX_TAG) {
        errno = EFAULT;
        return NULL;
    }
    return c;
}

static zmi_socket_t *
zmsg_sock(void *s)
{
    zmi_socket_t *sock = s;
    if (sock == NULL || sock->tag != ZMI_SOCKET_TAG) {
        errno = ENOTSOCK;
        return NULL;
    }
    return sock;
}

ZMSG_EXPORT void
zmsg_version(int *major, int *minor, int *patch)
{
    if (major != NULL)
        *major = ZMSG_VERSION_MAJOR;
    if (minor != NULL)
        *minor = ZMSG_VERSION_MINOR;
    if (patch != NULL)
        *patch = ZMSG_VERSION_PATCH;
}

// --- context -----------------------------------------------------------

ZMSG_EXPORT void *
zmsg_ctx_new(void)
{
    zmi_ctx_t *c = zmi_ctx_new();
    if (c == NULL)
        errno = ENOMEM;
    return c;
}

ZMSG_EXPORT int
zmsg_ctx_term(void *ctx)
{
    zmi_ctx_t *c = zmsg_ctx(ctx);
    return c == NULL ? -1 : zmsg_result(zmi_ctx_term(c));
}

ZMSG_EXPORT int
zmsg_ctx_shutdown(void *ctx)
{
    zmi_ctx_t *c = zmsg_ctx(ctx);
    return c == NULL ? -1 : zmsg_result(zmi_ctx_shutdown(c));
}

ZMSG_EXPORT int
zmsg_ctx_set(void *ctx, int option, int optval)
{
    zmi_ctx_t *c = zmsg_ctx(ctx);
    return c == NULL ? -1 : zmsg_result(zmi_ctx_set(c, option, optval));
}

ZMSG_EXPORT int
zmsg_ctx_get(void *ctx, int option)
{
    zmi_ctx_t *c = zmsg_ctx(ctx);
    return c == NULL ? -1 : zmsg_result(zmi_ctx_get(c, option));
}

// --- sockets -----------------------------------------------------------

ZMSG_EXPORT void *
zmsg_socket(void *ctx, int type)
{
    zmi_ctx_t *c = zmsg_ctx(ctx);
    if (c == NULL)
        return NULL;
    zmi_socket_t *s;
    int rc = zmi_ctx_socket(c, type, &s);
    if (rc != 0) {
        errno = -rc;
        return NULL;
    }
    return s;
}

ZMSG_EXPORT int
zmsg_close(void *s)
{
    zmi_socket_t *sock = zmsg_sock(s);
    return sock == NULL ? -1 : zmsg_result(zmi_ctx_close_socket(sock->ctx, sock));
}

ZMSG_EXPORT int
zmsg_setsockopt(void *s, int option, const void *optval, size_t optvallen)
{
    zmi_socket_t *sock = zmsg_sock(s);
    return sock == NULL
               ? -1
               : zmsg_result(zmi_socket_setopt(sock, option, optval, optvallen));
}

ZMSG_EXPORT int
zmsg_getsockopt(void *s, int option, void *optval, size_t *optvallen)
{
    zmi_socket_t *sock = zmsg_sock(s);
    return sock == NULL
               ? -1
               : zmsg_result(zmi_socket_getopt(sock, option, optval, optvallen));
}

ZMSG_EXPORT int
zmsg_bind(void *s, const char *endpoint)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (endpoint == NULL)
        return zmsg_result(-EINVAL);
    return zmsg_result(zmi_socket_bind(sock, endpoint));
}

ZMSG_EXPORT int
zmsg_connect(void *s, const char *endpoint)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (endpoint == NULL)
        return zmsg_result(-EINVAL);
    return zmsg_result(zmi_socket_connect(sock, endpoint));
}

ZMSG_EXPORT int
zmsg_unbind(void *s, const char *endpoint)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (endpoint == NULL)
        return zmsg_result(-EINVAL);
    return zmsg_result(zmi_socket_unbind(sock, endpoint));
}

ZMSG_EXPORT int
zmsg_disconnect(void *s, const char *endpoint)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (endpoint == NULL)
        return zmsg_result(-EINVAL);
    return zmsg_result(zmi_socket_disconnect(sock, endpoint));
}

// Sends a part already built; on failure the caller still owns it.
static int
zmsg_send_part(zmi_socket_t *sock, zmi_msg_t *m, int flags)
{
    size_t size = zmi_msg_size(m);
    int rc = zmi_socket_send(sock, m, flags);
    if (rc < 0)
        return zmsg_result(rc);
    // The return value is an int: like libzmq, clamp huge sizes.
    return size > INT32_MAX ? INT32_MAX : (int) size;
}

ZMSG_EXPORT int
zmsg_send(void *s, const void *buf, size_t len, int flags)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (buf == NULL && len > 0)
        return zmsg_result(-EFAULT);
    zmi_msg_t m;
    int rc = zmi_msg_init_send(&m, buf, len);
    if (rc != 0)
        return zmsg_result(rc);
    rc = zmsg_send_part(sock, &m, flags);
    if (rc < 0) {
        int err = errno;
        zmi_msg_close(&m);
        errno = err;
    }
    return rc;
}

ZMSG_EXPORT int
zmsg_send_const(void *s, const void *buf, size_t len, int flags)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (buf == NULL && len > 0)
        return zmsg_result(-EFAULT);
    zmi_msg_t m;
    zmi_msg_init_const(&m, buf, len);
    return zmsg_send_part(sock, &m, flags);
}

ZMSG_EXPORT int
zmsg_recv(void *s, void *buf, size_t len, int flags)
{
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    if (buf == NULL && len > 0)
        return zmsg_result(-EFAULT);
    zmi_msg_t m;
    zmi_msg_init(&m);
    int rc = zmi_socket_recv(sock, &m, flags);
    if (rc < 0)
        return zmsg_result(rc);
    size_t size = zmi_msg_size(&m);
    if (len > 0)
        memcpy(buf, zmi_msg_data(&m), size < len ? size : len);
    zmi_msg_close(&m);
    return size > INT32_MAX ? INT32_MAX : (int) size;
}

// --- message parts -----------------------------------------------------

// Checks that a public message is initialised (not closed, not garbage).
static zmi_msg_t *
zmsg_part(zmsg_msg_t *msg)
{
    if (msg == NULL || !zmi_msg_is_valid(zmi_msg_cast(msg)) ||
        zmi_msg_is_delim(zmi_msg_cast(msg))) {
        errno = EFAULT;
        return NULL;
    }
    return zmi_msg_cast(msg);
}

ZMSG_EXPORT int
zmsg_msg_init(zmsg_msg_t *msg)
{
    if (msg == NULL)
        return zmsg_result(-EFAULT);
    return zmsg_result(zmi_msg_init(zmi_msg_cast(msg)));
}

ZMSG_EXPORT int
zmsg_msg_init_size(zmsg_msg_t *msg, size_t size)
{
    if (msg == NULL)
        return zmsg_result(-EFAULT);
    return zmsg_result(zmi_msg_init_size(zmi_msg_cast(msg), size));
}

ZMSG_EXPORT int
zmsg_msg_init_data(zmsg_msg_t *msg, void *data, size_t size,
                   zmsg_free_fn *ffn, void *hint)
{
    if (msg == NULL || (data == NULL && size > 0))
        return zmsg_result(-EFAULT);
    return zmsg_result(
        zmi_msg_init_data(zmi_msg_cast(msg), data, size, ffn, hint));
}

ZMSG_EXPORT int
zmsg_msg_send(zmsg_msg_t *msg, void *s, int flags)
{
    zmi_msg_t *m = zmsg_part(msg);
    if (m == NULL)
        return -1;
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    int rc = zmsg_send_part(sock, m, flags);
    if (rc >= 0)
        zmi_msg_init(m); // the part was sent: leave an empty one behind
    return rc;
}

ZMSG_EXPORT int
zmsg_msg_recv(zmsg_msg_t *msg, void *s, int flags)
{
    zmi_msg_t *m = zmsg_part(msg);
    if (m == NULL)
        return -1;
    zmi_socket_t *sock = zmsg_sock(s);
    if (sock == NULL)
        return -1;
    int rc = zmi_socket_recv(sock, m, flags);
    if (rc < 0)
        return zmsg_result(rc);
    size_t size = zmi_msg_size(m);
    return size > INT32_MAX ? INT32_MAX : (int) size;
}

ZMSG_EXPORT int
zmsg_msg_close(zmsg_msg_t *msg)
{
    zmi_msg_t *m = zmsg_part(msg);
    if (m == NULL)
        return -1;
    zmi_msg_close(m);
    return 0;
}

ZMSG_EXPORT int
zmsg_msg_move(zmsg_msg_t *dest, zmsg_msg_t *src)
{
    zmi_msg_t *s = zmsg_part(src);
    zmi_msg_t *d = zmsg_part(dest);
    if (s == NULL || d == NULL)
        return -1;
    zmi_msg_move(d, s);
    return 0;
}

ZMSG_EXPORT int
zmsg_msg_copy(zmsg_msg_t *dest, zmsg_msg_t *src)
{
    zmi_msg_t *s = zmsg_part(src);
    zmi_msg_t *d = zmsg_part(dest);
    if (s == NULL || d == NULL)
        return -1;
    return zmsg_result(zmi_msg_copy(d, s));
}

ZMSG_EXPORT void *
zmsg_msg_data(zmsg_msg_t *msg)
{
    zmi_msg_t *m = zmsg_part(msg);
    return m == NULL ? NULL : zmi_msg_data(m);
}

ZMSG_EXPORT size_t
zmsg_msg_size(const zmsg_msg_t *msg)
{
    zmi_msg_t *m = zmsg_part((zmsg_msg_t *) msg);
    return m == NULL ? 0 : zmi_msg_size(m);
}

ZMSG_EXPORT int
zmsg_msg_more(const zmsg_msg_t *msg)
{
    zmi_msg_t *m = zmsg_part((zmsg_msg_t *) msg);
    return m == NULL ? 0 : zmi_msg_more(m);
}

ZMSG_EXPORT int
zmsg_msg_get(const zmsg_msg_t *msg, int property)
{
    zmi_msg_t *m = zmsg_part((zmsg_msg_t *) msg);
    if (m == NULL)
        return -1;
    switch (property) {
    case ZMSG_MORE:
        return zmi_msg_more(m);
    case ZMSG_SHARED:
        return (m->type == ZMI_MSG_CMSG ||
                (m->flags & ZMI_MSG_SHARED) != 0) ? 1 : 0;
    case ZMSG_SRCFD:
        return zmsg_result(-EINVAL); // deprecated in libzmq too
    default:
        return zmsg_result(-EINVAL);
    }
}

ZMSG_EXPORT int
zmsg_msg_set(zmsg_msg_t *msg, int property, int optval)
{
    (void) optval;
    if (zmsg_part(msg) == NULL)
        return -1;
    (void) property;
    return zmsg_result(-EINVAL); // libzmq has no settable property either
}

// --- polling -----------------------------------------------------------

ZMSG_EXPORT int
zmsg_poll(zmsg_pollitem_t *items, int nitems, long timeout)
{
    return zmsg_result(zmi_poll(items, nitems, timeout));
}
