// Bad input from a caller: every call returns -1 (or NULL) with libzmq's
// precise errno and never crashes. Also option defaults and round trips,
// timeouts, truncation, error strings and the version.

#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    void *ctx;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->ctx = zmsg_ctx_new();
    assert_non_null(f->ctx);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(zmsg_ctx_term(f->ctx), 0);
    free(f);
    return 0;
}

// Every socket call on s fails with ENOTSOCK.
static void
check_every_socket_call_enotsock(void *s)
{
    int v = 1;
    size_t len = sizeof(v);
    char buf[8];
    ZT_ASSERT_FAILS(zmsg_bind(s, "tcp://127.0.0.1:*"), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_connect(s, "tcp://127.0.0.1:5555"), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_unbind(s, "tcp://127.0.0.1:5555"), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_disconnect(s, "tcp://127.0.0.1:5555"), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_LINGER, &v, sizeof(v)), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, ZMSG_LINGER, &v, &len), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_send(s, "x", 1, 0), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_send_const(s, "x", 1, 0), ENOTSOCK);
    ZT_ASSERT_FAILS(zmsg_recv(s, buf, sizeof(buf), 0), ENOTSOCK);
    zmsg_msg_t msg;
    assert_int_equal(zmsg_msg_init_size(&msg, 3), 0);
    ZT_ASSERT_FAILS(zmsg_msg_send(&msg, s, 0), ENOTSOCK);
    assert_int_equal(zmsg_msg_size(&msg), 3); // still the caller's
    ZT_ASSERT_FAILS(zmsg_msg_recv(&msg, s, 0), ENOTSOCK);
    assert_int_equal(zmsg_msg_close(&msg), 0);
    ZT_ASSERT_FAILS(zmsg_close(s), ENOTSOCK);
}

static void
test_null_socket_is_enotsock(void **state)
{
    (void) state;
    check_every_socket_call_enotsock(NULL);
}

static void
test_closed_socket_is_enotsock(void **state)
{
    fixture_t *f = *state;
    void *s = zmsg_socket(f->ctx, ZMSG_PUSH);
    assert_non_null(s);
    assert_int_equal(zmsg_close(s), 0);
    check_every_socket_call_enotsock(s);
}

static void
test_null_context_is_efault(void **state)
{
    (void) state;
    ZT_ASSERT_FAILS(zmsg_ctx_term(NULL), EFAULT);
    ZT_ASSERT_FAILS(zmsg_ctx_shutdown(NULL), EFAULT);
    ZT_ASSERT_FAILS(zmsg_ctx_set(NULL, ZMSG_IO_THREADS, 1), EFAULT);
    ZT_ASSERT_FAILS(zmsg_ctx_get(NULL, ZMSG_IO_THREADS), EFAULT);
    errno = 0;
    assert_null(zmsg_socket(NULL, ZMSG_PUSH));
    assert_int_equal(zmsg_errno(), EFAULT);
}

static void
test_unknown_socket_type_is_einval(void **state)
{
    fixture_t *f = *state;
    errno = 0;
    assert_null(zmsg_socket(f->ctx, 99));
    assert_int_equal(zmsg_errno(), EINVAL);
    errno = 0;
    assert_null(zmsg_socket(f->ctx, -1));
    assert_int_equal(zmsg_errno(), EINVAL);
}

static void
test_socket_after_shutdown_is_eterm(void **state)
{
    (void) state;
    void *ctx = zmsg_ctx_new();
    assert_non_null(ctx);
    assert_int_equal(zmsg_ctx_shutdown(ctx), 0);
    errno = 0;
    assert_null(zmsg_socket(ctx, ZMSG_PUSH));
    assert_int_equal(zmsg_errno(), ZMSG_ETERM);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// --- endpoints ---------------------------------------------------------

static void
test_unknown_transport_is_eprotonosupport(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PUSH);
    ZT_ASSERT_FAILS(zmsg_bind(s, "foo://x"), EPROTONOSUPPORT);
    ZT_ASSERT_FAILS(zmsg_connect(s, "foo://x"), EPROTONOSUPPORT);
    zmsg_close(s);
}

static void
test_malformed_endpoint_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    const char *bad[] = {
        "tcp://",
        "tcp",
        "",
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:99999",
        "tcp://127.0.0.1:abc",
        "tcp://:5555",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        if (zmsg_bind(s, bad[i]) != -1 || zmsg_errno() != EINVAL)
            fail_msg("bind \"%s\": want -1/EINVAL, got errno %d", bad[i],
                zmsg_errno());
        errno = 0;
        if (zmsg_connect(s, bad[i]) != -1 || zmsg_errno() != EINVAL)
            fail_msg("connect \"%s\": want -1/EINVAL, got errno %d", bad[i],
                zmsg_errno());
    }
    zmsg_close(s);
}

static void
test_null_endpoint_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(s, NULL), EINVAL);
    ZT_ASSERT_FAILS(zmsg_connect(s, NULL), EINVAL);
    ZT_ASSERT_FAILS(zmsg_unbind(s, NULL), EINVAL);
    ZT_ASSERT_FAILS(zmsg_disconnect(s, NULL), EINVAL);
    zmsg_close(s);
}

static void
test_connect_to_port_zero_or_star_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PUSH);
    ZT_ASSERT_FAILS(zmsg_connect(s, "tcp://127.0.0.1:0"), EINVAL);
    ZT_ASSERT_FAILS(zmsg_connect(s, "tcp://127.0.0.1:*"), EINVAL);
    zmsg_close(s);
}

static void
test_bind_to_bound_port_is_eaddrinuse(void **state)
{
    fixture_t *f = *state;
    void *a = zt_socket(f->ctx, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(a, ep, sizeof(ep));
    void *b = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(b, ep), EADDRINUSE);
    zmsg_close(b);
    zmsg_close(a);
}

// 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
static void
test_bind_to_foreign_address_is_eaddrnotavail(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(s, "tcp://192.0.2.1:5555"), EADDRNOTAVAIL);
    zmsg_close(s);
}

static void
test_unbind_or_disconnect_unknown_is_enoent(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_unbind(s, "tcp://127.0.0.1:5555"), ENOENT);
    ZT_ASSERT_FAILS(zmsg_disconnect(s, "tcp://127.0.0.1:5555"), ENOENT);
    // A bound endpoint can't be disconnected, nor a connected one unbound.
    char ep[256];
    zt_bind_tcp(s, ep, sizeof(ep));
    ZT_ASSERT_FAILS(zmsg_disconnect(s, ep), ENOENT);
    void *c = zt_socket(f->ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(c, ep), 0);
    ZT_ASSERT_FAILS(zmsg_unbind(c, ep), ENOENT);
    zmsg_close(c);
    zmsg_close(s);
}

// --- options -----------------------------------------------------------

static int
get_int(void *s, int opt)
{
    int v = -12345;
    size_t len = sizeof(v);
    assert_int_equal(zmsg_getsockopt(s, opt, &v, &len), 0);
    assert_int_equal(len, sizeof(int));
    return v;
}

// Options zmsg does not know, and options of another socket type, are
// EINVAL both ways.
static void
test_unknown_option_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PUSH);
    int v = 1;
    size_t len = sizeof(v);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, 9999, &v, sizeof(v)), EINVAL);
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, 9999, &v, &len), EINVAL);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, -1, &v, sizeof(v)), EINVAL);
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, 0, &v, &len), EINVAL);
    // SUBSCRIBE belongs to SUB sockets, and nobody can read it back.
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_SUBSCRIBE, "a", 1), EINVAL);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_UNSUBSCRIBE, "a", 1), EINVAL);
    void *sub = zt_socket(f->ctx, ZMSG_SUB);
    char buf[16];
    len = sizeof(buf);
    ZT_ASSERT_FAILS(zmsg_getsockopt(sub, ZMSG_SUBSCRIBE, buf, &len), EINVAL);
    zmsg_close(sub);
    zmsg_close(s);
}

// Every settable int option of api.md's list (the REQ ones on a REQ).
static const int int_options[] = {
    ZMSG_SNDBUF, ZMSG_RCVBUF, ZMSG_LINGER, ZMSG_RECONNECT_IVL, ZMSG_BACKLOG,
    ZMSG_RECONNECT_IVL_MAX, ZMSG_SNDHWM, ZMSG_RCVHWM, ZMSG_RCVTIMEO,
    ZMSG_SNDTIMEO, ZMSG_TCP_KEEPALIVE, ZMSG_TCP_KEEPALIVE_CNT,
    ZMSG_TCP_KEEPALIVE_IDLE, ZMSG_TCP_KEEPALIVE_INTVL, ZMSG_IMMEDIATE,
    ZMSG_IPV6, ZMSG_REQ_CORRELATE, ZMSG_REQ_RELAXED, ZMSG_CONFLATE,
    ZMSG_HANDSHAKE_IVL, ZMSG_INVERT_MATCHING, ZMSG_HEARTBEAT_IVL,
    ZMSG_HEARTBEAT_TTL, ZMSG_HEARTBEAT_TIMEOUT, ZMSG_CONNECT_TIMEOUT,
};

// A value of the wrong size (shorter, longer, none) or a NULL value is
// EINVAL for every int option, and the option keeps its value; the int64
// MAXMSGSIZE refuses an int.
static void
test_option_of_wrong_size_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_REQ);
    for (size_t i = 0; i < sizeof(int_options) / sizeof(int_options[0]); i++) {
        int opt = int_options[i];
        int before = -12345;
        size_t len = sizeof(before);
        assert_int_equal(zmsg_getsockopt(s, opt, &before, &len), 0);
        int64_t big = 1;
        size_t sizes[] = { 0, 1, 2, sizeof(int) + 1, sizeof(int64_t) };
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            errno = 0;
            if (zmsg_setsockopt(s, opt, &big, sizes[k]) != -1 ||
                zmsg_errno() != EINVAL)
                fail_msg("option %d with %zu bytes: want -1/EINVAL", opt,
                         sizes[k]);
        }
        errno = 0;
        if (zmsg_setsockopt(s, opt, NULL, sizeof(int)) != -1 ||
            zmsg_errno() != EINVAL)
            fail_msg("option %d with NULL: want -1/EINVAL", opt);
        int after = -12345;
        len = sizeof(after);
        assert_int_equal(zmsg_getsockopt(s, opt, &after, &len), 0);
        if (after != before)
            fail_msg("option %d changed from %d to %d", opt, before, after);
    }
    int small = 5;
    ZT_ASSERT_FAILS(
        zmsg_setsockopt(s, ZMSG_MAXMSGSIZE, &small, sizeof(small)), EINVAL);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_MAXMSGSIZE, NULL, 8), EINVAL);
    int64_t max = 0;
    size_t len = sizeof(max);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_MAXMSGSIZE, &max, &len), 0);
    assert_true(max == 268435456); // unchanged
    zmsg_close(s);
}

// Values outside an option's range are EINVAL and leave the default in
// place (libzmq's ranges: HWMs and intervals not negative, -1 only where
// it means "forever"/"OS default", booleans 0 or 1, HEARTBEAT_TTL up to
// 6553599 ms); the values at the edges of each range are accepted.
static void
test_option_out_of_range_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_REQ);
    struct {
        int opt, bad, dflt;
    } cases[] = {
        { ZMSG_SNDHWM, -1, 1000 },
        { ZMSG_RCVHWM, -1, 1000 },
        { ZMSG_LINGER, -2, 1000 },
        { ZMSG_LINGER, INT_MIN, 1000 },
        { ZMSG_RCVTIMEO, -2, ZT_TIMEOUT_MS },
        { ZMSG_SNDTIMEO, -2, ZT_TIMEOUT_MS },
        { ZMSG_RECONNECT_IVL, -2, 100 },
        { ZMSG_RECONNECT_IVL_MAX, -1, 0 },
        { ZMSG_BACKLOG, -1, 100 },
        { ZMSG_SNDBUF, -2, -1 },
        { ZMSG_RCVBUF, -2, -1 },
        { ZMSG_TCP_KEEPALIVE, 2, -1 },
        { ZMSG_TCP_KEEPALIVE, -2, -1 },
        { ZMSG_TCP_KEEPALIVE_CNT, -2, -1 },
        { ZMSG_TCP_KEEPALIVE_IDLE, -2, -1 },
        { ZMSG_TCP_KEEPALIVE_INTVL, -2, -1 },
        { ZMSG_IMMEDIATE, 2, 0 },
        { ZMSG_IMMEDIATE, -1, 0 },
        { ZMSG_IPV6, 2, 0 },
        { ZMSG_IPV6, -1, 0 },
        { ZMSG_REQ_CORRELATE, 2, 0 },
        { ZMSG_REQ_RELAXED, -1, 0 },
        { ZMSG_CONFLATE, 2, 0 },
        { ZMSG_HANDSHAKE_IVL, -1, 30000 },
        { ZMSG_INVERT_MATCHING, 2, 0 },
        { ZMSG_HEARTBEAT_IVL, -1, 0 },
        { ZMSG_HEARTBEAT_TTL, -1, 0 },
        { ZMSG_HEARTBEAT_TTL, 6553600, 0 },
        { ZMSG_HEARTBEAT_TIMEOUT, -2, -1 },
        { ZMSG_CONNECT_TIMEOUT, -1, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        errno = 0;
        if (zmsg_setsockopt(s, cases[i].opt, &cases[i].bad, sizeof(int)) !=
                -1 ||
            zmsg_errno() != EINVAL)
            fail_msg("option %d = %d: want -1/EINVAL", cases[i].opt,
                     cases[i].bad);
        int v = -12345;
        size_t len = sizeof(v);
        assert_int_equal(zmsg_getsockopt(s, cases[i].opt, &v, &len), 0);
        if (v != cases[i].dflt)
            fail_msg("option %d: %d after a refused set, want %d",
                     cases[i].opt, v, cases[i].dflt);
    }
    int64_t bad64 = -2;
    ZT_ASSERT_FAILS(
        zmsg_setsockopt(s, ZMSG_MAXMSGSIZE, &bad64, sizeof(bad64)), EINVAL);
    struct {
        int opt, val;
    } edges[] = {
        { ZMSG_SNDHWM, 0 },          { ZMSG_RCVHWM, INT_MAX },
        { ZMSG_LINGER, -1 },         { ZMSG_RCVTIMEO, -1 },
        { ZMSG_SNDTIMEO, 0 },        { ZMSG_RECONNECT_IVL, -1 },
        { ZMSG_BACKLOG, 0 },         { ZMSG_SNDBUF, 0 },
        { ZMSG_TCP_KEEPALIVE, 0 },   { ZMSG_TCP_KEEPALIVE_CNT, -1 },
        { ZMSG_HANDSHAKE_IVL, 0 },   { ZMSG_HEARTBEAT_TTL, 6553599 },
        { ZMSG_HEARTBEAT_TIMEOUT, 0 }, { ZMSG_CONNECT_TIMEOUT, 0 },
    };
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        if (zmsg_setsockopt(s, edges[i].opt, &edges[i].val, sizeof(int)) != 0)
            fail_msg("option %d = %d refused: errno %d", edges[i].opt,
                     edges[i].val, zmsg_errno());
        assert_int_equal(get_int(s, edges[i].opt), edges[i].val);
    }
    int64_t unlimited = -1;
    assert_int_equal(
        zmsg_setsockopt(s, ZMSG_MAXMSGSIZE, &unlimited, sizeof(unlimited)), 0);
    zmsg_close(s);
}

static void
test_read_only_option_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PUSH);
    int v = ZMSG_PULL;
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_TYPE, &v, sizeof(v)), EINVAL);
    ZT_ASSERT_FAILS(
        zmsg_setsockopt(s, ZMSG_LAST_ENDPOINT, "tcp://1.2.3.4:5", 16), EINVAL);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_RCVMORE, &v, sizeof(v)), EINVAL);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_EVENTS, &v, sizeof(v)), EINVAL);
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_FD, &v, sizeof(v)), EINVAL);
    size_t len = sizeof(v);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_TYPE, &v, &len), 0);
    assert_int_equal(v, ZMSG_PUSH);
    zmsg_close(s);
}

static void
test_getsockopt_with_small_buffer_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    char buf[256];
    size_t len = 2;
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, ZMSG_SNDHWM, buf, &len), EINVAL);
    len = 4;
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, ZMSG_MAXMSGSIZE, buf, &len), EINVAL);
    assert_int_equal(zmsg_setsockopt(s, ZMSG_ROUTING_ID, "abcde", 5), 0);
    len = 3;
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, ZMSG_ROUTING_ID, buf, &len), EINVAL);
    char ep[256];
    zt_bind_tcp(s, ep, sizeof(ep));
    len = strlen(ep); // no room for the terminating NUL
    ZT_ASSERT_FAILS(zmsg_getsockopt(s, ZMSG_LAST_ENDPOINT, buf, &len), EINVAL);
    zmsg_close(s);
}

// Every socket type reads back its ZMSG_TYPE and the documented defaults
// (README: LINGER 1000 and MAXMSGSIZE 256 MiB differ from libzmq; the
// rest are libzmq's) for every option of api.md's list.
static void
test_option_defaults(void **state)
{
    fixture_t *f = *state;
    int types[] = { ZMSG_PUB, ZMSG_SUB, ZMSG_REQ, ZMSG_REP, ZMSG_PULL,
                    ZMSG_PUSH };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        void *s = zmsg_socket(f->ctx, types[i]);
        assert_non_null(s);
        assert_int_equal(get_int(s, ZMSG_TYPE), types[i]);
        assert_int_equal(get_int(s, ZMSG_SNDHWM), 1000);
        assert_int_equal(get_int(s, ZMSG_RCVHWM), 1000);
        assert_int_equal(get_int(s, ZMSG_LINGER), 1000); // zmsg, not libzmq
        assert_int_equal(get_int(s, ZMSG_RECONNECT_IVL), 100);
        assert_int_equal(get_int(s, ZMSG_RECONNECT_IVL_MAX), 0);
        assert_int_equal(get_int(s, ZMSG_RCVTIMEO), -1);
        assert_int_equal(get_int(s, ZMSG_SNDTIMEO), -1);
        assert_int_equal(get_int(s, ZMSG_BACKLOG), 100);
        assert_int_equal(get_int(s, ZMSG_SNDBUF), -1);
        assert_int_equal(get_int(s, ZMSG_RCVBUF), -1);
        assert_int_equal(get_int(s, ZMSG_TCP_KEEPALIVE), -1);
        assert_int_equal(get_int(s, ZMSG_TCP_KEEPALIVE_CNT), -1);
        assert_int_equal(get_int(s, ZMSG_TCP_KEEPALIVE_IDLE), -1);
        assert_int_equal(get_int(s, ZMSG_TCP_KEEPALIVE_INTVL), -1);
        assert_int_equal(get_int(s, ZMSG_IMMEDIATE), 0);
        assert_int_equal(get_int(s, ZMSG_IPV6), 0);
        assert_int_equal(get_int(s, ZMSG_CONFLATE), 0);
        assert_int_equal(get_int(s, ZMSG_HANDSHAKE_IVL), 30000);
        assert_int_equal(get_int(s, ZMSG_INVERT_MATCHING), 0);
        assert_int_equal(get_int(s, ZMSG_HEARTBEAT_IVL), 0);
        assert_int_equal(get_int(s, ZMSG_HEARTBEAT_TTL), 0);
        assert_int_equal(get_int(s, ZMSG_HEARTBEAT_TIMEOUT), -1);
        assert_int_equal(get_int(s, ZMSG_CONNECT_TIMEOUT), 0);
        assert_int_equal(get_int(s, ZMSG_RCVMORE), 0);
        if (types[i] == ZMSG_REQ) {
            assert_int_equal(get_int(s, ZMSG_REQ_CORRELATE), 0);
            assert_int_equal(get_int(s, ZMSG_REQ_RELAXED), 0);
        }
        int64_t max = 0;
        size_t len = sizeof(max);
        assert_int_equal(zmsg_getsockopt(s, ZMSG_MAXMSGSIZE, &max, &len), 0);
        assert_int_equal(len, sizeof(int64_t));
        assert_true(max == 268435456);
        char ep[64];
        len = sizeof(ep);
        assert_int_equal(zmsg_getsockopt(s, ZMSG_LAST_ENDPOINT, ep, &len), 0);
        assert_int_equal(len, 1); // empty until a bind or connect
        assert_string_equal(ep, "");
        zmsg_close(s);
    }
}

// REQ_CORRELATE, REQ_RELAXED and REQ_RESEND_IVL belong to REQ: on any
// other socket they are unknown options (EINVAL), as in libzmq.
static void
test_req_options_only_on_req(void **state)
{
    fixture_t *f = *state;
    const int types[] = { ZMSG_REP, ZMSG_PUB, ZMSG_SUB, ZMSG_PUSH, ZMSG_PULL };
    const int opts[] = { ZMSG_REQ_CORRELATE, ZMSG_REQ_RELAXED,
                         ZMSG_REQ_RESEND_IVL };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        void *s = zmsg_socket(f->ctx, types[i]);
        assert_non_null(s);
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
            int one = 1;
            size_t len = sizeof(one);
            ZT_ASSERT_FAILS(zmsg_setsockopt(s, opts[k], &one, sizeof(one)),
                         EINVAL);
            ZT_ASSERT_FAILS(zmsg_getsockopt(s, opts[k], &one, &len), EINVAL);
        }
        zmsg_close(s);
    }
    void *req = zmsg_socket(f->ctx, ZMSG_REQ);
    for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
        int one = 1;
        assert_int_equal(zmsg_setsockopt(req, opts[k], &one, sizeof(one)), 0);
    }
    zmsg_close(req);
}

static void
test_int_options_round_trip(void **state)
{
    fixture_t *f = *state;
    void *s = zmsg_socket(f->ctx, ZMSG_PUSH);
    assert_non_null(s);
    // Values differ from the defaults, so a get that ignores the set
    // fails. REQ_CORRELATE/REQ_RELAXED belong to REQ sockets (libzmq
    // refuses them elsewhere) and are left to the REQ tests.
    struct {
        int opt, val;
    } cases[] = {
        { ZMSG_SNDBUF, 65536 },
        { ZMSG_RCVBUF, 32768 },
        { ZMSG_LINGER, 250 },
        { ZMSG_RECONNECT_IVL, 250 },
        { ZMSG_BACKLOG, 50 },
        { ZMSG_RECONNECT_IVL_MAX, 5000 },
        { ZMSG_SNDHWM, 5 },
        { ZMSG_RCVHWM, 7 },
        { ZMSG_RCVTIMEO, 1234 },
        { ZMSG_SNDTIMEO, 4321 },
        { ZMSG_TCP_KEEPALIVE, 1 },
        { ZMSG_TCP_KEEPALIVE_CNT, 5 },
        { ZMSG_TCP_KEEPALIVE_IDLE, 60 },
        { ZMSG_TCP_KEEPALIVE_INTVL, 10 },
        { ZMSG_IMMEDIATE, 1 },
        { ZMSG_IPV6, 1 },
        { ZMSG_CONFLATE, 1 },
        { ZMSG_HANDSHAKE_IVL, 5000 },
        { ZMSG_INVERT_MATCHING, 1 },
        { ZMSG_HEARTBEAT_IVL, 1000 },
        { ZMSG_HEARTBEAT_TTL, 2000 },
        { ZMSG_HEARTBEAT_TIMEOUT, 3000 },
        { ZMSG_CONNECT_TIMEOUT, 500 },
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++) {
        if (zmsg_setsockopt(s, cases[i].opt, &cases[i].val, sizeof(int)) != 0)
            fail_msg("set option %d: errno %d", cases[i].opt, zmsg_errno());
    }
    // Read back after all were set: no option overwrote another.
    for (size_t i = 0; i < n; i++) {
        int v = get_int(s, cases[i].opt);
        if (v != cases[i].val)
            fail_msg(
                "option %d: set %d, got %d", cases[i].opt, cases[i].val, v);
    }
    // The int64 one too.
    int64_t max = 4096;
    assert_int_equal(zmsg_setsockopt(s, ZMSG_MAXMSGSIZE, &max, sizeof(max)), 0);
    max = 0;
    size_t len = sizeof(max);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_MAXMSGSIZE, &max, &len), 0);
    assert_true(max == 4096);
    zmsg_close(s);
}

static void
test_routing_id_round_trip(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    unsigned char buf[256];
    size_t len = sizeof(buf);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_ROUTING_ID, buf, &len), 0);
    assert_int_equal(len, 0); // none by default
    const unsigned char id[] = { 'i', 'd', 0x00, 0xff, 0x01 };
    assert_int_equal(zmsg_setsockopt(s, ZMSG_ROUTING_ID, id, sizeof(id)), 0);
    len = sizeof(buf);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_ROUTING_ID, buf, &len), 0);
    assert_int_equal(len, sizeof(id));
    assert_memory_equal(buf, id, sizeof(id));
    // ZMSG_IDENTITY is the same option.
    len = sizeof(buf);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_IDENTITY, buf, &len), 0);
    assert_int_equal(len, sizeof(id));
    zmsg_close(s);
}

// RFC 23: a routing id is 1..255 bytes and doesn't start with a zero.
static void
test_invalid_routing_id_is_einval(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    const unsigned char id[] = { 0x00, 'a', 'b' };
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_ROUTING_ID, id, sizeof(id)), EINVAL);
    unsigned char big[256];
    memset(big, 'r', sizeof(big));
    ZT_ASSERT_FAILS(zmsg_setsockopt(s, ZMSG_ROUTING_ID, big, sizeof(big)), EINVAL);
    unsigned char buf[256];
    size_t len = sizeof(buf);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_ROUTING_ID, buf, &len), 0);
    assert_int_equal(len, 0);
    zmsg_close(s);
}

static void
test_last_endpoint_has_resolved_port(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(s, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_int_equal(len, strlen(ep) + 1);
    const char *prefix = "tcp://127.0.0.1:";
    assert_true(strncmp(ep, prefix, strlen(prefix)) == 0);
    char *end;
    long port = strtol(ep + strlen(prefix), &end, 10);
    assert_int_equal(*end, '\0');
    assert_true(port > 0 && port <= 65535);
    zmsg_close(s);
}

// --- direction, timeouts, truncation -----------------------------------

static void
test_send_on_pull_is_enotsup(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_send(s, "x", 1, 0), ENOTSUP);
    zmsg_close(s);
}

static void
test_recv_on_push_is_enotsup(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PUSH);
    char buf[4];
    ZT_ASSERT_FAILS(zmsg_recv(s, buf, sizeof(buf), 0), ENOTSUP);
    zmsg_close(s);
}

static void
test_recv_dontwait_on_empty_is_eagain(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(s, ep, sizeof(ep));
    char buf[4];
    ZT_ASSERT_FAILS(zmsg_recv(s, buf, sizeof(buf), ZMSG_DONTWAIT), EAGAIN);
    zmsg_close(s);
}

static void
test_recv_timeout_is_eagain_after_timeout(void **state)
{
    fixture_t *f = *state;
    void *s = zt_socket(f->ctx, ZMSG_PULL);
    zt_setint(s, ZMSG_RCVTIMEO, 50);
    char ep[256];
    zt_bind_tcp(s, ep, sizeof(ep));
    char buf[4];
    int64_t t0 = zt_now_ms();
    ZT_ASSERT_FAILS(zmsg_recv(s, buf, sizeof(buf), 0), EAGAIN);
    assert_true(zt_now_ms() - t0 >= 45);
    zmsg_close(s);
}

static void
test_recv_truncates_and_returns_full_size(void **state)
{
    fixture_t *f = *state;
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    char ep[256];
    zt_bind_tcp(pull, ep, sizeof(ep));
    void *push = zt_socket(f->ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    assert_int_equal(zmsg_send(push, "0123456789", 10, 0), 10);
    char buf[8];
    memset(buf, '#', sizeof(buf));
    assert_int_equal(zmsg_recv(pull, buf, 4, 0), 10);
    assert_memory_equal(buf, "0123####", 8); // 4 copied, nothing beyond
    zmsg_close(push);
    zmsg_close(pull);
}

// --- error strings and version -----------------------------------------

static void
test_error_constants_and_strings(void **state)
{
    (void) state;
    assert_int_equal(ZMSG_EFSM, 156384712 + 51);
    assert_int_equal(ZMSG_ENOCOMPATPROTO, 156384712 + 52);
    assert_int_equal(ZMSG_ETERM, 156384712 + 53);
    assert_int_equal(ZMSG_EMTHREAD, 156384712 + 54);
    int own[] = { ZMSG_EFSM, ZMSG_ENOCOMPATPROTO, ZMSG_ETERM, ZMSG_EMTHREAD };
    for (int i = 0; i < 4; i++) {
        const char *text = zmsg_strerror(own[i]);
        assert_non_null(text);
        assert_true(strlen(text) > 0);
        // Not the system's "Unknown error NNN".
        assert_null(strstr(text, "Unknown error"));
    }
    assert_string_equal(zmsg_strerror(ZMSG_ETERM), "Context was terminated");
    assert_string_equal(zmsg_strerror(EINVAL), strerror(EINVAL));
    errno = EAGAIN;
    assert_int_equal(zmsg_errno(), EAGAIN);
}

// zmsg_version reports what the header says (both come from the one
// version in CMakeLists.txt), and ZMSG_VERSION packs it.
static void
test_version_matches_header(void **state)
{
    (void) state;
    int major = -1, minor = -1, patch = -1;
    zmsg_version(&major, &minor, &patch);
    assert_int_equal(major, ZMSG_VERSION_MAJOR);
    assert_int_equal(minor, ZMSG_VERSION_MINOR);
    assert_int_equal(patch, ZMSG_VERSION_PATCH);
    assert_int_equal(ZMSG_VERSION, ZMSG_MAKE_VERSION(major, minor, patch));
    assert_true(major >= 0 && minor >= 0 && patch >= 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_socket_is_enotsock),
        T(test_closed_socket_is_enotsock),
        cmocka_unit_test(test_null_context_is_efault),
        T(test_unknown_socket_type_is_einval),
        cmocka_unit_test(test_socket_after_shutdown_is_eterm),
        T(test_unknown_transport_is_eprotonosupport),
        T(test_malformed_endpoint_is_einval),
        T(test_null_endpoint_is_einval),
        T(test_connect_to_port_zero_or_star_is_einval),
        T(test_bind_to_bound_port_is_eaddrinuse),
        T(test_bind_to_foreign_address_is_eaddrnotavail),
        T(test_unbind_or_disconnect_unknown_is_enoent),
        T(test_unknown_option_is_einval),
        T(test_option_of_wrong_size_is_einval),
        T(test_option_out_of_range_is_einval),
        T(test_read_only_option_is_einval),
        T(test_getsockopt_with_small_buffer_is_einval),
        T(test_option_defaults),
        T(test_int_options_round_trip),
        T(test_req_options_only_on_req),
        T(test_routing_id_round_trip),
        T(test_invalid_routing_id_is_einval),
        T(test_last_endpoint_has_resolved_port),
        T(test_send_on_pull_is_enotsup),
        T(test_recv_on_push_is_enotsup),
        T(test_recv_dontwait_on_empty_is_eagain),
        T(test_recv_timeout_is_eagain_after_timeout),
        T(test_recv_truncates_and_returns_full_size),
        cmocka_unit_test(test_error_constants_and_strings),
        cmocka_unit_test(test_version_matches_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
