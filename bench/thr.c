// thr: one-process throughput benchmark, PUSH/PULL or PUB/SUB.
//
// A sender thread sends COUNT messages of SIZE bytes; the receiver (one PULL,
// or SUBS subscribers each in its own thread) takes them all. The rate runs
// from the first to the last receive, as in libzmq's local_thr: deliveries
// divided by that time (for PUB/SUB fan-out, deliveries = SUBS * COUNT and
// the time runs from the earliest first receive to the latest last one).
//
// The receiving side binds, except for PUB/SUB where the publisher binds. For
// tcp:// and ipc:// each side has its own context (as two processes would);
// inproc:// needs one, and -c forces one everywhere.
//
// PUB/SUB defaults to HWM 0 (no limit): every message must arrive, and a
// receive that times out (-t) is an error. Before the timed run the publisher
// sends empty "marker" messages until every subscriber has seen one, so that
// no subscription is still in flight when the real messages start.
//
// Output, one line:
//   lib=zmsg case=pushpull tr=tcp size=64 count=N subs=1 hwm=1000 ...
//   elapsed_s=... msgs_per_s=... mb_per_s=...   (MB = 10^6 bytes)

#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MAX_SUBS 256

typedef struct {
    void *sock;
    uint64_t first_ns;
    uint64_t last_ns;
    long long got;
} receiver_t;

static bool pubsub;
static size_t msg_size;
static long long msg_count;
static int nsubs = 1;
static int timeout_ms = 30000;
static void *sender_sock;
static receiver_t receivers[MAX_SUBS];
static atomic_int subs_ready;

// Sends the messages; for PUB/SUB first sends markers until every
// subscriber has one.
static void *
sender_main(void *arg)
{
    (void) arg;
    char *buf = calloc(1, msg_size);
    if (buf == NULL)
        abort();
    if (pubsub) {
        while (atomic_load(&subs_ready) < nsubs) {
            if (B(send)(sender_sock, "", 0, 0) != 0)
                bench_die("send marker");
            usleep(1000);
        }
    }
    for (long long i = 0; i < msg_count; i++)
        if (B(send)(sender_sock, buf, msg_size, 0) < 0)
            bench_die("send");
    free(buf);
    return NULL;
}

// Receives COUNT messages, timing the first and the last.
static void *
receiver_main(void *arg)
{
    receiver_t *r = arg;
    B(msg_t) msg;
    B(msg_init)(&msg);
    bool marked = false;
    while (r->got < msg_count) {
        if (B(msg_recv)(&msg, r->sock, 0) < 0) {
            if (B(errno)() == EAGAIN) {
                fprintf(stderr,
                    "%s (%s): timeout after %lld of %lld messages\n",
                    bench_tool, BENCH_LIB, r->got, msg_count);
                exit(1);
            }
            bench_die("recv");
        }
        size_t n = B(msg_size)(&msg);
        if (n == 0 && pubsub && r->got == 0) {
            if (!marked)
                atomic_fetch_add(&subs_ready, 1);
            marked = true;
            continue;
        }
        if (r->got == 0) {
            r->first_ns = bench_now_ns();
            if (n != msg_size) {
                fprintf(stderr, "%s: got %zu bytes, want %zu\n", bench_tool, n,
                    msg_size);
                exit(1);
            }
        }
        r->got++;
    }
    r->last_ns = bench_now_ns();
    B(msg_close)(&msg);
    return NULL;
}

static const char usage_text[]
    = "[-c] [-s SUBS] [-H HWM] [-t MS] pushpull|pubsub ENDPOINT SIZE COUNT\n"
      "  -c       one context for both sides (always so for inproc://)\n"
      "  -s SUBS  PUB/SUB: number of subscribers, each in its own thread\n"
      "  -H HWM   high-water mark on both sides (default: library default\n"
      "           for PUSH/PULL, 0 = unlimited for PUB/SUB)\n"
      "  -t MS    receive timeout, an error (default 30000)\n";

int
main(int argc, char **argv)
{
    bench_tool = "thr";
    bool shared = false;
    int hwm = -1;
    int opt;
    while ((opt = getopt(argc, argv, "cs:H:t:")) != -1) {
        switch (opt) {
        case 'c':
            shared = true;
            break;
        case 's':
            nsubs = (int) bench_parse(optarg, "SUBS", MAX_SUBS);
            break;
        case 'H':
            hwm = (int) bench_parse(optarg, "HWM", INT_MAX);
            break;
        case 't':
            timeout_ms = (int) bench_parse(optarg, "MS", INT_MAX);
            break;
        default:
            bench_usage(usage_text);
        }
    }
    if (argc - optind != 4)
        bench_usage(usage_text);
    const char *pattern = argv[optind];
    const char *endpoint = argv[optind + 1];
    msg_size = (size_t) bench_parse(argv[optind + 2], "SIZE", INT_MAX);
    msg_count = bench_parse(argv[optind + 3], "COUNT", LLONG_MAX);
    if (strcmp(pattern, "pubsub") == 0)
        pubsub = true;
    else if (strcmp(pattern, "pushpull") != 0)
        bench_usage(usage_text);
    if (!pubsub)
        nsubs = 1;
    if (nsubs < 1 || msg_count < 1 || (pubsub && msg_size == 0)) {
        fprintf(stderr,
            "thr: need SUBS >= 1, COUNT >= 1 and, for pubsub, "
            "SIZE >= 1 (empty messages are markers)\n");
        return 2;
    }
    if (pubsub && hwm < 0)
        hwm = 0;
    if (strcmp(bench_transport(endpoint), "inproc") == 0)
        shared = true;

    char prefix[256];
    snprintf(prefix, sizeof(prefix),
        "lib=%s case=%s tr=%s size=%zu count=%lld subs=%d hwm=%d", BENCH_LIB,
        pattern, bench_transport(endpoint), msg_size, msg_count, nsubs, hwm);

    void *send_ctx = B(ctx_new)();
    void *recv_ctx = shared ? send_ctx : B(ctx_new)();
    if (send_ctx == NULL || recv_ctx == NULL)
        bench_die("ctx_new");

    sender_sock = B(socket)(send_ctx, pubsub ? BC(PUB) : BC(PUSH));
    if (sender_sock == NULL)
        bench_die("socket");
    if (hwm >= 0)
        bench_setint(sender_sock, BC(SNDHWM), hwm);
    for (int i = 0; i < nsubs; i++) {
        void *s = B(socket)(recv_ctx, pubsub ? BC(SUB) : BC(PULL));
        if (s == NULL)
            bench_die("socket");
        if (hwm >= 0)
            bench_setint(s, BC(RCVHWM), hwm);
        bench_setint(s, BC(RCVTIMEO), timeout_ms);
        if (pubsub && B(setsockopt)(s, BC(SUBSCRIBE), "", 0) != 0)
            bench_die("subscribe");
        receivers[i].sock = s;
    }

    // The receiving side binds for PUSH/PULL, the publisher for PUB/SUB.
    char peer[256];
    if (pubsub) {
        bench_bind(sender_sock, endpoint, prefix, peer, sizeof(peer));
        for (int i = 0; i < nsubs; i++)
            if (B(connect)(receivers[i].sock, peer) != 0)
                bench_die(peer);
    } else {
        bench_bind(receivers[0].sock, endpoint, prefix, peer, sizeof(peer));
        if (B(connect)(sender_sock, peer) != 0)
            bench_die(peer);
    }

    pthread_t sender, recv_threads[MAX_SUBS];
    for (int i = 0; i < nsubs; i++)
        if (pthread_create(&recv_threads[i], NULL, receiver_main, &receivers[i])
            != 0)
            abort();
    if (pthread_create(&sender, NULL, sender_main, NULL) != 0)
        abort();
    pthread_join(sender, NULL);
    uint64_t first = UINT64_MAX, last = 0;
    for (int i = 0; i < nsubs; i++) {
        pthread_join(recv_threads[i], NULL);
        if (receivers[i].first_ns < first)
            first = receivers[i].first_ns;
        if (receivers[i].last_ns > last)
            last = receivers[i].last_ns;
    }

    double secs = (double) (last - first) / 1e9;
    double deliveries = (double) msg_count * nsubs;
    double rate = secs > 0 ? deliveries / secs : 0;
    printf("%s cpus=%d elapsed_s=%.4f msgs_per_s=%.0f mb_per_s=%.2f\n", prefix,
        bench_cpus(), secs, rate, rate * (double) msg_size / 1e6);
    fflush(stdout);

    bench_setint(sender_sock, BC(LINGER), 0);
    B(close)(sender_sock);
    for (int i = 0; i < nsubs; i++)
        B(close)(receivers[i].sock);
    B(ctx_term)(send_ctx);
    if (recv_ctx != send_ctx)
        B(ctx_term)(recv_ctx);
    return 0;
}
