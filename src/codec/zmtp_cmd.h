// ZMTP commands: READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG (RFC 37
// sections "Commands", "NULL Security Mechanism", "Connection Heartbeat";
// names are length-prefixed as in the ABNF and libzmq). Pure functions:
// encoders write a whole frame (flags, size, body) into a caller buffer;
// parsers read a command body (what follows the frame header).

#ifndef ZMI_ZMTP_CMD_H
#define ZMI_ZMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "codec/zmtp.h"

enum zmi_zmtp_cmd_kind {
    ZMI_ZMTP_READY,
    ZMI_ZMTP_ERROR,
    ZMI_ZMTP_SUBSCRIBE,
    ZMI_ZMTP_CANCEL,
    ZMI_ZMTP_PING,
    ZMI_ZMTP_PONG,
    ZMI_ZMTP_UNKNOWN // a well-formed name we don't know (ignored)
};

typedef struct zmi_zmtp_cmd {
    enum zmi_zmtp_cmd_kind kind;
    const uint8_t *data; // command-data: the octets after the name
    size_t size;         // their count
} zmi_zmtp_cmd_t;

typedef struct zmi_ready {
    int socket_type;         // ZMSG_* value, -1 if absent or unknown name
    const uint8_t *identity; // Identity property value, NULL if absent
    size_t identity_size;
} zmi_ready_t;

// Writes a frame header (flags byte, then a 1- or 8-octet size; LONG is
// set when size > 255). Returns the header length: 2 or 9.
size_t zmi_zmtp_frame_header(uint8_t out[ZMI_ZMTP_HEADER_MAX], uint8_t flags,
                             uint64_t size);

// Encoders return the number of octets written, or -ENOSPC when cap is too
// small, or -EINVAL for an argument outside the protocol (reason > 255
// octets, context > 16 octets).
ssize_t zmi_zmtp_encode_ready(uint8_t *out, size_t cap, int socket_type,
                              const uint8_t *identity, size_t identity_size);
ssize_t zmi_zmtp_encode_error(uint8_t *out, size_t cap, const char *reason);
ssize_t zmi_zmtp_encode_subscribe(uint8_t *out, size_t cap, bool subscribe,
                                  const uint8_t *topic, size_t topic_size);
ssize_t zmi_zmtp_encode_ping(uint8_t *out, size_t cap, uint16_t ttl_ds,
                             const uint8_t *context, size_t context_size);
ssize_t zmi_zmtp_encode_pong(uint8_t *out, size_t cap, const uint8_t *context,
                             size_t context_size);

// Splits a command body into name and data. Returns 0, or -EPROTO when the
// body is empty, the name length is 0 or runs past the body, or the name
// has a character outside ALPHA.
int zmi_zmtp_parse_cmd(const uint8_t *body, size_t size, zmi_zmtp_cmd_t *cmd);
// Parses READY's metadata (cmd->data of a READY). Every property must be
// well-formed: name length 1..255 with valid characters, a 4-octet value
// length that fits in what is left. Returns 0 or -EPROTO.
int zmi_zmtp_parse_ready(const uint8_t *data, size_t size, zmi_ready_t *r);
// Parses PING data: ttl (deciseconds) and context (<= 16 octets kept; a
// longer context is truncated to 16, as libzmq does). Returns 0 or -EPROTO
// when fewer than 2 octets.
int zmi_zmtp_parse_ping(const uint8_t *data, size_t size, uint16_t *ttl_ds,
                        const uint8_t **context, size_t *context_size);

// Socket-Type names of RFC 23/37 <-> ZMSG_* values (PAIR..XSUB).
const char *zmi_zmtp_socket_type_name(int type);
// Returns the ZMSG_* value, or -1 for an unknown name. Case-sensitive as
// libzmq is.
int zmi_zmtp_socket_type_from_name(const uint8_t *name, size_t size);
// The RFC 23 table of valid pairs (REQ-REP/ROUTER, PUB-SUB/XSUB, ...).
bool zmi_zmtp_socket_types_compatible(int self, int peer);

#endif
