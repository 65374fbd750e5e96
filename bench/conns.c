// conns: resident memory of one socket with N idle connections.
//
// Binds one PULL socket, measures the process's resident memory (VmRSS),
// then opens N raw tcp:// (or ipc://) connections that each complete a
// ZMTP 3.1 NULL handshake as a PUSH peer and then stay idle. Once every
// peer has the library's READY and the socket has had time to attach them,
// it measures VmRSS again. The peers are plain kernel sockets with a few
// bytes of state each, so the growth is the library's cost of N
// connections (plus the kernel's page-table noise).
//
// Output, one line:
//   lib=zmsg case=conns tr=tcp n=1000 rss0_kib=... rss_kib=...
//   delta_kib=... per_conn_b=... hwm_kib=...

#include "util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#define GREETING_SIZE 64

typedef struct {
    int fd;
    size_t got;
    unsigned char buf[GREETING_SIZE + 512];
    bool done;
} peer_t;

// Fills out with our greeting and a READY command announcing a PUSH
// socket; returns its length.
static size_t
handshake_bytes(unsigned char *out)
{
    size_t n = 0;
    memset(out, 0, GREETING_SIZE);
    out[0] = 0xff;
    out[9] = 0x7f;
    out[10] = 3; // ZMTP 3.1
    out[11] = 1;
    memcpy(out + 12, "NULL", 4);
    n = GREETING_SIZE;
    static const char type[] = "PUSH";
    static const char name[] = "Socket-Type";
    unsigned char body[64];
    size_t b = 0;
    body[b++] = 5;
    memcpy(body + b, "READY", 5);
    b += 5;
    body[b++] = (unsigned char) (sizeof(name) - 1);
    memcpy(body + b, name, sizeof(name) - 1);
    b += sizeof(name) - 1;
    body[b++] = 0;
    body[b++] = 0;
    body[b++] = 0;
    body[b++] = (unsigned char) (sizeof(type) - 1);
    memcpy(body + b, type, sizeof(type) - 1);
    b += sizeof(type) - 1;
    out[n++] = 0x04; // command, short size
    out[n++] = (unsigned char) b;
    memcpy(out + n, body, b);
    return n + b;
}

// Returns 1 once the peer's buffer holds a greeting and a whole READY
// command, -1 if it holds something else, 0 if more is needed.
static int
peer_check(const peer_t *p)
{
    if (p->got < GREETING_SIZE + 2)
        return 0;
    if (p->buf[0] != 0xff || p->buf[9] != 0x7f || p->buf[10] != 3)
        return -1;
    const unsigned char *f = p->buf + GREETING_SIZE;
    if (!(f[0] & 0x04) || (f[0] & 0x02))
        return -1; // not a short command
    size_t len = f[1];
    if (p->got < GREETING_SIZE + 2 + len)
        return 0;
    if (len < 6 || f[2] != 5 || memcmp(f + 3, "READY", 5) != 0)
        return -1;
    return 1;
}

// Connects a blocking socket to the endpoint (tcp://HOST:PORT or
// ipc://PATH) and makes it non-blocking; returns the fd or -1.
static int
raw_connect(const char *endpoint)
{
    int fd = -1;
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        char host[128];
        const char *colon = strrchr(endpoint + 6, ':');
        size_t hl = colon == NULL ? 0 : (size_t) (colon - (endpoint + 6));
        if (hl == 0 || hl >= sizeof(host))
            return -1;
        memcpy(host, endpoint + 6, hl);
        host[hl] = '\0';
        struct sockaddr_in sa = { .sin_family = AF_INET };
        sa.sin_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
            return -1;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0)
            goto fail;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    } else if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(endpoint + 6) >= sizeof(sa.sun_path))
            return -1;
        strcpy(sa.sun_path, endpoint + 6);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0)
            goto fail;
    } else {
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
fail:
    perror("conns: connect");
    if (fd >= 0)
        close(fd);
    return -1;
}

// Lets the socket process pending commands (attaching new pipes) for ms.
static void
settle(void *s, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        int events;
        size_t len = sizeof(events);
        B(getsockopt)(s, BC(EVENTS), &events, &len);
        usleep(10000);
    }
}

static const char usage_text[] = "[-n N] [-s SETTLE_MS] [ENDPOINT]\n"
                                 "  -n N  idle connections (default 1000)\n"
                                 "  ENDPOINT defaults to tcp://127.0.0.1:*\n";

int
main(int argc, char **argv)
{
    bench_tool = "conns";
    int n = 1000;
    int settle_ms = 500;
    int opt;
    while ((opt = getopt(argc, argv, "n:s:")) != -1) {
        switch (opt) {
        case 'n':
            n = (int) bench_parse(optarg, "N", 1000000);
            break;
        case 's':
            settle_ms = (int) bench_parse(optarg, "SETTLE_MS", 600000);
            break;
        default:
            bench_usage(usage_text);
        }
    }
    if (argc - optind > 1)
        bench_usage(usage_text);
    const char *endpoint = optind < argc ? argv[optind] : "tcp://127.0.0.1:*";
    bench_raise_nofile();

    char prefix[256];
    snprintf(prefix, sizeof(prefix), "lib=%s case=conns tr=%s n=%d", BENCH_LIB,
        bench_transport(endpoint), n);
    void *ctx = B(ctx_new)();
    if (ctx == NULL)
        bench_die("ctx_new");
    void *s = B(socket)(ctx, BC(PULL));
    if (s == NULL)
        bench_die("socket");
    bench_setint(s, BC(BACKLOG), 1024);
    char peer_ep[256];
    bench_bind(s, endpoint, prefix, peer_ep, sizeof(peer_ep));
    settle(s, 100);
    long rss0 = bench_rss_kib();

    unsigned char hello[GREETING_SIZE + 64];
    size_t hello_len = handshake_bytes(hello);
    peer_t *peers = calloc((size_t) n, sizeof(*peers));
    struct pollfd *pfd = calloc((size_t) n, sizeof(*pfd));
    if (peers == NULL || pfd == NULL)
        abort();
    for (int i = 0; i < n; i++) {
        peers[i].fd = raw_connect(peer_ep);
        if (peers[i].fd < 0) {
            fprintf(stderr, "conns: connection %d failed\n", i);
            return 1;
        }
        if (write(peers[i].fd, hello, hello_len) != (ssize_t) hello_len) {
            perror("conns: write");
            return 1;
        }
    }

    // Wait for every peer's greeting and READY from the library.
    int pending = n;
    uint64_t deadline = bench_now_ns() + 30000000000u;
    while (pending > 0) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (!peers[i].done)
                pfd[m++]
                    = (struct pollfd) { .fd = peers[i].fd, .events = POLLIN };
        if (bench_now_ns() > deadline) {
            fprintf(stderr, "conns: %d handshakes unfinished\n", pending);
            return 1;
        }
        if (poll(pfd, (nfds_t) m, 100) < 0)
            continue;
        for (int j = 0, i = 0; j < m; j++) {
            if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            while (peers[i].fd != pfd[j].fd)
                i++;
            peer_t *p = &peers[i];
            ssize_t r = read(p->fd, p->buf + p->got, sizeof(p->buf) - p->got);
            if (r <= 0) {
                fprintf(stderr, "conns: peer %d closed by the library\n", i);
                return 1;
            }
            p->got += (size_t) r;
            int c = peer_check(p);
            if (c < 0) {
                fprintf(stderr, "conns: peer %d: unexpected handshake\n", i);
                return 1;
            }
            if (c > 0) {
                p->done = true;
                pending--;
            }
        }
    }
    settle(s, settle_ms);
    long rss = bench_rss_kib();
    long hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f != NULL) {
        char line[256];
        while (fgets(line, sizeof(line), f) != NULL)
            if (sscanf(line, "VmHWM: %ld kB", &hwm) == 1)
                break;
        fclose(f);
    }
    printf("%s rss0_kib=%ld rss_kib=%ld delta_kib=%ld per_conn_b=%.0f "
           "hwm_kib=%ld\n",
        prefix, rss0, rss, rss - rss0,
        n > 0 ? (double) (rss - rss0) * 1024 / n : 0.0, hwm);
    fflush(stdout);

    for (int i = 0; i < n; i++)
        close(peers[i].fd);
    free(peers);
    free(pfd);
    bench_setint(s, BC(LINGER), 0);
    B(close)(s);
    B(ctx_term)(ctx);
    return 0;
}
