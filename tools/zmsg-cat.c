// zmsg-cat: send and receive zmsg messages from the shell.
//
// One socket of the type asked for, bound and/or connected to the endpoints
// given. Sending sockets (PUSH, PUB, REQ) send --data or --file, REQ
// printing each reply; receiving sockets (PULL, SUB) print what arrives; REP
// prints each request and replies with --data or --file, or echoes it. Runs
// until --count messages are done, the input ends, a --timeout runs out, or
// SIGINT/SIGTERM (which end it normally: socket closed, context terminated,
// exit status 0).
//
// Exit status: 0 done, 1 a call failed or timed out (the message names the
// call and gives zmsg_strerror), 2 usage error.

#include <zmsg.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define PROG "zmsg-cat"
#define MAX_ENDPOINTS 64
#define MAX_TOPICS 64

enum format { FORMAT_TEXT, FORMAT_HEX, FORMAT_QUOTED };

typedef struct endpoint {
    const char *address;
    bool bind;
} endpoint_t;

typedef struct config {
    int type; // ZMSG_*, or -1 before an option chose it
    const char *type_name;
    endpoint_t endpoints[MAX_ENDPOINTS];
    int nendpoints;
    const char *topics[MAX_TOPICS];
    int ntopics;
    const char *data;
    const char *file;
    bool lines;
    long long count; // -1: not given
    int timeout_ms; // -1: not given
    int delay_ms;
    enum format format;
} config_t;

// Where messages to send come from: --data, a whole --file, or its lines.
typedef struct source {
    char *buf; // --file content, or the current line
    size_t size;
    size_t cap;
    FILE *lines; // --lines: read one message per line from here
    bool have; // there is something to send at all
} source_t;

// Set by SIGINT and SIGTERM: finish the call in progress and stop.
static volatile sig_atomic_t stop_requested;

// What cleanup() must close when the program ends early.
static void *g_ctx;
static void *g_sock;

static void
on_stop_signal(int sig)
{
    (void) sig;
    stop_requested = 1;
}

static void
print_usage(FILE *out)
{
    fputs("usage: " PROG " TYPE (--bind|--connect ENDPOINT)... [options]\n"
          "\n"
          "Socket type, exactly one:\n"
          "  --push, --pull, --req, --rep, --pub\n"
          "  --sub [TOPIC]        SUB, subscribed to TOPIC (a prefix); repeat "
          "it for\n"
          "                       more topics; without TOPIC, or with \"\", "
          "takes all\n"
          "Endpoints, at least one (tcp://, ipc://, inproc://), "
          "repeatable:\n"
          "  -b, --bind ENDPOINT\n"
          "  -c, --connect ENDPOINT\n"
          "What to send (PUSH, PUB, REQ; a REP replies with it, or echoes "
          "each request):\n"
          "  -d, --data STRING    this string as a message\n"
          "  -f, --file PATH      the file's content as a message "
          "(PATH - : stdin)\n"
          "  -l, --lines          with --file: each line is a message, "
          "without its newline\n"
          "Options:\n"
          "  -n, --count N        stop after N messages sent or received, 0 "
          "for no limit\n"
          "                       (default: 1 when sending --data or a whole "
          "--file, else 0)\n"
          "  -t, --timeout MS     fail when a send or receive waits longer "
          "than MS\n"
          "                       milliseconds (receiving with no --count: "
          "stop, and\n"
          "                       fail only if nothing came); also how long "
          "unsent\n"
          "                       messages may wait for delivery at exit "
          "(default 1000)\n"
          "      --delay MS       wait MS milliseconds before each send\n"
          "  -F, --format FMT     how received messages are printed, one a "
          "line: text\n"
          "                       (default), hex or quoted; parts of a "
          "multipart message\n"
          "                       are separated by a space\n"
          "  -h, --help           this help\n"
          "  -V, --version        print the zmsg version\n"
          "\n"
          "Exit status: 0 done (also after SIGINT or SIGTERM), 1 a call "
          "failed or timed\n"
          "out, 2 usage error. A --bind with a wildcard (tcp://...:* or "
          "ipc://*) prints\n"
          "the endpoint it got on stderr.\n",
        out);
}

// Reports a mistake on the command line and exits 2.
static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
    exit(2);
}

// Closes the socket and terminates the context, whatever state they are
// in: nothing waits for delivery when the program failed.
static void
cleanup(int linger)
{
    if (g_sock != NULL) {
        zmsg_setsockopt(g_sock, ZMSG_LINGER, &linger, sizeof linger);
        zmsg_close(g_sock);
        g_sock = NULL;
    }
    if (g_ctx != NULL) {
        zmsg_ctx_term(g_ctx);
        g_ctx = NULL;
    }
}

// Prints "zmsg-cat: WHAT: zmsg_strerror(err)[ (why)]" and exits 1.
static void
fail(const char *what, int err, const char *why)
{
    fprintf(stderr, PROG ": %s: %s", what, zmsg_strerror(err));
    if (why != NULL)
        fprintf(stderr, " (%s)", why);
    fputc('\n', stderr);
    cleanup(0);
    exit(1);
}

static void
fail_errno(const char *what)
{
    fail(what, zmsg_errno(), NULL);
}

// Parses a decimal integer from 0 to max; returns -1 if text is not one.
static long long
parse_number(const char *text, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max)
        return -1;
    return v;
}

static void
set_type(config_t *c, int type, const char *name)
{
    if (c->type >= 0 && c->type != type)
        usage_error("choose one socket type (%s and another given)", name);
    c->type = type;
    c->type_name = name;
}

static void
add_endpoint(config_t *c, const char *address, bool bind)
{
    if (c->nendpoints == MAX_ENDPOINTS)
        usage_error("too many endpoints (at most %d)", MAX_ENDPOINTS);
    c->endpoints[c->nendpoints++] = (endpoint_t) { address, bind };
}

static void
add_topic(config_t *c, const char *topic)
{
    if (c->ntopics == MAX_TOPICS)
        usage_error("too many topics (at most %d)", MAX_TOPICS);
    c->topics[c->ntopics++] = topic;
}

static bool
type_sends(int type)
{
    return type == ZMSG_PUSH || type == ZMSG_PUB || type == ZMSG_REQ;
}

static void
parse_args(config_t *c, int argc, char **argv)
{
    enum {
        OPT_PUSH = 256,
        OPT_PULL,
        OPT_REQ,
        OPT_REP,
        OPT_PUB,
        OPT_SUB,
        OPT_DELAY,
    };
    static const struct option long_opts[] = {
        { "push", no_argument, NULL, OPT_PUSH },
        { "pull", no_argument, NULL, OPT_PULL },
        { "req", no_argument, NULL, OPT_REQ },
        { "rep", no_argument, NULL, OPT_REP },
        { "pub", no_argument, NULL, OPT_PUB },
        { "sub", optional_argument, NULL, OPT_SUB },
        { "bind", required_argument, NULL, 'b' },
        { "connect", required_argument, NULL, 'c' },
        { "data", required_argument, NULL, 'd' },
        { "file", required_argument, NULL, 'f' },
        { "lines", no_argument, NULL, 'l' },
        { "count", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 't' },
        { "delay", required_argument, NULL, OPT_DELAY },
        { "format", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    memset(c, 0, sizeof *c);
    c->type = -1;
    c->count = -1;
    c->timeout_ms = -1;
    c->format = FORMAT_TEXT;

    // "+": no reordering, so that --sub can take the next argument as its
    // topic, and anything that is not an option is an error.
    opterr = 0;
    int opt;
    while (
        (opt = getopt_long(argc, argv, "+:b:c:d:f:ln:t:F:hV", long_opts, NULL))
        != -1) {
        long long v;
        switch (opt) {
        case OPT_PUSH:
            set_type(c, ZMSG_PUSH, "--push");
            break;
        case OPT_PULL:
            set_type(c, ZMSG_PULL, "--pull");
            break;
        case OPT_REQ:
            set_type(c, ZMSG_REQ, "--req");
            break;
        case OPT_REP:
            set_type(c, ZMSG_REP, "--rep");
            break;
        case OPT_PUB:
            set_type(c, ZMSG_PUB, "--pub");
            break;
        case OPT_SUB:
            set_type(c, ZMSG_SUB, "--sub");
            // --sub=TOPIC, or --sub TOPIC when the next argument is not an
            // option; a bare --sub takes everything.
            if (optarg != NULL)
                add_topic(c, optarg);
            else if (optind < argc && argv[optind][0] != '-')
                add_topic(c, argv[optind++]);
            else
                add_topic(c, "");
            break;
        case 'b':
        case 'c':
            add_endpoint(c, optarg, opt == 'b');
            break;
        case 'd':
            if (c->data != NULL || c->file != NULL)
                usage_error("give one of --data and --file, once");
            c->data = optarg;
            break;
        case 'f':
            if (c->data != NULL || c->file != NULL)
                usage_error("give one of --data and --file, once");
            c->file = optarg;
            break;
        case 'l':
            c->lines = true;
            break;
        case 'n':
            if ((v = parse_number(optarg, LLONG_MAX)) < 0)
                usage_error(
                    "--count wants a number from 0 up, not '%s'", optarg);
            c->count = v;
            break;
        case 't':
            if ((v = parse_number(optarg, INT_MAX)) < 0)
                usage_error(
                    "--timeout wants milliseconds (0 up), not '%s'", optarg);
            c->timeout_ms = (int) v;
            break;
        case OPT_DELAY:
            if ((v = parse_number(optarg, INT_MAX)) < 0)
                usage_error(
                    "--delay wants milliseconds (0 up), not '%s'", optarg);
            c->delay_ms = (int) v;
            break;
        case 'F':
            if (strcmp(optarg, "text") == 0)
                c->format = FORMAT_TEXT;
            else if (strcmp(optarg, "hex") == 0)
                c->format = FORMAT_HEX;
            else if (strcmp(optarg, "quoted") == 0)
                c->format = FORMAT_QUOTED;
            else
                usage_error(
                    "--format is text, hex or quoted, not '%s'", optarg);
            break;
        case 'h':
            print_usage(stdout);
            exit(0);
        case 'V': {
            int major, minor, patch;
            zmsg_version(&major, &minor, &patch);
            printf(PROG " (zmsg %d.%d.%d)\n", major, minor, patch);
            exit(0);
        }
        case ':':
            usage_error("%s needs an argument", argv[optind - 1]);
            break;
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (c->type < 0)
        usage_error("choose a socket type: --push, --pull, --req, --rep, "
                    "--pub or --sub");
    if (c->nendpoints == 0)
        usage_error("give at least one --bind or --connect ENDPOINT");
    bool sends = type_sends(c->type);
    bool has_source = c->data != NULL || c->file != NULL;
    if (sends && !has_source)
        usage_error(
            "%s sends: give --data STRING or --file PATH", c->type_name);
    if (!sends && c->type != ZMSG_REP && has_source)
        usage_error("%s only receives: --data and --file are for --push, "
                    "--pub, --req and --rep",
            c->type_name);
    if (c->lines && c->file == NULL)
        usage_error("--lines goes with --file");
    if (c->delay_ms > 0 && !sends && c->type != ZMSG_REP)
        usage_error("--delay is for sockets that send, not %s", c->type_name);
    if (c->count < 0)
        c->count = sends && !c->lines ? 1 : 0;
}

// --- messages to send ----------------------------------------------------

static void
source_open(source_t *src, const config_t *c)
{
    memset(src, 0, sizeof *src);
    if (c->data != NULL) {
        // NB: only read from, never written or freed (see source_close).
        src->buf = (char *) c->data;
        src->size = strlen(c->data);
        src->have = true;
        return;
    }
    if (c->file == NULL)
        return;
    src->have = true;
    FILE *f = strcmp(c->file, "-") == 0 ? stdin : fopen(c->file, "rb");
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: %s\n", c->file, strerror(errno));
        exit(1);
    }
    if (c->lines) {
        src->lines = f;
        return;
    }
    // The whole file, read once, sent as often as --count says.
    for (;;) {
        if (src->size == src->cap) {
            size_t cap = src->cap ? src->cap * 2 : 4096;
            char *b = realloc(src->buf, cap);
            if (b == NULL) {
                fprintf(stderr, PROG ": %s: %s\n", c->file, strerror(ENOMEM));
                exit(1);
            }
            src->buf = b;
            src->cap = cap;
        }
        size_t n = fread(src->buf + src->size, 1, src->cap - src->size, f);
        src->size += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, PROG ": %s: %s\n", c->file, strerror(errno));
        exit(1);
    }
    if (f != stdin)
        fclose(f);
}

// The next message to send: true with it in buf/size, false when the
// lines have run out.
static bool
source_next(source_t *src, const char *name)
{
    if (src->lines == NULL)
        return true; // --data or a whole file: the same message again
    ssize_t n = getline(&src->buf, &src->cap, src->lines);
    if (n < 0) {
        if (ferror(src->lines) && !stop_requested) {
            fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
            cleanup(0);
            exit(1);
        }
        return false;
    }
    if (n > 0 && src->buf[n - 1] == '\n')
        n--;
    src->size = (size_t) n;
    return true;
}

static void
source_close(source_t *src, const config_t *c)
{
    if (c->file != NULL)
        free(src->buf);
    if (src->lines != NULL && src->lines != stdin)
        fclose(src->lines);
}

// --- printing ------------------------------------------------------------

static void
print_part(enum format format, const unsigned char *data, size_t size)
{
    static const char hexdigits[] = "0123456789abcdef";
    switch (format) {
    case FORMAT_TEXT:
        fwrite(data, 1, size, stdout);
        break;
    case FORMAT_HEX:
        for (size_t i = 0; i < size; i++) {
            putchar(hexdigits[data[i] >> 4]);
            putchar(hexdigits[data[i] & 15]);
        }
        break;
    case FORMAT_QUOTED:
        putchar('"');
        for (size_t i = 0; i < size; i++) {
            unsigned char ch = data[i];
            if (ch == '"' || ch == '\\')
                printf("\\%c", ch);
            else if (ch == '\n')
                fputs("\\n", stdout);
            else if (ch == '\r')
                fputs("\\r", stdout);
            else if (ch == '\t')
                fputs("\\t", stdout);
            else if (ch >= 0x20 && ch < 0x7f)
                putchar(ch);
            else
                printf("\\x%c%c", hexdigits[ch >> 4], hexdigits[ch & 15]);
        }
        putchar('"');
        break;
    }
}

// --- the socket ------------------------------------------------------------

// The parts of one received message. Each part has a zmsg_msg_t of its
// own that never moves (the API does not promise that one may be copied
// byte for byte).
typedef struct message {
    zmsg_msg_t **parts;
    int n;
    int cap;
} message_t;

static void
message_close(message_t *m)
{
    for (int i = 0; i < m->n; i++)
        zmsg_msg_close(m->parts[i]);
    m->n = 0;
}

static void
message_free(message_t *m)
{
    message_close(m);
    for (int i = 0; i < m->cap; i++)
        free(m->parts[i]);
    free(m->parts);
}

// Receives one whole message into m, returning 0, or -1 with zmsg's errno
// if its first part did not come.
static int
recv_message(void *sock, message_t *m)
{
    for (;;) {
        if (m->n == m->cap) {
            int cap = m->cap ? m->cap * 2 : 4;
            zmsg_msg_t **p = realloc(m->parts, (size_t) cap * sizeof *p);
            if (p == NULL)
                fail("receiving", ENOMEM, NULL);
            m->parts = p;
            for (; m->cap < cap; m->cap++)
                if ((p[m->cap] = malloc(sizeof(zmsg_msg_t))) == NULL)
                    fail("receiving", ENOMEM, NULL);
        }
        zmsg_msg_t *part = m->parts[m->n];
        if (zmsg_msg_init(part) != 0)
            fail_errno("zmsg_msg_init");
        // NB: the parts of a message arrive together: once the first is
        // in, the others never wait (nor time out).
        if (zmsg_msg_recv(part, sock, 0) < 0) {
            int err = zmsg_errno();
            zmsg_msg_close(part);
            if (m->n > 0)
                fail("zmsg_msg_recv", err, "in the middle of a message");
            errno = err;
            return -1;
        }
        m->n++;
        if (!zmsg_msg_more(part))
            return 0;
    }
}

static void
print_message(enum format format, const message_t *m)
{
    for (int i = 0; i < m->n; i++) {
        if (i > 0)
            putchar(' ');
        print_part(
            format, zmsg_msg_data(m->parts[i]), zmsg_msg_size(m->parts[i]));
    }
    putchar('\n');
    if (fflush(stdout) != 0 || ferror(stdout))
        fail("writing to stdout", errno, NULL);
}

// Sends one single-part message; false when a signal asked us to stop.
static bool
send_message(void *sock, const source_t *src)
{
    while (zmsg_send(sock, src->buf, src->size, 0) < 0) {
        int err = zmsg_errno();
        if (err == EINTR && stop_requested)
            return false;
        if (err == EINTR)
            continue;
        if (err == EAGAIN)
            fail("zmsg_send", err, "no peer took the message in time");
        fail("zmsg_send", err, NULL);
    }
    return true;
}

// Waits ms milliseconds; false when a signal asked us to stop.
static bool
delay(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        if (stop_requested)
            return false;
    return !stop_requested;
}

static void
set_int_option(void *sock, int option, int value, const char *name)
{
    if (zmsg_setsockopt(sock, option, &value, sizeof value) != 0)
        fail_errno(name);
}

static void
open_socket(const config_t *c)
{
    g_ctx = zmsg_ctx_new();
    if (g_ctx == NULL)
        fail_errno("zmsg_ctx_new");
    g_sock = zmsg_socket(g_ctx, c->type);
    if (g_sock == NULL)
        fail_errno("zmsg_socket");
    if (c->timeout_ms >= 0) {
        set_int_option(g_sock, ZMSG_RCVTIMEO, c->timeout_ms,
            "zmsg_setsockopt ZMSG_RCVTIMEO");
        set_int_option(g_sock, ZMSG_SNDTIMEO, c->timeout_ms,
            "zmsg_setsockopt ZMSG_SNDTIMEO");
        set_int_option(
            g_sock, ZMSG_LINGER, c->timeout_ms, "zmsg_setsockopt ZMSG_LINGER");
    }
    for (int i = 0; i < c->ntopics; i++)
        if (zmsg_setsockopt(
                g_sock, ZMSG_SUBSCRIBE, c->topics[i], strlen(c->topics[i]))
            != 0)
            fail_errno("zmsg_setsockopt ZMSG_SUBSCRIBE");
    for (int i = 0; i < c->nendpoints; i++) {
        const endpoint_t *ep = &c->endpoints[i];
        int rc = ep->bind ? zmsg_bind(g_sock, ep->address)
                          : zmsg_connect(g_sock, ep->address);
        if (rc != 0) {
            char what[512];
            snprintf(what, sizeof what, "%s %s",
                ep->bind ? "zmsg_bind" : "zmsg_connect", ep->address);
            fail_errno(what);
        }
        if (ep->bind && strchr(ep->address, '*') != NULL) {
            char last[256];
            size_t len = sizeof last;
            if (zmsg_getsockopt(g_sock, ZMSG_LAST_ENDPOINT, last, &len) != 0)
                fail_errno("zmsg_getsockopt ZMSG_LAST_ENDPOINT");
            fprintf(stderr, PROG ": bound to %s\n", last);
        }
    }
}

// The receiving side of a timeout: fails if something was still expected
// (a reply, --count messages, or anything at all); otherwise it is just the
// end of the stream.
static void
recv_timed_out(const config_t *c, long long received, int err)
{
    char why[96];
    if (c->type == ZMSG_REQ || c->count > 0 || received == 0) {
        snprintf(why, sizeof why, "nothing came within %d ms", c->timeout_ms);
        fail("zmsg_recv", err, why);
    }
}

// PUSH, PUB, REQ: send, and for REQ print each reply.
static void
run_sender(const config_t *c, source_t *src)
{
    message_t reply = { NULL, 0, 0 };
    for (long long sent = 0; c->count == 0 || sent < c->count; sent++) {
        if (!source_next(src, c->file) || stop_requested)
            break;
        if (c->delay_ms > 0 && !delay(c->delay_ms))
            break;
        if (!send_message(g_sock, src))
            break;
        if (c->type != ZMSG_REQ)
            continue;
        int rc;
        while ((rc = recv_message(g_sock, &reply)) < 0) {
            int err = zmsg_errno();
            if (err == EINTR && !stop_requested)
                continue;
            if (err == EINTR)
                break;
            if (err == EAGAIN)
                recv_timed_out(c, 0, err);
            fail("zmsg_recv", err, NULL);
        }
        if (rc < 0)
            break;
        print_message(c->format, &reply);
        message_close(&reply);
    }
    message_free(&reply);
}

// PULL, SUB, REP: print what comes; REP replies.
static void
run_receiver(const config_t *c, source_t *src)
{
    message_t msg = { NULL, 0, 0 };
    for (long long received = 0; c->count == 0 || received < c->count;
         received++) {
        // A REP knows its reply before it takes a request it could not
        // answer.
        if (c->type == ZMSG_REP && src->have && !source_next(src, c->file))
            break;
        int rc;
        while ((rc = recv_message(g_sock, &msg)) < 0) {
            int err = zmsg_errno();
            if (err == EINTR && !stop_requested)
                continue;
            if (err == EINTR)
                break;
            if (err == EAGAIN) {
                recv_timed_out(c, received, err);
                break; // quiet for --timeout after some messages: done
            }
            fail("zmsg_recv", err, NULL);
        }
        if (rc < 0)
            break;
        print_message(c->format, &msg);
        if (c->type == ZMSG_REP) {
            bool ok = true;
            if (c->delay_ms > 0)
                ok = delay(c->delay_ms);
            if (ok && src->have) {
                ok = send_message(g_sock, src);
            } else if (ok) {
                // Echo: the request's parts, in order, as the reply.
                for (int i = 0; i < msg.n && ok; i++) {
                    int flags = i + 1 < msg.n ? ZMSG_SNDMORE : 0;
                    while (zmsg_msg_send(msg.parts[i], g_sock, flags) < 0) {
                        int err = zmsg_errno();
                        if (err == EINTR && stop_requested) {
                            ok = false;
                            break;
                        }
                        if (err != EINTR)
                            fail("zmsg_msg_send", err, NULL);
                    }
                }
            }
            if (!ok)
                break;
        }
        message_close(&msg);
    }
    message_free(&msg);
}

int
main(int argc, char *argv[])
{
    config_t c;
    parse_args(&c, argc, argv);

    // Stop between two calls rather than die in the middle of one. No
    // SA_RESTART: a blocking zmsg call returns EINTR and we look at the
    // flag.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0
        || sigaction(SIGTERM, &sa, NULL) != 0) {
        perror(PROG ": sigaction");
        return 1;
    }

    source_t src;
    source_open(&src, &c);
    open_socket(&c);
    if (type_sends(c.type))
        run_sender(&c, &src);
    else
        run_receiver(&c, &src);
    source_close(&src, &c);

    // Messages still queued get the linger (--timeout, or zmsg's default
    // of 1000 ms) to reach their peers.
    if (zmsg_close(g_sock) != 0)
        fail_errno("zmsg_close");
    g_sock = NULL;
    if (zmsg_ctx_term(g_ctx) != 0)
        fail_errno("zmsg_ctx_term");
    g_ctx = NULL;
    return 0;
}
