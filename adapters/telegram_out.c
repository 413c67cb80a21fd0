/* SPDX-License-Identifier: MIT
 * Telegram outbound: a reply fitted to Telegram's limits, Bot API request bodies, and the API's
 * answers read back. Limits are measured the way Telegram measures them: callback_data in
 * bytes, message texts in characters (code points). No I/O, no logging. */
#include "adapters/reply_codec.h"
#include "adapters/telegram.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMBERED_LINE_MAX (CORE_OPTION_LABEL_MAX + 16)
#define PHONE_SIGN        "\xF0\x9F\x93\xB1" /* U+1F4F1 mobile phone */

/* ---- limits ---- */

bool ad_telegram_callback_data_fits(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= AD_TG_CALLBACK_DATA_MAX;
}

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Bytes of the longest prefix of text[0, len) holding at most max_chars code points and at
 * most max_bytes bytes, ending on a code point boundary. */
static size_t fit_prefix(const char *text, size_t len, size_t max_chars, size_t max_bytes)
{
    size_t chars = 0;
    size_t i = 0;
    while (i < len) {
        size_t next = i + 1;
        while (next < len && is_continuation((unsigned char)text[next])) {
            next++;
        }
        if (chars + 1 > max_chars || next > max_bytes) {
            break;
        }
        chars++;
        i = next;
    }
    return i;
}

/* Where to cut a piece whose longest fitting prefix is fit bytes: after a '\n', else after a
 * space, else at fit itself. *skip is 1 when the cut drops a '\n'. */
static size_t cut_at(const char *text, size_t fit, size_t *skip)
{
    *skip = 0;
    for (size_t i = fit; i > 0; i--) {
        if (text[i - 1] == '\n') {
            if (i - 1 > 0) {
                *skip = 1;
                return i - 1;
            }
            break;
        }
    }
    for (size_t i = fit; i > 0; i--) {
        if (text[i - 1] == ' ') {
            return i;
        }
    }
    return fit;
}

int ad_telegram_split_text(const char *text,
                           size_t len,
                           size_t max_chars,
                           size_t max_bytes,
                           struct ad_telegram_span *parts,
                           size_t max_parts,
                           size_t *n)
{
    if (max_chars == 0 || max_bytes < 4 || max_parts == 0 || (!text && len > 0)) {
        return CORE_EINVAL;
    }
    size_t count = 0;
    size_t off = 0;
    do {
        size_t rest = len - off;
        size_t fit = fit_prefix(text + off, rest, max_chars, max_bytes);
        size_t skip = 0;
        size_t take = fit == rest ? rest : cut_at(text + off, fit, &skip);
        if (count == max_parts) {
            return CORE_ETOOBIG;
        }
        parts[count].off = off;
        parts[count].len = take;
        count++;
        off += take + skip;
    } while (off < len);
    *n = count;
    return CORE_OK;
}

/* ---- preparing a reply ---- */

static bool options_fit(const struct core_reply *reply)
{
    for (size_t i = 0; i < reply->n_options; i++) {
        if (!ad_telegram_callback_data_fits(reply->options[i].id)) {
            return false;
        }
    }
    return true;
}

/* The text a reply shows: its own text, plus numbered options when they cannot be buttons.
 * *out is malloc'd. */
static int full_text(const struct core_reply *reply, bool numbered, char **out, size_t *out_len)
{
    size_t text_len = strnlen(reply->text, sizeof reply->text);
    size_t cap = text_len + 2 + (numbered ? reply->n_options * NUMBERED_LINE_MAX : 0) + 1;
    char *buf = malloc(cap);
    if (!buf) {
        return CORE_ENOMEM;
    }
    memcpy(buf, reply->text, text_len);
    size_t len = text_len;
    for (size_t i = 0; numbered && i < reply->n_options; i++) {
        const char *sep = i == 0 && len > 0 ? "\n\n" : (len > 0 ? "\n" : "");
        int w = snprintf(buf + len, cap - len, "%s%zu \xE2\x80\x94 %s", sep, i + 1,
                         reply->options[i].label);
        if (w < 0 || (size_t)w >= cap - len) {
            free(buf);
            return CORE_ETOOBIG;
        }
        len += (size_t)w;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return CORE_OK;
}

static void fill_parts(const struct core_reply *reply,
                       bool numbered,
                       const char *text,
                       const struct ad_telegram_span *spans,
                       size_t count,
                       struct core_reply *parts)
{
    for (size_t i = 0; i < count; i++) {
        struct core_reply *part = &parts[i];
        bool last = i + 1 == count;
        memset(part, 0, sizeof *part);
        memcpy(part->text, text + spans[i].off, spans[i].len);
        part->text[spans[i].len] = '\0';
        part->bulk = reply->bulk;
        part->expect = last ? reply->expect : CORE_EXPECT_NOTHING;
        if (last && !numbered) {
            part->n_options = reply->n_options;
            memcpy(part->options, reply->options, sizeof part->options);
        }
    }
}

int ad_telegram_prepare_reply(const struct core_reply *reply,
                              struct core_reply *parts,
                              size_t max_parts,
                              size_t *n)
{
    if (!reply || !parts || !n || max_parts == 0 || reply->n_options > CORE_REPLY_OPTIONS_MAX) {
        return CORE_EINVAL;
    }
    bool numbered = !options_fit(reply);
    char *text = NULL;
    size_t len = 0;
    int rc = full_text(reply, numbered, &text, &len);
    if (rc != CORE_OK) {
        return rc;
    }
    struct ad_telegram_span spans[AD_TG_MAX_PARTS];
    size_t count = 0;
    size_t room = max_parts < AD_TG_MAX_PARTS ? max_parts : AD_TG_MAX_PARTS;
    rc = ad_telegram_split_text(text, len, AD_TG_TEXT_MAX_CHARS, CORE_REPLY_TEXT_MAX - 1, spans,
                                room, &count);
    if (rc == CORE_OK) {
        fill_parts(reply, numbered, text, spans, count, parts);
        *n = count;
    }
    free(text);
    return rc;
}

/* ---- JSON helpers ---- */

/* Prints root into a malloc'd buffer (free()), whatever allocator cJSON uses; deletes root. */
static int print_json(cJSON *root, char **out, size_t *out_len)
{
    char *json = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) {
        return CORE_ENOMEM;
    }
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

/* "-?[0-9]{1,16}" without a leading zero: an id below 2^53 safe to emit as a raw JSON number. */
static bool chat_id_ok(const char *id)
{
    const char *p = id && id[0] == '-' ? id + 1 : id;
    size_t n = p ? strlen(p) : 0;
    return n >= 1 && n <= 16 && strspn(p, "0123456789") == n && (p[0] != '0' || n == 1);
}

/* Copies at most max_chars characters of text (cut on a code point boundary). */
static void cut_chars(const char *text, size_t max_chars, char *out, size_t out_len)
{
    size_t len = text ? strlen(text) : 0;
    size_t keep = fit_prefix(text ? text : "", len, max_chars, out_len - 1);
    memcpy(out, text ? text : "", keep);
    out[keep] = '\0';
}

int ad_telegram_answer_encode(const char *callback_query_id,
                              const char *text,
                              char **out,
                              size_t *out_len)
{
    if (!callback_query_id || !callback_query_id[0] ||
        strlen(callback_query_id) >= AD_TG_CALLBACK_ID_MAX || !out || !out_len) {
        return CORE_EINVAL;
    }
    char toast[AD_TG_ANSWER_MAX_CHARS * 4 + 1];
    cut_chars(text, AD_TG_ANSWER_MAX_CHARS, toast, sizeof toast);
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddNumberToObject(root, "v", 1) ||
        !cJSON_AddStringToObject(root, "kind", AD_TG_PAYLOAD_KIND_ANSWER) ||
        !cJSON_AddStringToObject(root, "callback_query_id", callback_query_id) ||
        !cJSON_AddStringToObject(root, "text", toast)) {
        cJSON_Delete(root);
        return CORE_ENOMEM;
    }
    return print_json(root, out, out_len);
}

void ad_telegram_call_free(struct ad_telegram_call *call)
{
    if (call) {
        free(call->body);
        memset(call, 0, sizeof *call);
    }
}

/* ---- sendMessage ---- */

static cJSON *button(const char *text)
{
    cJSON *b = cJSON_CreateObject();
    if (b && !cJSON_AddStringToObject(b, "text", text)) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

/* Appends a row holding one button; the row takes b (also on failure). */
static bool add_row(cJSON *rows, cJSON *b)
{
    cJSON *row = cJSON_CreateArray();
    if (!b || !row || !cJSON_AddItemToArray(row, b)) {
        cJSON_Delete(b);
        cJSON_Delete(row);
        return false;
    }
    if (!cJSON_AddItemToArray(rows, row)) {
        cJSON_Delete(row);
        return false;
    }
    return true;
}

static int inline_keyboard(cJSON *markup, const struct core_reply *reply)
{
    cJSON *rows = cJSON_AddArrayToObject(markup, "inline_keyboard");
    if (!rows) {
        return CORE_ENOMEM;
    }
    for (size_t i = 0; i < reply->n_options; i++) {
        if (!ad_telegram_callback_data_fits(reply->options[i].id)) {
            return CORE_EBADINPUT;
        }
        cJSON *b = button(reply->options[i].label);
        if (!b || !cJSON_AddStringToObject(b, "callback_data", reply->options[i].id)) {
            cJSON_Delete(b);
            return CORE_ENOMEM;
        }
        if (!add_row(rows, b)) {
            return CORE_ENOMEM;
        }
    }
    return CORE_OK;
}

/* The first phrase in «» or "" of text, when it is short: the dialog names the button there. */
static void share_label(const char *text, char *out, size_t out_len)
{
    static const char *const quotes[][2] = {{"\xC2\xAB", "\xC2\xBB"}, {"\"", "\""}};
    snprintf(out, out_len, "%s", PHONE_SIGN);
    for (size_t q = 0; q < 2; q++) {
        const char *open = strstr(text, quotes[q][0]);
        const char *start = open ? open + strlen(quotes[q][0]) : NULL;
        const char *close = start ? strstr(start, quotes[q][1]) : NULL;
        size_t n = close ? (size_t)(close - start) : 0;
        if (n > 0 && n + sizeof PHONE_SIGN + 1 <= out_len && n <= AD_TG_BUTTON_TEXT_MAX) {
            snprintf(out, out_len, "%s %.*s", PHONE_SIGN, (int)n, start);
            return;
        }
    }
}

static int contact_keyboard(cJSON *markup, const struct core_reply *reply)
{
    char label[AD_TG_BUTTON_TEXT_MAX + 16];
    share_label(reply->text, label, sizeof label);
    cJSON *rows = cJSON_AddArrayToObject(markup, "keyboard");
    cJSON *share = button(label);
    if (!rows || !share || !cJSON_AddTrueToObject(share, "request_contact")) {
        cJSON_Delete(share);
        return CORE_ENOMEM;
    }
    if (!add_row(rows, share)) {
        return CORE_ENOMEM;
    }
    /* The options as plain text buttons: a press sends the label, which the dialog accepts. */
    for (size_t i = 0; i < reply->n_options; i++) {
        if (!add_row(rows, button(reply->options[i].label))) {
            return CORE_ENOMEM;
        }
    }
    if (!cJSON_AddTrueToObject(markup, "resize_keyboard") ||
        !cJSON_AddTrueToObject(markup, "one_time_keyboard")) {
        return CORE_ENOMEM;
    }
    return CORE_OK;
}

static int reply_markup(cJSON *root, const struct core_reply *reply)
{
    cJSON *markup = cJSON_AddObjectToObject(root, "reply_markup");
    if (!markup) {
        return CORE_ENOMEM;
    }
    if (reply->expect == CORE_EXPECT_PHONE) {
        return contact_keyboard(markup, reply);
    }
    if (reply->n_options > 0) {
        return inline_keyboard(markup, reply);
    }
    return cJSON_AddTrueToObject(markup, "remove_keyboard") ? CORE_OK : CORE_ENOMEM;
}

static int render_message(const struct core_reply *reply, const char *chat_id, cJSON *root)
{
    if (!reply->text[0]) {
        return CORE_EBADINPUT; /* Telegram refuses an empty text */
    }
    size_t len = strlen(reply->text);
    if (fit_prefix(reply->text, len, AD_TG_TEXT_MAX_CHARS, len) != len) {
        return CORE_EBADINPUT; /* prepare the reply first: it splits long texts */
    }
    if (!cJSON_AddRawToObject(root, "chat_id", chat_id) ||
        !cJSON_AddStringToObject(root, "text", reply->text)) {
        return CORE_ENOMEM;
    }
    return reply_markup(root, reply);
}

static int render_answer(const cJSON *env, cJSON *root)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(env, "callback_query_id");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(env, "text");
    if (!cJSON_IsString(id) || !id->valuestring[0] ||
        strlen(id->valuestring) >= AD_TG_CALLBACK_ID_MAX) {
        return CORE_EBADINPUT;
    }
    char toast[AD_TG_ANSWER_MAX_CHARS * 4 + 1];
    cut_chars(cJSON_IsString(text) ? text->valuestring : "", AD_TG_ANSWER_MAX_CHARS, toast,
              sizeof toast);
    if (!cJSON_AddStringToObject(root, "callback_query_id", id->valuestring) ||
        (toast[0] && !cJSON_AddStringToObject(root, "text", toast))) {
        return CORE_ENOMEM;
    }
    return CORE_OK;
}

/* The envelope's kind, or NULL for a plain reply payload. */
static const char *payload_kind(const cJSON *env)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(env, "kind");
    return cJSON_IsString(kind) ? kind->valuestring : NULL;
}

static int render_envelope(
    const char *payload, size_t len, const char *chat_id, cJSON *root, struct ad_telegram_call *out)
{
    cJSON *env = cJSON_ParseWithLength(payload, len);
    if (!cJSON_IsObject(env)) {
        cJSON_Delete(env);
        return CORE_EBADINPUT;
    }
    const char *kind = payload_kind(env);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(env, "v");
    int rc = CORE_EBADINPUT;
    if (kind && cJSON_IsNumber(v) && v->valuedouble == 1 &&
        strcmp(kind, AD_TG_PAYLOAD_KIND_ANSWER) == 0) {
        snprintf(out->method, sizeof out->method, "answerCallbackQuery");
        rc = render_answer(env, root);
    } else if (!kind) {
        struct core_reply *reply = malloc(sizeof *reply);
        rc = reply ? ad_reply_decode(payload, len, reply) : CORE_ENOMEM;
        if (rc == CORE_OK) {
            snprintf(out->method, sizeof out->method, "sendMessage");
            rc = render_message(reply, chat_id, root);
        }
        free(reply);
    }
    cJSON_Delete(env);
    return rc;
}

int ad_telegram_render_payload(const char *payload,
                               size_t len,
                               const char *chat_id,
                               struct ad_telegram_call *out)
{
    if (!out) {
        return CORE_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (!payload || len == 0 || !chat_id_ok(chat_id)) {
        return CORE_EBADINPUT;
    }
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        return CORE_ENOMEM;
    }
    int rc = render_envelope(payload, len, chat_id, root, out);
    if (rc != CORE_OK) {
        cJSON_Delete(root);
        out->method[0] = '\0';
        return rc;
    }
    return print_json(root, &out->body, &out->body_len);
}

/* ---- the API's answers ---- */

int ad_telegram_parse_api_reply(const char *body, size_t len, struct ad_telegram_api_reply *out)
{
    memset(out, 0, sizeof *out);
    out->retry_after_s = -1;
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
    if (!cJSON_IsObject(root) || !cJSON_IsBool(ok)) {
        cJSON_Delete(root);
        return CORE_EBADINPUT;
    }
    out->ok = cJSON_IsTrue(ok);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "error_code");
    if (cJSON_IsNumber(code) && code->valuedouble >= 0 && code->valuedouble < 1000) {
        out->error_code = (int)code->valuedouble;
    }
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (cJSON_IsString(desc)) {
        cut_chars(desc->valuestring, sizeof out->description, out->description,
                  sizeof out->description);
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(params, "retry_after");
    if (cJSON_IsNumber(retry) && isfinite(retry->valuedouble) && retry->valuedouble >= 0) {
        out->retry_after_s = retry->valuedouble > 86400 ? 86400 : (int)retry->valuedouble;
    }
    cJSON_Delete(root);
    return CORE_OK;
}

static bool update_id_of(const cJSON *update, int64_t *id)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(update, "update_id");
    if (!cJSON_IsNumber(item)) {
        return false;
    }
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0 || v >= 9007199254740992.0 || floor(v) != v) {
        return false;
    }
    *id = (int64_t)v;
    return true;
}

static int walk_updates(const cJSON *result, ad_telegram_update_fn fn, void *ctx, int64_t *max_id)
{
    const cJSON *update = NULL;
    cJSON_ArrayForEach(update, result) {
        int64_t id = 0;
        if (!cJSON_IsObject(update) || !update_id_of(update, &id)) {
            continue;
        }
        char *text = cJSON_PrintUnformatted(update);
        if (!text) {
            return CORE_ENOMEM;
        }
        int rc = fn(ctx, text, strlen(text), id);
        cJSON_free(text);
        if (rc != 0) {
            return rc;
        }
        if (max_id && id > *max_id) {
            *max_id = id;
        }
    }
    return CORE_OK;
}

int ad_telegram_each_update(
    const char *body, size_t len, ad_telegram_update_fn fn, void *ctx, int64_t *max_id)
{
    if (!fn) {
        return CORE_EINVAL;
    }
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
    int rc = CORE_EBADINPUT;
    if (cJSON_IsTrue(ok) && cJSON_IsArray(result)) {
        rc = walk_updates(result, fn, ctx, max_id);
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- getUpdates, setWebhook, deleteWebhook ---- */

static bool add_allowed_updates(cJSON *root)
{
    static const char *const kinds[] = {"message", "callback_query", "my_chat_member"};
    cJSON *list = cJSON_CreateStringArray(kinds, 3);
    if (!list) {
        return false;
    }
    if (!cJSON_AddItemToObject(root, "allowed_updates", list)) {
        cJSON_Delete(list);
        return false;
    }
    return true;
}

int ad_telegram_render_get_updates_limit(
    int64_t offset, int timeout_s, int limit, char **out, size_t *out_len)
{
    cJSON *root = cJSON_CreateObject();
    if (!root || (offset > 0 && !cJSON_AddNumberToObject(root, "offset", (double)offset)) ||
        (limit > 0 && !cJSON_AddNumberToObject(root, "limit", limit > 100 ? 100 : limit)) ||
        !cJSON_AddNumberToObject(root, "timeout", timeout_s < 0 ? 0 : timeout_s) ||
        !add_allowed_updates(root)) {
        cJSON_Delete(root);
        return CORE_ENOMEM;
    }
    return print_json(root, out, out_len);
}

int ad_telegram_render_get_updates(int64_t offset, int timeout_s, char **out, size_t *out_len)
{
    return ad_telegram_render_get_updates_limit(offset, timeout_s, 0, out, out_len);
}

bool ad_telegram_scan_update_id(const char *body, size_t len, int64_t *id)
{
    static const char key[] = "\"update_id\"";
    size_t klen = sizeof key - 1;
    for (size_t i = 0; i + klen < len; i++) {
        if (memcmp(body + i, key, klen) != 0) {
            continue;
        }
        size_t p = i + klen;
        while (p < len &&
               (body[p] == ' ' || body[p] == '\t' || body[p] == '\n' || body[p] == '\r')) {
            p++;
        }
        if (p >= len || body[p] != ':') {
            continue;
        }
        p++;
        while (p < len && body[p] == ' ') {
            p++;
        }
        int64_t v = 0;
        size_t digits = 0;
        while (p < len && body[p] >= '0' && body[p] <= '9' && digits < 15) {
            v = v * 10 + (body[p++] - '0');
            digits++;
        }
        if (digits > 0) {
            *id = v;
            return true;
        }
    }
    return false;
}

int ad_telegram_render_set_webhook(const struct ad_telegram_webhook *hook,
                                   char **out,
                                   size_t *out_len)
{
    if (!hook || !hook->url || !hook->url[0] || !hook->secret_token || !hook->secret_token[0]) {
        return CORE_EINVAL;
    }
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "url", hook->url) ||
        !cJSON_AddStringToObject(root, "secret_token", hook->secret_token) ||
        !cJSON_AddNumberToObject(root, "max_connections", hook->max_connections) ||
        !cJSON_AddBoolToObject(root, "drop_pending_updates", hook->drop_pending_updates) ||
        !add_allowed_updates(root)) {
        cJSON_Delete(root);
        return CORE_ENOMEM;
    }
    return print_json(root, out, out_len);
}

int ad_telegram_render_delete_webhook(bool drop_pending_updates, char **out, size_t *out_len)
{
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddBoolToObject(root, "drop_pending_updates", drop_pending_updates)) {
        cJSON_Delete(root);
        return CORE_ENOMEM;
    }
    return print_json(root, out, out_len);
}
