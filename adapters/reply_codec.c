/* SPDX-License-Identifier: MIT
 * JSON form of struct core_reply for the outbox. */
#include "adapters/reply_codec.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_options(cJSON *root, const struct core_reply *reply)
{
    cJSON *options = cJSON_AddArrayToObject(root, "options");
    if (!options) {
        return CORE_ENOMEM;
    }
    for (size_t i = 0; i < reply->n_options && i < CORE_REPLY_OPTIONS_MAX; i++) {
        cJSON *option = cJSON_CreateObject();
        if (!option || !cJSON_AddItemToArray(options, option) ||
            !cJSON_AddStringToObject(option, "id", reply->options[i].id) ||
            !cJSON_AddStringToObject(option, "label", reply->options[i].label)) {
            return CORE_ENOMEM;
        }
    }
    return CORE_OK;
}

int ad_reply_encode(const struct core_reply *reply, char **out, size_t *out_len)
{
    cJSON *root = cJSON_CreateObject();
    int rc = root ? CORE_OK : CORE_ENOMEM;
    if (rc == CORE_OK && (!cJSON_AddNumberToObject(root, "v", 1) ||
                          !cJSON_AddStringToObject(root, "text", reply->text) ||
                          !cJSON_AddNumberToObject(root, "expect", reply->expect) ||
                          !cJSON_AddNumberToObject(root, "bulk", reply->bulk))) {
        rc = CORE_ENOMEM;
    }
    if (rc == CORE_OK) {
        rc = add_options(root, reply);
    }
    char *json = rc == CORE_OK ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) {
        return rc == CORE_OK ? CORE_ENOMEM : rc;
    }
    /* Hand out malloc'd memory so callers free() it whatever allocator cJSON uses. */
    size_t len = strlen(json);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, json, len + 1);
    }
    cJSON_free(json);
    if (!copy) {
        return CORE_ENOMEM;
    }
    *out = copy;
    *out_len = len;
    return CORE_OK;
}

static int copy_string(const cJSON *item, char *out, size_t out_len)
{
    if (!cJSON_IsString(item) || !item->valuestring || strlen(item->valuestring) >= out_len) {
        return CORE_EBADINPUT;
    }
    memcpy(out, item->valuestring, strlen(item->valuestring) + 1);
    return CORE_OK;
}

static int decode_int(const cJSON *item, int lo, int hi, int *out)
{
    if (!cJSON_IsNumber(item) || item->valuedouble < lo || item->valuedouble > hi) {
        return CORE_EBADINPUT;
    }
    *out = (int)item->valuedouble;
    return CORE_OK;
}

static int decode_options(const cJSON *options, struct core_reply *reply)
{
    if (!options) {
        return CORE_OK;
    }
    if (!cJSON_IsArray(options) || cJSON_GetArraySize(options) > CORE_REPLY_OPTIONS_MAX) {
        return CORE_EBADINPUT;
    }
    const cJSON *option = NULL;
    cJSON_ArrayForEach(option, options) {
        struct core_option *slot = &reply->options[reply->n_options];
        if (copy_string(cJSON_GetObjectItemCaseSensitive(option, "id"), slot->id,
                        sizeof slot->id) ||
            copy_string(cJSON_GetObjectItemCaseSensitive(option, "label"), slot->label,
                        sizeof slot->label)) {
            return CORE_EBADINPUT;
        }
        reply->n_options++;
    }
    return CORE_OK;
}

static int decode_root(const cJSON *root, struct core_reply *reply)
{
    int version = 0;
    int expect = 0;
    int bulk = 0;
    if (!cJSON_IsObject(root) ||
        decode_int(cJSON_GetObjectItemCaseSensitive(root, "v"), 1, 1, &version) ||
        copy_string(cJSON_GetObjectItemCaseSensitive(root, "text"), reply->text,
                    sizeof reply->text) ||
        decode_int(cJSON_GetObjectItemCaseSensitive(root, "expect"), 0, CORE_EXPECT_CODE,
                   &expect) ||
        decode_int(cJSON_GetObjectItemCaseSensitive(root, "bulk"), 0, 1, &bulk)) {
        return CORE_EBADINPUT;
    }
    reply->expect = (enum core_expect)expect;
    reply->bulk = bulk;
    return decode_options(cJSON_GetObjectItemCaseSensitive(root, "options"), reply);
}

int ad_reply_decode(const char *json, size_t len, struct core_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        return CORE_EBADINPUT;
    }
    int rc = decode_root(root, reply);
    cJSON_Delete(root);
    if (rc != CORE_OK) {
        memset(reply, 0, sizeof *reply);
    }
    return rc;
}
