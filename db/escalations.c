/* SPDX-License-Identifier: MIT
 * Escalations storage: open (or reuse), read, list unclosed, close. */
#include "db/escalations.h"

#include <string.h>

#include "db/db_int.h"

#define ESC_COLUMNS                                                                                \
    "id, contact_id, parent_id, channel, reason, status, note_enc IS NOT NULL, opened_at,"         \
    " closed_at"

static void read_escalation(sqlite3_stmt *stmt, struct db_escalation *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(stmt, 0);
    out->contact_id = sqlite3_column_int64(stmt, 1);
    out->parent_id = sqlite3_column_int64(stmt, 2);
    db__copy_text(stmt, 3, out->channel, sizeof out->channel);
    db__copy_text(stmt, 4, out->reason, sizeof out->reason);
    db__copy_text(stmt, 5, out->status, sizeof out->status);
    out->has_note = sqlite3_column_int(stmt, 6) != 0;
    out->opened_at = sqlite3_column_int64(stmt, 7);
    out->closed_at = sqlite3_column_int64(stmt, 8);
}

static bool reason_ok(const char *reason)
{
    size_t len = reason ? strlen(reason) : 0;
    if (len == 0 || len >= DB_ESC_REASON_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = reason[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

/* The unclosed escalation of a contact: CORE_ENOTFOUND when none. */
static int find_unclosed(struct db *db, int64_t contact_id, int64_t *id)
{
    static const char sql[] =
        "SELECT id FROM escalations WHERE contact_id = ?1 AND status <> 'closed'";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, contact_id);
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

static int insert_escalation(struct db *db,
                             int64_t contact_id,
                             int64_t parent_id,
                             const char *channel,
                             const char *reason,
                             const unsigned char *note_enc,
                             size_t note_len,
                             int64_t now,
                             int64_t *id)
{
    static const char sql[] = "INSERT INTO escalations (contact_id, parent_id, channel, reason,"
                              " note_enc, opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, contact_id);
    if (parent_id > 0) {
        sqlite3_bind_int64(stmt, 2, parent_id);
    } else {
        sqlite3_bind_null(stmt, 2);
    }
    sqlite3_bind_text(stmt, 3, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, reason, -1, SQLITE_STATIC);
    if (note_enc && note_len > 0) {
        sqlite3_bind_blob(stmt, 5, note_enc, (int)note_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, 5);
    }
    sqlite3_bind_int64(stmt, 6, now);
    int err = db__exec_stmt(db, stmt);
    if (err == CORE_OK) {
        *id = sqlite3_last_insert_rowid(db__conn(db));
    }
    return err;
}

int db_escalation_open(struct db *db,
                       int64_t contact_id,
                       int64_t parent_id,
                       const char *channel,
                       const char *reason,
                       const unsigned char *note_enc,
                       size_t note_len,
                       int64_t now,
                       int64_t *id,
                       bool *reused)
{
    if (contact_id <= 0 || !channel || !channel[0] || strlen(channel) >= DB_ESC_CHANNEL_MAX ||
        !reason_ok(reason) || note_len > (size_t)INT32_MAX || !id) {
        return CORE_EINVAL;
    }
    int err = find_unclosed(db, contact_id, id);
    if (err != CORE_ENOTFOUND) {
        if (err == CORE_OK && reused) {
            *reused = true;
        }
        return err;
    }
    err =
        insert_escalation(db, contact_id, parent_id, channel, reason, note_enc, note_len, now, id);
    if (err == CORE_OK && reused) {
        *reused = false;
    }
    return err;
}

int db_escalation_get(struct db *db, int64_t id, struct db_escalation *out)
{
    static const char sql[] = "SELECT " ESC_COLUMNS " FROM escalations WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        read_escalation(stmt, out);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_escalation_note(struct db *db, int64_t id, unsigned char **note_enc, size_t *note_len)
{
    static const char sql[] = "SELECT note_enc FROM escalations WHERE id = ?1";
    *note_enc = NULL;
    *note_len = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    int err;
    if (rc == SQLITE_ROW) {
        err = db__copy_blob(stmt, 0, note_enc, note_len);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_escalation_list_open(
    struct db *db, int64_t after_id, struct db_escalation *out, size_t max, size_t *count)
{
    static const char sql[] = "SELECT " ESC_COLUMNS " FROM escalations"
                              " WHERE status <> 'closed' AND id > ?1 ORDER BY id LIMIT ?2";
    *count = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, after_id);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        read_escalation(stmt, &out[(*count)++]);
    }
    int err = rc == SQLITE_DONE ? CORE_OK : db__err(db, rc);
    sqlite3_reset(stmt);
    if (err != CORE_OK) {
        *count = 0;
    }
    return err;
}

int db_escalation_close(struct db *db, int64_t id, int64_t now)
{
    static const char sql[] = "UPDATE escalations SET status = 'closed', closed_at = ?2"
                              " WHERE id = ?1 AND status <> 'closed'";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, now);
    int err = db__exec_stmt(db, stmt);
    if (err != CORE_OK) {
        return err;
    }
    if (sqlite3_changes(db__conn(db)) == 1) {
        return CORE_OK;
    }
    struct db_escalation existing;
    err = db_escalation_get(db, id, &existing);
    return err == CORE_OK ? CORE_ESTATE : err;
}
