// Weather update server: the PUB end of the zguide's publish-subscribe
// example.
//
// Ports the seed article's Publisher.py. It binds a PUB socket on
// tcp://*:5556 and publishes "zipcode temperature relhumidity" updates as
// fast as it can, with random values. Two changes make a demo end quickly:
// every tenth update is for one zipcode (-z, default 10001, the subscriber's
// default), and -n stops it after N updates; SIGTERM and SIGINT stop it too.
// At the end it prints how many updates slow subscribers missed.

#include <zmsg.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXAMPLE_NAME "wuserver"
#include "example.h"

#define DEFAULT_ENDPOINT "tcp://*:5556"
#define DEFAULT_ZIPCODE 10001
#define ZIPCODE_EVERY 10 // every tenth update is for the -z zipcode

static void
usage(void)
{
    fprintf(stderr,
        "usage: wuserver [-e ENDPOINT] [-n UPDATES] [-z ZIPCODE] [-h]\n"
        "  -e ENDPOINT  where to bind (default %s)\n"
        "  -n UPDATES   stop after this many updates (default 0: never)\n"
        "  -z ZIPCODE   every %dth update is for this zipcode, 1 to 99999\n"
        "               (default %d; 0: all zipcodes random, as in the "
        "seed)\n",
        DEFAULT_ENDPOINT, ZIPCODE_EVERY, DEFAULT_ZIPCODE);
    exit(2);
}

// Returns a random int from 0 to n - 1 (rand() is good enough here).
static int
randof(int n)
{
    return (int) ((double) n * (rand() / (RAND_MAX + 1.0)));
}

int
main(int argc, char *argv[])
{
    const char *endpoint = DEFAULT_ENDPOINT;
    int max_updates = 0;
    int hot_zipcode = DEFAULT_ZIPCODE;
    int opt;
    while ((opt = getopt(argc, argv, "he:n:z:")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'n':
            if ((max_updates = parse_count(optarg)) < 0)
                usage();
            break;
        case 'z':
            hot_zipcode = parse_count(optarg);
            if (hot_zipcode < 0 || hot_zipcode > 99999)
                usage();
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();

    // Stop between two updates rather than die in the middle of one, so
    // that the socket is closed and the drop count printed.
    catch_stop_signals();

    void *ctx = zmsg_ctx_new();
    if (!ctx)
        die("zmsg_ctx_new");

    void *publisher = zmsg_socket(ctx, ZMSG_PUB);
    if (!publisher)
        die("zmsg_socket");
    // Updates are worthless once we stop: don't hold the exit for them.
    int linger = 0;
    if (zmsg_setsockopt(publisher, ZMSG_LINGER, &linger, sizeof linger) != 0)
        die("zmsg_setsockopt ZMSG_LINGER");
    if (zmsg_bind(publisher, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "zmsg_bind %s", endpoint);
        die(what);
    }
    printf("Publishing weather updates on %s...\n", endpoint);
    fflush(stdout);

    // A PUB never blocks: an update no subscriber wants is not even sent,
    // and a subscriber whose queue is full (at its HWM) misses it. So this
    // loop runs flat out, like the seed's, whoever is listening.
    srand((unsigned) time(NULL));
    long long sent = 0;
    while (!stop_requested && (max_updates == 0 || sent < max_updates)) {
        int zipcode = randof(99999) + 1;
        if (hot_zipcode != 0 && sent % ZIPCODE_EVERY == 0)
            zipcode = hot_zipcode;
        int temperature = randof(215) - 80;
        int relhumidity = randof(50) + 10;

        // "%05d" as in the zguide: every zipcode is five digits, so a
        // five-digit filter matches one zipcode only (with the seed's "%i",
        // the filter "42" for zipcode 42 would also match 4200 to 42999).
        char update[32];
        int len = snprintf(update, sizeof update, "%05d %d %d", zipcode,
            temperature, relhumidity);
        if (zmsg_send(publisher, update, (size_t) len, 0) != len) {
            if (interrupted())
                break;
            die("zmsg_send");
        }
        sent++;
    }

    uint64_t dropped = 0;
    size_t size = sizeof dropped;
    if (zmsg_getsockopt(publisher, ZMSG_DROPPED, &dropped, &size) != 0)
        die("zmsg_getsockopt ZMSG_DROPPED");
    printf("wuserver: %lld updates published, %" PRIu64
           " dropped for slow subscribers\n",
        sent, dropped);

    if (zmsg_close(publisher) != 0)
        die("zmsg_close");
    if (zmsg_ctx_term(ctx) != 0)
        die("zmsg_ctx_term");
    return 0;
}
