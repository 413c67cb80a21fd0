/* SPDX-License-Identifier: MIT
 * Webhook ingest: authenticate, parse, seal, commit to the inbox, answer. */
#include "bot/webhook.h"

#define LOG_MODULE "webhook"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapters/sms.h"
#include "adapters/telegram.h"
#include "bot/inbox.h"
#include "bot/sms_sign.h"
#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"
#include "db/sms.h"

#define TELEGRAM_SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"
#define JSON_TYPE              "application/json"
#define BOT_HTTP_QUERY_ROOM    1024 /* room for the query of a signed webhook URL */

struct bot_webhook {
    const struct bot_config *cfg;
    struct db *db;
    const struct bot_crypto *crypto;
    const struct bot_clock *clock;
    bot_webhook_stored_fn on_stored;
    void *on_stored_ctx;
};

int bot_webhook_new(const struct bot_config *cfg,
                    struct db *db,
                    const struct bot_crypto *crypto,
                    const struct bot_clock *clock,
                    struct bot_webhook **out)
{
    struct bot_webhook *webhook = calloc(1, sizeof *webhook);
    if (!webhook) {
        return CORE_ENOMEM;
    }
    webhook->cfg = cfg;
    webhook->db = db;
    webhook->crypto = crypto;
    webhook->clock = clock;
    *out = webhook;
    return CORE_OK;
}

void bot_webhook_free(struct bot_webhook *webhook)
{
    free(webhook);
}

void bot_webhook_on_stored(struct bot_webhook *webhook, bot_webhook_stored_fn fn, void *ctx)
{
    webhook->on_stored = fn;
    webhook->on_stored_ctx = ctx;
}

/* Sets a JSON answer {"ok":false,"error":"<reason>"}; reason is static ASCII without quotes. */
static void answer(struct bot_http_response *res, int status, const char *reason)
{
    char body[256];
    if (reason) {
        snprintf(body, sizeof body, "{\"ok\":false,\"error\":\"%s\"}", reason);
    } else {
        snprintf(body, sizeof body, "{\"ok\":true}");
    }
    if (bot_http_response_set(res, status, JSON_TYPE, body) != CORE_OK) {
        res->status = 500; /* the body could not be stored: say so rather than lie */
    }
}

/* Constant time over the expected secret; a different length is a mismatch. */
static bool telegram_secret_ok(const struct bot_webhook *webhook,
                               const struct bot_http_request *req)
{
    const char *expected = webhook->cfg->telegram.secret_token;
    const char *given = bot_http_header_get(req, TELEGRAM_SECRET_HEADER);
    size_t expected_len = strlen(expected);
    if (!given || expected_len == 0) {
        return false;
    }
    /* http-parser may leave blanks around a value; a token never has any. */
    while (*given == ' ' || *given == '\t') {
        given++;
    }
    size_t given_len = strlen(given);
    while (given_len > 0 && (given[given_len - 1] == ' ' || given[given_len - 1] == '\t')) {
        given_len--;
    }
    if (given_len != expected_len) {
        return false;
    }
    return bot_crypto_equal(given, expected, expected_len);
}

/* Seals the raw body and inserts the row; CORE_EEXIST for a duplicate. */
static int store(struct bot_webhook *webhook,
                 const char *channel,
                 const char *external_id,
                 const char *chat_id,
                 const char *body,
                 size_t body_len)
{
    unsigned char chat_hash[BOT_HASH_BYTES];
    bot_inbox_chat_hash(webhook->crypto, channel, chat_id, chat_hash);
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int err = bot_crypto_seal(webhook->crypto, body, body_len, BOT_INBOX_PAYLOAD_AD, &sealed,
                              &sealed_len);
    if (err != CORE_OK) {
        return err;
    }
    err = db_inbox_insert(webhook->db, channel, external_id, chat_hash, sizeof chat_hash, sealed,
                          sealed_len, bot_clock_now_s(webhook->clock), NULL);
    free(sealed);
    return err;
}

int bot_webhook_ingest_telegram(struct bot_webhook *webhook,
                                const char *body,
                                size_t len,
                                enum bot_webhook_outcome *outcome,
                                const char **reason)
{
    struct core_inbound in;
    struct ad_telegram_meta meta;
    *reason = "";
    if (ad_telegram_parse_update(body, len, &in, &meta) != CORE_OK) {
        *outcome = BOT_WEBHOOK_REJECTED;
        *reason = meta.reason;
        return CORE_OK;
    }
    if (meta.kind == AD_TG_IGNORED) {
        *outcome = BOT_WEBHOOK_IGNORED;
        *reason = meta.reason;
        return CORE_OK;
    }
    int err = store(webhook, "telegram", in.external_id, in.user_id, body, len);
    if (err == CORE_EEXIST) {
        *outcome = BOT_WEBHOOK_DUPLICATE;
        return CORE_OK;
    }
    if (err != CORE_OK) {
        LOG_ERROR("webhook.store_failed", "channel=telegram err=%s db=\"%s\"", core_strerror(err),
                  db_last_error(webhook->db));
        return err;
    }
    *outcome = BOT_WEBHOOK_STORED;
    if (webhook->on_stored) {
        webhook->on_stored(webhook->on_stored_ctx);
    }
    return CORE_OK;
}

static void ingest_telegram(struct bot_webhook *webhook,
                            const struct bot_http_request *req,
                            struct bot_http_response *res)
{
    if (!telegram_secret_ok(webhook, req)) {
        LOG_WARN("webhook.unauthorized", "channel=telegram reason=secret_token");
        answer(res, 401, "secret token missing or wrong");
        return;
    }
    enum bot_webhook_outcome outcome = BOT_WEBHOOK_REJECTED;
    const char *reason = "";
    int err = bot_webhook_ingest_telegram(webhook, req->body, req->body_len, &outcome, &reason);
    if (err != CORE_OK) {
        if (bot_http_response_add_header(res, "Retry-After", "1") != CORE_OK) {
            LOG_DEBUG("webhook.header_dropped", "name=Retry-After");
        }
        answer(res, 503, "temporarily unable to store the update");
        return;
    }
    switch (outcome) {
    case BOT_WEBHOOK_REJECTED:
        LOG_INFO("webhook.rejected", "channel=telegram reason=\"%s\"", reason);
        answer(res, 400, reason);
        return;
    case BOT_WEBHOOK_IGNORED:
        LOG_DEBUG("webhook.ignored", "channel=telegram reason=\"%s\"", reason);
        break;
    case BOT_WEBHOOK_DUPLICATE:
        LOG_DEBUG("webhook.duplicate", "channel=telegram");
        break;
    case BOT_WEBHOOK_STORED:
        break;
    }
    answer(res, 200, NULL);
}

/* ---- SMS (Twilio dialect): authenticate the form, then a status callback or a message ---- */

#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

static bool form_content_type(const struct bot_http_request *req)
{
    const char *type = bot_http_header_get(req, "Content-Type");
    while (type && (*type == ' ' || *type == '\t')) {
        type++;
    }
    static const char form[] = "application/x-www-form-urlencoded";
    return type && strncasecmp(type, form, sizeof form - 1) == 0 &&
           (type[sizeof form - 1] == '\0' || type[sizeof form - 1] == ';' ||
            type[sizeof form - 1] == ' ');
}

/* "o=<outbox id>" from the status callback URL we gave Twilio; 0 when absent. */
static int64_t callback_outbox_id(const char *query)
{
    if (strncmp(query, "o=", 2) != 0) {
        return 0;
    }
    char *end = NULL;
    long long id = strtoll(query + 2, &end, 10);
    return end && (*end == '\0' || *end == '&') && id > 0 ? (int64_t)id : 0;
}

static void sms_status(struct bot_webhook *webhook,
                       const struct bot_http_request *req,
                       const struct ad_sms_meta *meta,
                       struct bot_http_response *res)
{
    static const int ranks[] = {0, 1, 2, 3, 3, 3};
    int64_t id = callback_outbox_id(req->query);
    bool applied = false;
    int err = id > 0 ? db_sms_delivery_update(webhook->db, id, meta->message_sid,
                                              ad_sms_status_name(meta->status), ranks[meta->status],
                                              bot_clock_now_s(webhook->clock), &applied)
                     : CORE_ENOTFOUND;
    if (err == CORE_ENOTFOUND) {
        LOG_INFO("webhook.status_unknown", "channel=sms status=%s",
                 ad_sms_status_name(meta->status));
        answer(res, 200, NULL); /* not ours to retry: nothing to update */
        return;
    }
    if (err != CORE_OK) {
        LOG_ERROR("webhook.store_failed", "channel=sms err=%s", core_strerror(err));
        answer(res, 503, "temporarily unable to store the status");
        return;
    }
    LOG_INFO("webhook.sms_status", "outbox=%lld status=%s applied=%d error=%s", (long long)id,
             ad_sms_status_name(meta->status), (int)applied, meta->error_code);
    answer(res, 200, NULL);
}

static void sms_message(struct bot_webhook *webhook,
                        const struct bot_http_request *req,
                        const struct core_inbound *in,
                        struct bot_http_response *res)
{
    int err = store(webhook, "sms", in->external_id, in->user_id, req->body, req->body_len);
    if (err == CORE_EEXIST) {
        LOG_DEBUG("webhook.duplicate", "channel=sms");
    } else if (err != CORE_OK) {
        LOG_ERROR("webhook.store_failed", "channel=sms err=%s db=\"%s\"", core_strerror(err),
                  db_last_error(webhook->db));
        if (bot_http_response_add_header(res, "Retry-After", "1") != CORE_OK) {
            LOG_DEBUG("webhook.header_dropped", "name=Retry-After");
        }
        answer(res, 503, "temporarily unable to store the message");
        return;
    }
    /* Replies go through the outbox (durable, retried); the webhook answers no TwiML message. */
    if (bot_http_response_set(res, 200, "text/xml", TWIML_EMPTY) != CORE_OK) {
        res->status = 500;
    }
    if (err == CORE_OK && webhook->on_stored) {
        webhook->on_stored(webhook->on_stored_ctx);
    }
}

static void ingest_sms_twilio(struct bot_webhook *webhook,
                              const struct bot_http_request *req,
                              struct bot_http_response *res)
{
    const char *signature = bot_http_header_get(req, BOT_SMS_SIGNATURE_HEADER);
    if (!signature || !signature[0]) {
        LOG_WARN("webhook.unauthorized", "channel=sms reason=no_signature");
        answer(res, 403, "X-Twilio-Signature missing");
        return;
    }
    if (!form_content_type(req)) {
        answer(res, 415, "expected application/x-www-form-urlencoded");
        return;
    }
    struct ad_form *form = malloc(sizeof *form);
    struct core_inbound *in = malloc(sizeof *in);
    char *url = malloc(BOT_CFG_URL + BOT_HTTP_QUERY_ROOM);
    int err = form && in && url ? CORE_OK : CORE_ENOMEM;
    bool url_ok =
        err == CORE_OK && bot_sms_webhook_url(webhook->cfg, req->query, url,
                                              BOT_CFG_URL + BOT_HTTP_QUERY_ROOM) == CORE_OK;
    if (url_ok) {
        err = ad_form_parse(req->body, req->body_len, form);
    }
    struct ad_sms_meta meta = {0};
    if (err == CORE_OK && !url_ok) {
        answer(res, 414, "query string too long");
    } else if (err == CORE_ETOOBIG) {
        answer(res, 413, "form body too large");
    } else if (err == CORE_EBADINPUT) {
        answer(res, 400, "body is not UTF-8 form data");
    } else if (err != CORE_OK) {
        answer(res, 500, "internal error");
    } else if (!bot_sms_twilio_signature_ok(webhook->cfg->sms.password, url, form, signature)) {
        LOG_WARN("webhook.unauthorized", "channel=sms reason=signature");
        answer(res, 403, "X-Twilio-Signature does not match");
    } else if (ad_twilio_parse(form, in, &meta) != CORE_OK) {
        LOG_INFO("webhook.rejected", "channel=sms reason=\"%s\"", meta.reason);
        answer(res, 400, meta.reason);
    } else if (meta.kind == AD_SMS_STATUS) {
        sms_status(webhook, req, &meta, res);
    } else {
        sms_message(webhook, req, in, res);
    }
    if (in) {
        memset(in, 0, sizeof *in);
    }
    free(form);
    free(in);
    free(url);
}

static void ingest_sms(struct bot_webhook *webhook,
                       const struct bot_http_request *req,
                       struct bot_http_response *res)
{
    if (strcmp(webhook->cfg->sms.provider, "twilio") != 0) {
        answer(res, 404, "this SMS provider sends no inbound messages");
        return;
    }
    ingest_sms_twilio(webhook, req, res);
}

void bot_webhook_handle(const struct bot_http_request *req,
                        struct bot_http_response *res,
                        void *ctx)
{
    struct bot_webhook *webhook = ctx;
    int channel = core_channel_parse(req->param);
    const struct bot_config *cfg = webhook->cfg;
    if (channel == CORE_CH_TELEGRAM && cfg->telegram.enabled &&
        strcmp(cfg->telegram.mode, "webhook") == 0) {
        ingest_telegram(webhook, req, res);
        return;
    }
    if (channel == CORE_CH_SMS && cfg->sms.enabled) {
        ingest_sms(webhook, req, res);
        return;
    }
    answer(res, 404, "channel not enabled");
}
