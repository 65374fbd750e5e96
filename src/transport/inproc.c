// The inproc:// registry and the joining of two sockets (see inproc.h).
//
// Runs on the thread of the socket that binds or connects, under the
// context's lock. A pipe made for a connect that waits for its bind has a
// peer end nobody owns yet; until the binder takes it, that end is owned
// by a stand-in (`inproc_orphan`) whose mailbox is the connecter's, so
// that if the connecter leaves first the termination protocol completes
// on its own mailbox and frees the pipe.

#include "transport/inproc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/zmtp_cmd.h"
#include "core/ctx.h"
#include "core/socket.h"
#include "pipe/pipe.h"

typedef struct inproc_bound {
    char *name;          // the bound name
    zmi_socket_t *socket; // who bound it
} inproc_bound_t;

typedef struct inproc_pending {
    char *name;          // the name being waited for
    zmi_socket_t *socket; // who connected
    zmi_pipe_t *peer;    // the end the binder will own
} inproc_pending_t;

struct zmi_inproc {
    inproc_bound_t *bound;
    int nbound, capbound;
    inproc_pending_t *pending;
    int npending, cappending;
};

static void
inproc_orphan_noop(void *owner, zmi_pipe_t *p)
{
    (void) owner;
    (void) p;
}

static void
inproc_orphan_terminated(void *owner, zmi_pipe_t *p)
{
    (void) owner;
    zmi_pipe_release(p);
}

// The owner of a waiting end that no socket took.
static const zmi_pipe_events_t inproc_orphan = {
    .read_activated = inproc_orphan_noop,
    .write_activated = inproc_orphan_noop,
    .terminated = inproc_orphan_terminated,
};

zmi_inproc_t *
zmi_inproc_new(void)
{
    return calloc(1, sizeof(zmi_inproc_t));
}

void
zmi_inproc_destroy(zmi_inproc_t *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nbound; i++)
        free(r->bound[i].name);
    for (int i = 0; i < r->npending; i++)
        free(r->pending[i].name);
    free(r->bound);
    free(r->pending);
    free(r);
}

// Grows an array of n elements of size sz to hold one more.
static int
inproc_grow(void **a, int n, int *cap, size_t sz)
{
    if (n < *cap)
        return 0;
    int c = *cap ? *cap * 2 : 8;
    void *b = realloc(*a, (size_t) c * sz);
    if (b == NULL)
        return -ENOMEM;
    *a = b;
    *cap = c;
    return 0;
}

static inproc_bound_t *
inproc_find(zmi_inproc_t *r, const char *name)
{
    for (int i = 0; i < r->nbound; i++)
        if (strcmp(r->bound[i].name, name) == 0)
            return &r->bound[i];
    return NULL;
}

// The HWM of a direct pipe is the sum of both sides', as in libzmq: the
// writer's SNDHWM plus the reader's RCVHWM (0 stays unlimited).
static int
inproc_hwm(int snd, int rcv)
{
    if (snd == 0 || rcv == 0)
        return 0;
    long sum = (long) snd + rcv;
    return sum > 0x7fffffff ? 0x7fffffff : (int) sum;
}

// Hands the binder its end: owned, fed through the binder's mailbox.
static void
inproc_give_binder(zmi_socket_t *binder, zmi_pipe_t *end)
{
    zmi_pipe_set_mailbox(end, &binder->mb);
    zmi_cmd_t cmd = { .type = ZMI_CMD_ATTACH_PIPE, .target = binder };
    cmd.u.ptr = end;
    zmi_mailbox_send(&binder->mb, &cmd);
}

int
zmi_inproc_connect(zmi_socket_t *s, const char *name, zmi_pipe_t **out)
{
    if (*name == '\0')
        return -EINVAL;
    zmi_ctx_t *ctx = s->ctx;
    pthread_mutex_lock(&ctx->lock);
    zmi_inproc_t *r = ctx->inproc;
    inproc_bound_t *b = inproc_find(r, name);
    int rc = 0;
    if (b != NULL && !zmi_zmtp_socket_types_compatible(s->opts.type,
                                                       b->socket->opts.type))
        rc = -ZMSG_ENOCOMPATPROTO;
    if (rc == 0 && b == NULL)
        rc = inproc_grow((void **) &r->pending, r->npending, &r->cappending,
                         sizeof(*r->pending));
    char *copy = NULL;
    if (rc == 0 && b == NULL && (copy = strdup(name)) == NULL)
        rc = -ENOMEM;
    zmi_pipe_t *mine = NULL, *theirs = NULL;
    if (rc == 0 && b != NULL)
        rc = zmi_pipe_pair_new(
            &mine, &theirs, inproc_hwm(s->opts.sndhwm, b->socket->opts.rcvhwm),
            inproc_hwm(b->socket->opts.sndhwm, s->opts.rcvhwm), &s->mb,
            &b->socket->mb);
    else if (rc == 0)
        // NB: with no binder yet, only our own limits are known (as in
        // libzmq, messages sent before the bind queue up to SNDHWM).
        rc = zmi_pipe_pair_new(&mine, &theirs, s->opts.sndhwm,
                               s->opts.rcvhwm, &s->mb, &s->mb);
    if (rc != 0) {
        free(copy);
        pthread_mutex_unlock(&ctx->lock);
        return rc;
    }
    // Before the binder holds its end: it may write at once.
    zmi_socket_conflate_pipe(&s->opts, mine);
    if (b != NULL) {
        // NB: a connect that waits for its bind takes only its own
        // CONFLATE: messages may already be queued when the binder comes.
        zmi_socket_conflate_pipe(&b->socket->opts, theirs);
        inproc_give_binder(b->socket, theirs);
    } else {
        zmi_pipe_set_owner(theirs, &inproc_orphan, NULL);
        r->pending[r->npending++] = (inproc_pending_t) { copy, s, theirs };
    }
    pthread_mutex_unlock(&ctx->lock);
    zmi_socket_attach_pipe(s, mine);
    *out = mine;
    return 0;
}

int
zmi_inproc_bind(zmi_socket_t *s, const char *name)
{
    if (*name == '\0')
        return -EINVAL;
    zmi_ctx_t *ctx = s->ctx;
    pthread_mutex_lock(&ctx->lock);
    zmi_inproc_t *r = ctx->inproc;
    int rc = inproc_find(r, name) != NULL ? -EADDRINUSE : 0;
    if (rc == 0)
        rc = inproc_grow((void **) &r->bound, r->nbound, &r->capbound,
                         sizeof(*r->bound));
    char *copy = NULL;
    if (rc == 0 && (copy = strdup(name)) == NULL)
        rc = -ENOMEM;
    if (rc != 0) {
        pthread_mutex_unlock(&ctx->lock);
        return rc;
    }
    r->bound[r->nbound++] = (inproc_bound_t) { copy, s };
    // Connects that came first get their peer now.
    for (int i = 0; i < r->npending;) {
        inproc_pending_t *p = &r->pending[i];
        if (strcmp(p->name, name) != 0) {
            i++;
            continue;
        }
        if (zmi_zmtp_socket_types_compatible(s->opts.type,
                                             p->socket->opts.type)) {
            inproc_give_binder(s, p->peer);
        } else {
            // Types that can't talk: end the pipe, the orphan frees it.
            zmi_pipe_terminate(p->peer);
        }
        free(p->name);
        *p = r->pending[--r->npending];
    }
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

int
zmi_inproc_unbind(zmi_socket_t *s, const char *name)
{
    zmi_ctx_t *ctx = s->ctx;
    pthread_mutex_lock(&ctx->lock);
    zmi_inproc_t *r = ctx->inproc;
    int rc = -ENOENT;
    for (int i = 0; i < r->nbound;) {
        inproc_bound_t *b = &r->bound[i];
        if (b->socket == s && (name == NULL || strcmp(b->name, name) == 0)) {
            free(b->name);
            *b = r->bound[--r->nbound];
            rc = 0;
            continue;
        }
        i++;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

// Gives up s's connects still waiting for a bind: all of them, or only
// the one whose own end is `mine`.
static void
inproc_forget_pending(zmi_socket_t *s, const zmi_pipe_t *mine)
{
    zmi_ctx_t *ctx = s->ctx;
    pthread_mutex_lock(&ctx->lock);
    zmi_inproc_t *r = ctx->inproc;
    for (int i = 0; i < r->npending;) {
        inproc_pending_t *p = &r->pending[i];
        if (p->socket != s || (mine != NULL && p->peer != mine->peer)) {
            i++;
            continue;
        }
        // No binder will come for it now: end the orphan first. NB: if
        // only our own end were terminated, the orphan would self-post
        // its last ACK behind our end's, and the socket, reaped as soon as
        // its own end finished, would take that ACK (and the pipe pair)
        // with it. Terminated this way, the orphan's ACK comes first.
        zmi_pipe_terminate(p->peer);
        free(p->name);
        *p = r->pending[--r->npending];
    }
    pthread_mutex_unlock(&ctx->lock);
}

void
zmi_inproc_socket_closing(zmi_socket_t *s)
{
    zmi_inproc_unbind(s, NULL);
    inproc_forget_pending(s, NULL);
}

void
zmi_inproc_disconnect(zmi_socket_t *s, zmi_pipe_t *mine)
{
    inproc_forget_pending(s, mine);
    zmi_pipe_terminate(mine);
}
