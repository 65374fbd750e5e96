// Task ventilator: the first stage of the zguide's parallel pipeline.
//
// It binds a PUSH socket on tcp://*:5557 (or -e ENDPOINT) and hands out N
// tasks to whichever workers connect; each task is its workload in
// milliseconds as a decimal string. Before the tasks it sends "0" to the sink
// (tcp://localhost:5558, or -s ENDPOINT) so that the sink can start its clock.
// Run the sink first, then the workers, then this program.

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

#define EXAMPLE_NAME "taskvent"
#include "example.h"

#define DEFAULT_ENDPOINT "tcp://*:5557"
#define DEFAULT_SINK "tcp://localhost:5558"
#define DEFAULT_TASKS 100

static void
usage(void)
{
    fprintf(stderr,
        "usage: taskvent [-e ENDPOINT] [-s ENDPOINT] [-n TASKS] [-h]\n"
        "  -e ENDPOINT  where to bind for the workers (default %s)\n"
        "  -s ENDPOINT  where to connect to the sink (default %s)\n"
        "  -n TASKS     number of tasks to send (default %d)\n",
        DEFAULT_ENDPOINT, DEFAULT_SINK, DEFAULT_TASKS);
    exit(2);
}

int
main(int argc, char *argv[])
{
    const char *endpoint = DEFAULT_ENDPOINT;
    const char *sink_endpoint = DEFAULT_SINK;
    int ntasks = DEFAULT_TASKS;
    int opt;
    while ((opt = getopt(argc, argv, "he:s:n:")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 's':
            sink_endpoint = optarg;
            break;
        case 'n':
            if ((ntasks = parse_count(optarg)) < 0)
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

    // Tasks go out round-robin to the workers that are connected when each
    // one is sent. A bound PUSH has a pipe only per connected worker, so the
    // first zmsg_send blocks until a worker is there, but workers that join
    // later only get the tasks that are still unsent: with a small batch the
    // first worker may well take them all (the zguide's "slow joiner"). That
    // is correct, only less parallel, and keeps this demo free of sleeps.
    void *sender = zmsg_socket(ctx, ZMSG_PUSH);
    if (!sender)
        die("zmsg_socket");
    if (zmsg_bind(sender, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_bind %s", endpoint);
        die(what);
    }

    void *sink = zmsg_socket(ctx, ZMSG_PUSH);
    if (!sink)
        die("zmsg_socket");
    if (zmsg_connect(sink, sink_endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_connect %s", sink_endpoint);
        die(what);
    }

    // Queued tasks and the start signal must reach their peers after we
    // close. zmsg's default linger is already 1000 ms (libzmq's is forever),
    // which is plenty on localhost; setting it here makes that explicit.
    int linger = 1000;
    if (zmsg_setsockopt(sender, ZMSG_LINGER, &linger, sizeof linger) != 0)
        die("zmsg_setsockopt ZMSG_LINGER");
    if (zmsg_setsockopt(sink, ZMSG_LINGER, &linger, sizeof linger) != 0)
        die("zmsg_setsockopt ZMSG_LINGER");

    // The first message tells the sink that the batch starts now.
    if (zmsg_send(sink, "0", 1, 0) != 1 && !interrupted())
        die("zmsg_send start of batch");

    printf("Sending %d tasks to workers...\n", ntasks);
    srand((unsigned) time(NULL));
    long total_ms = 0;
    int sent = 0;
    for (; sent < ntasks && !stop_requested; sent++) {
        // A random workload from 1 to 10 ms keeps the whole demo short.
        int workload = 1 + rand() % 10;
        total_ms += workload;
        char task[16];
        int len = snprintf(task, sizeof task, "%d", workload);
        if (zmsg_send(sender, task, (size_t) len, 0) != len) {
            if (interrupted())
                break; // NB: this task's workload was counted, not sent
            die("zmsg_send task");
        }
    }
    if (stop_requested)
        printf("taskvent: interrupted after %d of %d tasks\n", sent, ntasks);
    else
        printf("Total expected cost: %ld msec\n", total_ms);

    if (zmsg_close(sink) != 0)
        die("zmsg_close");
    if (zmsg_close(sender) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
