/* SPDX-License-Identifier: MIT
 * The service configuration: built-in defaults, then the TOML file, then TABELBOT_<SECTION>_<KEY>
 * environment overrides, then derived fields and validation (DESIGN.md §11). Every key is one
 * row of a schema table; loading, overrides, validation and the tests all walk that table.
 * Errors are one line naming where the bad value came from and the key, never a secret's value.
 * A failed load leaves the caller's struct untouched; scratch copies of secrets are wiped. */
#include "bot/config.h"

#include "bot/config_int.h"
#include "bot/toml.h"
#include "core/caltime.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bot_config_defaults(struct bot_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->server.listen, sizeof cfg->server.listen, "127.0.0.1:8080");
    snprintf(cfg->server.public_url, sizeof cfg->server.public_url, "http://127.0.0.1:8080");
    cfg->server.max_body_bytes = 1024 * 1024;
    cfg->server.max_header_bytes = 16 * 1024;
    cfg->server.max_connections = 2048;
    cfg->server.idle_timeout_ms = 30000;
    cfg->server.request_timeout_ms = 10000;
    cfg->server.shutdown_grace_ms = 5000;
    snprintf(cfg->database.path, sizeof cfg->database.path, "tabelbot.db");
    snprintf(cfg->database.synchronous, sizeof cfg->database.synchronous, "full");
    snprintf(cfg->time.utc_offset, sizeof cfg->time.utc_offset, "+05:00");
    cfg->time.utc_offset_s = 5 * 3600;
    cfg->time.window_first_day = 1;
    cfg->time.window_last_day = 10;
    cfg->time.quiet_start_hour = 21;
    cfg->time.quiet_end_hour = 9;
    snprintf(cfg->log.level, sizeof cfg->log.level, "info");
    cfg->dialog.idle_timeout_s = 1800;
    snprintf(cfg->dialog.consent_version, sizeof cfg->dialog.consent_version, "2026-11");
    cfg->otp.ttl_s = 300;
    cfg->otp.resend_cooldown_s = 60;
    cfg->otp.max_attempts = 5;
    cfg->otp.max_per_phone_per_hour = 5;
    cfg->otp.max_per_chat_per_hour = 5;
    cfg->otp.max_global_per_hour = 10000;
    cfg->outbox.max_attempts = 8;
    cfg->outbox.base_backoff_ms = 1000;
    cfg->outbox.max_backoff_ms = 300000;
    cfg->outbox.max_in_flight = 64;
    cfg->outbox.request_timeout_ms = 15000;
    snprintf(cfg->telegram.api_base_url, sizeof cfg->telegram.api_base_url,
             "https://api.telegram.org");
    snprintf(cfg->telegram.mode, sizeof cfg->telegram.mode, "webhook");
    cfg->telegram.max_messages_per_second = 30;
    cfg->telegram.chat_interval_ms = 1000;
    cfg->telegram.chat_burst = 3;
    cfg->telegram.max_connections = 40;
    cfg->telegram.drop_pending_updates = false;
    cfg->telegram.poll_timeout_s = 25;
    cfg->telegram.poll_interval_ms = 1000;
    snprintf(cfg->whatsapp.api_base_url, sizeof cfg->whatsapp.api_base_url,
             "https://graph.facebook.com/v21.0");
    snprintf(cfg->sms.provider, sizeof cfg->sms.provider, "twilio");
    cfg->sms.max_segments = 3;
    cfg->sms.max_per_second = 10;
    snprintf(cfg->portal.mode, sizeof cfg->portal.mode, "embedded");
    snprintf(cfg->security.data_key_file, sizeof cfg->security.data_key_file, "tabelbot.key");
    cfg->security.create_key_if_missing = true;
    snprintf(cfg->contact_centre.phone, sizeof cfg->contact_centre.phone, "8 (727) 339-72-22");
    snprintf(cfg->contact_centre.whatsapp, sizeof cfg->contact_centre.whatsapp,
             "8 (747) 339-72-22");
    snprintf(cfg->contact_centre.hours, sizeof cfg->contact_centre.hours, "Mon-Fri 09:00-18:00");
    snprintf(cfg->dev.code_sink, sizeof cfg->dev.code_sink, "none");
}

/* ---- value checks (never echo the value) ---------------------------------------------- */

static const char *check_nonempty(const char *text)
{
    return text[0] ? NULL : "must not be empty";
}

/* The consent version goes into audit rows, which hold printable ASCII only. */
static const char *check_consent_version(const char *text)
{
    if (!text[0]) {
        return "must not be empty";
    }
    for (const char *p = text; *p; p++) {
        if (*p < 0x21 || *p > 0x7e || *p == '|') {
            return "must be printable ASCII without spaces, e.g. \"2026-11\"";
        }
    }
    return NULL;
}

static bool has_prefix(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

static const char *check_url_optional(const char *text)
{
    if (!text[0]) {
        return NULL;
    }
    const char *host = NULL;
    if (has_prefix(text, "http://")) {
        host = text + strlen("http://");
    } else if (has_prefix(text, "https://")) {
        host = text + strlen("https://");
    }
    if (!host || !host[0] || host[0] == '/' || strpbrk(text, " ?#")) {
        return "must be an http:// or https:// URL with a host (no query, no fragment)";
    }
    return NULL;
}

static const char *check_url_required(const char *text)
{
    return text[0] ? check_url_optional(text) : "must be an http:// or https:// URL";
}

static const char *check_port(const char *port)
{
    size_t n = strlen(port);
    if (n == 0 || n > 5 || strspn(port, "0123456789") != n) {
        return "must be host:port with a numeric port";
    }
    return strtol(port, NULL, 10) > 65535 ? "port must be 0..65535" : NULL;
}

static const char *check_listen(const char *text)
{
    static const char *const shape =
        "must be host:port with an IPv4 address, localhost or [IPv6] as host";
    char host[BOT_CFG_STR];
    const char *port;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host) {
            return shape;
        }
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port = close + 2;
        unsigned char addr[16];
        if (inet_pton(AF_INET6, host, addr) != 1) {
            return shape;
        }
        return check_port(port);
    }
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) {
        return shape;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    unsigned char addr[4];
    if (strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, addr) != 1) {
        return shape;
    }
    return check_port(colon + 1);
}

static const char *check_offset(const char *text)
{
    int offset = 0;
    if (core_offset_parse(text, &offset) != CORE_OK) {
        return "must be a UTC offset like \"+05:00\"";
    }
    return NULL;
}

static const char *check_log_level(const char *text)
{
    enum core_log_level level;
    if (core_log_level_parse(text, &level) != CORE_OK) {
        return "must be error, warn, info, debug or trace";
    }
    return NULL;
}

static const char *one_of(const char *text, const char *a, const char *b, const char *why)
{
    return strcmp(text, a) == 0 || strcmp(text, b) == 0 ? NULL : why;
}

static const char *check_telegram_mode(const char *text)
{
    return one_of(text, "webhook", "polling", "must be webhook or polling");
}

static const char *check_sms_provider(const char *text)
{
    return one_of(text, "twilio", "mobizon", "must be twilio or mobizon");
}

static const char *check_portal_mode(const char *text)
{
    return one_of(text, "embedded", "remote", "must be embedded or remote");
}

static const char *check_synchronous(const char *text)
{
    return one_of(text, "full", "normal", "must be full or normal");
}

static const char *check_code_sink(const char *text)
{
    return one_of(text, "none", "console", "must be none or console");
}

static bool only_chars(const char *text, const char *extra)
{
    for (const char *p = text; *p; p++) {
        bool alnum =
            (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
        if (!alnum && !strchr(extra, *p)) {
            return false;
        }
    }
    return true;
}

/* Goes into the API path (/bot<token>/...): URL-safe characters only. */
static const char *check_telegram_token(const char *text)
{
    return only_chars(text, ":_-") ? NULL : "may hold only A-Z a-z 0-9 : _ -";
}

/* Telegram's rule for setWebhook secret_token: 1..256 characters of A-Z a-z 0-9 _ -. */
static const char *check_secret_token(const char *text)
{
    if (strlen(text) > 256 || !only_chars(text, "_-")) {
        return "must be 1..256 characters of A-Z a-z 0-9 _ -";
    }
    return NULL;
}

static const char *check_digits(const char *text)
{
    return strspn(text, "0123456789") == strlen(text) ? NULL : "may hold only digits";
}

static const char *check_template_name(const char *text)
{
    bool ok = text[0] != '\0';
    for (const char *p = text; *p && ok; p++) {
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    }
    return ok ? NULL : "template names are 1+ characters of a-z 0-9 _";
}

/* ---- the schema ----------------------------------------------------------------------- */

/* clang-format off */
#define FIELD(sec, name)                                                                           \
    .section = #sec, .key = #name, .offset = offsetof(struct bot_config, sec.name),                \
    .size = sizeof(((struct bot_config *)0)->sec.name)
#define STR(sec, name, fn)      {FIELD(sec, name), .type = BOT_CFG_T_STRING, .check = (fn)}
#define SECRET(sec, name, fn)   {FIELD(sec, name), .type = BOT_CFG_T_STRING, .check = (fn), \
                                 .secret = true}
#define BOOL(sec, name)         {FIELD(sec, name), .type = BOT_CFG_T_BOOL}
#define INT(sec, name, lo, hi)  {FIELD(sec, name), .type = BOT_CFG_T_INT, .min = (lo), .max = (hi)}
#define SIZE(sec, name, lo, hi) {FIELD(sec, name), .type = BOT_CFG_T_SIZE, .min = (lo), \
                                 .max = (hi)}
/* clang-format on */

/* One row per key, in documentation order. Adding a key to struct bot_config = one row here,
 * one entry in config.example.toml and one in docs/configuration.md (the tests check both). */
static const struct bot_cfg_key schema[] = {
    STR(server, listen, check_listen),
    STR(server, public_url, check_url_required),
    SIZE(server, max_body_bytes, 1024, 64 * 1024 * 1024),
    SIZE(server, max_header_bytes, 1024, 1024 * 1024),
    INT(server, max_connections, 1, 1000000),
    INT(server, idle_timeout_ms, 1, 3600000),
    INT(server, request_timeout_ms, 1, 3600000),
    INT(server, shutdown_grace_ms, 1, 600000),
    STR(database, path, check_nonempty),
    STR(database, synchronous, check_synchronous),
    STR(time, utc_offset, check_offset),
    INT(time, window_first_day, 1, 28),
    INT(time, window_last_day, 1, 28),
    INT(time, quiet_start_hour, 0, 23),
    INT(time, quiet_end_hour, 0, 23),
    STR(log, level, check_log_level),
    INT(dialog, idle_timeout_s, 1, 30 * 86400),
    STR(dialog, consent_version, check_consent_version),
    INT(otp, ttl_s, 30, 3600),
    INT(otp, resend_cooldown_s, 0, 3600),
    INT(otp, max_attempts, 1, 100),
    INT(otp, max_per_phone_per_hour, 1, 1000),
    INT(otp, max_per_chat_per_hour, 1, 1000),
    INT(otp, max_global_per_hour, 1, 100000000),
    INT(outbox, max_attempts, 1, 1000),
    INT(outbox, base_backoff_ms, 1, 3600000),
    INT(outbox, max_backoff_ms, 1, 86400000),
    INT(outbox, max_in_flight, 1, 100000),
    INT(outbox, request_timeout_ms, 1, 600000),
    BOOL(telegram, enabled),
    SECRET(telegram, token, check_telegram_token),
    SECRET(telegram, secret_token, check_secret_token),
    STR(telegram, api_base_url, check_url_required),
    STR(telegram, mode, check_telegram_mode),
    INT(telegram, max_messages_per_second, 1, 1000),
    INT(telegram, chat_interval_ms, 0, 600000),
    INT(telegram, chat_burst, 1, 100),
    INT(telegram, max_connections, 1, 100),
    BOOL(telegram, drop_pending_updates),
    INT(telegram, poll_timeout_s, 0, 50),
    INT(telegram, poll_interval_ms, 0, 60000),
    BOOL(whatsapp, enabled),
    STR(whatsapp, api_base_url, check_url_required),
    STR(whatsapp, phone_number_id, check_digits),
    SECRET(whatsapp, access_token, NULL),
    SECRET(whatsapp, app_secret, NULL),
    SECRET(whatsapp, verify_token, NULL),
    {.section = "whatsapp",
     .key = "templates",
     .type = BOT_CFG_T_STRINGS,
     .offset = offsetof(struct bot_config, whatsapp.templates),
     .size = sizeof(((struct bot_config *)0)->whatsapp.templates[0]),
     .count_offset = offsetof(struct bot_config, whatsapp.n_templates),
     .max_items = BOT_CFG_MAX_TEMPLATES,
     .check = check_template_name},
    BOOL(sms, enabled),
    STR(sms, provider, check_sms_provider),
    STR(sms, api_base_url, check_url_optional),
    STR(sms, account, NULL),
    SECRET(sms, password, NULL),
    STR(sms, from, NULL),
    INT(sms, max_segments, 1, 10),
    INT(sms, max_per_second, 1, 1000),
    STR(portal, mode, check_portal_mode),
    STR(portal, api_base_url, check_url_optional),
    STR(security, data_key_file, check_nonempty),
    BOOL(security, create_key_if_missing),
    STR(contact_centre, phone, check_nonempty),
    STR(contact_centre, whatsapp, NULL),
    STR(contact_centre, hours, NULL),
    BOOL(dev, clock_override),
    STR(dev, code_sink, check_code_sink),
};

#define N_KEYS (sizeof schema / sizeof schema[0])

const struct bot_cfg_key *bot_config_schema(size_t *count)
{
    *count = N_KEYS;
    return schema;
}

void bot_config_env_name(const struct bot_cfg_key *key, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "TABELBOT_%s_%s", key->section, key->key);
    for (int i = 0; i < n && (size_t)i < out_len; i++) {
        if (out[i] >= 'a' && out[i] <= 'z') {
            out[i] = (char)(out[i] - 'a' + 'A');
        }
    }
}

/* ---- loading context and errors ------------------------------------------------------- */

enum origin_kind { FROM_DEFAULT = 0, FROM_FILE, FROM_ENV };

struct origin {
    enum origin_kind kind;
    struct bot_toml_pos pos; /* FROM_FILE */
};

struct load {
    const char *name; /* the file as errors call it, or NULL */
    struct bot_config *cfg;
    struct origin origins[N_KEYS];
    char *err;
    size_t err_len;
};

static int
load_error_v(struct load *ld, size_t k, struct bot_toml_pos pos, const char *fmt, va_list ap)
{
    char why[192];
    vsnprintf(why, sizeof why, fmt, ap);
    const struct bot_cfg_key *key = &schema[k];
    if (!ld->err || ld->err_len == 0) {
        return CORE_ECONFIG;
    }
    if (ld->origins[k].kind == FROM_ENV) {
        char env[96];
        bot_config_env_name(key, env, sizeof env);
        snprintf(ld->err, ld->err_len, "env %s: %s", env, why);
    } else if (ld->origins[k].kind == FROM_FILE && pos.line > 0) {
        snprintf(ld->err, ld->err_len, "%s:%zu:%zu: %s.%s: %s", ld->name, pos.line, pos.col,
                 key->section, key->key, why);
    } else if (ld->name) {
        snprintf(ld->err, ld->err_len, "%s: %s.%s: %s", ld->name, key->section, key->key, why);
    } else {
        snprintf(ld->err, ld->err_len, "%s.%s: %s", key->section, key->key, why);
    }
    return CORE_ECONFIG;
}

/* An error about schema key k; pos is where in the file, used when the value came from it. */
static int key_error_at(struct load *ld, size_t k, struct bot_toml_pos pos, const char *fmt, ...)
    CORE_PRINTF(4, 5);
static int key_error_at(struct load *ld, size_t k, struct bot_toml_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = load_error_v(ld, k, pos, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error about key k wherever its final value came from. */
static int key_error(struct load *ld, size_t k, const char *fmt, ...) CORE_PRINTF(3, 4);
static int key_error(struct load *ld, size_t k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = load_error_v(ld, k, ld->origins[k].pos, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error in the file not tied to a schema key (syntax, unknown names). */
static int file_error(struct load *ld, struct bot_toml_pos pos, const char *name, const char *why)
{
    if (ld->err && ld->err_len > 0) {
        if (pos.line == 0) {
            snprintf(ld->err, ld->err_len, "%s: %s", ld->name, why);
        } else if (name && name[0]) {
            snprintf(ld->err, ld->err_len, "%s:%zu:%zu: %s: %s", ld->name, pos.line, pos.col, name,
                     why);
        } else {
            snprintf(ld->err, ld->err_len, "%s:%zu:%zu: %s", ld->name, pos.line, pos.col, why);
        }
    }
    return CORE_ECONFIG;
}

static size_t find_key(const char *section, const char *key)
{
    for (size_t k = 0; k < N_KEYS; k++) {
        if (strcmp(schema[k].section, section) == 0 && strcmp(schema[k].key, key) == 0) {
            return k;
        }
    }
    return SIZE_MAX;
}

static bool known_section(const char *section)
{
    for (size_t k = 0; k < N_KEYS; k++) {
        if (strcmp(schema[k].section, section) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- storing typed values ------------------------------------------------------------- */

static void *field(struct load *ld, size_t k)
{
    return (char *)ld->cfg + schema[k].offset;
}

/* Why text cannot be stored in a string field of `size` bytes, or NULL. */
static const char *string_unfit(const char *text, size_t len, size_t size)
{
    if (len >= size) {
        return "too long";
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b < 0x20 || b == 0x7F) {
            return "contains a control character";
        }
    }
    return bot_toml_utf8_valid(text, len) ? NULL : "is not valid UTF-8";
}

static int store_string(
    struct load *ld, size_t k, struct bot_toml_pos pos, char *dst, const char *text, size_t len)
{
    const char *why = string_unfit(text, len, schema[k].size);
    if (why && strcmp(why, "too long") == 0) {
        return key_error_at(ld, k, pos, "longer than %zu bytes", schema[k].size - 1);
    }
    if (why) {
        return key_error_at(ld, k, pos, "%s", why);
    }
    memset(dst, 0, schema[k].size);
    memcpy(dst, text, len);
    return CORE_OK;
}

static int store_integer(struct load *ld, size_t k, struct bot_toml_pos pos, int64_t v)
{
    const struct bot_cfg_key *key = &schema[k];
    if (v < key->min || v > key->max) {
        return key_error_at(ld, k, pos, "out of range: must be %lld..%lld", (long long)key->min,
                            (long long)key->max);
    }
    if (key->type == BOT_CFG_T_INT) {
        *(int *)field(ld, k) = (int)v;
    } else {
        *(size_t *)field(ld, k) = (size_t)v;
    }
    return CORE_OK;
}

static int store_strings_begin(struct load *ld, size_t k, struct bot_toml_pos pos, size_t n)
{
    if (n > schema[k].max_items) {
        return key_error_at(ld, k, pos, "at most %zu items", schema[k].max_items);
    }
    memset(field(ld, k), 0, schema[k].size * schema[k].max_items);
    *(size_t *)((char *)ld->cfg + schema[k].count_offset) = n;
    return CORE_OK;
}

static char *strings_item(struct load *ld, size_t k, size_t i)
{
    return (char *)field(ld, k) + i * schema[k].size;
}

/* ---- from the file -------------------------------------------------------------------- */

static const char *expected_type(enum bot_cfg_type type)
{
    switch (type) {
    case BOT_CFG_T_STRING:
        return "a string";
    case BOT_CFG_T_BOOL:
        return "a boolean (true or false)";
    case BOT_CFG_T_INT:
    case BOT_CFG_T_SIZE:
        return "an integer";
    case BOT_CFG_T_STRINGS:
        return "an array of strings";
    }
    return "?";
}

static enum bot_toml_type toml_type_of(enum bot_cfg_type type)
{
    switch (type) {
    case BOT_CFG_T_STRING:
        return BOT_TOML_STRING;
    case BOT_CFG_T_BOOL:
        return BOT_TOML_BOOLEAN;
    case BOT_CFG_T_INT:
    case BOT_CFG_T_SIZE:
        return BOT_TOML_INTEGER;
    case BOT_CFG_T_STRINGS:
        return BOT_TOML_ARRAY;
    }
    return BOT_TOML_STRING;
}

static int apply_file_strings(struct load *ld, size_t k, const struct bot_toml_value *v)
{
    int rc = store_strings_begin(ld, k, v->pos, v->u.array.len);
    for (size_t i = 0; rc == CORE_OK && i < v->u.array.len; i++) {
        const struct bot_toml_value *item = &v->u.array.items[i];
        if (item->type != BOT_TOML_STRING) {
            return key_error_at(ld, k, item->pos, "item %zu: expected a string, got %s", i + 1,
                                bot_toml_type_name(item->type));
        }
        rc = store_string(ld, k, item->pos, strings_item(ld, k, i), item->u.str.ptr,
                          item->u.str.len);
    }
    return rc;
}

static int apply_file_value(struct load *ld, size_t k, const struct bot_toml_value *v)
{
    const struct bot_cfg_key *key = &schema[k];
    ld->origins[k].kind = FROM_FILE;
    ld->origins[k].pos = v->pos;
    if (v->type != toml_type_of(key->type)) {
        return key_error_at(ld, k, v->pos, "expected %s, got %s", expected_type(key->type),
                            bot_toml_type_name(v->type));
    }
    switch (key->type) {
    case BOT_CFG_T_STRING:
        return store_string(ld, k, v->pos, field(ld, k), v->u.str.ptr, v->u.str.len);
    case BOT_CFG_T_BOOL:
        *(bool *)field(ld, k) = v->u.boolean;
        return CORE_OK;
    case BOT_CFG_T_INT:
    case BOT_CFG_T_SIZE:
        return store_integer(ld, k, v->pos, v->u.integer);
    case BOT_CFG_T_STRINGS:
        return apply_file_strings(ld, k, v);
    }
    return CORE_OK;
}

static int apply_table(struct load *ld, const struct bot_toml_table *t)
{
    if (t->name[0] && !known_section(t->name)) {
        return file_error(ld, t->pos, t->name, "unknown section");
    }
    for (size_t i = 0; i < t->n_keys; i++) {
        const struct bot_toml_keyval *kv = &t->keys[i];
        if (!t->name[0]) {
            return file_error(ld, kv->pos, kv->key, "key outside any [section]");
        }
        size_t k = find_key(t->name, kv->key);
        if (k == SIZE_MAX) {
            char full[2 * BOT_TOML_MAX_KEY + 2];
            snprintf(full, sizeof full, "%s.%s", t->name, kv->key);
            return file_error(ld, kv->pos, full, "unknown key");
        }
        int rc = apply_file_value(ld, k, &kv->value);
        if (rc != CORE_OK) {
            return rc;
        }
    }
    return CORE_OK;
}

static int apply_text(struct load *ld, const char *text, size_t len)
{
    struct bot_toml_doc *doc = NULL;
    struct bot_toml_error terr;
    int rc = bot_toml_parse(text, len, &doc, &terr);
    if (rc != CORE_OK) {
        int reported = file_error(ld, terr.pos, terr.key, terr.msg);
        return rc == CORE_ENOMEM ? rc : reported;
    }
    for (size_t i = 0; rc == CORE_OK && i < doc->n_tables; i++) {
        rc = apply_table(ld, &doc->tables[i]);
    }
    bot_toml_free(doc);
    return rc;
}

/* ---- from the environment ------------------------------------------------------------- */

static const char *env_find(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++) {
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=') {
            return envp[i] + n + 1;
        }
    }
    return NULL;
}

static int apply_env_strings(struct load *ld, size_t k, const char *text)
{
    struct bot_toml_pos none = {0, 0};
    size_t n = *text ? 1 : 0;
    for (const char *c = strchr(text, ','); c; c = strchr(c + 1, ',')) {
        n++;
    }
    int rc = store_strings_begin(ld, k, none, n);
    const char *p = text;
    for (size_t i = 0; rc == CORE_OK && i < n; i++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && *p == ' ') {
            p++;
        }
        while (end > p && end[-1] == ' ') {
            end--;
        }
        if (p == end) {
            return key_error(ld, k, "item %zu is empty (comma-separated list)", i + 1);
        }
        rc = store_string(ld, k, none, strings_item(ld, k, i), p, (size_t)(end - p));
        p = comma ? comma + 1 : end;
    }
    return rc;
}

static int apply_env_value(struct load *ld, size_t k, const char *text)
{
    struct bot_toml_pos none = {0, 0};
    ld->origins[k].kind = FROM_ENV;
    int64_t v = 0;
    const char *why = NULL;
    switch (schema[k].type) {
    case BOT_CFG_T_STRING:
        return store_string(ld, k, none, field(ld, k), text, strlen(text));
    case BOT_CFG_T_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0) {
            return key_error(ld, k, "expected true or false");
        }
        *(bool *)field(ld, k) = text[0] == 't';
        return CORE_OK;
    case BOT_CFG_T_INT:
    case BOT_CFG_T_SIZE:
        if (bot_toml_integer_parse(text, strlen(text), &v, &why) != CORE_OK) {
            return key_error(ld, k, "%s", why);
        }
        return store_integer(ld, k, none, v);
    case BOT_CFG_T_STRINGS:
        return apply_env_strings(ld, k, text);
    }
    return CORE_OK;
}

static int apply_env(struct load *ld, char *const *envp)
{
    for (size_t k = 0; k < N_KEYS; k++) {
        char name[96];
        bot_config_env_name(&schema[k], name, sizeof name);
        const char *value = env_find(envp, name);
        if (value) {
            int rc = apply_env_value(ld, k, value);
            if (rc != CORE_OK) {
                return rc;
            }
        }
    }
    return CORE_OK;
}

/* ---- validation ----------------------------------------------------------------------- */

static int validate_keys(struct load *ld)
{
    for (size_t k = 0; k < N_KEYS; k++) {
        const struct bot_cfg_key *key = &schema[k];
        const char *why = NULL;
        if (key->type == BOT_CFG_T_STRING && key->check) {
            why = key->check(field(ld, k));
        }
        size_t n =
            key->type == BOT_CFG_T_STRINGS ? *(size_t *)((char *)ld->cfg + key->count_offset) : 0;
        for (size_t i = 0; i < n && !why && key->check; i++) {
            why = key->check(strings_item(ld, k, i));
        }
        if (why) {
            return key_error(ld, k, "%s", why);
        }
    }
    return CORE_OK;
}

static int require(struct load *ld, const char *section, const char *name, const char *when)
{
    size_t k = find_key(section, name);
    if (((const char *)field(ld, k))[0] == '\0') {
        char env[96];
        bot_config_env_name(&schema[k], env, sizeof env);
        return key_error(ld, k, "required when %s (set it in the file or in %s)", when, env);
    }
    return CORE_OK;
}

static int validate_channels(const struct bot_config *c, struct load *ld)
{
    int rc = CORE_OK;
    if (c->telegram.enabled) {
        rc = require(ld, "telegram", "token", "telegram.enabled = true");
        if (rc == CORE_OK && strcmp(c->telegram.mode, "webhook") == 0) {
            rc = require(ld, "telegram", "secret_token", "telegram.mode = \"webhook\"");
        }
    }
    static const char *const whatsapp_keys[] = {"phone_number_id", "access_token", "app_secret",
                                                "verify_token"};
    for (size_t i = 0; rc == CORE_OK && c->whatsapp.enabled && i < 4; i++) {
        rc = require(ld, "whatsapp", whatsapp_keys[i], "whatsapp.enabled = true");
    }
    static const char *const sms_keys[] = {"api_base_url", "password"};
    for (size_t i = 0; rc == CORE_OK && c->sms.enabled && i < 2; i++) {
        rc = require(ld, "sms", sms_keys[i], "sms.enabled = true");
    }
    if (rc == CORE_OK && c->sms.enabled && strcmp(c->sms.provider, "twilio") == 0) {
        rc = require(ld, "sms", "account", "sms.provider = \"twilio\"");
        if (rc == CORE_OK) {
            rc = require(ld, "sms", "from", "sms.provider = \"twilio\"");
        }
    }
    if (rc == CORE_OK && strcmp(c->portal.mode, "remote") == 0) {
        rc = require(ld, "portal", "api_base_url", "portal.mode = \"remote\"");
    }
    return rc;
}

static int validate_relations(const struct bot_config *c, struct load *ld)
{
    if (c->time.window_last_day < c->time.window_first_day) {
        return key_error(ld, find_key("time", "window_last_day"),
                         "must be >= time.window_first_day (%d)", c->time.window_first_day);
    }
    if (c->outbox.max_backoff_ms < c->outbox.base_backoff_ms) {
        return key_error(ld, find_key("outbox", "max_backoff_ms"),
                         "must be >= outbox.base_backoff_ms (%d)", c->outbox.base_backoff_ms);
    }
    return validate_channels(c, ld);
}

/* Derived fields: the offset in seconds; base URLs without a trailing '/'. */
static void derive(struct bot_config *c)
{
    if (core_offset_parse(c->time.utc_offset, &c->time.utc_offset_s) != CORE_OK) {
        c->time.utc_offset_s = 0; /* unreachable: validated before */
    }
    for (size_t k = 0; k < N_KEYS; k++) {
        if (schema[k].check == check_url_optional || schema[k].check == check_url_required) {
            char *url = (char *)c + schema[k].offset;
            size_t n = strlen(url);
            while (n > 0 && url[n - 1] == '/') {
                url[--n] = '\0';
            }
        }
    }
}

/* ---- entry points --------------------------------------------------------------------- */

int bot_config_load_text(const char *name,
                         const char *text,
                         size_t len,
                         char *const *envp,
                         struct bot_config *cfg,
                         char *err,
                         size_t err_len)
{
    if (!cfg || (!text && len > 0)) {
        return CORE_EINVAL;
    }
    if (err && err_len > 0) {
        err[0] = '\0';
    }
    struct bot_config *scratch = malloc(sizeof *scratch);
    struct load *ld = calloc(1, sizeof *ld);
    int rc = CORE_ENOMEM;
    if (!scratch || !ld) {
        if (err && err_len > 0) {
            snprintf(err, err_len, "configuration: out of memory");
        }
        goto cleanup;
    }
    bot_config_defaults(scratch);
    *ld = (struct load){
        .name = name || !text ? name : "config", .cfg = scratch, .err = err, .err_len = err_len};
    rc = text ? apply_text(ld, text, len) : CORE_OK;
    if (rc == CORE_OK) {
        rc = apply_env(ld, envp);
    }
    if (rc == CORE_OK) {
        rc = validate_keys(ld);
    }
    if (rc == CORE_OK) {
        rc = validate_relations(scratch, ld);
    }
    if (rc == CORE_OK) {
        derive(scratch);
        *cfg = *scratch;
    }
cleanup:
    if (scratch) {
        sodium_memzero(scratch, sizeof *scratch);
    }
    free(scratch);
    free(ld);
    return rc;
}

/* Reads the whole file (at most the TOML cap) into *out (malloc'd, caller wipes and frees). */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return CORE_ECONFIG;
    }
    char *buf = malloc(BOT_TOML_MAX_INPUT + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, err_len, "%s: out of memory", path);
        return CORE_ENOMEM;
    }
    size_t n = fread(buf, 1, BOT_TOML_MAX_INPUT + 1, f);
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    const char *why = failed                   ? strerror(saved)
                      : n > BOT_TOML_MAX_INPUT ? "larger than 1 MiB"
                                               : NULL;
    if (why) {
        snprintf(err, err_len, "%s: cannot read: %s", path, why);
        sodium_memzero(buf, n);
        free(buf);
        return CORE_ECONFIG;
    }
    *out = buf;
    *len = n;
    return CORE_OK;
}

int bot_config_load(
    const char *path, char *const *envp, struct bot_config *cfg, char *err, size_t err_len)
{
    char scratch_err[8];
    if (!err || err_len == 0) {
        err = scratch_err;
        err_len = sizeof scratch_err;
    }
    if (!path) {
        return bot_config_load_text(NULL, NULL, 0, envp, cfg, err, err_len);
    }
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, err, err_len);
    if (rc != CORE_OK) {
        return rc == CORE_ENOMEM ? rc : CORE_ECONFIG;
    }
    rc = bot_config_load_text(path, text, len, envp, cfg, err, err_len);
    sodium_memzero(text, len);
    free(text);
    return rc;
}

void bot_config_wipe(struct bot_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t k = 0; k < N_KEYS; k++) {
        if (schema[k].secret) {
            sodium_memzero((char *)cfg + schema[k].offset, schema[k].size);
        }
    }
}
