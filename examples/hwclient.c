// Hello World client: the REQ end of the zguide's request-reply example.
//
// Ports the seed article's client.py. It connects a REQ socket to
// tcp://localhost:5555, sends "Hello" N times (the seed sends it once, the
// zguide ten times) and prints each reply. It waits at most -t milliseconds
// for a reply, so that it fails instead of hanging when no server answers.

#include <zmsg.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXAMPLE_NAME "hwclient"
#include "example.h"

#define DEFAULT_ENDPOINT "tcp://localhost:5555"
#define DEFAULT_REQUESTS 10
#define DEFAULT_TIMEOUT_MS 5000

static void
usage(void)
{
    fprintf(stderr,
        "usage: hwclient [-e ENDPOINT] [-n REQUESTS] [-t MS] [-h]\n"
        "  -e ENDPOINT  where to connect (default %s)\n"
        "  -n REQUESTS  number of requests to send (default %d)\n"
        "  -t MS        give up when a reply takes longer (default %d)\n",
        DEFAULT_ENDPOINT, DEFAULT_REQUESTS, DEFAULT_TIMEOUT_MS);
    exit(2);
}

int
main(int argc, char *argv[])
{
    const char *endpoint = DEFAULT_ENDPOINT;
    int nrequests = DEFAULT_REQUESTS;
    int timeout_ms = DEFAULT_TIMEOUT_MS;
    int opt;
    while ((opt = getopt(argc, argv, "he:n:t:")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'n':
            if ((nrequests = parse_count(optarg)) < 0)
                usage();
            break;
        case 't':
            if ((timeout_ms = parse_count(optarg)) < 0)
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

    printf("Connecting to hello world server...\n");
    void *requester = zmsg_socket(ctx, ZMSG_REQ);
    if (!requester)
        die("zmsg_socket");
    if (zmsg_setsockopt(
            requester, ZMSG_RCVTIMEO, &timeout_ms, sizeof timeout_ms)
        != 0)
        die("zmsg_setsockopt ZMSG_RCVTIMEO");
    // Nothing is left to deliver once the last reply is in, and a request
    // the server never answered is not worth waiting for at exit.
    int linger = 0;
    if (zmsg_setsockopt(requester, ZMSG_LINGER, &linger, sizeof linger) != 0)
        die("zmsg_setsockopt ZMSG_LINGER");
    // The server may start after us: the connection is made, and remade,
    // in the background, and the first request waits in the queue for it.
    if (zmsg_connect(requester, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_connect %s", endpoint);
        die(what);
    }

    for (int i = 0; i < nrequests && !stop_requested; i++) {
        printf("Sending Hello %d...\n", i);
        fflush(stdout);
        if (zmsg_send(requester, "Hello", 5, 0) != 5) {
            if (interrupted())
                break;
            die("zmsg_send");
        }

        char reply[256];
        int size = zmsg_recv(requester, reply, sizeof reply - 1, 0);
        if (size < 0) {
            // RCVTIMEO ran out. A libzmq REQ would now be stuck: its next
            // send fails with EFSM until it is closed (or REQ_RELAXED is
            // set). A zmsg REQ is usable again: a further zmsg_recv keeps
            // waiting for this reply, and a zmsg_send abandons it and sends
            // a new request (with ZMSG_REQ_CORRELATE set, a late reply to
            // the abandoned one is then never taken for the new one's).
            // Here one lost reply is enough to give up.
            if (interrupted())
                break;
            if (zmsg_errno() == EAGAIN) {
                fprintf(stderr, "hwclient: no reply within %d ms from %s\n",
                    timeout_ms, endpoint);
                exit(1);
            }
            die("zmsg_recv");
        }
        if ((size_t) size >= sizeof reply)
            size = (int) sizeof reply - 1;
        reply[size] = '\0';
        printf("Received reply %d [%s]\n", i, reply);
        fflush(stdout);
    }

    if (zmsg_close(requester) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
