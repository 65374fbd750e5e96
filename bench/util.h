// Small helpers shared by the benchmark tools: clock, argument parsing,
// error exits, endpoint handling, file-descriptor limit and resident memory.
//
// Everything is static so that each tool is a single translation unit that
// builds against zmsg or libzmq (see api.h) without a helper library.

#ifndef BENCH_UTIL_H_INCLUDED
#define BENCH_UTIL_H_INCLUDED

#include "api.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

// The tools exit with this status (after printing "status=n/a") when the
// library does not support the endpoint's transport, so that the compare
// script can show "n/a" instead of a failure.
#define BENCH_EXIT_NA 3

static const char *bench_tool = "bench";

// Returns a monotonic clock reading in nanoseconds.
static inline uint64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

// Prints what failed with the library's description of errno and exits 1.
static inline void
bench_die(const char *what)
{
    int err = B(errno)();
    fprintf(stderr, "%s (%s): %s: %s\n", bench_tool, BENCH_LIB, what,
        B(strerror)(err));
    exit(1);
}

// Prints a usage error and exits 2.
static inline void
bench_usage(const char *text)
{
    fprintf(stderr, "usage: %s %s", bench_tool, text);
    exit(2);
}

// Parses a non-negative decimal number no larger than max, or exits 2.
static inline long long
bench_parse(const char *text, const char *name, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max) {
        fprintf(stderr, "%s: bad %s '%s'\n", bench_tool, name, text);
        exit(2);
    }
    return v;
}

// Returns "tcp", "ipc", "inproc" (or whatever precedes "://").
static inline const char *
bench_transport(const char *endpoint)
{
    static char name[16];
    const char *sep = strstr(endpoint, "://");
    size_t n = sep == NULL ? 0 : (size_t) (sep - endpoint);
    if (n == 0 || n >= sizeof(name))
        return "?";
    memcpy(name, endpoint, n);
    name[n] = '\0';
    return name;
}

// Sets an int socket option or dies.
static inline void
bench_setint(void *s, int option, int value)
{
    if (B(setsockopt)(s, option, &value, sizeof(value)) != 0)
        bench_die("setsockopt");
}

// Binds s to endpoint. If the transport is not supported, prints the
// result line prefix followed by "status=n/a" and exits BENCH_EXIT_NA.
// On success, stores in connect_to an endpoint that peers can connect to:
// the bound address with a wildcard port resolved and a wildcard host
// replaced by the loopback address.
static inline void
bench_bind(void *s, const char *endpoint, const char *line_prefix,
    char *connect_to, size_t len)
{
    if (B(bind)(s, endpoint) != 0) {
        if (B(errno)() == EPROTONOSUPPORT) {
            printf("%s status=n/a\n", line_prefix);
            fflush(stdout);
            exit(BENCH_EXIT_NA);
        }
        bench_die(endpoint);
    }
    char last[256] = "";
    size_t n = sizeof(last);
    if (B(getsockopt)(s, BC(LAST_ENDPOINT), last, &n) != 0 || last[0] == 0)
        snprintf(last, sizeof(last), "%s", endpoint);
    const char *any = "tcp://0.0.0.0:";
    if (strncmp(last, any, strlen(any)) == 0)
        snprintf(connect_to, len, "tcp://127.0.0.1:%.16s", last + strlen(any));
    else
        snprintf(connect_to, len, "%s", last);
}

// Raises the soft limit on open files to the hard limit.
static inline void
bench_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

// Returns this process's resident set size in KiB (VmRSS), or -1.
static inline long
bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

// Returns how many CPUs this process may run on (1 when pinned).
static inline int
bench_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    return CPU_COUNT(&set);
}

#endif // BENCH_UTIL_H_INCLUDED
