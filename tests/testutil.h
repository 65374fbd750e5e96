// Shared helpers for the cmocka tests (zt_*): sockets with bounded waits,
// ephemeral endpoints, string send/receive, and waiting for connections
// by watching the socket's pipes instead of sleeping.

#ifndef ZMSG_TESTUTIL_H
#define ZMSG_TESTUTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zmsg.h"

// Every blocking call in a test gives up after this long, so a bug fails
// the test instead of hanging it.
#define ZT_TIMEOUT_MS 10000

// A socket with RCVTIMEO and SNDTIMEO set to ZT_TIMEOUT_MS, remembered so
// that zt_term can close it if a failed assertion skipped the test's own
// zmsg_close.
void *zt_socket(void *ctx, int type);
// Closes every zt_socket of ctx still open, then terminates ctx. Use it in
// teardowns: zmsg_ctx_term alone would wait forever for those sockets.
void zt_term(void *ctx);
// Tests that call zmsg_ctx_term themselves go through this, so that the
// socket list never keeps entries of a terminated context.
int zt_ctx_term_forget(void *ctx);
#define zmsg_ctx_term(ctx) zt_ctx_term_forget(ctx)
void zt_setint(void *s, int option, int value);
// Asserts that an expression returned -1 and set errno to err.
#define ZT_ASSERT_FAILS(expr, err)                                             \
    do {                                                                       \
        errno = 0;                                                             \
        assert_int_equal((expr), -1);                                          \
        assert_int_equal(zmsg_errno(), (err));                                 \
    } while (0)
// A cmocka fixture whose state is a fresh context, terminated after the
// test (with zt_term, which closes what a failed test left open).
int zt_setup_ctx(void **state);
int zt_teardown_ctx(void **state);
#define ZT_CTX_TEST(name)                                                      \
    cmocka_unit_test_setup_teardown(name, zt_setup_ctx, zt_teardown_ctx)
// Binds to tcp://127.0.0.1:* and writes the resolved endpoint to ep.
void zt_bind_tcp(void *s, char *ep, size_t cap);

// The transport the spec suites run over: each is built once per
// transport with ZT_TRANSPORT set to "tcp", "ipc" or "inproc".
#ifndef ZT_TRANSPORT
#define ZT_TRANSPORT "tcp"
#endif
#define ZT_IS_TCP (strcmp(ZT_TRANSPORT, "tcp") == 0)
#define ZT_IS_INPROC (strcmp(ZT_TRANSPORT, "inproc") == 0)
// Skips the current test unless it runs over tcp (raw peers, ports).
#define ZT_TCP_ONLY()                                                          \
    do {                                                                       \
        if (!ZT_IS_TCP)                                                        \
            skip();                                                            \
    } while (0)
// Skips the current test over inproc (peers in another context).
#define ZT_NOT_INPROC()                                                        \
    do {                                                                       \
        if (ZT_IS_INPROC)                                                      \
            skip();                                                            \
    } while (0)
// Binds to a fresh endpoint of ZT_TRANSPORT; writes it to ep.
void zt_bind(void *s, char *ep, size_t cap);
// An endpoint of ZT_TRANSPORT nobody is bound to, that can be bound
// later. For tcp, *fd holds the port (bound, not listening: connects are
// refused) until zt_release_endpoint; -1 otherwise.
void zt_unbound_endpoint(char *ep, size_t cap, int *fd);
void zt_release_endpoint(int fd);
void zt_send_str(void *s, const char *str, int flags);
// Receives one part and asserts it equals str (and its MORE flag).
void zt_recv_str(void *s, const char *str, int more);
// Waits until the socket has n pipes (peers whose handshake completed,
// or connects made), processing its commands; fails after ZT_TIMEOUT_MS.
void zt_wait_pipes(void *s, int n);
// Waits until the socket has at most n pipes (peers gone), processing its
// commands; fails after ZT_TIMEOUT_MS.
void zt_wait_pipes_at_most(void *s, int n);
// Connections the socket has seen lost under its connecting pipes
// (white-box), and a wait until that count exceeds `seen`, processing the
// socket's commands; fails after ZT_TIMEOUT_MS.
uint64_t zt_hiccups(void *s);
void zt_wait_hiccup(void *s, uint64_t seen);
// Number of pipes the socket has now (white-box).
int zt_pipes(void *s);

// Waits until n of the socket's pipes have a message ready to read.
void zt_wait_readable(void *s, int n);
// A tcp port on 127.0.0.1 that refuses connections while *fd stays open
// (bound, not listening). Writes "tcp://127.0.0.1:PORT" to ep.
void zt_refusing_port(char *ep, size_t cap, int *fd);
// Milliseconds from a monotonic clock.
int64_t zt_now_ms(void);
// Resident memory (VmRSS) in KiB, or -1 when it cannot be read. Asserts
// nothing, so any thread may call it.
long zt_rss_kib(void);

// Raw ZMTP peers built by hand, to test what zmsg does with bytes a real
// library would never send.
extern const uint8_t zt_greeting31[64];
// A blocking tcp client of 127.0.0.1:port with a ZT_TIMEOUT_MS receive
// timeout.
int zt_raw_connect(int port);
// A blocking listener on 127.0.0.1, ephemeral port; writes its endpoint.
int zt_raw_listen(char *ep, size_t cap);
// accept() with the receive timeout set.
int zt_raw_accept(int lfd);
void zt_raw_send(int fd, const void *data, size_t n);
// Sends a ZMTP 3.1 greeting and a READY for socket type `type`.
void zt_raw_handshake(int fd, const char *type);
// Reads the peer's greeting and its READY command (fails otherwise).
void zt_raw_read_handshake(int fd);
// Sends one message frame (flags MORE if more).
void zt_raw_send_frame(int fd, const char *data, int more);
// Reads one frame; returns its size (body copied to buf, NUL-terminated)
// and sets *flags. Fails on timeout or close.
size_t zt_raw_recv_frame(int fd, char *buf, size_t cap, int *flags);
// Reads until the peer closes; fails if it stays open. Returns how many
// bytes arrived before the close (copied to buf up to cap).
size_t zt_raw_expect_closed(int fd, uint8_t *buf, size_t cap);

// Makes sure a PUB has seen a SUB's subscriptions (made before this
// call): subscribes the SUB to a sync topic, publishes it until it
// arrives, drains the probes still in flight, then cancels it. Other SUBs
// of the same PUB that take everything ("") see the probes too.
void zt_sync_pubsub(void *pub, void *sub);
// Sends a ZMTP 3.1 SUBSCRIBE (or CANCEL) command on a raw connection.
void zt_raw_subscribe(int fd, const char *topic, size_t size, int subscribe);

#endif
