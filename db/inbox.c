/* SPDX-License-Identifier: MIT
 * The inbox table: insert with dedupe, per-chat-ordered fetch, done / failure bookkeeping. */
#include "db/inbox.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

static const char sql_insert[] =
    "INSERT INTO inbox (channel, external_id, chat_hash, payload_enc, received_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

/* The head of each chat: no older 'new' row of the same chat exists. Served by inbox_new (scan
 * in id order) and inbox_new_by_chat (the NOT EXISTS probe). */
static const char sql_next[] =
    "SELECT i.id, i.channel, i.external_id, i.chat_hash, i.payload_enc, i.received_at,"
    "       i.attempts"
    " FROM inbox AS i"
    " WHERE i.status = 'new' AND i.next_attempt_at <= ?1"
    "   AND NOT EXISTS (SELECT 1 FROM inbox AS j"
    "                   WHERE j.status = 'new' AND j.chat_hash = i.chat_hash AND j.id < i.id)"
    " ORDER BY i.id LIMIT ?2";

static const char sql_done[] =
    "UPDATE inbox SET status = 'done', processed_at = ?2, error = NULL, payload_enc = X''"
    " WHERE id = ?1 AND status = 'new'";

static const char sql_failure[] =
    "UPDATE inbox SET attempts = attempts + 1, error = ?2,"
    "  status = CASE WHEN attempts + 1 >= ?3 THEN 'failed' ELSE 'new' END,"
    "  next_attempt_at = ?4,"
    "  processed_at = CASE WHEN attempts + 1 >= ?3 THEN ?5 ELSE processed_at END"
    " WHERE id = ?1 AND status = 'new'"
    " RETURNING status";

static const char sql_depth[] = "SELECT (SELECT count(*) FROM inbox WHERE status = 'new'),"
                                "       (SELECT count(*) FROM inbox WHERE status = 'failed')";

int db_inbox_insert(struct db *db,
                    const char *channel,
                    const char *external_id,
                    const unsigned char *chat_hash,
                    size_t chat_hash_len,
                    const unsigned char *payload_enc,
                    size_t payload_len,
                    int64_t received_at,
                    int64_t *id_out)
{
    if (!channel || !channel[0] || strlen(channel) >= DB_INBOX_CHANNEL_MAX || !external_id ||
        !external_id[0] || strlen(external_id) >= CORE_EXT_ID_MAX || !chat_hash ||
        chat_hash_len == 0 || chat_hash_len > DB_INBOX_HASH_MAX || !payload_enc ||
        payload_len == 0 || payload_len > (size_t)INT32_MAX) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql_insert);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_text(stmt, 1, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, external_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 3, chat_hash, (int)chat_hash_len, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 4, payload_enc, (int)payload_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, received_at);
    int rc = sqlite3_step(stmt);
    /* The extended code tells a duplicate from other constraint failures (the connection
     * reports primary codes only). */
    int err = rc == SQLITE_DONE ? CORE_OK : db__err(db, sqlite3_extended_errcode(db__conn(db)));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (err == CORE_OK && id_out) {
        *id_out = sqlite3_last_insert_rowid(db__conn(db));
    }
    return err;
}

static int read_row(struct db *db, sqlite3_stmt *stmt, struct db_inbox_row *row)
{
    (void)db;
    memset(row, 0, sizeof *row);
    row->id = sqlite3_column_int64(stmt, 0);
    db__copy_text(stmt, 1, row->channel, sizeof row->channel);
    db__copy_text(stmt, 2, row->external_id, sizeof row->external_id);
    int hash_len = sqlite3_column_bytes(stmt, 3);
    const void *hash = sqlite3_column_blob(stmt, 3);
    if (hash && hash_len > 0) {
        row->chat_hash_len =
            (size_t)hash_len < sizeof row->chat_hash ? (size_t)hash_len : sizeof row->chat_hash;
        memcpy(row->chat_hash, hash, row->chat_hash_len);
    }
    row->received_at = sqlite3_column_int64(stmt, 5);
    row->attempts = sqlite3_column_int(stmt, 6);
    return db__copy_blob(stmt, 4, &row->payload_enc, &row->payload_len);
}

int db_inbox_next(struct db *db, int64_t now_ms, struct db_inbox_row *rows, size_t max, size_t *n)
{
    *n = 0;
    if (max == 0) {
        return CORE_OK;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql_next);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, now_ms);
    sqlite3_bind_int64(stmt, 2, max > 100000 ? 100000 : (sqlite3_int64)max);
    int err = CORE_OK;
    int rc = SQLITE_DONE;
    while (*n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        err = read_row(db, stmt, &rows[*n]);
        if (err != CORE_OK) {
            db_inbox_rows_cleanup(rows, *n + 1);
            break;
        }
        (*n)++;
    }
    if (err == CORE_OK && *n < max && rc != SQLITE_DONE) {
        err = db__err(db, rc);
        db_inbox_rows_cleanup(rows, *n);
    }
    if (err != CORE_OK) {
        *n = 0;
    }
    sqlite3_reset(stmt);
    return err;
}

void db_inbox_rows_cleanup(struct db_inbox_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].payload_enc);
        rows[i].payload_enc = NULL;
        rows[i].payload_len = 0;
    }
}

int db_inbox_mark_done(struct db *db, int64_t id, int64_t now_s)
{
    sqlite3_stmt *stmt = db__stmt(db, sql_done);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, now_s);
    int err = db__exec_stmt(db, stmt);
    if (err == CORE_OK && sqlite3_changes(db__conn(db)) != 1) {
        return CORE_ESTATE;
    }
    return err;
}

int db_inbox_mark_failure(struct db *db,
                          int64_t id,
                          const char *error,
                          int max_attempts,
                          int64_t retry_at_ms,
                          int64_t now_s,
                          bool *gave_up)
{
    *gave_up = false;
    sqlite3_stmt *stmt = db__stmt(db, sql_failure);
    if (!stmt) {
        return CORE_EDB;
    }
    size_t len = error ? strlen(error) : 0;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, error ? error : "",
                      (int)(len > DB_INBOX_ERROR_MAX ? DB_INBOX_ERROR_MAX : len), SQLITE_STATIC);
    sqlite3_bind_int(stmt, 3, max_attempts < 1 ? 1 : max_attempts);
    sqlite3_bind_int64(stmt, 4, retry_at_ms);
    sqlite3_bind_int64(stmt, 5, now_s);
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *status = sqlite3_column_text(stmt, 0);
        *gave_up = status && strcmp((const char *)status, "failed") == 0;
        rc = sqlite3_step(stmt);
    } else if (rc == SQLITE_DONE) {
        err = CORE_ESTATE; /* no 'new' row with that id */
    }
    if (err == CORE_OK && rc != SQLITE_DONE) {
        err = db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_inbox_depth(struct db *db, int64_t *new_rows, int64_t *failed_rows)
{
    sqlite3_stmt *stmt = db__stmt(db, sql_depth);
    if (!stmt) {
        return CORE_EDB;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        if (new_rows) {
            *new_rows = sqlite3_column_int64(stmt, 0);
        }
        if (failed_rows) {
            *failed_rows = sqlite3_column_int64(stmt, 1);
        }
    }
    int err = rc == SQLITE_ROW ? CORE_OK : db__err(db, rc);
    sqlite3_reset(stmt);
    return err;
}

int db_inbox_forget_chat(struct db *db, const unsigned char *chat_hash, size_t len)
{
    static const char sql[] = "UPDATE inbox SET payload_enc = X''"
                              " WHERE chat_hash = ?1 AND status <> 'new' AND payload_enc <> X''";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, chat_hash, (int)len, SQLITE_TRANSIENT);
    return db__exec_stmt(db, stmt);
}

int db_inbox_prune(struct db *db, int64_t cutoff_s, int limit, int64_t *n_deleted)
{
    static const char sql[] = "DELETE FROM inbox WHERE id IN (SELECT id FROM inbox"
                              " WHERE status <> 'new' AND processed_at < ?1 LIMIT ?2)";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, cutoff_s);
    sqlite3_bind_int(stmt, 2, limit);
    int err = db__exec_stmt(db, stmt);
    if (n_deleted) {
        *n_deleted = err == CORE_OK ? sqlite3_changes(db__conn(db)) : 0;
    }
    return err;
}
