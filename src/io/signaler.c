// Signaler: a file descriptor that becomes readable when another thread
// wants to wake its owner.
//
// Any thread may send; only the owner drains or waits. Linux uses one
// non-blocking eventfd; other systems use a non-blocking pipe pair. The
// signaler owns its descriptors and closes them in fini.

#include "io/signaler.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/eventfd.h>
#endif

#ifndef __linux__
// Makes fd non-blocking and close-on-exec, as pipe2() would, with calls
// that exist on every POSIX system.
static int
sig_set_flags(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}
#endif

int
zmi_signaler_init(zmi_signaler_t *s)
{
    s->rfd = -1;
    s->wfd = -1;
#ifdef __linux__
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    if (fd < 0)
        return -errno;
    s->rfd = fd;
    s->wfd = fd;
    return 0;
#else
    int fds[2];
    int rc;

    if (pipe(fds) < 0)
        return -errno;
    if ((rc = sig_set_flags(fds[0])) != 0
        || (rc = sig_set_flags(fds[1])) != 0) {
        close(fds[0]);
        close(fds[1]);
        return rc;
    }
    s->rfd = fds[0];
    s->wfd = fds[1];
    return 0;
#endif
}

void
zmi_signaler_fini(zmi_signaler_t *s)
{
    if (s->wfd >= 0 && s->wfd != s->rfd)
        close(s->wfd);
    if (s->rfd >= 0)
        close(s->rfd);
    s->rfd = -1;
    s->wfd = -1;
}

// A failed write needs no report: EAGAIN means the counter or the pipe is
// already full, so the fd is readable anyway, which is all a send promises.
void
zmi_signaler_send(zmi_signaler_t *s)
{
    int saved = errno;
#ifdef __linux__
    uint64_t one = 1;
#else
    unsigned char one = 1;
#endif
    ssize_t n;

    do
        n = write(s->wfd, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
    // Senders may run inside code that reads errno afterwards.
    errno = saved;
}

void
zmi_signaler_drain(zmi_signaler_t *s)
{
    int saved = errno;
#ifdef __linux__
    uint64_t count;

    // One read returns and resets the whole counter; EAGAIN means it was
    // already zero.
    while (read(s->rfd, &count, sizeof(count)) < 0 && errno == EINTR)
        ;
#else
    unsigned char buf[256];
    ssize_t n;

    // Read until a short read, EAGAIN (empty) or any other error.
    do
        n = read(s->rfd, buf, sizeof(buf));
    while (n == (ssize_t) sizeof(buf) || (n < 0 && errno == EINTR));
#endif
    errno = saved;
}

int
zmi_signaler_wait(zmi_signaler_t *s, int timeout_ms)
{
    struct pollfd pfd = { .fd = s->rfd, .events = POLLIN, .revents = 0 };
    int rc = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);

    if (rc < 0)
        return -errno;
    if (rc == 0)
        return -EAGAIN;
    if (pfd.revents & POLLNVAL)
        return -EBADF;
    return 0;
}
