// Lock-free single-producer/single-consumer queue of message parts.
//
// The storage (yq_*) is a doubly linked list of fixed-size chunks with one
// recycled spare; the pipe (zmi_ypipe_*) adds batched publication
// through the shared pointer c, which the reader sets to NULL when it goes
// to sleep so that the writer's next flush reports the wake-up edge.

#include "pipe/ypipe.h"

#include <errno.h>
#include <stdlib.h>

_Static_assert(ZMI_YPIPE_CHUNK >= 2, "a chunk must hold at least two slots");

static zmi_ypipe_chunk_t *
yq_chunk_alloc(void)
{
    zmi_ypipe_chunk_t *ch = malloc(sizeof(*ch));
    if (ch != NULL) {
        ch->prev = NULL;
        ch->next = NULL;
    }
    return ch;
}

static zmi_msg_t *
yq_front(zmi_ypipe_t *p)
{
    return &p->begin_chunk->values[p->begin_pos];
}

static zmi_msg_t *
yq_back(zmi_ypipe_t *p)
{
    return &p->back_chunk->values[p->back_pos];
}

// Stores in *out the chunk the next yq_push() will link in, or NULL when
// the end slot still has room in its chunk. Taking the chunk before anything
// changes lets a write fail with -ENOMEM and leave the queue untouched.
static int
yq_reserve(zmi_ypipe_t *p, zmi_ypipe_chunk_t **out)
{
    *out = NULL;
    if (p->end_pos + 1 != ZMI_YPIPE_CHUNK)
        return 0;
    // NB: the reader publishes a chunk into spare only after it has left
    // it, and the exchange (acq_rel on both sides) hands the whole chunk
    // over, so reusing its slots and links cannot race with the reader.
    zmi_ypipe_chunk_t *ch
        = atomic_exchange_explicit(&p->spare, NULL, memory_order_acq_rel);
    if (ch == NULL) {
        ch = yq_chunk_alloc();
        if (ch == NULL)
            return -ENOMEM;
    }
    *out = ch;
    return 0;
}

// Makes the end slot the new back slot and advances end, linking in ch
// (from yq_reserve) when the current chunk is full.
static void
yq_push(zmi_ypipe_t *p, zmi_ypipe_chunk_t *ch)
{
    p->back_chunk = p->end_chunk;
    p->back_pos = p->end_pos;
    if (++p->end_pos != ZMI_YPIPE_CHUNK)
        return;
    ch->prev = p->end_chunk;
    ch->next = NULL;
    p->end_chunk->next = ch;
    p->end_chunk = ch;
    p->end_pos = 0;
}

// Steps back and end one slot back, freeing a chunk that end leaves.
static void
yq_unpush(zmi_ypipe_t *p)
{
    if (p->back_pos > 0) {
        p->back_pos--;
    } else {
        p->back_pos = ZMI_YPIPE_CHUNK - 1;
        p->back_chunk = p->back_chunk->prev;
    }
    if (p->end_pos > 0) {
        p->end_pos--;
    } else {
        // NB: the reader never reaches the last slot of the previous
        // chunk here (it is unflushed), so it never follows its next link.
        p->end_pos = ZMI_YPIPE_CHUNK - 1;
        p->end_chunk = p->end_chunk->prev;
        free(p->end_chunk->next);
        p->end_chunk->next = NULL;
    }
}

// Advances the front; a chunk left behind becomes the spare, replacing
// (and freeing) any older spare the writer has not taken.
static void
yq_pop(zmi_ypipe_t *p)
{
    if (++p->begin_pos != ZMI_YPIPE_CHUNK)
        return;
    zmi_ypipe_chunk_t *old = p->begin_chunk;
    p->begin_chunk = old->next;
    p->begin_pos = 0;
    free(atomic_exchange_explicit(&p->spare, old, memory_order_acq_rel));
}

int
zmi_ypipe_init(zmi_ypipe_t *p)
{
    zmi_ypipe_chunk_t *ch = yq_chunk_alloc();
    if (ch == NULL)
        return -ENOMEM;
    p->begin_chunk = ch;
    p->begin_pos = 0;
    p->back_chunk = ch;
    p->back_pos = 0;
    p->end_chunk = ch;
    p->end_pos = 0;
    atomic_init(&p->spare, NULL);
    // One push creates the terminator slot at back: the place the next
    // part goes, never itself a message. A chunk holds at least two slots,
    // so this push needs no new chunk.
    yq_push(p, NULL);
    p->r = yq_back(p);
    p->w = yq_back(p);
    p->f = yq_back(p);
    atomic_init(&p->c, yq_back(p));
    return 0;
}

void
zmi_ypipe_fini(zmi_ypipe_t *p)
{
    // Every slot from front up to (not including) the terminator at back
    // holds a part, whether flushed or not.
    zmi_ypipe_chunk_t *ch = p->begin_chunk;
    int pos = p->begin_pos;
    while (ch != p->back_chunk || pos != p->back_pos) {
        zmi_msg_close(&ch->values[pos]);
        if (++pos == ZMI_YPIPE_CHUNK) {
            ch = ch->next;
            pos = 0;
        }
    }
    ch = p->begin_chunk;
    while (ch != p->end_chunk) {
        zmi_ypipe_chunk_t *next = ch->next;
        free(ch);
        ch = next;
    }
    free(p->end_chunk);
    free(atomic_load_explicit(&p->spare, memory_order_acquire));
    p->begin_chunk = NULL;
    p->back_chunk = NULL;
    p->end_chunk = NULL;
    p->r = NULL;
    p->w = NULL;
    p->f = NULL;
    atomic_store_explicit(&p->c, NULL, memory_order_relaxed);
    atomic_store_explicit(&p->spare, NULL, memory_order_relaxed);
}

// NB: on -ENOMEM nothing changed and the caller still owns *msg.
int
zmi_ypipe_write(zmi_ypipe_t *p, const zmi_msg_t *msg, bool incomplete)
{
    zmi_ypipe_chunk_t *ch;
    int rc = yq_reserve(p, &ch);
    if (rc != 0)
        return rc;
    *yq_back(p) = *msg;
    yq_push(p, ch);
    if (!incomplete)
        p->f = yq_back(p);
    return 0;
}

bool
zmi_ypipe_unwrite(zmi_ypipe_t *p, zmi_msg_t *msg)
{
    // Parts from f up to back belong to an incomplete message, so they
    // were never flushed; anything before f may already be visible.
    if (p->f == yq_back(p))
        return false;
    yq_unpush(p);
    *msg = *yq_back(p);
    return true;
}

// NB: c only ever holds w (set by the writer) or NULL (set by the reader
// when it found nothing to read), so a failed CAS means the reader sleeps.
bool
zmi_ypipe_flush(zmi_ypipe_t *p)
{
    if (p->w == p->f)
        return true;
    zmi_msg_t *expected = p->w;
    if (!atomic_compare_exchange_strong_explicit(&p->c, &expected, p->f,
            memory_order_acq_rel, memory_order_acquire)) {
        // The reader is asleep: publish without a CAS (nobody else can
        // change c until it wakes) and tell the caller to wake it.
        atomic_store_explicit(&p->c, p->f, memory_order_release);
        p->w = p->f;
        return false;
    }
    p->w = p->f;
    return true;
}

// Parts before r are known to be flushed. When the front reaches r, the
// reader fetches the writer's latest flush point from c and, if that is
// still the front (nothing new), swaps in NULL to mark itself asleep.
bool
zmi_ypipe_check_read(zmi_ypipe_t *p)
{
    zmi_msg_t *front = yq_front(p);
    if (front != p->r && p->r != NULL)
        return true;
    // NB: a plain load first: while the writer keeps ahead, the reader
    // only reads the shared line and never takes it from the writer.
    zmi_msg_t *old = atomic_load_explicit(&p->c, memory_order_acquire);
    if (old != front && old != NULL) {
        p->r = old;
        return true;
    }
    old = front;
    atomic_compare_exchange_strong_explicit(
        &p->c, &old, NULL, memory_order_acq_rel, memory_order_acquire);
    // Success leaves old == front; failure stores the current c in old.
    p->r = old;
    return old != front && old != NULL;
}

bool
zmi_ypipe_read(zmi_ypipe_t *p, zmi_msg_t *msg)
{
    if (!zmi_ypipe_check_read(p))
        return false;
    *msg = *yq_front(p);
    yq_pop(p);
    return true;
}

const zmi_msg_t *
zmi_ypipe_front(zmi_ypipe_t *p)
{
    if (!zmi_ypipe_check_read(p))
        return NULL;
    return yq_front(p);
}
