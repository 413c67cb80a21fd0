/* SPDX-License-Identifier: MIT
 * Telegram through the real `tabelbot serve` with api_base_url pointing at a stub Bot API:
 * webhook mode (a parent's update in, the bot's sendMessage out at the stub; a button press is
 * answered with answerCallbackQuery before the replies), long-polling mode (getUpdates,
 * the offset advanced only past committed updates and persisted across a restart, the webhook
 * route 404), bad input on the webhook (unknown update kinds, a 1 MiB text, malformed JSON, a
 * wrong secret: the right status, nothing stored, no crash), and `tabelbot telegram
 * set-webhook` / `delete-webhook` calling the API with the configured options. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/http_stub.h"
#include "support/proc.h"

#define WAIT_MS    60000
#define TOKEN      "123456:TEST-token"
#define CHAT       "5120734561"
#define MAX_CALLS  1024
#define EMPTY_POLL "{\"ok\":true,\"result\":[]}"

/* ---- the stub Bot API: records method + body, serves getUpdates from a script ---- */

struct call {
    char method[32];
    char body[HTTP_STUB_BODY_MAX];
};

struct api {
    struct call calls[MAX_CALLS];
    int n;
    char *first_updates; /* served once to the first getUpdates, then empty answers */
    bool served;
    int fail_polls;    /* getUpdates answered 502, then 409, ... before anything is served */
    const char *stuck; /* served to every getUpdates until the offset passes STUCK_ID */
};

#define STUCK_ID   "904512400"
#define PAST_STUCK "\"offset\":904512401"

static void api_handler(void *ctx, const struct http_stub_request *req, struct http_stub_reply *r)
{
    struct api *a = ctx;
    const char *slash = strrchr(req->path, '/');
    const char *method = slash ? slash + 1 : "";
    if (a->n < MAX_CALLS) {
        snprintf(a->calls[a->n].method, sizeof a->calls[0].method, "%s", method);
        snprintf(a->calls[a->n].body, sizeof a->calls[0].body, "%s", req->body);
        a->n++;
    }
    if (!strstr(req->path, "/bot" TOKEN "/")) {
        *r = http_stub_reply_text(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not "
                                       "Found\"}");
    } else if (strcmp(method, "getUpdates") == 0 && a->fail_polls > 0) {
        *r = a->fail_polls-- % 2
                 ? http_stub_reply_text(409, "{\"ok\":false,\"error_code\":409,"
                                             "\"description\":\"Conflict: can't use "
                                             "getUpdates method while webhook is "
                                             "active\"}")
                 : http_stub_reply_text(502, "<html>Bad Gateway</html>");
    } else if (strcmp(method, "getUpdates") == 0 && a->stuck && !strstr(req->body, PAST_STUCK)) {
        *r = http_stub_reply_text(200, a->stuck);
    } else if (strcmp(method, "getUpdates") == 0 && a->first_updates && !a->served) {
        a->served = true;
        *r = http_stub_reply_text(200, a->first_updates);
    } else if (strcmp(method, "getUpdates") == 0) {
        *r = http_stub_reply_text(200, EMPTY_POLL); /* at once: the server ignores timeout */
    } else {
        *r = http_stub_reply_text(200, "{\"ok\":true,\"result\":true}");
    }
}

/* Index of the first call at or after `from` whose method is m (and whose body holds needle,
 * when given), or -1. */
static int
find_call(struct http_stub *stub, struct api *a, int from, const char *m, const char *needle)
{
    http_stub_lock(stub);
    int found = -1;
    for (int i = from; i < a->n && found < 0; i++) {
        if (strcmp(a->calls[i].method, m) == 0 && (!needle || strstr(a->calls[i].body, needle))) {
            found = i;
        }
    }
    http_stub_unlock(stub);
    return found;
}

static int
wait_call_from(struct http_stub *stub, struct api *a, int from, const char *m, const char *needle)
{
    int64_t end = tb_now_ms() + WAIT_MS;
    int i = -1;
    while ((i = find_call(stub, a, from, m, needle)) < 0 && tb_now_ms() < end) {
        tb_sleep_ms(20);
    }
    return i;
}

static int wait_call(struct http_stub *stub, struct api *a, const char *m, const char *needle)
{
    return wait_call_from(stub, a, 0, m, needle);
}

/* Waits until every outbox row is settled as sent. */
static void wait_all_sent(const char *db)
{
    int64_t end = tb_now_ms() + WAIT_MS;
    while (tb_db_int(db, "SELECT count(*) FROM outbox WHERE status <> 'sent'") != 0 &&
           tb_now_ms() < end) {
        tb_sleep_ms(50);
    }
    assert_int_equal(tb_db_int(db, "SELECT count(*) FROM outbox WHERE status <> 'sent'"), 0);
}

/* ---- fixture ---- */

struct fx {
    char dir[512];
    char config[600];
    char db[600];
    struct http_stub *stub;
    struct api *api;
    struct tb_proc proc;
};

static void write_config(struct fx *f, const char *mode)
{
    char base[128];
    http_stub_url(f->stub, "", base, sizeof base);
    snprintf(f->config, sizeof f->config, "%s/tabelbot.toml", f->dir);
    snprintf(f->db, sizeof f->db, "%s/tabelbot.db", f->dir);
    char text[2048];
    snprintf(text, sizeof text,
             "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://bot.example.kz\"\n"
             "[database]\npath = \"%s\"\n"
             "[security]\ndata_key_file = \"%s/tabelbot.key\"\n"
             "[outbox]\nbase_backoff_ms = 50\nmax_backoff_ms = 500\n"
             "[telegram]\nenabled = true\ntoken = \"" TOKEN "\"\n"
             "secret_token = \"" TB_SECRET "\"\napi_base_url = \"%s\"\nmode = \"%s\"\n"
             "poll_timeout_s = 1\npoll_interval_ms = 100\nmax_connections = 7\n"
             "drop_pending_updates = true\n",
             f->db, f->dir, base, mode);
    assert_int_equal(tb_write_file(f->config, text), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->api = calloc(1, sizeof *f->api);
    assert_non_null(f->api);
    assert_int_equal(tb_tempdir(f->dir, sizeof f->dir), 0);
    f->stub = http_stub_start();
    assert_non_null(f->stub);
    http_stub_set_handler(f->stub, api_handler, f->api);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tb_proc_cleanup(&f->proc);
    http_stub_stop(f->stub);
    tb_rmtree(f->dir);
    free(f->api->first_updates);
    free(f->api);
    free(f);
    return 0;
}

static void serve(struct fx *f)
{
    memset(&f->proc, 0, sizeof f->proc);
    assert_int_equal(tb_serve_start(&f->proc, f->dir, f->config, NULL, TB_START_TIMEOUT_MS), 0);
}

static void stop(struct fx *f)
{
    assert_int_equal(tb_proc_signal(&f->proc, SIGTERM), 0);
    assert_int_equal(tb_proc_wait(&f->proc, WAIT_MS), 0);
    tb_proc_cleanup(&f->proc);
}

static const char *const secret[] = {"X-Telegram-Bot-Api-Secret-Token: " TB_SECRET,
                                     "Content-Type: application/json", NULL};

static int post(struct fx *f, const char *const *headers, const char *body, size_t len)
{
    struct tb_http_reply r;
    assert_int_equal(tb_http(f->proc.port, "POST", "/webhook/telegram", headers, body, len, &r,
                             TB_HTTP_TIMEOUT_MS),
                     0);
    int status = r.status;
    tb_http_reply_free(&r);
    return status;
}

static int post_fixture(struct fx *f, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/telegram/%s", name);
    size_t len = 0;
    char *body = tb_fixture_read(rel, &len);
    assert_non_null(body);
    int status = post(f, secret, body, len);
    free(body);
    return status;
}

/* ---- webhook mode ---- */

static void test_webhook_update_in_send_message_out(void **state)
{
    struct fx *f = *state;
    write_config(f, "webhook");
    serve(f);
    assert_int_equal(post_fixture(f, "start.json"), 200);
    int i = wait_call(f->stub, f->api, "sendMessage", "\"chat_id\":" CHAT);
    assert_true(i >= 0);
    /* the first answer is the language menu: an inline keyboard with ids as callback_data */
    assert_non_null(strstr(f->api->calls[i].body, "\"callback_data\":\"lang:kk\""));
    /* a button press: answerCallbackQuery goes out first, then the replies */
    wait_all_sent(f->db);
    http_stub_lock(f->stub);
    int before = f->api->n;
    http_stub_unlock(f->stub);
    assert_int_equal(post_fixture(f, "callback_query.json"), 200);
    int answer = wait_call(f->stub, f->api, "answerCallbackQuery", "2199450733412234567");
    assert_true(answer >= before);
    /* the first reply to the press arrives after its answer (the chat's order) */
    assert_true(wait_call_from(f->stub, f->api, before, "sendMessage", NULL) > answer);
    /* the same update again: stored once, nothing sent twice */
    assert_int_equal(post_fixture(f, "callback_query.json"), 200);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox"), 2);
    wait_all_sent(f->db);
    stop(f);
}

static void test_webhook_bad_input(void **state)
{
    struct fx *f = *state;
    write_config(f, "webhook");
    serve(f);
    const char *poll = "{\"update_id\":77,\"poll\":{\"id\":\"1\",\"question\":\"?\"}}";
    assert_int_equal(post(f, secret, poll, strlen(poll)), 200);
    const char *reaction = "{\"update_id\":78,\"message_reaction\":{\"chat\":{\"id\":1}}}";
    assert_int_equal(post(f, secret, reaction, strlen(reaction)), 200);
    assert_int_equal(post(f, secret, "{\"update_id\":", 13), 400);
    assert_int_equal(post(f, secret, "[1,2,3]", 7), 400);
    const char *const wrong[] = {"X-Telegram-Bot-Api-Secret-Token: nope", NULL};
    size_t len = 0;
    char *start = tb_fixture_read("tests/fixtures/telegram/start.json", &len);
    assert_non_null(start);
    assert_int_equal(post(f, wrong, start, len), 401);
    assert_int_equal(post(f, NULL, start, len), 401);
    free(start);
    /* a 1 MiB text: over the body limit, refused before anything is parsed */
    size_t big = 1024 * 1024 + 200;
    char *body = malloc(big + 1);
    assert_non_null(body);
    int n = snprintf(body, big,
                     "{\"update_id\":79,\"message\":{\"message_id\":1,\"date\":1,"
                     "\"chat\":{\"id\":1,\"type\":\"private\"},\"text\":\"");
    memset(body + n, 'a', big - (size_t)n - 3);
    memcpy(body + big - 3, "\"}}", 3);
    body[big] = '\0';
    assert_int_equal(post(f, secret, body, big), 413);
    free(body);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox"), 0);
    /* still serving */
    struct tb_http_reply r;
    assert_int_equal(
        tb_http(f->proc.port, "GET", "/healthz", NULL, NULL, 0, &r, TB_HTTP_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 200);
    tb_http_reply_free(&r);
    stop(f);
}

/* ---- polling mode ---- */

static void test_polling_commits_then_advances_and_persists_the_offset(void **state)
{
    struct fx *f = *state;
    f->api->first_updates = tb_fixture_read("tests/fixtures/telegram/get_updates.json", NULL);
    assert_non_null(f->api->first_updates);
    write_config(f, "polling");
    serve(f);
    assert_true(wait_call(f->stub, f->api, "answerCallbackQuery", "4382bfdwdsb323b2d9") >= 0);
    assert_true(wait_call(f->stub, f->api, "sendMessage", "\"chat_id\":1234567890") >= 0);
    /* the next poll asks past the last update (the ignored "poll" one included) */
    assert_true(wait_call(f->stub, f->api, "getUpdates", "\"offset\":904512304") >= 0);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox"), 2);
    /* in polling mode the webhook route does not exist */
    size_t len = 0;
    char *start = tb_fixture_read("tests/fixtures/telegram/start.json", &len);
    assert_int_equal(post(f, secret, start, len), 404);
    free(start);
    stop(f);
    assert_int_equal(
        tb_db_int(f->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'telegram.offset'"),
        904512304);
    /* a restart starts from the persisted offset: nothing lost, nothing replayed */
    http_stub_lock(f->stub);
    int before = f->api->n;
    http_stub_unlock(f->stub);
    serve(f);
    int64_t end = tb_now_ms() + WAIT_MS;
    int first = -1;
    while ((first = find_call(f->stub, f->api, before, "getUpdates", NULL)) < 0 &&
           tb_now_ms() < end) {
        tb_sleep_ms(20);
    }
    assert_true(first >= 0);
    assert_non_null(strstr(f->api->calls[first].body, "\"offset\":904512304"));
    stop(f);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox"), 2);
}

/* An answer cJSON cannot read (a lone UTF-16 surrogate escape) must not stall every parent:
 * the poller asks for one update at a time, names the unreadable one, skips it and goes on. */
static void test_polling_skips_an_update_that_cannot_be_read(void **state)
{
    struct fx *f = *state;
    f->api->stuck = "{\"ok\":true,\"result\":[{\"update_id\":" STUCK_ID
                    ",\"message\":{\"message_id\":1,\"from\":{\"id\":1234567890},\"chat\":"
                    "{\"id\":1234567890,\"type\":\"private\"},\"date\":1764745200,"
                    "\"text\":\"\\ud800\"}}]}";
    write_config(f, "polling");
    serve(f);
    assert_true(wait_call(f->stub, f->api, "getUpdates", "\"limit\":1") >= 0);
    assert_true(wait_call(f->stub, f->api, "getUpdates", PAST_STUCK) >= 0);
    stop(f);
    assert_int_equal(
        tb_db_int(f->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'telegram.offset'"),
        904512401);
    char *log = tb_fixture_read(f->proc.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "skipped_update update_id=" STUCK_ID));
    free(log);
}

static void test_polling_backs_off_on_errors_and_loses_nothing(void **state)
{
    struct fx *f = *state;
    f->api->first_updates = tb_fixture_read("tests/fixtures/telegram/get_updates.json", NULL);
    assert_non_null(f->api->first_updates);
    f->api->fail_polls = 2;
    write_config(f, "polling");
    serve(f);
    assert_true(wait_call(f->stub, f->api, "sendMessage", "\"chat_id\":1234567890") >= 0);
    assert_true(wait_call(f->stub, f->api, "getUpdates", "\"offset\":904512304") >= 0);
    /* empty answers that come back at once are followed by poll_interval_ms (100) of quiet: a
     * second holds at most ~10 polls (a slower machine makes fewer, never more) */
    http_stub_lock(f->stub);
    int polls_before = f->api->n;
    http_stub_unlock(f->stub);
    tb_sleep_ms(1000);
    http_stub_lock(f->stub);
    int polls = f->api->n - polls_before;
    http_stub_unlock(f->stub);
    assert_true(polls <= 20);
    stop(f);
    assert_int_equal(tb_db_int(f->db, "SELECT count(*) FROM inbox"), 2);
    /* the errors were not retried in a tight loop: 2 failures, then success, then polls */
    char *log = tb_fixture_read(f->proc.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "delete-webhook")); /* the 409 says what to do */
    assert_null(strstr(log, "TEST-token"));         /* the token never reaches the log */
    free(log);
}

/* ---- the CLI ---- */

static void test_set_and_delete_webhook(void **state)
{
    struct fx *f = *state;
    write_config(f, "webhook");
    char out[512];
    const char *set[] = {"telegram", "set-webhook", "--config", f->config, NULL};
    assert_int_equal(tb_run_bin(f->dir, set, NULL, out, sizeof out, WAIT_MS), 0);
    assert_non_null(strstr(out, "https://bot.example.kz/webhook/telegram"));
    assert_null(strstr(out, "TEST-token"));
    int i = find_call(f->stub, f->api, 0, "setWebhook", NULL);
    assert_true(i >= 0);
    cJSON *body = cJSON_Parse(f->api->calls[i].body);
    assert_non_null(body);
    assert_string_equal(cJSON_GetObjectItem(body, "url")->valuestring,
                        "https://bot.example.kz/webhook/telegram");
    assert_string_equal(cJSON_GetObjectItem(body, "secret_token")->valuestring, TB_SECRET);
    assert_int_equal(cJSON_GetObjectItem(body, "max_connections")->valueint, 7);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(body, "drop_pending_updates")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(body, "allowed_updates")), 3);
    cJSON_Delete(body);
    const char *del[] = {"telegram", "delete-webhook", "--config", f->config, NULL};
    assert_int_equal(tb_run_bin(f->dir, del, NULL, out, sizeof out, WAIT_MS), 0);
    assert_true(find_call(f->stub, f->api, 0, "deleteWebhook", "drop_pending_updates") >= 0);
    const char *bad[] = {"telegram", "webhook-info", NULL};
    assert_int_equal(tb_run_bin(f->dir, bad, NULL, out, sizeof out, WAIT_MS), 2);
    const char *none[] = {"telegram", NULL};
    assert_int_equal(tb_run_bin(f->dir, none, NULL, out, sizeof out, WAIT_MS), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_webhook_update_in_send_message_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_polling_commits_then_advances_and_persists_the_offset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_polling_skips_an_update_that_cannot_be_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_polling_backs_off_on_errors_and_loses_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_and_delete_webhook, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
