// The ZMTP greeting (RFC 37 section "Version Negotiation"): writes the
// 64 octets zmsg sends and validates the 64 octets a peer sends.
//
// Pure functions with no state: the engine's thread calls them on bytes it
// owns. Peer bytes only ever produce -EPROTO, never an assertion.

#include "codec/greeting.h"

#include <errno.h>
#include <string.h>

// Offsets of the greeting fields (wire.md, "Greeting").
#define GREETING_SIG_HEAD 0
#define GREETING_SIG_TAIL 9
#define GREETING_MAJOR 10
#define GREETING_MINOR 11
#define GREETING_MECHANISM 12
#define GREETING_AS_SERVER 32

// A mechanism name character: A-Z, digits, '-', '_', '.', '+' (RFC 37).
static bool
greeting_mechanism_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '+';
}

void
zmi_greeting_encode(uint8_t out[ZMI_ZMTP_GREETING_SIZE])
{
    // NB: padding and filler are zero, as the RFC asks; only the receive
    // side has to tolerate libzmq's non-zero padding.
    memset(out, 0, ZMI_ZMTP_GREETING_SIZE);
    out[GREETING_SIG_HEAD] = 0xFF;
    out[GREETING_SIG_TAIL] = 0x7F;
    out[GREETING_MAJOR] = ZMI_ZMTP_MAJOR;
    out[GREETING_MINOR] = ZMI_ZMTP_MINOR;
    memcpy(out + GREETING_MECHANISM, "NULL", 4);
}

int
zmi_greeting_check_prefix(const uint8_t *in, size_t n)
{
    if (n > ZMI_ZMTP_GREETING_SIZE)
        n = ZMI_ZMTP_GREETING_SIZE;
    // Byte 0 other than 0xFF, or bit 0 of byte 9 clear, is ZMTP 1.0; any
    // other byte 9 than 0x7F is no ZMTP at all. Major 1 or 2 is ZMTP 2.0.
    if (n > GREETING_SIG_HEAD && in[GREETING_SIG_HEAD] != 0xFF)
        return -EPROTO;
    if (n > GREETING_SIG_TAIL && in[GREETING_SIG_TAIL] != 0x7F)
        return -EPROTO;
    if (n > GREETING_MAJOR && in[GREETING_MAJOR] < ZMI_ZMTP_MAJOR)
        return -EPROTO;
    return 0;
}

// Checks the 20-octet mechanism field: at least one valid character, then
// only NUL padding. Copies it NUL-terminated into name.
static int
greeting_parse_mechanism(
    const uint8_t *in, char name[ZMI_ZMTP_MECHANISM_SIZE + 1])
{
    size_t len = 0;
    while (len < ZMI_ZMTP_MECHANISM_SIZE && in[len] != 0) {
        if (!greeting_mechanism_char(in[len]))
            return -EPROTO;
        len++;
    }
    if (len == 0)
        return -EPROTO;
    for (size_t i = len; i < ZMI_ZMTP_MECHANISM_SIZE; i++) {
        if (in[i] != 0)
            return -EPROTO;
    }
    memcpy(name, in, len);
    name[len] = '\0';
    return 0;
}

int
zmi_greeting_decode(const uint8_t in[ZMI_ZMTP_GREETING_SIZE], zmi_greeting_t *g)
{
    if (zmi_greeting_check_prefix(in, ZMI_ZMTP_GREETING_SIZE) != 0)
        return -EPROTO;

    zmi_greeting_t tmp;
    if (greeting_parse_mechanism(in + GREETING_MECHANISM, tmp.mechanism) != 0)
        return -EPROTO;
    // Only NULL is implemented; a peer asking for another mechanism must be
    // dropped (RFC 37: "If the mechanisms differ, the connection must be
    // closed").
    if (strcmp(tmp.mechanism, "NULL") != 0)
        return -EPROTO;
    uint8_t as_server = in[GREETING_AS_SERVER];
    if (as_server > 1)
        return -EPROTO;
    // The NULL mechanism has no client/server roles (RFC 37).
    if (as_server != 0)
        return -EPROTO;

    tmp.major = in[GREETING_MAJOR];
    tmp.minor = in[GREETING_MINOR];
    tmp.as_server = as_server != 0;
    *g = tmp;
    return 0;
}
