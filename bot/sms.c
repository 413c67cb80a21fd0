/* SPDX-License-Identifier: MIT
 * The SMS channel in bot/: Twilio signature, the gateway sender, the code sink, the gate for
 * unknown numbers. */
#define LOG_MODULE "sms"
#include "bot/sms.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/reply_codec.h"
#include "bot/conversation.h"
#include "core/log.h"
#include "db/contacts.h"
#include "db/sms.h"
#include "dialogs/dialog.h"
#include "dialogs/i18n.h"

#define URL_MAX     (BOT_CFG_URL + 256)
#define BODY_MAX    8192
#define SMS_OUT_MAX 4096

/* ---- metrics ---- */

int bot_sms_register_metrics(struct bot_metrics *metrics)
{
    static const char *const by_kind[] = {"kind"};
    int rc = bot_metrics_register_counter(
        metrics, BOT_SMS_METRIC_SEGMENTS,
        "SMS segments accepted by the gateway, by kind (interactive, code, bulk).", by_kind, 1);
    if (rc == CORE_OK) {
        rc = bot_metrics_register_counter(
            metrics, BOT_SMS_METRIC_SHORTENED,
            "SMS whose text was cut to stay within sms.max_segments, by kind.", by_kind, 1);
    }
    return rc;
}

const char *bot_sms_kind(int priority, const char *idem_key)
{
    if (priority == DB_OUTBOX_BULK) {
        return "bulk";
    }
    if (idem_key &&
        strncmp(idem_key, BOT_SMS_CODE_IDEM_PREFIX, strlen(BOT_SMS_CODE_IDEM_PREFIX)) == 0) {
        return "code";
    }
    return "interactive";
}

/* ---- the sender ---- */

struct bot_sms_sender {
    const struct bot_config *cfg;
    struct bot_metrics *metrics;
    struct db *db;
    bool twilio;
};

int bot_sms_sender_new(const struct bot_config *cfg,
                       struct bot_metrics *metrics,
                       struct db *db,
                       struct bot_sms_sender **out)
{
    struct bot_sms_sender *s = calloc(1, sizeof *s);
    if (!s) {
        return CORE_ENOMEM;
    }
    s->cfg = cfg;
    s->metrics = metrics;
    s->db = db;
    s->twilio = strcmp(cfg->sms.provider, "twilio") == 0;
    *out = s;
    return CORE_OK;
}

void bot_sms_sender_free(struct bot_sms_sender *sender)
{
    free(sender);
}

static void count(struct bot_sms_sender *s, const char *metric, const char *kind, double n)
{
    const char *labels[] = {kind};
    if (s->metrics && bot_metrics_counter_add(s->metrics, metric, labels, n) != CORE_OK) {
        LOG_DEBUG("metrics_failed", "metric=%s", metric);
    }
}

static int basic_auth(const struct bot_config *cfg, struct bot_http_call *call)
{
    char plain[2 * BOT_CFG_STR + 2];
    char header[sizeof plain * 2 + 16];
    int n = snprintf(plain, sizeof plain, "%s:%s", cfg->sms.account, cfg->sms.password);
    if (n < 0 || (size_t)n >= sizeof plain) {
        return CORE_EINVAL;
    }
    memcpy(header, "Basic ", 6);
    sodium_bin2base64(header + 6, sizeof header - 6, (const unsigned char *)plain, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
    int rc = bot_http_call_add_header(call, "Authorization", header);
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(header, sizeof header);
    return rc;
}

static int render_twilio(struct bot_sms_sender *s,
                         const struct bot_outbox_msg *msg,
                         const char *text,
                         struct bot_http_call *call)
{
    const struct bot_config *cfg = s->cfg;
    char url[URL_MAX];
    char callback[URL_MAX];
    char query[32];
    char *body = malloc(BODY_MAX);
    if (!body) {
        return CORE_ENOMEM;
    }
    snprintf(query, sizeof query, "o=%lld", (long long)msg->id);
    int n = snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/Messages.json",
                     cfg->sms.api_base_url, cfg->sms.account);
    int rc = n > 0 && (size_t)n < sizeof url ? CORE_OK : CORE_EINVAL;
    if (rc == CORE_OK) {
        rc = bot_sms_webhook_url(cfg, query, callback, sizeof callback);
    }
    if (rc == CORE_OK) {
        rc = ad_twilio_send_body(msg->recipient, cfg->sms.from, text, callback, body, BODY_MAX);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_url(call, url);
    }
    if (rc == CORE_OK) {
        rc = basic_auth(cfg, call);
    }
    if (rc == CORE_OK && msg->idem_key) {
        rc = bot_http_call_add_header(call, "I-Twilio-Idempotency-Token", msg->idem_key);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_body(call, body, strlen(body));
    }
    sodium_memzero(body, BODY_MAX);
    free(body);
    return rc;
}

static int render_mobizon(struct bot_sms_sender *s,
                          const struct bot_outbox_msg *msg,
                          const char *text,
                          struct bot_http_call *call)
{
    const struct bot_config *cfg = s->cfg;
    char path[URL_MAX];
    char url[URL_MAX * 2];
    char *body = malloc(BODY_MAX);
    if (!body) {
        return CORE_ENOMEM;
    }
    int rc = ad_mobizon_send_path(cfg->sms.password, path, sizeof path);
    if (rc == CORE_OK) {
        int n = snprintf(url, sizeof url, "%s%s", cfg->sms.api_base_url, path);
        rc = n > 0 && (size_t)n < sizeof url ? CORE_OK : CORE_EINVAL;
    }
    if (rc == CORE_OK) {
        rc = ad_mobizon_send_body(msg->recipient, cfg->sms.from, text, body, BODY_MAX);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_url(call, url);
    }
    if (rc == CORE_OK) {
        rc = bot_http_call_set_body(call, body, strlen(body));
    }
    sodium_memzero(body, BODY_MAX);
    sodium_memzero(path, sizeof path);
    sodium_memzero(url, sizeof url);
    free(body);
    return rc;
}

static int sms_render(void *ctx, const struct bot_outbox_msg *msg, struct bot_http_call *call)
{
    struct bot_sms_sender *s = ctx;
    struct core_reply *reply = malloc(sizeof *reply);
    char *text = malloc(SMS_OUT_MAX);
    int rc = reply && text ? ad_reply_decode(msg->payload, msg->payload_len, reply) : CORE_ENOMEM;
    struct ad_sms_rendered info;
    if (rc == CORE_OK) {
        rc = ad_sms_render(reply, s->cfg->sms.max_segments, text, SMS_OUT_MAX, &info);
    }
    const char *kind = bot_sms_kind(msg->priority, msg->idem_key);
    if (rc == CORE_OK && info.shortened) {
        LOG_WARN("shortened", "outbox=%lld kind=%s segments=%d", (long long)msg->id, kind,
                 info.count.segments);
        count(s, BOT_SMS_METRIC_SHORTENED, kind, 1);
    }
    if (rc == CORE_OK) {
        rc = s->twilio ? render_twilio(s, msg, text, call) : render_mobizon(s, msg, text, call);
    }
    if (rc == CORE_OK) {
        snprintf(call->method, sizeof call->method, "POST");
        snprintf(call->label, sizeof call->label, "sms.%s.%d", kind, info.count.segments);
        call->max_response_bytes = 64 * 1024;
        if (bot_http_call_add_header(call, "Content-Type", "application/x-www-form-urlencoded") !=
            CORE_OK) {
            rc = CORE_ENOMEM;
        }
    }
    if (reply) {
        sodium_memzero(reply, sizeof *reply);
    }
    if (text) {
        sodium_memzero(text, SMS_OUT_MAX);
    }
    free(reply);
    free(text);
    return rc;
}

/* The label "sms.<kind>.<segments>" of a sent call back into the counter. */
static void count_sent(struct bot_sms_sender *s, const char *label)
{
    char kind[16] = "";
    int segments = 0;
    if (label && sscanf(label, "sms.%15[a-z].%d", kind, &segments) == 2 && segments > 0) {
        count(s, BOT_SMS_METRIC_SEGMENTS, kind, segments);
    }
}

static void mobizon_classify(const struct bot_http_response *resp, struct bot_send_result *out)
{
    struct ad_sms_answer answer;
    if (ad_mobizon_answer(resp->body, resp->body_len, &answer) != CORE_OK) {
        out->verdict = BOT_SEND_RETRY;
        snprintf(out->reason, sizeof out->reason, "mobizon: unreadable answer");
        return;
    }
    if (answer.error_code == 0) {
        return;
    }
    /* 30: rate limit, 999: their general failure -> retry; 1 validation, 8 auth: dead */
    bool retry = answer.error_code == 30 || answer.error_code == 999;
    out->verdict = retry ? BOT_SEND_RETRY : BOT_SEND_DEAD;
    char message[96];
    bot_outbox_sanitize(answer.message, strlen(answer.message), 80, message, sizeof message);
    snprintf(out->reason, sizeof out->reason, "mobizon code %ld: %s", answer.error_code, message);
}

/* The gateway's message id, kept on the row so delivery reports can be matched to it. */
static void record_provider_id(struct bot_sms_sender *s,
                               const struct bot_outbox_msg *msg,
                               const struct bot_http_response *resp)
{
    struct ad_sms_answer answer;
    int rc = s->twilio ? ad_twilio_answer(resp->body, resp->body_len, &answer)
                       : ad_mobizon_answer(resp->body, resp->body_len, &answer);
    bool applied = false;
    if (rc == CORE_OK && answer.sid[0] && s->db) {
        rc = db_sms_delivery_update(s->db, msg->id, answer.sid, "queued", 1,
                                    bot_outbox_wall_ms() / 1000, &applied);
    }
    if (rc != CORE_OK) {
        LOG_DEBUG("provider_id_not_kept", "outbox=%lld err=%s", (long long)msg->id,
                  core_strerror(rc));
    }
}

static void sms_classify(void *ctx,
                         const struct bot_outbox_msg *msg,
                         const struct bot_http_response *resp,
                         struct bot_send_result *out)
{
    struct bot_sms_sender *s = ctx;
    bot_outbox_classify_default(NULL, resp, out);
    if (out->verdict == BOT_SEND_SENT && !s->twilio) {
        mobizon_classify(resp, out);
    }
    if (out->verdict == BOT_SEND_SENT) {
        count_sent(s, resp->label);
        record_provider_id(s, msg, resp);
    }
}

void bot_sms_sender_fill(struct bot_sms_sender *sender, struct bot_outbox_sender *out)
{
    memset(out, 0, sizeof *out);
    out->channel = "sms";
    out->ctx = sender;
    out->render = sms_render;
    out->classify_msg = sms_classify;
    /* sms.max_per_second, enforced by the dispatcher: rows over it wait without an attempt */
    out->limits.per_second = sender->cfg->sms.max_per_second;
    out->limits.burst = sender->cfg->sms.max_per_second;
}

/* ---- texts ---- */

static enum dlg_lang lang_of(const char *code)
{
    int lang = code ? dlg_lang_parse(code) : -1;
    return lang < 0 ? DLG_LANG_KK : (enum dlg_lang)lang;
}

int bot_sms_code_text(const char *lang, const char *code, int ttl_s, char *out, size_t out_len)
{
    char minutes[16];
    snprintf(minutes, sizeof minutes, "%d", (ttl_s + 59) / 60);
    struct dlg_i18n_arg args[] = {{"code", code}, {"minutes", minutes}};
    return dlg_i18n_format(lang_of(lang), "sms.code", out, out_len, 2, args);
}

/* True when text holds one of the Kazakh letters Russian has not. */
static bool kazakh_letters(const char *text)
{
    static const char *const letters[] = {"ә", "ғ", "қ", "ң", "ө", "ұ", "ү", "һ", "і",
                                          "Ә", "Ғ", "Қ", "Ң", "Ө", "Ұ", "Ү", "Һ", "І"};
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++) {
        if (strstr(text, letters[i])) {
            return true;
        }
    }
    return false;
}

int bot_sms_notice_text(const struct bot_config *cfg, const char *text, char *out, size_t out_len)
{
    struct dlg_i18n_arg args[] = {{"phone", cfg->contact_centre.phone}};
    enum dlg_lang lang = kazakh_letters(text) ? DLG_LANG_KK : DLG_LANG_RU;
    return dlg_i18n_format(lang, "sms.unknown", out, out_len, 1, args);
}

/* Queues one plain SMS (no options) to phone. */
static int queue_text(struct db *db,
                      const struct bot_crypto *crypto,
                      const char *phone,
                      const char *text,
                      const char *idem)
{
    struct core_reply *reply = calloc(1, sizeof *reply);
    if (!reply) {
        return CORE_ENOMEM;
    }
    snprintf(reply->text, sizeof reply->text, "%s", text);
    reply->expect = CORE_EXPECT_NOTHING;
    char *json = NULL;
    size_t len = 0;
    int rc = ad_reply_encode(reply, &json, &len);
    sodium_memzero(reply, sizeof *reply);
    free(reply);
    if (rc != CORE_OK) {
        return rc;
    }
    struct bot_outbox_item item = {.channel = "sms",
                                   .recipient = phone,
                                   .payload = json,
                                   .payload_len = len,
                                   .idem_key = idem,
                                   .priority = DB_OUTBOX_INTERACTIVE};
    rc = bot_outbox_enqueue(db, crypto, &item, bot_outbox_wall_ms(), NULL);
    sodium_memzero(json, len);
    free(json);
    return rc == CORE_EEXIST ? CORE_OK : rc;
}

/* ---- the code sink ---- */

static int sms_code_deliver(void *ctx, const char *phone, const char *code, const char *lang)
{
    struct bot_sms_code_sink *state = ctx;
    char text[512];
    int rc = bot_sms_code_text(lang, code, state->ttl_s, text, sizeof text);
    unsigned char nonce[12];
    char idem[sizeof BOT_SMS_CODE_IDEM_PREFIX + 2 * sizeof nonce];
    randombytes_buf(nonce, sizeof nonce);
    memcpy(idem, BOT_SMS_CODE_IDEM_PREFIX, strlen(BOT_SMS_CODE_IDEM_PREFIX));
    sodium_bin2hex(idem + strlen(BOT_SMS_CODE_IDEM_PREFIX),
                   sizeof idem - strlen(BOT_SMS_CODE_IDEM_PREFIX), nonce, sizeof nonce);
    if (rc == CORE_OK) {
        rc = queue_text(state->db, state->crypto, phone, text, idem);
    }
    sodium_memzero(text, sizeof text);
    if (rc == CORE_OK && state->also.deliver &&
        state->also.deliver(state->also.ctx, phone, code, lang) != CORE_OK) {
        LOG_WARN("dev_sink_failed", "note=\"the SMS is queued; the dev copy was not shown\"");
    }
    return rc;
}

void bot_code_sink_sms(struct bot_sms_code_sink *state,
                       struct db *db,
                       const struct bot_crypto *crypto,
                       const struct bot_config *cfg,
                       const struct bot_code_sink *also,
                       struct bot_code_sink *sink)
{
    state->db = db;
    state->crypto = crypto;
    state->ttl_s = cfg->otp.ttl_s;
    state->also.ctx = also ? also->ctx : NULL;
    state->also.deliver = also ? also->deliver : NULL;
    sink->ctx = state;
    sink->deliver = sms_code_deliver;
}

/* ---- the gate for unknown numbers ---- */

static int
linked_contact(struct db *db, const struct bot_crypto *crypto, const char *phone, bool *linked)
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_conversation_contact_hash(crypto, "sms", phone, hash); /* the one derivation */
    struct db_contact contact;
    int rc = db_contact_find(db, "sms", hash, &contact);
    *linked = rc == CORE_OK && contact.parent_id != 0;
    return rc == CORE_ENOTFOUND ? CORE_OK : rc;
}

int bot_sms_gate(struct db *db,
                 const struct bot_crypto *crypto,
                 const struct bot_config *cfg,
                 const struct core_inbound *in,
                 const char *idem_prefix,
                 int64_t now_s,
                 bool *dialog)
{
    *dialog = false;
    const char *phone = in->user_id;
    bool linked = false;
    int rc = linked_contact(db, crypto, phone, &linked);
    unsigned char phone_hash[BOT_HASH_BYTES];
    bot_crypto_hash(crypto, "phone", phone, strlen(phone), phone_hash);
    bool known = false;
    if (rc == CORE_OK && !linked) {
        rc = db_sms_phone_known(db, phone_hash, sizeof phone_hash, &known);
    }
    if (rc != CORE_OK || linked || known) {
        *dialog = rc == CORE_OK;
        return rc;
    }
    int64_t day = (now_s + cfg->time.utc_offset_s) / 86400;
    bool first = false;
    rc = db_sms_notice_claim(db, phone_hash, sizeof phone_hash, day, &first);
    char masked[32];
    core_mask_phone(phone, masked, sizeof masked);
    if (rc == CORE_OK && first) {
        char text[1024];
        char idem[96];
        snprintf(idem, sizeof idem, "%s:notice", idem_prefix);
        rc = bot_sms_notice_text(cfg, in->text, text, sizeof text);
        if (rc == CORE_OK) {
            rc = queue_text(db, crypto, phone, text, idem);
        }
    }
    if (rc == CORE_OK) {
        LOG_INFO("unknown_number", "phone=%s notice=%s", masked, first ? "sent" : "already_today");
    }
    return rc;
}
