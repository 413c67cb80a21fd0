/* SPDX-License-Identifier: MIT
 * The append-only audit table: insert and read in id order. */
#include "db/audit.h"

#include <string.h>

#include "db/db_int.h"

#define AUDIT_COLUMNS                                                                              \
    "id, at, actor, action, channel, child_id, month, days_hash, receipt, detail, prev_hash,"      \
    " row_hash"

/* Copies a TEXT column; returns false when it did not fit. */
static bool copy_field(sqlite3_stmt *stmt, int col, char *out, size_t out_len)
{
    size_t len = (size_t)sqlite3_column_bytes(stmt, col);
    db__copy_text(stmt, col, out, out_len);
    return len < out_len;
}

static void read_row(sqlite3_stmt *stmt, struct db_audit_row *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(stmt, 0);
    out->at = sqlite3_column_int64(stmt, 1);
    bool fits = copy_field(stmt, 2, out->actor, sizeof out->actor);
    fits &= copy_field(stmt, 3, out->action, sizeof out->action);
    fits &= copy_field(stmt, 4, out->channel, sizeof out->channel);
    fits &= copy_field(stmt, 5, out->child_id, sizeof out->child_id);
    fits &= copy_field(stmt, 6, out->month, sizeof out->month);
    fits &= copy_field(stmt, 7, out->days_hash, sizeof out->days_hash);
    fits &= copy_field(stmt, 8, out->receipt, sizeof out->receipt);
    fits &= copy_field(stmt, 9, out->detail, sizeof out->detail);
    fits &= copy_field(stmt, 10, out->prev_hash, sizeof out->prev_hash);
    fits &= copy_field(stmt, 11, out->row_hash, sizeof out->row_hash);
    out->oversize = !fits;
}

static int fetch_row(struct db *db, sqlite3_stmt *stmt, struct db_audit_row *out)
{
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        read_row(stmt, out);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

/* Binds text, storing "" as NULL. */
static void bind_opt(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text && text[0]) {
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, index);
    }
}

int db_audit_insert(struct db *db, const struct db_audit_row *row, int64_t *id)
{
    static const char sql[] = "INSERT INTO audit (at, actor, action, channel, child_id, month,"
                              " days_hash, receipt, detail, prev_hash, row_hash)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    if (!row->actor[0] || !row->action[0] || !row->prev_hash[0] || !row->row_hash[0]) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, row->at);
    sqlite3_bind_text(stmt, 2, row->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, row->action, -1, SQLITE_STATIC);
    bind_opt(stmt, 4, row->channel);
    bind_opt(stmt, 5, row->child_id);
    bind_opt(stmt, 6, row->month);
    bind_opt(stmt, 7, row->days_hash);
    bind_opt(stmt, 8, row->receipt);
    bind_opt(stmt, 9, row->detail);
    sqlite3_bind_text(stmt, 10, row->prev_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 11, row->row_hash, -1, SQLITE_STATIC);
    int err = db__exec_stmt(db, stmt);
    if (err == CORE_OK && id) {
        *id = sqlite3_last_insert_rowid(db__conn(db));
    }
    return err;
}

int db_audit_last(struct db *db, struct db_audit_row *out)
{
    static const char sql[] = "SELECT " AUDIT_COLUMNS " FROM audit ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    return fetch_row(db, stmt, out);
}

int db_audit_next(struct db *db, int64_t after_id, struct db_audit_row *out)
{
    static const char sql[] =
        "SELECT " AUDIT_COLUMNS " FROM audit WHERE id > ?1 ORDER BY id LIMIT 1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, after_id);
    return fetch_row(db, stmt, out);
}

int db_audit_find_receipt(struct db *db, const char *receipt, struct db_audit_row *out)
{
    static const char sql[] =
        "SELECT " AUDIT_COLUMNS " FROM audit WHERE receipt = ?1 ORDER BY id LIMIT 1";
    if (!receipt || !receipt[0]) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, receipt, -1, SQLITE_STATIC);
    return fetch_row(db, stmt, out);
}
