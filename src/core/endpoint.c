// Splits an endpoint into transport and address.

#include "core/endpoint.h"

#include <errno.h>
#include <string.h>

int
zmi_endpoint_parse(const char *endpoint, zmi_endpoint_t *out)
{
    const char *sep = strstr(endpoint, "://");
    if (sep == NULL || sep == endpoint)
        return -EINVAL;
    size_t n = (size_t) (sep - endpoint);
    const char *addr = sep + 3;
    if (n == 3 && memcmp(endpoint, "tcp", 3) == 0)
        out->transport = ZMI_TRANSPORT_TCP;
    else if (n == 3 && memcmp(endpoint, "ipc", 3) == 0)
        out->transport = ZMI_TRANSPORT_IPC;
    else if (n == 6 && memcmp(endpoint, "inproc", 6) == 0)
        out->transport = ZMI_TRANSPORT_INPROC;
    else
        return -EPROTONOSUPPORT;
    if (*addr == '\0')
        return -EINVAL;
    out->address = addr;
    return 0;
}
