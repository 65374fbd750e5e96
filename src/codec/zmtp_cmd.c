// ZMTP command frames (RFC 37 sections "Commands", "NULL Security
// Mechanism", "Connection Heartbeat"; RFC 23 for the socket-type table).
//
// Pure functions with no state, called on the engine's thread: encoders
// write whole frames into caller buffers, parsers read command bodies the
// decoder cut out. Peer bytes only ever produce -EPROTO.

#include "codec/zmtp_cmd.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "zmsg.h"

// Command names on the wire are length-prefixed (ABNF of RFC 37, libzmq).
#define ZMTP_NAME_READY "READY"
#define ZMTP_NAME_ERROR "ERROR"
#define ZMTP_NAME_SUBSCRIBE "SUBSCRIBE"
#define ZMTP_NAME_CANCEL "CANCEL"
#define ZMTP_NAME_PING "PING"
#define ZMTP_NAME_PONG "PONG"

// READY property names (RFC 37 "NULL Security Mechanism").
#define ZMTP_PROP_SOCKET_TYPE "Socket-Type"
#define ZMTP_PROP_IDENTITY "Identity"

// Largest Identity value (RFC 37: 0..255 octets).
#define ZMTP_IDENTITY_MAX 255
// Largest ERROR reason (one length octet).
#define ZMTP_REASON_MAX 255
// A property value length must be below 2^31 (RFC 37 metadata ABNF).
#define ZMTP_VALUE_MAX 0x7FFFFFFFu

static const char *const zmtp_type_names[] = {
    [ZMSG_PAIR] = "PAIR",
    [ZMSG_PUB] = "PUB",
    [ZMSG_SUB] = "SUB",
    [ZMSG_REQ] = "REQ",
    [ZMSG_REP] = "REP",
    [ZMSG_DEALER] = "DEALER",
    [ZMSG_ROUTER] = "ROUTER",
    [ZMSG_PULL] = "PULL",
    [ZMSG_PUSH] = "PUSH",
    [ZMSG_XPUB] = "XPUB",
    [ZMSG_XSUB] = "XSUB",
};

#define ZMTP_TYPE_COUNT                                                        \
    ((int) (sizeof(zmtp_type_names) / sizeof(zmtp_type_names[0])))

static void
zmtp_put_u32(uint8_t *out, uint32_t v)
{
    out[0] = (uint8_t) (v >> 24);
    out[1] = (uint8_t) (v >> 16);
    out[2] = (uint8_t) (v >> 8);
    out[3] = (uint8_t) v;
}

static uint32_t
zmtp_get_u32(const uint8_t *in)
{
    return (uint32_t) in[0] << 24 | (uint32_t) in[1] << 16
        | (uint32_t) in[2] << 8 | (uint32_t) in[3];
}

static bool
zmtp_alpha(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Property name characters: ALPHA / DIGIT / "-" / "_" / "." / "+".
static bool
zmtp_name_char(uint8_t c)
{
    return zmtp_alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_'
        || c == '.' || c == '+';
}

static uint8_t
zmtp_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t) (c - 'A' + 'a') : c;
}

// Property names compare case-insensitively (RFC 37), ASCII only so that
// the result does not depend on the locale.
static bool
zmtp_prop_is(const uint8_t *name, size_t len, const char *want)
{
    size_t want_len = strlen(want);
    if (len != want_len)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (zmtp_lower(name[i]) != zmtp_lower((uint8_t) want[i]))
            return false;
    }
    return true;
}

static void
zmtp_put(uint8_t *out, size_t *pos, const void *data, size_t n)
{
    // NB: n == 0 may come with data == NULL, which memcpy must not see.
    if (n > 0)
        memcpy(out + *pos, data, n);
    *pos += n;
}

// Writes the frame header and the length-prefixed command name shared by
// every encoder, once it is known that body_size octets of body (name
// included) fit in cap. Returns the octets written or -ENOSPC.
static ssize_t
zmtp_begin(uint8_t *out, size_t cap, const char *name, size_t body_size)
{
    size_t hdr = body_size > 255 ? 9 : 2;
    if (cap < hdr || cap - hdr < body_size || hdr + body_size > SSIZE_MAX)
        return -ENOSPC;
    size_t pos = zmi_zmtp_frame_header(out, ZMI_ZMTP_COMMAND, body_size);
    size_t name_len = strlen(name);
    out[pos++] = (uint8_t) name_len;
    zmtp_put(out, &pos, name, name_len);
    return (ssize_t) pos;
}

// Appends one READY property: name-len, name, 4-octet value-len, value.
static void
zmtp_put_prop(uint8_t *out, size_t *pos, const char *name, const uint8_t *value,
    size_t value_size)
{
    size_t name_len = strlen(name);
    out[(*pos)++] = (uint8_t) name_len;
    zmtp_put(out, pos, name, name_len);
    zmtp_put_u32(out + *pos, (uint32_t) value_size);
    *pos += 4;
    zmtp_put(out, pos, value, value_size);
}

size_t
zmi_zmtp_frame_header(
    uint8_t out[ZMI_ZMTP_HEADER_MAX], uint8_t flags, uint64_t size)
{
    // RFC 37 "Framing": the short form holds 0..255, anything larger takes
    // the 8-octet big-endian form.
    if (size > 255) {
        out[0] = (uint8_t) (flags | ZMI_ZMTP_LONG);
        for (int i = 0; i < 8; i++)
            out[1 + i] = (uint8_t) (size >> (56 - 8 * i));
        return 9;
    }
    out[0] = (uint8_t) (flags & ~ZMI_ZMTP_LONG);
    out[1] = (uint8_t) size;
    return 2;
}

ssize_t
zmi_zmtp_encode_ready(uint8_t *out, size_t cap, int socket_type,
    const uint8_t *identity, size_t identity_size)
{
    const char *type_name = zmi_zmtp_socket_type_name(socket_type);
    if (type_name == NULL)
        return -EINVAL;
    if (identity == NULL && identity_size > 0)
        return -EINVAL;
    if (identity_size > ZMTP_IDENTITY_MAX)
        return -EINVAL;

    size_t type_len = strlen(type_name);
    size_t body = 1 + strlen(ZMTP_NAME_READY);
    body += 1 + strlen(ZMTP_PROP_SOCKET_TYPE) + 4 + type_len;
    if (identity != NULL)
        body += 1 + strlen(ZMTP_PROP_IDENTITY) + 4 + identity_size;

    ssize_t rc = zmtp_begin(out, cap, ZMTP_NAME_READY, body);
    if (rc < 0)
        return rc;
    size_t pos = (size_t) rc;
    zmtp_put_prop(out, &pos, ZMTP_PROP_SOCKET_TYPE, (const uint8_t *) type_name,
        type_len);
    if (identity != NULL)
        zmtp_put_prop(out, &pos, ZMTP_PROP_IDENTITY, identity, identity_size);
    return (ssize_t) pos;
}

ssize_t
zmi_zmtp_encode_error(uint8_t *out, size_t cap, const char *reason)
{
    size_t reason_len = reason != NULL ? strlen(reason) : 0;
    if (reason_len > ZMTP_REASON_MAX)
        return -EINVAL;
    size_t body = 1 + strlen(ZMTP_NAME_ERROR) + 1 + reason_len;
    ssize_t rc = zmtp_begin(out, cap, ZMTP_NAME_ERROR, body);
    if (rc < 0)
        return rc;
    size_t pos = (size_t) rc;
    out[pos++] = (uint8_t) reason_len;
    zmtp_put(out, &pos, reason, reason_len);
    return (ssize_t) pos;
}

ssize_t
zmi_zmtp_encode_subscribe(uint8_t *out, size_t cap, bool subscribe,
    const uint8_t *topic, size_t topic_size)
{
    const char *name = subscribe ? ZMTP_NAME_SUBSCRIBE : ZMTP_NAME_CANCEL;
    size_t prefix = 1 + strlen(name);
    if (topic == NULL && topic_size > 0)
        return -EINVAL;
    if (topic_size > SIZE_MAX - prefix)
        return -ENOSPC;
    ssize_t rc = zmtp_begin(out, cap, name, prefix + topic_size);
    if (rc < 0)
        return rc;
    size_t pos = (size_t) rc;
    zmtp_put(out, &pos, topic, topic_size);
    return (ssize_t) pos;
}

ssize_t
zmi_zmtp_encode_ping(uint8_t *out, size_t cap, uint16_t ttl_ds,
    const uint8_t *context, size_t context_size)
{
    if (context_size > ZMI_ZMTP_PING_CONTEXT_MAX)
        return -EINVAL;
    if (context == NULL && context_size > 0)
        return -EINVAL;
    size_t body = 1 + strlen(ZMTP_NAME_PING) + 2 + context_size;
    ssize_t rc = zmtp_begin(out, cap, ZMTP_NAME_PING, body);
    if (rc < 0)
        return rc;
    size_t pos = (size_t) rc;
    out[pos++] = (uint8_t) (ttl_ds >> 8);
    out[pos++] = (uint8_t) ttl_ds;
    zmtp_put(out, &pos, context, context_size);
    return (ssize_t) pos;
}

ssize_t
zmi_zmtp_encode_pong(
    uint8_t *out, size_t cap, const uint8_t *context, size_t context_size)
{
    if (context_size > ZMI_ZMTP_PING_CONTEXT_MAX)
        return -EINVAL;
    if (context == NULL && context_size > 0)
        return -EINVAL;
    size_t body = 1 + strlen(ZMTP_NAME_PONG) + context_size;
    ssize_t rc = zmtp_begin(out, cap, ZMTP_NAME_PONG, body);
    if (rc < 0)
        return rc;
    size_t pos = (size_t) rc;
    zmtp_put(out, &pos, context, context_size);
    return (ssize_t) pos;
}

// Maps a validated command name to its kind. Names compare exactly (case
// matters), as libzmq compares them.
static enum zmi_zmtp_cmd_kind
zmtp_kind(const uint8_t *name, size_t len)
{
    static const struct {
        const char *name;
        enum zmi_zmtp_cmd_kind kind;
    } names[] = {
        { ZMTP_NAME_READY, ZMI_ZMTP_READY },
        { ZMTP_NAME_ERROR, ZMI_ZMTP_ERROR },
        { ZMTP_NAME_SUBSCRIBE, ZMI_ZMTP_SUBSCRIBE },
        { ZMTP_NAME_CANCEL, ZMI_ZMTP_CANCEL },
        { ZMTP_NAME_PING, ZMI_ZMTP_PING },
        { ZMTP_NAME_PONG, ZMI_ZMTP_PONG },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == len
            && memcmp(names[i].name, name, len) == 0)
            return names[i].kind;
    }
    return ZMI_ZMTP_UNKNOWN;
}

int
zmi_zmtp_parse_cmd(const uint8_t *body, size_t size, zmi_zmtp_cmd_t *cmd)
{
    // command-name = short-size 1*255command-name-char (RFC 37 ABNF).
    if (size == 0)
        return -EPROTO;
    size_t name_len = body[0];
    if (name_len == 0 || name_len > size - 1)
        return -EPROTO;
    const uint8_t *name = body + 1;
    for (size_t i = 0; i < name_len; i++) {
        if (!zmtp_alpha(name[i]))
            return -EPROTO;
    }
    cmd->kind = zmtp_kind(name, name_len);
    cmd->data = body + 1 + name_len;
    cmd->size = size - 1 - name_len;
    return 0;
}

int
zmi_zmtp_parse_ready(const uint8_t *data, size_t size, zmi_ready_t *r)
{
    zmi_ready_t tmp
        = { .socket_type = -1, .identity = NULL, .identity_size = 0 };
    size_t pos = 0;
    // metadata = *property; property = name value (RFC 37). Every length
    // is checked against what is left before anything is read.
    while (pos < size) {
        size_t name_len = data[pos++];
        if (name_len == 0 || name_len > size - pos)
            return -EPROTO;
        const uint8_t *name = data + pos;
        for (size_t i = 0; i < name_len; i++) {
            if (!zmtp_name_char(name[i]))
                return -EPROTO;
        }
        pos += name_len;
        if (size - pos < 4)
            return -EPROTO;
        uint32_t value_len = zmtp_get_u32(data + pos);
        pos += 4;
        if (value_len > ZMTP_VALUE_MAX || value_len > size - pos)
            return -EPROTO;
        const uint8_t *value = data + pos;
        pos += value_len;

        if (zmtp_prop_is(name, name_len, ZMTP_PROP_SOCKET_TYPE)) {
            tmp.socket_type = zmi_zmtp_socket_type_from_name(value, value_len);
        } else if (zmtp_prop_is(name, name_len, ZMTP_PROP_IDENTITY)) {
            if (value_len > ZMTP_IDENTITY_MAX)
                return -EPROTO;
            tmp.identity = value;
            tmp.identity_size = value_len;
        }
        // Other properties (Resource, X-*, ...) are skipped.
    }
    *r = tmp;
    return 0;
}

int
zmi_zmtp_parse_ping(const uint8_t *data, size_t size, uint16_t *ttl_ds,
    const uint8_t **context, size_t *context_size)
{
    if (size < 2)
        return -EPROTO;
    *ttl_ds = (uint16_t) ((unsigned) data[0] << 8 | data[1]);
    // libzmq truncates a longer context to 16 octets rather than failing.
    size_t n = size - 2;
    if (n > ZMI_ZMTP_PING_CONTEXT_MAX)
        n = ZMI_ZMTP_PING_CONTEXT_MAX;
    *context = data + 2;
    *context_size = n;
    return 0;
}

const char *
zmi_zmtp_socket_type_name(int type)
{
    if (type < 0 || type >= ZMTP_TYPE_COUNT)
        return NULL;
    return zmtp_type_names[type];
}

int
zmi_zmtp_socket_type_from_name(const uint8_t *name, size_t size)
{
    if (name == NULL)
        return -1;
    for (int t = 0; t < ZMTP_TYPE_COUNT; t++) {
        const char *s = zmtp_type_names[t];
        if (strlen(s) == size && memcmp(s, name, size) == 0)
            return t;
    }
    return -1;
}

bool
zmi_zmtp_socket_types_compatible(int self, int peer)
{
    // RFC 23 / RFC 37 table of valid socket combinations; libzmq's
    // mechanism_t::check_socket_type enforces the same one.
    switch (self) {
    case ZMSG_REQ:
        return peer == ZMSG_REP || peer == ZMSG_ROUTER;
    case ZMSG_REP:
        return peer == ZMSG_REQ || peer == ZMSG_DEALER;
    case ZMSG_DEALER:
        return peer == ZMSG_REP || peer == ZMSG_DEALER || peer == ZMSG_ROUTER;
    case ZMSG_ROUTER:
        return peer == ZMSG_REQ || peer == ZMSG_DEALER || peer == ZMSG_ROUTER;
    case ZMSG_PUB:
    case ZMSG_XPUB:
        return peer == ZMSG_SUB || peer == ZMSG_XSUB;
    case ZMSG_SUB:
    case ZMSG_XSUB:
        return peer == ZMSG_PUB || peer == ZMSG_XPUB;
    case ZMSG_PUSH:
        return peer == ZMSG_PULL;
    case ZMSG_PULL:
        return peer == ZMSG_PUSH;
    case ZMSG_PAIR:
        return peer == ZMSG_PAIR;
    default:
        return false;
    }
}
