/* SPDX-License-Identifier: MIT
 * One-time code rows: insert, supersede, look up the live code, count tries, and the counts the
 * rate limits of bot/otp need. */
#include "db/otp.h"

#include <string.h>

#include "db/db_int.h"

/* Per scope: ?1 key (phone hash or contact id, unused for global), ?2 since, ?3 offset. */
static const char count_phone[] =
    "SELECT count(*), (SELECT max(issued_at) FROM otp WHERE phone_hash = ?1)"
    " FROM otp WHERE phone_hash = ?1 AND issued_at >= ?2";
static const char count_contact[] =
    "SELECT count(*), (SELECT max(issued_at) FROM otp WHERE contact_id = ?1)"
    " FROM otp WHERE contact_id = ?1 AND issued_at >= ?2";
static const char count_global[] =
    "SELECT count(*), (SELECT max(issued_at) FROM otp) FROM otp WHERE issued_at >= ?2";
static const char nth_phone[] = "SELECT issued_at FROM otp WHERE phone_hash = ?1"
                                " AND issued_at >= ?2 ORDER BY issued_at LIMIT 1 OFFSET ?3";
static const char nth_contact[] = "SELECT issued_at FROM otp WHERE contact_id = ?1"
                                  " AND issued_at >= ?2 ORDER BY issued_at LIMIT 1 OFFSET ?3";
static const char nth_global[] =
    "SELECT issued_at FROM otp WHERE issued_at >= ?2 ORDER BY issued_at LIMIT 1 OFFSET ?3";

static sqlite3_stmt *scoped_stmt(struct db *db,
                                 enum db_otp_scope scope,
                                 bool nth,
                                 const unsigned char *phone_hash,
                                 int64_t contact_id)
{
    const char *sql;
    switch (scope) {
    case DB_OTP_PHONE:
        sql = nth ? nth_phone : count_phone;
        break;
    case DB_OTP_CONTACT:
        sql = nth ? nth_contact : count_contact;
        break;
    case DB_OTP_GLOBAL:
        sql = nth ? nth_global : count_global;
        break;
    default:
        return NULL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return NULL;
    }
    if (scope == DB_OTP_PHONE) {
        sqlite3_bind_blob(stmt, 1, phone_hash, DB_HASH_BYTES, SQLITE_STATIC);
    } else if (scope == DB_OTP_CONTACT) {
        sqlite3_bind_int64(stmt, 1, contact_id);
    }
    return stmt;
}

/* Steps a one-row query of integers into values[0..n). */
static int step_ints(struct db *db, sqlite3_stmt *stmt, int64_t *values, int n)
{
    int rc = sqlite3_step(stmt);
    int err;
    if (rc == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            values[i] = sqlite3_column_int64(stmt, i);
        }
        err = CORE_OK;
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_otp_usage(struct db *db,
                 enum db_otp_scope scope,
                 const unsigned char phone_hash[DB_HASH_BYTES],
                 int64_t contact_id,
                 int64_t since,
                 int64_t cap,
                 struct db_otp_usage *out)
{
    memset(out, 0, sizeof *out);
    if ((scope == DB_OTP_PHONE && !phone_hash) || cap < 0) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = scoped_stmt(db, scope, false, phone_hash, contact_id);
    if (!stmt) {
        return scope > DB_OTP_GLOBAL ? CORE_EINVAL : CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 2, since);
    int64_t values[2] = {0, 0};
    int err = step_ints(db, stmt, values, 2);
    if (err != CORE_OK) {
        return err == CORE_ENOTFOUND ? CORE_EDB : err;
    }
    out->count = values[0];
    out->newest_at = values[1];
    if (out->count < cap) {
        return CORE_OK;
    }
    stmt = scoped_stmt(db, scope, true, phone_hash, contact_id);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 2, since);
    sqlite3_bind_int64(stmt, 3, out->count - cap);
    err = step_ints(db, stmt, &out->unblock_at, 1);
    return err == CORE_ENOTFOUND ? CORE_EDB : err;
}

int db_otp_insert(struct db *db,
                  const unsigned char phone_hash[DB_HASH_BYTES],
                  int64_t contact_id,
                  const unsigned char code_hash[DB_HASH_BYTES],
                  int64_t issued_at,
                  int64_t expires_at,
                  int64_t *id)
{
    static const char sql[] = "INSERT INTO otp (phone_hash, contact_id, code_hash, issued_at,"
                              " expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
    if (!phone_hash || !code_hash) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, phone_hash, DB_HASH_BYTES, SQLITE_STATIC);
    if (contact_id > 0) {
        sqlite3_bind_int64(stmt, 2, contact_id);
    } else {
        sqlite3_bind_null(stmt, 2);
    }
    sqlite3_bind_blob(stmt, 3, code_hash, DB_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, issued_at);
    sqlite3_bind_int64(stmt, 5, expires_at);
    int err = db__exec_stmt(db, stmt);
    if (err == CORE_OK && id) {
        *id = sqlite3_last_insert_rowid(db__conn(db));
    }
    return err;
}

int db_otp_supersede(struct db *db, const unsigned char phone_hash[DB_HASH_BYTES], int64_t keep_id)
{
    static const char sql[] = "UPDATE otp SET status = 'superseded'"
                              " WHERE phone_hash = ?1 AND status = 'live' AND id <> ?2";
    if (!phone_hash) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, phone_hash, DB_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, keep_id);
    return db__exec_stmt(db, stmt);
}

int db_otp_delete(struct db *db, int64_t id)
{
    static const char sql[] = "DELETE FROM otp WHERE id = ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    return db__exec_stmt(db, stmt);
}

int db_otp_live(struct db *db, const unsigned char phone_hash[DB_HASH_BYTES], struct db_otp *out)
{
    static const char sql[] = "SELECT id, contact_id, code_hash, issued_at, expires_at, attempts"
                              " FROM otp WHERE phone_hash = ?1 AND status = 'live'"
                              " ORDER BY id DESC LIMIT 1";
    memset(out, 0, sizeof *out);
    if (!phone_hash) {
        return CORE_EINVAL;
    }
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_blob(stmt, 1, phone_hash, DB_HASH_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    int err = CORE_OK;
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(stmt, 0);
        out->contact_id = sqlite3_column_int64(stmt, 1);
        const void *hash = sqlite3_column_blob(stmt, 2);
        if (hash && sqlite3_column_bytes(stmt, 2) == DB_HASH_BYTES) {
            memcpy(out->code_hash, hash, DB_HASH_BYTES);
        } else {
            err = CORE_EDB;
        }
        out->issued_at = sqlite3_column_int64(stmt, 3);
        out->expires_at = sqlite3_column_int64(stmt, 4);
        out->attempts = sqlite3_column_int(stmt, 5);
    } else {
        err = rc == SQLITE_DONE ? CORE_ENOTFOUND : db__err(db, rc);
    }
    sqlite3_reset(stmt);
    return err;
}

int db_otp_add_attempt(struct db *db, int64_t id, int *attempts)
{
    static const char sql[] =
        "UPDATE otp SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, id);
    int64_t value = 0;
    int err = step_ints(db, stmt, &value, 1);
    if (err == CORE_OK && attempts) {
        *attempts = (int)value;
    }
    return err;
}

int db_otp_consume(struct db *db, int64_t id, int64_t now)
{
    static const char sql[] = "UPDATE otp SET status = 'consumed', consumed_at = ?2"
                              " WHERE id = ?1 AND status = 'live'";
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
    return sqlite3_changes(db__conn(db)) == 1 ? CORE_OK : CORE_ESTATE;
}

int db_otp_purge(struct db *db, int64_t before)
{
    static const char sql[] = "DELETE FROM otp WHERE issued_at < ?1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    sqlite3_bind_int64(stmt, 1, before);
    return db__exec_stmt(db, stmt);
}
