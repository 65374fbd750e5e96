// Error strings and the internal-invariant failure path.

#include "core/err.h"

#include <string.h>

#include "zmsg.h"

void
zmi_assert_fail(const char *what, const char *file, int line)
{
    // Only reached when zmsg's own invariants are broken (a bug in zmsg),
    // never because of caller arguments or peer bytes.
    fprintf(stderr, "zmsg: assertion failed: %s (%s:%d)\n", what, file, line);
    fflush(stderr);
    abort();
}

// zmsg's own codes, from one table.
#define ZMI_ERRNO_MAP(X)                                                       \
    X(ZMSG_EFSM, "Operation cannot be accomplished in current state")          \
    X(ZMSG_ENOCOMPATPROTO, "The protocol is not compatible with the socket type") \
    X(ZMSG_ETERM, "Context was terminated")                                    \
    X(ZMSG_EMTHREAD, "No thread available")

ZMSG_EXPORT const char *
zmsg_strerror(int errnum)
{
    switch (errnum) {
#define ZMI_ERR_CASE(code, text)                                               \
    case code:                                                                 \
        return text;
        ZMI_ERRNO_MAP(ZMI_ERR_CASE)
#undef ZMI_ERR_CASE
    default:
        return strerror(errnum);
    }
}

ZMSG_EXPORT int
zmsg_errno(void)
{
    return errno;
}
