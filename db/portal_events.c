/* SPDX-License-Identifier: MIT
 * Portal events queue: enqueue once per (kind, child, month), list due, mark sent or defer. */
#include "db/portal_events.h"

#include <stdlib.h>
#include <string.h>

#include "core/caltime.h"
#include "db/db_int.h"

static bool kind_ok(const char *kind)
{
    return kind && (strcmp(kind, "confirmed") == 0 || strcmp(kind, "disputed") == 0);
}

static bool month_ok(const char *month)
{
    int index = 0;
    return month && strlen(month) == 7 && core_month_parse(month, &index) == CORE_OK;
}

static int
existing_id(struct db *db, const char *kind, const char *child_id, const char *month, int64_t *id)
{
    static const char sql[] =
        "SELECT id FROM portal_events WHERE kind = ?1 AND child_id = ?2 AND month = ?3";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, child_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, month, -1, SQLITE_STATIC);
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

int db_portal_event_enqueue(struct db *db,
                            const char *kind,
                            const char *child_id,
                            const char *month,
                            const unsigned char *payload_enc,
                            size_t payload_len,
                            int64_t now,
                            int64_t *id,
                            bool *created)
{
    static const char sql[] =
        "INSERT INTO portal_events (kind, child_id, month, payload_enc, next_attempt_at,"
        " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
        " ON CONFLICT (kind, child_id, month) DO NOTHING";
    if (!kind_ok(kind) || !child_id || !child_id[0] || strlen(child_id) >= DB_PE_CHILD_MAX ||
        !month_ok(month) || !payload_enc || payload_len == 0 || payload_len > (size_t)INT32_MAX) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, child_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, month, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 4, payload_enc, (int)payload_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, now);
    int err = db__exec_stmt(db, stmt);
    if (err != CORE_OK) {
        return err;
    }
    bool inserted = sqlite3_changes(db__conn(db)) == 1;
    int64_t row_id = sqlite3_last_insert_rowid(db__conn(db));
    if (!inserted) {
        err = existing_id(db, kind, child_id, month, &row_id);
        if (err != CORE_OK) {
            return err == CORE_ENOTFOUND ? CORE_EDB : err;
        }
    }
    if (id) {
        *id = row_id;
    }
    if (created) {
        *created = inserted;
    }
    return CORE_OK;
}

void db_portal_events_release(struct db_portal_event *events, size_t n)
{
    for (size_t i = 0; events && i < n; i++) {
        free(events[i].payload_enc);
        events[i].payload_enc = NULL;
        events[i].payload_len = 0;
    }
}

static int read_event(sqlite3_stmt *stmt, struct db_portal_event *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(stmt, 0);
    db__copy_text(stmt, 1, out->kind, sizeof out->kind);
    db__copy_text(stmt, 2, out->child_id, sizeof out->child_id);
    db__copy_text(stmt, 3, out->month, sizeof out->month);
    out->attempts = sqlite3_column_int(stmt, 5);
    out->next_attempt_at = sqlite3_column_int64(stmt, 6);
    out->created_at = sqlite3_column_int64(stmt, 7);
    return db__copy_blob(stmt, 4, &out->payload_enc, &out->payload_len);
}

int db_portal_events_pending(
    struct db *db, int64_t now, struct db_portal_event *out, size_t max, size_t *count)
{
    static const char sql[] =
        "SELECT id, kind, child_id, month, payload_enc, attempts, next_attempt_at, created_at"
        " FROM portal_events WHERE status = 'pending' AND next_attempt_at <= ?1"
        " ORDER BY next_attempt_at, id LIMIT ?2";
    *count = 0;
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, now);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
    int rc = SQLITE_DONE;
    int err = CORE_OK;
    while (err == CORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        err = read_event(stmt, &out[*count]);
        if (err == CORE_OK) {
            (*count)++;
        }
    }
    if (err == CORE_OK && rc != SQLITE_DONE) {
        err = db__err(db, rc);
    }
    sqlite3_reset(stmt);
    if (err != CORE_OK) {
        db_portal_events_release(out, *count);
        *count = 0;
    }
    return err;
}

static int event_status(struct db *db, int64_t id, char *status, size_t len)
{
    static const char sql[] = "SELECT status FROM portal_events WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        db__copy_text(stmt, 0, status, len);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

/* After an UPDATE guarded by status = 'pending': which error explains zero rows changed. */
static int explain_no_change(struct db *db, int64_t id)
{
    if (sqlite3_changes(db__conn(db)) == 1) {
        return CORE_OK;
    }
    char status[16];
    int err = event_status(db, id, status, sizeof status);
    return err == CORE_OK ? CORE_ESTATE : err;
}

int db_portal_event_mark_sent(struct db *db, int64_t id, int64_t now)
{
    static const char sql[] = "UPDATE portal_events SET status = 'sent', sent_at = ?2"
                              " WHERE id = ?1 AND status = 'pending'";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, now);
    int err = db__exec_stmt(db, stmt);
    return err == CORE_OK ? explain_no_change(db, id) : err;
}

int db_portal_event_defer(struct db *db, int64_t id, int64_t next_attempt_at, bool dead)
{
    static const char sql[] =
        "UPDATE portal_events SET attempts = attempts + 1, next_attempt_at = ?2,"
        " status = CASE WHEN ?3 THEN 'dead' ELSE 'pending' END"
        " WHERE id = ?1 AND status = 'pending'";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, next_attempt_at);
    sqlite3_bind_int(stmt, 3, dead ? 1 : 0);
    int err = db__exec_stmt(db, stmt);
    return err == CORE_OK ? explain_no_change(db, id) : err;
}
