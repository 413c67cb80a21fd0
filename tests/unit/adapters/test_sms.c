/* SPDX-License-Identifier: MIT
 * adapters/sms: segment counts against known vectors, the form codec, Twilio's inbound and
 * status forms, the send bodies and answers, and the reply rendered within a segment cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/sms.h"

/* text = prefix repeated n times, then middle, then suffix repeated m times */
static char *repeat3(const char *a, int n, const char *mid, const char *b, int m)
{
    size_t len = strlen(a) * (size_t)n + strlen(mid) + strlen(b) * (size_t)m + 1;
    char *out = malloc(len);
    assert_non_null(out);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(out, a);
    }
    strcat(out, mid);
    for (int i = 0; i < m; i++) {
        strcat(out, b);
    }
    return out;
}

static void expect_count(const char *text, enum ad_sms_encoding enc, size_t units, int segments)
{
    struct ad_sms_count c;
    assert_int_equal(ad_sms_count(text, strlen(text), &c), CORE_OK);
    assert_int_equal(c.encoding, enc);
    assert_int_equal(c.units, units);
    assert_int_equal(c.segments, segments);
}

static void expect_repeat(const char *a,
                          int n,
                          const char *mid,
                          const char *b,
                          int m,
                          enum ad_sms_encoding enc,
                          size_t units,
                          int segments)
{
    char *text = repeat3(a, n, mid, b, m);
    expect_count(text, enc, units, segments);
    free(text);
}

static void test_segments_gsm7(void **state)
{
    (void)state;
    expect_count("", AD_SMS_GSM7, 0, 0);
    expect_count("Hello, tabelbot! 1 - yes; 2 - no @ $ _ \n", AD_SMS_GSM7, 40, 1);
    expect_repeat("a", 160, "", "", 0, AD_SMS_GSM7, 160, 1);
    expect_repeat("a", 161, "", "", 0, AD_SMS_GSM7, 161, 2);
    expect_repeat("a", 306, "", "", 0, AD_SMS_GSM7, 306, 2);
    expect_repeat("a", 307, "", "", 0, AD_SMS_GSM7, 307, 3);
    /* GSM letters outside ASCII stay one septet */
    expect_count("\xC3\xA9\xC3\xA8\xC3\x9C \xCE\x94", AD_SMS_GSM7, 5, 1); /* éèÜ Δ */
}

static void test_segments_gsm7_extension(void **state)
{
    (void)state;
    expect_count("{}[]~|^\\\xE2\x82\xAC", AD_SMS_GSM7, 18, 1); /* nine extension chars, € too */
    expect_repeat("{", 80, "", "", 0, AD_SMS_GSM7, 160, 1);
    expect_repeat("{", 81, "", "", 0, AD_SMS_GSM7, 162, 2);
    /* 306 septets would be two parts, but the escape + € pair cannot straddle parts: three */
    expect_repeat("a", 152, "\xE2\x82\xAC", "a", 152, AD_SMS_GSM7, 306, 3);
    expect_repeat("a", 151, "\xE2\x82\xAC", "a", 153, AD_SMS_GSM7, 306, 2);
}

static void test_segments_ucs2(void **state)
{
    (void)state;
    /* Cyrillic */
    expect_count("Привет", AD_SMS_UCS2, 6, 1);
    expect_repeat("я", 70, "", "", 0, AD_SMS_UCS2, 70, 1);
    expect_repeat("я", 71, "", "", 0, AD_SMS_UCS2, 71, 2);
    expect_repeat("я", 134, "", "", 0, AD_SMS_UCS2, 134, 2);
    expect_repeat("я", 135, "", "", 0, AD_SMS_UCS2, 135, 3);
    /* Kazakh letters */
    expect_count("Сәлем! Қазақстан, ғ ң ө ұ ү һ і", AD_SMS_UCS2, 31, 1);
    /* one non-GSM character turns the whole message into UCS-2 */
    expect_repeat("a", 69, "я", "", 0, AD_SMS_UCS2, 70, 1);
    expect_repeat("a", 70, "я", "", 0, AD_SMS_UCS2, 71, 2);
    expect_count("Confirm \xE2\x80\x94 now", AD_SMS_UCS2, 13, 1); /* an em dash */
    expect_count("`", AD_SMS_UCS2, 1, 1);                         /* backtick is not GSM */
}

static void test_segments_emoji(void **state)
{
    (void)state;
    expect_count("\xF0\x9F\x98\x80", AD_SMS_UCS2, 2, 1); /* U+1F600: a surrogate pair */
    expect_repeat("\xF0\x9F\x98\x80", 35, "", "", 0, AD_SMS_UCS2, 70, 1);
    expect_repeat("\xF0\x9F\x98\x80", 36, "", "", 0, AD_SMS_UCS2, 72, 2);
    /* 134 units would be two parts, but a pair cannot straddle parts: three */
    expect_repeat("я", 66, "\xF0\x9F\x98\x80", "я", 66, AD_SMS_UCS2, 134, 3);
    expect_repeat("я", 65, "\xF0\x9F\x98\x80", "я", 67, AD_SMS_UCS2, 134, 2);
}

static void test_segments_reject_bad_utf8(void **state)
{
    (void)state;
    struct ad_sms_count c;
    assert_int_equal(ad_sms_count("\xD0", 1, &c), CORE_EBADINPUT);
    assert_int_equal(ad_sms_count("\xC0\xAF", 2, &c), CORE_EBADINPUT);     /* overlong */
    assert_int_equal(ad_sms_count("\xED\xA0\x80", 3, &c), CORE_EBADINPUT); /* surrogate */
    assert_int_equal(ad_sms_count("\xCF\xF0", 2, &c), CORE_EBADINPUT);     /* windows-1251 */
}

/* ---- forms ---- */

static struct ad_form *form_of(const char *body, int expect_rc)
{
    struct ad_form *form = malloc(sizeof *form);
    assert_non_null(form);
    assert_int_equal(ad_form_parse(body, strlen(body), form), expect_rc);
    return form;
}

static void test_form_decode(void **state)
{
    (void)state;
    struct ad_form *f =
        form_of("Body=%D0%A1%D3%99%D0%BB%D0%B5%D0%BC+1&From=%2B77011234567&x&&y=", CORE_OK);
    assert_int_equal(f->n_params, 4);
    assert_string_equal(ad_form_get(f, "Body"), "Сәлем 1");
    assert_string_equal(ad_form_get(f, "From"), "+77011234567");
    assert_string_equal(ad_form_get(f, "x"), "");
    assert_string_equal(ad_form_get(f, "y"), "");
    assert_null(ad_form_get(f, "body"));
    free(f);
    free(form_of("Body=%4", CORE_EBADINPUT));
    free(form_of("Body=%G1", CORE_EBADINPUT));
    free(form_of("Body=%00", CORE_EBADINPUT));
    free(form_of("Body=%CF%F0%E8%E2%E5%F2", CORE_EBADINPUT)); /* "Привет" in windows-1251 */
    char *big = malloc(AD_FORM_MAX_BODY + 10);
    assert_non_null(big);
    memset(big, 'a', AD_FORM_MAX_BODY + 9);
    big[AD_FORM_MAX_BODY + 9] = '\0';
    memcpy(big, "Body=", 5);
    free(form_of(big, CORE_ETOOBIG));
    free(big);
}

static void test_form_encode(void **state)
{
    (void)state;
    char out[128];
    size_t used = 0;
    assert_int_equal(ad_form_append(out, sizeof out, &used, "To", "+7701 a&b=c"), CORE_OK);
    assert_int_equal(ad_form_append(out, sizeof out, &used, "Body", "Я"), CORE_OK);
    assert_string_equal(out, "To=%2B7701%20a%26b%3Dc&Body=%D0%AF");
    struct ad_form *f = form_of(out, CORE_OK);
    assert_string_equal(ad_form_get(f, "To"), "+7701 a&b=c");
    free(f);
    char tiny[12];
    used = 0;
    assert_int_equal(ad_form_append(tiny, sizeof tiny, &used, "To", "+77011234567"), CORE_ETOOBIG);
    assert_int_equal(used, 0);
    assert_string_equal(tiny, "");
}

/* ---- Twilio ---- */

#define SID "SM0123456789abcdef0123456789abcdef"

static int twilio(const char *body, struct core_inbound *in, struct ad_sms_meta *meta)
{
    struct ad_form *f = form_of(body, CORE_OK);
    int rc = ad_twilio_parse(f, in, meta);
    free(f);
    return rc;
}

static void test_twilio_inbound(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_sms_meta meta;
    assert_int_equal(twilio("MessageSid=" SID "&From=%2B77011234567&To=%2B7747&Body=%D0%A1%D0%A2"
                            "%D0%9E%D0%9F&SmsStatus=received&NewParam=1",
                            &in, &meta),
                     CORE_OK);
    assert_int_equal(meta.kind, AD_SMS_MESSAGE);
    assert_int_equal(in.channel, CORE_CH_SMS);
    assert_int_equal(in.kind, CORE_IN_TEXT);
    assert_string_equal(in.user_id, "+77011234567");
    assert_string_equal(in.verified_phone, "+77011234567");
    assert_string_equal(in.external_id, SID);
    assert_string_equal(in.text, "СТОП");

    assert_int_equal(twilio("MessageSid=" SID "&Body=hi", &in, &meta), CORE_EBADINPUT);
    assert_string_equal(meta.reason, "From missing");
    assert_int_equal(twilio("MessageSid=" SID "&From=87011234567&Body=hi", &in, &meta),
                     CORE_EBADINPUT);
    assert_string_equal(meta.reason, "From is not an E.164 phone number");
    assert_int_equal(twilio("MessageSid=" SID "&From=%2B77011234567&Body=+", &in, &meta),
                     CORE_EBADINPUT);
    assert_string_equal(meta.reason, "Body is empty");
    assert_int_equal(twilio("MessageSid=" SID "&From=%2B77011234567&NumMedia=1", &in, &meta),
                     CORE_EBADINPUT);
    assert_string_equal(meta.reason, "media without text is not supported");
    /* 1600 Cyrillic letters (3200 bytes) are a legal SMS: kept up to CORE_TEXT_MAX - 1 bytes */
    char *body = malloc(AD_FORM_MAX_BODY);
    assert_non_null(body);
    char *text = repeat3("я", 1600, "", "", 0);
    size_t used = 0;
    body[0] = '\0';
    assert_int_equal(ad_form_append(body, AD_FORM_MAX_BODY, &used, "MessageSid", SID), CORE_OK);
    assert_int_equal(ad_form_append(body, AD_FORM_MAX_BODY, &used, "From", "+77011234567"),
                     CORE_OK);
    assert_int_equal(ad_form_append(body, AD_FORM_MAX_BODY, &used, "Body", text), CORE_OK);
    assert_int_equal(twilio(body, &in, &meta), CORE_OK);
    assert_int_equal(strlen(in.text), CORE_TEXT_MAX - 2); /* 1023 letters, never half of one */
    assert_int_equal(strncmp(in.text, text, strlen(in.text)), 0);
    free(text);
    text = repeat3("я", 1601, "", "", 0);
    used = 0;
    assert_int_equal(ad_form_append(body, AD_FORM_MAX_BODY, &used, "MessageSid", SID), CORE_OK);
    assert_int_equal(ad_form_append(body, AD_FORM_MAX_BODY, &used, "From", "+77011234567"),
                     CORE_OK);
    assert_int_equal(ad_form_append(body, AD_FORM_MAX_BODY, &used, "Body", text), CORE_OK);
    assert_int_equal(twilio(body, &in, &meta), CORE_EBADINPUT);
    assert_string_equal(meta.reason, "Body longer than 1600 characters");
    free(text);
    free(body);
    assert_int_equal(twilio("From=%2B77011234567&Body=hi", &in, &meta), CORE_EBADINPUT);
    assert_string_equal(meta.reason, "MessageSid missing or malformed");
    assert_int_equal(twilio("MessageSid=SM%27x&From=%2B77011234567&Body=hi", &in, &meta),
                     CORE_EBADINPUT);
}

static void test_twilio_status(void **state)
{
    (void)state;
    struct core_inbound in;
    struct ad_sms_meta meta;
    assert_int_equal(
        twilio("MessageSid=" SID "&MessageStatus=undelivered&ErrorCode=30003", &in, &meta),
        CORE_OK);
    assert_int_equal(meta.kind, AD_SMS_STATUS);
    assert_int_equal(meta.status, AD_SMS_ST_UNDELIVERED);
    assert_true(ad_sms_status_final(meta.status));
    assert_string_equal(meta.error_code, "30003");
    assert_string_equal(meta.message_sid, SID);
    assert_int_equal(twilio("MessageSid=" SID "&MessageStatus=sent", &in, &meta), CORE_OK);
    assert_int_equal(meta.status, AD_SMS_ST_SENT);
    assert_false(ad_sms_status_final(meta.status));
    assert_int_equal(twilio("MessageSid=" SID "&MessageStatus=bogus", &in, &meta), CORE_EBADINPUT);
}

static void test_twilio_signature_base(void **state)
{
    (void)state;
    struct ad_form *f = form_of("To=b&From=a&Body=x+y&Extra=2&Extra=1&Extra=2", CORE_OK);
    char base[256];
    assert_int_equal(ad_twilio_signature_base("https://h/webhook/sms?o=1", f, base, sizeof base),
                     CORE_OK);
    assert_string_equal(base, "https://h/webhook/sms?o=1Bodyx yExtra1Extra2FromaTob");
    assert_int_equal(ad_twilio_signature_base("https://h", f, base, 8), CORE_ETOOBIG);
    free(f);
}

static void test_send_bodies_and_answers(void **state)
{
    (void)state;
    char body[512];
    assert_int_equal(ad_twilio_send_body("+77011234567", "+15005550006", "Код 123", "https://h/s",
                                         body, sizeof body),
                     CORE_OK);
    assert_string_equal(body, "To=%2B77011234567&From=%2B15005550006&Body=%D0%9A%D0%BE%D0%B4%20123"
                              "&StatusCallback=https%3A%2F%2Fh%2Fs");
    struct ad_sms_answer a;
    const char *ok = "{\"sid\":\"SMabc123\",\"status\":\"queued\",\"num_segments\":\"2\"}";
    assert_int_equal(ad_twilio_answer(ok, strlen(ok), &a), CORE_OK);
    assert_string_equal(a.sid, "SMabc123");
    assert_int_equal(a.segments, 2);
    const char *err = "{\"code\":21211,\"message\":\"Invalid 'To' Phone Number\",\"status\":400}";
    assert_int_equal(ad_twilio_answer(err, strlen(err), &a), CORE_OK);
    assert_int_equal(a.error_code, 21211);
    assert_int_equal(ad_twilio_answer("<html>", 6, &a), CORE_EBADINPUT);

    assert_int_equal(ad_mobizon_send_body("+77011234567", "TABEL", "Сәлем", body, sizeof body),
                     CORE_OK);
    assert_string_equal(body, "recipient=77011234567&text=%D0%A1%D3%99%D0%BB%D0%B5%D0%BC"
                              "&from=TABEL");
    assert_int_equal(ad_mobizon_send_path("k+y", body, sizeof body), CORE_OK);
    assert_string_equal(body, "/service/Message/SendSmsMessage?output=json&api=v1&apiKey=k%2By");
    const char *m = "{\"code\":0,\"data\":{\"campaignId\":1,\"messageId\":42,\"status\":1},"
                    "\"message\":\"\"}";
    assert_int_equal(ad_mobizon_answer(m, strlen(m), &a), CORE_OK);
    assert_int_equal(a.error_code, 0);
    assert_string_equal(a.sid, "42");
    const char *limited = "{\"code\":30,\"data\":[],\"message\":\"Too many requests\"}";
    assert_int_equal(ad_mobizon_answer(limited, strlen(limited), &a), CORE_OK);
    assert_int_equal(a.error_code, 30);
}

/* A number out of range in a gateway's answer is not converted blindly (a double beyond long is
 * undefined behaviour): Mobizon's code must be a small integer or the answer is unreadable (and
 * retried); Twilio's code and num_segments out of range are ignored. */
static void test_answers_with_numbers_out_of_range(void **state)
{
    (void)state;
    struct ad_sms_answer a;
    const char *huge = "{\"code\":1e300,\"data\":[],\"message\":\"x\"}";
    assert_int_equal(ad_mobizon_answer(huge, strlen(huge), &a), CORE_EBADINPUT);
    const char *negative = "{\"code\":-1e30,\"data\":[],\"message\":\"x\"}";
    assert_int_equal(ad_mobizon_answer(negative, strlen(negative), &a), CORE_EBADINPUT);
    const char *fraction = "{\"code\":0.5,\"data\":[],\"message\":\"x\"}";
    assert_int_equal(ad_mobizon_answer(fraction, strlen(fraction), &a), CORE_EBADINPUT);
    const char *twilio = "{\"sid\":\"SMabc123\",\"code\":1e300,\"num_segments\":5000}";
    assert_int_equal(ad_twilio_answer(twilio, strlen(twilio), &a), CORE_OK);
    assert_int_equal(a.error_code, 0);
    assert_int_equal(a.segments, 0);
    const char *fine = "{\"sid\":\"SMabc123\",\"num_segments\":3}";
    assert_int_equal(ad_twilio_answer(fine, strlen(fine), &a), CORE_OK);
    assert_int_equal(a.segments, 3);
}

/* ---- rendering ---- */

static void add_option(struct core_reply *r, const char *id, const char *label)
{
    snprintf(r->options[r->n_options].id, sizeof r->options[0].id, "%s", id);
    snprintf(r->options[r->n_options].label, sizeof r->options[0].label, "%s", label);
    r->n_options++;
}

static void test_render_numbered_menu(void **state)
{
    (void)state;
    struct core_reply *r = calloc(1, sizeof *r);
    assert_non_null(r);
    snprintf(r->text, sizeof r->text, "Тілді таңдаңыз");
    add_option(r, "lang:kk", "Қазақша");
    add_option(r, "lang:ru", "Русский");
    char out[1024];
    struct ad_sms_rendered info;
    assert_int_equal(ad_sms_render(r, 3, out, sizeof out, &info), CORE_OK);
    assert_string_equal(out, "Тілді таңдаңыз\n1 - Қазақша\n2 - Русский");
    assert_false(info.compact_menu);
    assert_false(info.shortened);
    assert_int_equal(info.count.segments, 1);
    free(r);
}

static void test_render_respects_the_cap(void **state)
{
    (void)state;
    struct core_reply *r = calloc(1, sizeof *r);
    assert_non_null(r);
    /* 90 Cyrillic letters + a 4-option menu: 135 units (3 segments) in full, 130 (2) with the
     * compact menu */
    char *text = repeat3("б", 90, "", "", 0);
    snprintf(r->text, sizeof r->text, "%s", text);
    free(text);
    add_option(r, "a", "Растау");
    add_option(r, "b", "Даулау");
    add_option(r, "c", "Мәзір");
    add_option(r, "d", "Оператор");
    char out[2048];
    struct ad_sms_rendered info;
    assert_int_equal(ad_sms_render(r, 3, out, sizeof out, &info), CORE_OK);
    assert_false(info.compact_menu);
    assert_int_equal(info.count.segments, 3);
    assert_int_equal(ad_sms_render(r, 2, out, sizeof out, &info), CORE_OK);
    assert_true(info.compact_menu);
    assert_false(info.shortened);
    assert_int_equal(info.count.segments, 2);
    assert_non_null(strstr(out, "1-Растау; 2-Даулау; 3-Мәзір; 4-Оператор"));
    /* one segment: the text is cut (never split into two SMS), the menu survives whole */
    assert_int_equal(ad_sms_render(r, 1, out, sizeof out, &info), CORE_OK);
    assert_true(info.shortened);
    assert_int_equal(info.count.segments, 1);
    assert_non_null(strstr(out, "…\n1-Растау; 2-Даулау; 3-Мәзір; 4-Оператор"));
    struct ad_sms_count c;
    assert_int_equal(ad_sms_count(out, strlen(out), &c), CORE_OK);
    assert_int_equal(c.units, 70); /* the longest prefix that fits */
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments_gsm7),
        cmocka_unit_test(test_segments_gsm7_extension),
        cmocka_unit_test(test_segments_ucs2),
        cmocka_unit_test(test_segments_emoji),
        cmocka_unit_test(test_segments_reject_bad_utf8),
        cmocka_unit_test(test_form_decode),
        cmocka_unit_test(test_form_encode),
        cmocka_unit_test(test_twilio_inbound),
        cmocka_unit_test(test_twilio_status),
        cmocka_unit_test(test_twilio_signature_base),
        cmocka_unit_test(test_send_bodies_and_answers),
        cmocka_unit_test(test_answers_with_numbers_out_of_range),
        cmocka_unit_test(test_render_numbered_menu),
        cmocka_unit_test(test_render_respects_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
