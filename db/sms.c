/* SPDX-License-Identifier: MIT
 * SMS storage: delivery reports on outbox rows, unknown-number markers, phone lookups. */
#include "db/sms.h"

#include <string.h>

#include "db/db_int.h"

#define NOTICE_KEEP_DAYS 7

static int changes_or_missing(struct db *db, int64_t outbox_id, bool *applied)
{
    static const char sql[] = "SELECT 1 FROM outbox WHERE id = ?1 AND channel = 'sms'";
    *applied = sqlite3_changes(db__conn(db)) > 0;
    if (*applied) {
        return CORE_OK;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, outbox_id);
    int rc = sqlite3_step(stmt);
    int err = rc == SQLITE_ROW ? CORE_OK : rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    sqlite3_reset(stmt);
    return err;
}

int db_sms_delivery_update(struct db *db,
                           int64_t outbox_id,
                           const char *provider_id,
                           const char *status,
                           int rank,
                           int64_t at,
                           bool *applied)
{
    static const char sql[] =
        "UPDATE outbox SET provider_id = COALESCE(NULLIF(?2, ''), provider_id),"
        " delivery_status = ?3, delivery_rank = ?4, delivery_at = ?5"
        " WHERE id = ?1 AND channel = 'sms' AND delivery_rank < 3 AND delivery_rank <= ?4";
    *applied = false;
    if (!status || !provider_id || strlen(provider_id) >= DB_SMS_PROVIDER_ID_MAX || rank < 1 ||
        rank > DB_SMS_RANK_FINAL) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, outbox_id);
    sqlite3_bind_text(stmt, 2, provider_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, status, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, rank);
    sqlite3_bind_int64(stmt, 5, at);
    int err = db__exec_stmt(db, stmt);
    return err == CORE_OK ? changes_or_missing(db, outbox_id, applied) : err;
}

int db_sms_delivery_get(struct db *db, int64_t outbox_id, struct db_sms_delivery *out)
{
    static const char sql[] = "SELECT provider_id, delivery_status, delivery_rank, delivery_at"
                              " FROM outbox WHERE id = ?1";
    memset(out, 0, sizeof *out);
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, outbox_id);
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        db__copy_text(stmt, 0, out->provider_id, sizeof out->provider_id);
        db__copy_text(stmt, 1, out->status, sizeof out->status);
        out->rank = sqlite3_column_int(stmt, 2);
        out->at = sqlite3_column_int64(stmt, 3);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_sms_notice_claim(
    struct db *db, const unsigned char *phone_hash, size_t hash_len, int64_t day, bool *first)
{
    static const char purge[] = "DELETE FROM sms_notices WHERE day < ?1";
    static const char claim[] =
        "INSERT OR IGNORE INTO sms_notices (phone_hash, day) VALUES (?1, ?2)";
    *first = false;
    if (!phone_hash || hash_len == 0) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, purge);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, day - NOTICE_KEEP_DAYS);
    int err = db__exec_stmt(db, stmt);
    if (err != CORE_OK) {
        return err;
    }
    stmt = db__stmt(db, claim);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, phone_hash, (int)hash_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, day);
    err = db__exec_stmt(db, stmt);
    *first = err == CORE_OK && sqlite3_changes(db__conn(db)) > 0;
    return err;
}

int db_sms_phone_known(struct db *db, const unsigned char *phone_hash, size_t hash_len, bool *known)
{
    static const char sql[] = "SELECT 1 FROM parents WHERE phone_hash = ?1 LIMIT 1";
    *known = false;
    if (!phone_hash || hash_len == 0) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, phone_hash, (int)hash_len, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    *known = rc == SQLITE_ROW;
    int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? CORE_OK : db__err(db, rc);
    sqlite3_reset(stmt);
    return err;
}
