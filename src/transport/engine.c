// The ZMTP engine of one connection (see engine.h).
//
// Input: one read(2) fills a 64 KiB block and the decoder cuts every frame
// out of it: medium bodies stay in the block as slices (the block lives
// until its last part is closed, on whatever thread), small ones are copied
// inline; a body bigger than the free room is read straight into its
// message, with the next frame's header alongside. Output: the encoder
// packs as many queued parts as fit into one batch and one sendmsg(2)
// sends it; big bodies go out without a copy, several per write, and on
// tcp each write is cut at whole segments.
// Runs on the session's I/O thread. Every path that fails hands the error
// to the session, which destroys the engine: after engine_fail() returns,
// nothing here touches the engine again.

#include "transport/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "codec/decoder.h"
#include "codec/encoder.h"
#include "codec/greeting.h"
#include "codec/zmtp_cmd.h"
#include "core/clock.h"
#include "core/err.h"
#include "pattern/pattern.h"
#include "transport/session.h"

#define ENGINE_IN_BATCH 65536
// Least room for a read at the end of the input block; with less, the
// block is restarted (or replaced, while parts of it are alive). Bodies up
// to ENGINE_IN_BATCH - ENGINE_IN_MIN_ROOM are cut as slices, so a frame
// waiting for the rest of its body always fits a restarted block.
#define ENGINE_IN_MIN_ROOM 16384
// While big bodies stream in (read in place), reads into the block stop at
// this much, so that each next big body is mostly read straight into its
// message rather than copied out of the block.
#define ENGINE_IN_SMALL_READ 8192
#define ENGINE_OUT_BATCH 65536
// Most octets per write on tcp, rounded down to whole segments.
#define ENGINE_WRITE_MAX 65536
// Writes per readiness event, so one busy peer can't starve the others;
// the same for reads of big frames back to back.
#define ENGINE_MAX_WRITES 16
#define ENGINE_MAX_READS 16

enum engine_state {
    ENGINE_GREETING,  // waiting for the peer's 64-byte greeting
    ENGINE_HANDSHAKE, // waiting for the peer's READY
    ENGINE_ACTIVE,    // exchanging messages
    ENGINE_FAILING,   // flushing an ERROR command, then closing
};

struct zmi_engine {
    zmi_session_t *session;   // owner
    zmi_io_thread_t *io;      // our thread
    const zmi_options_t *opts; // the session's options
    int fd;                   // the connection
    zmi_io_handle_t *handle;  // fd in the reactor
    enum engine_state state;  // handshake progress
    uint8_t greeting[ZMI_ZMTP_GREETING_SIZE]; // peer greeting so far
    size_t greeting_have;     // its octets received
    int peer_minor;           // peer's ZMTP minor version
    zmi_decoder_t dec;        // frames in
    zmi_encoder_t enc;        // frames out
    zmi_msg_buf_t *inbuf;     // read block (shared with parts cut from it)
    size_t in_pos;            // first unprocessed octet in inbuf->data
    size_t in_len;            // octets read into inbuf->data
    bool big_in;              // the last body was read in place
    zmi_msg_t stalled;        // inbound part the session couldn't take
    bool has_stalled;         // stalled holds a part
    zmi_msg_t out_msg;        // outbound part the encoder couldn't take
    bool has_out_msg;         // out_msg holds a part
    bool output_active;       // pollout is set
    size_t write_max;         // octets per sendmsg at most
    unsigned full_writes;     // writes of write_max octets so far
    zmi_timer_t handshake_timer; // drops a peer that never finishes
    zmi_timer_t ping_timer;   // HEARTBEAT_IVL: time to send a PING
    zmi_timer_t pong_timer;   // HEARTBEAT_TIMEOUT after our PING
    zmi_timer_t ttl_timer;    // the peer's TTL after its PING
    int64_t last_rx;          // when the peer last sent anything (ms)
    int64_t ping_sent;        // when our last PING left (ms)
    int peer_ttl;             // ms of silence the peer allows (0: none)
    bool track_rx;            // heartbeats on: keep last_rx current
    unsigned long long frames_out; // frames sent (for tests)
};

static void engine_in_event(void *arg);
static void engine_out_event(void *arg);

static const zmi_io_events_t engine_events = { engine_in_event,
                                               engine_out_event };

static void
engine_fail(zmi_engine_t *e, int err)
{
    zmi_session_engine_error(e->session, err);
}

static void
engine_handshake_expired(zmi_timer_t *t)
{
    zmi_engine_t *e = t->arg;
    engine_fail(e, -ETIMEDOUT);
}

static void engine_want_output(zmi_engine_t *e);

// ZMTP heartbeats (RFC 37): with HEARTBEAT_IVL set, a PING leaves every
// interval; if nothing at all (any traffic counts as life) comes back
// within HEARTBEAT_TIMEOUT of it, the connection is dead. A peer's PING
// may carry a TTL: if we then hear nothing from it for that long, it is
// dead too. A dead connection ends like any other (the connecting side
// reconnects).

static int
engine_hb_timeout(const zmi_options_t *o)
{
    return o->heartbeat_timeout >= 0 ? o->heartbeat_timeout
                                     : o->heartbeat_ivl;
}

static void
engine_ping_due(zmi_timer_t *t)
{
    zmi_engine_t *e = t->arg;
    int64_t now = zmi_clock_ms();
    uint8_t buf[16];
    // The TTL travels in deciseconds (libzmq rounds down the same way).
    int ttl = e->opts->heartbeat_ttl / 100;
    ssize_t n = zmi_zmtp_encode_ping(buf, sizeof(buf),
                                     (uint16_t) (ttl > 0xffff ? 0xffff : ttl),
                                     NULL, 0);
    // NB: a PING that doesn't fit the batch now waits for the next turn.
    if (n > 0 && zmi_encoder_push_raw(&e->enc, buf, (size_t) n)) {
        engine_want_output(e);
        e->ping_sent = now;
        if (!zmi_timer_armed(&e->pong_timer))
            zmi_timers_add(&e->io->timers, &e->pong_timer,
                           now + engine_hb_timeout(e->opts));
    }
    zmi_timers_add(&e->io->timers, &e->ping_timer,
                   now + e->opts->heartbeat_ivl);
}

static void
engine_pong_expired(zmi_timer_t *t)
{
    zmi_engine_t *e = t->arg;
    // NB: input we stopped reading ourselves (the socket's queue is full)
    // says nothing about the peer: it is alive, we are slow.
    if (e->last_rx < e->ping_sent && !e->has_stalled)
        engine_fail(e, -ETIMEDOUT);
}

static void
engine_ttl_expired(zmi_timer_t *t)
{
    zmi_engine_t *e = t->arg;
    int64_t quiet_until = e->last_rx + e->peer_ttl;
    if (quiet_until <= zmi_clock_ms() && !e->has_stalled)
        engine_fail(e, -ETIMEDOUT);
    else
        zmi_timers_add(&e->io->timers, &e->ttl_timer,
                       quiet_until > zmi_clock_ms() ? quiet_until
                                                    : zmi_clock_ms() +
                                                          e->peer_ttl);
}

// The handshake is done: start our heartbeat if asked to.
static void
engine_start_heartbeat(zmi_engine_t *e)
{
    e->last_rx = zmi_clock_ms();
    if (e->opts->heartbeat_ivl <= 0)
        return;
    e->track_rx = true;
    zmi_timers_add(&e->io->timers, &e->ping_timer,
                   e->last_rx + e->opts->heartbeat_ivl);
}

// A PING from the peer with a TTL: it wants us gone after TTL of silence.
static void
engine_peer_ttl(zmi_engine_t *e, uint16_t ttl_ds)
{
    if (ttl_ds == 0)
        return;
    e->track_rx = true;
    e->peer_ttl = ttl_ds * 100;
    if (!zmi_timer_armed(&e->ttl_timer))
        zmi_timers_add(&e->io->timers, &e->ttl_timer,
                       e->last_rx + e->peer_ttl);
}

// The largest data frame we accept. A PUB reads nothing but subscriptions
// (the 3.0 form: one flag octet and the topic), so anything longer from a
// subscriber closes its connection before a byte of it is stored.
static int64_t
engine_max_in(const zmi_options_t *opts)
{
    int64_t max = opts->maxmsgsize;
    if (opts->type == ZMSG_PUB) {
        int64_t cap = 1 + ZMI_SUBSCRIPTION_MAX;
        if (max < 0 || max > cap)
            max = cap;
    }
    return max;
}

// The most one write may carry. On tcp that is whole segments: a write a
// little over the MSS leaves a runt segment behind the full one, and on
// loopback (MSS near 64 KiB) each runt costs about what a full segment
// does. Writes of a 64 KiB body plus its header moved a third of what
// writes of one MSS do. Other sockets take what is pending.
static size_t
engine_write_max(int fd)
{
    int mss = 0;
    socklen_t len = sizeof(mss);
    if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) != 0 || mss <= 0)
        return SIZE_MAX;
    size_t seg = (size_t) mss;
    return seg >= ENGINE_WRITE_MAX ? seg : ENGINE_WRITE_MAX / seg * seg;
}

zmi_engine_t *
zmi_engine_new(zmi_session_t *session, zmi_io_thread_t *io, int fd,
               const zmi_options_t *opts)
{
    zmi_engine_t *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        close(fd);
        return NULL;
    }
    e->inbuf = zmi_msg_buf_new(ENGINE_IN_BATCH);
    if (e->inbuf == NULL || zmi_encoder_init(&e->enc, ENGINE_OUT_BATCH) != 0) {
        zmi_msg_buf_release(e->inbuf);
        free(e);
        close(fd);
        return NULL;
    }
    e->session = session;
    e->io = io;
    e->opts = opts;
    e->fd = fd;
    e->write_max = engine_write_max(fd);
    zmi_decoder_init(&e->dec, engine_max_in(opts));
    zmi_decoder_set_slicing(&e->dec, ENGINE_IN_BATCH - ENGINE_IN_MIN_ROOM);
    zmi_timer_init(&e->handshake_timer, engine_handshake_expired, e);
    zmi_timer_init(&e->ping_timer, engine_ping_due, e);
    zmi_timer_init(&e->pong_timer, engine_pong_expired, e);
    zmi_timer_init(&e->ttl_timer, engine_ttl_expired, e);
    e->handle = zmi_reactor_add(io->reactor, fd, &engine_events, e);
    if (e->handle == NULL) {
        zmi_decoder_fini(&e->dec);
        zmi_encoder_fini(&e->enc);
        zmi_msg_buf_release(e->inbuf);
        free(e);
        close(fd);
        return NULL;
    }
    // Greeting and READY leave together: with the NULL mechanism READY
    // does not depend on the peer's greeting (libzmq does the same), so
    // the handshake costs one round trip.
    uint8_t hello[ZMI_ZMTP_GREETING_SIZE + 512];
    zmi_greeting_encode(hello);
    ssize_t n = zmi_zmtp_encode_ready(
        hello + ZMI_ZMTP_GREETING_SIZE, sizeof(hello) - ZMI_ZMTP_GREETING_SIZE,
        opts->type, opts->routing_id_size ? opts->routing_id : NULL,
        opts->routing_id_size);
    ZMI_ASSERT(n > 0);
    zmi_encoder_push_raw(&e->enc, hello, ZMI_ZMTP_GREETING_SIZE + (size_t) n);
    if (opts->handshake_ivl > 0)
        zmi_timers_add(&io->timers, &e->handshake_timer,
                       zmi_clock_ms() + opts->handshake_ivl);
    zmi_reactor_set_pollin(io->reactor, e->handle);
    e->output_active = true;
    zmi_reactor_set_pollout(io->reactor, e->handle);
    atomic_fetch_add(&io->load, 1);
    return e;
}

void
zmi_engine_destroy(zmi_engine_t *e)
{
    zmi_timers_cancel(&e->io->timers, &e->handshake_timer);
    zmi_timers_cancel(&e->io->timers, &e->ping_timer);
    zmi_timers_cancel(&e->io->timers, &e->pong_timer);
    zmi_timers_cancel(&e->io->timers, &e->ttl_timer);
    zmi_reactor_rm(e->io->reactor, e->handle);
    close(e->fd);
    zmi_decoder_fini(&e->dec);
    zmi_encoder_fini(&e->enc);
    if (e->has_stalled)
        zmi_msg_close(&e->stalled);
    if (e->has_out_msg)
        zmi_msg_close(&e->out_msg);
    // Parts cut from the block may outlive us: they free it.
    zmi_msg_buf_release(e->inbuf);
    atomic_fetch_sub(&e->io->load, 1);
    free(e);
}

bool
zmi_engine_drained(const zmi_engine_t *e)
{
    return zmi_encoder_empty(&e->enc) && !e->has_out_msg;
}

unsigned long long
zmi_engine_frames_out(const zmi_engine_t *e)
{
    return e->frames_out;
}

static void
engine_want_output(zmi_engine_t *e)
{
    if (!e->output_active) {
        e->output_active = true;
        zmi_reactor_set_pollout(e->io->reactor, e->handle);
    }
}

// Queues an ERROR command and closes once it is written (RFC 37: the
// server replies ERROR to an unacceptable READY, then closes).
static void
engine_send_error(zmi_engine_t *e, const char *reason)
{
    uint8_t buf[300];
    ssize_t n = zmi_zmtp_encode_error(buf, sizeof(buf), reason);
    e->state = ENGINE_FAILING;
    zmi_reactor_reset_pollin(e->io->reactor, e->handle);
    if (n > 0)
        zmi_encoder_push_raw(&e->enc, buf, (size_t) n);
    engine_want_output(e);
}

// The peer's READY arrived. Returns false if the engine failed.
static bool
engine_on_ready(zmi_engine_t *e, const zmi_zmtp_cmd_t *cmd)
{
    zmi_ready_t r;
    if (zmi_zmtp_parse_ready(cmd->data, cmd->size, &r) != 0) {
        engine_fail(e, -EPROTO);
        return false;
    }
    if (!zmi_zmtp_socket_types_compatible(e->opts->type, r.socket_type)) {
        engine_send_error(e, "Invalid socket type");
        return true;
    }
    zmi_timers_cancel(&e->io->timers, &e->handshake_timer);
    e->state = ENGINE_ACTIVE;
    engine_start_heartbeat(e);
    zmi_session_engine_ready(e->session);
    // Parts queued before the connection existed can go now. NB: only
    // ask for POLLOUT here; writing now could fail and free the engine
    // under the caller.
    engine_want_output(e);
    return true;
}

static void
engine_reply_pong(zmi_engine_t *e, const zmi_zmtp_cmd_t *cmd)
{
    uint16_t ttl;
    const uint8_t *ctx;
    size_t ctx_size;
    if (zmi_zmtp_parse_ping(cmd->data, cmd->size, &ttl, &ctx, &ctx_size) != 0)
        return;
    engine_peer_ttl(e, ttl);
    uint8_t buf[64];
    ssize_t n = zmi_zmtp_encode_pong(buf, sizeof(buf), ctx, ctx_size);
    // NB: a PONG that doesn't fit now is skipped; the peer's next PING
    // gets one, and any traffic counts as life anyway.
    if (n > 0 && zmi_encoder_push_raw(&e->enc, buf, (size_t) n))
        engine_want_output(e);
}

// A ZMTP 3.1 SUBSCRIBE or CANCEL becomes the message a ZMTP 3.0 peer
// would have sent (first byte 1 or 0, then the topic), which is what a PUB
// reads from its pipes. Returns false if the frame is not one for us.
static bool
engine_subscription(zmi_engine_t *e, const zmi_zmtp_cmd_t *cmd,
                    zmi_msg_t *out)
{
    if ((cmd->kind != ZMI_ZMTP_SUBSCRIBE && cmd->kind != ZMI_ZMTP_CANCEL) ||
        (e->opts->type != ZMSG_PUB && e->opts->type != ZMSG_XPUB) ||
        cmd->size > ZMI_SUBSCRIPTION_MAX)
        return false;
    if (zmi_msg_init_size(out, cmd->size + 1) != 0)
        return false;
    uint8_t *d = zmi_msg_data(out);
    d[0] = cmd->kind == ZMI_ZMTP_SUBSCRIBE ? 1 : 0;
    if (cmd->size > 0)
        memcpy(d + 1, cmd->data, cmd->size);
    return true;
}

// For a SUB talking to a ZMTP 3.1 peer, turns a subscription message from
// the socket into the SUBSCRIBE or CANCEL command 3.1 expects (RFC 37).
static void
engine_subscription_out(zmi_engine_t *e, zmi_msg_t *msg)
{
    size_t size = zmi_msg_size(msg);
    if (e->opts->type != ZMSG_SUB || e->peer_minor < 1 || size < 1)
        return;
    const uint8_t *d = zmi_msg_data(msg);
    bool subscribe = d[0] == 1;
    const char *name = subscribe ? "\x09" "SUBSCRIBE" : "\x06" "CANCEL";
    size_t nlen = subscribe ? 10 : 7;
    zmi_msg_t cmd;
    if (d[0] > 1 || zmi_msg_init_size(&cmd, nlen + size - 1) != 0)
        return;
    uint8_t *c = zmi_msg_data(&cmd);
    memcpy(c, name, nlen);
    memcpy(c + nlen, d + 1, size - 1);
    cmd.flags |= ZMI_MSG_COMMAND;
    zmi_msg_close(msg);
    *msg = cmd;
}

// One frame from the decoder. Returns false when input must stop: the
// session is full (frame kept) or the engine failed (*alive false).
static bool
engine_on_frame(zmi_engine_t *e, zmi_msg_t *frame, bool *alive)
{
    zmi_msg_t converted;
    bool is_subscription = false;
    if (frame->flags & ZMI_MSG_COMMAND) {
        zmi_zmtp_cmd_t cmd;
        int rc = zmi_zmtp_parse_cmd(zmi_msg_data(frame), zmi_msg_size(frame),
                                    &cmd);
        bool ok = true;
        if (rc != 0) {
            engine_fail(e, -EPROTO);
            ok = false;
        } else if (e->state == ENGINE_HANDSHAKE) {
            if (cmd.kind == ZMI_ZMTP_READY) {
                ok = engine_on_ready(e, &cmd);
            } else {
                engine_fail(e, -EPROTO);
                ok = false;
            }
        } else if (cmd.kind == ZMI_ZMTP_PING) {
            engine_reply_pong(e, &cmd);
        } else if (cmd.kind == ZMI_ZMTP_ERROR || cmd.kind == ZMI_ZMTP_READY) {
            engine_fail(e, -EPROTO);
            ok = false;
        } else {
            is_subscription = engine_subscription(e, &cmd, &converted);
        }
        // PONG, subscriptions for other socket types, oversized topics
        // and unknown commands are ignored.
        zmi_msg_close(frame);
        *alive = ok;
        if (!is_subscription)
            return ok && e->state == ENGINE_ACTIVE;
        *frame = converted;
    }
    if (e->state != ENGINE_ACTIVE) {
        zmi_msg_close(frame);
        engine_fail(e, -EPROTO);
        *alive = false;
        return false;
    }
    if (!zmi_session_push(e->session, frame)) {
        e->stalled = *frame;
        e->has_stalled = true;
        zmi_reactor_reset_pollin(e->io->reactor, e->handle);
        return false;
    }
    return true;
}

// Takes greeting octets from the buffer. Returns false if the engine
// failed.
static bool
engine_greeting(zmi_engine_t *e)
{
    size_t want = ZMI_ZMTP_GREETING_SIZE - e->greeting_have;
    size_t avail = e->in_len - e->in_pos;
    size_t n = avail < want ? avail : want;
    memcpy(e->greeting + e->greeting_have, e->inbuf->data + e->in_pos, n);
    e->greeting_have += n;
    e->in_pos += n;
    // Drop a non-ZMTP-3 peer as soon as its first octets say so.
    if (zmi_greeting_check_prefix(e->greeting, e->greeting_have) != 0) {
        engine_fail(e, -EPROTO);
        return false;
    }
    if (e->greeting_have < ZMI_ZMTP_GREETING_SIZE)
        return true;
    zmi_greeting_t g;
    if (zmi_greeting_decode(e->greeting, &g) != 0) {
        engine_fail(e, -EPROTO);
        return false;
    }
    e->peer_minor = g.minor;
    e->state = ENGINE_HANDSHAKE;
    return true;
}

// Decodes buffered input until it runs out or the session is full.
// Returns false if the engine failed.
static bool
engine_process_input(zmi_engine_t *e)
{
    bool pushed = false;
    while (e->in_pos < e->in_len) {
        if (e->state == ENGINE_GREETING) {
            if (!engine_greeting(e))
                return false;
            continue;
        }
        size_t used;
        zmi_msg_t frame;
        int rc = zmi_decoder_decode_buf(&e->dec, e->inbuf,
                                        e->inbuf->data + e->in_pos,
                                        e->in_len - e->in_pos, &used, &frame);
        e->in_pos += used;
        if (rc < 0) {
            engine_fail(e, rc);
            return false;
        }
        if (rc == 0)
            break;
        bool alive = true;
        bool go_on = engine_on_frame(e, &frame, &alive);
        if (!alive)
            return false;
        pushed = true;
        if (!go_on)
            break;
    }
    if (pushed)
        zmi_session_flush(e->session);
    return true;
}

// Makes room for the next read at the end of the input block. Octets not
// decoded yet (the start of a frame waiting for its body) move to the
// front of the block when no part cut from it is alive, else to a new
// block: the old one is freed by its last part. Returns false on ENOMEM.
static bool
engine_in_room(zmi_engine_t *e)
{
    zmi_msg_buf_t *b = e->inbuf;
    size_t pending = e->in_len - e->in_pos;
    if (pending == 0 && b->handed == 0) {
        // Nothing was cut from the block since it started: reuse it from
        // the front without looking at the shared counter.
        e->in_pos = e->in_len = 0;
        return true;
    }
    if (b->cap - e->in_len >= ENGINE_IN_MIN_ROOM)
        return true;
    if (zmi_msg_buf_reset(b)) {
        memmove(b->data, b->data + e->in_pos, pending);
    } else {
        zmi_msg_buf_t *nb = zmi_msg_buf_new(ENGINE_IN_BATCH);
        if (nb == NULL)
            return false;
        memcpy(nb->data, b->data + e->in_pos, pending);
        zmi_msg_buf_release(b);
        e->inbuf = nb;
    }
    e->in_pos = 0;
    e->in_len = pending;
    return true;
}

// One read and what it brings. Returns true when it filled a big body
// and its next header exactly, so more of a stream of big frames is likely
// waiting: the caller reads again without a reactor turn. After false the
// engine may be gone.
static bool
engine_read(zmi_engine_t *e)
{
    if (e->has_stalled || e->state == ENGINE_FAILING)
        return false;
    if (!engine_in_room(e)) {
        engine_fail(e, -ENOMEM);
        return false;
    }
    uint8_t *space = e->inbuf->data + e->in_len;
    uint8_t *target = space;
    size_t cap = e->inbuf->cap - e->in_len;
    size_t want = 0;
    // The rest of a big body is read in place once that saves a copy of
    // at least a small read's worth.
    if (e->state == ENGINE_ACTIVE && e->in_pos == e->in_len)
        zmi_decoder_read_target(&e->dec, space, ENGINE_IN_SMALL_READ, &target,
                                &want);
    bool small = false;
    if (target != space) {
        cap = want;
    } else if (e->big_in && cap > ENGINE_IN_SMALL_READ) {
        cap = ENGINE_IN_SMALL_READ;
        small = true;
    }
    // A body read in place brings the next frame's header along into the
    // block: a stream of big frames then costs one read each and no copy.
    struct iovec iov[2] = { { target, cap }, { space, 0 } };
    int iovcnt = 1;
    if (target != space) {
        iov[1].iov_len = ZMI_ZMTP_HEADER_MAX;
        iovcnt = 2;
    }
    ssize_t n = readv(e->fd, iov, iovcnt);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return false;
        engine_fail(e, -errno);
        return false;
    }
    if (n == 0) {
        engine_fail(e, -ECONNRESET);
        return false;
    }
    if (e->track_rx)
        e->last_rx = zmi_clock_ms();
    // Big bodies keep reads into the block small; a small read that comes
    // back full means small frames are flowing again.
    if (target != space)
        e->big_in = true;
    else if (small && (size_t) n == cap)
        e->big_in = false;
    if (target != space) {
        // Read straight into a big body: let the decoder count it.
        size_t in_body = (size_t) n < cap ? (size_t) n : cap;
        size_t used;
        zmi_msg_t frame;
        int rc = zmi_decoder_decode(&e->dec, target, in_body, &used, &frame);
        if (rc < 0) {
            engine_fail(e, rc);
            return false;
        }
        bool go_on = true;
        if (rc == 1) {
            bool alive = true;
            go_on = engine_on_frame(e, &frame, &alive);
            if (!alive)
                return false;
        }
        // The octets after the body wait in the block; while the session
        // is full they stay there until zmi_engine_restart_input.
        e->in_len += (size_t) n - in_body;
        if (go_on && !engine_process_input(e))
            return false;
        // NB: the frame is made visible to the socket by the caller's
        // flush when reading goes on, so one wake-up covers several.
        bool again = go_on && rc == 1 && (size_t) n == cap + iov[1].iov_len
                     && !e->has_stalled;
        if (!again)
            zmi_session_flush(e->session);
        return again;
    }
    e->in_len += (size_t) n;
    engine_process_input(e);
    return false;
}

static void
engine_in_event(void *arg)
{
    zmi_engine_t *e = arg;
    for (int i = 1; engine_read(e); i++) {
        if (i == ENGINE_MAX_READS) {
            zmi_session_flush(e->session);
            return;
        }
    }
}

void
zmi_engine_restart_input(zmi_engine_t *e)
{
    if (!e->has_stalled)
        return;
    if (!zmi_session_push(e->session, &e->stalled))
        return;
    e->has_stalled = false;
    if (!engine_process_input(e))
        return;
    if (!e->has_stalled) {
        zmi_session_flush(e->session);
        zmi_reactor_set_pollin(e->io->reactor, e->handle);
    }
}

// Moves queued parts into the encoder's batch.
static void
engine_fill(zmi_engine_t *e)
{
    if (e->state != ENGINE_ACTIVE)
        return;
    for (;;) {
        if (!e->has_out_msg) {
            if (!zmi_session_pull(e->session, &e->out_msg))
                return;
            e->has_out_msg = true;
            engine_subscription_out(e, &e->out_msg);
        }
        if (!zmi_encoder_push(&e->enc, &e->out_msg))
            return;
        e->has_out_msg = false;
        e->frames_out++;
    }
}

static void
engine_out_event(void *arg)
{
    zmi_engine_t *e = arg;
    for (int i = 0; i < ENGINE_MAX_WRITES; i++) {
        engine_fill(e);
        struct iovec iov[ZMI_ENCODER_IOV_MAX];
        int cnt = zmi_encoder_iov(&e->enc, iov, ZMI_ENCODER_IOV_MAX,
                                  e->write_max);
        if (cnt == 0) {
            e->output_active = false;
            zmi_reactor_reset_pollout(e->io->reactor, e->handle);
            if (e->state == ENGINE_FAILING)
                engine_fail(e, -EPROTO);
            else
                zmi_session_engine_drained(e->session);
            return;
        }
        // NB: sendmsg with MSG_NOSIGNAL, not writev: a peer that left
        // must end its connection, never raise SIGPIPE in the process.
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t) cnt };
        ssize_t n = sendmsg(e->fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            engine_fail(e, -errno);
            return;
        }
        zmi_encoder_consumed(&e->enc, (size_t) n);
        // The MSS grows as the connection warms up: look again after the
        // first writes that took all they could, then after every 64th.
        if ((size_t) n == e->write_max
            && (++e->full_writes < 16 || e->full_writes % 64 == 0))
            e->write_max = engine_write_max(e->fd);
    }
    // Still more to write: wait for the fd.
    engine_want_output(e);
}

void
zmi_engine_restart_output(zmi_engine_t *e)
{
    if (e->output_active && e->state != ENGINE_ACTIVE)
        return;
    // Write at once instead of waiting a reactor turn for POLLOUT: the
    // socket is almost always writable.
    e->output_active = true;
    zmi_reactor_set_pollout(e->io->reactor, e->handle);
    engine_out_event(e);
}
