// A listener: the bound fd of a stream transport. Accepts connections and
// gives each a session. Lives on the socket's I/O thread.

#ifndef ZMI_LISTENER_H
#define ZMI_LISTENER_H

#include "transport/session.h"

// Unlinks an accepted session that is going away (same thread).
void zmi_listener_forget(zmi_listener_t *l, zmi_session_t *s);

#endif
