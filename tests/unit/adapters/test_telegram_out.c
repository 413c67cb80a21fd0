/* SPDX-License-Identifier: MIT
 * Telegram outbound rendering and the limits the emulator never checks: callback_data measured
 * in bytes (Kazakh ids generated here), the numbered fallback, 4096-character texts split on
 * line boundaries and never inside a UTF-8 sequence, the contact keyboard at the phone step and
 * remove_keyboard afterwards, answerCallbackQuery (<= 200 characters), API answers (fixtures
 * under tests/fixtures/telegram), getUpdates walking, setWebhook bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/reply_codec.h"
#include "adapters/telegram.h"
#include "support/proc.h"

#define KK_LETTER "\xD2\x9B" /* қ: two bytes, one character */

/* ---- helpers ---- */

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

static bool utf8_boundary(const char *s, size_t off)
{
    return ((unsigned char)s[off] & 0xC0) != 0x80;
}

static struct core_reply *reply_new(const char *text)
{
    struct core_reply *r = calloc(1, sizeof *r);
    assert_non_null(r);
    snprintf(r->text, sizeof r->text, "%s", text);
    return r;
}

static void add_option(struct core_reply *r, const char *id, const char *label)
{
    snprintf(r->options[r->n_options].id, sizeof r->options[0].id, "%s", id);
    snprintf(r->options[r->n_options].label, sizeof r->options[0].label, "%s", label);
    r->n_options++;
}

/* Renders reply as a queued payload would be, returns the parsed request body. */
static cJSON *render_reply(const struct core_reply *r, const char *chat, char *method)
{
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_reply_encode(r, &json, &len), CORE_OK);
    struct ad_telegram_call call;
    assert_int_equal(ad_telegram_render_payload(json, len, chat, &call), CORE_OK);
    free(json);
    snprintf(method, AD_TG_METHOD_MAX, "%s", call.method);
    cJSON *body = cJSON_ParseWithLength(call.body, call.body_len);
    assert_non_null(body);
    ad_telegram_call_free(&call);
    return body;
}

static const cJSON *path(const cJSON *root, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

/* ---- callback_data is measured in bytes ---- */

static void test_callback_data_bytes_not_characters(void **state)
{
    (void)state;
    char id[256] = "";
    /* 32 Kazakh letters: 32 characters but 64 bytes: fits exactly. */
    for (int i = 0; i < 32; i++) {
        strcat(id, KK_LETTER);
    }
    assert_int_equal(strlen(id), 64);
    assert_true(ad_telegram_callback_data_fits(id));
    /* One more: 33 characters (far below 64) but 66 bytes: refused. */
    strcat(id, KK_LETTER);
    assert_int_equal(utf8_chars(id, strlen(id)), 33);
    assert_false(ad_telegram_callback_data_fits(id));
    /* 64 ASCII bytes fit, 65 do not, empty never does. */
    char ascii[70];
    memset(ascii, 'a', 65);
    ascii[64] = '\0';
    assert_true(ad_telegram_callback_data_fits(ascii));
    ascii[64] = 'a';
    ascii[65] = '\0';
    assert_false(ad_telegram_callback_data_fits(ascii));
    assert_false(ad_telegram_callback_data_fits(""));
    assert_false(ad_telegram_callback_data_fits(NULL));
}

/* Kazakh ids in a reply: when they fit (<= 64 bytes) they become buttons; the renderer refuses
 * an id that would not, so an unprepared reply can never reach Telegram as BUTTON_DATA_INVALID. */
static void test_inline_keyboard_with_kazakh_ids(void **state)
{
    (void)state;
    struct core_reply *r = reply_new("Баланы таңдаңыз");
    char id[CORE_OPTION_ID_MAX] = "child:";
    for (int i = 0; i < 20; i++) { /* 6 + 40 = 46 bytes, 26 characters */
        strcat(id, KK_LETTER);
    }
    add_option(r, id, "Әлихан");
    add_option(r, "menu", "Мәзір");
    r->expect = CORE_EXPECT_CHOICE;
    char method[AD_TG_METHOD_MAX];
    cJSON *body = render_reply(r, "5120734561", method);
    assert_string_equal(method, "sendMessage");
    assert_true(cJSON_IsNumber(path(body, "chat_id", NULL)));
    assert_true(path(body, "chat_id", NULL)->valuedouble == 5120734561.0);
    const cJSON *rows = path(body, "reply_markup", "inline_keyboard");
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 0), 0);
    assert_string_equal(path(first, "callback_data", NULL)->valuestring, id);
    assert_string_equal(path(first, "text", NULL)->valuestring, "Әлихан");
    cJSON_Delete(body);
    free(r);
}

/* A test-made id over 64 bytes (an option id copied from a longer source): prepare turns every
 * option into a numbered line the dialog accepts, and the message carries no buttons. */
static void test_numbered_fallback_when_an_id_does_not_fit(void **state)
{
    (void)state;
    struct core_reply *r = reply_new("Айды таңдаңыз");
    add_option(r, "month:2026-11", "Қараша 2026");
    add_option(r, "month:2026-10", "Қазан 2026");
    r->expect = CORE_EXPECT_CHOICE;
    /* callback_data_fits decides, so make the second id too long the way only bytes can. */
    char long_id[CORE_OPTION_ID_MAX];
    memset(long_id, 0, sizeof long_id);
    for (int i = 0; i < 23; i++) {
        strcat(long_id, KK_LETTER); /* 46 bytes: fits CORE_OPTION_ID_MAX */
    }
    assert_true(ad_telegram_callback_data_fits(long_id)); /* ...and Telegram's 64 */
    /* A reply decoded from the database is untrusted: emulate an id with no bytes at all. */
    r->options[1].id[0] = '\0';
    struct core_reply *parts = calloc(AD_TG_MAX_PARTS, sizeof *parts);
    size_t n = 0;
    assert_int_equal(ad_telegram_prepare_reply(r, parts, AD_TG_MAX_PARTS, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(parts[0].n_options, 0);
    assert_int_equal(parts[0].expect, CORE_EXPECT_CHOICE);
    assert_non_null(strstr(parts[0].text, "Айды таңдаңыз\n\n1 \xE2\x80\x94 Қараша 2026\n"
                                          "2 \xE2\x80\x94 Қазан 2026"));
    char method[AD_TG_METHOD_MAX];
    cJSON *body = render_reply(&parts[0], "42", method);
    assert_null(path(body, "reply_markup", "inline_keyboard"));
    assert_true(cJSON_IsTrue(path(body, "reply_markup", "remove_keyboard")));
    cJSON_Delete(body);
    /* With every id fitting, nothing changes. */
    snprintf(r->options[1].id, sizeof r->options[1].id, "%s", long_id);
    assert_int_equal(ad_telegram_prepare_reply(r, parts, AD_TG_MAX_PARTS, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(parts[0].n_options, 2);
    assert_string_equal(parts[0].text, "Айды таңдаңыз");
    free(parts);
    free(r);
}

/* ---- 4096 characters, split on lines, never inside a UTF-8 sequence ---- */

static void test_split_on_line_boundaries(void **state)
{
    (void)state;
    /* 300 lines of "Күн NNN: қатысты" (Cyrillic, ~17 characters, ~30 bytes each). */
    size_t cap = 300 * 48;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = 0;
    for (int i = 0; i < 300; i++) {
        len += (size_t)snprintf(text + len, cap - len, "%sКүн %03d: қатысты", i ? "\n" : "", i);
    }
    size_t total_chars = utf8_chars(text, len);
    assert_true(total_chars > 4096);
    struct ad_telegram_span parts[8];
    size_t n = 0;
    assert_int_equal(ad_telegram_split_text(text, len, 4096, 100000, parts, 8, &n), CORE_OK);
    assert_true(n >= 2);
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(utf8_chars(text + parts[i].off, parts[i].len) <= 4096);
        assert_true(parts[i].len > 0);
        /* every piece is whole lines: starts at a line start, ends at a line end */
        assert_true(parts[i].off == 0 || text[parts[i].off - 1] == '\n');
        size_t end = parts[i].off + parts[i].len;
        assert_true(end == len || text[end] == '\n');
        chars += utf8_chars(text + parts[i].off, parts[i].len);
    }
    assert_int_equal(chars + (n - 1), total_chars); /* only the cut '\n's are dropped */
    free(text);
}

static void test_split_without_newlines_keeps_code_points_whole(void **state)
{
    (void)state;
    /* 5000 Kazakh letters, no spaces, no newlines: cut at code point boundaries only. */
    size_t len = 5000 * 2;
    char *text = malloc(len + 1);
    assert_non_null(text);
    for (size_t i = 0; i < 5000; i++) {
        memcpy(text + 2 * i, KK_LETTER, 2);
    }
    text[len] = '\0';
    struct ad_telegram_span parts[4];
    size_t n = 0;
    /* a byte cap that is odd forces a cut that would split a letter if done naively */
    assert_int_equal(ad_telegram_split_text(text, len, 4096, 4095, parts, 4, &n), CORE_OK);
    assert_int_equal(n, 3);
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(parts[i].len <= 4095);
        assert_true(utf8_boundary(text, parts[i].off));
        assert_int_equal(parts[i].len % 2, 0);
        sum += parts[i].len;
    }
    assert_int_equal(sum, len);
    assert_int_equal(ad_telegram_split_text(text, len, 4096, 4095, parts, 2, &n), CORE_ETOOBIG);
    free(text);
}

/* A reply whose numbered options push it past one message becomes two: the text, then the rest
 * with the expectation, in order; neither exceeds Telegram's limit. */
static void test_prepare_splits_long_reply(void **state)
{
    (void)state;
    struct core_reply *r = calloc(1, sizeof *r);
    assert_non_null(r);
    size_t len = 0;
    for (int i = 0; len + 64 < sizeof r->text; i++) {
        len += (size_t)snprintf(r->text + len, sizeof r->text - len, "%sline %04d of the review",
                                i ? "\n" : "", i);
    }
    for (int i = 0; i < 14; i++) {
        char label[CORE_OPTION_LABEL_MAX];
        memset(label, 'x', 120);
        label[120] = '\0';
        add_option(r, "", label); /* empty ids: numbered */
    }
    r->expect = CORE_EXPECT_CHOICE;
    struct core_reply *parts = calloc(AD_TG_MAX_PARTS, sizeof *parts);
    size_t n = 0;
    assert_int_equal(ad_telegram_prepare_reply(r, parts, AD_TG_MAX_PARTS, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(parts[0].expect, CORE_EXPECT_NOTHING);
    assert_int_equal(parts[1].expect, CORE_EXPECT_CHOICE);
    assert_int_equal(strncmp(parts[0].text, "line 0000", 9), 0);
    assert_non_null(strstr(parts[1].text, "14 \xE2\x80\x94 xxx"));
    for (size_t i = 0; i < n; i++) {
        assert_true(utf8_chars(parts[i].text, strlen(parts[i].text)) <= AD_TG_TEXT_MAX_CHARS);
    }
    free(parts);
    free(r);
}

/* ---- the phone step and after ---- */

static void test_contact_keyboard_at_phone_step(void **state)
{
    (void)state;
    struct core_reply *r = reply_new("Нажмите кнопку «Поделиться номером» ниже или напишите "
                                     "номер: +7 7XX XXX XX XX.");
    add_option(r, "op", "Контакт-центр");
    r->expect = CORE_EXPECT_PHONE;
    char method[AD_TG_METHOD_MAX];
    cJSON *body = render_reply(r, "5120734561", method);
    const cJSON *markup = path(body, "reply_markup", NULL);
    assert_null(path(markup, "inline_keyboard", NULL));
    assert_true(cJSON_IsTrue(path(markup, "one_time_keyboard", NULL)));
    assert_true(cJSON_IsTrue(path(markup, "resize_keyboard", NULL)));
    const cJSON *rows = path(markup, "keyboard", NULL);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    const cJSON *share = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 0), 0);
    assert_true(cJSON_IsTrue(path(share, "request_contact", NULL)));
    assert_non_null(strstr(path(share, "text", NULL)->valuestring, "Поделиться номером"));
    const cJSON *op = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 1), 0);
    assert_string_equal(path(op, "text", NULL)->valuestring, "Контакт-центр");
    assert_null(path(op, "request_contact", NULL));
    cJSON_Delete(body);
    /* The next reply (the IIN question: free text, no buttons) removes that keyboard. */
    struct core_reply *next = reply_new("ЖСН-ді жазыңыз (12 сан).");
    next->expect = CORE_EXPECT_TEXT;
    body = render_reply(next, "5120734561", method);
    assert_true(cJSON_IsTrue(path(body, "reply_markup", "remove_keyboard")));
    cJSON_Delete(body);
    free(next);
    free(r);
}

static void test_render_refuses_what_telegram_would(void **state)
{
    (void)state;
    struct core_reply *r = reply_new("Сәлем");
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_reply_encode(r, &json, &len), CORE_OK);
    struct ad_telegram_call call;
    /* chat ids: decimal, optional sign, no leading zero, below 2^53 */
    assert_int_equal(ad_telegram_render_payload(json, len, "", &call), CORE_EBADINPUT);
    assert_int_equal(ad_telegram_render_payload(json, len, "12a", &call), CORE_EBADINPUT);
    assert_int_equal(ad_telegram_render_payload(json, len, "0123", &call), CORE_EBADINPUT);
    assert_int_equal(ad_telegram_render_payload(json, len, "12345678901234567", &call),
                     CORE_EBADINPUT);
    assert_int_equal(ad_telegram_render_payload(json, len, "-1001234567890", &call), CORE_OK);
    ad_telegram_call_free(&call);
    free(json);
    /* garbage, a wrong version, an unknown envelope kind, an empty text */
    assert_int_equal(ad_telegram_render_payload("{", 1, "1", &call), CORE_EBADINPUT);
    const char *v2 = "{\"v\":2,\"text\":\"x\",\"expect\":0,\"bulk\":0}";
    assert_int_equal(ad_telegram_render_payload(v2, strlen(v2), "1", &call), CORE_EBADINPUT);
    const char *kind = "{\"v\":1,\"kind\":\"telegram.edit\",\"text\":\"x\"}";
    assert_int_equal(ad_telegram_render_payload(kind, strlen(kind), "1", &call), CORE_EBADINPUT);
    r->text[0] = '\0';
    assert_int_equal(ad_reply_encode(r, &json, &len), CORE_OK);
    assert_int_equal(ad_telegram_render_payload(json, len, "1", &call), CORE_EBADINPUT);
    free(json);
    free(r);
}

/* ---- answerCallbackQuery ---- */

static void test_answer_callback_query(void **state)
{
    (void)state;
    char toast[1024] = "";
    for (int i = 0; i < 250; i++) {
        strcat(toast, KK_LETTER); /* 250 characters, 500 bytes */
    }
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_telegram_answer_encode("2199450733412234567", toast, &json, &len), CORE_OK);
    struct ad_telegram_call call;
    assert_int_equal(ad_telegram_render_payload(json, len, "5120734561", &call), CORE_OK);
    assert_string_equal(call.method, "answerCallbackQuery");
    cJSON *body = cJSON_ParseWithLength(call.body, call.body_len);
    assert_string_equal(path(body, "callback_query_id", NULL)->valuestring, "2199450733412234567");
    const char *text = path(body, "text", NULL)->valuestring;
    assert_int_equal(utf8_chars(text, strlen(text)), AD_TG_ANSWER_MAX_CHARS);
    assert_int_equal(strlen(text), 400); /* cut on a letter boundary */
    assert_null(path(body, "chat_id", NULL));
    cJSON_Delete(body);
    ad_telegram_call_free(&call);
    free(json);
    /* no text: no toast field, the spinner simply stops */
    assert_int_equal(ad_telegram_answer_encode("77", NULL, &json, &len), CORE_OK);
    assert_int_equal(ad_telegram_render_payload(json, len, "1", &call), CORE_OK);
    assert_null(strstr(call.body, "\"text\""));
    ad_telegram_call_free(&call);
    free(json);
    assert_int_equal(ad_telegram_answer_encode("", NULL, &json, &len), CORE_EINVAL);
}

/* ---- the API's answers ---- */

static void parse_fixture(const char *name, struct ad_telegram_api_reply *out)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/telegram/%s", name);
    size_t len = 0;
    char *body = tb_fixture_read(rel, &len);
    assert_non_null(body);
    assert_int_equal(ad_telegram_parse_api_reply(body, len, out), CORE_OK);
    free(body);
}

static void test_api_replies(void **state)
{
    (void)state;
    struct ad_telegram_api_reply api;
    parse_fixture("api_429.json", &api);
    assert_false(api.ok);
    assert_int_equal(api.error_code, 429);
    assert_int_equal(api.retry_after_s, 34);
    parse_fixture("api_403_blocked.json", &api);
    assert_int_equal(api.error_code, 403);
    assert_string_equal(api.description, "Forbidden: bot was blocked by the user");
    assert_int_equal(api.retry_after_s, -1);
    parse_fixture("api_send_ok.json", &api);
    assert_true(api.ok);
    assert_int_equal(api.error_code, 0);
    parse_fixture("api_400_not_modified.json", &api);
    assert_non_null(strstr(api.description, "message is not modified"));
    /* not the Bot API's shape: the emulator's 500 for an unknown method, HTML, nothing */
    const char *emu = "{\"message\":\"API method 'x' is not supported\"}";
    assert_int_equal(ad_telegram_parse_api_reply(emu, strlen(emu), &api), CORE_EBADINPUT);
    assert_int_equal(ad_telegram_parse_api_reply("<html>", 6, &api), CORE_EBADINPUT);
    assert_int_equal(ad_telegram_parse_api_reply(NULL, 0, &api), CORE_EBADINPUT);
}

struct seen {
    int64_t ids[8];
    size_t n;
    bool first_is_text;
};

static int collect(void *ctx, const char *update, size_t len, int64_t id)
{
    struct seen *s = ctx;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(ad_telegram_parse_update(update, len, &in, &meta), CORE_OK);
    if (s->n == 0) {
        s->first_is_text = in.kind == CORE_IN_COMMAND && strcmp(in.text, "start") == 0;
    }
    s->ids[s->n++] = id;
    return 0;
}

static void test_each_update_of_get_updates(void **state)
{
    (void)state;
    size_t len = 0;
    char *body = tb_fixture_read("tests/fixtures/telegram/get_updates.json", &len);
    assert_non_null(body);
    struct seen s = {0};
    int64_t max = -1;
    assert_int_equal(ad_telegram_each_update(body, len, collect, &s, &max), CORE_OK);
    assert_int_equal(s.n, 3);
    assert_true(s.first_is_text);
    assert_int_equal(s.ids[1], 904512302);
    assert_int_equal(max, 904512303);
    free(body);
    const char *conflict = "{\"ok\":false,\"error_code\":409,\"description\":\"Conflict\"}";
    assert_int_equal(ad_telegram_each_update(conflict, strlen(conflict), collect, &s, &max),
                     CORE_EBADINPUT);
    const char *empty = "{\"ok\":true,\"result\":[]}";
    max = -1;
    assert_int_equal(ad_telegram_each_update(empty, strlen(empty), collect, &s, &max), CORE_OK);
    assert_int_equal(max, -1);
}

static void test_request_bodies(void **state)
{
    (void)state;
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_telegram_render_get_updates(904512304, 25, &json, &len), CORE_OK);
    cJSON *body = cJSON_Parse(json);
    assert_true(path(body, "offset", NULL)->valuedouble == 904512304.0);
    assert_int_equal(path(body, "timeout", NULL)->valueint, 25);
    assert_int_equal(cJSON_GetArraySize(path(body, "allowed_updates", NULL)), 3);
    cJSON_Delete(body);
    free(json);
    struct ad_telegram_webhook hook = {.url = "https://bot.example.kz/webhook/telegram",
                                       .secret_token = "s3cr3t_-x",
                                       .max_connections = 40,
                                       .drop_pending_updates = true};
    assert_int_equal(ad_telegram_render_set_webhook(&hook, &json, &len), CORE_OK);
    body = cJSON_Parse(json);
    assert_string_equal(path(body, "url", NULL)->valuestring, hook.url);
    assert_string_equal(path(body, "secret_token", NULL)->valuestring, "s3cr3t_-x");
    assert_int_equal(path(body, "max_connections", NULL)->valueint, 40);
    assert_true(cJSON_IsTrue(path(body, "drop_pending_updates", NULL)));
    const cJSON *allowed = path(body, "allowed_updates", NULL);
    assert_string_equal(cJSON_GetArrayItem(allowed, 0)->valuestring, "message");
    assert_string_equal(cJSON_GetArrayItem(allowed, 1)->valuestring, "callback_query");
    assert_string_equal(cJSON_GetArrayItem(allowed, 2)->valuestring, "my_chat_member");
    cJSON_Delete(body);
    free(json);
    hook.secret_token = "";
    assert_int_equal(ad_telegram_render_set_webhook(&hook, &json, &len), CORE_EINVAL);
    assert_int_equal(ad_telegram_render_delete_webhook(false, &json, &len), CORE_OK);
    assert_string_equal(json, "{\"drop_pending_updates\":false}");
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callback_data_bytes_not_characters),
        cmocka_unit_test(test_inline_keyboard_with_kazakh_ids),
        cmocka_unit_test(test_numbered_fallback_when_an_id_does_not_fit),
        cmocka_unit_test(test_split_on_line_boundaries),
        cmocka_unit_test(test_split_without_newlines_keeps_code_points_whole),
        cmocka_unit_test(test_prepare_splits_long_reply),
        cmocka_unit_test(test_contact_keyboard_at_phone_step),
        cmocka_unit_test(test_render_refuses_what_telegram_would),
        cmocka_unit_test(test_answer_callback_query),
        cmocka_unit_test(test_api_replies),
        cmocka_unit_test(test_each_update_of_get_updates),
        cmocka_unit_test(test_request_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
