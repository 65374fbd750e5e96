// local_lat: the echoing half of libzmq's two-process latency test.
//
// Same arguments as libzmq's perf/local_lat: binds a REP socket to BIND-TO
// and echoes ROUNDTRIP-COUNT messages of MESSAGE-SIZE bytes. Run remote_lat
// (or libzmq's) against it.

#include "util.h"

int
main(int argc, char **argv)
{
    bench_tool = "local_lat";
    if (argc != 4)
        bench_usage("<bind-to> <message-size> <roundtrip-count>\n");
    const char *bind_to = argv[1];
    size_t size = (size_t) bench_parse(argv[2], "message-size", INT_MAX);
    long long count = bench_parse(argv[3], "roundtrip-count", INT_MAX);

    void *ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    void *s = B(socket)(ctx, BC(REP));
    if (s == NULL)
        bench_die("socket");
    char prefix[128], peer[256];
    snprintf(prefix, sizeof(prefix), "lib=%s case=local_lat tr=%s", BENCH_LIB,
        bench_transport(bind_to));
    bench_bind(s, bind_to, prefix, peer, sizeof(peer));

    B(msg_t) msg;
    if (B(msg_init)(&msg) != 0)
        bench_die("msg_init");
    for (long long i = 0; i < count; i++) {
        if (B(msg_recv)(&msg, s, 0) < 0)
            bench_die("recv");
        if (B(msg_size)(&msg) != size) {
            fprintf(stderr, "message of incorrect size received\n");
            return 1;
        }
        if (B(msg_send)(&msg, s, 0) < 0)
            bench_die("send");
    }
    B(msg_close)(&msg);

    B(close)(s);
    B(ctx_term)(ctx);
    return 0;
}
