// A ZMTP engine: one connection. It owns the fd, runs the greeting and the
// NULL handshake, then moves frames between the fd and its session with
// batched writes and reads. Lives on one I/O thread; a dead connection
// only ever ends itself.

#ifndef ZMI_ENGINE_H
#define ZMI_ENGINE_H

#include <stdbool.h>

#include "core/options.h"
#include "io/io_thread.h"

typedef struct zmi_session zmi_session_t;
typedef struct zmi_engine zmi_engine_t;

// Takes the connected fd (closed on failure). Returns NULL on failure.
zmi_engine_t *zmi_engine_new(zmi_session_t *session, zmi_io_thread_t *io,
                             int fd, const zmi_options_t *opts);
// Closes the fd and frees everything.
void zmi_engine_destroy(zmi_engine_t *e);
// The session has outbound parts again.
void zmi_engine_restart_output(zmi_engine_t *e);
// The session's queue has room again.
void zmi_engine_restart_input(zmi_engine_t *e);
// True when nothing is waiting to be written.
bool zmi_engine_drained(const zmi_engine_t *e);
// Frames the engine carried (for tests that prove filtering).
unsigned long long zmi_engine_frames_out(const zmi_engine_t *e);

#endif
