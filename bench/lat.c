// lat: one-process REQ/REP latency benchmark.
//
// A REP thread echoes; the main thread's REQ sends SIZE bytes ROUNDTRIPS
// times (after WARMUP untimed round trips) and times each round trip. The
// one-way latency is half the round trip; the tool reports its mean, p50,
// p99 and minimum in microseconds.
//
// For tcp:// and ipc:// each side has its own context (as two processes
// would); inproc:// needs one, and -c forces one everywhere. Pinning is
// left to the caller: `taskset -c 0 lat ...` puts both threads and the
// libraries' I/O threads on one CPU ("cpus=1" in the output).
//
// Output, one line:
//   lib=zmsg case=reqrep tr=tcp size=64 count=N cpus=1 mean_us=...
//   p50_us=... p99_us=... min_us=...

#include "util.h"

#include <pthread.h>
#include <stdbool.h>

static size_t msg_size;
static long long total;
static void *rep_sock;

// Echoes every request back.
static void *
rep_main(void *arg)
{
    (void) arg;
    B(msg_t) msg;
    B(msg_init)(&msg);
    for (long long i = 0; i < total; i++) {
        if (B(msg_recv)(&msg, rep_sock, 0) < 0)
            bench_die("rep recv");
        if (B(msg_send)(&msg, rep_sock, 0) < 0)
            bench_die("rep send");
    }
    B(msg_close)(&msg);
    return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static const char usage_text[]
    = "[-c] [-w WARMUP] ENDPOINT SIZE ROUNDTRIPS\n"
      "  -c         one context for both sides (always so for inproc://)\n"
      "  -w WARMUP  untimed round trips first (default 1000)\n";

int
main(int argc, char **argv)
{
    bench_tool = "lat";
    bool shared = false;
    long long warmup = 1000;
    int opt;
    while ((opt = getopt(argc, argv, "cw:")) != -1) {
        switch (opt) {
        case 'c':
            shared = true;
            break;
        case 'w':
            warmup = bench_parse(optarg, "WARMUP", INT_MAX);
            break;
        default:
            bench_usage(usage_text);
        }
    }
    if (argc - optind != 3)
        bench_usage(usage_text);
    const char *endpoint = argv[optind];
    msg_size = (size_t) bench_parse(argv[optind + 1], "SIZE", INT_MAX);
    long long count = bench_parse(argv[optind + 2], "ROUNDTRIPS", INT_MAX);
    if (count < 1)
        bench_usage(usage_text);
    total = warmup + count;
    if (strcmp(bench_transport(endpoint), "inproc") == 0)
        shared = true;

    char prefix[256];
    snprintf(prefix, sizeof(prefix),
        "lib=%s case=reqrep tr=%s size=%zu count=%lld", BENCH_LIB,
        bench_transport(endpoint), msg_size, count);

    void *rep_ctx = B(ctx_new)();
    void *req_ctx = shared ? rep_ctx : B(ctx_new)();
    if (rep_ctx == NULL || req_ctx == NULL)
        bench_die("ctx_new");
    rep_sock = B(socket)(rep_ctx, BC(REP));
    void *req = B(socket)(req_ctx, BC(REQ));
    if (rep_sock == NULL || req == NULL)
        bench_die("socket");
    char peer[256];
    bench_bind(rep_sock, endpoint, prefix, peer, sizeof(peer));
    if (B(connect)(req, peer) != 0)
        bench_die(peer);

    uint64_t *rtt = malloc(sizeof(*rtt) * (size_t) count);
    char *buf = calloc(1, msg_size + 1);
    if (rtt == NULL || buf == NULL)
        abort();
    pthread_t rep;
    if (pthread_create(&rep, NULL, rep_main, NULL) != 0)
        abort();
    B(msg_t) msg;
    B(msg_init)(&msg);
    for (long long i = 0; i < total; i++) {
        uint64_t t0 = bench_now_ns();
        if (B(send)(req, buf, msg_size, 0) < 0)
            bench_die("req send");
        if (B(msg_recv)(&msg, req, 0) < 0)
            bench_die("req recv");
        uint64_t t1 = bench_now_ns();
        if (B(msg_size)(&msg) != msg_size) {
            fprintf(stderr, "lat: reply of %zu bytes, want %zu\n",
                B(msg_size)(&msg), msg_size);
            return 1;
        }
        if (i >= warmup)
            rtt[i - warmup] = t1 - t0;
    }
    B(msg_close)(&msg);
    pthread_join(rep, NULL);

    double sum = 0;
    for (long long i = 0; i < count; i++)
        sum += (double) rtt[i];
    qsort(rtt, (size_t) count, sizeof(*rtt), cmp_u64);
    // One-way latency in microseconds: half a round trip.
    double scale = 1.0 / 2000.0;
    double p50 = (double) rtt[(count - 1) / 2] * scale;
    double p99 = (double) rtt[(count - 1) * 99 / 100] * scale;
    printf("%s cpus=%d mean_us=%.3f p50_us=%.3f p99_us=%.3f min_us=%.3f\n",
        prefix, bench_cpus(), sum / (double) count * scale, p50, p99,
        (double) rtt[0] * scale);
    fflush(stdout);

    free(rtt);
    free(buf);
    B(close)(req);
    B(close)(rep_sock);
    B(ctx_term)(req_ctx);
    if (req_ctx != rep_ctx)
        B(ctx_term)(rep_ctx);
    return 0;
}
