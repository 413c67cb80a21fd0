/* SPDX-License-Identifier: MIT
 * The SMS outbox sender: the Twilio Messages API call (URL, basic auth, idempotency token,
 * form body with the status callback naming the row), the Mobizon call, the reply rendered
 * within sms.max_segments, the dispatcher rate limit taken from sms.max_per_second, Mobizon's
 * answer codes judged, segments counted by kind; the code SMS text in kk / ru / en. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapters/reply_codec.h"
#include "bot/sms.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/db.h"
#include "db/outbox.h"
#include "support/proc.h"

struct fx {
    struct bot_config cfg;
    struct bot_metrics *metrics;
    struct bot_sms_sender *sender;
    struct bot_outbox_sender s;
    char *payload;
    size_t payload_len;
};

static int setup_with(void **state, const char *provider)
{
    core_log_set_level(CORE_LOG_ERROR);
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    bot_config_defaults(&f->cfg);
    f->cfg.sms.enabled = true;
    snprintf(f->cfg.sms.provider, sizeof f->cfg.sms.provider, "%s", provider);
    snprintf(f->cfg.sms.api_base_url, sizeof f->cfg.sms.api_base_url, "http://gw.test");
    snprintf(f->cfg.sms.account, sizeof f->cfg.sms.account, "AC1");
    snprintf(f->cfg.sms.password, sizeof f->cfg.sms.password, "secret");
    snprintf(f->cfg.sms.from, sizeof f->cfg.sms.from, "TABEL");
    snprintf(f->cfg.server.public_url, sizeof f->cfg.server.public_url, "https://bot.kz");
    f->cfg.sms.max_per_second = 7;
    assert_int_equal(bot_metrics_new(&f->metrics), 0);
    assert_int_equal(bot_sms_register_metrics(f->metrics), 0);
    assert_int_equal(bot_sms_sender_new(&f->cfg, f->metrics, NULL, &f->sender), 0);
    bot_sms_sender_fill(f->sender, &f->s);
    struct core_reply *reply = calloc(1, sizeof *reply);
    assert_non_null(reply);
    snprintf(reply->text, sizeof reply->text, "Тілді таңдаңыз");
    snprintf(reply->options[0].id, sizeof reply->options[0].id, "lang:kk");
    snprintf(reply->options[0].label, sizeof reply->options[0].label, "Қазақша");
    reply->n_options = 1;
    assert_int_equal(ad_reply_encode(reply, &f->payload, &f->payload_len), 0);
    free(reply);
    *state = f;
    return 0;
}

static int setup_twilio(void **state)
{
    return setup_with(state, "twilio");
}

static int setup_mobizon(void **state)
{
    return setup_with(state, "mobizon");
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bot_sms_sender_free(f->sender);
    bot_metrics_free(f->metrics);
    free(f->payload);
    free(f);
    return 0;
}

static struct bot_outbox_msg msg_of(struct fx *f, const char *idem, int priority)
{
    return (struct bot_outbox_msg){.id = 42,
                                   .channel = "sms",
                                   .recipient = "+77011234567",
                                   .payload = f->payload,
                                   .payload_len = f->payload_len,
                                   .idem_key = idem,
                                   .attempt = 1,
                                   .priority = priority};
}

static bool has_header(const struct bot_http_call *call, const char *line)
{
    for (size_t i = 0; i < call->n_headers; i++) {
        if (strcmp(call->headers[i], line) == 0) {
            return true;
        }
    }
    return false;
}

static void test_twilio_call(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->s.limits.per_second, 7.0);
    assert_non_null(f->s.classify_msg);
    struct bot_outbox_msg msg = msg_of(f, "in:5:0", 0);
    struct bot_http_call call;
    bot_http_call_init(&call);
    assert_int_equal(f->s.render(f->s.ctx, &msg, &call), 0);
    assert_string_equal(call.method, "POST");
    assert_string_equal(call.url, "http://gw.test/2010-04-01/Accounts/AC1/Messages.json");
    assert_true(has_header(&call, "Authorization: Basic QUMxOnNlY3JldA==")); /* AC1:secret */
    assert_true(has_header(&call, "I-Twilio-Idempotency-Token: in:5:0"));
    assert_true(has_header(&call, "Content-Type: application/x-www-form-urlencoded"));
    char body[1024];
    snprintf(body, sizeof body, "%.*s", (int)call.body_len, (const char *)call.body);
    struct ad_form form;
    assert_int_equal(ad_form_parse(body, strlen(body), &form), 0);
    assert_string_equal(ad_form_get(&form, "To"), "+77011234567");
    assert_string_equal(ad_form_get(&form, "From"), "TABEL");
    assert_string_equal(ad_form_get(&form, "Body"), "Тілді таңдаңыз\n1 - Қазақша");
    assert_string_equal(ad_form_get(&form, "StatusCallback"), "https://bot.kz/webhook/sms?o=42");
    assert_string_equal(call.label, "sms.interactive.1");
    bot_http_call_cleanup(&call);
}

static void count_segments(struct fx *f, const char *label, int status)
{
    struct bot_outbox_msg msg = msg_of(f, "x", 0);
    msg.payload = NULL;
    msg.payload_len = 0;
    struct bot_http_response resp = {.err = 0,
                                     .status = status,
                                     .error = "",
                                     .body = "{\"sid\":\"SM1\"}",
                                     .body_len = 13,
                                     .label = label};
    struct bot_send_result out;
    memset(&out, 0, sizeof out);
    f->s.classify_msg(f->s.ctx, &msg, &resp, &out);
}

static void test_segments_counted_by_kind(void **state)
{
    struct fx *f = *state;
    count_segments(f, "sms.code.1", 201);
    count_segments(f, "sms.interactive.3", 201);
    count_segments(f, "sms.interactive.2", 201);
    count_segments(f, "sms.bulk.2", 500); /* not accepted: not counted */
    struct core_buf out;
    core_buf_init(&out, 1 << 20);
    assert_int_equal(bot_metrics_render(f->metrics, &out), 0);
    assert_non_null(strstr(out.data, "tabelbot_sms_segments_total{kind=\"code\"} 1\n"));
    assert_non_null(strstr(out.data, "tabelbot_sms_segments_total{kind=\"interactive\"} 5\n"));
    assert_null(strstr(out.data, "kind=\"bulk\""));
    core_buf_cleanup(&out);
    assert_string_equal(bot_sms_kind(0, "otp:abc"), "code");
    assert_string_equal(bot_sms_kind(1, "rem:1"), "bulk");
    assert_string_equal(bot_sms_kind(0, "in:1:0"), "interactive");
}

static enum bot_send_verdict mobizon_verdict(struct fx *f, const char *body)
{
    struct bot_outbox_msg msg = msg_of(f, "x", 0);
    struct bot_http_response resp = {
        .status = 200, .error = "", .body = body, .body_len = strlen(body), .label = "sms.code.1"};
    struct bot_send_result out;
    memset(&out, 0, sizeof out);
    f->s.classify_msg(f->s.ctx, &msg, &resp, &out);
    return out.verdict;
}

static void test_mobizon_call_and_answers(void **state)
{
    struct fx *f = *state;
    struct bot_outbox_msg msg = msg_of(f, "otp:1", 0);
    struct bot_http_call call;
    bot_http_call_init(&call);
    assert_int_equal(f->s.render(f->s.ctx, &msg, &call), 0);
    assert_string_equal(call.method, "POST");
    assert_string_equal(call.url, "http://gw.test/service/Message/SendSmsMessage?output=json&api=v1"
                                  "&apiKey=secret");
    char body[1024];
    snprintf(body, sizeof body, "%.*s", (int)call.body_len, (const char *)call.body);
    assert_non_null(strstr(body, "recipient=77011234567&text="));
    assert_string_equal(call.label, "sms.code.1");
    bot_http_call_cleanup(&call);
    assert_int_equal(mobizon_verdict(f, "{\"code\":0,\"data\":{\"messageId\":7},\"message\":\"\"}"),
                     BOT_SEND_SENT);
    assert_int_equal(mobizon_verdict(f, "{\"code\":30,\"data\":[],\"message\":\"limit\"}"),
                     BOT_SEND_RETRY);
    assert_int_equal(mobizon_verdict(f, "{\"code\":1,\"data\":[],\"message\":\"bad number\"}"),
                     BOT_SEND_DEAD);
    assert_int_equal(mobizon_verdict(f, "<html>"), BOT_SEND_RETRY);
}

static void test_code_texts(void **state)
{
    (void)state;
    char text[256];
    assert_int_equal(bot_sms_code_text("ru", "123456", 300, text, sizeof text), 0);
    assert_string_equal(text,
                        "Табель садика: код входа 123456, действует 5 мин. Не сообщайте никому.");
    assert_int_equal(bot_sms_code_text("kk", "123456", 300, text, sizeof text), 0);
    assert_non_null(strstr(text, "кіру коды 123456, 5 мин жарамды"));
    assert_int_equal(bot_sms_code_text("en", "123456", 90, text, sizeof text), 0);
    assert_non_null(strstr(text, "login code 123456, valid 2 min"));
    /* each fits one segment */
    static const char *const langs[] = {"kk", "ru", "en"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(bot_sms_code_text(langs[i], "123456", 300, text, sizeof text), 0);
        struct ad_sms_count c;
        assert_int_equal(ad_sms_count(text, strlen(text), &c), 0);
        assert_int_equal(c.segments, 1);
    }
}

static int also_calls;
static char also_code[8];

static int also_deliver(void *ctx, const char *phone, const char *code, const char *lang)
{
    (void)ctx;
    (void)phone;
    (void)lang;
    also_calls++;
    snprintf(also_code, sizeof also_code, "%s", code);
    return 0;
}

/* The production sink queues the code SMS in the outbox (sealed, channel sms, the phone as the
 * recipient, an "otp:" key: counted as kind "code"), and the dev sink also sees it. */
static void test_code_sink_queues_in_the_outbox(void **state)
{
    (void)state;
    char dir[256];
    char key[300];
    assert_int_equal(tb_tempdir(dir, sizeof dir), 0);
    snprintf(key, sizeof key, "%s/k.key", dir);
    struct bot_crypto *crypto = NULL;
    struct db *db = NULL;
    assert_int_equal(bot_crypto_open(key, true, &crypto), 0);
    assert_int_equal(db_open(":memory:", &db), 0);
    struct bot_config cfg;
    bot_config_defaults(&cfg);
    struct bot_code_sink dev = {.ctx = NULL, .deliver = also_deliver};
    struct bot_sms_code_sink st;
    struct bot_code_sink sink;
    bot_code_sink_sms(&st, db, crypto, &cfg, &dev, &sink);
    assert_int_equal(sink.deliver(sink.ctx, "+77011234567", "424242", "ru"), 0);
    assert_int_equal(sink.deliver(sink.ctx, "+77011234567", "515151", "kk"), 0);
    struct db_outbox_counts counts;
    assert_int_equal(db_outbox_counts(db, &counts), 0);
    assert_int_equal(counts.pending, 2);
    assert_int_equal(also_calls, 2);
    assert_string_equal(also_code, "515151");
    struct db_outbox_filter filter = {
        .now_ms = INT64_MAX / 2, .channels = {"sms"}, .n_channels = 1};
    struct db_outbox_row rows[2];
    size_t n = 0;
    assert_int_equal(db_outbox_claim(db, &filter, rows, 2, &n), 0);
    assert_int_equal(n, 1); /* one chat: the second waits for the first */
    assert_string_equal(bot_sms_kind(rows[0].priority, rows[0].idem_key), "code");
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    assert_int_equal(bot_crypto_unseal(crypto, rows[0].payload_enc, rows[0].payload_len,
                                       BOT_OUTBOX_AD_PAYLOAD, &plain, &plain_len),
                     0);
    struct core_reply reply;
    assert_int_equal(ad_reply_decode((const char *)plain, plain_len, &reply), 0);
    assert_string_equal(reply.text,
                        "Табель садика: код входа 424242, действует 5 мин. Не сообщайте никому.");
    free(plain);
    db_outbox_row_cleanup(&rows[0]);
    db_close(db);
    bot_crypto_close(crypto);
    tb_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_twilio_call, setup_twilio, teardown),
        cmocka_unit_test_setup_teardown(test_segments_counted_by_kind, setup_twilio, teardown),
        cmocka_unit_test_setup_teardown(test_mobizon_call_and_answers, setup_mobizon, teardown),
        cmocka_unit_test(test_code_texts),
        cmocka_unit_test(test_code_sink_queues_in_the_outbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
