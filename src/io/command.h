// Every command that crosses threads, in one place.
//
// A command names its target object and a type; the receiving thread's
// mailbox hands it to zmi_cmd_dispatch(), which calls the module that owns
// the target. Commands between two objects arrive in the order sent.

#ifndef ZMI_COMMAND_H
#define ZMI_COMMAND_H

#include <stdint.h>

enum zmi_cmd_type {
    // To a pipe end (target: zmi_pipe_t *).
    ZMI_CMD_ACTIVATE_READ,  // peer flushed into a pipe we found empty
    ZMI_CMD_ACTIVATE_WRITE, // peer read u.msgs_read messages: credit
    ZMI_CMD_PIPE_TERM,      // peer is done writing (a DELIM ends its data)
    ZMI_CMD_PIPE_TERM_ACK,  // peer will send no more commands to this end
    ZMI_CMD_PIPE_HICCUP,    // peer's connection dropped; it reconnects
    // To a socket (target: zmi_socket_t *).
    ZMI_CMD_ATTACH_PIPE,    // a connection's pipe is ready (u.ptr: pipe)
    ZMI_CMD_IO_DONE,        // an I/O object it owned is gone (u.ptr: it)
    ZMI_CMD_SOCKET_STOP,    // the context is terminating: wake blocked calls
    // To an I/O object (target: zmi_io_object_t *; see io_thread.h).
    ZMI_CMD_IO_START,       // begin work on the I/O thread
    ZMI_CMD_IO_STOP,        // stop, then free itself (u.i: linger ms)
    // To an I/O thread (target: zmi_io_thread_t *).
    ZMI_CMD_THREAD_STOP,    // leave the loop
    ZMI_CMD_REAP,           // finish closing a socket (u.ptr: socket)
};

typedef struct zmi_cmd {
    enum zmi_cmd_type type; // what to do
    void *target;           // which object does it
    union {
        uint64_t msgs_read; // ACTIVATE_WRITE
        void *ptr;          // ATTACH_PIPE
        int64_t i;          // generic integer argument
    } u;
} zmi_cmd_t;

// Runs a received command on the current thread (defined in command.c).
void zmi_cmd_dispatch(zmi_cmd_t *cmd);

#endif
