// Recycling of big allocations between threads (see mem_cache.h).
//
// Sizes from 16 KiB to 1 MiB fall in classes an eighth of a power of two
// apart (so a block wastes at most a ninth of itself); each class has a few
// slots, each an atomic pointer that is either empty or holds one free
// block. Taking a block is an exchange with NULL and giving one back a
// compare-and-swap from NULL, so no slot can be handed out twice and there
// is no ABA problem. A byte count keeps the total within the bound; blocks
// that don't fit go to free().

#include "core/mem_cache.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define CACHE_MIN_SHIFT 14 // classes above 16 KiB
#define CACHE_MAX_SHIFT 20 // up to 1 MiB
#define CACHE_STEPS 8     // classes per power of two
#define CACHE_CLASSES ((CACHE_MAX_SHIFT - CACHE_MIN_SHIFT) * CACHE_STEPS)
#define CACHE_SLOTS 32

static _Atomic(void *) cache_slots[CACHE_CLASSES][CACHE_SLOTS];
static atomic_size_t cache_bytes;

// The class of a block of bytes bytes and its size, or -1 when the cache
// does not keep such blocks.
static int
cache_class(size_t bytes, size_t *class_bytes)
{
    if (bytes <= ((size_t) 1 << CACHE_MIN_SHIFT)
        || bytes > ((size_t) 1 << CACHE_MAX_SHIFT))
        return -1;
    int shift = CACHE_MIN_SHIFT;
    while (((size_t) 1 << (shift + 1)) < bytes)
        shift++;
    // bytes is in (2^shift, 2^(shift+1)]: pick the step.
    size_t step = ((size_t) 1 << shift) / CACHE_STEPS;
    size_t steps = (bytes - ((size_t) 1 << shift) + step - 1) / step;
    *class_bytes = ((size_t) 1 << shift) + steps * step;
    return (shift - CACHE_MIN_SHIFT) * CACHE_STEPS + (int) steps - 1;
}


void *
zmi_mem_alloc(size_t bytes, size_t align)
{
    size_t class_bytes;
    int c = cache_class(bytes, &class_bytes);
    if (c < 0) {
        if (align <= _Alignof(max_align_t))
            return malloc(bytes);
        // NB: C11 wants the size a multiple of the alignment.
        if (bytes > SIZE_MAX - (align - 1))
            return NULL;
        return aligned_alloc(align, (bytes + align - 1) & ~(align - 1));
    }
    for (int i = 0; i < CACHE_SLOTS; i++) {
        _Atomic(void *) *slot = &cache_slots[c][i];
        // NB: a load first, so an empty slot costs no locked instruction.
        if (atomic_load_explicit(slot, memory_order_relaxed) == NULL)
            continue;
        void *p = atomic_exchange_explicit(slot, NULL, memory_order_acquire);
        if (p != NULL) {
            atomic_fetch_sub_explicit(&cache_bytes, class_bytes,
                                      memory_order_relaxed);
            return p;
        }
    }
    return aligned_alloc(64, class_bytes);
}

void
zmi_mem_free(void *p, size_t bytes)
{
    if (p == NULL)
        return;
    size_t class_bytes;
    int c = cache_class(bytes, &class_bytes);
    if (c < 0) {
        free(p);
        return;
    }
    size_t before = atomic_fetch_add_explicit(&cache_bytes, class_bytes,
                                              memory_order_relaxed);
    if (before + class_bytes <= ZMI_MEM_CACHE_BYTES) {
        for (int i = 0; i < CACHE_SLOTS; i++) {
            _Atomic(void *) *slot = &cache_slots[c][i];
            void *empty = NULL;
            if (atomic_load_explicit(slot, memory_order_relaxed) == NULL
                && atomic_compare_exchange_strong_explicit(
                    slot, &empty, p, memory_order_release,
                    memory_order_relaxed))
                return;
        }
    }
    atomic_fetch_sub_explicit(&cache_bytes, class_bytes, memory_order_relaxed);
    free(p);
}

size_t
zmi_mem_cache_held(void)
{
    return atomic_load_explicit(&cache_bytes, memory_order_relaxed);
}
