// local_thr: the receiving half of libzmq's two-process throughput test.
//
// Same arguments and output as libzmq's perf/local_thr: binds a PULL socket
// to BIND-TO, receives MESSAGE-COUNT messages of MESSAGE-SIZE bytes and
// prints the mean throughput from the first message to the last. Run
// remote_thr (or libzmq's) against it.

#include "util.h"

int
main(int argc, char **argv)
{
    bench_tool = "local_thr";
    if (argc != 4)
        bench_usage("<bind-to> <message-size> <message-count>\n");
    const char *bind_to = argv[1];
    size_t size = (size_t) bench_parse(argv[2], "message-size", INT_MAX);
    long long count = bench_parse(argv[3], "message-count", INT_MAX);
    if (count < 1)
        bench_usage("<bind-to> <message-size> <message-count>\n");

    void *ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    void *s = B(socket)(ctx, BC(PULL));
    if (s == NULL)
        bench_die("socket");
    char prefix[128], peer[256];
    snprintf(prefix, sizeof(prefix), "lib=%s case=local_thr tr=%s", BENCH_LIB,
        bench_transport(bind_to));
    bench_bind(s, bind_to, prefix, peer, sizeof(peer));

    B(msg_t) msg;
    if (B(msg_init)(&msg) != 0)
        bench_die("msg_init");
    if (B(msg_recv)(&msg, s, 0) < 0)
        bench_die("recv");
    uint64_t start = bench_now_ns();
    for (long long i = 1; i < count; i++) {
        if (B(msg_recv)(&msg, s, 0) < 0)
            bench_die("recv");
        if (B(msg_size)(&msg) != size) {
            fprintf(stderr, "message of incorrect size received\n");
            return 1;
        }
    }
    uint64_t elapsed_us = (bench_now_ns() - start) / 1000;
    if (elapsed_us == 0)
        elapsed_us = 1;
    B(msg_close)(&msg);

    unsigned long throughput
        = (unsigned long) ((double) count / (double) elapsed_us * 1000000);
    double megabits = (double) throughput * (double) size * 8 / 1000000;
    printf("message size: %zu [B]\n", size);
    printf("message count: %lld\n", count);
    printf("mean throughput: %lu [msg/s]\n", throughput);
    printf("mean throughput: %.3f [Mb/s]\n", megabits);

    B(close)(s);
    B(ctx_term)(ctx);
    return 0;
}
