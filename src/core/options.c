// The socket option table and the generic get/set over it.
//
// Every option zmsg accepts appears once below with libzmq's number, its
// C type, the range it accepts and where it lives in zmi_options_t. Options
// that need a socket's cooperation (SUBSCRIBE, RCVMORE, FD, EVENTS) are
// not here: the socket handles them before reaching this table.

#include "core/options.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "zmsg.h"

enum opt_kind {
    OPT_INT,      // int, range-checked
    OPT_INT64,    // int64_t, range-checked
    OPT_BYTES,    // routing id: 0..255 bytes, first byte not 0
    OPT_STRING,   // read-only NUL-terminated string
};

typedef struct opt_def {
    int id;           // ZMSG_* number
    enum opt_kind kind;
    size_t offset;    // where in zmi_options_t
    int64_t min, max; // accepted range (ints)
    int readonly;     // get only
} opt_def_t;

#define OPT(id, field, min, max)                                               \
    { id, OPT_INT, offsetof(zmi_options_t, field), min, max, 0 }

static const opt_def_t opt_table[] = {
    { ZMSG_TYPE, OPT_INT, offsetof(zmi_options_t, type), 0, 10, 1 },
    OPT(ZMSG_SNDHWM, sndhwm, 0, INT_MAX),
    OPT(ZMSG_RCVHWM, rcvhwm, 0, INT_MAX),
    OPT(ZMSG_LINGER, linger, -1, INT_MAX),
    OPT(ZMSG_RCVTIMEO, rcvtimeo, -1, INT_MAX),
    OPT(ZMSG_SNDTIMEO, sndtimeo, -1, INT_MAX),
    OPT(ZMSG_RECONNECT_IVL, reconnect_ivl, -1, INT_MAX),
    OPT(ZMSG_RECONNECT_IVL_MAX, reconnect_ivl_max, 0, INT_MAX),
    OPT(ZMSG_BACKLOG, backlog, 0, INT_MAX),
    { ZMSG_MAXMSGSIZE, OPT_INT64, offsetof(zmi_options_t, maxmsgsize), -1,
      INT64_MAX, 0 },
    OPT(ZMSG_SNDBUF, sndbuf, -1, INT_MAX),
    OPT(ZMSG_RCVBUF, rcvbuf, -1, INT_MAX),
    OPT(ZMSG_TCP_KEEPALIVE, tcp_keepalive, -1, 1),
    OPT(ZMSG_TCP_KEEPALIVE_CNT, tcp_keepalive_cnt, -1, INT_MAX),
    OPT(ZMSG_TCP_KEEPALIVE_IDLE, tcp_keepalive_idle, -1, INT_MAX),
    OPT(ZMSG_TCP_KEEPALIVE_INTVL, tcp_keepalive_intvl, -1, INT_MAX),
    OPT(ZMSG_IMMEDIATE, immediate, 0, 1),
    OPT(ZMSG_IPV6, ipv6, 0, 1),
    OPT(ZMSG_REQ_CORRELATE, req_correlate, 0, 1),
    OPT(ZMSG_REQ_RELAXED, req_relaxed, 0, 1),
    OPT(ZMSG_CONFLATE, conflate, 0, 1),
    OPT(ZMSG_HANDSHAKE_IVL, handshake_ivl, 0, INT_MAX),
    OPT(ZMSG_INVERT_MATCHING, invert_matching, 0, 1),
    OPT(ZMSG_HEARTBEAT_IVL, heartbeat_ivl, 0, INT_MAX),
    OPT(ZMSG_HEARTBEAT_TTL, heartbeat_ttl, 0, 6553599),
    OPT(ZMSG_HEARTBEAT_TIMEOUT, heartbeat_timeout, -1, INT_MAX),
    OPT(ZMSG_CONNECT_TIMEOUT, connect_timeout, 0, INT_MAX),
    OPT(ZMSG_REQ_RESEND_IVL, req_resend_ivl, 0, INT_MAX),
    { ZMSG_ROUTING_ID, OPT_BYTES, offsetof(zmi_options_t, routing_id), 0,
      ZMI_ROUTING_ID_MAX, 0 },
    { ZMSG_LAST_ENDPOINT, OPT_STRING, offsetof(zmi_options_t, last_endpoint),
      0, 0, 1 },
};

void
zmi_options_init(zmi_options_t *o, int type)
{
    memset(o, 0, sizeof(*o));
    o->type = type;
    o->sndhwm = 1000;
    o->rcvhwm = 1000;
    o->linger = ZMI_LINGER_DEFAULT;
    o->rcvtimeo = -1;
    o->sndtimeo = -1;
    o->reconnect_ivl = 100;
    o->reconnect_ivl_max = 0;
    o->backlog = 100;
    o->maxmsgsize = ZMI_MAXMSGSIZE_DEFAULT;
    o->sndbuf = -1;
    o->rcvbuf = -1;
    o->tcp_keepalive = -1;
    o->tcp_keepalive_cnt = -1;
    o->tcp_keepalive_idle = -1;
    o->tcp_keepalive_intvl = -1;
    o->handshake_ivl = 30000;
    o->heartbeat_timeout = -1;
}

static const opt_def_t *
opt_find(int id)
{
    for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++)
        if (opt_table[i].id == id)
            return &opt_table[i];
    return NULL;
}

int
zmi_options_set(zmi_options_t *o, int option, const void *val, size_t len)
{
    const opt_def_t *d = opt_find(option);
    if (d == NULL || d->readonly)
        return -EINVAL;
    char *field = (char *) o + d->offset;
    switch (d->kind) {
    case OPT_INT: {
        int v;
        if (len != sizeof(int) || val == NULL)
            return -EINVAL;
        memcpy(&v, val, sizeof(v));
        if (v < d->min || v > d->max)
            return -EINVAL;
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case OPT_INT64: {
        int64_t v;
        if (len != sizeof(int64_t) || val == NULL)
            return -EINVAL;
        memcpy(&v, val, sizeof(v));
        if (v < d->min || v > d->max)
            return -EINVAL;
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case OPT_BYTES:
        // RFC 23: an identity is 1..255 octets and may not start with 0
        // (such ids are reserved); an empty value clears it.
        if (len > ZMI_ROUTING_ID_MAX || (len > 0 && val == NULL) ||
            (len > 0 && ((const uint8_t *) val)[0] == 0))
            return -EINVAL;
        if (len > 0)
            memcpy(o->routing_id, val, len);
        o->routing_id_size = len;
        return 0;
    default:
        return -EINVAL;
    }
}

int
zmi_options_get(const zmi_options_t *o, int option, void *val, size_t *len)
{
    const opt_def_t *d = opt_find(option);
    if (d == NULL || len == NULL || (val == NULL && *len > 0))
        return -EINVAL;
    const char *field = (const char *) o + d->offset;
    switch (d->kind) {
    case OPT_INT:
        if (*len < sizeof(int))
            return -EINVAL;
        memcpy(val, field, sizeof(int));
        *len = sizeof(int);
        return 0;
    case OPT_INT64:
        if (*len < sizeof(int64_t))
            return -EINVAL;
        memcpy(val, field, sizeof(int64_t));
        *len = sizeof(int64_t);
        return 0;
    case OPT_BYTES:
        if (*len < o->routing_id_size)
            return -EINVAL;
        if (o->routing_id_size > 0)
            memcpy(val, o->routing_id, o->routing_id_size);
        *len = o->routing_id_size;
        return 0;
    case OPT_STRING: {
        size_t n = strlen(field) + 1;
        if (*len < n)
            return -EINVAL;
        memcpy(val, field, n);
        *len = n;
        return 0;
    }
    }
    return -EINVAL;
}
