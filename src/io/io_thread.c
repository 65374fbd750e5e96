// The I/O thread loop: wait on the reactor with the nearest timer as the
// timeout, run due timers, and drain the mailbox when its fd is readable.

#include "io/io_thread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/socket.h"

static void
io_mailbox_ready(void *arg)
{
    zmi_io_thread_t *t = arg;
    zmi_cmd_t cmd;
    while (!t->stopping && zmi_mailbox_recv(&t->mb, &cmd, 0) == 0)
        zmi_cmd_dispatch(&cmd);
}

static const zmi_io_events_t io_mailbox_events = { io_mailbox_ready, NULL };

int
zmi_io_thread_init(zmi_io_thread_t *t)
{
    memset(t, 0, sizeof(*t));
    int rc = zmi_mailbox_init(&t->mb);
    if (rc != 0)
        return rc;
    errno = 0;
    t->reactor = zmi_reactor_new();
    if (t->reactor == NULL) {
        // NB: zmi_reactor_new leaves errno set: EMFILE when out of fds.
        int err = errno != 0 ? errno : ENOMEM;
        zmi_mailbox_fini(&t->mb);
        return -err;
    }
    zmi_timers_init(&t->timers);
    t->mb_handle = zmi_reactor_add(t->reactor, zmi_mailbox_fd(&t->mb),
                                   &io_mailbox_events, t);
    if (t->mb_handle == NULL) {
        zmi_timers_fini(&t->timers);
        zmi_reactor_destroy(t->reactor);
        zmi_mailbox_fini(&t->mb);
        return -ENOMEM;
    }
    zmi_reactor_set_pollin(t->reactor, t->mb_handle);
    atomic_init(&t->load, 0);
    return 0;
}

static void *
io_thread_main(void *arg)
{
    zmi_io_thread_t *t = arg;
    while (!t->stopping) {
        int timeout = zmi_timers_timeout(&t->timers, zmi_clock_ms());
        zmi_reactor_wait(t->reactor, timeout);
        zmi_timers_run(&t->timers, zmi_clock_ms());
    }
    return NULL;
}

// The thread starts with every signal blocked (it inherits the mask in
// force at creation): the application's handlers then run in its own
// threads, where an interrupted call can see EINTR, and never in ours.
int
zmi_io_thread_start(zmi_io_thread_t *t)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t->tid, NULL, io_thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -rc;
    t->started = true;
    return 0;
}

void
zmi_io_thread_fini(zmi_io_thread_t *t)
{
    if (t->started) {
        zmi_cmd_t cmd = { .type = ZMI_CMD_THREAD_STOP, .target = t };
        zmi_mailbox_send(&t->mb, &cmd);
        pthread_join(t->tid, NULL);
    }
    zmi_reactor_rm(t->reactor, t->mb_handle);
    zmi_reactor_destroy(t->reactor);
    zmi_timers_fini(&t->timers);
    zmi_mailbox_fini(&t->mb);
}

void
zmi_io_thread_send(zmi_io_thread_t *t, const zmi_cmd_t *cmd)
{
    zmi_mailbox_send(&t->mb, cmd);
}

void
zmi_io_object_send_start(zmi_io_object_t *o)
{
    zmi_cmd_t cmd = { .type = ZMI_CMD_IO_START, .target = o };
    zmi_io_thread_send(o->thread, &cmd);
}

void
zmi_io_object_send_stop(zmi_io_object_t *o, int linger)
{
    zmi_cmd_t cmd = { .type = ZMI_CMD_IO_STOP, .target = o };
    cmd.u.i = linger;
    zmi_io_thread_send(o->thread, &cmd);
}

void
zmi_io_thread_process(zmi_cmd_t *cmd)
{
    zmi_io_thread_t *t = cmd->target;
    switch (cmd->type) {
    case ZMI_CMD_THREAD_STOP:
        t->stopping = true;
        break;
    case ZMI_CMD_REAP:
        zmi_socket_start_reaping(cmd->u.ptr, t);
        break;
    default:
        ZMI_ASSERT(!"not an I/O thread command");
    }
}
