/* SPDX-License-Identifier: MIT
 * Telegram sender for the outbox and the CLI's blocking Bot API calls. */
#include "bot/telegram.h"

#define LOG_MODULE "telegram"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/telegram.h"
#include "bot/conversation.h"
#include "core/log.h"

#define TOKEN_PAUSE_MS    60000 /* a wrong token: look again in a minute, nothing is dropped */
#define REASON_DETAIL_MAX 200

void bot_telegram_init(struct bot_telegram *tg,
                       const struct bot_config *cfg,
                       struct db *db,
                       const struct bot_crypto *crypto)
{
    memset(tg, 0, sizeof *tg);
    tg->cfg = cfg;
    tg->db = db;
    tg->crypto = crypto;
}

int bot_telegram_url(const struct bot_config *cfg, const char *method, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "%s/bot%s/%s", cfg->telegram.api_base_url, cfg->telegram.token,
                     method);
    if (n < 0 || (size_t)n >= out_len) {
        if (out_len > 0) {
            out[0] = '\0';
        }
        return CORE_ETOOBIG;
    }
    return CORE_OK;
}

/* ---- render ---- */

static int render(void *ctx, const struct bot_outbox_msg *msg, struct bot_http_call *out)
{
    struct bot_telegram *tg = ctx;
    struct ad_telegram_call call;
    int rc = ad_telegram_render_payload(msg->payload, msg->payload_len, msg->recipient, &call);
    char url[BOT_CFG_URL + BOT_CFG_STR + 64];
    if (rc == CORE_OK) {
        rc = bot_telegram_url(tg->cfg, call.method, url, sizeof url);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_url(out, url);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_add_header(out, "Content-Type", "application/json");
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_body(out, call.body, call.body_len);
    }
    if (rc == CORE_OK) {
        snprintf(out->method, sizeof out->method, "POST");
        snprintf(out->label, sizeof out->label, "telegram.%s", call.method);
    }
    if (call.body) {
        memset(call.body, 0, call.body_len); /* the message in clear */
    }
    ad_telegram_call_free(&call);
    memset(url, 0, sizeof url); /* holds the token */
    return rc;
}

/* ---- classify ---- */

static void set_reason(struct bot_send_result *out, long status, const char *description)
{
    char clean[REASON_DETAIL_MAX + 1];
    bot_outbox_sanitize(description, strlen(description), REASON_DETAIL_MAX, clean, sizeof clean);
    snprintf(out->reason, sizeof out->reason, "telegram %ld: %s", status, clean);
}

static int retry_after_ms(const struct bot_http_response *resp,
                          const struct ad_telegram_api_reply *api)
{
    if (api->retry_after_s >= 0) {
        int64_t ms = (int64_t)api->retry_after_s * 1000;
        return ms > BOT_OUTBOX_MAX_DELAY_MS ? BOT_OUTBOX_MAX_DELAY_MS : (int)ms;
    }
    int delay = 0;
    const char *header = bot_http_response_header(resp, "Retry-After");
    if (bot_outbox_parse_retry_after(header, bot_outbox_wall_ms(), &delay) == CORE_OK) {
        return delay;
    }
    return -1;
}

static void classify_4xx(long status,
                         const struct ad_telegram_api_reply *api,
                         struct bot_send_result *out,
                         bool *blocked)
{
    out->verdict = BOT_SEND_DEAD;
    if (status == 400 && strstr(api->description, "message is not modified")) {
        out->verdict = BOT_SEND_SENT; /* an edit that changes nothing already shows */
        out->reason[0] = '\0';
    } else if (status == 403) {
        *blocked = true; /* blocked, deactivated, never started: nobody to deliver to */
    } else if (status == 401 || status == 404) {
        out->verdict = BOT_SEND_RETRY_AFTER;
        out->retry_after_ms = TOKEN_PAUSE_MS;
        out->pause_channel = true;
        snprintf(out->reason, sizeof out->reason,
                 "telegram %ld: the API refused the bot token (check telegram.token)", status);
    } else if (status == 408) {
        out->verdict = BOT_SEND_RETRY;
    }
}

static void
classify_status(const struct bot_http_response *resp, struct bot_send_result *out, bool *blocked)
{
    struct ad_telegram_api_reply api;
    bool parsed = ad_telegram_parse_api_reply(resp->body, resp->body_len, &api) == CORE_OK;
    long status = resp->status;
    if (!parsed) {
        char raw[REASON_DETAIL_MAX + 1];
        bot_outbox_sanitize(resp->body, resp->body_len, REASON_DETAIL_MAX, raw, sizeof raw);
        snprintf(api.description, sizeof api.description, "%s", raw);
        api.retry_after_s = -1;
    }
    set_reason(out, status, api.description);
    if (status >= 200 && status < 300) {
        out->verdict = BOT_SEND_SENT;
        out->reason[0] = '\0';
    } else if (status == 429) {
        int delay = retry_after_ms(resp, &api);
        out->verdict = delay >= 0 ? BOT_SEND_RETRY_AFTER : BOT_SEND_RETRY;
        out->retry_after_ms = delay >= 0 ? delay : 0;
        out->pause_channel = delay >= 0; /* flood control is per bot: everyone waits */
    } else if (status >= 400 && status < 500) {
        classify_4xx(status, &api, out, blocked);
    } else {
        out->verdict = BOT_SEND_RETRY; /* 5xx and anything unexpected */
    }
}

void bot_telegram_classify(const struct bot_http_response *resp,
                           struct bot_send_result *out,
                           bool *blocked)
{
    memset(out, 0, sizeof *out);
    *blocked = false;
    bool have_status = resp->err == CORE_OK || (resp->err == CORE_ETOOBIG && resp->status > 0);
    if (!have_status) {
        bot_outbox_classify_default(NULL, resp, out); /* network, timeout: retry */
        return;
    }
    classify_status(resp, out, blocked);
}

static void classify_msg(void *ctx,
                         const struct bot_outbox_msg *msg,
                         const struct bot_http_response *resp,
                         struct bot_send_result *out)
{
    struct bot_telegram *tg = ctx;
    bool blocked = false;
    bot_telegram_classify(resp, out, &blocked);
    if (!blocked || !msg->recipient[0]) {
        return;
    }
    int rc = bot_conversation_set_reachable(tg->db, tg->crypto, "telegram", msg->recipient, false);
    if (rc != CORE_OK) {
        LOG_ERROR("mark_unreachable_failed", "id=%lld err=%s", (long long)msg->id,
                  core_strerror(rc));
    }
}

void bot_telegram_sender(struct bot_telegram *tg, struct bot_outbox_sender *out)
{
    const struct bot_config *cfg = tg->cfg;
    memset(out, 0, sizeof *out);
    out->channel = "telegram";
    out->ctx = tg;
    out->render = render;
    out->classify_msg = classify_msg;
    out->limits.per_second = cfg->telegram.max_messages_per_second;
    out->limits.burst = cfg->telegram.max_messages_per_second;
    out->limits.chat_per_second =
        cfg->telegram.chat_interval_ms > 0 ? 1000.0 / cfg->telegram.chat_interval_ms : 0;
    out->limits.chat_burst = cfg->telegram.chat_burst;
}

/* ---- blocking calls (CLI) ---- */

struct blocking {
    struct bot_http_client *client;
    bool done;
    long status;
    int err;
    struct ad_telegram_api_reply api;
    bool parsed;
    char error[160];
};

static void on_blocking_done(void *ctx, const struct bot_http_response *resp)
{
    struct blocking *b = ctx;
    b->done = true;
    b->err = resp->err;
    b->status = resp->status;
    b->parsed = ad_telegram_parse_api_reply(resp->body, resp->body_len, &b->api) == CORE_OK;
    bot_outbox_sanitize(resp->error, strlen(resp->error), 128, b->error, sizeof b->error);
    bot_http_client_close(b->client);
}

static int submit_blocking(const struct bot_config *cfg,
                           const char *method,
                           const char *body,
                           int timeout_ms,
                           struct blocking *b)
{
    struct bot_http_call call;
    bot_http_call_init(&call);
    char url[BOT_CFG_URL + BOT_CFG_STR + 64];
    int rc = bot_telegram_url(cfg, method, url, sizeof url);
    if (rc == CORE_OK) {
        rc = bot_http_call_set_url(&call, url);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_add_header(&call, "Content-Type", "application/json");
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_body(&call, body, strlen(body));
    }
    if (rc == CORE_OK) {
        snprintf(call.method, sizeof call.method, "POST");
        snprintf(call.label, sizeof call.label, "telegram.%s", method);
        call.timeout_ms = timeout_ms;
        rc = bot_http_submit(b->client, &call, on_blocking_done, b);
    }
    memset(url, 0, sizeof url);
    bot_http_call_cleanup(&call);
    return rc;
}

static int blocking_verdict(const struct blocking *b, char *description, size_t description_len)
{
    const char *text = b->err != CORE_OK ? b->error
                       : b->parsed       ? b->api.description
                                         : "not a Bot API answer";
    if (description && description_len > 0) {
        snprintf(description, description_len, "%s", text);
    }
    if (b->err != CORE_OK) {
        return b->err;
    }
    return b->parsed && b->api.ok ? CORE_OK : CORE_EIO;
}

int bot_telegram_call_blocking(const struct bot_config *cfg,
                               const char *method,
                               const char *body,
                               int timeout_ms,
                               long *status,
                               char *description,
                               size_t description_len)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        return CORE_EIO;
    }
    struct blocking b;
    memset(&b, 0, sizeof b);
    int rc = bot_http_client_open(&loop, NULL, &b.client);
    if (rc == CORE_OK) {
        rc = submit_blocking(cfg, method, body, timeout_ms, &b);
        if (rc != CORE_OK) {
            bot_http_client_close(b.client);
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) {
        LOG_WARN("loop_busy", "note=\"handles left at exit\"");
    }
    *status = b.status;
    if (rc != CORE_OK) {
        if (description && description_len > 0) {
            snprintf(description, description_len, "%s", core_strerror(rc));
        }
        return rc;
    }
    return b.done ? blocking_verdict(&b, description, description_len) : CORE_EIO;
}
