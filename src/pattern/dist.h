// Distributor: sends one message to a chosen set of pipes (a PUB's
// matching subscribers), sharing one refcounted body among them, and
// drops it for a pipe at its HWM instead of waiting. Pipes [0, matching)
// are the chosen ones for the message being sent. Socket's thread only.

#ifndef ZMI_DIST_H
#define ZMI_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "pattern/parray.h"

typedef struct zmi_dist {
    zmi_parray_t pipes; // every pipe; [0, matching) chosen
    int matching;       // pipes chosen for the current message
    bool more;          // in the middle of a multipart message
    uint64_t dropped;   // messages dropped at a pipe's HWM, ever
} zmi_dist_t;

void zmi_dist_init(zmi_dist_t *d, int slot);
void zmi_dist_fini(zmi_dist_t *d);
int zmi_dist_attach(zmi_dist_t *d, zmi_pipe_t *p);
void zmi_dist_detach(zmi_dist_t *d, zmi_pipe_t *p);
// Chooses p for the next message (idempotent). Only between messages.
void zmi_dist_match(zmi_dist_t *d, zmi_pipe_t *p);
// Chooses every pipe.
void zmi_dist_match_all(zmi_dist_t *d);
// Chooses exactly the pipes that were not chosen.
void zmi_dist_invert(zmi_dist_t *d);
// Sends one part to the chosen pipes (the first part of a message first
// drops the pipes at their HWM, counting each drop). Never fails; msg is
// left closed. After the last part nothing is chosen any more.
void zmi_dist_send(zmi_dist_t *d, zmi_msg_t *msg);
// True while a message is half sent (its first part chose the pipes).
static inline bool
zmi_dist_in_message(const zmi_dist_t *d)
{
    return d->more;
}

#endif
