// Internal error conventions and invariant checks.
//
// Inside the library a call returns 0 (or a count) on success and a negative
// errno (-EAGAIN, -ZMSG_EFSM) on failure; only the public entry points in
// core/zmsg.c turn that into -1 and errno. ZMI_ASSERT guards internal
// invariants only: caller arguments and peer bytes never reach it.

#ifndef ZMI_ERR_H
#define ZMI_ERR_H

#include <stdio.h>
#include <stdlib.h>

#define ZMI_ASSERT(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            zmi_assert_fail(#cond, __FILE__, __LINE__);                        \
    } while (0)

_Noreturn void zmi_assert_fail(const char *what, const char *file, int line);

#endif
