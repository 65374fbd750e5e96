// remote_thr: the sending half of libzmq's two-process throughput test.
//
// Same arguments as libzmq's perf/remote_thr: connects a PUSH socket to
// CONNECT-TO and sends MESSAGE-COUNT messages of MESSAGE-SIZE bytes, then
// waits (infinite linger) until they have all gone.

#include "util.h"

int
main(int argc, char **argv)
{
    bench_tool = "remote_thr";
    if (argc != 4)
        bench_usage("<connect-to> <message-size> <message-count>\n");
    const char *connect_to = argv[1];
    size_t size = (size_t) bench_parse(argv[2], "message-size", INT_MAX);
    long long count = bench_parse(argv[3], "message-count", INT_MAX);

    void *ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    void *s = B(socket)(ctx, BC(PUSH));
    if (s == NULL)
        bench_die("socket");
    if (B(connect)(s, connect_to) != 0)
        bench_die(connect_to);

    for (long long i = 0; i < count; i++) {
        B(msg_t) msg;
        if (B(msg_init_size)(&msg, size) != 0)
            bench_die("msg_init_size");
        if (B(msg_send)(&msg, s, 0) < 0)
            bench_die("send");
        B(msg_close)(&msg);
    }

    B(close)(s);
    B(ctx_term)(ctx);
    return 0;
}
