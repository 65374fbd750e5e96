// Weather update client: the SUB end of the zguide's publish-subscribe
// example.
//
// Ports the seed article's Subscribe.py. It connects a SUB socket to
// tcp://localhost:5556, subscribes to one zipcode (the first argument,
// default 10001, New York), collects N updates for it and prints their
// average temperature. It waits at most -t milliseconds for each update, so
// that it fails instead of hanging when no publisher sends any.

#include <zmsg.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXAMPLE_NAME "wuclient"
#include "example.h"

#define DEFAULT_ENDPOINT "tcp://localhost:5556"
#define DEFAULT_ZIPCODE "10001"
#define DEFAULT_UPDATES 5
#define DEFAULT_TIMEOUT_MS 10000

static void
usage(void)
{
    fprintf(stderr,
        "usage: wuclient [-e ENDPOINT] [-n UPDATES] [-t MS] [-h] "
        "[ZIPCODE]\n"
        "  -e ENDPOINT  where to connect (default %s)\n"
        "  -n UPDATES   number of updates to average, at least 1 "
        "(default %d)\n"
        "  -t MS        give up when an update takes longer (default %d)\n"
        "  ZIPCODE      the updates to subscribe to (default %s)\n",
        DEFAULT_ENDPOINT, DEFAULT_UPDATES, DEFAULT_TIMEOUT_MS, DEFAULT_ZIPCODE);
    exit(2);
}

int
main(int argc, char *argv[])
{
    const char *endpoint = DEFAULT_ENDPOINT;
    int nupdates = DEFAULT_UPDATES;
    int timeout_ms = DEFAULT_TIMEOUT_MS;
    int opt;
    while ((opt = getopt(argc, argv, "he:n:t:")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'n':
            if ((nupdates = parse_count(optarg)) < 1)
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
    if (argc - optind > 1)
        usage();
    const char *filter = optind < argc ? argv[optind] : DEFAULT_ZIPCODE;
    catch_stop_signals();

    void *ctx = zmsg_ctx_new();
    if (!ctx)
        die("zmsg_ctx_new");

    printf("Collecting updates from weather server...\n");
    fflush(stdout);
    void *subscriber = zmsg_socket(ctx, ZMSG_SUB);
    if (!subscriber)
        die("zmsg_socket");
    if (zmsg_setsockopt(
            subscriber, ZMSG_RCVTIMEO, &timeout_ms, sizeof timeout_ms)
        != 0)
        die("zmsg_setsockopt ZMSG_RCVTIMEO");
    // A SUB gets nothing until it subscribes. The subscription is a prefix:
    // "10001" matches the updates that start with it. It is sent to the
    // publisher, which then sends us only the matching updates.
    if (zmsg_setsockopt(subscriber, ZMSG_SUBSCRIBE, filter, strlen(filter))
        != 0)
        die("zmsg_setsockopt ZMSG_SUBSCRIBE");
    if (zmsg_connect(subscriber, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_connect %s", endpoint);
        die(what);
    }

    long total_temp = 0;
    int received = 0;
    for (; received < nupdates && !stop_requested; received++) {
        char update[64];
        int size = zmsg_recv(subscriber, update, sizeof update - 1, 0);
        if (size < 0) {
            if (interrupted())
                break;
            if (zmsg_errno() == EAGAIN) {
                fprintf(stderr,
                    "wuclient: no update for '%s' within %d ms from %s\n",
                    filter, timeout_ms, endpoint);
                exit(1);
            }
            die("zmsg_recv");
        }
        if ((size_t) size >= sizeof update)
            size = (int) sizeof update - 1;
        update[size] = '\0';

        int zipcode, temperature, relhumidity;
        if (sscanf(update, "%d %d %d", &zipcode, &temperature, &relhumidity)
            != 3) {
            fprintf(stderr, "wuclient: malformed update '%s'\n", update);
            exit(1);
        }
        total_temp += temperature;
    }
    // Integer division truncates toward zero, as the seed's "%d" does.
    if (stop_requested)
        printf("wuclient: interrupted after %d of %d updates\n", received,
            nupdates);
    else
        printf("Average temperature for zipcode '%s' was %ldF\n", filter,
            total_temp / nupdates);

    if (zmsg_close(subscriber) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
