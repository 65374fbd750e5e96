// An I/O thread: one reactor, one mailbox, one timer heap.
//
// Engines, listeners and sessions live on exactly one I/O thread and are
// only touched there. Other threads reach them with commands. The context
// also runs one extra I/O thread as the reaper, which finishes closing
// sockets so that zmsg_close never blocks.

#ifndef ZMI_IO_THREAD_H
#define ZMI_IO_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "io/mailbox.h"
#include "io/reactor.h"
#include "io/timer.h"

typedef struct zmi_io_thread zmi_io_thread_t;

// Anything that runs on an I/O thread and is started or stopped by
// command. Embedded as the first member of listeners and sessions.
typedef struct zmi_io_object {
    zmi_io_thread_t *thread;                // where it lives
    void (*start)(struct zmi_io_object *o); // IO_START arrived
    void (*stop)(struct zmi_io_object *o, int linger); // IO_STOP arrived
} zmi_io_object_t;

struct zmi_io_thread {
    pthread_t tid;             // the thread
    zmi_reactor_t *reactor;    // its fds
    zmi_mailbox_t mb;          // commands for it and its objects
    zmi_io_handle_t *mb_handle; // mailbox fd in the reactor
    zmi_timers_t timers;       // its timers
    bool stopping;             // THREAD_STOP seen
    bool started;              // pthread created
    atomic_int load;           // objects living here (for spreading)
};

// Returns 0 or a negative errno.
int zmi_io_thread_init(zmi_io_thread_t *t);
int zmi_io_thread_start(zmi_io_thread_t *t);
// Sends THREAD_STOP and joins (if started), then frees everything.
void zmi_io_thread_fini(zmi_io_thread_t *t);
void zmi_io_thread_send(zmi_io_thread_t *t, const zmi_cmd_t *cmd);
// Sends IO_START / IO_STOP to an object on its thread.
void zmi_io_object_send_start(zmi_io_object_t *o);
void zmi_io_object_send_stop(zmi_io_object_t *o, int linger);
// Called by zmi_cmd_dispatch for THREAD_STOP and REAP.
void zmi_io_thread_process(zmi_cmd_t *cmd);

#endif
