// inproc_lat: libzmq's in-process latency test.
//
// Same arguments and output as libzmq's perf/inproc_lat: a worker thread's
// REP echoes ROUNDTRIP-COUNT messages of MESSAGE-SIZE bytes over inproc://
// (one context); the main thread's REQ prints the average one-way latency
// (half a round trip). For percentiles use lat.

#include "util.h"

#include <pthread.h>

static void *rep;
static size_t size;
static long long count;

static void *
worker(void *arg)
{
    (void) arg;
    B(msg_t) msg;
    if (B(msg_init)(&msg) != 0)
        bench_die("msg_init");
    for (long long i = 0; i < count; i++) {
        if (B(msg_recv)(&msg, rep, 0) < 0)
            bench_die("recv");
        if (B(msg_send)(&msg, rep, 0) < 0)
            bench_die("send");
    }
    B(msg_close)(&msg);
    return NULL;
}

int
main(int argc, char **argv)
{
    bench_tool = "inproc_lat";
    if (argc != 3)
        bench_usage("<message-size> <roundtrip-count>\n");
    size = (size_t) bench_parse(argv[1], "message-size", INT_MAX);
    count = bench_parse(argv[2], "roundtrip-count", INT_MAX);
    if (count < 1)
        bench_usage("<message-size> <roundtrip-count>\n");

    void *ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    rep = B(socket)(ctx, BC(REP));
    void *req = B(socket)(ctx, BC(REQ));
    if (rep == NULL || req == NULL)
        bench_die("socket");
    char prefix[128], peer[256];
    snprintf(
        prefix, sizeof(prefix), "lib=%s case=inproc_lat tr=inproc", BENCH_LIB);
    bench_bind(rep, "inproc://lat_test", prefix, peer, sizeof(peer));
    if (B(connect)(req, peer) != 0)
        bench_die("connect");

    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0)
        abort();
    B(msg_t) msg;
    if (B(msg_init_size)(&msg, size) != 0)
        bench_die("msg_init_size");
    uint64_t start = bench_now_ns();
    for (long long i = 0; i < count; i++) {
        if (B(msg_send)(&msg, req, 0) < 0)
            bench_die("send");
        if (B(msg_recv)(&msg, req, 0) < 0)
            bench_die("recv");
        if (B(msg_size)(&msg) != size) {
            fprintf(stderr, "message of incorrect size received\n");
            return 1;
        }
    }
    double elapsed_us = (double) (bench_now_ns() - start) / 1000;
    B(msg_close)(&msg);
    pthread_join(thread, NULL);

    printf("message size: %zu [B]\n", size);
    printf("roundtrip count: %lld\n", count);
    printf("average latency: %.3f [us]\n", elapsed_us / (double) count / 2);

    B(close)(req);
    B(close)(rep);
    B(ctx_term)(ctx);
    return 0;
}
