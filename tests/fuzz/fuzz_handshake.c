// libFuzzer target for the greeting and command parsers (codec/greeting.h,
// codec/zmtp_cmd.h).
//
// Input: a 64-octet greeting, then one command body (what follows a
// command frame's header). Every prefix of the greeting goes through
// zmi_greeting_check_prefix, the whole through zmi_greeting_decode; the
// body through zmi_zmtp_parse_cmd and the parser of its kind. What parses
// is encoded again and parsed back: any disagreement aborts.

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/greeting.h"
#include "codec/zmtp.h"
#include "codec/zmtp_cmd.h"

#define FUZZ_TYPES 11 // ZMSG_PAIR..ZMSG_XSUB

static void
fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_handshake: %s\n", what);
    abort();
}

// Checks the greeting validators against each other.
static void
check_greeting(const uint8_t *data, size_t size)
{
    size_t n = size < ZMI_ZMTP_GREETING_SIZE ? size : ZMI_ZMTP_GREETING_SIZE;
    int last = 0;
    for (size_t i = 0; i <= n; i++) {
        int rc = zmi_greeting_check_prefix(data, i);
        if (rc != 0 && rc != -EPROTO)
            fuzz_fail("check_prefix: unexpected return value");
        // Once a prefix is refused, every longer one is too.
        if (last != 0 && rc == 0)
            fuzz_fail("check_prefix accepts a longer prefix of a refused one");
        last = rc;
    }
    if (size > ZMI_ZMTP_GREETING_SIZE
        && zmi_greeting_check_prefix(data, size) != last)
        fuzz_fail("check_prefix looks past the greeting");
    if (size < ZMI_ZMTP_GREETING_SIZE)
        return;

    zmi_greeting_t g;
    memset(&g, 0xA5, sizeof(g));
    int rc = zmi_greeting_decode(data, &g);
    if (rc != 0 && rc != -EPROTO)
        fuzz_fail("greeting_decode: unexpected return value");
    if (rc != 0)
        return;
    if (last != 0)
        fuzz_fail("greeting_decode accepts what check_prefix refused");
    if (g.major != data[10] || g.minor != data[11] || g.major < 3 || g.as_server
        || strcmp(g.mechanism, "NULL") != 0)
        fuzz_fail("greeting_decode: fields differ from the input");

    // Our own greeting is always acceptable.
    uint8_t ours[ZMI_ZMTP_GREETING_SIZE];
    zmi_greeting_t g2;
    zmi_greeting_encode(ours);
    if (zmi_greeting_decode(ours, &g2) != 0 || g2.major != ZMI_ZMTP_MAJOR
        || g2.minor != ZMI_ZMTP_MINOR)
        fuzz_fail("own greeting does not decode");
}

// Parses an encoded command frame back: checks the header against the
// length written and returns the command.
static zmi_zmtp_cmd_t
reparse(const uint8_t *frame, ssize_t n, enum zmi_zmtp_cmd_kind kind)
{
    if (n < 2)
        fuzz_fail("encoder failed on what was parsed");
    size_t len = (size_t) n;
    size_t hdr = (frame[0] & ZMI_ZMTP_LONG) ? 9 : 2;
    uint64_t size = 0;
    for (size_t i = 1; i < hdr; i++)
        size = size << 8 | frame[i];
    if ((frame[0] & ~ZMI_ZMTP_LONG) != ZMI_ZMTP_COMMAND || len < hdr
        || size != len - hdr || (hdr == 9) != (size > 255))
        fuzz_fail("encoded frame header is wrong");
    zmi_zmtp_cmd_t cmd;
    if (zmi_zmtp_parse_cmd(frame + hdr, len - hdr, &cmd) != 0)
        fuzz_fail("encoded command does not parse");
    if (cmd.kind != kind)
        fuzz_fail("encoded command parses as another kind");
    return cmd;
}

static bool
same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void
check_ready(const zmi_zmtp_cmd_t *cmd, uint8_t *out, size_t cap)
{
    zmi_ready_t r;
    int rc = zmi_zmtp_parse_ready(cmd->data, cmd->size, &r);
    if (rc != 0 && rc != -EPROTO)
        fuzz_fail("parse_ready: unexpected return value");
    if (rc != 0)
        return;
    if (r.socket_type < -1 || r.socket_type >= FUZZ_TYPES)
        fuzz_fail("parse_ready: socket type out of range");
    if (r.identity_size > 255 || (r.identity == NULL && r.identity_size > 0))
        fuzz_fail("parse_ready: bad identity");
    for (int t = 0; t < FUZZ_TYPES; t++) {
        if (zmi_zmtp_socket_types_compatible(r.socket_type, t)
            != zmi_zmtp_socket_types_compatible(t, r.socket_type))
            fuzz_fail("socket type table is not symmetric");
    }
    ssize_t n = zmi_zmtp_encode_ready(
        out, cap, r.socket_type, r.identity, r.identity_size);
    if (r.socket_type < 0) {
        if (n != -EINVAL)
            fuzz_fail("encode_ready accepts an unknown socket type");
        return;
    }
    const char *name = zmi_zmtp_socket_type_name(r.socket_type);
    if (name == NULL
        || zmi_zmtp_socket_type_from_name((const uint8_t *) name, strlen(name))
            != r.socket_type)
        fuzz_fail("socket type name round trip");
    zmi_zmtp_cmd_t back = reparse(out, n, ZMI_ZMTP_READY);
    zmi_ready_t r2;
    if (zmi_zmtp_parse_ready(back.data, back.size, &r2) != 0)
        fuzz_fail("encoded READY does not parse");
    if (r2.socket_type != r.socket_type
        || (r2.identity == NULL) != (r.identity == NULL)
        || !same_bytes(
            r2.identity, r2.identity_size, r.identity, r.identity_size))
        fuzz_fail("READY round trip differs");
}

static void
check_ping(const zmi_zmtp_cmd_t *cmd, uint8_t *out, size_t cap)
{
    uint16_t ttl;
    const uint8_t *ctx;
    size_t ctx_size;
    int rc = zmi_zmtp_parse_ping(cmd->data, cmd->size, &ttl, &ctx, &ctx_size);
    if ((rc == 0) != (cmd->size >= 2) || (rc != 0 && rc != -EPROTO))
        fuzz_fail("parse_ping: wrong return value");
    if (rc != 0)
        return;
    size_t want = cmd->size - 2;
    if (want > ZMI_ZMTP_PING_CONTEXT_MAX)
        want = ZMI_ZMTP_PING_CONTEXT_MAX;
    if (ctx != cmd->data + 2 || ctx_size != want)
        fuzz_fail("parse_ping: wrong context");
    ssize_t n = zmi_zmtp_encode_ping(out, cap, ttl, ctx, ctx_size);
    zmi_zmtp_cmd_t back = reparse(out, n, ZMI_ZMTP_PING);
    uint16_t ttl2;
    const uint8_t *ctx2;
    size_t ctx2_size;
    if (zmi_zmtp_parse_ping(back.data, back.size, &ttl2, &ctx2, &ctx2_size) != 0
        || ttl2 != ttl || !same_bytes(ctx2, ctx2_size, ctx, ctx_size))
        fuzz_fail("PING round trip differs");
    // The PONG the engine answers with carries the same context.
    n = zmi_zmtp_encode_pong(out, cap, ctx, ctx_size);
    back = reparse(out, n, ZMI_ZMTP_PONG);
    if (!same_bytes(back.data, back.size, ctx, ctx_size))
        fuzz_fail("PONG for a PING differs");
}

static void
check_cmd(const uint8_t *body, size_t size)
{
    zmi_zmtp_cmd_t cmd;
    int rc = zmi_zmtp_parse_cmd(body, size, &cmd);
    if (rc != 0 && rc != -EPROTO)
        fuzz_fail("parse_cmd: unexpected return value");
    if (rc != 0)
        return;
    if (size < 2 || body[0] == 0 || (size_t) body[0] > size - 1
        || cmd.data != body + 1 + body[0] || cmd.size != size - 1 - body[0])
        fuzz_fail("parse_cmd: name or data out of place");

    // Big enough for any re-encoded frame: header, name, the body itself.
    size_t cap = size + 512;
    uint8_t *out = malloc(cap);
    if (out == NULL)
        return;
    ssize_t n;
    zmi_zmtp_cmd_t back;
    switch (cmd.kind) {
    case ZMI_ZMTP_READY:
        check_ready(&cmd, out, cap);
        break;
    case ZMI_ZMTP_PING:
        check_ping(&cmd, out, cap);
        break;
    case ZMI_ZMTP_PONG:
        n = zmi_zmtp_encode_pong(out, cap, cmd.data, cmd.size);
        if (cmd.size > ZMI_ZMTP_PING_CONTEXT_MAX) {
            if (n != -EINVAL)
                fuzz_fail("encode_pong accepts a long context");
            break;
        }
        back = reparse(out, n, ZMI_ZMTP_PONG);
        if (!same_bytes(back.data, back.size, cmd.data, cmd.size))
            fuzz_fail("PONG round trip differs");
        break;
    case ZMI_ZMTP_SUBSCRIBE:
    case ZMI_ZMTP_CANCEL: {
        bool sub = cmd.kind == ZMI_ZMTP_SUBSCRIBE;
        n = zmi_zmtp_encode_subscribe(out, cap, sub, cmd.data, cmd.size);
        back = reparse(out, n, cmd.kind);
        if (!same_bytes(back.data, back.size, cmd.data, cmd.size))
            fuzz_fail("SUBSCRIBE/CANCEL round trip differs");
        break;
    }
    case ZMI_ZMTP_ERROR: {
        // Well-formed: a reason length octet and exactly that many octets,
        // none of them NUL (the encoder takes a C string).
        if (cmd.size < 1 || cmd.data[0] != cmd.size - 1
            || memchr(cmd.data + 1, 0, cmd.size - 1) != NULL)
            break;
        char reason[256];
        memcpy(reason, cmd.data + 1, cmd.size - 1);
        reason[cmd.size - 1] = '\0';
        n = zmi_zmtp_encode_error(out, cap, reason);
        back = reparse(out, n, ZMI_ZMTP_ERROR);
        if (!same_bytes(back.data, back.size, cmd.data, cmd.size))
            fuzz_fail("ERROR round trip differs");
        break;
    }
    case ZMI_ZMTP_UNKNOWN:
        break;
    default:
        fuzz_fail("parse_cmd: unknown kind value");
    }
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_greeting(data, size);
    if (size > ZMI_ZMTP_GREETING_SIZE)
        check_cmd(data + ZMI_ZMTP_GREETING_SIZE, size - ZMI_ZMTP_GREETING_SIZE);
    return 0;
}
