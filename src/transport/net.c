// Socket fd helpers shared by tcp listeners and connecters.

#include "transport/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "transport/ipc.h"
#include "transport/tcp.h"

int
zmi_net_socket(int family, int type)
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
#else
    int fd = socket(family, type, 0);
    if (fd < 0)
        return -errno;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
    return fd;
}

static void
net_setopt(int fd, int level, int name, int value)
{
    (void) setsockopt(fd, level, name, &value, sizeof(value));
}

void
zmi_net_tune(int fd, int family, const zmi_options_t *o)
{
    if (family == AF_INET || family == AF_INET6) {
        net_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        if (o->tcp_keepalive >= 0)
            net_setopt(fd, SOL_SOCKET, SO_KEEPALIVE, o->tcp_keepalive);
#ifdef TCP_KEEPCNT
        if (o->tcp_keepalive == 1 && o->tcp_keepalive_cnt > 0)
            net_setopt(fd, IPPROTO_TCP, TCP_KEEPCNT, o->tcp_keepalive_cnt);
#endif
#ifdef TCP_KEEPIDLE
        if (o->tcp_keepalive == 1 && o->tcp_keepalive_idle > 0)
            net_setopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, o->tcp_keepalive_idle);
#endif
#ifdef TCP_KEEPINTVL
        if (o->tcp_keepalive == 1 && o->tcp_keepalive_intvl > 0)
            net_setopt(fd, IPPROTO_TCP, TCP_KEEPINTVL,
                       o->tcp_keepalive_intvl);
#endif
    }
    if (o->sndbuf > 0)
        net_setopt(fd, SOL_SOCKET, SO_SNDBUF, o->sndbuf);
    if (o->rcvbuf > 0)
        net_setopt(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf);
}

int
zmi_net_connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return -errno;
    return -err;
}

int
zmi_net_check(const zmi_endpoint_t *ep, bool bind)
{
    if (ep->transport == ZMI_TRANSPORT_TCP)
        return zmi_tcp_check(ep->address, bind);
    zmi_sockaddr_t sa;
    if (ep->transport == ZMI_TRANSPORT_IPC)
        return strcmp(ep->address, "*") == 0 && bind
                   ? 0
                   : zmi_ipc_resolve(ep->address, false, &sa);
    return -EPROTONOSUPPORT;
}

int
zmi_net_resolve(const zmi_endpoint_t *ep, bool bind, bool ipv6,
                zmi_sockaddr_t *out)
{
    if (ep->transport == ZMI_TRANSPORT_TCP)
        return zmi_tcp_resolve(ep->address, bind, ipv6, out);
    if (ep->transport == ZMI_TRANSPORT_IPC)
        return zmi_ipc_resolve(ep->address, bind, out);
    return -EPROTONOSUPPORT;
}

void
zmi_net_format(const zmi_sockaddr_t *sa, char *out, size_t cap)
{
    if (sa->ss.ss_family == AF_UNIX)
        zmi_ipc_format(sa, out, cap);
    else
        zmi_tcp_format((const struct sockaddr *) &sa->ss, out, cap);
}
