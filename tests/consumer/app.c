// A program built out of tree against an installed zmsg, the way a user
// builds one: scripts/test.sh's install job compiles it with find_package
// (CMakeLists.txt) and with pkg-config (Makefile) and runs it.
//
// It proves that #include <zmsg.h> found zmsg's header, not CZMQ's (which
// has no ZMSG_PUSH and a guard of its own), that the header and the library
// agree on the version, and that messages go round over inproc and tcp.
// Prints "zmsg X.Y.Z: ok" and exits 0, or says what failed and exits 1.

#include <zmsg.h>

#ifdef __ZMSG_H_INCLUDED__
#error "this is CZMQ's zmsg.h, not zmsg's"
#endif
#ifndef ZMSG_PUSH
#error "zmsg.h has no ZMSG_PUSH: not zmsg's header"
#endif

#include <stdio.h>
#include <string.h>

// Says what failed, with zmsg's description of the error.
static void
report(const char *what)
{
    fprintf(
        stderr, "consumer: %s failed: %s\n", what, zmsg_strerror(zmsg_errno()));
}

// Goes to `done` with a report if expr is false.
#define TRY(expr, what)                                                        \
    do {                                                                       \
        if (!(expr)) {                                                         \
            report(what);                                                      \
            goto done;                                                         \
        }                                                                      \
    } while (0)

int
main(void)
{
    int major, minor, patch;
    zmsg_version(&major, &minor, &patch);
    if (major != ZMSG_VERSION_MAJOR || minor != ZMSG_VERSION_MINOR
        || patch != ZMSG_VERSION_PATCH) {
        fprintf(stderr,
            "consumer: header says zmsg %d.%d.%d, library %d.%d.%d\n",
            ZMSG_VERSION_MAJOR, ZMSG_VERSION_MINOR, ZMSG_VERSION_PATCH, major,
            minor, patch);
        return 1;
    }

    int ok = 0;
    void *push = NULL, *pull = NULL, *req = NULL, *rep = NULL;
    void *ctx = zmsg_ctx_new();
    if (ctx == NULL) {
        report("zmsg_ctx_new");
        return 1;
    }
    int timeout = 10000; // ms: fail rather than hang
    char buf[16];
    char endpoint[256];
    size_t len = sizeof endpoint;

    // PUSH to PULL over inproc.
    TRY((push = zmsg_socket(ctx, ZMSG_PUSH)) != NULL, "zmsg_socket PUSH");
    TRY((pull = zmsg_socket(ctx, ZMSG_PULL)) != NULL, "zmsg_socket PULL");
    TRY(zmsg_setsockopt(pull, ZMSG_RCVTIMEO, &timeout, sizeof timeout) == 0,
        "zmsg_setsockopt");
    TRY(zmsg_bind(pull, "inproc://consumer") == 0, "zmsg_bind");
    TRY(zmsg_connect(push, "inproc://consumer") == 0, "zmsg_connect");
    TRY(zmsg_send(push, "ping", 4, 0) == 4, "zmsg_send over inproc");
    TRY(zmsg_recv(pull, buf, sizeof buf, 0) == 4 && memcmp(buf, "ping", 4) == 0,
        "zmsg_recv over inproc");

    // REQ to REP and back over tcp, on a port the system picks.
    TRY((rep = zmsg_socket(ctx, ZMSG_REP)) != NULL, "zmsg_socket REP");
    TRY((req = zmsg_socket(ctx, ZMSG_REQ)) != NULL, "zmsg_socket REQ");
    TRY(zmsg_setsockopt(req, ZMSG_RCVTIMEO, &timeout, sizeof timeout) == 0
            && zmsg_setsockopt(rep, ZMSG_RCVTIMEO, &timeout, sizeof timeout)
                == 0,
        "zmsg_setsockopt");
    TRY(zmsg_bind(rep, "tcp://127.0.0.1:*") == 0, "zmsg_bind");
    TRY(zmsg_getsockopt(rep, ZMSG_LAST_ENDPOINT, endpoint, &len) == 0,
        "zmsg_getsockopt ZMSG_LAST_ENDPOINT");
    TRY(zmsg_connect(req, endpoint) == 0, "zmsg_connect");
    TRY(zmsg_send(req, "ping", 4, 0) == 4, "zmsg_send over tcp");
    TRY(zmsg_recv(rep, buf, sizeof buf, 0) == 4 && memcmp(buf, "ping", 4) == 0,
        "zmsg_recv over tcp");
    TRY(zmsg_send(rep, "pong", 4, 0) == 4, "zmsg_send over tcp");
    TRY(zmsg_recv(req, buf, sizeof buf, 0) == 4 && memcmp(buf, "pong", 4) == 0,
        "zmsg_recv over tcp");
    ok = 1;

done:;
    void *const sockets[] = { push, pull, req, rep };
    for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++)
        if (sockets[i] != NULL)
            zmsg_close(sockets[i]);
    if (zmsg_ctx_term(ctx) != 0) {
        report("zmsg_ctx_term");
        ok = 0;
    }
    if (!ok)
        return 1;
    printf("zmsg %d.%d.%d: ok\n", major, minor, patch);
    return 0;
}
