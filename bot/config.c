/* SPDX-License-Identifier: MIT
 * Configuration defaults (the TOML reader and validation arrive with the config work). */
#include "bot/config.h"

#include <stdio.h>
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
    snprintf(cfg->whatsapp.api_base_url, sizeof cfg->whatsapp.api_base_url,
             "https://graph.facebook.com/v21.0");
    snprintf(cfg->sms.provider, sizeof cfg->sms.provider, "twilio");
    snprintf(cfg->portal.mode, sizeof cfg->portal.mode, "embedded");
    snprintf(cfg->security.data_key_file, sizeof cfg->security.data_key_file, "tabelbot.key");
    cfg->security.create_key_if_missing = true;
    snprintf(cfg->contact_centre.phone, sizeof cfg->contact_centre.phone, "8 (727) 339-72-22");
    snprintf(cfg->contact_centre.whatsapp, sizeof cfg->contact_centre.whatsapp,
             "8 (747) 339-72-22");
    snprintf(cfg->contact_centre.hours, sizeof cfg->contact_centre.hours, "Mon-Fri 09:00-18:00");
    snprintf(cfg->dev.code_sink, sizeof cfg->dev.code_sink, "none");
}
