/* SPDX-License-Identifier: MIT
 * Twilio's SMS dialect: the signature base string, inbound messages and status callbacks,
 * the Messages API body and answer. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sms.h"
#include "adapters/utf8.h"

static int cmp_param(const void *a, const void *b)
{
    const struct ad_form_param *x = *(const struct ad_form_param *const *)a;
    const struct ad_form_param *y = *(const struct ad_form_param *const *)b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->value, y->value);
}

static int put(char *out, size_t out_len, size_t *used, const char *text)
{
    size_t n = strlen(text);
    if (*used + n + 1 > out_len) {
        return CORE_ETOOBIG;
    }
    memcpy(out + *used, text, n + 1);
    *used += n;
    return CORE_OK;
}

int ad_twilio_signature_base(const char *url, const struct ad_form *form, char *out, size_t out_len)
{
    const struct ad_form_param *sorted[AD_FORM_MAX_PARAMS];
    for (size_t i = 0; i < form->n_params; i++) {
        sorted[i] = &form->params[i];
    }
    qsort(sorted, form->n_params, sizeof sorted[0], cmp_param);
    size_t used = 0;
    if (out_len == 0) {
        return CORE_ETOOBIG;
    }
    out[0] = '\0';
    int rc = put(out, out_len, &used, url);
    for (size_t i = 0; rc == CORE_OK && i < form->n_params; i++) {
        /* twilio's validator folds a repeated name=value pair into one */
        if (i > 0 && cmp_param(&sorted[i - 1], &sorted[i]) == 0) {
            continue;
        }
        rc = put(out, out_len, &used, sorted[i]->name);
        if (rc == CORE_OK) {
            rc = put(out, out_len, &used, sorted[i]->value);
        }
    }
    return rc;
}

const char *ad_sms_status_name(enum ad_sms_status status)
{
    static const char *const names[] = {"unknown",   "queued",      "sent",
                                        "delivered", "undelivered", "failed"};
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "unknown";
}

bool ad_sms_status_final(enum ad_sms_status status)
{
    return status == AD_SMS_ST_DELIVERED || status == AD_SMS_ST_UNDELIVERED ||
           status == AD_SMS_ST_FAILED;
}

static enum ad_sms_status status_parse(const char *s)
{
    static const struct {
        const char *name;
        enum ad_sms_status status;
    } map[] = {{"queued", AD_SMS_ST_QUEUED},  {"accepted", AD_SMS_ST_QUEUED},
               {"sending", AD_SMS_ST_QUEUED}, {"scheduled", AD_SMS_ST_QUEUED},
               {"sent", AD_SMS_ST_SENT},      {"delivered", AD_SMS_ST_DELIVERED},
               {"read", AD_SMS_ST_DELIVERED}, {"undelivered", AD_SMS_ST_UNDELIVERED},
               {"failed", AD_SMS_ST_FAILED},  {"canceled", AD_SMS_ST_FAILED}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(s, map[i].name) == 0) {
            return map[i].status;
        }
    }
    return AD_SMS_ST_UNKNOWN;
}

static bool sid_ok(const char *sid)
{
    size_t n = strlen(sid);
    if (n < 4 || n >= AD_SMS_SID_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = sid[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return false;
        }
    }
    return true;
}

/* E.164: '+', a non-zero digit, 8..15 digits in all. */
static bool e164_ok(const char *phone)
{
    if (phone[0] != '+' || phone[1] < '1' || phone[1] > '9') {
        return false;
    }
    size_t digits = 0;
    for (const char *p = phone + 1; *p; p++, digits++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return digits >= 8 && digits <= 15;
}

static bool blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            return false;
        }
    }
    return true;
}

static int fail(struct ad_sms_meta *meta, const char *reason)
{
    meta->reason = reason;
    return CORE_EBADINPUT;
}

static int parse_status(const struct ad_form *form, const char *status, struct ad_sms_meta *meta)
{
    meta->kind = AD_SMS_STATUS;
    meta->status = status_parse(status);
    if (meta->status == AD_SMS_ST_UNKNOWN) {
        return fail(meta, "unknown MessageStatus");
    }
    const char *err = ad_form_get(form, "ErrorCode");
    if (err && strlen(err) < sizeof meta->error_code) {
        memcpy(meta->error_code, err, strlen(err) + 1);
    }
    return CORE_OK;
}

int ad_twilio_parse(const struct ad_form *form, struct core_inbound *in, struct ad_sms_meta *meta)
{
    memset(in, 0, sizeof *in);
    memset(meta, 0, sizeof *meta);
    const char *sid = ad_form_get(form, "MessageSid");
    if (!sid) {
        sid = ad_form_get(form, "SmsSid");
    }
    if (!sid || !sid_ok(sid)) {
        return fail(meta, "MessageSid missing or malformed");
    }
    memcpy(meta->message_sid, sid, strlen(sid) + 1);
    const char *status = ad_form_get(form, "MessageStatus");
    if (status && strcmp(status, "received") != 0 && strcmp(status, "receiving") != 0) {
        return parse_status(form, status, meta);
    }
    meta->kind = AD_SMS_MESSAGE;
    const char *from = ad_form_get(form, "From");
    if (!from || !from[0]) {
        return fail(meta, "From missing");
    }
    if (strlen(from) >= CORE_PHONE_MAX || !e164_ok(from)) {
        return fail(meta, "From is not an E.164 phone number");
    }
    const char *body = ad_form_get(form, "Body");
    if (!body || blank(body)) {
        const char *media = ad_form_get(form, "NumMedia");
        return fail(meta, media && strcmp(media, "0") != 0 ? "media without text is not supported"
                                                           : "Body is empty");
    }
    size_t chars = 0;
    for (const char *p = body; *p; p++) {
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    }
    if (chars > AD_SMS_BODY_MAX_CHARS) {
        return fail(meta, "Body longer than 1600 characters");
    }
    in->channel = CORE_CH_SMS;
    in->kind = CORE_IN_TEXT;
    memcpy(in->user_id, from, strlen(from) + 1);
    memcpy(in->verified_phone, from, strlen(from) + 1);
    memcpy(in->external_id, sid, strlen(sid) + 1);
    /* A concatenated SMS holds up to 1600 characters (3200 bytes of Cyrillic): keep what fits,
     * on a character boundary, rather than refuse what the parent sent. */
    size_t len = ad_utf8_truncate(body, strlen(body), CORE_TEXT_MAX - 1);
    memcpy(in->text, body, len);
    in->text[len] = '\0';
    return CORE_OK;
}

int ad_twilio_send_body(const char *to,
                        const char *from,
                        const char *text,
                        const char *status_callback,
                        char *out,
                        size_t out_len)
{
    size_t used = 0;
    if (out_len > 0) {
        out[0] = '\0';
    }
    int rc = ad_form_append(out, out_len, &used, "To", to);
    if (rc == CORE_OK) {
        rc = ad_form_append(out, out_len, &used, "From", from);
    }
    if (rc == CORE_OK) {
        rc = ad_form_append(out, out_len, &used, "Body", text);
    }
    if (rc == CORE_OK && status_callback && status_callback[0]) {
        rc = ad_form_append(out, out_len, &used, "StatusCallback", status_callback);
    }
    return rc;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int ad_twilio_answer(const char *body, size_t len, struct ad_sms_answer *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return CORE_EBADINPUT;
    }
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(root, "sid");
    if (cJSON_IsString(sid) && sid->valuestring && sid_ok(sid->valuestring)) {
        copy_field(out->sid, sizeof out->sid, sid->valuestring);
    }
    const cJSON *segs = cJSON_GetObjectItemCaseSensitive(root, "num_segments");
    if (cJSON_IsString(segs) && segs->valuestring) {
        long n = strtol(segs->valuestring, NULL, 10);
        out->segments = n > 0 && n < 1000 ? (int)n : 0;
    } else if (cJSON_IsNumber(segs) && segs->valuedouble > 0 && segs->valuedouble < 1000) {
        out->segments = (int)segs->valuedouble;
    }
    /* a double beyond long must not be converted: Twilio's codes are five digits */
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
    if (cJSON_IsNumber(code) && code->valuedouble > 0 && code->valuedouble < 1e6) {
        out->error_code = (long)code->valuedouble;
    }
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (cJSON_IsString(msg)) {
        copy_field(out->message, sizeof out->message, msg->valuestring);
    }
    cJSON_Delete(root);
    return CORE_OK;
}
