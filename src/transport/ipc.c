// ipc:// address parsing and formatting (see ipc.h).

#include "transport/ipc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

int
zmi_ipc_resolve(const char *address, bool bind, zmi_sockaddr_t *out)
{
    char path[sizeof(((struct sockaddr_un *) 0)->sun_path) + 1];
    if (bind && strcmp(address, "*") == 0) {
        // Like libzmq: a new, unique path in the temporary directory.
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%s/zmsg-XXXXXX",
                 dir != NULL && *dir != '\0' ? dir : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0)
            return -errno;
        close(fd);
        unlink(path); // only the unique name was wanted
        address = path;
    }
    size_t n = strlen(address);
    struct sockaddr_un *un = (struct sockaddr_un *) &out->ss;
    if (n == 0)
        return -EINVAL;
    if (n >= sizeof(un->sun_path))
        return -ENAMETOOLONG;
    memset(out, 0, sizeof(*out));
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, address, n);
    out->len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
    if (address[0] == '@') {
        // Linux abstract namespace: a leading NUL, no trailing one.
        un->sun_path[0] = '\0';
        out->len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
    }
    return 0;
}

const char *
zmi_ipc_path(const zmi_sockaddr_t *sa)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *) &sa->ss;
    return un->sun_path[0] == '\0' ? NULL : un->sun_path;
}

void
zmi_ipc_format(const zmi_sockaddr_t *sa, char *out, size_t cap)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *) &sa->ss;
    if (un->sun_path[0] == '\0') {
        size_t n = sa->len - offsetof(struct sockaddr_un, sun_path);
        snprintf(out, cap, "ipc://@%.*s", (int) (n > 0 ? n - 1 : 0),
                 un->sun_path + 1);
    } else {
        snprintf(out, cap, "ipc://%s", un->sun_path);
    }
}
