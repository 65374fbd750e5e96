// Shared test helpers (see testutil.h).

#include "testutil.h"
