/* SPDX-License-Identifier: MIT
 * db handle: open with the pragmas the service relies on, migrate, transactions, the
 * pointer-keyed prepared-statement cache. */
#include "db/db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

#define STMT_SLOTS 256 /* power of two, far above the number of distinct statements */

struct stmt_slot {
    const char *sql;
    sqlite3_stmt *stmt;
};

struct db {
    sqlite3 *conn;
    bool in_tx;
    char error[256];
    struct stmt_slot slots[STMT_SLOTS];
};

sqlite3 *db__conn(struct db *db)
{
    return db->conn;
}

int db__err(struct db *db, int rc)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) {
        return CORE_OK;
    }
    snprintf(db->error, sizeof db->error, "%s (%d)", sqlite3_errmsg(db->conn), rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CORE_EBUSY;
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ? CORE_EEXIST
                                                                                    : CORE_EDB;
    case SQLITE_NOMEM:
        return CORE_ENOMEM;
    case SQLITE_TOOBIG:
        return CORE_ETOOBIG;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
        return CORE_EIO;
    default:
        return CORE_EDB;
    }
}

const char *db_last_error(const struct db *db)
{
    return db->error[0] ? db->error : "no error";
}

sqlite3_stmt *db__stmt(struct db *db, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 40) & (STMT_SLOTS - 1);
    for (size_t probe = 0; probe < STMT_SLOTS; probe++, i = (i + 1) & (STMT_SLOTS - 1)) {
        struct stmt_slot *slot = &db->slots[i];
        if (slot->sql == sql) {
            sqlite3_reset(slot->stmt);
            sqlite3_clear_bindings(slot->stmt);
            return slot->stmt;
        }
        if (!slot->sql) {
            sqlite3_stmt *stmt = NULL;
            int rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
            if (rc != SQLITE_OK) {
                (void)db__err(db, rc);
                return NULL;
            }
            slot->sql = sql;
            slot->stmt = stmt;
            return stmt;
        }
    }
    snprintf(db->error, sizeof db->error, "statement cache full");
    return NULL;
}

int db__exec_stmt(struct db *db, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    int err = rc == SQLITE_DONE || rc == SQLITE_ROW ? CORE_OK : db__err(db, rc);
    sqlite3_reset(stmt);
    return err;
}

void db__copy_text(sqlite3_stmt *stmt, int col, char *out, size_t out_len)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    snprintf(out, out_len, "%s", text ? (const char *)text : "");
}

int db__copy_blob(sqlite3_stmt *stmt, int col, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
        return CORE_OK;
    }
    const void *blob = sqlite3_column_blob(stmt, col);
    int len = sqlite3_column_bytes(stmt, col);
    unsigned char *copy = malloc((size_t)len + 1);
    if (!copy) {
        return CORE_ENOMEM;
    }
    if (len > 0) {
        memcpy(copy, blob, (size_t)len);
    }
    copy[len] = 0;
    *out = copy;
    *out_len = (size_t)len;
    return CORE_OK;
}

static int exec_sql(struct db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(db->error, sizeof db->error, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return db__err(db, rc) == CORE_OK ? CORE_EDB : db__err(db, rc);
    }
    return CORE_OK;
}

static int apply_pragmas(struct db *db)
{
    /* Extended codes, so a UNIQUE violation is told apart from other constraint failures. */
    sqlite3_extended_result_codes(db->conn, 1);
    sqlite3_busy_timeout(db->conn, 5000);
    /* synchronous=FULL: an update acknowledged with 200 survives a power cut, not only a
     * process crash (WAL + NORMAL may lose the last commits). bench/ingest measures the cost. */
    return exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;");
}

int db_open_raw(const char *path, struct db **out)
{
    struct db *db = calloc(1, sizeof *db);
    if (!db) {
        return CORE_ENOMEM;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &db->conn, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(db->error, sizeof db->error, "%s", sqlite3_errstr(rc));
        sqlite3_close(db->conn);
        free(db);
        return CORE_EIO;
    }
    int err = apply_pragmas(db);
    if (err != CORE_OK) {
        db_close(db);
        return err;
    }
    *out = db;
    return CORE_OK;
}

int db_open(const char *path, struct db **out)
{
    struct db *db = NULL;
    int err = db_open_raw(path, &db);
    if (err != CORE_OK) {
        return err;
    }
    int from = 0;
    int to = 0;
    err = db_migrate(db, &from, &to);
    if (err != CORE_OK) {
        db_close(db);
        return err;
    }
    *out = db;
    return CORE_OK;
}

void db_close(struct db *db)
{
    if (!db) {
        return;
    }
    for (size_t i = 0; i < STMT_SLOTS; i++) {
        if (db->slots[i].stmt) {
            sqlite3_finalize(db->slots[i].stmt);
        }
    }
    if (db->conn) {
        sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        sqlite3_close(db->conn);
    }
    free(db);
}

static int user_version(struct db *db, int *version)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return db__err(db, rc);
    }
    rc = sqlite3_step(stmt);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? CORE_OK : db__err(db, rc);
}

int db_schema_version(void)
{
    return db__migration_count;
}

static int apply_migration(struct db *db, int index)
{
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", index + 1);
    int err = exec_sql(db, "BEGIN IMMEDIATE;");
    for (const char *const *sql = db__migrations[index]; err == CORE_OK && *sql; sql++) {
        err = exec_sql(db, *sql);
    }
    if (err == CORE_OK) {
        err = exec_sql(db, bump);
    }
    if (err == CORE_OK) {
        return exec_sql(db, "COMMIT;");
    }
    char saved[sizeof db->error];
    memcpy(saved, db->error, sizeof saved);
    (void)exec_sql(db, "ROLLBACK;");
    memcpy(db->error, saved, sizeof saved);
    return err;
}

int db_migrate(struct db *db, int *from, int *to)
{
    int version = 0;
    int err = user_version(db, &version);
    if (err != CORE_OK) {
        return err;
    }
    *from = version;
    if (version > db__migration_count) {
        snprintf(db->error, sizeof db->error, "database schema %d is newer than this binary (%d)",
                 version, db__migration_count);
        return CORE_ESTATE;
    }
    for (int i = version; i < db__migration_count; i++) {
        err = apply_migration(db, i);
        if (err != CORE_OK) {
            return err;
        }
    }
    *to = db__migration_count;
    return CORE_OK;
}

int db_set_durability(struct db *db, enum db_durability durability)
{
    return exec_sql(db, durability == DB_DURABLE_NORMAL ? "PRAGMA synchronous=NORMAL;"
                                                        : "PRAGMA synchronous=FULL;");
}

int db_begin(struct db *db)
{
    if (db->in_tx) {
        return CORE_ESTATE;
    }
    int err = exec_sql(db, "BEGIN IMMEDIATE;");
    db->in_tx = err == CORE_OK;
    return err;
}

int db_commit(struct db *db)
{
    if (!db->in_tx) {
        return CORE_ESTATE;
    }
    int err = exec_sql(db, "COMMIT;");
    if (err == CORE_OK) {
        db->in_tx = false;
    }
    return err;
}

void db_rollback(struct db *db)
{
    if (db->in_tx) {
        (void)exec_sql(db, "ROLLBACK;");
        db->in_tx = false;
    }
}

bool db_in_transaction(const struct db *db)
{
    return db->in_tx;
}

int db_ping(struct db *db)
{
    static const char sql[] = "SELECT 1";
    sqlite3_stmt *stmt = db__stmt(db, sql);
    if (!stmt) {
        return CORE_EDB;
    }
    return db__exec_stmt(db, stmt);
}
