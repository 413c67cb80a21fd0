/* SPDX-License-Identifier: MIT
 * Webhook ingest: authenticate, parse, seal, commit to the inbox, answer. */
#include "bot/webhook.h"

#define LOG_MODULE "webhook"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/telegram.h"
#include "bot/inbox.h"
#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"

#define TELEGRAM_SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"
#define JSON_TYPE              "application/json"

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
    char chat_key[CORE_USER_ID_MAX + 16];
    snprintf(chat_key, sizeof chat_key, "%s:%s", channel, chat_id);
    unsigned char chat_hash[BOT_HASH_BYTES];
    bot_crypto_hash(webhook->crypto, "chat", chat_key, strlen(chat_key), chat_hash);
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
    answer(res, 404, "channel not enabled");
}
