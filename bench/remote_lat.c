// remote_lat: the measuring half of libzmq's two-process latency test.
//
// Same arguments and output as libzmq's perf/remote_lat: connects a REQ
// socket to CONNECT-TO, makes ROUNDTRIP-COUNT round trips of MESSAGE-SIZE
// bytes and prints the average one-way latency (half a round trip). For
// percentiles use lat.

#include "util.h"

int
main(int argc, char **argv)
{
    bench_tool = "remote_lat";
    if (argc != 4)
        bench_usage("<connect-to> <message-size> <roundtrip-count>\n");
    const char *connect_to = argv[1];
    size_t size = (size_t) bench_parse(argv[2], "message-size", INT_MAX);
    long long count = bench_parse(argv[3], "roundtrip-count", INT_MAX);
    if (count < 1)
        bench_usage("<connect-to> <message-size> <roundtrip-count>\n");

    void *ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    void *s = B(socket)(ctx, BC(REQ));
    if (s == NULL)
        bench_die("socket");
    if (B(connect)(s, connect_to) != 0)
        bench_die(connect_to);

    B(msg_t) msg;
    if (B(msg_init_size)(&msg, size) != 0)
        bench_die("msg_init_size");
    uint64_t start = bench_now_ns();
    for (long long i = 0; i < count; i++) {
        if (B(msg_send)(&msg, s, 0) < 0)
            bench_die("send");
        if (B(msg_recv)(&msg, s, 0) < 0)
            bench_die("recv");
        if (B(msg_size)(&msg) != size) {
            fprintf(stderr, "message of incorrect size received\n");
            return 1;
        }
    }
    double elapsed_us = (double) (bench_now_ns() - start) / 1000;
    B(msg_close)(&msg);

    printf("message size: %zu [B]\n", size);
    printf("roundtrip count: %lld\n", count);
    printf("average latency: %.3f [us]\n", elapsed_us / (double) count / 2);

    B(close)(s);
    B(ctx_term)(ctx);
    return 0;
}
