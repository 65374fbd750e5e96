// A session: one peer of a socket as seen from the I/O thread. It owns the
// I/O thread's end of the peer's pipe and the engine of the current
// connection. A connecting session outlives connections (it reconnects
// with backoff and keeps the queue); an accepted one ends with its
// connection. Lives on one I/O thread.

#ifndef ZMI_SESSION_H
#define ZMI_SESSION_H

#include <stdbool.h>

#include "codec/zmtp_cmd.h"
#include "core/options.h"
#include "io/io_thread.h"
#include "pipe/pipe.h"
#include "core/endpoint.h"
#include "transport/net.h"

typedef struct zmi_socket zmi_socket_t;
typedef struct zmi_engine zmi_engine_t;
typedef struct zmi_listener zmi_listener_t;

typedef struct zmi_session {
    zmi_io_object_t io;          // start/stop by command; must be first
    zmi_socket_t *socket;        // where ATTACH_PIPE and IO_DONE go
    zmi_mailbox_t *socket_mb;    // the socket's mailbox
    zmi_options_t opts;          // the socket's options when created
    zmi_pipe_t *pipe;            // our end of the peer's queue, or NULL
    zmi_pipe_t *old_pipe;        // IMMEDIATE: a dead connection's queue,
                                 // ending
    zmi_engine_t *engine;        // current connection, or NULL
    zmi_listener_t *listener;    // accepting listener, NULL if connecting
    struct zmi_session *next;    // listener's list of accepted sessions
    struct zmi_session *prev;
    char *address;               // connect: address to (re)connect to
    enum zmi_transport transport; // connect: tcp or ipc
    int connect_fd;              // connect: fd of a connect in progress
    zmi_io_handle_t *connect_h;  // its reactor handle
    int reconnect_ivl;           // connect: current backoff interval
    zmi_timer_t reconnect_timer; // connect: next attempt
    zmi_timer_t linger_timer;    // stopping: give up sending at deadline
    zmi_timer_t connect_timer;   // connect: CONNECT_TIMEOUT of an attempt
    bool accepted;               // from a listener (ends with its connection)
    bool socket_left;            // the socket ended the pipe; we drained it
    bool stopping;               // no new work: draining or finishing
    bool stop_requested;         // IO_STOP arrived (or the listener's stop)
    bool finishing;              // closing down; destroyed when all is gone
    bool out_more;               // last part pulled had MORE
    bool drop_rest;              // discard the rest of a half-sent message
    bool in_drop;                // peer sends data this socket never reads
} zmi_session_t;

// Accepted connection: starts its engine at once on the calling (I/O)
// thread. Returns NULL if memory runs out (fd is then closed).
zmi_session_t *zmi_session_accepted(zmi_socket_t *socket,
                                    const zmi_options_t *opts,
                                    zmi_io_thread_t *io,
                                    zmi_listener_t *listener, int fd);
// Stops a session owned by a listener (same thread), honouring linger.
void zmi_session_stop(zmi_session_t *s, int linger);

// Called by the engine (I/O thread).
// Handshake done: the peer's READY was acceptable.
void zmi_session_engine_ready(zmi_session_t *s);
// Delivers one inbound part. False: the queue is full, keep the part and
// stop reading until zmi_engine_restart_input.
bool zmi_session_push(zmi_session_t *s, zmi_msg_t *msg);
// Publishes inbound parts pushed so far.
void zmi_session_flush(zmi_session_t *s);
// Next outbound part, or false when none is ready.
bool zmi_session_pull(zmi_session_t *s, zmi_msg_t *msg);
// Everything the engine had to write is out.
void zmi_session_engine_drained(zmi_session_t *s);
// The connection failed; the session destroys the engine. The engine must
// not touch itself after calling this.
void zmi_session_engine_error(zmi_session_t *s, int err);

#endif
