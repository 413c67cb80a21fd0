/* SPDX-License-Identifier: MIT
 * Unit tests of the audit hash chain: the documented serialisation recomputed independently,
 * verification of an intact chain, detection of an edited, a re-hashed, a deleted middle and a
 * deleted last row (through a raw connection with the append-only triggers dropped), the
 * triggers themselves, transactions, and refusal of anything that could be personal data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "bot/audit.h"
#include "db/audit.h"
#include "db/db.h"
#include "support/records_env.h"

#define NOW 1796274000 /* 2026-12-03T10:00:00+05:00 */

static int setup(void **state)
{
    struct records_env *env = calloc(1, sizeof *env);
    assert_non_null(env);
    records_env_open(env);
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    struct records_env *env = *state;
    records_log_capture_stop();
    records_env_close(env);
    free(env);
    return 0;
}

static void append_three(struct records_env *env)
{
    char days_hash[BOT_AUDIT_HEX];
    bot_audit_days_hash("PPPPA--PPPPS--PPPPP--PPPPP--PP", days_hash);
    struct bot_audit_entry linked = {.actor = "contact:1", .action = "linked", .channel = "sms"};
    struct bot_audit_entry confirmed = {.actor = "contact:1",
                                        .action = "confirmed",
                                        .channel = "sms",
                                        .child_id = "ch-001",
                                        .month = "2026-11",
                                        .days_hash = days_hash,
                                        .receipt = "7K3QZ-M1X9A",
                                        .detail = "sig=00ff"};
    struct bot_audit_entry imported = {.actor = "import", .action = "imported", .detail = "n=6"};
    assert_int_equal(bot_audit_append(env->db, &linked, NOW), CORE_OK);
    assert_int_equal(bot_audit_append(env->db, &confirmed, NOW + 60), CORE_OK);
    assert_int_equal(bot_audit_append(env->db, &imported, NOW + 120), CORE_OK);
}

/* The documented serialisation, written out independently of bot/audit.c. */
static void expected_hash(const struct db_audit_row *r, char out[65])
{
    char text[2048];
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)r->at);
    const char *f[] = {r->prev_hash, at,       r->actor,     r->action,  r->channel,
                       r->child_id,  r->month, r->days_hash, r->receipt, r->detail};
    size_t n = (size_t)snprintf(text, sizeof text, "tabelbot-audit/1");
    for (size_t i = 0; i < 10; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "\n%zu:%s", strlen(f[i]), f[i]);
    }
    unsigned char digest[32];
    crypto_generichash(digest, 32, (const unsigned char *)text, n, NULL, 0);
    sodium_bin2hex(out, 65, digest, 32);
}

static void test_chain_verifies_and_matches_the_documented_format(void **state)
{
    struct records_env *env = *state;
    int64_t bad = -1;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_OK); /* empty chain */
    assert_int_equal(bad, 0);
    append_three(env);
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_OK);
    assert_int_equal(bad, 0);

    struct db_audit_row row;
    char prev[65] = "genesis";
    int64_t after = 0;
    int rows = 0;
    while (db_audit_next(env->db, after, &row) == CORE_OK) {
        char want[65];
        expected_hash(&row, want);
        assert_string_equal(row.prev_hash, prev);
        assert_string_equal(row.row_hash, want);
        snprintf(prev, sizeof prev, "%s", row.row_hash);
        after = row.id;
        rows++;
    }
    assert_int_equal(rows, 3);
    assert_int_equal(db_audit_find_receipt(env->db, "7K3QZ-M1X9A", &row), CORE_OK);
    assert_string_equal(row.action, "confirmed");
    assert_string_equal(row.month, "2026-11");
    assert_int_equal(row.at, NOW + 60);
}

static void test_days_hash_is_unkeyed_blake2b(void **state)
{
    (void)state;
    char got[BOT_AUDIT_HEX];
    bot_audit_days_hash("PPA-", got);
    unsigned char digest[32];
    char want[65];
    crypto_generichash(digest, 32, (const unsigned char *)"PPA-", 4, NULL, 0);
    sodium_bin2hex(want, sizeof want, digest, 32);
    assert_string_equal(got, want);
    bot_audit_days_hash("PPS-", want);
    assert_string_not_equal(got, want);
}

static void test_edited_row_is_detected(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    records_log_capture_start();
    records_env_raw_exec(env, "DROP TRIGGER audit_no_update;"
                              "UPDATE audit SET month = '2026-10' WHERE id = 2;");
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_ECRYPTO);
    assert_int_equal(bad, 2);
    assert_non_null(strstr(records_log_captured(), "audit_chain_broken first_bad_id=2"));
}

static void test_edited_and_rehashed_row_is_caught_by_the_next(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    struct db_audit_row row;
    assert_int_equal(db_audit_next(env->db, 1, &row), CORE_OK);
    snprintf(row.action, sizeof row.action, "disputed");
    char forged[BOT_AUDIT_HEX];
    bot_audit_row_hash(&row, forged);
    char sql[256];
    snprintf(sql, sizeof sql,
             "DROP TRIGGER audit_no_update;"
             "UPDATE audit SET action = 'disputed', row_hash = '%s' WHERE id = 2;",
             forged);
    records_env_raw_exec(env, sql);
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_ECRYPTO);
    assert_int_equal(bad, 3);
}

static void test_deleted_middle_row_is_detected(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    records_env_raw_exec(env, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2;");
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_ECRYPTO);
    assert_int_equal(bad, 3);
}

static void test_deleted_last_row_is_detected(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    records_env_raw_exec(env, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 3;");
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_ECRYPTO);
    assert_int_equal(bad, 3);
    /* Appending afterwards does not paper over the gap: the new row chains to the lost head. */
    struct bot_audit_entry e = {.actor = "system", .action = "erased"};
    assert_int_equal(bot_audit_append(env->db, &e, NOW + 500), CORE_OK);
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_ECRYPTO);
    assert_int_equal(bad, 4);
}

static void test_row_added_behind_the_heads_back_is_detected(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    struct db_audit_row last;
    assert_int_equal(db_audit_last(env->db, &last), CORE_OK);
    struct db_audit_row extra;
    memset(&extra, 0, sizeof extra);
    extra.at = NOW + 999;
    snprintf(extra.actor, sizeof extra.actor, "system");
    snprintf(extra.action, sizeof extra.action, "confirmed");
    snprintf(extra.prev_hash, sizeof extra.prev_hash, "%s", last.row_hash);
    bot_audit_row_hash(&extra, extra.row_hash);
    int64_t id = 0;
    assert_int_equal(db_audit_insert(env->db, &extra, &id), CORE_OK); /* a well-formed forgery */
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_ECRYPTO);
    assert_int_equal(bad, id);
}

static void test_triggers_refuse_update_and_delete(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    sqlite3 *conn = NULL;
    assert_int_equal(sqlite3_open(env->db_path, &conn), SQLITE_OK);
    sqlite3_busy_timeout(conn, 5000);
    assert_int_not_equal(
        sqlite3_exec(conn, "UPDATE audit SET month = '2026-10' WHERE id = 2", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(conn, "DELETE FROM audit WHERE id = 2", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(conn);
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_OK);
}

static void test_append_joins_the_callers_transaction(void **state)
{
    struct records_env *env = *state;
    append_three(env);
    struct bot_audit_entry e = {.actor = "contact:9", .action = "unlinked", .channel = "telegram"};
    assert_int_equal(db_begin(env->db), CORE_OK);
    int64_t id = 0;
    assert_int_equal(bot_audit_append_id(env->db, &e, NOW + 300, &id), CORE_OK);
    assert_int_equal(id, 4);
    db_rollback(env->db);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM audit"), 3);
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_OK);
    assert_int_equal(bot_audit_append_id(env->db, &e, NOW + 301, &id), CORE_OK);
    assert_int_equal(bot_audit_verify(env->db, &bad), CORE_OK);
}

static void test_personal_data_and_bad_fields_refused(void **state)
{
    struct records_env *env = *state;
    const struct bot_audit_entry bad[] = {
        {.actor = "Айгерім", .action = "linked"},
        {.actor = "contact:", .action = "linked"},
        {.actor = "+77011234567", .action = "linked"},
        {.actor = "system", .action = ""},
        {.actor = "system", .action = "Linked"},
        {.actor = "system", .action = "linked", .channel = "fax"},
        {.actor = "system", .action = "linked", .month = "2026-13"},
        {.actor = "system", .action = "linked", .child_id = "ch|001"},
        {.actor = "system", .action = "linked", .days_hash = "abc"},
        {.actor = "system", .action = "linked", .receipt = "7K3QZM1X9A"},
        {.actor = "system", .action = "linked", .receipt = "7K3QZ-M1X9U"},
        {.actor = "system", .action = "linked", .detail = "name=Айгерім"},
        {.actor = "system", .action = "linked", .detail = "line\nbreak"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bot_audit_append(env->db, &bad[i], NOW), CORE_EINVAL);
    }
    assert_int_equal(bot_audit_append(env->db, NULL, NOW), CORE_EINVAL);
    assert_int_equal(records_env_raw_int(env, "SELECT count(*) FROM audit"), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_chain_verifies_and_matches_the_documented_format),
        T(test_days_hash_is_unkeyed_blake2b),
        T(test_edited_row_is_detected),
        T(test_edited_and_rehashed_row_is_caught_by_the_next),
        T(test_deleted_middle_row_is_detected),
        T(test_deleted_last_row_is_detected),
        T(test_row_added_behind_the_heads_back_is_detected),
        T(test_triggers_refuse_update_and_delete),
        T(test_append_joins_the_callers_transaction),
        T(test_personal_data_and_bad_fields_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
