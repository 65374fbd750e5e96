// The reactor: readiness of file descriptors for one I/O thread.
//
// One contract, one backend chosen at configure time (reactor_epoll.c on
// Linux, reactor_poll.c anywhere POSIX). Used only by the thread that runs
// it. Interest changes are cheap (recorded, applied before the next wait)
// and a handle removed during dispatch gets no further callbacks.

#ifndef ZMI_REACTOR_H
#define ZMI_REACTOR_H

typedef struct zmi_reactor zmi_reactor_t;
typedef struct zmi_io_handle zmi_io_handle_t;

typedef struct zmi_io_events {
    // fd is readable (or has an error/hang-up: the callback finds out by
    // reading). Called on the reactor's thread.
    void (*in_event)(void *arg);
    // fd is writable (or has an error).
    void (*out_event)(void *arg);
} zmi_io_events_t;

// Returns NULL on failure (allocation or epoll_create).
zmi_reactor_t *zmi_reactor_new(void);
// Frees the reactor; every handle must have been removed.
void zmi_reactor_destroy(zmi_reactor_t *r);
// Starts watching fd with no interest set. Returns NULL on failure.
zmi_io_handle_t *zmi_reactor_add(zmi_reactor_t *r, int fd,
                                 const zmi_io_events_t *ev, void *arg);
// Stops watching; the handle is freed (later, if mid-dispatch) and no
// callback for it runs after this returns. Does not close the fd.
void zmi_reactor_rm(zmi_reactor_t *r, zmi_io_handle_t *h);
void zmi_reactor_set_pollin(zmi_reactor_t *r, zmi_io_handle_t *h);
void zmi_reactor_reset_pollin(zmi_reactor_t *r, zmi_io_handle_t *h);
void zmi_reactor_set_pollout(zmi_reactor_t *r, zmi_io_handle_t *h);
void zmi_reactor_reset_pollout(zmi_reactor_t *r, zmi_io_handle_t *h);
// Waits up to timeout_ms (-1 forever, 0 poll) and dispatches what is
// ready. Returns the number of events dispatched, or a negative errno
// (-EINTR is returned as 0).
int zmi_reactor_wait(zmi_reactor_t *r, int timeout_ms);
// Name of the backend ("epoll", "poll"), for diagnostics.
const char *zmi_reactor_backend(void);

#endif
