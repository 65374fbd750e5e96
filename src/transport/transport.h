// What the socket asks of the stream transports (tcp now, ipc later):
// listeners for bind, connecting sessions for connect. Both are I/O objects
// started on the socket's I/O thread by IO_START.

#ifndef ZMI_TRANSPORT_H
#define ZMI_TRANSPORT_H

#include <stddef.h>

#include "core/endpoint.h"
#include "io/io_thread.h"
#include "pipe/pipe.h"

typedef struct zmi_socket zmi_socket_t;

// Binds and listens now, on the caller's thread, so that errors
// (EADDRINUSE, EINVAL, EADDRNOTAVAIL) are returned by zmsg_bind. Writes
// the resolved endpoint (ephemeral port filled in) to last_endpoint.
// Returns 0 with *out ready to be started, or a negative errno.
int zmi_listener_new(zmi_socket_t *s, const zmi_endpoint_t *ep,
                     zmi_io_object_t **out, char *last_endpoint,
                     size_t last_endpoint_size);
// Checks the address syntax now; connects (and reconnects) later on the
// I/O thread. pipe is the session's end of the socket's queue for this
// peer, which exists from now on whether or not a connection does.
int zmi_session_connect_new(zmi_socket_t *s, const zmi_endpoint_t *ep,
                            zmi_pipe_t *pipe, zmi_io_object_t **out);

#endif
