// Fair queue: receives from readable pipes round-robin, one whole message
// at a time. Used by PULL (and later REP, SUB, ...) on the socket's thread.

#ifndef ZMI_FQ_H
#define ZMI_FQ_H

#include <stdbool.h>

#include "pattern/parray.h"

typedef struct zmi_fq {
    zmi_parray_t pipes; // [0, active) may have parts
    int active;         // readable pipes
    int current;        // pipe to read next
    bool more;          // in the middle of a multipart message
} zmi_fq_t;

void zmi_fq_init(zmi_fq_t *fq, int slot);
void zmi_fq_fini(zmi_fq_t *fq);
// Returns 0 or -ENOMEM.
int zmi_fq_attach(zmi_fq_t *fq, zmi_pipe_t *p);
void zmi_fq_detach(zmi_fq_t *fq, zmi_pipe_t *p);
void zmi_fq_activated(zmi_fq_t *fq, zmi_pipe_t *p);
// 0 with a part in msg (*from set to its pipe if non-NULL) or -EAGAIN.
int zmi_fq_recv(zmi_fq_t *fq, zmi_msg_t *msg, zmi_pipe_t **from);
bool zmi_fq_has_in(zmi_fq_t *fq);

#endif
