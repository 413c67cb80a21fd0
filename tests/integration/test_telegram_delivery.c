/* SPDX-License-Identifier: MIT
 * Telegram delivery through the real outbox dispatcher, the real Telegram sender and the real
 * HTTP client against a stub Bot API server: a 429 storm with retry_after (the whole bot waits),
 * 5xx answers and slow answers — every message delivered exactly once, in per-chat order, none
 * lost; 403 "blocked by the user" dead-letters with the reason and marks the contact
 * unreachable while other chats proceed; the per-chat rate spaces one chat's messages. Timing
 * checks are lower bounds only (a loaded machine is slower, never faster). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/reply_codec.h"
#include "bot/conversation.h"
#include "bot/outbox.h"
#include "bot/telegram.h"
#include "core/log.h"
#include "db/contacts.h"
#include "support/http_stub.h"

#define WAIT_MS     60000
#define MAX_LOG     256
#define BLOCKED_ID  "5120734561"
#define STORM_FIRST 6 /* the first requests all get 429 retry_after 1 */

/* ---- the stub Bot API ---- */

struct delivered {
    char chat[24];
    char text[64];
    uint64_t at_ms;
};

struct api {
    int requests;
    struct delivered ok[MAX_LOG]; /* answered 200, arrival order */
    int n_ok;
    uint64_t first_429_at;
    uint64_t after_429_at; /* the first request after the storm */
    char tried[MAX_LOG][64];
    int n_tried;
};

static bool seen_before(struct api *a, const char *text)
{
    for (int i = 0; i < a->n_tried; i++) {
        if (strcmp(a->tried[i], text) == 0) {
            return true;
        }
    }
    if (a->n_tried < MAX_LOG) {
        snprintf(a->tried[a->n_tried++], sizeof a->tried[0], "%s", text);
    }
    return false;
}

static void read_body(const struct http_stub_request *req, char *chat, char *text)
{
    cJSON *body = cJSON_Parse(req->body);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "chat_id");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "text");
    snprintf(chat, 24, "%.0f", cJSON_IsNumber(c) ? c->valuedouble : -1.0);
    snprintf(text, 64, "%s", cJSON_IsString(t) ? t->valuestring : "");
    cJSON_Delete(body);
}

static void record_ok(struct api *a, const char *chat, const char *text, uint64_t at)
{
    if (a->n_ok < MAX_LOG) {
        struct delivered *d = &a->ok[a->n_ok++];
        snprintf(d->chat, sizeof d->chat, "%s", chat);
        snprintf(d->text, sizeof d->text, "%s", text);
        d->at_ms = at;
    }
}

static void api_handler(void *ctx, const struct http_stub_request *req, struct http_stub_reply *r)
{
    struct api *a = ctx;
    char chat[24];
    char text[64];
    read_body(req, chat, text);
    int n = a->requests++;
    bool again = seen_before(a, text);
    if (!strstr(req->path, "/bot123:TOKEN/sendMessage")) {
        *r = http_stub_reply_text(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not "
                                       "Found\"}");
    } else if (n < STORM_FIRST) {
        a->first_429_at = a->first_429_at ? a->first_429_at : req->at_ms;
        *r = http_stub_reply_text(429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too "
                                       "Many Requests: retry after 1\",\"parameters\":"
                                       "{\"retry_after\":1}}");
    } else if (strcmp(chat, BLOCKED_ID) == 0) {
        *r = http_stub_reply_text(403, "{\"ok\":false,\"error_code\":403,\"description\":"
                                       "\"Forbidden: bot was blocked by the user\"}");
    } else if (strstr(text, "-m1") && !again) {
        *r = http_stub_reply_text(502, "<html>Bad Gateway</html>");
    } else {
        *r = http_stub_reply_text(200, "{\"ok\":true,\"result\":{\"message_id\":1}}");
        if (strstr(text, "-m2") && !again) {
            r->delay_ms = 400; /* slow, yet answered: delivered once */
        }
        record_ok(a, chat, text, req->at_ms);
    }
    if (n >= STORM_FIRST && !a->after_429_at) {
        a->after_429_at = req->at_ms;
    }
}

/* ---- fixture ---- */

struct fx {
    uv_loop_t loop;
    struct http_stub *stub;
    struct bot_http_client *http;
    struct db *db;
    struct bot_crypto *crypto;
    struct bot_config *cfg;
    struct bot_telegram tg;
    struct bot_outbox *ob;
    struct api api;
    char dir[64];
    char key_file[96];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->cfg = calloc(1, sizeof *f->cfg);
    assert_non_null(f->cfg);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->stub = http_stub_start();
    assert_non_null(f->stub);
    http_stub_set_handler(f->stub, api_handler, &f->api);
    assert_int_equal(bot_http_client_open(&f->loop, NULL, &f->http), CORE_OK);
    assert_int_equal(db_open(":memory:", &f->db), CORE_OK);
    snprintf(f->dir, sizeof f->dir, "/tmp/tb_tgdeliv_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->key_file, sizeof f->key_file, "%s/test.key", f->dir);
    assert_int_equal(bot_crypto_open(f->key_file, true, &f->crypto), CORE_OK);
    bot_config_defaults(f->cfg);
    f->cfg->outbox.base_backoff_ms = 20;
    f->cfg->outbox.max_backoff_ms = 100;
    f->cfg->outbox.max_attempts = 20;
    f->cfg->outbox.max_in_flight = 8;
    f->cfg->outbox.request_timeout_ms = 10000;
    f->cfg->telegram.enabled = true;
    snprintf(f->cfg->telegram.token, sizeof f->cfg->telegram.token, "123:TOKEN");
    http_stub_url(f->stub, "", f->cfg->telegram.api_base_url, sizeof f->cfg->telegram.api_base_url);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bot_outbox_close(f->ob);
    bot_http_client_close(f->http);
    http_stub_drain(&f->loop, WAIT_MS);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    http_stub_stop(f->stub);
    db_close(f->db);
    bot_crypto_close(f->crypto);
    unlink(f->key_file);
    rmdir(f->dir);
    free(f->cfg);
    free(f);
    return 0;
}

static void start(struct fx *f)
{
    struct bot_outbox_deps deps = {
        .loop = &f->loop, .db = f->db, .crypto = f->crypto, .http = f->http, .cfg = f->cfg};
    assert_int_equal(bot_outbox_open(&deps, &f->ob), CORE_OK);
    bot_telegram_init(&f->tg, f->cfg, f->db, f->crypto);
    struct bot_outbox_sender s;
    bot_telegram_sender(&f->tg, &s);
    assert_int_equal(bot_outbox_register(f->ob, &s), CORE_OK);
    assert_int_equal(bot_outbox_start(f->ob), CORE_OK);
}

static void enqueue(struct fx *f, const char *chat, const char *text)
{
    struct core_reply reply;
    memset(&reply, 0, sizeof reply);
    snprintf(reply.text, sizeof reply.text, "%s", text);
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_reply_encode(&reply, &json, &len), CORE_OK);
    struct bot_outbox_item item = {.channel = "telegram",
                                   .recipient = chat,
                                   .payload = json,
                                   .payload_len = len,
                                   .idem_key = text,
                                   .priority = DB_OUTBOX_INTERACTIVE};
    assert_int_equal(bot_outbox_enqueue(f->db, f->crypto, &item, bot_outbox_wall_ms(), NULL),
                     CORE_OK);
    free(json);
}

struct until {
    struct fx *f;
    int64_t sent;
    int64_t dead;
};

static bool settled(void *ctx)
{
    struct until *u = ctx;
    struct db_outbox_counts c;
    return db_outbox_counts(u->f->db, &c) == CORE_OK && c.sent == u->sent && c.dead == u->dead &&
           c.pending == 0 && c.sending == 0;
}

static void wait_settled(struct fx *f, int64_t sent, int64_t dead)
{
    struct until u = {f, sent, dead};
    assert_true(http_stub_run_until(&f->loop, settled, &u, WAIT_MS));
}

/* ---- tests ---- */

static void test_storm_5xx_and_slow_answers_deliver_once_in_order(void **state)
{
    struct fx *f = *state;
    f->cfg->telegram.chat_interval_ms = 50; /* keep the test short; pacing is tested below */
    const char *chats[] = {"1001", "1002", "-1001234567890"};
    for (int m = 0; m < 5; m++) {
        for (int c = 0; c < 3; c++) {
            char text[64];
            snprintf(text, sizeof text, "c%d-m%d", c, m);
            enqueue(f, chats[c], text);
        }
    }
    start(f);
    wait_settled(f, 15, 0);
    http_stub_lock(f->stub);
    struct api a = f->api;
    http_stub_unlock(f->stub);
    /* exactly once: 15 distinct texts answered 200 */
    assert_int_equal(a.n_ok, 15);
    for (int i = 0; i < a.n_ok; i++) {
        for (int j = i + 1; j < a.n_ok; j++) {
            assert_string_not_equal(a.ok[i].text, a.ok[j].text);
        }
    }
    /* per-chat order: each chat's deliveries are m0..m4 in arrival order */
    for (int c = 0; c < 3; c++) {
        int next = 0;
        for (int i = 0; i < a.n_ok; i++) {
            if (strcmp(a.ok[i].chat, chats[c]) == 0) {
                char want[64];
                snprintf(want, sizeof want, "c%d-m%d", c, next++);
                assert_string_equal(a.ok[i].text, want);
            }
        }
        assert_int_equal(next, 5);
    }
    /* retry_after held the whole bot: nothing was sent within the second after the storm */
    assert_true(a.first_429_at > 0 && a.after_429_at > 0);
    assert_true(a.after_429_at >= a.first_429_at + 900);
}

static void test_blocked_parent_is_dead_lettered_and_unreachable(void **state)
{
    struct fx *f = *state;
    f->api.requests = STORM_FIRST; /* no storm here */
    unsigned char hash[BOT_HASH_BYTES];
    bot_conversation_contact_hash(f->crypto, "telegram", BLOCKED_ID, hash);
    struct db_contact contact;
    const unsigned char address[] = "sealed";
    assert_int_equal(db_contact_find_or_create(f->db, "telegram", hash, address, sizeof address,
                                               1764745200, &contact, NULL),
                     CORE_OK);
    assert_true(contact.reachable);
    enqueue(f, BLOCKED_ID, "b-m0");
    enqueue(f, BLOCKED_ID, "b-m3");
    enqueue(f, "1001", "o-m0");
    start(f);
    wait_settled(f, 1, 2);
    assert_int_equal(db_contact_find(f->db, "telegram", hash, &contact), CORE_OK);
    assert_false(contact.reachable);
    int64_t id = 0;
    assert_int_equal(db_outbox_find_by_key(f->db, "b-m0", &id), CORE_OK);
    struct db_outbox_info info;
    assert_int_equal(db_outbox_find(f->db, id, &info), CORE_OK);
    assert_string_equal(info.status, "dead");
    assert_string_equal(info.last_error, "telegram 403: Forbidden: bot was blocked by the user");
    assert_int_equal(info.attempts, 1); /* not retried */
}

static void test_per_chat_rate_spaces_one_chats_messages(void **state)
{
    struct fx *f = *state;
    f->api.requests = STORM_FIRST;
    f->cfg->telegram.chat_interval_ms = 300;
    f->cfg->telegram.chat_burst = 1;
    for (int m = 0; m < 4; m++) {
        char text[64];
        snprintf(text, sizeof text, "p-m%d", m * 3); /* avoid the -m1/-m2 scripts */
        enqueue(f, "2001", text);
    }
    enqueue(f, "2002", "q-m0");
    start(f);
    wait_settled(f, 5, 0);
    http_stub_lock(f->stub);
    struct api a = f->api;
    http_stub_unlock(f->stub);
    uint64_t last = 0;
    int n = 0;
    for (int i = 0; i < a.n_ok; i++) {
        if (strcmp(a.ok[i].chat, "2001") == 0) {
            if (n++ > 0) {
                assert_true(a.ok[i].at_ms >= last + 280); /* 300 ms apart, ms rounding */
            }
            last = a.ok[i].at_ms;
        }
    }
    assert_int_equal(n, 4);
}

static void test_bot_rate_spreads_a_broadcast(void **state)
{
    struct fx *f = *state;
    f->api.requests = STORM_FIRST;
    f->cfg->telegram.max_messages_per_second = 5; /* bursts of 5, then one every 200 ms */
    for (int c = 0; c < 12; c++) {
        char chat[24];
        char text[64];
        snprintf(chat, sizeof chat, "%d", 3000 + c);
        snprintf(text, sizeof text, "r-m%d", c * 3);
        enqueue(f, chat, text);
    }
    start(f);
    wait_settled(f, 12, 0);
    http_stub_lock(f->stub);
    struct api a = f->api;
    http_stub_unlock(f->stub);
    assert_int_equal(a.n_ok, 12);
    uint64_t first = a.ok[0].at_ms;
    uint64_t last = a.ok[0].at_ms;
    for (int i = 1; i < a.n_ok; i++) {
        first = a.ok[i].at_ms < first ? a.ok[i].at_ms : first;
        last = a.ok[i].at_ms > last ? a.ok[i].at_ms : last;
    }
    /* 5 at once, the other 7 at 200 ms intervals: at least ~1.4 s from first to last */
    assert_true(last >= first + 1300);
}

int main(void)
{
    core_log_set_level(CORE_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_storm_5xx_and_slow_answers_deliver_once_in_order,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_parent_is_dead_lettered_and_unreachable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_per_chat_rate_spaces_one_chats_messages, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bot_rate_spreads_a_broadcast, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
