// Plain socket fd helpers for the stream transports: non-blocking and
// close-on-exec fds, TCP_NODELAY, keep-alive and buffer sizes from the
// options. Any thread; negative errno on failure.

#ifndef ZMI_NET_H
#define ZMI_NET_H

#include <sys/socket.h>

#include "core/options.h"

// socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the fd or -errno.
int zmi_net_socket(int family, int type);
// Applies NODELAY (tcp only), keep-alive and buffer sizes to a connected
// or accepted fd. Failures are ignored: they only cost tuning.
void zmi_net_tune(int fd, int family, const zmi_options_t *o);
// Reads SO_ERROR after a non-blocking connect: 0 or -errno.
int zmi_net_connect_result(int fd);

#endif
