/* SPDX-License-Identifier: MIT
 * Test helpers for the records area: a temporary folder with a real sqlite file and a key file,
 * a raw sqlite connection for tampering, byte scans of the database files, a log capture, and
 * a code sink that remembers what it was given. Everything is owned by the env and released by
 * records_env_close (which also removes the folder). */
#ifndef TESTS_SUPPORT_RECORDS_ENV_H
#define TESTS_SUPPORT_RECORDS_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/crypto.h"
#include "bot/otp.h"
#include "db/db.h"

struct records_env {
    char dir[256];
    char db_path[320];
    char key_path[320];
    struct db *db;
    struct bot_crypto *crypto;
};

/** Creates the folder, the database (migrated) and a fresh key; asserts on failure. */
void records_env_open(struct records_env *env);
/** Closes everything and removes the folder. */
void records_env_close(struct records_env *env);
/** Runs SQL on a separate raw connection to the same file (for setup and tampering); the
 * audit triggers can be dropped there. Asserts success. */
void records_env_raw_exec(const struct records_env *env, const char *sql);
/** Integer result of a one-value query on a raw connection. */
int64_t records_env_raw_int(const struct records_env *env, const char *sql);
/** True when `needle` occurs in the database file or its WAL. */
bool records_env_file_contains(const struct records_env *env, const char *needle);
/** Inserts a parent row (registry fixture) with the given id. */
void records_env_add_parent(const struct records_env *env, int64_t id);

/** Log capture: every line emitted while installed is appended (newline-separated). */
void records_log_capture_start(void);
/** The captured text so far (static buffer, truncated at 64 KiB). */
const char *records_log_captured(void);
void records_log_capture_stop(void);

/** A sink that records the last code and phone; fail makes deliver return CORE_EIO. */
struct records_sink {
    char last_code[8];
    char last_phone[24];
    int delivered;
    bool fail;
};
void records_sink_bind(struct records_sink *rs, struct bot_code_sink *sink);

#endif
