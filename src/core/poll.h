// zmsg_poll over zmsg sockets and plain fds.

#ifndef ZMI_POLL_H
#define ZMI_POLL_H

#include "zmsg.h"

// Returns the number of items with events, or a negative errno.
int zmi_poll(zmsg_pollitem_t *items, int nitems, long timeout_ms);

#endif
