// Shared helpers for the cmocka tests: includes in the order cmocka needs.

#ifndef ZMSG_TESTUTIL_H
#define ZMSG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "zmsg.h"

#endif
