/* SPDX-License-Identifier: MIT
 * The real `tabelbot serve` on an ephemeral port: health, metrics, webhook authentication,
 * parsing and dedupe (checked in the database), HTTP limits, CLI exit codes, clean SIGTERM,
 * and no personal data in the log. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/proc.h"

struct fixture {
    char dir[512];
    char config[600];
    char db[600];
    struct tb_proc proc;
};

static const char *const secret_header[] = {"X-Telegram-Bot-Api-Secret-Token: " TB_SECRET,
                                            "Content-Type: application/json", NULL};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tb_tempdir(f->dir, sizeof f->dir), 0);
    assert_int_equal(tb_serve_config(f->dir,
                                     "max_body_bytes = 65536\nmax_header_bytes = 8192\n"
                                     "shutdown_grace_ms = 10000",
                                     NULL, f->config, sizeof f->config),
                     0);
    snprintf(f->db, sizeof f->db, "%s/tabelbot.db", f->dir);
    assert_int_equal(tb_serve_start(&f->proc, f->dir, f->config, NULL, TB_START_TIMEOUT_MS), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tb_proc_cleanup(&f->proc);
    tb_rmtree(f->dir);
    free(f);
    return 0;
}

/* Stops the server with SIGTERM and expects a clean exit 0. */
static void stop_clean(struct fixture *f)
{
    assert_int_equal(tb_proc_signal(&f->proc, SIGTERM), 0);
    assert_int_equal(tb_proc_wait(&f->proc, 60000), 0);
}

static int post_update(struct fixture *f,
                       const char *const *headers,
                       const char *body,
                       struct tb_http_reply *reply)
{
    return tb_http(f->proc.port, "POST", "/webhook/telegram", headers, body, strlen(body), reply,
                   TB_HTTP_TIMEOUT_MS);
}

static int64_t inbox_rows(struct fixture *f)
{
    return tb_db_int(f->db, "SELECT count(*) FROM inbox");
}

static void test_healthz_and_metrics(void **state)
{
    struct fixture *f = *state;
    assert_string_equal(f->proc.host, "127.0.0.1");
    struct tb_http_reply r;
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/healthz", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\",\"db\":\"ok\",\"schema\":1}");
    assert_non_null(strstr(r.headers, "application/json"));
    tb_http_reply_free(&r);

    assert_int_equal(
        tb_http(f->proc.port, "GET", "/metrics", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.headers, "text/plain; version=0.0.4"));
    assert_non_null(strstr(r.body, "# TYPE tabelbot_inbox_depth gauge\ntabelbot_inbox_depth 0\n"));
    /* The outbox dispatcher is wired: its depth and counters are exported. */
    assert_non_null(
        strstr(r.body, "# TYPE tabelbot_outbox_depth gauge\ntabelbot_outbox_depth 0\n"));
    assert_non_null(strstr(r.body, "# TYPE tabelbot_outbox_attempts_total counter"));
    assert_non_null(
        strstr(r.body, "tabelbot_http_requests_total{route=\"healthz\",status=\"200\"} 1"));
    tb_http_reply_free(&r);
    stop_clean(f);
}

static void test_secret_required_before_anything_is_stored(void **state)
{
    struct fixture *f = *state;
    char *body = tb_fixture_read("tests/fixtures/telegram/text.json", NULL);
    assert_non_null(body);
    struct tb_http_reply r;
    const char *const missing[] = {"Content-Type: application/json", NULL};
    assert_int_equal(post_update(f, missing, body, &r), 0);
    assert_int_equal(r.status, 401);
    tb_http_reply_free(&r);
    const char *const wrong[] = {"X-Telegram-Bot-Api-Secret-Token: Tb-test_secret-0123456788",
                                 NULL};
    assert_int_equal(post_update(f, wrong, body, &r), 0);
    assert_int_equal(r.status, 401);
    tb_http_reply_free(&r);
    const char *const prefix[] = {"X-Telegram-Bot-Api-Secret-Token: Tb-test_secret", NULL};
    assert_int_equal(post_update(f, prefix, body, &r), 0);
    assert_int_equal(r.status, 401);
    tb_http_reply_free(&r);
    const char *const longer[] = {"X-Telegram-Bot-Api-Secret-Token: " TB_SECRET "x", NULL};
    assert_int_equal(post_update(f, longer, body, &r), 0);
    assert_int_equal(r.status, 401);
    tb_http_reply_free(&r);
    /* Even a malformed body is refused for the secret first (nothing parsed, nothing stored). */
    assert_int_equal(post_update(f, missing, "{not json", &r), 0);
    assert_int_equal(r.status, 401);
    tb_http_reply_free(&r);
    free(body);
    stop_clean(f);
    assert_int_equal(inbox_rows(f), 0);
}

static void test_malformed_and_not_an_update_are_400(void **state)
{
    struct fixture *f = *state;
    struct tb_http_reply r;
    char *bad = tb_fixture_read("tests/fixtures/telegram/malformed.json", NULL);
    assert_non_null(bad);
    assert_int_equal(post_update(f, secret_header, bad, &r), 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "not valid JSON"));
    tb_http_reply_free(&r);
    free(bad);
    assert_int_equal(post_update(f, secret_header, "{\"message\":{}}", &r), 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "update_id"));
    tb_http_reply_free(&r);
    assert_int_equal(post_update(f, secret_header, "[1,2,3]", &r), 0);
    assert_int_equal(r.status, 400);
    tb_http_reply_free(&r);
    stop_clean(f);
    assert_int_equal(inbox_rows(f), 0);
}

static void test_duplicate_delivery_is_stored_once(void **state)
{
    struct fixture *f = *state;
    char *body = tb_fixture_read("tests/fixtures/telegram/contact_own.json", NULL);
    assert_non_null(body);
    for (int i = 0; i < 3; i++) {
        struct tb_http_reply r;
        assert_int_equal(post_update(f, secret_header, body, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "{\"ok\":true}");
        tb_http_reply_free(&r);
    }
    free(body);
    /* An ignored kind is acknowledged (so Telegram does not retry) and not stored. */
    char *edited = tb_fixture_read("tests/fixtures/telegram/edited_message.json", NULL);
    assert_non_null(edited);
    struct tb_http_reply r;
    assert_int_equal(post_update(f, secret_header, edited, &r), 0);
    assert_int_equal(r.status, 200);
    tb_http_reply_free(&r);
    free(edited);
    /* A block (my_chat_member) is stored: the conversation service marks the contact. */
    char *kicked = tb_fixture_read("tests/fixtures/telegram/my_chat_member_kicked.json", NULL);
    assert_non_null(kicked);
    assert_int_equal(post_update(f, secret_header, kicked, &r), 0);
    assert_int_equal(r.status, 200);
    tb_http_reply_free(&r);
    free(kicked);
    /* The depth gauge is exported (the conversation service drains the rows meanwhile). */
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/metrics", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS), 0);
    assert_non_null(strstr(r.body, "\ntabelbot_inbox_depth "));
    tb_http_reply_free(&r);
    stop_clean(f);
    assert_int_equal(inbox_rows(f), 2);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox WHERE external_id = '904512305'"),
                     1);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox WHERE channel = 'telegram' AND "
                                      "external_id = '904512302' AND status IN ('new', 'done')"),
                     1);
    /* Sealed at rest: the phone number is not in the stored bytes. */
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox WHERE "
                                      "instr(payload_enc, CAST('77011234567' AS BLOB)) > 0"),
                     0);
    /* The log never carries the chat id or the phone number. */
    char *log = tb_fixture_read(f->proc.log_path, NULL);
    assert_non_null(log);
    assert_null(strstr(log, "5120734561"));
    assert_null(strstr(log, "77011234567"));
    assert_null(strstr(log, "serve.no_handler")); /* serve wires the conversation service */
    assert_non_null(strstr(log, "access route=webhook"));
    free(log);
}

static void test_other_channels_not_enabled(void **state)
{
    struct fixture *f = *state;
    struct tb_http_reply r;
    assert_int_equal(tb_http(f->proc.port, "POST", "/webhook/whatsapp", secret_header, "{}", 2, &r,
                             TB_HTTP_TIMEOUT_MS),
                     0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "channel not enabled"));
    tb_http_reply_free(&r);
    assert_int_equal(tb_http(f->proc.port, "POST", "/webhook/nosuch", secret_header, "{}", 2, &r,
                             TB_HTTP_TIMEOUT_MS),
                     0);
    assert_int_equal(r.status, 404);
    tb_http_reply_free(&r);
    stop_clean(f);
    assert_int_equal(inbox_rows(f), 0);
}

static void test_http_limits_through_the_binary(void **state)
{
    struct fixture *f = *state;
    struct tb_http_reply r;
    /* 413: body over max_body_bytes (64 KiB here), answered from the headers. */
    size_t big = 70000;
    char *body = malloc(big);
    assert_non_null(body);
    memset(body, ' ', big);
    assert_int_equal(tb_http(f->proc.port, "POST", "/webhook/telegram", secret_header, body, big,
                             &r, TB_HTTP_TIMEOUT_MS),
                     0);
    assert_int_equal(r.status, 413);
    tb_http_reply_free(&r);
    free(body);
    /* 431: headers over max_header_bytes (8 KiB here). */
    char *huge = malloc(12000);
    assert_non_null(huge);
    memcpy(huge, "X-Filler: ", 10);
    memset(huge + 10, 'a', 11000);
    huge[11010] = '\0';
    const char *const many[] = {huge, NULL};
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/healthz", many, NULL, 0, &r, TB_HTTP_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 431);
    tb_http_reply_free(&r);
    free(huge);
    /* 404 unknown path, 405 known path with the wrong method. */
    assert_int_equal(tb_http(f->proc.port, "GET", "/nope", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS),
                     0);
    assert_int_equal(r.status, 404);
    tb_http_reply_free(&r);
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/webhook/telegram", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS),
        0);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.headers, "Allow: POST"));
    tb_http_reply_free(&r);
    assert_int_equal(tb_http(f->proc.port, "POST", "/healthz", NULL, "", 0, &r, TB_HTTP_TIMEOUT_MS),
                     0);
    assert_int_equal(r.status, 405);
    tb_http_reply_free(&r);
    /* Still healthy after all that. */
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/healthz", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 200);
    tb_http_reply_free(&r);
    stop_clean(f);
    assert_int_equal(inbox_rows(f), 0);
}

/* ---- CLI without a running server ---- */

static void test_cli_exit_codes(void **state)
{
    (void)state;
    char dir[512];
    char config[600];
    assert_int_equal(tb_tempdir(dir, sizeof dir), 0);
    assert_int_equal(tb_serve_config(dir, NULL, "clock_override = true", config, sizeof config), 0);
    char out[256];
    const char *const unknown[] = {"serve", "--bogus", NULL};
    assert_int_equal(tb_run_bin(dir, unknown, NULL, NULL, 0, 60000), 2);
    const char *const missing[] = {"serve", "--config", NULL};
    assert_int_equal(tb_run_bin(dir, missing, NULL, NULL, 0, 60000), 2);
    const char *const no_file[] = {"serve", "--config", "/nonexistent/tabelbot.toml", NULL};
    assert_int_equal(tb_run_bin(dir, no_file, NULL, NULL, 0, 60000), 1);
    /* Clock override on and an unparsable TABELBOT_NOW: a startup error. */
    const char *const serve[] = {"serve", "--config", config, NULL};
    const char *const bad_now[] = {"TABELBOT_NOW=yesterday", NULL};
    assert_int_equal(tb_run_bin(dir, serve, bad_now, NULL, 0, 60000), 1);
    const char *const migrate[] = {"migrate", "--config", config, NULL};
    assert_int_equal(tb_run_bin(dir, migrate, NULL, out, sizeof out, 60000), 0);
    assert_string_equal(out, "schema 0 -> 1\n");
    assert_int_equal(tb_run_bin(dir, migrate, NULL, out, sizeof out, 60000), 0);
    assert_string_equal(out, "schema 1 -> 1\n");
    const char *const migrate_bad[] = {"migrate", "extra", NULL};
    assert_int_equal(tb_run_bin(dir, migrate_bad, NULL, NULL, 0, 60000), 2);
    /* A port already taken: exit 1 with one line. */
    struct tb_proc first;
    assert_int_equal(tb_serve_start(&first, dir, config, NULL, TB_START_TIMEOUT_MS), 0);
    char dir2[512];
    char config2[600];
    char listen[64];
    assert_int_equal(tb_tempdir(dir2, sizeof dir2), 0);
    snprintf(listen, sizeof listen, "listen = \"127.0.0.1:%u\"", (unsigned)first.port);
    /* A second listen key would be a duplicate: write the config by hand. */
    char text[2048];
    snprintf(text, sizeof text,
             "[server]\n%s\n[database]\npath = \"%s/t.db\"\n[security]\n"
             "data_key_file = \"%s/t.key\"\n",
             listen, dir2, dir2);
    snprintf(config2, sizeof config2, "%s/t.toml", dir2);
    assert_int_equal(tb_write_file(config2, text), 0);
    const char *const serve2[] = {"serve", "--config", config2, NULL};
    assert_int_equal(tb_run_bin(dir2, serve2, NULL, NULL, 0, 60000), 1);
    assert_int_equal(tb_proc_signal(&first, SIGINT), 0);
    assert_int_equal(tb_proc_wait(&first, 60000), 0);
    tb_proc_cleanup(&first);
    tb_rmtree(dir2);
    tb_rmtree(dir);
}

/* TABELBOT_NOW without [dev] clock_override: ignored, with one warning. */
static void test_clock_override_needs_the_setting(void **state)
{
    struct fixture *f = *state; /* started without the variable: no clock line */
    stop_clean(f);
    char *log = tb_fixture_read(f->proc.log_path, NULL);
    assert_non_null(log);
    assert_null(strstr(log, "clock.override"));
    free(log);
    tb_proc_cleanup(&f->proc);
    remove(f->proc.log_path);
    const char *const env[] = {"TABELBOT_NOW=2026-12-03T10:00:00+05:00", NULL};
    assert_int_equal(tb_serve_start(&f->proc, f->dir, f->config, env, TB_START_TIMEOUT_MS), 0);
    stop_clean(f);
    log = tb_fixture_read(f->proc.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "clock.override_ignored"));
    free(log);
    tb_proc_cleanup(&f->proc);
    /* With the setting on, the pinned time is honoured and said so. */
    char config[600];
    assert_int_equal(tb_serve_config(f->dir, NULL, "clock_override = true", config, sizeof config),
                     0);
    remove(f->proc.log_path);
    assert_int_equal(tb_serve_start(&f->proc, f->dir, config, env, TB_START_TIMEOUT_MS), 0);
    stop_clean(f);
    log = tb_fixture_read(f->proc.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "clock.override now=2026-12-03T10:00:00+05:00"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_healthz_and_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_required_before_anything_is_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_and_not_an_update_are_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_delivery_is_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_channels_not_enabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_limits_through_the_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_override_needs_the_setting, setup, teardown),
        cmocka_unit_test(test_cli_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
