// Shared helpers for the cmocka tests (zt_*): sockets with bounded waits,
// ephemeral endpoints, string send/receive, and waiting for connections
// by watching the socket's pipes instead of sleeping.

#ifndef ZMSG_TESTUTIL_H
#define ZMSG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "zmsg.h"

// Every blocking call in a test gives up after this long, so a bug fails
// the test instead of hanging it.
#define ZT_TIMEOUT_MS 10000

// A socket with RCVTIMEO and SNDTIMEO set to ZT_TIMEOUT_MS.
void *zt_socket(void *ctx, int type);
void zt_setint(void *s, int option, int value);
// Binds to tcp://127.0.0.1:* and writes the resolved endpoint to ep.
void zt_bind_tcp(void *s, char *ep, size_t cap);
void zt_send_str(void *s, const char *str, int flags);
// Receives one part and asserts it equals str (and its MORE flag).
void zt_recv_str(void *s, const char *str, int more);
// Waits until the socket has n pipes (peers whose handshake completed,
// or connects made), processing its commands; fails after ZT_TIMEOUT_MS.
void zt_wait_pipes(void *s, int n);
// Number of pipes the socket has now (white-box).
int zt_pipes(void *s);

// Waits until n of the socket's pipes have a message ready to read.
void zt_wait_readable(void *s, int n);
// A tcp port on 127.0.0.1 that refuses connections while *fd stays open
// (bound, not listening). Writes "tcp://127.0.0.1:PORT" to ep.
void zt_refusing_port(char *ep, size_t cap, int *fd);
// Milliseconds from a monotonic clock.
int64_t zt_now_ms(void);

#endif
