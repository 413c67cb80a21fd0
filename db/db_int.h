/* SPDX-License-Identifier: MIT
 * Shared internals of db/: the statement cache and sqlite-code translation. Only the .c files of
 * db/ include this (and sqlite3.h). */
#ifndef DB_DB_INT_H
#define DB_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/** Returns a reset, cleared prepared statement for the SQL text, preparing it once per handle.
 * The cache is keyed by the pointer, so pass a static string. Borrowed: valid until db_close.
 * NULL on failure (db_last_error tells why). */
sqlite3_stmt *db__stmt(struct db *db, const char *sql);
/** The raw connection, for db/ only. */
sqlite3 *db__conn(struct db *db);
/** Translates a sqlite result code and remembers its text. SQLITE_OK/DONE/ROW map to CORE_OK. */
int db__err(struct db *db, int sqlite_rc);
/** Steps a statement expected to finish with DONE; resets it. */
int db__exec_stmt(struct db *db, sqlite3_stmt *stmt);
/** Copies a TEXT column into out (always NUL-terminated, truncated). */
void db__copy_text(sqlite3_stmt *stmt, int col, char *out, size_t out_len);
/** Copies a BLOB column into a malloc'd buffer owned by the caller (*out NULL for SQL NULL). */
int db__copy_blob(sqlite3_stmt *stmt, int col, unsigned char **out, size_t *out_len);

/** The migrations, in order: migration i brings user_version from i to i+1. */
/* Each migration is a NULL-terminated list of statements. */
extern const char *const *const db__migrations[];
extern const int db__migration_count;

#endif
