// What every example shares: stopping cleanly on SIGINT and SIGTERM,
// reporting a failed zmsg call, and reading a count from the command line.
//
// Each example defines EXAMPLE_NAME (its name, for messages) and includes
// this after its system headers. Header-only, so that an example is still
// built from one source file.

#ifndef ZMSG_EXAMPLE_H
#define ZMSG_EXAMPLE_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmsg.h>

// Set by SIGINT and SIGTERM: stop, close, terminate and exit 0.
static volatile sig_atomic_t stop_requested;

static inline void
on_stop_signal(int sig)
{
    (void) sig;
    stop_requested = 1;
}

// Catches SIGINT and SIGTERM. Without SA_RESTART a zmsg call that waits
// returns -1 with EINTR, and the loop then sees the flag.
static inline void
catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0
        || sigaction(SIGTERM, &sa, NULL) != 0) {
        perror(EXAMPLE_NAME ": sigaction");
        exit(1);
    }
}

// True when a zmsg call failed because SIGINT or SIGTERM came.
static inline bool
interrupted(void)
{
    return zmsg_errno() == EINTR && stop_requested;
}

// Prints what failed with zmsg's description of the error and exits 1.
static inline void
die(const char *what)
{
    fprintf(
        stderr, EXAMPLE_NAME ": %s: %s\n", what, zmsg_strerror(zmsg_errno()));
    exit(1);
}

// Parses a non-negative decimal int; returns -1 if text is not one.
static inline int
parse_count(const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > INT_MAX)
        return -1;
    return (int) v;
}

#endif
