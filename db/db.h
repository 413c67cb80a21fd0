/* SPDX-License-Identifier: MIT
 * The database handle: opening sqlite (WAL, foreign keys, busy timeout), running the numbered
 * migrations keyed by PRAGMA user_version, and transactions. Every SQL string of the project
 * lives in this folder; the other rooms call typed db_<aggregate>_<verb> functions declared in the
 * per-aggregate headers of this folder. Personal data arrives here already encrypted (BLOBs)
 * and lookups use keyed hashes computed by bot/crypto: db/ never sees a key.
 * Thread: one handle belongs to one thread (the loop thread). */
#ifndef DB_DB_H
#define DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/** Opens (creating if missing) and migrates to the newest schema. ":memory:" works.
 * On success *out is owned by the caller and released with db_close. */
CORE_NODISCARD int db_open(const char *path, struct db **out);
/** Opens without migrating (for `tabelbot migrate` to report versions). */
CORE_NODISCARD int db_open_raw(const char *path, struct db **out);
/** Finalizes every cached statement, checkpoints the WAL and closes. NULL is fine. */
void db_close(struct db *db);

/** Applies pending migrations in one transaction each; from and to report the versions. */
CORE_NODISCARD int db_migrate(struct db *db, int *from, int *to);
/** The newest schema version this binary knows. */
int db_schema_version(void);

enum db_durability {
    DB_DURABLE_FULL = 0,   /* fsync at every commit: an acknowledged write survives power loss */
    DB_DURABLE_NORMAL = 1, /* WAL default: survives a process crash; the last commits may be lost
                            * on power loss or an OS crash */
};
/** Sets PRAGMA synchronous for this connection (db_open uses FULL). */
CORE_NODISCARD int db_set_durability(struct db *db, enum db_durability durability);

/** BEGIN IMMEDIATE / COMMIT / ROLLBACK. Not nestable: a second begin is CORE_ESTATE. */
CORE_NODISCARD int db_begin(struct db *db);
CORE_NODISCARD int db_commit(struct db *db);
void db_rollback(struct db *db);
bool db_in_transaction(const struct db *db);

/** A trivial query, for /healthz. */
CORE_NODISCARD int db_ping(struct db *db);
/** The last sqlite error text (static until the next call on this handle). Never personal data:
 * values are always bound, never spliced into SQL. */
const char *db_last_error(const struct db *db);

#endif
