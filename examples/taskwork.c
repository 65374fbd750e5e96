// Task worker: the middle stage of the zguide's parallel pipeline.
//
// It pulls tasks from the ventilator (tcp://localhost:5557, or -v ENDPOINT),
// "works" by sleeping for the task's workload in milliseconds (at most 10 ms),
// and pushes an empty result to the sink (tcp://localhost:5558, or
// -s ENDPOINT). Run as many as you like; each stops after N tasks, or when no
// task has come for a while, so that a demo ends by itself.

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

#define EXAMPLE_NAME "taskwork"
#include "example.h"

#define DEFAULT_VENTILATOR "tcp://localhost:5557"
#define DEFAULT_SINK "tcp://localhost:5558"
#define DEFAULT_IDLE_MS 2000
#define MAX_WORK_MS 10

static void
usage(void)
{
    fprintf(stderr,
        "usage: taskwork [-v ENDPOINT] [-s ENDPOINT] [-n TASKS] [-t MS] "
        "[-h]\n"
        "  -v ENDPOINT  where to connect to the ventilator (default %s)\n"
        "  -s ENDPOINT  where to connect to the sink (default %s)\n"
        "  -n TASKS     stop after this many tasks (default 0: no limit)\n"
        "  -t MS        stop when no task came for MS milliseconds "
        "(default %d)\n",
        DEFAULT_VENTILATOR, DEFAULT_SINK, DEFAULT_IDLE_MS);
    exit(2);
}

// Sleeps for ms milliseconds, or less if asked to stop.
static void
work(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_requested)
        ;
}

int
main(int argc, char *argv[])
{
    const char *vent_endpoint = DEFAULT_VENTILATOR;
    const char *sink_endpoint = DEFAULT_SINK;
    int max_tasks = 0;
    int idle_ms = DEFAULT_IDLE_MS;
    int opt;
    while ((opt = getopt(argc, argv, "hv:s:n:t:")) != -1) {
        switch (opt) {
        case 'v':
            vent_endpoint = optarg;
            break;
        case 's':
            sink_endpoint = optarg;
            break;
        case 'n':
            if ((max_tasks = parse_count(optarg)) < 0)
                usage();
            break;
        case 't':
            if ((idle_ms = parse_count(optarg)) < 0)
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
    // A receive that waits longer than idle_ms fails with EAGAIN, which this
    // worker takes as "the batch is over".
    if (zmsg_setsockopt(receiver, ZMSG_RCVTIMEO, &idle_ms, sizeof idle_ms) != 0)
        die("zmsg_setsockopt ZMSG_RCVTIMEO");
    if (zmsg_connect(receiver, vent_endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_connect %s", vent_endpoint);
        die(what);
    }

    void *sender = zmsg_socket(ctx, ZMSG_PUSH);
    if (!sender)
        die("zmsg_socket");
    // The last results must still reach the sink after we close. zmsg's
    // default linger is already 1000 ms (libzmq's is forever), which is
    // plenty on localhost; setting it here makes that explicit.
    int linger = 1000;
    if (zmsg_setsockopt(sender, ZMSG_LINGER, &linger, sizeof linger) != 0)
        die("zmsg_setsockopt ZMSG_LINGER");
    if (zmsg_connect(sender, sink_endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_connect %s", sink_endpoint);
        die(what);
    }

    int done = 0;
    while (!stop_requested && (max_tasks == 0 || done < max_tasks)) {
        char task[16];
        int size = zmsg_recv(receiver, task, sizeof task - 1, 0);
        if (size < 0) {
            if (interrupted())
                break;
            if (zmsg_errno() == EAGAIN)
                break; // Idle for idle_ms: no more tasks are coming.
            die("zmsg_recv");
        }
        if ((size_t) size >= sizeof task)
            size = (int) sizeof task - 1; // Truncated: not one of ours.
        task[size] = '\0';

        int ms = atoi(task);
        if (ms < 0)
            ms = 0;
        if (ms > MAX_WORK_MS)
            ms = MAX_WORK_MS;
        work(ms);

        if (zmsg_send(sender, "", 0, 0) != 0) {
            if (interrupted())
                break;
            die("zmsg_send result");
        }
        done++;
        putchar('.');
        fflush(stdout);
    }
    if (done > 0)
        putchar('\n');
    printf("taskwork: %d tasks done\n", done);

    if (zmsg_close(receiver) != 0)
        die("zmsg_close");
    if (zmsg_close(sender) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
