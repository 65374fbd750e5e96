// inproc_thr: libzmq's in-process throughput test.
//
// Same arguments and output as libzmq's perf/inproc_thr: a worker thread
// sends MESSAGE-COUNT messages of MESSAGE-SIZE bytes over PUSH/PULL on
// inproc:// (one context) and the main thread prints the mean throughput
// from the first message to the last.

#include "util.h"

#include <pthread.h>

static void *ctx;
static size_t size;
static long long count;

static void *
worker(void *arg)
{
    (void) arg;
    void *s = B(socket)(ctx, BC(PUSH));
    if (s == NULL)
        bench_die("socket");
    if (B(connect)(s, "inproc://thr_test") != 0)
        bench_die("connect");
    for (long long i = 0; i < count; i++) {
        B(msg_t) msg;
        if (B(msg_init_size)(&msg, size) != 0)
            bench_die("msg_init_size");
        if (B(msg_send)(&msg, s, 0) < 0)
            bench_die("send");
        B(msg_close)(&msg);
    }
    B(close)(s);
    return NULL;
}

int
main(int argc, char **argv)
{
    bench_tool = "inproc_thr";
    if (argc != 3)
        bench_usage("<message-size> <message-count>\n");
    size = (size_t) bench_parse(argv[1], "message-size", INT_MAX);
    count = bench_parse(argv[2], "message-count", INT_MAX);
    if (count < 1)
        bench_usage("<message-size> <message-count>\n");

    ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    void *s = B(socket)(ctx, BC(PULL));
    if (s == NULL)
        bench_die("socket");
    char prefix[128], peer[256];
    snprintf(
        prefix, sizeof(prefix), "lib=%s case=inproc_thr tr=inproc", BENCH_LIB);
    bench_bind(s, "inproc://thr_test", prefix, peer, sizeof(peer));

    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0)
        abort();
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
    pthread_join(thread, NULL);

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
