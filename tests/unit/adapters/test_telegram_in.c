/* SPDX-License-Identifier: MIT
 * adapters/telegram_in: real-shaped Updates (tests/fixtures/telegram) and hostile edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/telegram.h"
#include "support/proc.h"

static int parse_fixture(const char *name, struct core_inbound *in, struct ad_telegram_meta *meta)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/telegram/%s", name);
    size_t len = 0;
    char *body = tb_fixture_read(rel, &len);
    assert_non_null(body);
    int rc = ad_telegram_parse_update(body, len, in, meta);
    free(body);
    return rc;
}

static int parse_text(const char *json, struct core_inbound *in, struct ad_telegram_meta *meta)
{
    return ad_telegram_parse_update(json, strlen(json), in, meta);
}

static void test_text_message(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("text.json", &in, &meta), 0);
    assert_int_equal(meta.kind, AD_TG_INBOUND);
    assert_int_equal(in.channel, CORE_CH_TELEGRAM);
    assert_int_equal(in.kind, CORE_IN_TEXT);
    assert_string_equal(in.user_id, "5120734561");
    assert_string_equal(in.external_id, "904512301");
    assert_string_equal(meta.update_id, "904512301");
    assert_string_equal(meta.from_id, "5120734561");
    assert_string_equal(in.text, "Сәлем! Табельді растау керек");
    assert_int_equal(in.at, 1764745200);
    assert_string_equal(in.verified_phone, "");
}

static void test_start_command_with_bot_name(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("start.json", &in, &meta), 0);
    assert_int_equal(in.kind, CORE_IN_COMMAND);
    assert_string_equal(in.text, "start kg-0042");
}

static void test_commands_and_non_commands(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_text("{\"update_id\":1,\"message\":{\"chat\":{\"id\":5,\"type\":"
                                "\"private\"},\"date\":10,\"text\":\"/menu\"}}",
                                &in, &meta),
                     0);
    assert_int_equal(in.kind, CORE_IN_COMMAND);
    assert_string_equal(in.text, "menu");
    assert_int_equal(parse_text("{\"update_id\":1,\"message\":{\"chat\":{\"id\":5},\"date\":10,"
                                "\"text\":\"/ 12\"}}",
                                &in, &meta),
                     0);
    assert_int_equal(in.kind, CORE_IN_TEXT);
    assert_string_equal(in.text, "/ 12");
    /* A sticker or photo: empty text, still answered (with help) by the dialog. */
    assert_int_equal(parse_text("{\"update_id\":2,\"message\":{\"chat\":{\"id\":5},\"date\":10,"
                                "\"sticker\":{\"file_id\":\"x\"}}}",
                                &in, &meta),
                     0);
    assert_int_equal(meta.kind, AD_TG_INBOUND);
    assert_int_equal(in.kind, CORE_IN_TEXT);
    assert_string_equal(in.text, "");
}

static void test_contact_own_is_verified(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("contact_own.json", &in, &meta), 0);
    assert_int_equal(in.kind, CORE_IN_CONTACT);
    assert_string_equal(in.verified_phone, "+77011234567");
    assert_string_equal(in.text, "+77011234567");
}

static void test_contact_foreign_is_not_verified(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("contact_foreign.json", &in, &meta), 0);
    assert_int_equal(in.kind, CORE_IN_CONTACT);
    assert_string_equal(in.verified_phone, "");
    assert_string_equal(in.text, "+77025551234");
    /* A contact without user_id (not a Telegram user) is never verified either. */
    assert_int_equal(parse_text("{\"update_id\":3,\"message\":{\"from\":{\"id\":5},\"chat\":{"
                                "\"id\":5},\"date\":1,\"contact\":{\"phone_number\":\"+7701\"}}}",
                                &in, &meta),
                     0);
    assert_string_equal(in.verified_phone, "");
    /* More than 15 digits is not a phone number. */
    assert_int_equal(parse_text("{\"update_id\":3,\"message\":{\"from\":{\"id\":5},\"chat\":{"
                                "\"id\":5},\"date\":1,\"contact\":{\"phone_number\":"
                                "\"1234567890123456\",\"user_id\":5}}}",
                                &in, &meta),
                     0);
    assert_string_equal(in.verified_phone, "");
    assert_string_equal(in.text, "");
}

static void test_callback_query(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("callback_query.json", &in, &meta), 0);
    assert_int_equal(meta.kind, AD_TG_INBOUND);
    assert_int_equal(in.kind, CORE_IN_BUTTON);
    assert_string_equal(in.button_id, "lang:kk");
    assert_string_equal(in.user_id, "5120734561");
    assert_string_equal(in.external_id, "904512304");
    assert_string_equal(meta.callback_query_id, "2199450733412234567");
    assert_int_equal(in.at, 0);
}

static void test_callback_edge_cases(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    /* No message (inline or too old): the sender is the private chat. */
    assert_int_equal(parse_text("{\"update_id\":9,\"callback_query\":{\"id\":\"77\",\"from\":{"
                                "\"id\":42},\"data\":\"menu\"}}",
                                &in, &meta),
                     0);
    assert_string_equal(in.user_id, "42");
    assert_string_equal(in.button_id, "menu");
    /* Data longer than any id we issue: not ours, kept empty. */
    assert_int_equal(parse_text("{\"update_id\":9,\"callback_query\":{\"id\":\"77\",\"from\":{"
                                "\"id\":42},\"data\":\"0123456789012345678901234567890123456789"
                                "0123456789\"}}",
                                &in, &meta),
                     0);
    assert_int_equal(in.kind, CORE_IN_BUTTON);
    assert_string_equal(in.button_id, "");
    /* Missing id: not a callback query we could ever answer. */
    assert_int_equal(
        parse_text("{\"update_id\":9,\"callback_query\":{\"from\":{\"id\":42}}}", &in, &meta),
        CORE_EBADINPUT);
}

static void test_my_chat_member(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("my_chat_member_kicked.json", &in, &meta), 0);
    assert_int_equal(meta.kind, AD_TG_BLOCKED);
    assert_string_equal(in.user_id, "5120734561");
    assert_string_equal(in.external_id, "904512305");
    assert_int_equal(parse_text("{\"update_id\":10,\"my_chat_member\":{\"chat\":{\"id\":7,"
                                "\"type\":\"private\"},\"date\":5,\"new_chat_member\":{"
                                "\"status\":\"member\"}}}",
                                &in, &meta),
                     0);
    assert_int_equal(meta.kind, AD_TG_UNBLOCKED);
}

static void test_ignored_kinds(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("edited_message.json", &in, &meta), 0);
    assert_int_equal(meta.kind, AD_TG_IGNORED);
    assert_string_equal(meta.update_id, "904512306");
    assert_int_equal(parse_text("{\"update_id\":11,\"channel_post\":{\"chat\":{\"id\":-100},"
                                "\"date\":1,\"text\":\"x\"}}",
                                &in, &meta),
                     0);
    assert_int_equal(meta.kind, AD_TG_IGNORED);
    /* A group message: the bot talks to parents in private chats only. */
    assert_int_equal(parse_text("{\"update_id\":12,\"message\":{\"chat\":{\"id\":-4000000000,"
                                "\"type\":\"group\"},\"date\":1,\"text\":\"hi\"}}",
                                &in, &meta),
                     0);
    assert_int_equal(meta.kind, AD_TG_IGNORED);
}

static void test_malformed_and_not_updates(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("malformed.json", &in, &meta), CORE_EBADINPUT);
    assert_true(strlen(meta.reason) > 0);
    static const char *const bad[] = {
        "",
        "[]",
        "42",
        "{}",
        "{\"update_id\":\"5\"}",
        "{\"update_id\":-1}",
        "{\"update_id\":1.5}",
        "{\"update_id\":9007199254740992}",
        "{\"update_id\":1e300}",
        "{\"update_id\":1} trailing",
        "{\"update_id\":1,\"message\":{\"chat\":{\"id\":1.25},\"date\":1}}",
        "{\"update_id\":1,\"message\":{\"chat\":{\"id\":1},\"date\":\"x\"}}",
        "{\"update_id\":1,\"message\":{\"date\":1,\"text\":\"no chat\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_text(bad[i], &in, &meta), CORE_EBADINPUT);
    }
    /* Explicit length: bytes after len are never read. */
    const char *json = "{\"update_id\":1}GARBAGE";
    assert_int_equal(ad_telegram_parse_update(json, 15, &in, &meta), 0);
    assert_int_equal(ad_telegram_parse_update(NULL, 0, &in, &meta), CORE_EBADINPUT);
}

static void test_64bit_ids_exact(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(parse_fixture("big_ids.json", &in, &meta), 0);
    assert_string_equal(meta.update_id, "4503599627370495");
    assert_string_equal(in.user_id, "1099511627775");
    assert_string_equal(meta.from_id, "1099511627775");
    /* Negative chat ids (groups) render exactly; the update is ignored as non-private. */
    assert_int_equal(parse_text("{\"update_id\":1,\"message\":{\"chat\":{\"id\":-1001234567890123,"
                                "\"type\":\"supergroup\"},\"date\":1,\"text\":\"x\"}}",
                                &in, &meta),
                     0);
    assert_string_equal(in.user_id, "-1001234567890123");
}

/* Text over CORE_TEXT_MAX - 1 bytes is cut before a code point, never inside one. */
static void test_long_text_cut_on_utf8_boundary(void **state)
{
    (void)state;
    size_t n_letters = CORE_TEXT_MAX; /* 2 bytes each: twice the limit */
    size_t cap = n_letters * 2 + 128;
    char *json = malloc(cap);
    assert_non_null(json);
    int head = snprintf(json, cap,
                        "{\"update_id\":1,\"message\":{\"chat\":{\"id\":5},\"date\":1,"
                        "\"text\":\"a");
    size_t pos = (size_t)head;
    for (size_t i = 0; i < n_letters; i++) {
        json[pos++] = (char)0xD3; /* "ә" = D3 99 */
        json[pos++] = (char)0x99;
    }
    memcpy(json + pos, "\"}}", 4);
    pos += 3;
    struct core_inbound in;
    struct ad_telegram_meta meta;
    assert_int_equal(ad_telegram_parse_update(json, pos, &in, &meta), 0);
    size_t len = strlen(in.text);
    assert_true(len <= CORE_TEXT_MAX - 1);
    assert_true(len >= CORE_TEXT_MAX - 3);
    /* "a" then whole 2-byte letters: odd length, last byte a continuation byte. */
    assert_int_equal(len % 2, 1);
    assert_int_equal((unsigned char)in.text[len - 1], 0x99);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_message),
        cmocka_unit_test(test_start_command_with_bot_name),
        cmocka_unit_test(test_commands_and_non_commands),
        cmocka_unit_test(test_contact_own_is_verified),
        cmocka_unit_test(test_contact_foreign_is_not_verified),
        cmocka_unit_test(test_callback_query),
        cmocka_unit_test(test_callback_edge_cases),
        cmocka_unit_test(test_my_chat_member),
        cmocka_unit_test(test_ignored_kinds),
        cmocka_unit_test(test_malformed_and_not_updates),
        cmocka_unit_test(test_64bit_ids_exact),
        cmocka_unit_test(test_long_text_cut_on_utf8_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
