/* SPDX-License-Identifier: MIT
 * Every SQL string of the outbox: enqueue, claim with per-chat ordering, settle (sent,
 * reschedule, release, dead), crash recovery, depth and counts. */
#include "db/outbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

/* A claim or next-due query names up to DB_OUTBOX_MAX_CHANNELS channels as ?2..?9; unused
 * slots are bound to '' (no channel has an empty name). */
#define CHANNEL_SLOTS "(?2,?3,?4,?5,?6,?7,?8,?9)"

static const char sql_enqueue[] =
    "INSERT INTO outbox (channel, chat_hash, recipient_enc, payload_enc, idem_key, priority,"
    " status, attempts, next_attempt_at, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7)";
static const char sql_by_key[] = "SELECT id FROM outbox WHERE idem_key = ?1";
static const char sql_claim_select[] =
    "SELECT o.id, o.channel, o.chat_hash, o.recipient_enc, o.payload_enc, o.idem_key,"
    " o.priority, o.attempts FROM outbox o"
    " WHERE o.status = 'pending' AND o.next_attempt_at <= ?1 AND o.channel IN " CHANNEL_SLOTS
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat_hash = o.chat_hash"
    "   AND p.status IN ('pending','sending') AND p.id < o.id AND p.channel = o.channel)"
    " ORDER BY o.priority, o.id LIMIT ?10";
static const char sql_claim_mark[] =
    "UPDATE outbox SET status = 'sending' WHERE id = ?1 AND status = 'pending'";
static const char sql_next_due[] =
    "SELECT next_attempt_at FROM outbox WHERE status = 'pending' AND next_attempt_at > ?1"
    " AND channel IN " CHANNEL_SLOTS " ORDER BY next_attempt_at LIMIT 1";
static const char sql_sent[] = "UPDATE outbox SET status = 'sent', sent_at = ?2"
                               " WHERE id = ?1 AND status = 'sending'";
static const char sql_reschedule[] =
    "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?2,"
    " last_error = ?3 WHERE id = ?1 AND status = 'sending'";
static const char sql_release[] = "UPDATE outbox SET status = 'pending', next_attempt_at = ?2"
                                  " WHERE id = ?1 AND status = 'sending'";
static const char sql_dead[] =
    "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?2,"
    " next_attempt_at = ?3 WHERE id = ?1 AND status = 'sending'";
static const char sql_recover[] = "UPDATE outbox SET status = 'pending' WHERE status = 'sending'";
static const char sql_counts[] = "SELECT status, COUNT(*) FROM outbox GROUP BY status";
static const char sql_find[] =
    "SELECT id, channel, status, attempts, priority, next_attempt_at, COALESCE(sent_at, 0),"
    " COALESCE(last_error, '') FROM outbox WHERE id = ?1";
static const char sql_prune[] =
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'sent' AND sent_at < ?1"
    " ORDER BY id LIMIT ?2)";

void db_outbox_row_cleanup(struct db_outbox_row *row)
{
    free(row->recipient_enc);
    free(row->payload_enc);
    row->recipient_enc = NULL;
    row->payload_enc = NULL;
    row->recipient_len = 0;
    row->payload_len = 0;
}

static bool text_fits(const char *text, size_t cap)
{
    return text && text[0] && strlen(text) < cap;
}

static bool new_is_valid(const struct db_outbox_new *m)
{
    return m && text_fits(m->channel, DB_OUTBOX_CHANNEL_MAX) &&
           text_fits(m->idem_key, DB_OUTBOX_IDEM_MAX) && m->chat_hash && m->chat_hash_len > 0 &&
           m->chat_hash_len <= DB_OUTBOX_HASH_MAX && m->recipient_enc && m->recipient_len > 0 &&
           m->payload_enc && m->payload_len > 0 &&
           (m->priority == DB_OUTBOX_INTERACTIVE || m->priority == DB_OUTBOX_BULK);
}

int db_outbox_find_by_key(struct db *db, const char *idem_key, int64_t *id_out)
{
    sqlite3_stmt *st = db__stmt(db, sql_by_key);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_text(st, 1, idem_key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id_out = sqlite3_column_int64(st, 0);
    }
    int err = rc == SQLITE_ROW ? CORE_OK : (rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc));
    sqlite3_reset(st);
    return err;
}

int db_outbox_enqueue(struct db *db,
                      const struct db_outbox_new *msg,
                      int64_t now_ms,
                      int64_t *id_out)
{
    if (!db || !new_is_valid(msg)) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *st = db__stmt(db, sql_enqueue);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_text(st, 1, msg->channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, msg->chat_hash, (int)msg->chat_hash_len, SQLITE_TRANSIENT);
    sqlite3_bind_blob64(st, 3, msg->recipient_enc, msg->recipient_len, SQLITE_TRANSIENT);
    sqlite3_bind_blob64(st, 4, msg->payload_enc, msg->payload_len, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, msg->idem_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, (int)msg->priority);
    sqlite3_bind_int64(st, 7, now_ms);
    int err = db__exec_stmt(db, st);
    if (err == CORE_EEXIST || err == CORE_EDB) {
        /* A UNIQUE violation (reported as EDB without extended result codes): the key exists. */
        int64_t existing = 0;
        if (db_outbox_find_by_key(db, msg->idem_key, &existing) == CORE_OK) {
            if (id_out) {
                *id_out = existing;
            }
            return CORE_EEXIST;
        }
    }
    if (err == CORE_OK && id_out) {
        *id_out = sqlite3_last_insert_rowid(db__conn(db));
    }
    return err;
}

static bool filter_is_valid(const struct db_outbox_filter *f)
{
    if (!f || f->n_channels == 0 || f->n_channels > DB_OUTBOX_MAX_CHANNELS) {
        return false;
    }
    for (size_t i = 0; i < f->n_channels; i++) {
        if (!text_fits(f->channels[i], DB_OUTBOX_CHANNEL_MAX)) {
            return false;
        }
    }
    return true;
}

static void bind_channels(sqlite3_stmt *st, const struct db_outbox_filter *f)
{
    for (int i = 0; i < DB_OUTBOX_MAX_CHANNELS; i++) {
        const char *name = (size_t)i < f->n_channels ? f->channels[i] : "";
        sqlite3_bind_text(st, 2 + i, name, -1, SQLITE_TRANSIENT);
    }
}

static int read_row(sqlite3_stmt *st, struct db_outbox_row *row)
{
    memset(row, 0, sizeof *row);
    row->id = sqlite3_column_int64(st, 0);
    db__copy_text(st, 1, row->channel, sizeof row->channel);
    int hash_len = sqlite3_column_bytes(st, 2);
    row->chat_hash_len = hash_len > DB_OUTBOX_HASH_MAX ? DB_OUTBOX_HASH_MAX : (size_t)hash_len;
    if (row->chat_hash_len) {
        memcpy(row->chat_hash, sqlite3_column_blob(st, 2), row->chat_hash_len);
    }
    db__copy_text(st, 5, row->idem_key, sizeof row->idem_key);
    row->priority = sqlite3_column_int(st, 6);
    row->attempts = sqlite3_column_int(st, 7);
    int err = db__copy_blob(st, 3, &row->recipient_enc, &row->recipient_len);
    if (err == CORE_OK) {
        err = db__copy_blob(st, 4, &row->payload_enc, &row->payload_len);
    }
    if (err != CORE_OK) {
        db_outbox_row_cleanup(row);
    }
    return err;
}

static int select_due(struct db *db,
                      const struct db_outbox_filter *filter,
                      struct db_outbox_row *rows,
                      size_t max,
                      size_t *n_out)
{
    sqlite3_stmt *st = db__stmt(db, sql_claim_select);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, filter->now_ms);
    bind_channels(st, filter);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)max);
    size_t n = 0;
    int err = CORE_OK;
    int rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = read_row(st, &rows[n]);
        if (err != CORE_OK) {
            break;
        }
        n++;
    }
    if (err == CORE_OK && n < max && rc != SQLITE_DONE) {
        err = db__err(db, rc);
    }
    sqlite3_reset(st);
    *n_out = n;
    return err;
}

static int mark_claimed(struct db *db, const struct db_outbox_row *rows, size_t n)
{
    sqlite3_stmt *st = db__stmt(db, sql_claim_mark);
    if (!st) {
        return CORE_EDB;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, rows[i].id);
        int err = db__exec_stmt(db, st);
        if (err != CORE_OK) {
            return err;
        }
    }
    return CORE_OK;
}

int db_outbox_claim(struct db *db,
                    const struct db_outbox_filter *filter,
                    struct db_outbox_row *rows,
                    size_t max,
                    size_t *n_out)
{
    if (!db || !rows || !n_out || max == 0 || !filter_is_valid(filter)) {
        return CORE_EINVAL;
    }
    *n_out = 0;
    bool own_tx = !db_in_transaction(db);
    int err = own_tx ? db_begin(db) : CORE_OK;
    if (err != CORE_OK) {
        return err;
    }
    size_t n = 0;
    err = select_due(db, filter, rows, max, &n);
    if (err == CORE_OK) {
        err = mark_claimed(db, rows, n);
    }
    if (err == CORE_OK && own_tx) {
        err = db_commit(db);
    }
    if (err != CORE_OK) {
        if (own_tx) {
            db_rollback(db);
        }
        for (size_t i = 0; i < n; i++) {
            db_outbox_row_cleanup(&rows[i]);
        }
        return err;
    }
    *n_out = n;
    return CORE_OK;
}

int db_outbox_next_due(struct db *db, const struct db_outbox_filter *filter, int64_t *at_out)
{
    if (!db || !at_out || !filter_is_valid(filter)) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *st = db__stmt(db, sql_next_due);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, filter->now_ms);
    bind_channels(st, filter);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *at_out = sqlite3_column_int64(st, 0);
    }
    int err = rc == SQLITE_ROW ? CORE_OK : (rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc));
    sqlite3_reset(st);
    return err;
}

/* Runs an UPDATE on one 'sending' row; CORE_ENOTFOUND when it changed nothing. */
static int settle(struct db *db, sqlite3_stmt *st)
{
    int err = db__exec_stmt(db, st);
    if (err == CORE_OK && sqlite3_changes(db__conn(db)) == 0) {
        return CORE_ENOTFOUND;
    }
    return err;
}

static void bind_reason(sqlite3_stmt *st, int col, const char *reason)
{
    char copy[DB_OUTBOX_REASON_MAX];
    snprintf(copy, sizeof copy, "%s", reason && reason[0] ? reason : "unknown");
    sqlite3_bind_text(st, col, copy, -1, SQLITE_TRANSIENT);
}

int db_outbox_mark_sent(struct db *db, int64_t id, int64_t now_ms)
{
    sqlite3_stmt *st = db__stmt(db, sql_sent);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    return settle(db, st);
}

int db_outbox_reschedule(struct db *db, int64_t id, int64_t next_attempt_at, const char *reason)
{
    sqlite3_stmt *st = db__stmt(db, sql_reschedule);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, next_attempt_at);
    bind_reason(st, 3, reason);
    return settle(db, st);
}

int db_outbox_release(struct db *db, int64_t id, int64_t next_attempt_at)
{
    sqlite3_stmt *st = db__stmt(db, sql_release);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, next_attempt_at);
    return settle(db, st);
}

int db_outbox_dead(struct db *db, int64_t id, const char *reason, int64_t now_ms)
{
    sqlite3_stmt *st = db__stmt(db, sql_dead);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    bind_reason(st, 2, reason);
    sqlite3_bind_int64(st, 3, now_ms);
    return settle(db, st);
}

int db_outbox_recover(struct db *db, int64_t *n_reset)
{
    sqlite3_stmt *st = db__stmt(db, sql_recover);
    if (!st) {
        return CORE_EDB;
    }
    int err = db__exec_stmt(db, st);
    if (err == CORE_OK && n_reset) {
        *n_reset = sqlite3_changes(db__conn(db));
    }
    return err;
}

int db_outbox_counts(struct db *db, struct db_outbox_counts *out)
{
    sqlite3_stmt *st = db__stmt(db, sql_counts);
    if (!st) {
        return CORE_EDB;
    }
    memset(out, 0, sizeof *out);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        if (!status) {
            continue;
        }
        if (strcmp(status, "pending") == 0) {
            out->pending = n;
        } else if (strcmp(status, "sending") == 0) {
            out->sending = n;
        } else if (strcmp(status, "sent") == 0) {
            out->sent = n;
        } else if (strcmp(status, "dead") == 0) {
            out->dead = n;
        }
    }
    int err = rc == SQLITE_DONE ? CORE_OK : db__err(db, rc);
    sqlite3_reset(st);
    return err;
}

int db_outbox_depth(struct db *db, int64_t *depth)
{
    struct db_outbox_counts counts;
    int err = db_outbox_counts(db, &counts);
    if (err == CORE_OK) {
        *depth = counts.pending + counts.sending;
    }
    return err;
}

int db_outbox_find(struct db *db, int64_t id, struct db_outbox_info *out)
{
    sqlite3_stmt *st = db__stmt(db, sql_find);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(st, 0);
        db__copy_text(st, 1, out->channel, sizeof out->channel);
        db__copy_text(st, 2, out->status, sizeof out->status);
        out->attempts = sqlite3_column_int(st, 3);
        out->priority = sqlite3_column_int(st, 4);
        out->next_attempt_at = sqlite3_column_int64(st, 5);
        out->sent_at = sqlite3_column_int64(st, 6);
        db__copy_text(st, 7, out->last_error, sizeof out->last_error);
    }
    int err = rc == SQLITE_ROW ? CORE_OK : (rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc));
    sqlite3_reset(st);
    return err;
}

int db_outbox_prune_sent(struct db *db, int64_t cutoff_ms, int limit, int64_t *n_deleted)
{
    if (limit <= 0) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *st = db__stmt(db, sql_prune);
    if (!st) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(st, 1, cutoff_ms);
    sqlite3_bind_int(st, 2, limit);
    int err = db__exec_stmt(db, st);
    if (err == CORE_OK && n_deleted) {
        *n_deleted = sqlite3_changes(db__conn(db));
    }
    return err;
}

int db_outbox_forget_chat(struct db *db, const unsigned char *chat_hash, size_t len)
{
    static const char sql[] =
        "DELETE FROM outbox WHERE chat_hash = ?1 AND status IN ('sent', 'dead')";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, chat_hash, (int)len, SQLITE_TRANSIENT);
    return db__exec_stmt(db, stmt);
}
