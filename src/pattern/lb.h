// Load balancer: sends each message to the next pipe that has room,
// round-robin, keeping the parts of one message on one pipe. Used by PUSH
// (and later REQ, DEALER) on the socket's thread.

#ifndef ZMI_LB_H
#define ZMI_LB_H

#include <stdbool.h>

#include "pattern/parray.h"

typedef struct zmi_lb {
    zmi_parray_t pipes; // [0, active) have room
    int active;         // writable pipes
    int current;        // next pipe to use
    bool more;          // in the middle of a multipart message
    bool dropping;      // its pipe died mid-message: drop the rest
} zmi_lb_t;

void zmi_lb_init(zmi_lb_t *lb, int slot);
void zmi_lb_fini(zmi_lb_t *lb);
// Returns 0 or -ENOMEM.
int zmi_lb_attach(zmi_lb_t *lb, zmi_pipe_t *p);
void zmi_lb_detach(zmi_lb_t *lb, zmi_pipe_t *p);
void zmi_lb_activated(zmi_lb_t *lb, zmi_pipe_t *p);
// 0 (msg taken, left closed; *used set to the pipe if non-NULL) or
// -EAGAIN (no pipe has room; msg untouched).
int zmi_lb_send(zmi_lb_t *lb, zmi_msg_t *msg, zmi_pipe_t **used);
bool zmi_lb_has_out(zmi_lb_t *lb);

#endif
