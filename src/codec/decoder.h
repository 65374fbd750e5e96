// ZMTP 3.x frame decoder as a step machine (no I/O).
//
// The engine feeds it whatever one read(2) returned; it cuts frames out of
// that buffer one at a time. When that buffer is a shared block
// (zmi_decoder_decode_buf), a medium body is not copied but becomes a
// slice of the block, so a stream of parts costs no allocation each. A
// body larger than the engine's read buffer is read straight into the
// message (see zmi_decoder_read_target) so big messages are never copied.
// Sizes are checked against the maximum before anything is allocated.
// Used by one thread (the engine's).

#ifndef ZMI_DECODER_H
#define ZMI_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"

typedef struct zmi_decoder {
    int state;          // which step runs next (decoder.c)
    uint8_t tmp[8];     // flags/size octets gathered so far
    size_t tmp_have;    // octets in tmp
    size_t tmp_need;    // octets the current header step wants
    uint8_t flags;      // flags octet of the current frame
    uint64_t size;      // body size of the current frame
    zmi_msg_t msg;      // frame under construction
    uint8_t *body;      // where body bytes go (inside msg)
    size_t body_have;   // body bytes received
    int64_t maxmsgsize; // largest message frame accepted; -1 no limit
    size_t slice_max;   // largest body cut as a slice (0: never)
    bool slice_wait;    // the body is to be a slice: waits for all of it
} zmi_decoder_t;

// maxmsgsize: largest message body accepted (-1: any). Command frames are
// always capped at ZMI_ZMTP_COMMAND_MAX.
void zmi_decoder_init(zmi_decoder_t *d, int64_t maxmsgsize);
// Frees a frame under construction.
void zmi_decoder_fini(zmi_decoder_t *d);
// Where the next read should land: normally buf itself, but when a body of
// at least buf_size bytes is pending, the rest of that body inside the
// message (so no copy is made). *out_size is how much to read at most.
void zmi_decoder_read_target(zmi_decoder_t *d, uint8_t *buf, size_t buf_size,
                             uint8_t **out, size_t *out_size);
// Consumes octets from data[0..n) up to the end of the next frame and sets
// *used to how many it took. Returns 1 with a complete frame moved into
// *frame (ZMI_MSG_MORE and ZMI_MSG_COMMAND set from the flags octet), 0
// when every octet was taken and the frame is not complete, or a negative
// errno for a protocol error after which the connection must be closed:
// -EPROTO (reserved flag bits, MORE on a command), -EMSGSIZE (size above
// the maximum, or above 2^63-1), -ENOMEM. data may be the pointer handed
// out by zmi_decoder_read_target: bytes already in place are not copied.
int zmi_decoder_decode(zmi_decoder_t *d, const uint8_t *data, size_t n,
                       size_t *used, zmi_msg_t *frame);
// Bodies of more than ZMI_MSG_VSM_MAX and at most max octets will be cut
// out of the block given to zmi_decoder_decode_buf instead of copied.
void zmi_decoder_set_slicing(zmi_decoder_t *d, size_t max);
// As zmi_decoder_decode, for data inside buf (owned by the caller, see
// zmi_msg_buf_t): a body within the slicing limit becomes a slice of buf,
// taken whole or not at all. When only part of such a body is there, 0 is
// returned with *used stopping at the body's first octet: the caller must
// present those octets again, with more behind them (moving them to another
// block in between is fine). buf NULL: plain zmi_decoder_decode.
int zmi_decoder_decode_buf(zmi_decoder_t *d, zmi_msg_buf_t *buf,
                           const uint8_t *data, size_t n, size_t *used,
                           zmi_msg_t *frame);

#endif
