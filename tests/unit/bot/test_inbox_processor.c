/* SPDX-License-Identifier: MIT
 * bot/inbox (the processor): the handler's changes commit with the done mark or not at all;
 * failures back off, then give up and unblock the chat; a tampered payload fails at once; the
 * timer-driven loop drains a backlog in per-chat order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bot/inbox.h"
#include "core/log.h"
#include "db/db.h"
#include "db/db_int.h"
#include "db/inbox.h"
#include "support/proc.h"

struct fx {
    char dir[160];
    uv_loop_t loop;
    struct db *db;
    struct bot_crypto *crypto;
    struct bot_clock clock;
    struct bot_inbox *inbox;
    int fail_left; /* the handler fails this many more calls */
    int calls;
    char order[64][16]; /* external ids in handling order */
    int stop_after;     /* close the processor after this many successes (loop test) */
    int successes;
    int sleep_ms; /* the handler takes this long */
    int giveups;  /* give-up hook calls */
    char giveup_ext[16];
};

static int setup(void **state)
{
    core_log_set_level(CORE_LOG_ERROR);
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tb_tempdir(f->dir, sizeof f->dir), 0);
    char key[200];
    snprintf(key, sizeof key, "%s/k.key", f->dir);
    assert_int_equal(bot_crypto_open(key, true, &f->crypto), 0);
    assert_int_equal(db_open(":memory:", &f->db), 0);
    assert_int_equal(
        sqlite3_exec(db__conn(f->db), "CREATE TABLE effects (ext TEXT NOT NULL)", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    enum bot_clock_note note;
    char err[64];
    assert_int_equal(bot_clock_init(&f->clock, false, NULL, &note, err, sizeof err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bot_inbox_close(f->inbox);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    db_close(f->db);
    bot_crypto_close(f->crypto);
    tb_rmtree(f->dir);
    free(f);
    return 0;
}

/* Writes an effect, then fails while fail_left > 0. */
static int handler(void *ctx, struct db *db, const struct bot_inbox_row *row, int64_t now_s)
{
    (void)now_s;
    struct fx *f = ctx;
    f->calls++;
    assert_true(db_in_transaction(db));
    assert_true(strncmp(row->payload, "body-", 5) == 0);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db__conn(db), "INSERT INTO effects VALUES (?1)", -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_text(stmt, 1, row->external_id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    if (f->sleep_ms) {
        tb_sleep_ms(f->sleep_ms);
    }
    if (f->fail_left > 0) {
        f->fail_left--;
        return CORE_EBADINPUT;
    }
    if (f->successes < 64) {
        snprintf(f->order[f->successes], sizeof f->order[0], "%s", row->external_id);
    }
    f->successes++;
    if (f->stop_after && f->successes == f->stop_after) {
        bot_inbox_close(f->inbox);
        f->inbox = NULL;
    }
    return CORE_OK;
}

static void put(struct fx *f, const char *ext, const char *chat)
{
    char body[64];
    snprintf(body, sizeof body, "body-%s", ext);
    unsigned char hash[BOT_HASH_BYTES];
    bot_crypto_hash(f->crypto, "chat", chat, strlen(chat), hash);
    unsigned char *sealed = NULL;
    size_t len = 0;
    assert_int_equal(
        bot_crypto_seal(f->crypto, body, strlen(body), BOT_INBOX_PAYLOAD_AD, &sealed, &len), 0);
    assert_int_equal(
        db_inbox_insert(f->db, "telegram", ext, hash, sizeof hash, sealed, len, 1, NULL), 0);
    free(sealed);
}

static int64_t scalar(struct fx *f, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db__conn(f->db), sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

static void make(struct fx *f, int max_attempts, int base_backoff_ms)
{
    struct bot_inbox_options opt;
    bot_inbox_options_default(&opt);
    opt.max_attempts = max_attempts;
    opt.base_backoff_ms = base_backoff_ms;
    opt.max_backoff_ms = base_backoff_ms * 8;
    assert_int_equal(bot_inbox_new(&f->loop, f->db, f->crypto, &f->clock, NULL, &opt, &f->inbox),
                     0);
    bot_inbox_set_handler(f->inbox, handler, f);
}

static void test_failure_rolls_back_and_retries_after_backoff(void **state)
{
    struct fx *f = *state;
    make(f, 5, 300);
    put(f, "1", "chat-a");
    f->fail_left = 1;
    size_t handled = 0;
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(f->calls, 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM effects"), 0); /* rolled back */
    assert_int_equal(scalar(f, "SELECT attempts FROM inbox"), 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM inbox WHERE error LIKE 'handler:%'"), 1);
    /* Within the backoff nothing is offered. */
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(f->calls, 1);
    tb_sleep_ms(350);
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(handled, 1);
    assert_int_equal(f->calls, 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM effects"), 1); /* exactly once */
    assert_int_equal(scalar(f, "SELECT count(*) FROM inbox WHERE status = 'done'"), 1);
}

static void test_gives_up_and_unblocks_the_chat(void **state)
{
    struct fx *f = *state;
    make(f, 2, 1);
    put(f, "1", "chat-a");
    put(f, "2", "chat-a");
    f->fail_left = 2;
    size_t handled = 0;
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    tb_sleep_ms(20);
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM inbox WHERE status = 'failed'"), 1);
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(handled, 1);
    assert_string_equal(f->order[0], "2");
    assert_int_equal(scalar(f, "SELECT count(*) FROM effects"), 1);
}

/* The give-up hook: records the row, in a transaction of its own that commits. */
static int giveup(void *ctx, struct db *db, const struct bot_inbox_row *row, int64_t now_s)
{
    (void)now_s;
    struct fx *f = ctx;
    f->giveups++;
    assert_true(db_in_transaction(db));
    assert_true(strncmp(row->payload, "body-", 5) == 0); /* the unsealed row */
    snprintf(f->giveup_ext, sizeof f->giveup_ext, "%s", row->external_id);
    assert_int_equal(
        sqlite3_exec(db__conn(db), "INSERT INTO effects VALUES ('apology')", NULL, NULL, NULL),
        SQLITE_OK);
    return CORE_OK;
}

static void test_giving_up_runs_the_hook_once_and_commits_it(void **state)
{
    struct fx *f = *state;
    make(f, 2, 1);
    bot_inbox_set_giveup(f->inbox, giveup, f);
    put(f, "1", "chat-a");
    f->fail_left = 5;
    size_t handled = 0;
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(f->giveups, 0); /* a retry is not a give-up */
    tb_sleep_ms(20);
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(f->giveups, 1);
    assert_string_equal(f->giveup_ext, "1");
    assert_int_equal(scalar(f, "SELECT count(*) FROM effects WHERE ext = 'apology'"), 1);
    tb_sleep_ms(20);
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(f->giveups, 1); /* never again for the same row */
}

static void test_tampered_payload_fails_at_once(void **state)
{
    struct fx *f = *state;
    make(f, 5, 1);
    put(f, "1", "chat-a");
    assert_int_equal(sqlite3_exec(db__conn(f->db),
                                  "UPDATE inbox SET payload_enc = zeroblob(64) WHERE external_id "
                                  "= '1'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    size_t handled = 0;
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(f->calls, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM inbox WHERE status = 'failed' AND error "
                               "LIKE 'unseal:%'"),
                     1);
}

static void test_loop_drains_backlog_in_chat_order(void **state)
{
    struct fx *f = *state;
    make(f, 5, 1);
    /* 30 rows over 3 chats, batch 64 default: every chat's rows in arrival order. */
    for (int i = 0; i < 30; i++) {
        char ext[8];
        char chat[16];
        snprintf(ext, sizeof ext, "%02d", i);
        snprintf(chat, sizeof chat, "chat-%d", i % 3);
        put(f, ext, chat);
    }
    f->stop_after = 30;
    assert_int_equal(bot_inbox_start(f->inbox), 0);
    assert_int_equal(bot_inbox_start(f->inbox), CORE_ESTATE);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* ends when the handler closes the processor */
    assert_int_equal(f->successes, 30);
    for (int c = 0; c < 3; c++) {
        int last = -1;
        for (int k = 0; k < 30; k++) {
            int n = (int)strtol(f->order[k], NULL, 10);
            if (n % 3 == c) {
                assert_true(n > last);
                last = n;
            }
        }
    }
    assert_int_equal(scalar(f, "SELECT count(*) FROM inbox WHERE status = 'done'"), 30);
}

static void test_batch_yields_after_its_time_budget(void **state)
{
    struct fx *f = *state;
    make(f, 5, 1); /* default budget: 25 ms */
    put(f, "1", "chat-a");
    put(f, "2", "chat-b");
    put(f, "3", "chat-c");
    f->sleep_ms = 40;
    size_t handled = 0;
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(handled, 1); /* over budget after the first: the loop gets a turn */
    assert_int_equal(bot_inbox_run_once(f->inbox, &handled), 0);
    assert_int_equal(handled, 1);
    assert_string_equal(f->order[1], "2"); /* arrival order continues */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failure_rolls_back_and_retries_after_backoff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gives_up_and_unblocks_the_chat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_giving_up_runs_the_hook_once_and_commits_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tampered_payload_fails_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_drains_backlog_in_chat_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_yields_after_its_time_budget, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
