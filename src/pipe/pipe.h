// A pipe: two ypipes joining two ends, one end per thread-side owner
// (a socket in a user thread, a session in an I/O thread, or for inproc two
// sockets).
//
// Each end writes into one ypipe and reads from the other. The end that
// writes counts messages; the reader returns credit (ACTIVATE_WRITE) every
// low-water-mark messages, so the high-water mark needs no shared counter.
// Readers are woken (ACTIVATE_READ) only on the empty -> non-empty edge.
//
// Termination: an owner calls zmi_pipe_terminate(); a DELIM part ends its
// data and a PIPE_TERM command tells the peer, which answers PIPE_TERM_ACK
// and drains what is left up to the DELIM. An end is finished (its owner's
// `terminated` callback runs) when it got the ACK for its TERM, or read the
// DELIM after the peer's TERM. After `terminated`, no command will arrive
// for that end and the owner calls zmi_pipe_release(). The pair is freed
// when both ends are released.

#ifndef ZMI_PIPE_H
#define ZMI_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "io/command.h"
#include "io/mailbox.h"
#include "pipe/cslot.h"
#include "pipe/ypipe.h"

typedef struct zmi_pipe zmi_pipe_t;

// How a pipe end reaches its owner. Callbacks run on the owner's thread,
// from command processing (never from inside zmi_pipe_read/write).
typedef struct zmi_pipe_events {
    // The pipe has parts to read again after a read found it empty.
    void (*read_activated)(void *owner, zmi_pipe_t *p);
    // The pipe can be written again after check_write said it was full.
    void (*write_activated)(void *owner, zmi_pipe_t *p);
    // The end is finished: forget it, then call zmi_pipe_release().
    void (*terminated)(void *owner, zmi_pipe_t *p);
    // The peer lost its connection and is reconnecting. May be NULL.
    void (*hiccuped)(void *owner, zmi_pipe_t *p);
} zmi_pipe_events_t;

enum zmi_pipe_state {
    ZMI_PIPE_ACTIVE,          // both ends exchange messages
    ZMI_PIPE_TERM_SENT,       // we sent TERM, waiting for the ACK
    ZMI_PIPE_PEER_TERMINATED, // peer sent TERM (acked); we drain to DELIM
    ZMI_PIPE_DONE             // finished; no more commands for this end
};

struct zmi_pipe {
    zmi_ypipe_t *in;               // parts from the peer (we read)
    zmi_ypipe_t *out;              // parts to the peer (we write)
    zmi_cslot_t *cin;              // CONFLATE: replaces `in` when set
    zmi_cslot_t *cout;             // CONFLATE: replaces `out` when set
    zmi_msg_t cpeek;               // part taken from cin by check_read
    bool has_cpeek;                // cpeek holds a part
    bool cwake;                    // cout found the reader asleep
    zmi_pipe_t *peer;              // the other end (only to address commands)
    zmi_mailbox_t *mailbox;        // where commands for this end go
    const zmi_pipe_events_t *events; // owner callbacks
    void *owner;                   // passed to the callbacks
    struct zmi_pipe_pair *pair;    // shared allocation, refcounted
    enum zmi_pipe_state state;     // termination protocol state
    bool in_active;                // false once a read found nothing
    bool out_active;               // false once a write hit the HWM
    bool delim_seen;               // read the peer's DELIM before its TERM
    bool in_message;               // a multipart message is half written
    int out_hwm;                   // max messages in flight to the peer (0:
                                   // unlimited)
    int in_lwm;                    // send credit every in_lwm messages read
    uint64_t msgs_read;            // complete messages read
    uint64_t msgs_written;         // complete messages written
    uint64_t peers_msgs_read;      // last credit from the peer
    int index[2];                  // positions in pattern pipe arrays
    void *data;                    // the socket's mark: attached to it
    uint64_t pcount;               // a pattern's per-pipe counter (PUB:
                                   // bytes of subscriptions)
};

// Creates a pair. a_hwm limits messages in flight from a to b, b_hwm from b
// to a (0: no limit). Commands for a go to a_mb, for b to b_mb. Owners are
// set later with zmi_pipe_set_owner. Returns 0 or -ENOMEM.
int zmi_pipe_pair_new(zmi_pipe_t **a, zmi_pipe_t **b, int a_hwm, int b_hwm,
                      zmi_mailbox_t *a_mb, zmi_mailbox_t *b_mb);
// ZMSG_CONFLATE: from now on the direction into `reader` keeps only the
// newest part (it never fills; multipart is not supported). Right after
// the pair is made, before any part moves.
void zmi_pipe_conflate_in(zmi_pipe_t *reader);
// Sets who gets this end's callbacks. On the owner's thread, before any
// command for the end can be processed.
void zmi_pipe_set_owner(zmi_pipe_t *p, const zmi_pipe_events_t *events,
                        void *owner);
// Moves the end to another mailbox (a closing socket's pipes follow it to
// the reaper). Only while no command for it can be in flight elsewhere.
void zmi_pipe_set_mailbox(zmi_pipe_t *p, zmi_mailbox_t *mb);

// True when one more message may be written now. When false, the end is
// marked inactive and write_activated will run once credit comes back.
bool zmi_pipe_check_write(zmi_pipe_t *p);
// Writes one part (moved in; the caller's struct is left closed). Parts
// with ZMI_MSG_MORE stay unpublished until the last part is written and
// flushed. Call check_write before the first part of a message. Returns
// false if the pipe is no longer writable (terminating): the part is
// closed and dropped.
bool zmi_pipe_write(zmi_pipe_t *p, zmi_msg_t *msg);
// Publishes what was written; wakes the reader if it was asleep.
void zmi_pipe_flush(zmi_pipe_t *p);
// Drops the parts of a message that was only partly written.
void zmi_pipe_rollback(zmi_pipe_t *p);
// Reads one part into *msg (which must be closed or uninitialised).
// Returns false when there is nothing to read; read_activated runs when
// there is again.
bool zmi_pipe_read(zmi_pipe_t *p, zmi_msg_t *msg);
// True if a read would succeed now (does not consume).
bool zmi_pipe_check_read(zmi_pipe_t *p);

// Tells the peer end that our connection dropped (we keep the pipe and
// reconnect); parts it wrote before may not have reached anyone.
void zmi_pipe_hiccup(zmi_pipe_t *p);
// Starts (or finishes) termination from this end; see the top of the file.
// Parts the peer has not read yet stay readable for it.
void zmi_pipe_terminate(zmi_pipe_t *p);
// Gives up this end's reference; the last release frees the pair and every
// part still queued.
void zmi_pipe_release(zmi_pipe_t *p);
// Handles a command addressed to a pipe end (called by zmi_cmd_dispatch).
void zmi_pipe_process(zmi_cmd_t *cmd);

#endif
