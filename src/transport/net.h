// Plain socket fd helpers for the stream transports: non-blocking and
// close-on-exec fds, TCP_NODELAY, keep-alive and buffer sizes from the
// options. Any thread; negative errno on failure.

#ifndef ZMI_NET_H
#define ZMI_NET_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core/endpoint.h"
#include "core/options.h"

// A resolved stream-transport address (tcp or ipc).
typedef struct zmi_sockaddr {
    struct sockaddr_storage ss; // the address
    socklen_t len;              // its length
} zmi_sockaddr_t;

// socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the fd or -errno.
int zmi_net_socket(int family, int type);
// Applies NODELAY (tcp only), keep-alive and buffer sizes to a connected
// or accepted fd. Failures are ignored: they only cost tuning.
void zmi_net_tune(int fd, int family, const zmi_options_t *o);
// Reads SO_ERROR after a non-blocking connect: 0 or -errno.
int zmi_net_connect_result(int fd);
// Checks an endpoint's address syntax for bind or connect: 0 or -errno.
int zmi_net_check(const zmi_endpoint_t *ep, bool bind);
// Resolves a tcp or ipc endpoint's address. 0 or -errno.
int zmi_net_resolve(const zmi_endpoint_t *ep, bool bind, bool ipv6,
                    zmi_sockaddr_t *out);
// Formats a bound address as an endpoint ("tcp://...", "ipc://...").
void zmi_net_format(const zmi_sockaddr_t *sa, char *out, size_t cap);

#endif
