// Hello World server: the REP end of the zguide's request-reply example.
//
// Ports the seed article's server.py. It binds a REP socket on tcp://*:5555,
// prints each request, "works" for a while (the seed sleeps 1 s; here 0 ms
// unless -w says otherwise, so that the demo is quick) and replies "World".
// Like the seed it serves forever, unless -n makes it stop after N requests.

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

#define EXAMPLE_NAME "hwserver"
#include "example.h"

#define DEFAULT_ENDPOINT "tcp://*:5555"

static void
usage(void)
{
    fprintf(stderr,
        "usage: hwserver [-e ENDPOINT] [-n REQUESTS] [-w MS] [-h]\n"
        "  -e ENDPOINT  where to bind (default %s)\n"
        "  -n REQUESTS  stop after this many requests (default 0: never)\n"
        "  -w MS        work this many milliseconds per request "
        "(default 0)\n",
        DEFAULT_ENDPOINT);
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
    const char *endpoint = DEFAULT_ENDPOINT;
    int max_requests = 0;
    int work_ms = 0;
    int opt;
    while ((opt = getopt(argc, argv, "he:n:w:")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'n':
            if ((max_requests = parse_count(optarg)) < 0)
                usage();
            break;
        case 'w':
            if ((work_ms = parse_count(optarg)) < 0)
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

    void *responder = zmsg_socket(ctx, ZMSG_REP);
    if (!responder)
        die("zmsg_socket");
    // The last reply must still reach its client after we close. zmsg's
    // default linger is already 1000 ms (libzmq's is forever), which is
    // plenty on localhost; setting it here makes that explicit.
    int linger = 1000;
    if (zmsg_setsockopt(responder, ZMSG_LINGER, &linger, sizeof linger) != 0)
        die("zmsg_setsockopt ZMSG_LINGER");
    if (zmsg_bind(responder, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_bind %s", endpoint);
        die(what);
    }

    for (int served = 0;
         !stop_requested && (max_requests == 0 || served < max_requests);
         served++) {
        // Wait for the next request from a client. A request longer than
        // the buffer is cut short; zmsg_recv still returns its full size.
        char request[256];
        int size = zmsg_recv(responder, request, sizeof request - 1, 0);
        if (size < 0) {
            if (interrupted())
                break;
            die("zmsg_recv");
        }
        if ((size_t) size >= sizeof request)
            size = (int) sizeof request - 1;
        request[size] = '\0';
        printf("Received request: %s\n", request);
        fflush(stdout);

        work(work_ms);

        // A REP sends its reply to the client that asked, and must reply
        // before it can receive the next request. (Stopped in the middle of
        // the work, it still answers: the client is waiting.)
        if (zmsg_send(responder, "World", 5, 0) != 5) {
            if (interrupted())
                break;
            die("zmsg_send");
        }
    }

    if (zmsg_close(responder) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
