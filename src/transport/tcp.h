// tcp:// addresses: "host:port", "*:port", "[v6addr]:port", port "*" or 0
// for an ephemeral port when binding. Parsing and resolution only.

#ifndef ZMI_TCP_H
#define ZMI_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "transport/net.h"

// Resolves an address. bind: "*" is any address and the port may be "*"
// or 0; connect: the port must be 1..65535 and the host may be a name
// (getaddrinfo). ipv6 prefers an IPv6 socket for "*" (dual stack).
// Returns 0, -EINVAL (syntax) or -EHOSTUNREACH (no such host).
int zmi_tcp_resolve(const char *address, bool bind, bool ipv6,
                    zmi_sockaddr_t *out);
// Checks syntax only (no resolution): 0 or -EINVAL.
int zmi_tcp_check(const char *address, bool bind);
// Writes "tcp://a.b.c.d:port" or "tcp://[v6]:port" for sa.
void zmi_tcp_format(const struct sockaddr *sa, char *out, size_t cap);

#endif
