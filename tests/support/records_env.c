/* SPDX-License-Identifier: MIT
 * Test helpers for the records area (see records_env.h). */
#include "support/records_env.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/log.h"

void records_env_open(struct records_env *env)
{
    memset(env, 0, sizeof *env);
    snprintf(env->dir, sizeof env->dir, "/tmp/tb-records-XXXXXX");
    assert_non_null(mkdtemp(env->dir));
    snprintf(env->db_path, sizeof env->db_path, "%s/test.db", env->dir);
    snprintf(env->key_path, sizeof env->key_path, "%s/test.key", env->dir);
    assert_int_equal(db_open(env->db_path, &env->db), CORE_OK);
    assert_int_equal(bot_crypto_open(env->key_path, true, &env->crypto), CORE_OK);
}

static void remove_suffix(const struct records_env *env, const char *suffix)
{
    char path[400];
    snprintf(path, sizeof path, "%s%s", env->db_path, suffix);
    (void)unlink(path);
}

void records_env_close(struct records_env *env)
{
    db_close(env->db);
    bot_crypto_close(env->crypto);
    env->db = NULL;
    env->crypto = NULL;
    remove_suffix(env, "");
    remove_suffix(env, "-wal");
    remove_suffix(env, "-shm");
    (void)unlink(env->key_path);
    (void)rmdir(env->dir);
}

static sqlite3 *raw_open(const struct records_env *env)
{
    sqlite3 *conn = NULL;
    assert_int_equal(sqlite3_open(env->db_path, &conn), SQLITE_OK);
    sqlite3_busy_timeout(conn, 5000);
    return conn;
}

void records_env_raw_exec(const struct records_env *env, const char *sql)
{
    sqlite3 *conn = raw_open(env);
    char *msg = NULL;
    int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "raw sql failed: %s\n", msg ? msg : "?");
    }
    sqlite3_free(msg);
    sqlite3_close(conn);
    assert_int_equal(rc, SQLITE_OK);
}

int64_t records_env_raw_int(const struct records_env *env, const char *sql)
{
    sqlite3 *conn = raw_open(env);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(conn);
    return value;
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return false;
    }
    size_t cap = 1 << 16;
    size_t len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    size_t n;
    while ((n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
    }
    fclose(f);
    size_t nlen = strlen(needle);
    bool found = false;
    for (size_t i = 0; !found && nlen <= len && i <= len - nlen; i++) {
        found = memcmp(data + i, needle, nlen) == 0;
    }
    free(data);
    return found;
}

bool records_env_file_contains(const struct records_env *env, const char *needle)
{
    char wal[400];
    snprintf(wal, sizeof wal, "%s-wal", env->db_path);
    return file_contains(env->db_path, needle) || file_contains(wal, needle);
}

void records_env_add_parent(const struct records_env *env, int64_t id)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO parents (id, iin_hash, phone_hash, pii_enc, updated_at)"
             " VALUES (%lld, randomblob(32), randomblob(32), randomblob(40), 0)",
             (long long)id);
    records_env_raw_exec(env, sql);
}

/* ---- log capture ---- */

static char captured[1 << 16];
static size_t captured_len;

static void capture_sink(enum core_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)ctx;
    int n = snprintf(captured + captured_len, sizeof captured - captured_len, "%s\n", line);
    if (n > 0) {
        captured_len += (size_t)n;
        if (captured_len >= sizeof captured) {
            captured_len = sizeof captured - 1;
        }
    }
}

void records_log_capture_start(void)
{
    captured[0] = '\0';
    captured_len = 0;
    core_log_set_sink(capture_sink, NULL);
}

const char *records_log_captured(void)
{
    return captured;
}

void records_log_capture_stop(void)
{
    core_log_set_sink(NULL, NULL);
}

/* ---- capturing code sink ---- */

static int records_deliver(void *ctx, const char *phone, const char *code, const char *lang)
{
    (void)lang;
    struct records_sink *rs = ctx;
    if (rs->fail) {
        return CORE_EIO;
    }
    snprintf(rs->last_code, sizeof rs->last_code, "%s", code);
    snprintf(rs->last_phone, sizeof rs->last_phone, "%s", phone);
    rs->delivered++;
    return CORE_OK;
}

void records_sink_bind(struct records_sink *rs, struct bot_code_sink *sink)
{
    memset(rs, 0, sizeof *rs);
    sink->ctx = rs;
    sink->deliver = records_deliver;
}
