// The 64-byte ZMTP greeting: build ours, validate theirs (RFC 37 section
// "Version Negotiation"). Pure functions.

#ifndef ZMI_GREETING_H
#define ZMI_GREETING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/zmtp.h"

typedef struct zmi_greeting {
    int major;      // version-major octet
    int minor;      // version-minor octet
    char mechanism[ZMI_ZMTP_MECHANISM_SIZE + 1]; // NUL-terminated
    bool as_server; // as-server octet
} zmi_greeting_t;

// Writes a ZMTP 3.1 greeting for the NULL mechanism (padding zero,
// as-server 0).
void zmi_greeting_encode(uint8_t out[ZMI_ZMTP_GREETING_SIZE]);
// Checks the first n (<= 64) octets received so far. Returns 0 while they
// can still be a ZMTP 3.x greeting, -EPROTO as soon as they cannot (bad
// signature, major < 3). Lets the engine drop a ZMTP 1.0/2.0 or non-ZMTP
// peer before the 64th byte.
int zmi_greeting_check_prefix(const uint8_t *in, size_t n);
// Validates a whole greeting: signature, major >= 3, mechanism "NULL" with
// valid characters and NUL padding, as-server 0 for NULL. Padding and
// filler are ignored (libzmq puts non-zero bytes in the padding).
// Returns 0 and fills *g, or -EPROTO.
int zmi_greeting_decode(const uint8_t in[ZMI_ZMTP_GREETING_SIZE],
                        zmi_greeting_t *g);

#endif
