/* SPDX-License-Identifier: MIT
 * The conversation service: one stored update -> contact, dialog step(s), effects, replies. */
#define LOG_MODULE "conversation"
#include "bot/conversation.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/console.h"
#include "adapters/reply_codec.h"
#include "adapters/sms.h"
#include "adapters/telegram.h"
#include "bot/audit.h"
#include "bot/outbox.h"
#include "bot/receipt.h"
#include "bot/sms.h"
#include "core/caltime.h"
#include "core/log.h"
#include "db/contacts.h"
#include "db/escalations.h"
#include "db/inbox.h"
#include "db/outbox.h"
#include "db/portal_events.h"
#include "db/registry.h"
#include "db/sessions.h"
#include "dialogs/i18n.h"
#include "dialogs/rules.h"
#include "dialogs/validate.h"

#define AD_CONTACT_ADDRESS "contacts.address_enc"
#define AD_SESSION_STATE   "sessions.state_enc"
#define AD_DISPUTE_REASON  "timesheets.dispute_reason_enc"
#define AD_PORTAL_PAYLOAD  "portal_events.payload_enc"
#define AD_ESCALATION_NOTE "escalations.note_enc"

/* Bounds one update's work: an event and at most a few outcomes fed back. */
#define MAX_STEPS   8
#define MAX_REPLIES (MAX_STEPS * DLG_MAX_REPLIES)

/* Everything one update's handling touches. */
struct turn {
    struct bot_conversation *conv;
    const struct core_inbound *in;
    const char *channel;
    struct db_contact contact;
    struct dlg_state *state;
    bool erased;
    bool asked_phone; /* the dialog was waiting for the phone when the update came */
    int64_t now;
    struct core_reply *replies; /* MAX_REPLIES */
    size_t n_replies;
};

void bot_conversation_dialog_config(const struct bot_config *cfg, struct dlg_config *out)
{
    dlg_config_defaults(out);
    out->utc_offset_s = cfg->time.utc_offset_s;
    out->window_first_day = cfg->time.window_first_day;
    out->window_last_day = cfg->time.window_last_day;
    out->idle_timeout_s = cfg->dialog.idle_timeout_s;
    out->otp_ttl_s = cfg->otp.ttl_s;
    out->otp_resend_cooldown_s = cfg->otp.resend_cooldown_s;
    out->otp_max_attempts = cfg->otp.max_attempts;
    snprintf(out->consent_version, sizeof out->consent_version, "%s", cfg->dialog.consent_version);
    snprintf(out->contact_phone, sizeof out->contact_phone, "%s", cfg->contact_centre.phone);
    snprintf(out->contact_whatsapp, sizeof out->contact_whatsapp, "%s",
             cfg->contact_centre.whatsapp);
    snprintf(out->contact_hours, sizeof out->contact_hours, "%s", cfg->contact_centre.hours);
}

int bot_conversation_check_catalogs(char *err, size_t err_len)
{
    enum dlg_lang lang = DLG_LANG_KK;
    struct dlg_catalog_error problem = {0};
    int rc = dlg_i18n_init(&lang, &problem);
    if (rc != CORE_OK) {
        snprintf(err, err_len, "message catalog %s is broken: %s (line %u)", dlg_lang_code(lang),
                 dlg_catalog_problem_name(problem.problem), (unsigned)problem.line);
    }
    return rc;
}

void bot_conversation_init(struct bot_conversation *conv,
                           struct db *db,
                           const struct bot_crypto *crypto,
                           const struct bot_config *cfg,
                           const struct bot_code_sink *sink)
{
    memset(conv, 0, sizeof *conv);
    conv->db = db;
    conv->crypto = crypto;
    conv->cfg = cfg;
    bot_conversation_dialog_config(cfg, &conv->dialog);
    bot_otp_init(&conv->otp, cfg, crypto, sink);
    bot_registry_view_init(&conv->view, db, crypto);
}

/* ---- the contact and its sealed dialog state ---- */

void bot_conversation_contact_hash(const struct bot_crypto *crypto,
                                   const char *channel,
                                   const char *user_id,
                                   unsigned char out[BOT_HASH_BYTES])
{
    char identity[CORE_USER_ID_MAX + 16];
    int n = snprintf(identity, sizeof identity, "%s:%s", channel, user_id);
    size_t len = n < 0 ? 0 : ((size_t)n < sizeof identity ? (size_t)n : sizeof identity - 1);
    bot_crypto_hash(crypto, "contact", identity, len, out);
}

static void contact_hash(const struct turn *t, unsigned char out[BOT_HASH_BYTES])
{
    bot_conversation_contact_hash(t->conv->crypto, t->channel, t->in->user_id, out);
}

static int contact_load(struct turn *t)
{
    unsigned char hash[BOT_HASH_BYTES];
    contact_hash(t, hash);
    int rc = db_contact_find(t->conv->db, t->channel, hash, &t->contact);
    if (rc != CORE_ENOTFOUND) {
        return rc;
    }
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    rc = bot_crypto_seal(t->conv->crypto, t->in->user_id, strlen(t->in->user_id),
                         AD_CONTACT_ADDRESS, &sealed, &sealed_len);
    if (rc == CORE_OK) {
        rc = db_contact_find_or_create(t->conv->db, t->channel, hash, sealed, sealed_len, t->now,
                                       &t->contact, NULL);
    }
    free(sealed);
    return rc;
}

/* A fresh dialog state; a linked contact stays linked (the link lives in contacts, not in the
 * session), so a lost or unreadable session never sends a parent through registration again. */
static void state_fresh(struct turn *t)
{
    dlg_state_init(t->state, t->in->channel);
    int lang = dlg_lang_parse(t->contact.language);
    dlg_state_restore_link(t->state, t->contact.parent_id, t->contact.consent_version,
                           t->contact.consent_at, lang < 0 ? DLG_LANG_KK : (enum dlg_lang)lang,
                           t->contact.reminders);
}

static int state_load(struct turn *t)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = db_session_load(t->conv->db, t->contact.id, &sealed, &sealed_len);
    if (rc == CORE_ENOTFOUND) {
        state_fresh(t);
        return CORE_OK;
    }
    if (rc != CORE_OK) {
        return rc;
    }
    unsigned char *text = NULL;
    size_t text_len = 0;
    rc = bot_crypto_unseal(t->conv->crypto, sealed, sealed_len, AD_SESSION_STATE, &text, &text_len);
    free(sealed);
    if (rc == CORE_ECRYPTO) {
        /* This row's seal does not open (the contact was found with the same key, so only the
         * row is damaged): answer as for an unreadable state, or every message of this parent
         * would fail for ever. */
        LOG_WARN("state_reset", "contact=%lld reason=unsealable", (long long)t->contact.id);
        state_fresh(t);
        return CORE_OK;
    }
    if (rc == CORE_OK && dlg_state_decode((const char *)text, text_len, t->state) != CORE_OK) {
        /* A state this version cannot read: start the dialog again rather than lock the
         * parent out. The registry and the link live elsewhere, so nothing is lost. */
        LOG_WARN("state_reset", "contact=%lld reason=undecodable", (long long)t->contact.id);
        state_fresh(t);
    }
    if (text) {
        sodium_memzero(text, text_len);
        free(text);
    }
    return rc;
}

static int state_save(struct turn *t)
{
    char *text = malloc(DLG_STATE_ENCODED_MAX);
    if (!text) {
        return CORE_ENOMEM;
    }
    size_t len = dlg_state_encode(t->state, text, DLG_STATE_ENCODED_MAX);
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = bot_crypto_seal(t->conv->crypto, text, len, AD_SESSION_STATE, &sealed, &sealed_len);
    sodium_memzero(text, DLG_STATE_ENCODED_MAX);
    free(text);
    if (rc == CORE_OK) {
        rc = db_session_save(t->conv->db, t->contact.id, sealed, sealed_len, t->now);
    }
    free(sealed);
    return rc;
}

/* ---- effects ---- */

static void contact_actor(const struct turn *t, char *out, size_t out_len)
{
    snprintf(out, out_len, "contact:%lld", (long long)t->contact.id);
}

static int audit_simple(struct turn *t, const char *action, const char *detail)
{
    char actor[40];
    contact_actor(t, actor, sizeof actor);
    struct bot_audit_entry entry = {
        .actor = actor, .action = action, .channel = t->channel, .detail = detail};
    return bot_audit_append(t->conv->db, &entry, t->now);
}

static int fx_otp_send(struct turn *t, const struct dlg_effect *fx, struct dlg_event *result)
{
    struct bot_otp_sent sent;
    int rc = bot_otp_issue(&t->conv->otp, t->conv->db, t->contact.id, fx->phone,
                           dlg_lang_code(fx->lang), t->now, &sent);
    if (rc == CORE_EBADINPUT) {
        sent.result = DLG_OTP_SENT_FAILED;
        sent.retry_after_s = 0;
        rc = CORE_OK;
    }
    result->kind = DLG_EV_OTP_SENT;
    result->u.otp_sent.result = sent.result;
    result->u.otp_sent.retry_after_s = sent.retry_after_s;
    LOG_INFO("otp_issue", "contact=%lld result=%d", (long long)t->contact.id, (int)sent.result);
    return rc;
}

static int fx_otp_verify(struct turn *t, const struct dlg_effect *fx, struct dlg_event *result)
{
    struct bot_otp_checked checked;
    int rc = bot_otp_verify(&t->conv->otp, t->conv->db, fx->phone, fx->code, t->now, &checked);
    if (rc == CORE_EBADINPUT) {
        checked.result = DLG_OTP_NONE;
        checked.attempts_left = 0;
        rc = CORE_OK;
    }
    result->kind = DLG_EV_OTP_CHECKED;
    result->u.otp_checked.result = checked.result;
    result->u.otp_checked.attempts_left = checked.attempts_left;
    LOG_INFO("otp_verify", "contact=%lld result=%d", (long long)t->contact.id, (int)checked.result);
    return rc;
}

static int fx_link(struct turn *t, const struct dlg_effect *fx)
{
    bool relink = t->contact.parent_id == fx->parent_id;
    int rc = db_contact_link(t->conv->db, t->contact.id, fx->parent_id, fx->consent_version,
                             fx->consent_at, t->now);
    if (rc == CORE_OK) {
        rc = db_contact_set_language(t->conv->db, t->contact.id,
                                     dlg_lang_code(dlg_state_lang(t->state)));
    }
    if (rc == CORE_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "parent=%lld consent=%s", (long long)fx->parent_id,
                 fx->consent_version);
        /* The same parent accepting a new policy version is a consent, not a second link. */
        rc = audit_simple(t, relink ? "consented" : "linked", detail);
    }
    if (rc == CORE_OK) {
        t->contact.parent_id = fx->parent_id;
        LOG_INFO("linked", "contact=%lld channel=%s", (long long)t->contact.id, t->channel);
    }
    return rc;
}

/* What the parent typed and what we answered, in the durable queues: handled inbox rows
 * lose their payload, settled outbox rows go. Unanswered and unsent rows stay. */
static int forget_chat(struct turn *t)
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_inbox_chat_hash(t->conv->crypto, t->channel, t->in->user_id, hash);
    int rc = db_inbox_forget_chat(t->conv->db, hash, sizeof hash);
    if (rc == CORE_OK &&
        bot_outbox_chat_hash(t->conv->crypto, t->channel, t->in->user_id, hash) == CORE_OK) {
        rc = db_outbox_forget_chat(t->conv->db, hash, sizeof hash);
    }
    return rc;
}

static int fx_erase(struct turn *t)
{
    int rc = audit_simple(t, "erased", NULL);
    if (rc == CORE_OK) {
        rc = db_contact_erase(t->conv->db, t->contact.id);
    }
    if (rc == CORE_OK) {
        rc = forget_chat(t);
    }
    if (rc == CORE_OK) {
        t->erased = true;
        LOG_INFO("erased", "contact=%lld channel=%s", (long long)t->contact.id, t->channel);
    }
    return rc;
}

static int fx_escalate(struct turn *t, const struct dlg_effect *fx)
{
    unsigned char *note = NULL;
    size_t note_len = 0;
    int rc = CORE_OK;
    if (fx->reason[0]) {
        rc = bot_crypto_seal(t->conv->crypto, fx->reason, strlen(fx->reason), AD_ESCALATION_NOTE,
                             &note, &note_len);
    }
    int64_t id = 0;
    bool reused = false;
    if (rc == CORE_OK) {
        rc = db_escalation_open(t->conv->db, t->contact.id, dlg_state_parent(t->state), t->channel,
                                "user_request", note, note_len, t->now, &id, &reused);
    }
    free(note);
    if (rc == CORE_OK && !reused) {
        char detail[32];
        snprintf(detail, sizeof detail, "escalation=%lld", (long long)id);
        rc = audit_simple(t, "escalated", detail);
    }
    if (rc == CORE_OK) {
        LOG_INFO("escalated", "contact=%lld escalation=%lld reused=%d", (long long)t->contact.id,
                 (long long)id, (int)reused);
    }
    return rc;
}

/* ---- the decision: window, state, receipt + audit, timesheet, portal event ---- */

static int child_belongs(struct turn *t, int64_t parent_id, const char *child_id, bool *yes)
{
    struct dlg_child *children = calloc(DLG_MAX_CHILDREN, sizeof *children);
    if (!children) {
        return CORE_ENOMEM;
    }
    size_t count = 0;
    const struct dlg_registry_view *view = &t->conv->view.view;
    int rc = view->children(view->ctx, parent_id, children, DLG_MAX_CHILDREN, &count);
    *yes = false;
    for (size_t i = 0; rc == CORE_OK && i < count; i++) {
        *yes = *yes || strcmp(children[i].id, child_id) == 0;
    }
    sodium_memzero(children, DLG_MAX_CHILDREN * sizeof *children);
    free(children);
    return rc;
}

static int portal_payload(struct turn *t,
                          const struct dlg_effect *fx,
                          const char *days_hash,
                          const char *receipt,
                          char **out)
{
    char decided_at[32];
    core_iso8601_format(t->now, t->conv->dialog.utc_offset_s, decided_at, sizeof decided_at);
    bool dispute = fx->decision == DLG_DECISION_DISPUTE;
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "kind", dispute ? "disputed" : "confirmed") ||
        !cJSON_AddStringToObject(root, "child_id", fx->child_id) ||
        !cJSON_AddStringToObject(root, "month", fx->month) ||
        !cJSON_AddStringToObject(root, "decided_at", decided_at) ||
        !cJSON_AddStringToObject(root, "days_hash", days_hash) ||
        !cJSON_AddStringToObject(root, "receipt", receipt) ||
        !cJSON_AddStringToObject(root, "channel", t->channel) ||
        (dispute && (!cJSON_AddStringToObject(root, "dispute_days", fx->dispute_days) ||
                     !cJSON_AddStringToObject(root, "reason", fx->reason)))) {
        cJSON_Delete(root);
        return CORE_ENOMEM;
    }
    *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *out ? CORE_OK : CORE_ENOMEM;
}

static int queue_portal_event(struct turn *t,
                              const struct dlg_effect *fx,
                              const char *days_hash,
                              const char *receipt)
{
    char *json = NULL;
    int rc = portal_payload(t, fx, days_hash, receipt, &json);
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    if (rc == CORE_OK) {
        rc = bot_crypto_seal(t->conv->crypto, json, strlen(json), AD_PORTAL_PAYLOAD, &sealed,
                             &sealed_len);
        sodium_memzero(json, strlen(json));
        cJSON_free(json);
    }
    if (rc == CORE_OK) {
        const char *kind = fx->decision == DLG_DECISION_DISPUTE ? "disputed" : "confirmed";
        rc = db_portal_event_enqueue(t->conv->db, kind, fx->child_id, fx->month, sealed, sealed_len,
                                     t->now, NULL, NULL);
    }
    free(sealed);
    return rc;
}

/* Checks that the decision may be recorded now; *verdict is DLG_DECIDE_OK when it may. */
static int decide_precheck(struct turn *t,
                           const struct dlg_effect *fx,
                           char days_hash[BOT_AUDIT_HEX],
                           enum dlg_decide_result *verdict)
{
    int month_index = 0;
    bool owns = false;
    int64_t parent = dlg_state_parent(t->state);
    *verdict = DLG_DECIDE_FAILED;
    if (!parent || core_month_parse(fx->month, &month_index) != CORE_OK) {
        return CORE_OK;
    }
    int rc = child_belongs(t, parent, fx->child_id, &owns);
    if (rc != CORE_OK || !owns) {
        return rc;
    }
    if (dlg_rules_phase(&t->conv->dialog, month_index, t->now) != DLG_PHASE_OPEN) {
        *verdict = DLG_DECIDE_WINDOW_CLOSED;
        return CORE_OK;
    }
    struct db_timesheet_row row;
    memset(&row, 0, sizeof row);
    rc = db_timesheet_get(t->conv->db, fx->child_id, fx->month, &row);
    if (rc == CORE_ENOTFOUND) {
        return CORE_OK;
    }
    if (rc == CORE_OK) {
        bot_audit_days_hash(row.days, days_hash);
        char reviewed[BOT_AUDIT_HEX];
        bot_audit_days_hash(fx->days_hash_input, reviewed);
        if (row.status != DB_TS_PENDING) {
            *verdict = DLG_DECIDE_ALREADY;
        } else if (strcmp(reviewed, days_hash) == 0) {
            *verdict = DLG_DECIDE_OK;
        } else {
            /* The kindergarten changed the marks after the parent reviewed them: never sign
             * a receipt over days the parent did not see. */
            *verdict = DLG_DECIDE_CHANGED;
        }
    }
    db_timesheet_rows_cleanup(&row, 1);
    return rc;
}

static int decide_record(struct turn *t,
                         const struct dlg_effect *fx,
                         const char *days_hash,
                         char receipt[BOT_RECEIPT_REF_SIZE])
{
    bool dispute = fx->decision == DLG_DECISION_DISPUTE;
    char actor[40];
    contact_actor(t, actor, sizeof actor);
    struct bot_receipt_fields fields = {.decision = dispute ? "disputed" : "confirmed",
                                        .child_id = fx->child_id,
                                        .month = fx->month,
                                        .days_hash = days_hash,
                                        .decided_at = t->now,
                                        .utc_offset_s = t->conv->dialog.utc_offset_s,
                                        .channel = t->channel};
    int rc = bot_receipt_record_decision(t->conv->crypto, t->conv->db, &fields, actor, receipt);
    unsigned char *reason = NULL;
    size_t reason_len = 0;
    if (rc == CORE_OK && dispute && fx->reason[0]) {
        rc = bot_crypto_seal(t->conv->crypto, fx->reason, strlen(fx->reason), AD_DISPUTE_REASON,
                             &reason, &reason_len);
    }
    if (rc == CORE_OK) {
        struct db_decision decision = {.child_id = fx->child_id,
                                       .month = fx->month,
                                       .status = dispute ? DB_TS_DISPUTED : DB_TS_CONFIRMED,
                                       .decided_at = t->now,
                                       .via = t->channel,
                                       .dispute_days = dispute ? fx->dispute_days : NULL,
                                       .dispute_reason_enc = reason,
                                       .dispute_reason_len = reason_len,
                                       .receipt = receipt};
        rc = db_timesheet_decide(t->conv->db, &decision);
    }
    free(reason);
    if (rc == CORE_OK) {
        rc = queue_portal_event(t, fx, days_hash, receipt);
    }
    return rc;
}

static int fx_decide(struct turn *t, const struct dlg_effect *fx, struct dlg_event *result)
{
    char days_hash[BOT_AUDIT_HEX] = "";
    enum dlg_decide_result verdict = DLG_DECIDE_FAILED;
    result->kind = DLG_EV_DECIDED;
    int rc = decide_precheck(t, fx, days_hash, &verdict);
    if (rc == CORE_OK && verdict == DLG_DECIDE_OK) {
        rc = decide_record(t, fx, days_hash, result->u.decided.receipt);
    }
    result->u.decided.result = verdict;
    LOG_INFO("decided", "contact=%lld decision=%s result=%d", (long long)t->contact.id,
             fx->decision == DLG_DECISION_DISPUTE ? "disputed" : "confirmed", (int)verdict);
    return rc;
}

/* Performs one effect; *has_result says whether *result must be fed back to the dialog. */
static int
perform(struct turn *t, const struct dlg_effect *fx, struct dlg_event *result, bool *has_result)
{
    *has_result = false;
    memset(result, 0, sizeof *result);
    switch (fx->kind) {
    case DLG_FX_OTP_SEND:
        *has_result = true;
        return fx_otp_send(t, fx, result);
    case DLG_FX_OTP_VERIFY:
        *has_result = true;
        return fx_otp_verify(t, fx, result);
    case DLG_FX_DECIDE:
        *has_result = true;
        return fx_decide(t, fx, result);
    case DLG_FX_LINK:
        return fx_link(t, fx);
    case DLG_FX_UNLINK_ERASE:
        return fx_erase(t);
    case DLG_FX_SET_LANGUAGE:
        return t->erased
                   ? CORE_OK
                   : db_contact_set_language(t->conv->db, t->contact.id, dlg_lang_code(fx->lang));
    case DLG_FX_SET_REMINDERS:
        return t->erased ? CORE_OK : db_contact_set_reminders(t->conv->db, t->contact.id, fx->on);
    case DLG_FX_ESCALATE:
        return fx_escalate(t, fx);
    }
    return CORE_EINVAL;
}

/* ---- the dialog loop ---- */

static void collect_replies(struct turn *t, const struct dlg_output *out)
{
    for (size_t i = 0; i < out->n_replies && t->n_replies < MAX_REPLIES; i++) {
        t->replies[t->n_replies++] = out->replies[i];
    }
}

static int run_dialog(struct turn *t, struct dlg_output *out)
{
    struct dlg_event queue[MAX_STEPS];
    size_t head = 0;
    size_t tail = 0;
    memset(&queue[tail], 0, sizeof queue[tail]);
    queue[tail].kind = DLG_EV_INBOUND;
    queue[tail++].in = *t->in;
    while (head < tail) {
        const struct dlg_registry_view *view = &t->conv->view.view;
        int rc = dlg_step(&t->conv->dialog, view, t->state, &queue[head++], t->now, out);
        if (rc != CORE_OK) {
            return rc;
        }
        collect_replies(t, out);
        for (size_t i = 0; i < out->n_effects; i++) {
            bool has_result = false;
            struct dlg_event result;
            rc = perform(t, &out->effects[i], &result, &has_result);
            if (rc != CORE_OK) {
                return rc;
            }
            if (has_result && tail < MAX_STEPS) {
                queue[tail++] = result;
            }
        }
    }
    return CORE_OK;
}

static int queue_one(struct turn *t, const struct core_reply *reply, const char *idem)
{
    char *json = NULL;
    size_t len = 0;
    int rc = ad_reply_encode(reply, &json, &len);
    if (rc != CORE_OK) {
        return rc;
    }
    struct bot_outbox_item item = {.channel = t->channel,
                                   .recipient = t->in->user_id,
                                   .payload = json,
                                   .payload_len = len,
                                   .idem_key = idem,
                                   .priority =
                                       reply->bulk ? DB_OUTBOX_BULK : DB_OUTBOX_INTERACTIVE};
    rc = bot_outbox_enqueue(t->conv->db, t->conv->crypto, &item, bot_outbox_wall_ms(), NULL);
    free(json);
    return rc == CORE_EEXIST ? CORE_OK : rc;
}

/* Telegram: a reply is fitted to Telegram's limits first (numbered options when an id cannot
 * be callback_data, long texts split); part 0 keeps the plain key, later parts "<key>.<n>". */
static int queue_telegram_reply(struct turn *t, const struct core_reply *reply, const char *idem)
{
    struct core_reply *parts = calloc(AD_TG_MAX_PARTS, sizeof *parts);
    size_t n = 0;
    int rc = parts ? ad_telegram_prepare_reply(reply, parts, AD_TG_MAX_PARTS, &n) : CORE_ENOMEM;
    for (size_t i = 0; rc == CORE_OK && i < n; i++) {
        char key[128];
        if (i == 0) {
            snprintf(key, sizeof key, "%.95s", idem);
        } else {
            snprintf(key, sizeof key, "%.95s.%zu", idem, i);
        }
        rc = queue_one(t, &parts[i], key);
    }
    free(parts);
    return rc;
}

/* Telegram: the parent pressed "share my number" and the dialog took it (no reply asks for a
 * phone again). The contact keyboard must go, but a message has one reply_markup and the next
 * reply usually carries inline buttons; so a short acknowledgement goes first, "✅" and the
 * masked number, which renders with remove_keyboard. */
static int queue_telegram_contact_ack(struct turn *t, const char *idem_prefix)
{
    /* Only a contact that answered the phone question is acknowledged: one shared at the menu
     * was ignored by the dialog, and a tick would say otherwise. */
    if (t->in->kind != CORE_IN_CONTACT || !t->in->verified_phone[0] || !t->asked_phone) {
        return CORE_OK;
    }
    for (size_t i = 0; i < t->n_replies; i++) {
        if (t->replies[i].expect == CORE_EXPECT_PHONE) {
            return CORE_OK; /* asked again: the keyboard stays */
        }
    }
    struct core_reply *ack = calloc(1, sizeof *ack);
    if (!ack) {
        return CORE_ENOMEM;
    }
    char e164[CORE_PHONE_MAX];
    if (dlg_phone_normalize(t->in->verified_phone, false, e164, sizeof e164) != DLG_PHONE_OK) {
        snprintf(e164, sizeof e164, "%s", t->in->verified_phone);
    }
    char masked[CORE_PHONE_MAX + 8];
    core_mask_phone(e164, masked, sizeof masked);
    snprintf(ack->text, sizeof ack->text, "\xE2\x9C\x85 %s", masked);
    char idem[96];
    snprintf(idem, sizeof idem, "%.80s:contact", idem_prefix);
    int rc = queue_one(t, ack, idem);
    free(ack);
    return rc;
}

static int queue_replies(struct turn *t, const char *idem_prefix)
{
    bool telegram = strcmp(t->channel, "telegram") == 0;
    int first = telegram ? queue_telegram_contact_ack(t, idem_prefix) : CORE_OK;
    if (first != CORE_OK) {
        return first;
    }
    for (size_t i = 0; i < t->n_replies; i++) {
        char idem[96];
        snprintf(idem, sizeof idem, "%s:%zu", idem_prefix, i);
        int rc = telegram ? queue_telegram_reply(t, &t->replies[i], idem)
                          : queue_one(t, &t->replies[i], idem);
        if (rc != CORE_OK) {
            return rc;
        }
    }
    return CORE_OK;
}

static int handle_turn(struct turn *t, const char *idem_prefix)
{
    struct dlg_output *out = malloc(sizeof *out);
    if (!out) {
        return CORE_ENOMEM;
    }
    int rc = contact_load(t);
    if (rc == CORE_OK) {
        rc = state_load(t);
    }
    if (rc == CORE_OK) {
        t->asked_phone = dlg_state_expects_phone(t->state);
        rc = run_dialog(t, out);
    }
    if (rc == CORE_OK && !t->erased) {
        rc = state_save(t);
    }
    if (rc == CORE_OK) {
        rc = queue_replies(t, idem_prefix);
    }
    free(out);
    return rc;
}

int bot_conversation_handle(struct bot_conversation *conv,
                            const struct core_inbound *in,
                            const char *idem_prefix,
                            int64_t now_s)
{
    const char *channel = core_channel_name(in->channel);
    if (!channel || !in->user_id[0]) {
        return CORE_EBADINPUT;
    }
    struct turn t = {.conv = conv, .in = in, .channel = channel, .now = now_s};
    t.state = malloc(dlg_state_size());
    t.replies = calloc(MAX_REPLIES, sizeof *t.replies);
    int rc = t.state && t.replies ? handle_turn(&t, idem_prefix) : CORE_ENOMEM;
    if (t.state) {
        sodium_memzero(t.state, dlg_state_size());
    }
    free(t.state);
    free(t.replies);
    if (rc == CORE_OK && t.n_replies > 0 && conv->outbox) {
        bot_outbox_kick(conv->outbox);
    }
    return rc;
}

/* ---- inbox rows per channel ---- */

int bot_conversation_console_payload(const char *user_id,
                                     const char *line,
                                     char *out,
                                     size_t out_len)
{
    int n = snprintf(out, out_len, "%s\n%s", user_id, line);
    if (n < 0 || (size_t)n >= out_len || strchr(user_id, '\n')) {
        return CORE_ETOOBIG;
    }
    return n;
}

static int parse_console(const struct bot_inbox_row *row, struct core_inbound *in)
{
    const char *newline = memchr(row->payload, '\n', row->payload_len);
    if (!newline || (size_t)(newline - row->payload) >= CORE_USER_ID_MAX) {
        return CORE_EBADINPUT;
    }
    char user[CORE_USER_ID_MAX];
    size_t user_len = (size_t)(newline - row->payload);
    memcpy(user, row->payload, user_len);
    user[user_len] = '\0';
    size_t text_len = row->payload_len - user_len - 1;
    return ad_console_parse(newline + 1, text_len, user, row->external_id, row->received_at, in);
}

int bot_conversation_set_reachable(struct db *db,
                                   const struct bot_crypto *crypto,
                                   const char *channel,
                                   const char *user_id,
                                   bool reachable)
{
    unsigned char hash[BOT_HASH_BYTES];
    bot_conversation_contact_hash(crypto, channel, user_id, hash);
    struct db_contact contact;
    int rc = db_contact_find(db, channel, hash, &contact);
    if (rc == CORE_ENOTFOUND) {
        return CORE_OK;
    }
    if (rc == CORE_OK) {
        rc = db_contact_set_reachable(db, contact.id, reachable);
        LOG_INFO("reachability", "contact=%lld channel=%s reachable=%d", (long long)contact.id,
                 channel, (int)reachable);
    }
    return rc;
}

static int
telegram_reachability(struct bot_conversation *conv, const struct core_inbound *in, bool reachable)
{
    return bot_conversation_set_reachable(conv->db, conv->crypto, "telegram", in->user_id,
                                          reachable);
}

/* Every button press is answered (the client's spinner stops), before the replies: the answer
 * row is queued first in the chat, so the dispatcher sends it first. */
static int telegram_answer_callback(struct bot_conversation *conv,
                                    const struct bot_inbox_row *row,
                                    const struct core_inbound *in,
                                    const struct ad_telegram_meta *meta)
{
    char *json = NULL;
    size_t len = 0;
    int rc = ad_telegram_answer_encode(meta->callback_query_id, NULL, &json, &len);
    if (rc != CORE_OK) {
        return rc == CORE_EINVAL ? CORE_OK : rc; /* an id we cannot echo: nothing to answer */
    }
    char idem[48];
    snprintf(idem, sizeof idem, "in:%lld:cb", (long long)row->id);
    struct bot_outbox_item item = {.channel = "telegram",
                                   .recipient = in->user_id,
                                   .payload = json,
                                   .payload_len = len,
                                   .idem_key = idem,
                                   .priority = DB_OUTBOX_INTERACTIVE};
    rc = bot_outbox_enqueue(conv->db, conv->crypto, &item, bot_outbox_wall_ms(), NULL);
    free(json);
    if (rc == CORE_OK && conv->outbox) {
        bot_outbox_kick(conv->outbox);
    }
    return rc == CORE_EEXIST ? CORE_OK : rc;
}

static int parse_telegram(struct bot_conversation *conv,
                          const struct bot_inbox_row *row,
                          struct core_inbound *in,
                          bool *dialog)
{
    struct ad_telegram_meta meta;
    *dialog = false;
    if (ad_telegram_parse_update(row->payload, row->payload_len, in, &meta) != CORE_OK) {
        return CORE_EBADINPUT;
    }
    if (meta.kind == AD_TG_BLOCKED || meta.kind == AD_TG_UNBLOCKED) {
        return telegram_reachability(conv, in, meta.kind == AD_TG_UNBLOCKED);
    }
    if (in->at == 0) {
        in->at = row->received_at;
    }
    *dialog = meta.kind == AD_TG_INBOUND;
    if (*dialog && meta.callback_query_id[0]) {
        return telegram_answer_callback(conv, row, in, &meta);
    }
    return CORE_OK;
}

/* A row is judged at the time the service stored it (and answered 200 to the channel), not
 * when the processor reaches it: a backlog on the last evening, a retry or a restart must not
 * push a decision made before the deadline past it. The processing time stands in only for a
 * row without a usable one. */
static int64_t row_time(const struct bot_inbox_row *row, int64_t now_s)
{
    return row->received_at > 0 && row->received_at <= now_s ? row->received_at : now_s;
}

/* An inbound SMS (the Twilio form, stored after its signature was checked): the sender number
 * is the verified phone. Numbers neither linked nor in the registry get the daily notice from
 * the gate instead of the dialog. */
static int parse_sms(struct bot_conversation *conv,
                     const struct bot_inbox_row *row,
                     struct core_inbound *in,
                     int64_t now_s,
                     bool *dialog)
{
    struct ad_form *form = malloc(sizeof *form);
    if (!form) {
        return CORE_ENOMEM;
    }
    struct ad_sms_meta meta;
    int rc = ad_form_parse(row->payload, row->payload_len, form) == CORE_OK &&
                     ad_twilio_parse(form, in, &meta) == CORE_OK && meta.kind == AD_SMS_MESSAGE
                 ? CORE_OK
                 : CORE_EBADINPUT;
    free(form);
    if (rc != CORE_OK) {
        return rc;
    }
    in->at = row->received_at;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "in:%lld", (long long)row->id);
    return bot_sms_gate(conv->db, conv->crypto, conv->cfg, in, prefix, row_time(row, now_s),
                        dialog);
}

int bot_conversation_handle_row(void *ctx,
                                struct db *db,
                                const struct bot_inbox_row *row,
                                int64_t now_s)
{
    struct bot_conversation *conv = ctx;
    (void)db; /* the same handle the conversation was built with */
    struct core_inbound *in = calloc(1, sizeof *in);
    if (!in) {
        return CORE_ENOMEM;
    }
    bool dialog = true;
    int rc = CORE_EBADINPUT;
    if (strcmp(row->channel, "console") == 0) {
        rc = parse_console(row, in);
    } else if (strcmp(row->channel, "telegram") == 0) {
        rc = parse_telegram(conv, row, in, &dialog);
    } else if (strcmp(row->channel, "sms") == 0) {
        rc = parse_sms(conv, row, in, now_s, &dialog);
    }
    if (rc == CORE_EBADINPUT) {
        /* Stored but unreadable by this version: nothing can be answered, and retrying will
         * not help. Mark it handled rather than block the chat; the log says so. */
        LOG_WARN("unreadable_update", "inbox=%lld channel=%s", (long long)row->id, row->channel);
        rc = CORE_OK;
        dialog = false;
    }
    if (rc == CORE_OK && dialog) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "in:%lld", (long long)row->id);
        rc = bot_conversation_handle(conv, in, prefix, row_time(row, now_s));
    }
    sodium_memzero(in, sizeof *in);
    free(in);
    return rc;
}

/* ---- the apology for a row given up on ---- */

/* The chat a stored row came from, with no side effect (no contact created, no callback
 * answered, no notice sent). CORE_EBADINPUT for rows that name no chat to answer. */
static int row_address(const struct bot_inbox_row *row, struct core_inbound *in)
{
    if (strcmp(row->channel, "console") == 0) {
        return parse_console(row, in);
    }
    if (strcmp(row->channel, "telegram") == 0) {
        struct ad_telegram_meta meta;
        int rc = ad_telegram_parse_update(row->payload, row->payload_len, in, &meta);
        return rc == CORE_OK && meta.kind == AD_TG_INBOUND ? CORE_OK : CORE_EBADINPUT;
    }
    if (strcmp(row->channel, "sms") == 0) {
        struct ad_form *form = malloc(sizeof *form);
        struct ad_sms_meta meta;
        int rc = form && ad_form_parse(row->payload, row->payload_len, form) == CORE_OK &&
                         ad_twilio_parse(form, in, &meta) == CORE_OK && meta.kind == AD_SMS_MESSAGE
                     ? CORE_OK
                     : CORE_EBADINPUT;
        free(form);
        return rc;
    }
    return CORE_EBADINPUT;
}

/* The apology in the contact's language, or in kk and ru when the chat never chose one. A
 * text too long for the buffer is cut on a character boundary (it is short: never in practice). */
static int
apology_text(struct bot_conversation *conv, const struct db_contact *contact, struct core_buf *out)
{
    const struct dlg_i18n_arg args[] = {{"phone", conv->dialog.contact_phone},
                                        {"whatsapp", conv->dialog.contact_whatsapp}};
    int lang = contact ? dlg_lang_parse(contact->language) : -1;
    static const enum dlg_lang both[] = {DLG_LANG_KK, DLG_LANG_RU};
    size_t n = lang >= 0 ? 1 : 2;
    int rc = CORE_OK;
    for (size_t i = 0; i < n && rc == CORE_OK; i++) {
        char text[CORE_REPLY_TEXT_MAX / 2];
        enum dlg_lang which = lang >= 0 ? (enum dlg_lang)lang : both[i];
        int fmt = dlg_i18n_format(which, "error.giveup", text, sizeof text, 2, args);
        rc = fmt == CORE_OK || fmt == CORE_ETOOBIG ? CORE_OK : fmt;
        if (rc == CORE_OK) {
            rc = core_buf_appendf(out, "%s%s", i ? "\n\n" : "", text);
        }
    }
    return rc;
}

int bot_conversation_apologize_row(void *ctx,
                                   struct db *db,
                                   const struct bot_inbox_row *row,
                                   int64_t now_s)
{
    struct bot_conversation *conv = ctx;
    (void)db; /* the same handle the conversation was built with */
    struct core_inbound *in = calloc(1, sizeof *in);
    struct core_reply *reply = calloc(1, sizeof *reply);
    int rc = in && reply ? row_address(row, in) : CORE_ENOMEM;
    struct turn t = {.conv = conv, .in = in, .channel = row->channel, .now = now_s};
    if (rc == CORE_OK) {
        unsigned char hash[BOT_HASH_BYTES];
        contact_hash(&t, hash);
        bool known = db_contact_find(conv->db, row->channel, hash, &t.contact) == CORE_OK;
        struct core_buf text;
        core_buf_init(&text, sizeof reply->text - 1);
        rc = apology_text(conv, known ? &t.contact : NULL, &text);
        if (rc == CORE_OK) {
            memcpy(reply->text, text.data, text.len + 1);
        }
        core_buf_cleanup(&text);
    }
    if (rc == CORE_OK) {
        char idem[48];
        snprintf(idem, sizeof idem, "giveup:%lld", (long long)row->id);
        rc = strcmp(row->channel, "telegram") == 0 ? queue_telegram_reply(&t, reply, idem)
                                                   : queue_one(&t, reply, idem);
        rc = rc == CORE_EEXIST ? CORE_OK : rc;
    }
    if (rc == CORE_OK && conv->outbox) {
        bot_outbox_kick(conv->outbox);
    }
    rc = rc == CORE_EBADINPUT ? CORE_OK : rc; /* nothing to answer */
    if (in) {
        sodium_memzero(in, sizeof *in);
    }
    free(in);
    free(reply);
    return rc;
}
