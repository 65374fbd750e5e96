// zmsg: an embeddable ZeroMQ-family messaging library.
//
// This is the only public header. It mirrors the libzmq 4.x C API: every
// zmq_X call exists as zmsg_X and every ZMQ_Y constant as ZMSG_Y with
// libzmq's numeric value, so that a libzmq program ports by renaming alone.
// Calls return -1 (or NULL) on failure and set errno; zmsg_errno() reads it.

#ifndef ZMSG_PUBLIC_H_INCLUDED
#define ZMSG_PUBLIC_H_INCLUDED

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ZMSG_BUILDING_LIBRARY) && defined(__GNUC__)
#define ZMSG_EXPORT __attribute__((visibility("default")))
#else
#define ZMSG_EXPORT
#endif

// Version. It lives in one place, project(VERSION) in zmsg's CMakeLists.txt:
// building zmsg passes it in as compile definitions, and the installed copy
// of this header has the three numbers written in here.
#if !defined(ZMSG_VERSION_MAJOR) || !defined(ZMSG_VERSION_MINOR) ||          \
    !defined(ZMSG_VERSION_PATCH)
#error "ZMSG_VERSION_*: use the installed zmsg.h or zmsg's CMake targets"
#endif
#define ZMSG_MAKE_VERSION(major, minor, patch)                                 \
    ((major) * 10000 + (minor) * 100 + (patch))
#define ZMSG_VERSION                                                           \
    ZMSG_MAKE_VERSION(ZMSG_VERSION_MAJOR, ZMSG_VERSION_MINOR, ZMSG_VERSION_PATCH)

ZMSG_EXPORT void zmsg_version(int *major, int *minor, int *patch);

// Errors. zmsg's own codes keep libzmq's names and values; everything else
// is a POSIX errno value.
#define ZMSG_HAUSNUMERO 156384712
#define ZMSG_EFSM (ZMSG_HAUSNUMERO + 51)
#define ZMSG_ENOCOMPATPROTO (ZMSG_HAUSNUMERO + 52)
#define ZMSG_ETERM (ZMSG_HAUSNUMERO + 53)
#define ZMSG_EMTHREAD (ZMSG_HAUSNUMERO + 54)

ZMSG_EXPORT int zmsg_errno(void);
ZMSG_EXPORT const char *zmsg_strerror(int errnum);

// Context options.
#define ZMSG_IO_THREADS 1
#define ZMSG_MAX_SOCKETS 2
#define ZMSG_SOCKET_LIMIT 3
#define ZMSG_MAX_MSGSZ 5
#define ZMSG_MSG_T_SIZE 6
#define ZMSG_IO_THREADS_DFLT 1
#define ZMSG_MAX_SOCKETS_DFLT 1023

ZMSG_EXPORT void *zmsg_ctx_new(void);
ZMSG_EXPORT int zmsg_ctx_term(void *context);
ZMSG_EXPORT int zmsg_ctx_shutdown(void *context);
ZMSG_EXPORT int zmsg_ctx_set(void *context, int option, int optval);
ZMSG_EXPORT int zmsg_ctx_get(void *context, int option);

// Message parts. zmsg_msg_t is opaque and may live on the stack.
typedef struct zmsg_msg_t {
    union {
        unsigned char _[64];
        void *_align_ptr;
        long long _align_ll;
        double _align_d;
    } _u;
} zmsg_msg_t;

typedef void(zmsg_free_fn)(void *data, void *hint);

#define ZMSG_MORE 1
#define ZMSG_SRCFD 2
#define ZMSG_SHARED 3

ZMSG_EXPORT int zmsg_msg_init(zmsg_msg_t *msg);
ZMSG_EXPORT int zmsg_msg_init_size(zmsg_msg_t *msg, size_t size);
ZMSG_EXPORT int zmsg_msg_init_data(zmsg_msg_t *msg, void *data, size_t size,
                                   zmsg_free_fn *ffn, void *hint);
ZMSG_EXPORT int zmsg_msg_send(zmsg_msg_t *msg, void *s, int flags);
ZMSG_EXPORT int zmsg_msg_recv(zmsg_msg_t *msg, void *s, int flags);
ZMSG_EXPORT int zmsg_msg_close(zmsg_msg_t *msg);
ZMSG_EXPORT int zmsg_msg_move(zmsg_msg_t *dest, zmsg_msg_t *src);
ZMSG_EXPORT int zmsg_msg_copy(zmsg_msg_t *dest, zmsg_msg_t *src);
ZMSG_EXPORT void *zmsg_msg_data(zmsg_msg_t *msg);
ZMSG_EXPORT size_t zmsg_msg_size(const zmsg_msg_t *msg);
ZMSG_EXPORT int zmsg_msg_more(const zmsg_msg_t *msg);
ZMSG_EXPORT int zmsg_msg_get(const zmsg_msg_t *msg, int property);
ZMSG_EXPORT int zmsg_msg_set(zmsg_msg_t *msg, int property, int optval);

// Socket types.
#define ZMSG_PAIR 0
#define ZMSG_PUB 1
#define ZMSG_SUB 2
#define ZMSG_REQ 3
#define ZMSG_REP 4
#define ZMSG_DEALER 5
#define ZMSG_ROUTER 6
#define ZMSG_PULL 7
#define ZMSG_PUSH 8
#define ZMSG_XPUB 9
#define ZMSG_XSUB 10

// Socket options (libzmq numbers).
#define ZMSG_ROUTING_ID 5
#define ZMSG_IDENTITY ZMSG_ROUTING_ID
#define ZMSG_SUBSCRIBE 6
#define ZMSG_UNSUBSCRIBE 7
#define ZMSG_SNDBUF 11
#define ZMSG_RCVBUF 12
#define ZMSG_RCVMORE 13
#define ZMSG_FD 14
#define ZMSG_EVENTS 15
#define ZMSG_TYPE 16
#define ZMSG_LINGER 17
#define ZMSG_RECONNECT_IVL 18
#define ZMSG_BACKLOG 19
#define ZMSG_RECONNECT_IVL_MAX 21
#define ZMSG_MAXMSGSIZE 22
#define ZMSG_SNDHWM 23
#define ZMSG_RCVHWM 24
#define ZMSG_RCVTIMEO 27
#define ZMSG_SNDTIMEO 28
#define ZMSG_LAST_ENDPOINT 32
#define ZMSG_TCP_KEEPALIVE 34
#define ZMSG_TCP_KEEPALIVE_CNT 35
#define ZMSG_TCP_KEEPALIVE_IDLE 36
#define ZMSG_TCP_KEEPALIVE_INTVL 37
#define ZMSG_IMMEDIATE 39
#define ZMSG_IPV6 42
#define ZMSG_REQ_CORRELATE 52
#define ZMSG_REQ_RELAXED 53
#define ZMSG_CONFLATE 54
#define ZMSG_HANDSHAKE_IVL 66
#define ZMSG_INVERT_MATCHING 74
#define ZMSG_HEARTBEAT_IVL 75
#define ZMSG_HEARTBEAT_TTL 76
#define ZMSG_HEARTBEAT_TIMEOUT 77
#define ZMSG_CONNECT_TIMEOUT 79

// zmsg extensions, numbered away from libzmq's options.
// REQ: resend a pending request to the next peer after this many ms
// without a reply, or at once when its peer's connection drops (0: off).
// Only for idempotent requests: a request may then be served twice.
// (A zmsg REQ is never stuck: after zmsg_recv gives EAGAIN the request
// stays pending; a new zmsg_send abandons it. With one peer, that peer's
// late reply is then taken for the new request's unless REQ_CORRELATE is
// set. The README, "A REQ that timed out", has the details.)
#define ZMSG_REQ_RESEND_IVL 1000
// Read-only, uint64_t: messages this socket dropped because a peer's queue
// was at its HWM (a PUB's slow subscribers). Never reset. It does not see
// what a subscriber missed before its subscription reached the publisher
// (the slow joiner): no queue existed for those messages.
#define ZMSG_DROPPED 1001

// Subscription limits, the same on both ends: a topic longer than
// ZMSG_SUBSCRIPTION_MAX octets is refused by zmsg_setsockopt (EINVAL) and
// ignored when a peer sends it; a subscriber holds at most
// ZMSG_PEER_SUBSCRIPTIONS_MAX octets of topics at a publisher (further
// subscriptions are ignored until it cancels some); and a PUB closes the
// connection of a subscriber that sends a message longer than a
// subscription.
#define ZMSG_SUBSCRIPTION_MAX 1024
#define ZMSG_PEER_SUBSCRIPTIONS_MAX (256 * 1024)

// Send and receive flags.
#define ZMSG_DONTWAIT 1
#define ZMSG_SNDMORE 2

ZMSG_EXPORT void *zmsg_socket(void *context, int type);
ZMSG_EXPORT int zmsg_close(void *s);
ZMSG_EXPORT int zmsg_setsockopt(void *s, int option, const void *optval,
                                size_t optvallen);
ZMSG_EXPORT int zmsg_getsockopt(void *s, int option, void *optval,
                                size_t *optvallen);
ZMSG_EXPORT int zmsg_bind(void *s, const char *endpoint);
ZMSG_EXPORT int zmsg_connect(void *s, const char *endpoint);
ZMSG_EXPORT int zmsg_unbind(void *s, const char *endpoint);
ZMSG_EXPORT int zmsg_disconnect(void *s, const char *endpoint);
// CZMQ (libczmq) exports a zmsg_send and a zmsg_recv of its own, with
// other signatures and no symbol version; the dynamic linker lets such a
// definition satisfy a versioned reference, so a process that loads both
// libraries could bind these calls to the wrong one. zmsg therefore exports
// them under names CZMQ does not use: source code calls zmsg_send and
// zmsg_recv as usual, and the rename is invisible.
#define zmsg_send zmsg_send_bytes
#define zmsg_recv zmsg_recv_bytes
ZMSG_EXPORT int zmsg_send(void *s, const void *buf, size_t len, int flags);
ZMSG_EXPORT int zmsg_send_const(void *s, const void *buf, size_t len,
                                int flags);
ZMSG_EXPORT int zmsg_recv(void *s, void *buf, size_t len, int flags);

// Polling.
#define ZMSG_POLLIN 1
#define ZMSG_POLLOUT 2
#define ZMSG_POLLERR 4
#define ZMSG_POLLPRI 8

typedef struct zmsg_pollitem_t {
    void *socket;
    int fd;
    short events;
    short revents;
} zmsg_pollitem_t;

ZMSG_EXPORT int zmsg_poll(zmsg_pollitem_t *items, int nitems, long timeout);

#ifdef __cplusplus
}
#endif

#endif // ZMSG_PUBLIC_H_INCLUDED
