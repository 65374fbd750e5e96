// ZMTP 3.x wire constants (RFC 23, RFC 37): flags, greeting layout,
// command names and the limits zmsg applies to what a peer may send.
// Pure data: no state, no I/O.

#ifndef ZMI_ZMTP_H
#define ZMI_ZMTP_H

#include <stdint.h>

#define ZMI_ZMTP_GREETING_SIZE 64
#define ZMI_ZMTP_MAJOR 3
#define ZMI_ZMTP_MINOR 1
#define ZMI_ZMTP_MECHANISM_SIZE 20

// Frame flags (RFC 37 section "Framing").
#define ZMI_ZMTP_MORE 0x01
#define ZMI_ZMTP_LONG 0x02
#define ZMI_ZMTP_COMMAND 0x04
#define ZMI_ZMTP_RESERVED 0xF8

// Largest frame header: flags + 8-byte size.
#define ZMI_ZMTP_HEADER_MAX 9

// Limits on what a peer may send before and around messages. A command
// body above this is a protocol error (READY metadata, SUBSCRIBE topics and
// PING contexts all fit well inside it).
#define ZMI_ZMTP_COMMAND_MAX 65536
#define ZMI_ZMTP_PING_CONTEXT_MAX 16

#endif
