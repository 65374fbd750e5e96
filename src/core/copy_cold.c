// Copies into parts that will not be read for a long time (see
// copy_cold.h).

#include "core/copy_cold.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Parts this thread may still copy cold: set when it finds a queue full,
// used up by each big copy, so a producer that stops outrunning its peers
// is back to ordinary copies after one queue's worth. cold_hwm is that
// queue's length in parts.
static _Thread_local unsigned cold_left;
static _Thread_local unsigned cold_hwm;

void
zmi_copy_cold_note_full(int hwm)
{
    if (hwm > 0)
        cold_left = cold_hwm = (unsigned) hwm;
}

bool
zmi_copy_cold_wanted(size_t n)
{
    if (n < ZMI_COPY_COLD_MIN || cold_left == 0)
        return false;
    // A queue that fits the caches keeps its parts warm.
    if ((uint64_t) cold_hwm * n < ZMI_COPY_COLD_QUEUE_MIN)
        return false;
    cold_left--;
    return true;
}

void
zmi_copy_cold(void *dst, const void *src, size_t n)
{
#if defined(__SSE2__)
    uint8_t *d = dst;
    const uint8_t *s = src;
    // Streaming stores want 16-byte aligned destinations.
    size_t head = (16 - ((uintptr_t) d & 15)) & 15;
    if (head > n)
        head = n;
    memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    for (; n >= 64; d += 64, s += 64, n -= 64) {
        __m128i a = _mm_loadu_si128((const __m128i *) (const void *) s);
        __m128i b = _mm_loadu_si128((const __m128i *) (const void *) (s + 16));
        __m128i c = _mm_loadu_si128((const __m128i *) (const void *) (s + 32));
        __m128i e = _mm_loadu_si128((const __m128i *) (const void *) (s + 48));
        _mm_stream_si128((__m128i *) (void *) d, a);
        _mm_stream_si128((__m128i *) (void *) (d + 16), b);
        _mm_stream_si128((__m128i *) (void *) (d + 32), c);
        _mm_stream_si128((__m128i *) (void *) (d + 48), e);
    }
    // NB: streaming stores are weakly ordered; the fence makes them
    // visible before the part is handed to another thread.
    _mm_sfence();
    memcpy(d, s, n);
#else
    memcpy(dst, src, n);
#endif
}
