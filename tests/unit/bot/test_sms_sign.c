/* SPDX-License-Identifier: MIT
 * X-Twilio-Signature against vectors that the twilio npm package's own code produced
 * (tests/vectors/twilio/signatures.json, generated and checked by gen_vectors.js): valid
 * requests, a tampered body, an added parameter, another path, host, port or scheme, a wrong
 * token and a missing header. Each verdict must equal twilio's validateRequest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "bot/sms_sign.h"
#include "support/proc.h"

static void test_twilio_vectors(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = tb_fixture_read("tests/vectors/twilio/signatures.json", &len);
    assert_non_null(text);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    assert_true(cJSON_IsArray(cases));
    int n = 0;
    int valid = 0;
    const cJSON *c = NULL;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const char *token = cJSON_GetObjectItemCaseSensitive(c, "auth_token")->valuestring;
        const char *url = cJSON_GetObjectItemCaseSensitive(c, "url")->valuestring;
        const char *body = cJSON_GetObjectItemCaseSensitive(c, "body")->valuestring;
        const char *sig = cJSON_GetObjectItemCaseSensitive(c, "signature")->valuestring;
        bool expected = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "valid"));
        struct ad_form *form = malloc(sizeof *form);
        assert_non_null(form);
        assert_int_equal(ad_form_parse(body, strlen(body), form), CORE_OK);
        bool got = bot_sms_twilio_signature_ok(token, url, form, sig[0] ? sig : NULL);
        if (got != expected) {
            print_error("case %s: got %d, twilio says %d\n", name, (int)got, (int)expected);
        }
        assert_int_equal(got, expected);
        free(form);
        n++;
        valid += expected;
    }
    cJSON_Delete(root);
    assert_true(n >= 10);
    assert_true(valid >= 4 && valid < n); /* both verdicts are exercised */
}

static void test_signature_edges(void **state)
{
    (void)state;
    struct ad_form form;
    assert_int_equal(ad_form_parse("a=1", 3, &form), CORE_OK);
    assert_false(bot_sms_twilio_signature_ok("token", "https://h/x", &form, ""));
    assert_false(bot_sms_twilio_signature_ok("token", "https://h/x", &form, NULL));
    assert_false(bot_sms_twilio_signature_ok("", "https://h/x", &form, "abc="));
    assert_false(bot_sms_twilio_signature_ok("token", "https://h/x", &form, "not base64 at all"));
}

static void test_webhook_url(void **state)
{
    (void)state;
    struct bot_config cfg;
    bot_config_defaults(&cfg);
    snprintf(cfg.server.public_url, sizeof cfg.server.public_url, "https://bot.example.kz/");
    char url[256];
    assert_int_equal(bot_sms_webhook_url(&cfg, "", url, sizeof url), CORE_OK);
    assert_string_equal(url, "https://bot.example.kz/webhook/sms");
    assert_int_equal(bot_sms_webhook_url(&cfg, "o=12", url, sizeof url), CORE_OK);
    assert_string_equal(url, "https://bot.example.kz/webhook/sms?o=12");
    assert_int_equal(bot_sms_webhook_url(&cfg, "o=12", url, 10), CORE_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_vectors),
        cmocka_unit_test(test_signature_edges),
        cmocka_unit_test(test_webhook_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
