// The context: I/O threads (started with the first socket), the reaper,
// the socket list and termination. Thread-safe: every entry takes the
// context lock; none of this is on a message path.

#ifndef ZMI_CTX_H
#define ZMI_CTX_H

#include <pthread.h>
#include <stdbool.h>

#include "core/socket.h"
#include "io/io_thread.h"

#define ZMI_CTX_TAG 0x5a435458u      // "ZCTX"
#define ZMI_CTX_TAG_DEAD 0xdeadc7c7u
// Closed sockets kept so that a call on one gets ENOTSOCK; beyond this the
// oldest is freed, so opening and closing sockets forever stays bounded.
#define ZMI_CTX_DEAD_MAX 1024

struct zmi_ctx {
    uint32_t tag;              // ZMI_CTX_TAG while usable
    pthread_mutex_t lock;      // guards everything below
    pthread_cond_t cond;       // signalled when a socket is reaped
    int io_threads;            // ZMSG_IO_THREADS
    int max_sockets;           // ZMSG_MAX_SOCKETS
    int max_msgsz;             // ZMSG_MAX_MSGSZ
    zmi_io_thread_t *io;       // io_threads of them, once started
    int nio;                   // started I/O threads
    int next_io;               // round-robin choice for new sockets
    zmi_io_thread_t reaper;    // finishes closing sockets
    bool started;              // threads are running
    bool shutdown;             // zmsg_ctx_shutdown/term was called
    int nsockets;              // sockets not yet reaped
    zmi_socket_t **sockets;    // open sockets (for shutdown wake-ups)
    int nopen;
    int capopen;
    zmi_socket_t *dead;        // reaped sockets, oldest first (tags stay
                               // readable)
    zmi_socket_t *dead_last;   // the newest of them
    int ndead;                 // how many (at most ZMI_CTX_DEAD_MAX)
    struct zmi_inproc *inproc; // inproc:// names
};

zmi_ctx_t *zmi_ctx_new(void);
int zmi_ctx_term(zmi_ctx_t *ctx);
int zmi_ctx_shutdown(zmi_ctx_t *ctx);
int zmi_ctx_set(zmi_ctx_t *ctx, int option, int val);
int zmi_ctx_get(zmi_ctx_t *ctx, int option);
int zmi_ctx_socket(zmi_ctx_t *ctx, int type, zmi_socket_t **out);
int zmi_ctx_close_socket(zmi_ctx_t *ctx, zmi_socket_t *s);
// Called by the reaper once a closed socket is fully gone.
void zmi_ctx_socket_reaped(zmi_ctx_t *ctx, zmi_socket_t *s);

#endif
