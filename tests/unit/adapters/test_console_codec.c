/* SPDX-License-Identifier: MIT
 * The terminal channel, the outbox reply codec and the UTF-8 helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/console.h"
#include "adapters/reply_codec.h"
#include "adapters/utf8.h"

static void sample_reply(struct core_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    strcpy(reply->text, "Тілді таңдаңыз \"quoted\"\nВыберите язык");
    strcpy(reply->options[0].id, "lang:kk");
    strcpy(reply->options[0].label, "Қазақша");
    strcpy(reply->options[1].id, "lang:ru");
    strcpy(reply->options[1].label, "Русский");
    reply->n_options = 2;
    reply->expect = CORE_EXPECT_CHOICE;
}

static void test_codec_round_trip(void **state)
{
    (void)state;
    struct core_reply reply;
    struct core_reply back;
    sample_reply(&reply);
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(ad_reply_encode(&reply, &json, &len), CORE_OK);
    assert_int_equal(ad_reply_decode(json, len, &back), CORE_OK);
    free(json);
    assert_memory_equal(&reply, &back, sizeof reply);
}

static void test_codec_rejects_damaged_payloads(void **state)
{
    (void)state;
    struct core_reply back;
    const char *bad[] = {
        "",
        "{",
        "[]",
        "{\"v\":2,\"text\":\"x\",\"expect\":0,\"bulk\":0}",
        "{\"v\":1,\"text\":5,\"expect\":0,\"bulk\":0}",
        "{\"v\":1,\"text\":\"x\",\"expect\":9,\"bulk\":0}",
        "{\"v\":1,\"text\":\"x\",\"expect\":0,\"bulk\":0,\"options\":[{\"id\":1}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ad_reply_decode(bad[i], strlen(bad[i]), &back), CORE_EBADINPUT);
        assert_int_equal(back.n_options, 0);
    }
}

static void test_console_parse_text_and_command(void **state)
{
    (void)state;
    struct core_inbound in;
    assert_int_equal(ad_console_parse("2\r\n", 3, "terminal", "t-1", 42, &in), CORE_OK);
    assert_int_equal(in.kind, CORE_IN_TEXT);
    assert_string_equal(in.text, "2");
    assert_int_equal(in.at, 42);
    assert_int_equal(in.channel, CORE_CH_CONSOLE);
    assert_int_equal(ad_console_parse("/start", 6, "terminal", "t-2", 42, &in), CORE_OK);
    assert_int_equal(in.kind, CORE_IN_COMMAND);
    assert_string_equal(in.text, "start");
    assert_int_equal(ad_console_parse("\xff\xfe", 2, "terminal", "t-3", 42, &in), CORE_EBADINPUT);
}

static void test_console_render_numbers_options(void **state)
{
    (void)state;
    struct core_reply reply;
    sample_reply(&reply);
    struct core_buf out;
    core_buf_init(&out, 0);
    assert_int_equal(ad_console_render(&reply, &out), CORE_OK);
    assert_non_null(strstr(out.data, "1 — Қазақша"));
    assert_non_null(strstr(out.data, "2 — Русский"));
    core_buf_cleanup(&out);
}

static void test_utf8_validation_and_truncation(void **state)
{
    (void)state;
    assert_true(ad_utf8_valid("Қазақша әғқңөұүһі", strlen("Қазақша әғқңөұүһі")));
    assert_true(ad_utf8_valid("\xF0\x9F\x98\x80", 4));  /* emoji */
    assert_false(ad_utf8_valid("\xC0\xAF", 2));         /* overlong */
    assert_false(ad_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(ad_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(ad_utf8_valid("\xD2", 1));             /* truncated */
    const char *kk = "әә";                              /* 2 bytes each */
    assert_int_equal(ad_utf8_truncate(kk, 4, 3), 2);
    assert_int_equal(ad_utf8_truncate(kk, 4, 4), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_rejects_damaged_payloads),
        cmocka_unit_test(test_console_parse_text_and_command),
        cmocka_unit_test(test_console_render_numbers_options),
        cmocka_unit_test(test_utf8_validation_and_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
