// An array of pipes with an "active prefix": pipes [0, active) can be used
// now, the rest are waiting for an activation. A pipe stores its position
// in p->index[slot], so membership changes are O(1) swaps. Header-only;
// used by lb, fq and dist on the socket's thread.

#ifndef ZMI_PARRAY_H
#define ZMI_PARRAY_H

#include <stdlib.h>

#include "core/err.h"
#include "pipe/pipe.h"

typedef struct zmi_parray {
    zmi_pipe_t **items; // the pipes
    int count;          // how many
    int cap;            // allocated
    int slot;           // which zmi_pipe_t.index[] this array uses
} zmi_parray_t;

static inline void
zmi_parray_init(zmi_parray_t *a, int slot)
{
    a->items = NULL;
    a->count = 0;
    a->cap = 0;
    a->slot = slot;
}

static inline void
zmi_parray_fini(zmi_parray_t *a)
{
    free(a->items);
    a->items = NULL;
    a->count = a->cap = 0;
}

static inline int
zmi_parray_index(const zmi_parray_t *a, const zmi_pipe_t *p)
{
    return p->index[a->slot];
}

// Appends p. Returns 0 or -ENOMEM.
static inline int
zmi_parray_push(zmi_parray_t *a, zmi_pipe_t *p)
{
    if (a->count == a->cap) {
        int cap = a->cap ? a->cap * 2 : 8;
        zmi_pipe_t **items = realloc(a->items, (size_t) cap * sizeof(*items));
        if (items == NULL)
            return -12; // ENOMEM
        a->items = items;
        a->cap = cap;
    }
    p->index[a->slot] = a->count;
    a->items[a->count++] = p;
    return 0;
}

static inline void
zmi_parray_swap(zmi_parray_t *a, int i, int j)
{
    if (i == j)
        return;
    zmi_pipe_t *pi = a->items[i], *pj = a->items[j];
    a->items[i] = pj;
    a->items[j] = pi;
    pj->index[a->slot] = i;
    pi->index[a->slot] = j;
}

// Removes p (swapping the last pipe into its place).
static inline void
zmi_parray_erase(zmi_parray_t *a, zmi_pipe_t *p)
{
    int i = p->index[a->slot];
    ZMI_ASSERT(i >= 0 && i < a->count && a->items[i] == p);
    zmi_parray_swap(a, i, a->count - 1);
    a->count--;
    p->index[a->slot] = -1;
}

#endif
