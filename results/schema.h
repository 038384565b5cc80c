/*
 * schema.h - the results store's SQLite schema and its ordered migrations.
 *
 * The schema version lives in table schema_version (one row per applied
 * migration). Migrations only ever append: migration N turns a version N-1
 * database into version N. uh_store_open() calls uh_schema_migrate(); other
 * code should not need this header.
 */
#ifndef UH_RESULTS_SCHEMA_H
#define UH_RESULTS_SCHEMA_H

#include "harness/err.h"

#include <sqlite3.h>

/* The schema version this binary writes (the number of migrations). */
int uh_schema_latest(void);

/*
 * Bring db (borrowed, open, not inside a transaction) up to
 * uh_schema_latest(), applying the missing migrations in order inside one
 * IMMEDIATE transaction; a no-op when already current. A database whose
 * version is newer than this binary fails with UH_EDB and a message naming
 * both versions; nothing is changed then. path only names the file in
 * messages. *version (may be NULL) gets the version after migration.
 */
int uh_schema_migrate(sqlite3 *db, const char *path, int *version, struct uh_err *err);

#endif
