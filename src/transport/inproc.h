// inproc:// : two sockets of one context joined by a pipe pair directly,
// with no I/O thread and no encoding. The context keeps a registry of
// bound names and of connects waiting for their bind (a connect before the
// bind already has its queue: its messages wait in the pipe).

#ifndef ZMI_INPROC_H
#define ZMI_INPROC_H

#include <stddef.h>

typedef struct zmi_socket zmi_socket_t;
typedef struct zmi_ctx zmi_ctx_t;
typedef struct zmi_pipe zmi_pipe_t;
typedef struct zmi_inproc zmi_inproc_t;

// Per-context registry, guarded by the context's lock.
zmi_inproc_t *zmi_inproc_new(void);
void zmi_inproc_destroy(zmi_inproc_t *r);

// Binds name to s, then attaches every connect that was waiting for it.
// Returns 0, -EADDRINUSE, -EINVAL (empty name) or -ENOMEM.
int zmi_inproc_bind(zmi_socket_t *s, const char *name);
// Connects s to name: at once if bound, else the pipe waits for the bind.
// *mine is s's end of the new pipe (attached to s).
// Returns 0, -ZMSG_ENOCOMPATPROTO (socket types can't talk), -EINVAL or
// -ENOMEM.
int zmi_inproc_connect(zmi_socket_t *s, const char *name,
                       zmi_pipe_t **mine);
// Drops s's bindings (and, with name, only that one). -ENOENT if none.
int zmi_inproc_unbind(zmi_socket_t *s, const char *name);
// zmsg_disconnect of an inproc connect: ends its pipe (own end `mine`),
// and if it still waits for a bind, gives that up.
void zmi_inproc_disconnect(zmi_socket_t *s, zmi_pipe_t *mine);
// Called as s closes: its bindings go, and its connects still waiting for
// a bind are given up (their pipes end without a peer).
void zmi_inproc_socket_closing(zmi_socket_t *s);

#endif
