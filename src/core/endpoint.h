// Endpoint strings ("tcp://host:port", "ipc:///path", "inproc://name")
// split into scheme and address. No I/O, no name resolution.

#ifndef ZMI_ENDPOINT_H
#define ZMI_ENDPOINT_H

#include <stddef.h>

enum zmi_transport {
    ZMI_TRANSPORT_TCP,
    ZMI_TRANSPORT_IPC,
    ZMI_TRANSPORT_INPROC,
};

typedef struct zmi_endpoint {
    enum zmi_transport transport;
    const char *address; // points into the string given to parse
} zmi_endpoint_t;

// Returns 0, -EINVAL (no "://", empty address) or -EPROTONOSUPPORT
// (unknown scheme).
int zmi_endpoint_parse(const char *endpoint, zmi_endpoint_t *out);

#endif
