// scale: throughput into one PULL from many connected PUSH peers.
//
// PEERS PUSH sockets (one context, one sender thread) connect to one PULL
// (its own context, the main thread). Each peer first sends one empty
// message; once the PULL has them all, every connection is up and the
// sender sends COUNT messages of SIZE bytes, BURST at a time to each peer
// in turn. The rate runs from the first to the last receive.
//
// Output, one line:
//   lib=zmsg case=scale tr=tcp peers=100 size=64 count=N ...
//   elapsed_s=... msgs_per_s=... mb_per_s=... rss_kib=...

#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static void **pushers;
static int npeers;
static size_t msg_size;
static long long msg_count;
static int burst = 1;
static atomic_int go;

static void *
sender_main(void *arg)
{
    (void) arg;
    for (int i = 0; i < npeers; i++)
        if (B(send)(pushers[i], "", 0, 0) != 0)
            bench_die("send hello");
    while (!atomic_load(&go))
        usleep(100);
    char *buf = calloc(1, msg_size + 1);
    if (buf == NULL)
        abort();
    long long sent = 0;
    int peer = 0;
    while (sent < msg_count) {
        for (int b = 0; b < burst && sent < msg_count; b++, sent++)
            if (B(send)(pushers[peer], buf, msg_size, 0) < 0)
                bench_die("send");
        if (++peer == npeers)
            peer = 0;
    }
    free(buf);
    return NULL;
}

static const char usage_text[]
    = "[-b BURST] PEERS SIZE COUNT [ENDPOINT]\n"
      "  -b BURST  messages sent to one peer before the next (default 1)\n"
      "  ENDPOINT  defaults to tcp://127.0.0.1:*\n";

int
main(int argc, char **argv)
{
    bench_tool = "scale";
    int opt;
    while ((opt = getopt(argc, argv, "b:")) != -1) {
        if (opt == 'b')
            burst = (int) bench_parse(optarg, "BURST", INT_MAX);
        else
            bench_usage(usage_text);
    }
    int nargs = argc - optind;
    if (nargs < 3 || nargs > 4 || burst < 1)
        bench_usage(usage_text);
    npeers = (int) bench_parse(argv[optind], "PEERS", 100000);
    msg_size = (size_t) bench_parse(argv[optind + 1], "SIZE", INT_MAX);
    msg_count = bench_parse(argv[optind + 2], "COUNT", LLONG_MAX);
    const char *endpoint = nargs == 4 ? argv[optind + 3] : "tcp://127.0.0.1:*";
    if (npeers < 1 || msg_size < 1 || msg_count < 1) {
        fprintf(stderr, "scale: PEERS, SIZE and COUNT must be >= 1\n");
        return 2;
    }
    bench_raise_nofile();

    char prefix[256];
    snprintf(prefix, sizeof(prefix),
        "lib=%s case=scale tr=%s peers=%d size=%zu count=%lld burst=%d",
        BENCH_LIB, bench_transport(endpoint), npeers, msg_size, msg_count,
        burst);
    bool inproc = strcmp(bench_transport(endpoint), "inproc") == 0;
    void *recv_ctx = B(ctx_new)();
    void *send_ctx = inproc ? recv_ctx : B(ctx_new)();
    if (recv_ctx == NULL || send_ctx == NULL)
        bench_die("ctx_new");
    B(ctx_set)(send_ctx, BC(MAX_SOCKETS), npeers + 16);
    void *pull = B(socket)(recv_ctx, BC(PULL));
    if (pull == NULL)
        bench_die("socket");
    bench_setint(pull, BC(BACKLOG), 1024);
    char peer_ep[256];
    bench_bind(pull, endpoint, prefix, peer_ep, sizeof(peer_ep));
    pushers = calloc((size_t) npeers, sizeof(*pushers));
    if (pushers == NULL)
        abort();
    for (int i = 0; i < npeers; i++) {
        pushers[i] = B(socket)(send_ctx, BC(PUSH));
        if (pushers[i] == NULL)
            bench_die("socket");
        if (B(connect)(pushers[i], peer_ep) != 0)
            bench_die(peer_ep);
    }

    pthread_t sender;
    if (pthread_create(&sender, NULL, sender_main, NULL) != 0)
        abort();
    B(msg_t) msg;
    B(msg_init)(&msg);
    for (int i = 0; i < npeers; i++) {
        if (B(msg_recv)(&msg, pull, 0) < 0)
            bench_die("recv hello");
        if (B(msg_size)(&msg) != 0) {
            fprintf(stderr, "scale: data before all hellos\n");
            return 1;
        }
    }
    atomic_store(&go, 1);
    uint64_t first = 0;
    for (long long i = 0; i < msg_count; i++) {
        if (B(msg_recv)(&msg, pull, 0) < 0)
            bench_die("recv");
        if (i == 0)
            first = bench_now_ns();
    }
    uint64_t last = bench_now_ns();
    B(msg_close)(&msg);
    pthread_join(sender, NULL);

    double secs = (double) (last - first) / 1e9;
    double rate = secs > 0 ? (double) msg_count / secs : 0;
    printf("%s cpus=%d elapsed_s=%.4f msgs_per_s=%.0f mb_per_s=%.2f "
           "rss_kib=%ld\n",
        prefix, bench_cpus(), secs, rate, rate * (double) msg_size / 1e6,
        bench_rss_kib());
    fflush(stdout);

    for (int i = 0; i < npeers; i++) {
        bench_setint(pushers[i], BC(LINGER), 0);
        B(close)(pushers[i]);
    }
    free(pushers);
    B(close)(pull);
    B(ctx_term)(send_ctx);
    if (send_ctx != recv_ctx)
        B(ctx_term)(recv_ctx);
    return 0;
}
