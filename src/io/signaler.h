// A wake-up fd: eventfd on Linux, a non-blocking pipe pair elsewhere.
//
// Any thread may send; one thread waits or drains. The fd becomes readable
// after a send and stays so until drained.

#ifndef ZMI_SIGNALER_H
#define ZMI_SIGNALER_H

typedef struct zmi_signaler {
    int rfd; // the fd to poll for readability
    int wfd; // where send writes (== rfd for eventfd)
} zmi_signaler_t;

// Returns 0 or a negative errno (-EMFILE when out of descriptors).
int zmi_signaler_init(zmi_signaler_t *s);
void zmi_signaler_fini(zmi_signaler_t *s);
void zmi_signaler_send(zmi_signaler_t *s);
// Consumes every pending signal without blocking.
void zmi_signaler_drain(zmi_signaler_t *s);
// Waits until signalled: 0 when readable, -EAGAIN on timeout, -EINTR.
// timeout_ms -1 waits forever.
int zmi_signaler_wait(zmi_signaler_t *s, int timeout_ms);

#endif
