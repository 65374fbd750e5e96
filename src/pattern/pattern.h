// The contract between the generic socket and a pattern (PUSH, PULL, ...).
//
// Every slot runs on the thread that currently uses the socket (a user
// thread, or the reaper once the socket is closed), never concurrently,
// and none may block: the socket does the waiting. Each pattern file
// defines its private state and exports only its ops table.

#ifndef ZMI_PATTERN_H
#define ZMI_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"
#include "pipe/pipe.h"
#include "zmsg.h"

typedef struct zmi_socket zmi_socket_t;

typedef struct zmi_pattern_ops {
    int type;          // ZMSG_* socket type
    size_t state_size; // bytes the socket allocates for the state
    // Sets up the state (zeroed by the socket). Returns 0 or -errno.
    int (*init)(void *st, zmi_socket_t *s);
    // Frees what init and later calls allocated; every pipe is detached.
    void (*fini)(void *st);
    // A new pipe joins; it may be read and written at once.
    void (*attach)(void *st, zmi_pipe_t *p);
    // A pipe left (its termination finished); forget it. Not called for
    // a pipe that was never attached.
    void (*detach)(void *st, zmi_pipe_t *p);
    // A pipe that read empty has parts again.
    void (*read_activated)(void *st, zmi_pipe_t *p);
    // A pipe that was at its HWM has room again.
    void (*write_activated)(void *st, zmi_pipe_t *p);
    // Sends one part. Returns 0 when the part was taken (msg is left
    // closed), -EAGAIN when it can't be now (msg untouched; the socket may
    // wait and retry), or another -errno (msg untouched). NULL: ENOTSUP.
    int (*send)(void *st, zmi_msg_t *msg);
    // Receives one part into msg (closed on entry). 0, -EAGAIN or -errno.
    // NULL: ENOTSUP.
    int (*recv)(void *st, zmi_msg_t *msg);
    // Whether recv/send would succeed now (ZMSG_EVENTS, poll).
    bool (*has_in)(void *st);
    bool (*has_out)(void *st);
    // Pattern options (SUBSCRIBE, REQ_RELAXED, ...): 0, -errno, or
    // -ENOTSUP to let the generic table handle it. May be NULL.
    int (*setopt)(void *st, int option, const void *val, size_t len);
    // The connection behind a connecting pipe was lost; the pipe stays
    // (it reconnects) but whatever was on the wire is gone. May be NULL.
    void (*hiccuped)(void *st, zmi_pipe_t *p);
    // Milliseconds until the pattern wants send/recv called again even if
    // nothing arrives (a resend timer), or -1. May be NULL.
    int (*timeout)(void *st);
} zmi_pattern_ops_t;

extern const zmi_pattern_ops_t zmi_push_ops;
extern const zmi_pattern_ops_t zmi_pull_ops;
extern const zmi_pattern_ops_t zmi_req_ops;
extern const zmi_pattern_ops_t zmi_rep_ops;
extern const zmi_pattern_ops_t zmi_pub_ops;
extern const zmi_pattern_ops_t zmi_sub_ops;

// Longest subscription topic accepted (from the caller or a peer), and
// how many subscription bytes one subscriber may hold at a publisher.
// Both bound the memory a peer can make a PUB use.
// (Public: zmsg.h.)
#define ZMI_SUBSCRIPTION_MAX ZMSG_SUBSCRIPTION_MAX
#define ZMI_PEER_SUBSCRIPTIONS_MAX ZMSG_PEER_SUBSCRIPTIONS_MAX

// Trie nodes a PUB holds for its subscribers (tests prove it stays
// bounded under a subscription flood).
size_t zmi_pub_subscription_nodes(zmi_socket_t *s);

#endif
