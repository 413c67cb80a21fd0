/* SPDX-License-Identifier: MIT
 * The Telegram sender's pure parts and the outbox rate limiter: classification of every answer
 * class (429 retry_after pausing the channel, 403 blocked, 400 with Telegram's description,
 * "message is not modified", a wrong token, 5xx, network errors), the request it renders (URL
 * with the token, a label without it), and the GCRA limiter (burst then interval, per key,
 * bounded memory, fail-open when full). Time is passed in: nothing here sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/reply_codec.h"
#include "bot/outbox_limit.h"
#include "bot/telegram.h"
#include "support/proc.h"

/* ---- classification ---- */

static struct bot_http_response answer(long status, const char *body)
{
    struct bot_http_response r;
    memset(&r, 0, sizeof r);
    r.err = CORE_OK;
    r.status = status;
    r.error = "";
    r.body = body;
    r.body_len = strlen(body);
    return r;
}

static char *fixture(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/telegram/%s", name);
    char *body = tb_fixture_read(rel, NULL);
    assert_non_null(body);
    return body;
}

static void test_classify_ok(void **state)
{
    (void)state;
    char *body = fixture("api_send_ok.json");
    struct bot_http_response r = answer(200, body);
    struct bot_send_result out;
    bool blocked = true;
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_SENT);
    assert_false(blocked);
    assert_string_equal(out.reason, "");
    free(body);
    /* The emulator's answer to answerCallbackQuery: result null, still ok. */
    r = answer(200, "{\"ok\":true,\"result\":null}");
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_SENT);
}

static void test_classify_429_honours_retry_after_for_the_whole_bot(void **state)
{
    (void)state;
    char *body = fixture("api_429.json");
    struct bot_http_response r = answer(429, body);
    struct bot_send_result out;
    bool blocked = false;
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY_AFTER);
    assert_int_equal(out.retry_after_ms, 34000);
    assert_true(out.pause_channel);
    assert_false(blocked);
    assert_non_null(strstr(out.reason, "telegram 429: Too Many Requests"));
    free(body);
    /* hours after abuse: capped at the outbox's longest delay, never overflowed */
    r = answer(429, "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":99999999}}");
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY_AFTER);
    assert_int_equal(out.retry_after_ms, 86400 * 1000);
    /* a 429 without parameters: plain backoff, no pause */
    r = answer(429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests\"}");
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY);
    assert_false(out.pause_channel);
}

static void test_classify_403_blocked_is_dead_and_unreachable(void **state)
{
    (void)state;
    char *body = fixture("api_403_blocked.json");
    struct bot_http_response r = answer(403, body);
    struct bot_send_result out;
    bool blocked = false;
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_DEAD);
    assert_true(blocked);
    assert_string_equal(out.reason, "telegram 403: Forbidden: bot was blocked by the user");
    free(body);
}

static void test_classify_400_keeps_the_description(void **state)
{
    (void)state;
    char *body = fixture("api_400_chat_not_found.json");
    struct bot_http_response r = answer(400, body);
    struct bot_send_result out;
    bool blocked = false;
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_DEAD);
    assert_false(blocked);
    assert_string_equal(out.reason, "telegram 400: Bad Request: chat not found");
    free(body);
    body = fixture("api_400_not_modified.json");
    r = answer(400, body);
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_SENT);
    free(body);
    /* a description echoing a chat id: the digits are masked in the kept reason */
    r = answer(400, "{\"ok\":false,\"error_code\":400,\"description\":\"chat 5120734561 gone\"}");
    bot_telegram_classify(&r, &out, &blocked);
    assert_null(strstr(out.reason, "5120734561"));
}

static void test_classify_retries_5xx_network_and_pauses_on_a_bad_token(void **state)
{
    (void)state;
    struct bot_send_result out;
    bool blocked = false;
    struct bot_http_response r = answer(502, "<html>Bad Gateway</html>");
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY);
    assert_non_null(strstr(out.reason, "telegram 502"));
    /* the emulator's 500 for a method it does not know */
    r = answer(500, "{\"message\":\"API method 'x' is not supported\"}");
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY);
    r = answer(0, "");
    r.err = CORE_ENET;
    r.error = "Could not connect";
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY);
    r.err = CORE_ETIMEOUT;
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY);
    r = answer(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
    bot_telegram_classify(&r, &out, &blocked);
    assert_int_equal(out.verdict, BOT_SEND_RETRY_AFTER);
    assert_true(out.pause_channel);
    assert_non_null(strstr(out.reason, "telegram.token"));
    assert_false(blocked);
}

/* ---- the rendered request ---- */

static void test_sender_renders_url_with_token_and_label_without(void **state)
{
    (void)state;
    struct bot_config *cfg = calloc(1, sizeof *cfg);
    assert_non_null(cfg);
    bot_config_defaults(cfg);
    snprintf(cfg->telegram.token, sizeof cfg->telegram.token, "123456:SECRET-tok");
    snprintf(cfg->telegram.api_base_url, sizeof cfg->telegram.api_base_url, "http://127.0.0.1:9");
    struct bot_telegram tg;
    bot_telegram_init(&tg, cfg, NULL, NULL);
    struct bot_outbox_sender s;
    bot_telegram_sender(&tg, &s);
    assert_string_equal(s.channel, "telegram");
    assert_non_null(s.classify_msg);
    assert_true(s.limits.per_second == 30.0);
    assert_true(s.limits.chat_per_second == 1.0);
    assert_int_equal(s.limits.chat_burst, 3);
    struct core_reply reply;
    memset(&reply, 0, sizeof reply);
    snprintf(reply.text, sizeof reply.text, "Сәлем");
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_reply_encode(&reply, &json, &len), CORE_OK);
    struct bot_outbox_msg msg = {
        .id = 1, .channel = "telegram", .recipient = "42", .payload = json, .payload_len = len};
    struct bot_http_call call;
    bot_http_call_init(&call);
    assert_int_equal(s.render(s.ctx, &msg, &call), CORE_OK);
    assert_string_equal(call.url, "http://127.0.0.1:9/bot123456:SECRET-tok/sendMessage");
    assert_string_equal(call.label, "telegram.sendMessage");
    assert_string_equal(call.method, "POST");
    assert_non_null(strstr((const char *)call.body, "\"chat_id\":42"));
    bot_http_call_cleanup(&call);
    /* a payload Telegram cannot take: a permanent render error (the row is dead-lettered) */
    msg.recipient = "not-a-chat";
    bot_http_call_init(&call);
    assert_int_equal(s.render(s.ctx, &msg, &call), CORE_EBADINPUT);
    bot_http_call_cleanup(&call);
    free(json);
    free(cfg);
}

/* ---- the limiter ---- */

static void test_limiter_burst_then_interval(void **state)
{
    (void)state;
    struct bot_rate_limit *rl = NULL;
    assert_int_equal(bot_rate_limit_new(1.0, 3, 16, &rl), CORE_OK);
    const char *chat = "chat-a";
    int64_t t = 1000000;
    assert_int_equal(bot_rate_limit_available(rl, chat, 6, t), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bot_rate_limit_take(rl, chat, 6, t), 0);
    }
    assert_int_equal(bot_rate_limit_available(rl, chat, 6, t), 0);
    assert_int_equal(bot_rate_limit_wait(rl, chat, 6, t), 1000);
    assert_int_equal(bot_rate_limit_take(rl, chat, 6, t), 1000); /* nothing taken */
    assert_int_equal(bot_rate_limit_take(rl, chat, 6, t + 400), 600);
    assert_int_equal(bot_rate_limit_take(rl, chat, 6, t + 1000), 0);
    assert_int_equal(bot_rate_limit_take(rl, chat, 6, t + 1000), 1000);
    /* another chat is independent */
    assert_int_equal(bot_rate_limit_take(rl, "chat-b", 6, t + 1000), 0);
    /* after a long quiet time the burst is back, never more */
    assert_int_equal(bot_rate_limit_available(rl, chat, 6, t + 100000), 3);
    bot_rate_limit_free(rl);
}

static void test_limiter_sustained_rate(void **state)
{
    (void)state;
    struct bot_rate_limit *rl = NULL;
    assert_int_equal(bot_rate_limit_new(30.0, 30, 1, &rl), CORE_OK);
    /* Offer a unit every millisecond for 10 s: at most 30 burst + 30/s * 10 s pass. */
    int passed = 0;
    for (int64_t ms = 0; ms < 10000; ms++) {
        passed += bot_rate_limit_take(rl, NULL, 0, ms) == 0;
    }
    assert_true(passed >= 329 && passed <= 331);
    bot_rate_limit_free(rl);
}

static void test_limiter_memory_is_bounded_and_forgets_idle_chats(void **state)
{
    (void)state;
    struct bot_rate_limit *rl = NULL;
    assert_int_equal(bot_rate_limit_new(1.0, 1, 64, &rl), CORE_OK);
    char key[32];
    /* 10000 chats one after another, each idle afterwards: slots are reused, nothing fails. */
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "chat-%d", i);
        assert_int_equal(bot_rate_limit_take(rl, key, strlen(key), (int64_t)i * 1000), 0);
    }
    assert_int_equal(bot_rate_limit_overflows(rl), 0);
    /* 1000 chats all busy at the same instant: the table is full, the rest pass (fail open). */
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "busy-%d", i);
        assert_int_equal(bot_rate_limit_take(rl, key, strlen(key), 50000000), 0);
    }
    assert_true(bot_rate_limit_overflows(rl) > 0);
    bot_rate_limit_free(rl);
    assert_int_equal(bot_rate_limit_new(0.0, 1, 1, &rl), CORE_EINVAL);
    assert_int_equal(bot_rate_limit_new(1.0, 0, 1, &rl), CORE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_ok),
        cmocka_unit_test(test_classify_429_honours_retry_after_for_the_whole_bot),
        cmocka_unit_test(test_classify_403_blocked_is_dead_and_unreachable),
        cmocka_unit_test(test_classify_400_keeps_the_description),
        cmocka_unit_test(test_classify_retries_5xx_network_and_pauses_on_a_bad_token),
        cmocka_unit_test(test_sender_renders_url_with_token_and_label_without),
        cmocka_unit_test(test_limiter_burst_then_interval),
        cmocka_unit_test(test_limiter_sustained_rate),
        cmocka_unit_test(test_limiter_memory_is_bounded_and_forgets_idle_chats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
