// The context (see ctx.h). Threads start with the first socket so that a
// context that is created and terminated costs nothing.

#include "core/ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/msg.h"
#include "transport/inproc.h"

zmi_ctx_t *
zmi_ctx_new(void)
{
    zmi_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return NULL;
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        return NULL;
    }
    if (pthread_cond_init(&ctx->cond, NULL) != 0) {
        pthread_mutex_destroy(&ctx->lock);
        free(ctx);
        return NULL;
    }
    ctx->inproc = zmi_inproc_new();
    if (ctx->inproc == NULL) {
        pthread_cond_destroy(&ctx->cond);
        pthread_mutex_destroy(&ctx->lock);
        free(ctx);
        return NULL;
    }
    ctx->io_threads = ZMSG_IO_THREADS_DFLT;
    ctx->max_sockets = ZMSG_MAX_SOCKETS_DFLT;
    ctx->max_msgsz = INT32_MAX;
    ctx->tag = ZMI_CTX_TAG;
    return ctx;
}

// Starts the I/O threads and the reaper. Called with the lock held.
static int
ctx_start(zmi_ctx_t *ctx)
{
    int rc = zmi_io_thread_init(&ctx->reaper);
    if (rc != 0)
        return rc;
    ctx->io = calloc((size_t) ctx->io_threads, sizeof(*ctx->io));
    if (ctx->io == NULL) {
        zmi_io_thread_fini(&ctx->reaper);
        return -ENOMEM;
    }
    for (ctx->nio = 0; ctx->nio < ctx->io_threads; ctx->nio++) {
        zmi_io_thread_t *t = &ctx->io[ctx->nio];
        rc = zmi_io_thread_init(t);
        if (rc == 0) {
            rc = zmi_io_thread_start(t);
            if (rc != 0)
                zmi_io_thread_fini(t);
        }
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = zmi_io_thread_start(&ctx->reaper);
    if (rc != 0) {
        while (ctx->nio > 0)
            zmi_io_thread_fini(&ctx->io[--ctx->nio]);
        free(ctx->io);
        ctx->io = NULL;
        zmi_io_thread_fini(&ctx->reaper);
        return rc;
    }
    ctx->started = true;
    return 0;
}

// Makes room in the open-socket list before a socket exists, so that
// adding it afterwards can't fail.
static int
ctx_reserve_open(zmi_ctx_t *ctx)
{
    if (ctx->nopen < ctx->capopen)
        return 0;
    int cap = ctx->capopen ? ctx->capopen * 2 : 16;
    zmi_socket_t **a = realloc(ctx->sockets, (size_t) cap * sizeof(*a));
    if (a == NULL)
        return -ENOMEM;
    ctx->sockets = a;
    ctx->capopen = cap;
    return 0;
}

static void
ctx_untrack_open(zmi_ctx_t *ctx, zmi_socket_t *s)
{
    for (int i = 0; i < ctx->nopen; i++) {
        if (ctx->sockets[i] == s) {
            ctx->sockets[i] = ctx->sockets[--ctx->nopen];
            return;
        }
    }
}

int
zmi_ctx_socket(zmi_ctx_t *ctx, int type, zmi_socket_t **out)
{
    pthread_mutex_lock(&ctx->lock);
    int rc = 0;
    if (ctx->shutdown)
        rc = -ZMSG_ETERM;
    else if (ctx->nsockets >= ctx->max_sockets)
        rc = -EMFILE;
    else if (!ctx->started)
        rc = ctx_start(ctx);
    if (rc == 0)
        rc = ctx_reserve_open(ctx);
    zmi_socket_t *s = NULL;
    if (rc == 0) {
        // Spread sockets over the I/O threads.
        zmi_io_thread_t *io = &ctx->io[ctx->next_io++ % ctx->nio];
        rc = zmi_socket_new(ctx, type, io, &s);
    }
    if (rc == 0) {
        ctx->sockets[ctx->nopen++] = s;
        ctx->nsockets++;
        *out = s;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int
zmi_ctx_close_socket(zmi_ctx_t *ctx, zmi_socket_t *s)
{
    pthread_mutex_lock(&ctx->lock);
    ctx_untrack_open(ctx, s);
    pthread_mutex_unlock(&ctx->lock);
    zmi_socket_close(s, &ctx->reaper);
    return 0;
}

void
zmi_ctx_socket_reaped(zmi_ctx_t *ctx, zmi_socket_t *s)
{
    // The struct stays allocated (tag dead), so that a call on a closed
    // socket reads ENOTSOCK instead of freed memory: until zmsg_ctx_term,
    // or until ZMI_CTX_DEAD_MAX newer sockets were closed (then, as with
    // libzmq, using it is the caller's bug).
    pthread_mutex_lock(&ctx->lock);
    s->next_dead = NULL;
    if (ctx->dead_last != NULL)
        ctx->dead_last->next_dead = s;
    else
        ctx->dead = s;
    ctx->dead_last = s;
    zmi_socket_t *oldest = NULL;
    if (++ctx->ndead > ZMI_CTX_DEAD_MAX) {
        oldest = ctx->dead;
        ctx->dead = oldest->next_dead;
        ctx->ndead--;
    }
    ctx->nsockets--;
    pthread_cond_broadcast(&ctx->cond);
    pthread_mutex_unlock(&ctx->lock);
    free(oldest);
}

int
zmi_ctx_shutdown(zmi_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->shutdown) {
        ctx->shutdown = true;
        for (int i = 0; i < ctx->nopen; i++) {
            zmi_cmd_t cmd = { .type = ZMI_CMD_SOCKET_STOP,
                              .target = ctx->sockets[i] };
            zmi_mailbox_send(&ctx->sockets[i]->mb, &cmd);
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

int
zmi_ctx_term(zmi_ctx_t *ctx)
{
    zmi_ctx_shutdown(ctx);
    pthread_mutex_lock(&ctx->lock);
    while (ctx->nsockets > 0)
        pthread_cond_wait(&ctx->cond, &ctx->lock);
    pthread_mutex_unlock(&ctx->lock);
    // Every socket is gone, so no command can reach the threads any more.
    if (ctx->started) {
        for (int i = 0; i < ctx->nio; i++)
            zmi_io_thread_fini(&ctx->io[i]);
        zmi_io_thread_fini(&ctx->reaper);
        free(ctx->io);
    }
    while (ctx->dead != NULL) {
        zmi_socket_t *s = ctx->dead;
        ctx->dead = s->next_dead;
        free(s);
    }
    free(ctx->sockets);
    zmi_inproc_destroy(ctx->inproc);
    ctx->tag = ZMI_CTX_TAG_DEAD;
    pthread_cond_destroy(&ctx->cond);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
    return 0;
}

int
zmi_ctx_set(zmi_ctx_t *ctx, int option, int val)
{
    int rc = 0;
    pthread_mutex_lock(&ctx->lock);
    switch (option) {
    case ZMSG_IO_THREADS:
        if (val < 1 || val > 64 || ctx->started)
            rc = -EINVAL;
        else
            ctx->io_threads = val;
        break;
    case ZMSG_MAX_SOCKETS:
        if (val < 1)
            rc = -EINVAL;
        else
            ctx->max_sockets = val;
        break;
    case ZMSG_MAX_MSGSZ:
        if (val < 0)
            rc = -EINVAL;
        else
            ctx->max_msgsz = val;
        break;
    default:
        rc = -EINVAL;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int
zmi_ctx_get(zmi_ctx_t *ctx, int option)
{
    int v;
    pthread_mutex_lock(&ctx->lock);
    switch (option) {
    case ZMSG_IO_THREADS:
        v = ctx->io_threads;
        break;
    case ZMSG_MAX_SOCKETS:
        v = ctx->max_sockets;
        break;
    case ZMSG_SOCKET_LIMIT:
        v = 65535;
        break;
    case ZMSG_MAX_MSGSZ:
        v = ctx->max_msgsz;
        break;
    case ZMSG_MSG_T_SIZE:
        v = (int) sizeof(zmsg_msg_t);
        break;
    default:
        v = -EINVAL;
    }
    pthread_mutex_unlock(&ctx->lock);
    return v;
}
