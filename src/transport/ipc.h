// ipc:// addresses: a filesystem path ("ipc:///tmp/feed"), a Linux
// abstract name ("ipc://@feed"), or "*" for a fresh path when binding.
// Parsing and formatting only; the listener handles stale files.

#ifndef ZMI_IPC_H
#define ZMI_IPC_H

#include <stdbool.h>
#include <stddef.h>

#include "transport/net.h"

// Fills out with the unix address. Returns 0, -EINVAL (empty) or
// -ENAMETOOLONG (longer than sun_path allows).
int zmi_ipc_resolve(const char *address, bool bind, zmi_sockaddr_t *out);
// Writes "ipc://<path>" ("ipc://@name" for an abstract address).
void zmi_ipc_format(const zmi_sockaddr_t *sa, char *out, size_t cap);
// The filesystem path of a unix address, or NULL if abstract.
const char *zmi_ipc_path(const zmi_sockaddr_t *sa);

#endif
