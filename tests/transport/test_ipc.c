// ipc:// (Unix domain stream sockets): the socket file's life (bind
// creates it, unbind and close remove it, a stale one is replaced, a live
// one is not), ZMSG_LAST_ENDPOINT (also for ipc://*), the sun_path limit
// and messages over the transport. Every test works in a directory of its
// own, made by mkdtemp and removed afterwards.

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/socket.h"

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *) 0)->sun_path)

typedef struct fixture {
    void *ctx;
    char dir[128]; // this test's directory
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(f->dir, sizeof(f->dir), "%s/zt-ipc-XXXXXX", tmp);
    assert_non_null(mkdtemp(f->dir));
    f->ctx = zmsg_ctx_new();
    assert_non_null(f->ctx);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    zt_term(f->ctx);
    DIR *d = opendir(f->dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

// path = dir/name, ep = "ipc://" path.
static void
make_path(fixture_t *f, const char *name, char *path, size_t pcap, char *ep,
    size_t ecap)
{
    snprintf(path, pcap, "%s/%s", f->dir, name);
    snprintf(ep, ecap, "ipc://%s", path);
}

static bool
is_socket_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

// Waits until every I/O object of s (its listeners) has reported that it
// stopped, i.e. the I/O thread is done with what unbind asked it to do
// (white-box: zmi_socket_t.live_io). Reading EVENTS processes commands.
static void
wait_io_done(void *s)
{
    zmi_socket_t *sock = s;
    int64_t deadline = zt_now_ms() + ZT_TIMEOUT_MS;
    int fd;
    size_t len = sizeof(fd);
    assert_int_equal(zmsg_getsockopt(s, ZMSG_FD, &fd, &len), 0);
    for (;;) {
        int ev;
        len = sizeof(ev);
        assert_int_equal(zmsg_getsockopt(s, ZMSG_EVENTS, &ev, &len), 0);
        if (sock->live_io == 0)
            return;
        int64_t left = deadline - zt_now_ms();
        if (left <= 0)
            fail_msg("the listener never stopped");
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        poll(&pfd, 1, (int) left);
    }
}

// A plain AF_UNIX stream socket bound to path (listening if listening).
static int
raw_unix_bind(const char *path, bool listening)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof(a.sun_path));
    strcpy(a.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    if (listening)
        assert_int_equal(listen(fd, 8), 0);
    return fd;
}

// 0 if a plain client can connect to path, else errno.
static int
raw_unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    int rc = connect(fd, (struct sockaddr *) &a, sizeof(a));
    int err = rc == 0 ? 0 : errno;
    close(fd);
    return err;
}

// A PUSH connected to ep delivers to pull.
static void
check_delivery(fixture_t *f, void *pull, const char *ep, const char *what)
{
    void *push = zt_socket(f->ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, what, 0);
    zt_recv_str(pull, what, 0);
    zmsg_close(push);
}

// zmsg_bind creates the path as a socket file before it returns, and
// LAST_ENDPOINT names it exactly.
static void
test_bind_creates_socket_file(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "bind.sock", path, sizeof(path), ep, sizeof(ep));
    assert_false(exists(path));
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    assert_true(is_socket_file(path));
    char last[300];
    size_t len = sizeof(last);
    assert_int_equal(zmsg_getsockopt(pull, ZMSG_LAST_ENDPOINT, last, &len), 0);
    assert_string_equal(last, ep);
    assert_int_equal(len, strlen(ep) + 1);
    zmsg_close(pull);
}

// zmsg_unbind removes the socket file (once the I/O thread has stopped
// the listener), and the same path can then be bound again.
static void
test_unbind_removes_socket_file(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "unbind.sock", path, sizeof(path), ep, sizeof(ep));
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    assert_true(is_socket_file(path));
    assert_int_equal(zmsg_unbind(pull, ep), 0);
    wait_io_done(pull);
    assert_false(exists(path));
    ZT_ASSERT_FAILS(zmsg_unbind(pull, ep), ENOENT);
    // Bound again, it works again.
    assert_int_equal(zmsg_bind(pull, ep), 0);
    assert_true(is_socket_file(path));
    check_delivery(f, pull, ep, "rebound");
    zmsg_close(pull);
}

// Closing the socket removes its socket files: they are gone once
// zmsg_ctx_term has returned.
static void
test_close_and_term_remove_socket_files(void **state)
{
    fixture_t *f = *state;
    char p1[256], e1[300], p2[256], e2[300];
    make_path(f, "close1.sock", p1, sizeof(p1), e1, sizeof(e1));
    make_path(f, "close2.sock", p2, sizeof(p2), e2, sizeof(e2));
    void *ctx = zmsg_ctx_new();
    void *pull = zt_socket(ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, e1), 0);
    assert_int_equal(zmsg_bind(pull, e2), 0);
    assert_true(is_socket_file(p1));
    assert_true(is_socket_file(p2));
    assert_int_equal(zmsg_close(pull), 0);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    assert_false(exists(p1));
    assert_false(exists(p2));
}

// A socket file whose socket was closed without unlink (what a crashed
// process leaves) refuses connections: bind replaces it and works.
static void
test_stale_file_of_closed_socket_is_replaced(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "stale.sock", path, sizeof(path), ep, sizeof(ep));
    close(raw_unix_bind(path, true));
    assert_true(is_socket_file(path));
    assert_int_equal(raw_unix_connect(path), ECONNREFUSED);
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    assert_true(is_socket_file(path));
    check_delivery(f, pull, ep, "after stale");
    zmsg_close(pull);
}

// The same with a real dead process: a child that listens on the path is
// killed with SIGKILL, so nobody unlinks its file.
static void
test_stale_file_of_killed_process_is_replaced(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "killed.sock", path, sizeof(path), ep, sizeof(ep));
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        // Child: async-signal-safe calls only (the parent has threads).
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a;
        memset(&a, 0, sizeof(a));
        a.sun_family = AF_UNIX;
        memcpy(a.sun_path, path, strlen(path));
        char ok = (fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0
                      && listen(fd, 8) == 0)
            ? 'y'
            : 'n';
        (void) write(ready[1], &ok, 1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char ok = 0;
    assert_int_equal(read(ready[0], &ok, 1), 1);
    close(ready[0]);
    assert_int_equal(ok, 'y');
    // While the child lives, the path is taken.
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(pull, ep), EADDRINUSE);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(is_socket_file(path));
    assert_int_equal(zmsg_bind(pull, ep), 0);
    check_delivery(f, pull, ep, "after the dead");
    zmsg_close(pull);
}

// A path someone listens on is never taken over: EADDRINUSE, and the
// listener keeps its file (a plain listener, then a zmsg one).
static void
test_live_listener_gives_eaddrinuse(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "live.sock", path, sizeof(path), ep, sizeof(ep));
    int lfd = raw_unix_bind(path, true);
    void *a = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(a, ep), EADDRINUSE);
    assert_true(is_socket_file(path));
    assert_int_equal(raw_unix_connect(path), 0); // still the plain one's
    close(lfd);
    unlink(path);
    assert_int_equal(zmsg_bind(a, ep), 0);
    void *b = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(b, ep), EADDRINUSE);
    assert_true(is_socket_file(path));
    check_delivery(f, a, ep, "first binder");
    zmsg_close(b);
    zmsg_close(a);
}

// A file that is not a socket is nobody's stale socket: bind refuses it
// (EADDRINUSE) and leaves it alone.
static void
test_regular_file_is_not_replaced(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "data.txt", path, sizeof(path), ep, sizeof(ep));
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    close(fd);
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(pull, ep), EADDRINUSE);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 4);
    zmsg_close(pull);
}

// ipc://* binds a new, unique path in TMPDIR: LAST_ENDPOINT names it, it
// exists as a socket, peers reach it, and close removes it.
static void
test_wildcard_binds_unique_path(void **state)
{
    fixture_t *f = *state;
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    assert_int_equal(setenv("TMPDIR", f->dir, 1), 0);
    void *ctx = zmsg_ctx_new();
    void *a = zt_socket(ctx, ZMSG_PULL);
    void *b = zt_socket(ctx, ZMSG_PULL);
    int rc_a = zmsg_bind(a, "ipc://*");
    int rc_b = zmsg_bind(b, "ipc://*");
    if (old != NULL)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    assert_int_equal(rc_a, 0);
    assert_int_equal(rc_b, 0);
    char ea[300], eb[300];
    size_t len = sizeof(ea);
    assert_int_equal(zmsg_getsockopt(a, ZMSG_LAST_ENDPOINT, ea, &len), 0);
    len = sizeof(eb);
    assert_int_equal(zmsg_getsockopt(b, ZMSG_LAST_ENDPOINT, eb, &len), 0);
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "ipc://%s/", f->dir);
    assert_true(strncmp(ea, prefix, strlen(prefix)) == 0);
    assert_true(strncmp(eb, prefix, strlen(prefix)) == 0);
    assert_string_not_equal(ea, eb);
    assert_true(is_socket_file(ea + 6));
    assert_true(is_socket_file(eb + 6));
    void *push = zt_socket(ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_connect(push, ea), 0);
    assert_int_equal(zmsg_connect(push, eb), 0);
    zt_wait_pipes(a, 1);
    zt_wait_pipes(b, 1);
    zt_send_str(push, "one", 0);
    zt_send_str(push, "two", 0);
    char buf[8];
    assert_int_equal(zmsg_recv(a, buf, sizeof(buf), 0), 3);
    assert_int_equal(zmsg_recv(b, buf, sizeof(buf), 0), 3);
    zmsg_close(push);
    zmsg_close(a);
    zmsg_close(b);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
    assert_false(exists(ea + 6));
    assert_false(exists(eb + 6));
}

// zmsg_unbind accepts what LAST_ENDPOINT reported for ipc://*, and the
// unique path goes with it. (TMPDIR unset: the default directory, /tmp.)
static void
test_wildcard_unbinds_by_last_endpoint(void **state)
{
    (void) state;
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    unsetenv("TMPDIR");
    void *ctx = zmsg_ctx_new();
    void *pull = zt_socket(ctx, ZMSG_PULL);
    int rc = zmsg_bind(pull, "ipc://*");
    if (old != NULL)
        setenv("TMPDIR", old, 1);
    free(old);
    assert_int_equal(rc, 0);
    char ep[300];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(pull, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_true(strncmp(ep, "ipc:///tmp/", 11) == 0);
    assert_true(is_socket_file(ep + 6));
    assert_int_equal(zmsg_unbind(pull, ep), 0);
    wait_io_done(pull);
    assert_false(exists(ep + 6));
    zmsg_close(pull);
    assert_int_equal(zmsg_ctx_term(ctx), 0);
}

// The same under a long TMPDIR (the resolved path is far longer than
// "ipc://*"): unbind by LAST_ENDPOINT still finds the binding.
static void
test_wildcard_unbinds_under_long_tmpdir(void **state)
{
    fixture_t *f = *state;
    char dir[sizeof(f->dir) + 64];
    snprintf(dir, sizeof(dir), "%s/a-rather-long-directory-name-for-ipc",
             f->dir);
    assert_true(strlen(dir) + 20 < SUN_PATH_MAX);
    assert_int_equal(mkdir(dir, 0700), 0);
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", dir, 1);
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    int rc = zmsg_bind(pull, "ipc://*");
    if (old != NULL)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    assert_int_equal(rc, 0);
    char ep[300];
    size_t len = sizeof(ep);
    assert_int_equal(zmsg_getsockopt(pull, ZMSG_LAST_ENDPOINT, ep, &len), 0);
    assert_true(strncmp(ep + 6, dir, strlen(dir)) == 0);
    assert_int_equal(zmsg_unbind(pull, ep), 0);
    wait_io_done(pull);
    assert_false(exists(ep + 6));
    zmsg_close(pull);
    assert_int_equal(rmdir(dir), 0);
}

// A path that does not fit in sun_path (with its NUL) is ENAMETOOLONG for
// bind and connect; the longest one that fits works.
static void
test_path_longer_than_sun_path_is_enametoolong(void **state)
{
    fixture_t *f = *state;
    char path[SUN_PATH_MAX + 64], ep[SUN_PATH_MAX + 80];
    size_t dlen = strlen(f->dir);
    assert_true(dlen + 2 < SUN_PATH_MAX);
    // SUN_PATH_MAX characters: one too many for the terminating NUL.
    memcpy(path, f->dir, dlen);
    path[dlen] = '/';
    memset(path + dlen + 1, 'x', SUN_PATH_MAX - dlen - 1);
    path[SUN_PATH_MAX] = '\0';
    snprintf(ep, sizeof(ep), "ipc://%s", path);
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    ZT_ASSERT_FAILS(zmsg_bind(pull, ep), ENAMETOOLONG);
    assert_false(exists(path));
    void *push = zt_socket(f->ctx, ZMSG_PUSH);
    ZT_ASSERT_FAILS(zmsg_connect(push, ep), ENAMETOOLONG);
    // Far too long too.
    char huge[1024];
    memset(huge, 'y', sizeof(huge));
    memcpy(huge, "ipc:///", 7);
    huge[sizeof(huge) - 1] = '\0';
    ZT_ASSERT_FAILS(zmsg_bind(pull, huge), ENAMETOOLONG);
    ZT_ASSERT_FAILS(zmsg_connect(push, huge), ENAMETOOLONG);
    // One character less fits.
    path[SUN_PATH_MAX - 1] = '\0';
    snprintf(ep, sizeof(ep), "ipc://%s", path);
    assert_int_equal(zmsg_bind(pull, ep), 0);
    assert_true(is_socket_file(path));
    assert_int_equal(zmsg_connect(push, ep), 0);
    zt_send_str(push, "fits", 0);
    zt_recv_str(pull, "fits", 0);
    zmsg_close(push);
    zmsg_close(pull);
}

// Messages cross ipc intact both ways round (either side binds), with
// multipart, empty and large parts.
static void
test_round_trip(void **state)
{
    fixture_t *f = *state;
    char path[256], ep[300];
    make_path(f, "rt.sock", path, sizeof(path), ep, sizeof(ep));
    void *rep = zt_socket(f->ctx, ZMSG_REP);
    assert_int_equal(zmsg_bind(rep, ep), 0);
    void *req = zt_socket(f->ctx, ZMSG_REQ);
    assert_int_equal(zmsg_connect(req, ep), 0);
    zt_send_str(req, "ping", ZMSG_SNDMORE);
    zt_send_str(req, "", ZMSG_SNDMORE);
    zt_send_str(req, "tail", 0);
    zt_recv_str(rep, "ping", 1);
    zt_recv_str(rep, "", 1);
    zt_recv_str(rep, "tail", 0);
    size_t big = 300000;
    unsigned char *out = malloc(big), *in = malloc(big);
    for (size_t i = 0; i < big; i++)
        out[i] = (unsigned char) (i * 31 + 7);
    assert_int_equal(zmsg_send(rep, out, big, 0), (int) big);
    assert_int_equal(zmsg_recv(req, in, big, 0), (int) big);
    assert_memory_equal(in, out, big);
    free(out);
    free(in);
    zmsg_close(req);
    zmsg_close(rep);
    // The other way round: the sender binds.
    char p2[256], e2[300];
    make_path(f, "rt2.sock", p2, sizeof(p2), e2, sizeof(e2));
    void *push = zt_socket(f->ctx, ZMSG_PUSH);
    assert_int_equal(zmsg_bind(push, e2), 0);
    void *pull = zt_socket(f->ctx, ZMSG_PULL);
    assert_int_equal(zmsg_connect(pull, e2), 0);
    char msg[16];
    for (int i = 0; i < 100; i++) {
        snprintf(msg, sizeof(msg), "m%d", i);
        zt_send_str(push, msg, 0);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(msg, sizeof(msg), "m%d", i);
        zt_recv_str(pull, msg, 0);
    }
    zmsg_close(pull);
    zmsg_close(push);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bind_creates_socket_file),
        T(test_unbind_removes_socket_file),
        T(test_close_and_term_remove_socket_files),
        T(test_stale_file_of_closed_socket_is_replaced),
        T(test_stale_file_of_killed_process_is_replaced),
        T(test_live_listener_gives_eaddrinuse),
        T(test_regular_file_is_not_replaced),
        T(test_wildcard_binds_unique_path),
        T(test_wildcard_unbinds_by_last_endpoint),
        T(test_wildcard_unbinds_under_long_tmpdir),
        T(test_path_longer_than_sun_path_is_enametoolong),
        T(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
