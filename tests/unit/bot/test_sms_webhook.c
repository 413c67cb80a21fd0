/* SPDX-License-Identifier: MIT
 * POST /webhook/sms (Twilio dialect) through the route handler: the signature comes first
 * (403, nothing stored), then every bad input gets a clear status and changes nothing (missing
 * From, empty Body, a 10 kB body, wrong encoding, not a form), a good message is stored once,
 * and status callbacks move an outbox row's delivery state forward only, never off a final
 * state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bot/webhook.h"
#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"
#include "db/outbox.h"
#include "db/sms.h"
#include "support/proc.h"
#include "support/sms_support.h"

#define TOKEN  "twilio-auth-token-0123456789abcd"
#define PUBLIC "https://bot.example.kz"
#define SID    "SM0123456789abcdef0123456789abcdef"

struct fx {
    char dir[160];
    struct bot_config cfg;
    struct bot_clock clock;
    struct bot_crypto *crypto;
    struct db *db;
    struct bot_webhook *webhook;
    int stored_calls;
};

static void on_stored(void *ctx)
{
    ((struct fx *)ctx)->stored_calls++;
}

static int setup(void **state)
{
    core_log_set_level(CORE_LOG_ERROR);
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tb_tempdir(f->dir, sizeof f->dir), 0);
    char key[200];
    snprintf(key, sizeof key, "%s/k.key", f->dir);
    assert_int_equal(bot_crypto_open(key, true, &f->crypto), 0);
    assert_int_equal(db_open(":memory:", &f->db), 0);
    bot_config_defaults(&f->cfg);
    f->cfg.sms.enabled = true;
    snprintf(f->cfg.sms.password, sizeof f->cfg.sms.password, TOKEN);
    snprintf(f->cfg.server.public_url, sizeof f->cfg.server.public_url, PUBLIC);
    enum bot_clock_note note;
    char err[64];
    assert_int_equal(bot_clock_init(&f->clock, false, NULL, &note, err, sizeof err), 0);
    assert_int_equal(bot_webhook_new(&f->cfg, f->db, f->crypto, &f->clock, &f->webhook), 0);
    bot_webhook_on_stored(f->webhook, on_stored, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bot_webhook_free(f->webhook);
    db_close(f->db);
    bot_crypto_close(f->crypto);
    tb_rmtree(f->dir);
    free(f);
    return 0;
}

enum sig { SIGNED, UNSIGNED, BAD_SIGNATURE, ANY_SIGNATURE };

/* POSTs body to /webhook/sms?query like the server would; returns the status. */
static int post(struct fx *f,
                const char *query,
                const char *content_type,
                const char *body,
                enum sig sig,
                char *out,
                size_t out_len)
{
    char url[256];
    char signature[64] = "";
    snprintf(url, sizeof url, PUBLIC "/webhook/sms%s%s", query[0] ? "?" : "", query);
    if (sig == ANY_SIGNATURE) {
        snprintf(signature, sizeof signature, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    } else if (sig != UNSIGNED) {
        assert_int_equal(sms_test_sign(sig == SIGNED ? TOKEN : "another-token", url, body,
                                       signature, sizeof signature),
                         0);
    }
    struct bot_http_header headers[2];
    size_t n = 0;
    headers[n++] = (struct bot_http_header){"Content-Type", content_type};
    if (sig != UNSIGNED) {
        headers[n++] = (struct bot_http_header){"x-twilio-signature", signature};
    }
    struct bot_http_request req = {.method = "POST",
                                   .path = "/webhook/sms",
                                   .query = query,
                                   .param = "sms",
                                   .route = "webhook",
                                   .remote_ip = "127.0.0.1",
                                   .headers = headers,
                                   .n_headers = n,
                                   .body = body,
                                   .body_len = strlen(body)};
    struct bot_http_response res;
    memset(&res, 0, sizeof res);
    res.status = 200;
    core_buf_init(&res.body, BOT_HTTP_MAX_BODY_OUT);
    bot_webhook_handle(&req, &res, f->webhook);
    snprintf(out, out_len, "%s", res.body.data ? res.body.data : "");
    core_buf_cleanup(&res.body);
    return res.status;
}

#define FORM_TYPE "application/x-www-form-urlencoded"

static int64_t rows(struct fx *f)
{
    int64_t n = -1;
    assert_int_equal(db_inbox_depth(f->db, &n, NULL), 0);
    return n;
}

static void form(const char *from, const char *text, char *out, size_t len)
{
    assert_int_equal(sms_test_form(SID, from, text, out, len), 0);
}

static void test_signature_first(void **state)
{
    struct fx *f = *state;
    char body[1024];
    char answer[256];
    form("+77011234567", "Сәлем", body, sizeof body);
    assert_int_equal(post(f, "", FORM_TYPE, body, UNSIGNED, answer, sizeof answer), 403);
    assert_non_null(strstr(answer, "X-Twilio-Signature missing"));
    assert_int_equal(post(f, "", FORM_TYPE, body, BAD_SIGNATURE, answer, sizeof answer), 403);
    assert_non_null(strstr(answer, "does not match"));
    assert_int_equal(rows(f), 0);
    assert_int_equal(f->stored_calls, 0);

    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 200);
    assert_non_null(strstr(answer, "<Response></Response>"));
    assert_int_equal(rows(f), 1);
    assert_int_equal(f->stored_calls, 1);
    /* Twilio retrying the same MessageSid: answered, stored once */
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 200);
    assert_int_equal(rows(f), 1);
    assert_int_equal(f->stored_calls, 1);
}

static void test_bad_input_changes_nothing(void **state)
{
    struct fx *f = *state;
    char body[1024];
    char answer[256];
    form(NULL, "hi", body, sizeof body);
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "From missing"));
    form("+77011234567", "", body, sizeof body);
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "Body is empty"));
    form("+77011234567", "   ", body, sizeof body);
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 400);
    form("8 701 123 45 67", "hi", body, sizeof body);
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "E.164"));
    /* a 10 kB body: no SMS is that long */
    char *big = malloc(32 * 1024);
    assert_non_null(big);
    char *text = malloc(10 * 1024 + 1);
    assert_non_null(text);
    memset(text, 'a', 10 * 1024);
    text[10 * 1024] = '\0';
    form("+77011234567", text, big, 32 * 1024);
    assert_int_equal(post(f, "", FORM_TYPE, big, SIGNED, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "longer than 1600 characters"));
    /* a body past the form cap: refused before the signature is even computed */
    memset(big, 'a', 30 * 1024);
    memcpy(big, "Body=", 5);
    big[30 * 1024] = '\0';
    assert_int_equal(post(f, "", FORM_TYPE, big, ANY_SIGNATURE, answer, sizeof answer), 413);
    assert_non_null(strstr(answer, "too large"));
    free(text);
    free(big);
    /* wrong encoding: "Привет" in windows-1251 */
    const char *cp1251 = "MessageSid=" SID "&From=%2B77011234567&Body=%CF%F0%E8%E2%E5%F2";
    /* the signature is over the decoded form, so a form that does not decode is refused first */
    assert_int_equal(post(f, "", FORM_TYPE, cp1251, ANY_SIGNATURE, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "not UTF-8"));
    form("+77011234567", "hi", body, sizeof body);
    assert_int_equal(post(f, "", "application/json", body, SIGNED, answer, sizeof answer), 415);
    assert_int_equal(rows(f), 0);
    assert_int_equal(f->stored_calls, 0);
}

static void test_channel_switches(void **state)
{
    struct fx *f = *state;
    char body[1024];
    char answer[256];
    form("+77011234567", "hi", body, sizeof body);
    snprintf(f->cfg.sms.provider, sizeof f->cfg.sms.provider, "mobizon");
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 404);
    snprintf(f->cfg.sms.provider, sizeof f->cfg.sms.provider, "twilio");
    f->cfg.sms.enabled = false;
    assert_int_equal(post(f, "", FORM_TYPE, body, SIGNED, answer, sizeof answer), 404);
    assert_int_equal(rows(f), 0);
}

static int status(struct fx *f, int64_t id, const char *value)
{
    char query[32];
    char body[256];
    char answer[256];
    snprintf(query, sizeof query, "o=%lld", (long long)id);
    snprintf(body, sizeof body, "MessageSid=" SID "&MessageStatus=%s&ErrorCode=", value);
    return post(f, query, FORM_TYPE, body, SIGNED, answer, sizeof answer);
}

static void test_status_never_downgrades(void **state)
{
    struct fx *f = *state;
    static const unsigned char blob[] = {1, 2, 3};
    struct db_outbox_new msg = {.channel = "sms",
                                .chat_hash = blob,
                                .chat_hash_len = sizeof blob,
                                .recipient_enc = blob,
                                .recipient_len = sizeof blob,
                                .payload_enc = blob,
                                .payload_len = sizeof blob,
                                .idem_key = "t:1",
                                .priority = DB_OUTBOX_INTERACTIVE};
    int64_t id = 0;
    assert_int_equal(db_outbox_enqueue(f->db, &msg, 1000, &id), 0);
    struct db_sms_delivery d;
    assert_int_equal(status(f, id, "sent"), 200);
    assert_int_equal(db_sms_delivery_get(f->db, id, &d), 0);
    assert_string_equal(d.status, "sent");
    assert_string_equal(d.provider_id, SID);
    assert_int_equal(status(f, id, "queued"), 200); /* late and older: ignored */
    assert_int_equal(db_sms_delivery_get(f->db, id, &d), 0);
    assert_string_equal(d.status, "sent");
    assert_int_equal(status(f, id, "delivered"), 200);
    assert_int_equal(status(f, id, "failed"), 200);
    assert_int_equal(status(f, id, "sent"), 200);
    assert_int_equal(db_sms_delivery_get(f->db, id, &d), 0);
    assert_string_equal(d.status, "delivered");
    assert_int_equal(d.rank, DB_SMS_RANK_FINAL);
    /* a callback for no row of ours: 200 (nothing to retry), nothing changes */
    assert_int_equal(status(f, id + 100, "delivered"), 200);
    assert_int_equal(rows(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signature_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_switches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_never_downgrades, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
