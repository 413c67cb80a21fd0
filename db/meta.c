/* SPDX-License-Identifier: MIT
 * The meta key/value table. */
#include "db/meta.h"

#include <string.h>

#include "db/db_int.h"

int db_meta_get(struct db *db, const char *key, char *out, size_t out_len)
{
    static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
    if (!key || !out || out_len == 0) {
        return CORE_EINVAL;
    }
    out[0] = '\0';
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    int err;
    if (rc == SQLITE_ROW) {
        size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        if (len >= out_len) {
            err = CORE_ETOOBIG;
        } else {
            memcpy(out, text ? (const char *)text : "", len);
            out[len] = '\0';
            err = CORE_OK;
        }
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_meta_set(struct db *db, const char *key, const char *value)
{
    static const char sql[] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    if (!key || !value) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
    return db__exec_stmt(db, stmt);
}

int db_holds_sealed_data(struct db *db, bool *yes)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM parents) OR EXISTS (SELECT 1 FROM contacts)"
        " OR EXISTS (SELECT 1 FROM inbox) OR EXISTS (SELECT 1 FROM outbox)";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    int rc = sqlite3_step(stmt);
    int err = rc == SQLITE_ROW ? CORE_OK : db__err(db, rc);
    *yes = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) != 0;
    sqlite3_reset(stmt);
    return err;
}
