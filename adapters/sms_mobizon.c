/* SPDX-License-Identifier: MIT
 * Mobizon (mobizon.kz), outbound only: SendSmsMessage request and its JSON answer. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "adapters/sms.h"

int ad_mobizon_send_path(const char *api_key, char *out, size_t out_len)
{
    static const char prefix[] = "/service/Message/SendSmsMessage?output=json&api=v1";
    size_t used = sizeof prefix - 1;
    if (out_len < sizeof prefix + 1) {
        return CORE_ETOOBIG;
    }
    memcpy(out, prefix, sizeof prefix);
    /* ad_form_append puts '&' before the pair since used > 0 */
    return ad_form_append(out, out_len, &used, "apiKey", api_key);
}

int ad_mobizon_send_body(
    const char *to_e164, const char *from, const char *text, char *out, size_t out_len)
{
    size_t used = 0;
    if (out_len > 0) {
        out[0] = '\0';
    }
    /* digits only: Mobizon reads a literal '+' in a query as a space */
    int rc =
        ad_form_append(out, out_len, &used, "recipient", to_e164[0] == '+' ? to_e164 + 1 : to_e164);
    if (rc == CORE_OK) {
        rc = ad_form_append(out, out_len, &used, "text", text);
    }
    if (rc == CORE_OK && from && from[0]) {
        rc = ad_form_append(out, out_len, &used, "from", from);
    }
    return rc;
}

/* Mobizon's codes are small non-negative integers; anything else is not one of its answers
 * (and a double beyond long must not be converted at all). */
static bool code_ok(const cJSON *code)
{
    return cJSON_IsNumber(code) && code->valuedouble >= 0 && code->valuedouble < 1e6 &&
           floor(code->valuedouble) == code->valuedouble;
}

int ad_mobizon_answer(const char *body, size_t len, struct ad_sms_answer *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
    if (!cJSON_IsObject(root) || !code_ok(code)) {
        cJSON_Delete(root);
        return CORE_EBADINPUT;
    }
    out->error_code = (long)code->valuedouble;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(data, "messageId");
    if (cJSON_IsNumber(id)) {
        snprintf(out->sid, sizeof out->sid, "%.0f", id->valuedouble);
    } else if (cJSON_IsString(id) && id->valuestring) {
        snprintf(out->sid, sizeof out->sid, "%s", id->valuestring);
    }
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (cJSON_IsString(msg) && msg->valuestring) {
        snprintf(out->message, sizeof out->message, "%s", msg->valuestring);
    }
    cJSON_Delete(root);
    return CORE_OK;
}
