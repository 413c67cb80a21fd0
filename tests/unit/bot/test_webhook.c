/* SPDX-License-Identifier: MIT
 * bot/webhook, called as the route handler: authentication before anything is stored, 400s,
 * ignored kinds, dedupe, sealing and chat hashing of what is stored, the after-commit callback,
 * 503 (with Retry-After) when the database cannot take the row, channels not enabled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bot/inbox.h"
#include "bot/webhook.h"
#include "core/log.h"
#include "db/db.h"
#include "db/db_int.h"
#include "db/inbox.h"
#include "support/proc.h"

#define SECRET "hook-secret_42"

struct fx {
    char dir[160];
    struct bot_config cfg;
    struct bot_clock clock;
    struct bot_crypto *crypto;
    struct db *db;
    struct bot_webhook *webhook;
    int stored_calls;
};

static void on_stored(void *ctx)
{
    ((struct fx *)ctx)->stored_calls++;
}

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
    bot_config_defaults(&f->cfg);
    f->cfg.telegram.enabled = true;
    snprintf(f->cfg.telegram.secret_token, sizeof f->cfg.telegram.secret_token, SECRET);
    enum bot_clock_note note;
    char err[64];
    assert_int_equal(bot_clock_init(&f->clock, false, NULL, &note, err, sizeof err), 0);
    assert_int_equal(bot_webhook_new(&f->cfg, f->db, f->crypto, &f->clock, &f->webhook), 0);
    bot_webhook_on_stored(f->webhook, on_stored, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bot_webhook_free(f->webhook);
    db_close(f->db);
    bot_crypto_close(f->crypto);
    tb_rmtree(f->dir);
    free(f);
    return 0;
}

/* Calls the handler like the server does; returns the status, body copied into out. */
static int call(struct fx *f,
                const char *channel,
                const char *secret,
                const char *body,
                char *out,
                size_t out_len)
{
    struct bot_http_header headers[2];
    size_t n = 0;
    headers[n++] = (struct bot_http_header){"Content-Type", "application/json"};
    if (secret) {
        headers[n++] = (struct bot_http_header){"x-telegram-bot-api-secret-token", secret};
    }
    char path[64];
    snprintf(path, sizeof path, "/webhook/%s", channel);
    struct bot_http_request req = {.method = "POST",
                                   .path = path,
                                   .query = "",
                                   .param = channel,
                                   .route = "webhook",
                                   .remote_ip = "127.0.0.1",
                                   .headers = headers,
                                   .n_headers = n,
                                   .body = body,
                                   .body_len = strlen(body)};
    struct bot_http_response res;
    memset(&res, 0, sizeof res);
    res.status = 200;
    core_buf_init(&res.body, BOT_HTTP_MAX_BODY_OUT);
    bot_webhook_handle(&req, &res, f->webhook);
    snprintf(out, out_len, "%s", res.body.data ? res.body.data : "");
    if (res.status == 503) {
        assert_int_equal(res.n_extra, 1);
        assert_string_equal(res.extra[0].name, "Retry-After");
    }
    core_buf_cleanup(&res.body);
    return res.status;
}

static int64_t rows(struct fx *f)
{
    int64_t n = -1;
    assert_int_equal(db_inbox_depth(f->db, &n, NULL), 0);
    return n;
}

static const char text_update[] =
    "{\"update_id\":77,\"message\":{\"message_id\":1,\"from\":{\"id\":4242},\"chat\":{\"id\":4242,"
    "\"type\":\"private\"},\"date\":1764745200,\"text\":\"hello\"}}";
static const char second_update[] =
    "{\"update_id\":78,\"message\":{\"message_id\":2,\"from\":{\"id\":4242},\"chat\":{\"id\":4242,"
    "\"type\":\"private\"},\"date\":1764745201,\"text\":\"again\"}}";

static void test_authentication_comes_first(void **state)
{
    struct fx *f = *state;
    char body[256];
    assert_int_equal(call(f, "telegram", NULL, text_update, body, sizeof body), 401);
    assert_int_equal(call(f, "telegram", "hook-secret_43", text_update, body, sizeof body), 401);
    assert_int_equal(call(f, "telegram", "hook-secret_4", text_update, body, sizeof body), 401);
    assert_int_equal(call(f, "telegram", "", text_update, body, sizeof body), 401);
    assert_int_equal(call(f, "telegram", NULL, "garbage", body, sizeof body), 401);
    assert_int_equal(rows(f), 0);
    assert_int_equal(f->stored_calls, 0);
    /* A blank around the value (as a parser may leave it) is not part of the token. */
    assert_int_equal(call(f, "telegram", " " SECRET " ", text_update, body, sizeof body), 200);
    assert_int_equal(rows(f), 1);
}

static void test_no_secret_configured_refuses_everything(void **state)
{
    struct fx *f = *state;
    f->cfg.telegram.secret_token[0] = '\0';
    char body[256];
    assert_int_equal(call(f, "telegram", "", text_update, body, sizeof body), 401);
    assert_int_equal(call(f, "telegram", NULL, text_update, body, sizeof body), 401);
    assert_int_equal(rows(f), 0);
}

static void test_bad_bodies_are_400_and_ignored_kinds_200(void **state)
{
    struct fx *f = *state;
    char body[256];
    assert_int_equal(call(f, "telegram", SECRET, "{\"update_id\":", body, sizeof body), 400);
    assert_string_equal(body, "{\"ok\":false,\"error\":\"body is not valid JSON\"}");
    assert_int_equal(call(f, "telegram", SECRET, "{\"x\":1}", body, sizeof body), 400);
    assert_int_equal(call(f, "telegram", SECRET,
                          "{\"update_id\":5,\"edited_message\":{\"chat\":{\"id\":1},\"date\":1}}",
                          body, sizeof body),
                     200);
    assert_string_equal(body, "{\"ok\":true}");
    assert_int_equal(rows(f), 0);
    assert_int_equal(f->stored_calls, 0);
}

static void test_stored_sealed_hashed_once(void **state)
{
    struct fx *f = *state;
    char body[256];
    assert_int_equal(call(f, "telegram", SECRET, text_update, body, sizeof body), 200);
    assert_string_equal(body, "{\"ok\":true}");
    assert_int_equal(call(f, "telegram", SECRET, text_update, body, sizeof body), 200);
    assert_int_equal(call(f, "telegram", SECRET, second_update, body, sizeof body), 200);
    assert_int_equal(rows(f), 2);
    assert_int_equal(f->stored_calls, 2); /* the duplicate did not kick the processor */

    struct db_inbox_row row[4];
    size_t n = 0;
    assert_int_equal(db_inbox_next(f->db, 0, row, 4, &n), 0);
    assert_int_equal(n, 1); /* same chat: only the oldest is offered */
    assert_string_equal(row[0].channel, "telegram");
    assert_string_equal(row[0].external_id, "77");
    unsigned char expect[BOT_HASH_BYTES];
    bot_crypto_hash(f->crypto, "chat", "telegram:4242", strlen("telegram:4242"), expect);
    assert_int_equal(row[0].chat_hash_len, BOT_HASH_BYTES);
    assert_memory_equal(row[0].chat_hash, expect, BOT_HASH_BYTES);
    assert_null(strstr((const char *)row[0].payload_enc, "hello"));
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    assert_int_equal(bot_crypto_unseal(f->crypto, row[0].payload_enc, row[0].payload_len,
                                       BOT_INBOX_PAYLOAD_AD, &plain, &plain_len),
                     0);
    assert_int_equal(plain_len, strlen(text_update));
    assert_memory_equal(plain, text_update, plain_len);
    free(plain);
    db_inbox_rows_cleanup(row, n);
}

static void test_database_failure_is_503_and_nothing_half_stored(void **state)
{
    struct fx *f = *state;
    assert_int_equal(sqlite3_exec(db__conn(f->db),
                                  "CREATE TRIGGER refuse BEFORE INSERT ON inbox BEGIN "
                                  "SELECT RAISE(ABORT, 'disk trouble'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    char body[256];
    assert_int_equal(call(f, "telegram", SECRET, text_update, body, sizeof body), 503);
    assert_int_equal(f->stored_calls, 0);
    assert_int_equal(sqlite3_exec(db__conn(f->db), "DROP TRIGGER refuse", NULL, NULL, NULL),
                     SQLITE_OK);
    /* Telegram retries the same update: now it is taken. */
    assert_int_equal(call(f, "telegram", SECRET, text_update, body, sizeof body), 200);
    assert_int_equal(rows(f), 1);
}

static void test_channels_not_enabled(void **state)
{
    struct fx *f = *state;
    char body[256];
    assert_int_equal(call(f, "whatsapp", SECRET, "{}", body, sizeof body), 404);
    assert_string_equal(body, "{\"ok\":false,\"error\":\"channel not enabled\"}");
    assert_int_equal(call(f, "Telegram", SECRET, text_update, body, sizeof body), 404);
    snprintf(f->cfg.telegram.mode, sizeof f->cfg.telegram.mode, "polling");
    assert_int_equal(call(f, "telegram", SECRET, text_update, body, sizeof body), 404);
    snprintf(f->cfg.telegram.mode, sizeof f->cfg.telegram.mode, "webhook");
    f->cfg.telegram.enabled = false;
    assert_int_equal(call(f, "telegram", SECRET, text_update, body, sizeof body), 404);
    assert_int_equal(rows(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_authentication_comes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secret_configured_refuses_everything, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_bodies_are_400_and_ignored_kinds_200, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stored_sealed_hashed_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_failure_is_503_and_nothing_half_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_channels_not_enabled, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
