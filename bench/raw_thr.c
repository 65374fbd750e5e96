// raw_thr: plain TCP loopback throughput with ZMTP framing, a ceiling.
//
// Uses neither zmsg nor libzmq. One process, two threads, one TCP
// connection on 127.0.0.1 (ephemeral port, TCP_NODELAY on the sender as the
// libraries set it). The sender thread writes COUNT records, each a ZMTP 3
// data frame of SIZE body octets: a 2-octet header (flags 0x00, size) for
// SIZE <= 255, else a 9-octet one (flags 0x02, 8-octet big-endian size),
// then the body (one buffer, filled once and reused). The receiver (main
// thread) read()s into a 64 KiB buffer, parses the frame headers and counts
// the records, as a library's decoder would, minus the messages.
//
// What it measures is the cost of the write pattern alone, so that zmsg and
// libzmq can be set against what the kernel allows:
//   -m frame   one sendmsg(2) per record with two iovecs (header, body),
//              what libzmq does for a big body;
//   -m stream  the byte stream of records written in chunks of CHUNK
//              octets that ignore record boundaries, by default whole TCP
//              segments within 64 KiB (max(mss, 65536 / mss * mss), the
//              MSS read again after each full chunk, as it grows while the
//              connection warms up), what zmsg's engine does.
// On loopback the MSS is near 64 KiB, and a write a little over it (a
// 64 KiB body plus its header) leaves a runt segment behind each full one;
// the two modes show what that costs with no library in the way.
//
// The rate runs from the first octet received to the end of the last
// record, as in the other tools.
//
// Output, one line:
//   lib=raw case=frame tr=tcp size=65536 count=N cpus=2 elapsed_s=...
//   msgs_per_s=... mb_per_s=...   (MB = 10^6 body bytes)

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RECV_BUF 65536
// Most octets per write by default, rounded down to whole segments.
#define WRITE_MAX 65536
// Iovecs per sendmsg at most (the kernel's UIO_MAXIOV).
#define MAX_IOV 1024
// Stream mode: records shorter than this (zmsg copies such bodies into its
// batch buffer) are laid out back to back in one buffer ahead of time, so
// that a chunk takes a few iovecs rather than two per record.
#define SMALL_RECORD 8192

enum mode { MODE_FRAME, MODE_STREAM };

// One stretch of the periodic byte stream: the stream is these pieces in
// order, over and over (every record is the same).
typedef struct {
    const uint8_t *base;
    size_t len;
} piece_t;

static enum mode mode = MODE_FRAME;
static size_t chunk_opt;     // -c, 0 = segment-sized
static size_t body_size;     // SIZE
static long long rec_count;  // COUNT
static uint8_t header[9];    // the frame header, same for every record
static size_t header_len;
static uint8_t *body;        // the body, filled once
static uint64_t stream_len;  // COUNT * (header_len + body_size)
static piece_t pieces[2];    // stream mode: one period of the stream
static int npieces;
static size_t period;        // octets in one period
static int send_fd = -1;

static const char usage_text[]
    = "[-m frame|stream] [-c CHUNK] SIZE COUNT\n"
      "  -m frame   one sendmsg per record, iovecs header + body (default)\n"
      "  -m stream  the record stream in chunks that span records\n"
      "  -c CHUNK   stream mode: octets per write (default: whole TCP\n"
      "             segments within 64 KiB)\n";

// Prints what failed with errno's description and exits 1.
static void
die(const char *what)
{
    fprintf(stderr, "raw_thr: %s: %s\n", what, strerror(errno));
    exit(1);
}

// Prints a protocol or consistency failure and exits 1.
static void
fail(const char *what, unsigned long long got, unsigned long long want)
{
    fprintf(stderr, "raw_thr: %s: got %llu, want %llu\n", what, got, want);
    exit(1);
}

// Prints the usage line and exits 2.
static void
usage(void)
{
    fprintf(stderr, "usage: raw_thr %s", usage_text);
    exit(2);
}

// Parses a non-negative decimal number no larger than max, or exits 2.
static long long
parse(const char *text, const char *name, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max) {
        fprintf(stderr, "raw_thr: bad %s '%s'\n", name, text);
        exit(2);
    }
    return v;
}

// Returns a monotonic clock reading in nanoseconds.
static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

// Returns how many CPUs this process may run on (1 when pinned).
static int
cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    return CPU_COUNT(&set);
}

// Octets per stream-mode write: -c if given, else whole segments of the
// connection's current MSS within WRITE_MAX (at least one segment), as
// zmsg's engine computes it.
static size_t
write_max(int fd)
{
    if (chunk_opt != 0)
        return chunk_opt;
    int mss = 0;
    socklen_t len = sizeof(mss);
    if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) != 0 || mss <= 0)
        return WRITE_MAX;
    size_t seg = (size_t) mss;
    return seg >= WRITE_MAX ? seg : WRITE_MAX / seg * seg;
}

// Fills header/header_len with the ZMTP 3 data frame header for body_size.
static void
build_header(void)
{
    if (body_size <= 255) {
        header[0] = 0x00;
        header[1] = (uint8_t) body_size;
        header_len = 2;
    } else {
        uint64_t n = body_size;
        header[0] = 0x02;
        for (int i = 8; i >= 1; i--) {
            header[i] = (uint8_t) n;
            n >>= 8;
        }
        header_len = 9;
    }
}

// Stream mode: describes one period of the stream as pieces. A big record
// is its header and the shared body (two pieces); small records are copied
// back to back into one buffer of about 64 KiB made once, so a chunk needs
// only a few iovecs (there is no per-write copy, unlike zmsg's batch).
static void
build_pieces(void)
{
    size_t rec = header_len + body_size;
    if (rec >= SMALL_RECORD) {
        pieces[0] = (piece_t) { header, header_len };
        pieces[1] = (piece_t) { body, body_size };
        npieces = 2;
        period = rec;
        return;
    }
    size_t k = WRITE_MAX / rec;
    if (k < 1)
        k = 1;
    uint8_t *unit = malloc(k * rec);
    if (unit == NULL)
        die("malloc");
    for (size_t i = 0; i < k; i++) {
        memcpy(unit + i * rec, header, header_len);
        memcpy(unit + i * rec + header_len, body, body_size);
    }
    pieces[0] = (piece_t) { unit, k * rec };
    npieces = 1;
    period = k * rec;
}

// Stream mode: fills iov with the want octets of the stream that start at
// offset off (fewer if MAX_IOV iovecs run out); returns the iovec count.
static int
stream_iov(struct iovec *iov, uint64_t off, size_t want)
{
    size_t pos = (size_t) (off % period);
    int p = 0;
    while (pos >= pieces[p].len) {
        pos -= pieces[p].len;
        p++;
    }
    int cnt = 0;
    while (want > 0 && cnt < MAX_IOV) {
        size_t take = pieces[p].len - pos;
        if (take > want)
            take = want;
        if (take > 0) {
            iov[cnt].iov_base = (void *) (pieces[p].base + pos);
            iov[cnt].iov_len = take;
            cnt++;
            want -= take;
        }
        pos = 0;
        p = (p + 1) % npieces;
    }
    return cnt;
}

// One sendmsg of iov[0..cnt), again after EINTR; exits on an error.
static size_t
send_once(struct iovec *iov, int cnt)
{
    for (;;) {
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t) cnt };
        ssize_t n = sendmsg(send_fd, &mh, MSG_NOSIGNAL);
        if (n >= 0)
            return (size_t) n;
        if (errno != EINTR)
            die("sendmsg");
    }
}

// Sends everything iov[0..cnt) describes, looping over short writes.
static void
send_all(struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        size_t done = send_once(iov, cnt);
        while (cnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (uint8_t *) iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
}

// Stream mode: writes the stream in chunks; a short write leaves the next
// chunk starting where it stopped, as the engine does.
static void
send_stream(void)
{
    static struct iovec iov[MAX_IOV];
    size_t chunk = write_max(send_fd);
    uint64_t off = 0;
    while (off < stream_len) {
        size_t want = chunk;
        if ((uint64_t) want > stream_len - off)
            want = (size_t) (stream_len - off);
        int cnt = stream_iov(iov, off, want);
        size_t n = send_once(iov, cnt);
        off += (uint64_t) n;
        if (n == chunk)
            chunk = write_max(send_fd);
    }
}

// Sender thread: writes all the records in the chosen mode, then closes
// its end so that the receiver sees end-of-file after the last octet.
static void *
sender_main(void *arg)
{
    (void) arg;
    if (mode == MODE_STREAM) {
        send_stream();
    } else {
        for (long long i = 0; i < rec_count; i++) {
            struct iovec iov[2] = {
                { header, header_len },
                { body, body_size },
            };
            send_all(iov, 2);
        }
    }
    if (close(send_fd) != 0)
        die("close");
    return NULL;
}

// Sets up a connected loopback pair: *rx is the accepted end, *tx the
// connecting one (TCP_NODELAY set).
static void
connect_pair(int *rx, int *tx)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0)
        die("socket");
    struct sockaddr_in addr = { .sin_family = AF_INET,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        .sin_port = 0 };
    socklen_t alen = sizeof(addr);
    if (bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0)
        die("bind");
    if (listen(lfd, 1) != 0)
        die("listen");
    if (getsockname(lfd, (struct sockaddr *) &addr, &alen) != 0)
        die("getsockname");
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    if (cfd < 0)
        die("socket");
    if (connect(cfd, (struct sockaddr *) &addr, sizeof(addr)) != 0)
        die("connect");
    int afd = accept(lfd, NULL, NULL);
    if (afd < 0)
        die("accept");
    close(lfd);
    int one = 1;
    if (setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        die("setsockopt TCP_NODELAY");
    *rx = afd;
    *tx = cfd;
}

enum rx_state { RX_FLAGS, RX_SIZE, RX_BODY };

int
main(int argc, char **argv)
{
    int opt;
    bool chunk_set = false;
    while ((opt = getopt(argc, argv, "m:c:")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "frame") == 0)
                mode = MODE_FRAME;
            else if (strcmp(optarg, "stream") == 0)
                mode = MODE_STREAM;
            else
                usage();
            break;
        case 'c':
            chunk_opt = (size_t) parse(optarg, "CHUNK", INT_MAX);
            chunk_set = true;
            break;
        default:
            usage();
        }
    }
    if (argc - optind != 2)
        usage();
    body_size = (size_t) parse(argv[optind], "SIZE", INT_MAX);
    rec_count = parse(argv[optind + 1], "COUNT", LLONG_MAX);
    if (rec_count < 1 || (chunk_set && (chunk_opt < 1 || mode != MODE_STREAM)))
        usage();

    build_header();
    size_t rec = header_len + body_size;
    if ((uint64_t) rec_count > UINT64_MAX / rec) {
        fprintf(stderr, "raw_thr: SIZE * COUNT too large\n");
        return 2;
    }
    stream_len = (uint64_t) rec_count * rec;
    body = malloc(body_size > 0 ? body_size : 1);
    if (body == NULL)
        die("malloc");
    for (size_t i = 0; i < body_size; i++)
        body[i] = (uint8_t) i;
    if (mode == MODE_STREAM)
        build_pieces();

    int rx;
    connect_pair(&rx, &send_fd);
    uint8_t *buf = malloc(RECV_BUF);
    if (buf == NULL)
        die("malloc");

    pthread_t sender;
    if (pthread_create(&sender, NULL, sender_main, NULL) != 0)
        abort();

    // Receive and parse: the header can be split across reads, the body is
    // skipped in bulk.
    const uint8_t want_flags = header[0];
    enum rx_state st = RX_FLAGS;
    int size_need = 0;
    uint64_t size_acc = 0, body_left = 0, total = 0;
    long long got = 0;
    uint64_t first_ns = 0, last_ns = 0;
    while (got < rec_count) {
        ssize_t n = read(rx, buf, RECV_BUF);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            fail("end of stream; records", (unsigned long long) got,
                (unsigned long long) rec_count);
        if (total == 0)
            first_ns = now_ns();
        total += (uint64_t) n;
        const uint8_t *p = buf, *end = buf + n;
        while (p < end && got < rec_count) {
            switch (st) {
            case RX_FLAGS:
                if (*p != want_flags)
                    fail("frame flags", *p, want_flags);
                size_need = (*p & 0x02) ? 8 : 1;
                size_acc = 0;
                p++;
                st = RX_SIZE;
                break;
            case RX_SIZE:
                size_acc = size_acc << 8 | *p++;
                if (--size_need > 0)
                    break;
                if (size_acc != body_size)
                    fail("frame size", size_acc, body_size);
                body_left = size_acc;
                st = RX_BODY;
                if (body_left > 0)
                    break;
                // An empty body completes the record now.
                // fall through
            case RX_BODY: {
                size_t avail = (size_t) (end - p);
                size_t take = body_left < avail ? (size_t) body_left : avail;
                p += take;
                body_left -= take;
                if (body_left == 0) {
                    got++;
                    st = RX_FLAGS;
                }
                break;
            }
            }
        }
    }
    last_ns = now_ns();
    if (total != stream_len)
        fail("octets received", total, stream_len);

    // Not timed: the sender must have sent nothing more.
    pthread_join(sender, NULL);
    ssize_t extra;
    while ((extra = read(rx, buf, RECV_BUF)) < 0 && errno == EINTR)
        ;
    if (extra < 0)
        die("read");
    if (extra != 0)
        fail("octets after the last record", (unsigned long long) extra, 0);
    close(rx);

    double secs = (double) (last_ns - first_ns) / 1e9;
    double rate = secs > 0 ? (double) rec_count / secs : 0;
    printf("lib=raw case=%s tr=tcp size=%zu count=%lld cpus=%d elapsed_s=%.4f "
           "msgs_per_s=%.0f mb_per_s=%.2f\n",
        mode == MODE_STREAM ? "stream" : "frame", body_size, rec_count, cpus(),
        secs, rate, rate * (double) body_size / 1e6);
    fflush(stdout);
    free(buf);
    free(body);
    if (mode == MODE_STREAM && npieces == 1)
        free((void *) pieces[0].base);
    return 0;
}
