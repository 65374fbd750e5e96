// Recycling of big allocations between threads.
//
// A big part is usually allocated on one thread and freed on another (the
// sender copies into it, the I/O thread frees it once written; the I/O
// thread reads into it, the receiver closes it). Through malloc that memory
// goes back to the allocator, which hands it to the system as its heap
// shrinks, and every new part faults it in again: about five page faults
// per 64 KiB part. This cache keeps a few blocks of each size class for
// the next allocation instead, with one atomic exchange per block and no
// lock. What it holds is bounded (ZMI_MEM_CACHE_BYTES).

#ifndef ZMI_MEM_CACHE_H
#define ZMI_MEM_CACHE_H

#include <stddef.h>

// Most bytes the cache holds at once.
#define ZMI_MEM_CACHE_BYTES (4u << 20)

// A block of at least bytes bytes, or NULL. Blocks the cache keeps are
// aligned to 64; others come from malloc, or from aligned_alloc when align
// (a power of two) asks for more than malloc gives.
void *zmi_mem_alloc(size_t bytes, size_t align);
// Gives back a block from zmi_mem_alloc; bytes must be the value it was
// allocated with. NULL is ignored.
void zmi_mem_free(void *p, size_t bytes);
// Bytes the cache holds now (for tests).
size_t zmi_mem_cache_held(void);

#endif
