/* SPDX-License-Identifier: MIT
 * Telegram inbound: one Update JSON -> struct core_inbound + struct ad_telegram_meta. */
#include "adapters/telegram.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "adapters/utf8.h"

#define ID_LIMIT 9007199254740992.0 /* 2^53: every integer below is exact in a double */

/* Renders an integral JSON number below 2^53 in magnitude as decimal text. */
static bool id_text(const cJSON *item, bool allow_negative, char *out, size_t out_len)
{
    if (!cJSON_IsNumber(item)) {
        return false;
    }
    double v = item->valuedouble;
    if (!isfinite(v) || floor(v) != v || fabs(v) >= ID_LIMIT || (!allow_negative && v < 0)) {
        return false;
    }
    if (v == 0) {
        v = 0; /* -0 is the number 0: one id, one text ("0"), or dedup keys would differ */
    }
    int n = snprintf(out, out_len, "%.0f", v);
    return n > 0 && (size_t)n < out_len;
}

static const cJSON *object_field(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsObject(item) ? item : NULL;
}

static const char *string_field(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) && item->valuestring ? item->valuestring : NULL;
}

/* Copies at most out_len - 1 bytes, never cutting a UTF-8 sequence in two. */
static void copy_utf8(const char *text, char *out, size_t out_len)
{
    size_t len = strlen(text);
    if (len >= out_len) {
        len = out_len - 1;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) {
            len--;
        }
    }
    memcpy(out, text, len);
    out[len] = '\0';
}

static bool ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Text, or a command: "/start@bot x" -> "start x". */
static void take_text(const char *text, struct core_inbound *in)
{
    if (text[0] != '/' || !ascii_letter(text[1])) {
        in->kind = CORE_IN_TEXT;
        copy_utf8(text, in->text, sizeof in->text);
        return;
    }
    size_t word = strcspn(text + 1, " \t\n@");
    const char *rest = text + 1 + word;
    if (*rest == '@') {
        rest += strcspn(rest, " \t\n");
    }
    /* Command words are short ASCII; a longer word is cut on a code point boundary. */
    size_t keep = ad_utf8_truncate(text + 1, word, 64);
    memcpy(in->text, text + 1, keep);
    copy_utf8(rest, in->text + keep, sizeof in->text - keep);
    in->kind = CORE_IN_COMMAND;
}

/* "+7 701 123-45-67" or "77011234567" -> "+77011234567"; "" when not 1..15 digits. */
static void phone_digits(const char *raw, char *out, size_t out_len)
{
    size_t n = 0;
    out[0] = '\0';
    if (out_len < 17) {
        return;
    }
    for (const char *p = raw; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n >= 15) {
                out[0] = '\0';
                return;
            }
            out[1 + n++] = *p;
        }
    }
    if (n > 0) {
        out[0] = '+';
        out[1 + n] = '\0';
    }
}

static void take_contact(const cJSON *contact, const char *from_id, struct core_inbound *in)
{
    const char *number = string_field(contact, "phone_number");
    char phone[CORE_PHONE_MAX];
    phone_digits(number ? number : "", phone, sizeof phone);
    char owner[AD_TG_ID_MAX];
    bool own =
        from_id[0] &&
        id_text(cJSON_GetObjectItemCaseSensitive(contact, "user_id"), false, owner, sizeof owner) &&
        strcmp(owner, from_id) == 0;
    in->kind = CORE_IN_CONTACT;
    snprintf(in->text, sizeof in->text, "%s", phone);
    if (own) {
        snprintf(in->verified_phone, sizeof in->verified_phone, "%s", phone);
    }
}

static bool private_chat(const cJSON *chat)
{
    const char *type = string_field(chat, "type");
    return !type || strcmp(type, "private") == 0;
}

static void sender(const cJSON *holder, struct ad_telegram_meta *meta)
{
    const cJSON *from = object_field(holder, "from");
    if (!from || !id_text(cJSON_GetObjectItemCaseSensitive(from, "id"), false, meta->from_id,
                          sizeof meta->from_id)) {
        meta->from_id[0] = '\0';
    }
}

static int parse_message(const cJSON *msg, struct core_inbound *in, struct ad_telegram_meta *meta)
{
    const cJSON *chat = object_field(msg, "chat");
    if (!chat || !id_text(cJSON_GetObjectItemCaseSensitive(chat, "id"), true, in->user_id,
                          sizeof in->user_id)) {
        meta->reason = "message.chat.id missing or not an integer";
        return CORE_EBADINPUT;
    }
    const cJSON *date = cJSON_GetObjectItemCaseSensitive(msg, "date");
    char date_text[AD_TG_ID_MAX];
    if (!id_text(date, false, date_text, sizeof date_text)) {
        meta->reason = "message.date missing or not an integer";
        return CORE_EBADINPUT;
    }
    if (!private_chat(chat)) {
        meta->kind = AD_TG_IGNORED;
        meta->reason = "not a private chat";
        return CORE_OK;
    }
    in->at = (int64_t)date->valuedouble;
    sender(msg, meta);
    const cJSON *contact = object_field(msg, "contact");
    const char *text = string_field(msg, "text");
    if (text && !ad_utf8_valid(text, strlen(text))) {
        meta->reason = "message.text is not valid UTF-8";
        return CORE_EBADINPUT;
    }
    if (contact) {
        take_contact(contact, meta->from_id, in);
    } else {
        /* Stickers, photos and the like arrive as empty text: the dialog answers with help. */
        take_text(text ? text : "", in);
    }
    meta->kind = AD_TG_INBOUND;
    return CORE_OK;
}

static int parse_callback(const cJSON *cb, struct core_inbound *in, struct ad_telegram_meta *meta)
{
    const char *id = string_field(cb, "id");
    if (!id || !id[0] || strlen(id) >= sizeof meta->callback_query_id) {
        meta->reason = "callback_query.id missing or too long";
        return CORE_EBADINPUT;
    }
    const char *data = string_field(cb, "data");
    if (!ad_utf8_valid(id, strlen(id)) || (data && !ad_utf8_valid(data, strlen(data)))) {
        meta->reason = "callback_query.id or data is not valid UTF-8";
        return CORE_EBADINPUT;
    }
    snprintf(meta->callback_query_id, sizeof meta->callback_query_id, "%s", id);
    sender(cb, meta);
    const cJSON *msg = object_field(cb, "message");
    const cJSON *chat = msg ? object_field(msg, "chat") : NULL;
    if (chat) {
        if (!id_text(cJSON_GetObjectItemCaseSensitive(chat, "id"), true, in->user_id,
                     sizeof in->user_id)) {
            meta->reason = "callback_query.message.chat.id not an integer";
            return CORE_EBADINPUT;
        }
        if (!private_chat(chat)) {
            meta->kind = AD_TG_IGNORED;
            meta->reason = "not a private chat";
            return CORE_OK;
        }
    } else if (meta->from_id[0]) {
        /* An inaccessible or inline message: in a private chat the chat id is the user id. */
        snprintf(in->user_id, sizeof in->user_id, "%s", meta->from_id);
    } else {
        meta->reason = "callback_query has neither message.chat nor from";
        return CORE_EBADINPUT;
    }
    in->kind = CORE_IN_BUTTON;
    in->at = 0;
    /* Our ids fit CORE_OPTION_ID_MAX; a longer one is not ours and stays empty (unknown). */
    if (data && strlen(data) < sizeof in->button_id) {
        snprintf(in->button_id, sizeof in->button_id, "%s", data);
    }
    meta->kind = AD_TG_INBOUND;
    return CORE_OK;
}

static int parse_member(const cJSON *upd, struct core_inbound *in, struct ad_telegram_meta *meta)
{
    const cJSON *chat = object_field(upd, "chat");
    if (!chat || !id_text(cJSON_GetObjectItemCaseSensitive(chat, "id"), true, in->user_id,
                          sizeof in->user_id)) {
        meta->reason = "my_chat_member.chat.id missing or not an integer";
        return CORE_EBADINPUT;
    }
    sender(upd, meta);
    const cJSON *member = object_field(upd, "new_chat_member");
    const char *status = member ? string_field(member, "status") : NULL;
    const cJSON *date = cJSON_GetObjectItemCaseSensitive(upd, "date");
    in->at = cJSON_IsNumber(date) && date->valuedouble >= 0 && date->valuedouble < ID_LIMIT
                 ? (int64_t)date->valuedouble
                 : 0;
    if (!private_chat(chat) || !status) {
        meta->kind = AD_TG_IGNORED;
        meta->reason = "membership change outside a private chat";
        return CORE_OK;
    }
    if (strcmp(status, "kicked") == 0) {
        meta->kind = AD_TG_BLOCKED;
    } else if (strcmp(status, "member") == 0) {
        meta->kind = AD_TG_UNBLOCKED;
    } else {
        meta->kind = AD_TG_IGNORED;
        meta->reason = "membership status not handled";
    }
    return CORE_OK;
}

static int parse_root(const cJSON *root, struct core_inbound *in, struct ad_telegram_meta *meta)
{
    if (!cJSON_IsObject(root)) {
        meta->reason = "not a JSON object";
        return CORE_EBADINPUT;
    }
    if (!id_text(cJSON_GetObjectItemCaseSensitive(root, "update_id"), false, meta->update_id,
                 sizeof meta->update_id)) {
        meta->reason = "update_id missing or not a non-negative integer";
        return CORE_EBADINPUT;
    }
    in->channel = CORE_CH_TELEGRAM;
    snprintf(in->external_id, sizeof in->external_id, "%s", meta->update_id);
    const cJSON *item;
    if ((item = object_field(root, "message")) != NULL) {
        return parse_message(item, in, meta);
    }
    if ((item = object_field(root, "callback_query")) != NULL) {
        return parse_callback(item, in, meta);
    }
    if ((item = object_field(root, "my_chat_member")) != NULL) {
        return parse_member(item, in, meta);
    }
    meta->kind = AD_TG_IGNORED;
    meta->reason = "update kind not handled";
    return CORE_OK;
}

int ad_telegram_parse_update(const char *body,
                             size_t len,
                             struct core_inbound *in,
                             struct ad_telegram_meta *meta)
{
    memset(in, 0, sizeof *in);
    memset(meta, 0, sizeof *meta);
    meta->reason = "";
    meta->kind = AD_TG_IGNORED;
    if (!body || len == 0) {
        meta->reason = "empty body";
        return CORE_EBADINPUT;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    while (root && end && end < body + len && strchr(" \t\r\n", *end) && *end) {
        end++;
    }
    if (root && end != body + len) {
        cJSON_Delete(root); /* trailing bytes after the JSON value */
        root = NULL;
    }
    if (!root) {
        meta->reason = "body is not valid JSON";
        return CORE_EBADINPUT;
    }
    int err = parse_root(root, in, meta);
    cJSON_Delete(root);
    return err;
}
