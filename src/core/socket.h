// The generic socket: options, endpoints, the set of pipes, blocking with
// timeouts, and the pattern behind a small ops table.
//
// A socket is used by one thread at a time (the caller's), which also
// processes the socket's mailbox. After zmsg_close the reaper thread takes
// over the mailbox until every pipe and I/O object is gone.

#ifndef ZMI_SOCKET_H
#define ZMI_SOCKET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/options.h"
#include "io/io_thread.h"
#include "io/mailbox.h"
#include "pattern/pattern.h"

#define ZMI_SOCKET_TAG 0x5a4d5347u      // "ZMSG": a live socket
#define ZMI_SOCKET_TAG_DEAD 0xdeadd00du // closed

typedef struct zmi_ctx zmi_ctx_t;

// One bind or connect, for unbind/disconnect and for stopping on close.
typedef struct zmi_endpoint_rec {
    char *addr;            // endpoint as given by the caller
    char *resolved;        // bind: as ZMSG_LAST_ENDPOINT has it, or NULL
                           // when the same
    zmi_io_object_t *obj;  // listener or session on the I/O thread (NULL
                           // for inproc)
    zmi_pipe_t *pipe;      // inproc connect: our end, until it ends
    bool bound;            // bind (true) or connect
} zmi_endpoint_rec_t;

struct zmi_socket {
    uint32_t tag;                   // ZMI_SOCKET_TAG while usable
    zmi_ctx_t *ctx;                 // owner
    zmi_io_thread_t *io;            // where its I/O objects live
    zmi_mailbox_t mb;               // commands for the socket and its pipes
    zmi_options_t opts;             // options as set by the caller
    const zmi_pattern_ops_t *ops;   // the pattern
    void *pstate;                   // the pattern's state
    zmi_pipe_t **pipes;             // every attached pipe
    int npipes;
    int cappipes;
    zmi_endpoint_rec_t *eps;        // binds and connects
    int neps;
    int capeps;
    int live_io;                    // I/O objects not yet reported done
    uint64_t dropped;               // messages dropped at a peer's HWM
    uint64_t hiccups;               // connections lost under its pipes
    bool rcvmore;                   // last part received had MORE
    bool closing;                   // zmsg_close was called
    bool ctx_terminated;            // the context is shutting down
    zmi_io_handle_t *reaper_handle; // mailbox fd in the reaper's reactor
    zmi_io_thread_t *reaper;        // reaper thread, once closing
    struct zmi_socket *next_dead;   // closed sockets kept for ENOTSOCK
};

typedef struct zmi_socket zmi_socket_t;

// Creates a socket of a known type. Returns 0 or -EINVAL / -ENOMEM /
// -EMFILE.
int zmi_socket_new(zmi_ctx_t *ctx, int type, zmi_io_thread_t *io,
                   zmi_socket_t **out);
// Starts closing (never blocks); the reaper frees the socket later.
void zmi_socket_close(zmi_socket_t *s, zmi_io_thread_t *reaper);
int zmi_socket_bind(zmi_socket_t *s, const char *endpoint);
int zmi_socket_connect(zmi_socket_t *s, const char *endpoint);
int zmi_socket_unbind(zmi_socket_t *s, const char *endpoint);
int zmi_socket_disconnect(zmi_socket_t *s, const char *endpoint);
int zmi_socket_setopt(zmi_socket_t *s, int option, const void *val,
                      size_t len);
int zmi_socket_getopt(zmi_socket_t *s, int option, void *val, size_t *len);
// Sends one part (flags: ZMSG_DONTWAIT, ZMSG_SNDMORE). On 0 the part is
// taken (msg left empty); on error msg is untouched.
int zmi_socket_send(zmi_socket_t *s, zmi_msg_t *msg, int flags);
// Receives one part into msg (an initialised part, closed first).
int zmi_socket_recv(zmi_socket_t *s, zmi_msg_t *msg, int flags);
// Milliseconds until the pattern's own timer is due (a REQ's resend), or
// -1: how long a wait on the socket may last at most.
int zmi_socket_timeout(zmi_socket_t *s);
// Attaches a pipe end created elsewhere (connect, inproc).
void zmi_socket_attach_pipe(zmi_socket_t *s, zmi_pipe_t *p);
// ZMSG_CONFLATE: makes the direction a socket with options o reads (PULL,
// SUB) or writes (PUSH, PUB) on the new pipe end own_end keep only the
// newest message. Call before any message moves.
void zmi_socket_conflate_pipe(const zmi_options_t *o, zmi_pipe_t *own_end);
// Counts an I/O object whose IO_DONE will come later (any thread).
void zmi_socket_io_created(zmi_socket_t *s);
// Commands addressed to a socket.
void zmi_socket_process(zmi_cmd_t *cmd);
// Reaper side of closing (called on the reaper thread).
void zmi_socket_start_reaping(zmi_socket_t *s, zmi_io_thread_t *reaper);

#endif
