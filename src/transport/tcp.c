// tcp:// address parsing, resolution and formatting.

#include "transport/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Splits "host:port" / "[v6]:port" into host and port strings.
static int
tcp_split(const char *address, char *host, size_t hostcap, char *port,
          size_t portcap)
{
    const char *colon = strrchr(address, ':');
    if (colon == NULL || colon == address || colon[1] == '\0')
        return -EINVAL;
    const char *h = address;
    size_t hlen = (size_t) (colon - address);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -EINVAL;
        h++;
        hlen -= 2;
    }
    size_t plen = strlen(colon + 1);
    if (hlen == 0 || hlen >= hostcap || plen >= portcap)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, colon + 1, plen + 1);
    return 0;
}

// Port as a number: 0 for "*" (bind only), -1 when invalid.
static long
tcp_port(const char *port, bool bind)
{
    if (strcmp(port, "*") == 0)
        return bind ? 0 : -1;
    char *end;
    long v = strtol(port, &end, 10);
    if (*end != '\0' || end == port || v < 0 || v > 65535)
        return -1;
    if (v == 0 && !bind)
        return -1;
    return v;
}

int
zmi_tcp_check(const char *address, bool bind)
{
    char host[256], port[16];
    int rc = tcp_split(address, host, sizeof(host), port, sizeof(port));
    if (rc != 0)
        return rc;
    return tcp_port(port, bind) < 0 ? -EINVAL : 0;
}

int
zmi_tcp_resolve(const char *address, bool bind, bool ipv6,
                zmi_sockaddr_t *out)
{
    char host[256], port[16];
    int rc = tcp_split(address, host, sizeof(host), port, sizeof(port));
    if (rc != 0)
        return rc;
    long p = tcp_port(port, bind);
    if (p < 0)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if (bind && strcmp(host, "*") == 0) {
        if (ipv6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *) &out->ss;
            a->sin6_family = AF_INET6;
            a->sin6_addr = in6addr_any;
            a->sin6_port = htons((uint16_t) p);
            out->len = sizeof(*a);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *) &out->ss;
            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_ANY);
            a->sin_port = htons((uint16_t) p);
            out->len = sizeof(*a);
        }
        return 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = ipv6 ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    // A literal IPv6 address works whatever the IPV6 option says.
    if (strchr(host, ':') != NULL)
        hints.ai_family = AF_INET6;
    if (bind)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    hints.ai_flags |= AI_NUMERICSERV;
    char portbuf[24];
    snprintf(portbuf, sizeof(portbuf), "%ld", p);
    if (getaddrinfo(host, portbuf, &hints, &res) != 0 || res == NULL)
        return bind ? -EINVAL : -EHOSTUNREACH;
    if (res->ai_addrlen > sizeof(out->ss)) {
        freeaddrinfo(res);
        return -EINVAL;
    }
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = (socklen_t) res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

void
zmi_tcp_format(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) sa;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(out, cap, "tcp://[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *) sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(out, cap, "tcp://%s:%u", ip, ntohs(a->sin_port));
    }
}
