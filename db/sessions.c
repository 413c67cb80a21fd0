/* SPDX-License-Identifier: MIT
 * Sessions storage: the sealed dialog state of each contact. */
#include "db/sessions.h"

#include <stdint.h>
#include <stdlib.h>

#include "db/db_int.h"

int db_session_load(struct db *db, int64_t contact_id, unsigned char **state_enc, size_t *len)
{
    static const char sql[] = "SELECT state_enc FROM sessions WHERE contact_id = ?1";
    *state_enc = NULL;
    *len = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, contact_id);
    int rc = sqlite3_step(stmt);
    int err;
    if (rc == SQLITE_ROW) {
        err = db__copy_blob(stmt, 0, state_enc, len);
        if (err == CORE_OK && !*state_enc) {
            err = CORE_EDB; /* NOT NULL column: cannot happen */
        }
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_session_save(
    struct db *db, int64_t contact_id, const unsigned char *state_enc, size_t len, int64_t now)
{
    static const char sql[] =
        "INSERT INTO sessions (contact_id, state_enc, updated_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (contact_id) DO UPDATE SET state_enc = excluded.state_enc,"
        " updated_at = excluded.updated_at";
    if (!state_enc || len == 0 || len > (size_t)INT32_MAX) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, contact_id);
    sqlite3_bind_blob(stmt, 2, state_enc, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, now);
    return db__exec_stmt(db, stmt);
}

int db_session_delete(struct db *db, int64_t contact_id)
{
    static const char sql[] = "DELETE FROM sessions WHERE contact_id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, contact_id);
    return db__exec_stmt(db, stmt);
}
