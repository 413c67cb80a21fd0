/* SPDX-License-Identifier: MIT
 * The service configuration (DESIGN.md §11): built-in defaults, then the TOML file, then
 * TABELBOT_<SECTION>_<KEY> environment overrides, then validation. An unknown key, a wrong type
 * or an out-of-range value is an error naming file:line:column and the key.
 * config.example.toml documents every field below with its default. */
#ifndef BOT_CONFIG_H
#define BOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BOT_CFG_STR           256
#define BOT_CFG_URL           512
#define BOT_CFG_MAX_TEMPLATES 16

struct bot_config {
    struct {
        char listen[BOT_CFG_STR];     /* "127.0.0.1:8080"; port 0 = ephemeral */
        char public_url[BOT_CFG_URL]; /* "http://127.0.0.1:8080" */
        size_t max_body_bytes;        /* 1 MiB */
        size_t max_header_bytes;      /* 16 KiB */
        int max_connections;          /* 2048 */
        int idle_timeout_ms;          /* 30000: keep-alive idle */
        int request_timeout_ms;       /* 10000: whole request must arrive within this */
        int shutdown_grace_ms;        /* 5000 */
    } server;
    struct {
        char path[BOT_CFG_STR]; /* "tabelbot.db" in the working folder */
        char synchronous[8];    /* "full" (default) | "normal": see docs/configuration.md */
    } database;
    struct {
        char utc_offset[8];   /* "+05:00" */
        int utc_offset_s;     /* derived */
        int window_first_day; /* 1 */
        int window_last_day;  /* 10 */
        int quiet_start_hour; /* 21 */
        int quiet_end_hour;   /* 9 */
    } time;
    struct {
        char level[16]; /* "info" */
    } log;
    struct {
        int idle_timeout_s;       /* 1800 */
        char consent_version[16]; /* "2026-11" */
    } dialog;
    struct {
        int ttl_s;                  /* 300 */
        int resend_cooldown_s;      /* 60 */
        int max_attempts;           /* 5 */
        int max_per_phone_per_hour; /* 5 */
        int max_per_chat_per_hour;  /* 5 */
        int max_global_per_hour;    /* 10000 */
    } otp;
    struct {
        int max_attempts;       /* 8, then dead-letter */
        int base_backoff_ms;    /* 1000 */
        int max_backoff_ms;     /* 300000 */
        int max_in_flight;      /* 64 */
        int request_timeout_ms; /* 15000 */
    } outbox;
    struct {
        bool enabled;
        char token[BOT_CFG_STR];
        char secret_token[BOT_CFG_STR + 1]; /* up to 256 chars (Telegram's limit) */
        char api_base_url[BOT_CFG_URL];     /* "https://api.telegram.org" */
        char mode[16];                      /* "webhook" | "polling" */
        int max_messages_per_second;        /* 30: the whole bot */
        int chat_interval_ms;               /* 1000: one message a second into one chat */
        int chat_burst;                     /* 3: messages one chat may get back to back */
        int max_connections;                /* 40: setWebhook */
        bool drop_pending_updates;          /* false: setWebhook */
        int poll_timeout_s;                 /* 25: getUpdates long-poll hold */
        int poll_interval_ms;               /* 1000: pause after an early empty poll */
    } telegram;
    struct {
        bool enabled;
        char api_base_url[BOT_CFG_URL]; /* "https://graph.facebook.com/v21.0" */
        char phone_number_id[64];
        char access_token[BOT_CFG_STR];
        char app_secret[BOT_CFG_STR];
        char verify_token[BOT_CFG_STR];
        char templates[BOT_CFG_MAX_TEMPLATES][64];
        size_t n_templates;
    } whatsapp;
    struct {
        bool enabled;
        char provider[16]; /* "twilio" | "mobizon" (outbound only) */
        char api_base_url[BOT_CFG_URL];
        char account[BOT_CFG_STR];  /* credentials: Twilio account SID (unused by mobizon) */
        char password[BOT_CFG_STR]; /* credentials: Twilio auth token / Mobizon API key */
        char from[32];
        int max_segments;   /* 3: longest SMS the renderer sends (it shortens, never splits) */
        int max_per_second; /* 10: requests per second to the gateway */
    } sms;
    struct {
        char mode[16]; /* "embedded" | "remote" */
        char api_base_url[BOT_CFG_URL];
    } portal;
    struct {
        char data_key_file[BOT_CFG_STR]; /* "tabelbot.key" beside the database */
        bool create_key_if_missing;      /* true: first start writes a new key (mode 0600) */
    } security;
    struct {
        char phone[24];    /* "8 (727) 339-72-22" */
        char whatsapp[24]; /* "8 (747) 339-72-22" */
        char hours[64];    /* "Mon-Fri 09:00-18:00" */
    } contact_centre;
    struct {
        bool clock_override; /* honour TABELBOT_NOW */
        char code_sink[16];  /* "none" | "console": where dev one-time codes go */
    } dev;
};

/** Fills every field with its built-in default. */
void bot_config_defaults(struct bot_config *cfg);

/** Loads defaults, then `path` (NULL: no file), then environment overrides (envp: NULL-terminated
 * "K=V" array, normally `environ`), then validates. On failure returns CORE_ECONFIG and writes
 * one line ("file:line:col: key: why") into err (err_len >= 256 recommended). */
CORE_NODISCARD int bot_config_load(
    const char *path, char *const *envp, struct bot_config *cfg, char *err, size_t err_len);

/** Wipes secrets (tokens, passwords) with sodium_memzero-equivalent volatile writes. */
void bot_config_wipe(struct bot_config *cfg);

#endif
