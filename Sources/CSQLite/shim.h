#ifndef BERTH_CSQLITE_SHIM_H
#define BERTH_CSQLITE_SHIM_H

#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast of -1 that Swift cannot import; this makes
/// SQLite copy bound text and blobs before the bind call returns.
static inline sqlite3_destructor_type berth_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
