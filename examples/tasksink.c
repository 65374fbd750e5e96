// Task sink: the last stage of the zguide's parallel pipeline.
//
// It binds a PULL socket on tcp://*:5558 (or -e ENDPOINT), waits for the
// ventilator's start of batch ("0") and for N results from the workers, prints
// a dot per result (a colon every tenth) and the time the batch took. Start it
// before the workers and the ventilator.

#include <zmsg.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXAMPLE_NAME "tasksink"
#include "example.h"

#define DEFAULT_ENDPOINT "tcp://*:5558"
#define DEFAULT_RESULTS 100

static void
usage(void)
{
    fprintf(stderr,
        "usage: tasksink [-e ENDPOINT] [-n RESULTS] [-h]\n"
        "  -e ENDPOINT  where to bind for the results (default %s)\n"
        "  -n RESULTS   number of results to collect (default %d)\n",
        DEFAULT_ENDPOINT, DEFAULT_RESULTS);
    exit(2);
}

// Returns a monotonic clock reading in milliseconds.
static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char *argv[])
{
    const char *endpoint = DEFAULT_ENDPOINT;
    int nresults = DEFAULT_RESULTS;
    int opt;
    while ((opt = getopt(argc, argv, "he:n:")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'n':
            if ((nresults = parse_count(optarg)) < 0)
                usage();
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    catch_stop_signals();

    void *ctx = zmsg_ctx_new();
    if (!ctx)
        die("zmsg_ctx_new");

    void *receiver = zmsg_socket(ctx, ZMSG_PULL);
    if (!receiver)
        die("zmsg_socket");
    if (zmsg_bind(receiver, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_bind %s", endpoint);
        die(what);
    }

    // The start signal and the results come over different connections, so
    // PULL's fair queueing may hand us a result before the "0". Count only
    // the empty results, and stop once we have seen both the start and all
    // of them; the clock starts at whichever message came first.
    bool started = false;
    int results = 0;
    long long start = 0;
    while (!stop_requested && (!started || results < nresults)) {
        char buf[16];
        int size = zmsg_recv(receiver, buf, sizeof buf, 0);
        if (size < 0) {
            if (interrupted())
                break;
            die("zmsg_recv");
        }
        if (!started && results == 0)
            start = now_ms();
        if (size == 1 && buf[0] == '0') {
            started = true;
            continue;
        }
        results++;
        if (results % 10 == 0)
            putchar(':');
        else
            putchar('.');
        fflush(stdout);
    }
    if (stop_requested)
        printf("\ntasksink: interrupted after %d of %d results\n", results,
            nresults);
    else
        printf("\nTotal elapsed time: %lld msec\n", now_ms() - start);

    if (zmsg_close(receiver) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
