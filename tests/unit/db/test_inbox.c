/* SPDX-License-Identifier: MIT
 * db/inbox: dedupe, per-chat ordering of the fetch, done / failure / give-up bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/db.h"
#include "db/db_int.h"
#include "db/inbox.h"

static const unsigned char chat_a[32] = {0xA};
static const unsigned char chat_b[32] = {0xB};
static const unsigned char chat_c[32] = {0xC};

static int setup(void **state)
{
    struct db *db = NULL;
    assert_int_equal(db_open(":memory:", &db), 0);
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    db_close(*state);
    return 0;
}

static int64_t put(struct db *db, const char *ext, const unsigned char *chat, const char *payload)
{
    int64_t id = 0;
    assert_int_equal(db_inbox_insert(db, "telegram", ext, chat, 32, (const unsigned char *)payload,
                                     strlen(payload), 1000, &id),
                     0);
    assert_true(id > 0);
    return id;
}

static void expect_next(struct db *db, int64_t now_ms, const int64_t *ids, size_t n_ids)
{
    struct db_inbox_row rows[16];
    size_t n = 99;
    assert_int_equal(db_inbox_next(db, now_ms, rows, 16, &n), 0);
    assert_int_equal(n, n_ids);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].id, ids[i]);
    }
    db_inbox_rows_cleanup(rows, n);
}

static void test_insert_dedupes(void **state)
{
    struct db *db = *state;
    int64_t id = put(db, "100", chat_a, "first body");
    int64_t other = 0;
    assert_int_equal(db_inbox_insert(db, "telegram", "100", chat_b, 32, (const unsigned char *)"x",
                                     1, 2000, &other),
                     CORE_EEXIST);
    /* The same external id on another channel is another update. */
    assert_int_equal(db_inbox_insert(db, "whatsapp", "100", chat_a, 32, (const unsigned char *)"y",
                                     1, 2000, &other),
                     0);
    int64_t depth = 0;
    assert_int_equal(db_inbox_depth(db, &depth, NULL), 0);
    assert_int_equal(depth, 2);
    struct db_inbox_row rows[4];
    size_t n = 0;
    assert_int_equal(db_inbox_next(db, 0, rows, 4, &n), 0);
    assert_int_equal(n, 1); /* both rows belong to chat_a: only the oldest is offered */
    assert_int_equal(rows[0].id, id);
    assert_string_equal(rows[0].channel, "telegram");
    assert_string_equal(rows[0].external_id, "100");
    assert_int_equal(rows[0].payload_len, strlen("first body"));
    assert_memory_equal(rows[0].payload_enc, "first body", rows[0].payload_len);
    assert_int_equal(rows[0].chat_hash_len, 32);
    assert_memory_equal(rows[0].chat_hash, chat_a, 32);
    assert_int_equal(rows[0].received_at, 1000);
    db_inbox_rows_cleanup(rows, n);
    db_inbox_rows_cleanup(rows, n); /* twice is fine */
}

static void test_rejects_bad_arguments(void **state)
{
    struct db *db = *state;
    const unsigned char *p = (const unsigned char *)"x";
    assert_int_equal(db_inbox_insert(db, "", "1", chat_a, 32, p, 1, 0, NULL), CORE_EINVAL);
    assert_int_equal(db_inbox_insert(db, "telegram", "", chat_a, 32, p, 1, 0, NULL), CORE_EINVAL);
    assert_int_equal(db_inbox_insert(db, "telegram", "1", chat_a, 33, p, 1, 0, NULL), CORE_EINVAL);
    assert_int_equal(db_inbox_insert(db, "telegram", "1", chat_a, 32, p, 0, 0, NULL), CORE_EINVAL);
    int64_t depth = -1;
    assert_int_equal(db_inbox_depth(db, &depth, NULL), 0);
    assert_int_equal(depth, 0);
}

static void test_one_row_per_chat_in_arrival_order(void **state)
{
    struct db *db = *state;
    int64_t a1 = put(db, "1", chat_a, "a1");
    int64_t b1 = put(db, "2", chat_b, "b1");
    int64_t a2 = put(db, "3", chat_a, "a2");
    int64_t c1 = put(db, "4", chat_c, "c1");
    int64_t b2 = put(db, "5", chat_b, "b2");
    expect_next(db, 0, (int64_t[]){a1, b1, c1}, 3);
    /* The batch limit keeps arrival order. */
    struct db_inbox_row rows[2];
    size_t n = 0;
    assert_int_equal(db_inbox_next(db, 0, rows, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, a1);
    assert_int_equal(rows[1].id, b1);
    db_inbox_rows_cleanup(rows, n);

    assert_int_equal(db_inbox_mark_done(db, a1, 2000), 0);
    expect_next(db, 0, (int64_t[]){b1, a2, c1}, 3);
    assert_int_equal(db_inbox_mark_done(db, b1, 2000), 0);
    assert_int_equal(db_inbox_mark_done(db, c1, 2000), 0);
    expect_next(db, 0, (int64_t[]){a2, b2}, 2);
    /* Done is final: a second mark is refused. */
    assert_int_equal(db_inbox_mark_done(db, a1, 3000), CORE_ESTATE);
    assert_int_equal(db_inbox_mark_done(db, 99999, 3000), CORE_ESTATE);
    int64_t depth = 0;
    assert_int_equal(db_inbox_depth(db, &depth, NULL), 0);
    assert_int_equal(depth, 2);
}

static void test_failure_backs_off_then_gives_up(void **state)
{
    struct db *db = *state;
    int64_t a1 = put(db, "1", chat_a, "a1");
    int64_t a2 = put(db, "2", chat_a, "a2");
    int64_t b1 = put(db, "3", chat_b, "b1");
    bool gave_up = true;
    assert_int_equal(db_inbox_mark_failure(db, a1, "handler: boom", 3, 5000, 1, &gave_up), 0);
    assert_false(gave_up);
    /* Waiting for its retry, a1 blocks chat a (a2 must not overtake it); chat b goes on. */
    expect_next(db, 4999, (int64_t[]){b1}, 1);
    expect_next(db, 5000, (int64_t[]){a1, b1}, 2);
    struct db_inbox_row rows[4];
    size_t n = 0;
    assert_int_equal(db_inbox_next(db, 5000, rows, 4, &n), 0);
    assert_int_equal(rows[0].attempts, 1);
    db_inbox_rows_cleanup(rows, n);

    assert_int_equal(db_inbox_mark_failure(db, a1, "handler: boom", 3, 6000, 1, &gave_up), 0);
    assert_false(gave_up);
    assert_int_equal(db_inbox_mark_failure(db, a1, "handler: boom", 3, 7000, 1, &gave_up), 0);
    assert_true(gave_up);
    /* Failed rows no longer block their chat. */
    expect_next(db, 0, (int64_t[]){a2, b1}, 2);
    int64_t waiting = 0;
    int64_t failed = 0;
    assert_int_equal(db_inbox_depth(db, &waiting, &failed), 0);
    assert_int_equal(waiting, 2);
    assert_int_equal(failed, 1);
    /* A failed row cannot be failed or finished again. */
    assert_int_equal(db_inbox_mark_failure(db, a1, "x", 3, 0, 1, &gave_up), CORE_ESTATE);
    assert_int_equal(db_inbox_mark_done(db, a1, 1), CORE_ESTATE);
    /* max_attempts 1: a permanent failure gives up at once. */
    assert_int_equal(db_inbox_mark_failure(db, b1, "unseal: crypto", 1, 0, 1, &gave_up), 0);
    assert_true(gave_up);
}

static void test_joins_the_callers_transaction(void **state)
{
    struct db *db = *state;
    int64_t a1 = put(db, "1", chat_a, "a1");
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(db_inbox_mark_done(db, a1, 2000), 0);
    db_rollback(db);
    expect_next(db, 0, (int64_t[]){a1}, 1);
}

static void test_retention_and_forgetting_a_chat(void **state)
{
    struct db *db = *state;
    int64_t old = put(db, "1", chat_a, "old");
    int64_t recent = put(db, "2", chat_b, "recent");
    int64_t waiting = put(db, "3", chat_c, "waiting");
    int64_t later = put(db, "4", chat_a, "later");
    assert_int_equal(db_inbox_mark_done(db, old, 100), 0);
    assert_int_equal(db_inbox_mark_done(db, recent, 5000), 0);
    int64_t deleted = 0;
    assert_int_equal(db_inbox_prune(db, 1000, 10, &deleted), 0);
    assert_int_equal(deleted, 1); /* only the old handled row: never a waiting one */
    assert_int_equal(db_inbox_insert(db, "telegram", "1", chat_a, 32,
                                     (const unsigned char *)"again", 5, 6000, NULL),
                     0); /* past retention an id is new again (channels re-deliver for hours) */
    expect_next(db, 0, (const int64_t[]){waiting, later}, 2);
    /* Forgetting a chat empties its handled rows only. */
    bool gave_up = false;
    assert_int_equal(db_inbox_mark_failure(db, later, "boom", 1, 0, 7000, &gave_up), 0);
    assert_true(gave_up);
    assert_int_equal(db_inbox_forget_chat(db, chat_a, 32), 0);
    struct db_inbox_row rows[8];
    size_t n = 0;
    assert_int_equal(db_inbox_next(db, 0, rows, 8, &n), 0);
    size_t still_waiting = 0;
    for (size_t i = 0; i < n; i++) {
        still_waiting += rows[i].payload_len > 0 ? 1 : 0; /* chat_a's new row keeps its body */
    }
    assert_int_equal(still_waiting, n);
    db_inbox_rows_cleanup(rows, n);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db__conn(db),
                                        "SELECT length(payload_enc) FROM inbox WHERE id = ?1", -1,
                                        &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, later);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 0); /* the failed row's body is gone */
    sqlite3_finalize(stmt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_dedupes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_row_per_chat_in_arrival_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_backs_off_then_gives_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joins_the_callers_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_and_forgetting_a_chat, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
